"""The renderer registry and the job runner: every format behind one interface.

Each format is reached by name through :mod:`pipeline.render.registry` and
called the same way; the slow ones are laid out by :mod:`pipeline.render.jobs`,
in worker processes, with the same bytes as in this one.
"""

from __future__ import annotations

import ast
import io
import logging
import os
import re
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.config import FORMATS
from pipeline.errors import ConfigError
from pipeline.render import pdf as pdf_module
from pipeline.render.edition import assemble, assemble_bilingual
from pipeline.render.jobs import RenderJob, default_workers, render_job, run_jobs
from pipeline.render.model import Edition
from pipeline.render.registry import RenderContext, Renderer, formats, get, render_html
from pipeline.source.markdown import Document, parse_document

ROOT = Path(__file__).resolve().parent.parent
EPOCH = 1700000000
WHEN = datetime.fromtimestamp(EPOCH, UTC)

SOURCE = """\
# A Short Book

## First part

Plain words, and *emphasis*.

## Second part

- one
- two
"""
SPANISH = {
    "A Short Book": "Un libro corto",
    "First part": "Primera parte",
    "Plain words, and *emphasis*.": "Palabras sencillas, y *énfasis*.",
    "Second part": "Segunda parte",
    "one": "uno",
    "two": "dos",
}


@pytest.fixture(scope="module")
def doc() -> Document:
    return parse_document(SOURCE, "short.md")


@pytest.fixture(scope="module")
def english(doc: Document) -> Edition:
    return assemble(doc, lang="en", source_lang="en", title="A Short Book", author="Ana García")


@pytest.fixture(scope="module")
def bilingual(doc: Document) -> Edition:
    texts = {s.id: SPANISH[s.source] for s in doc.segments if s.source in SPANISH}
    return assemble_bilingual(
        doc,
        source_lang="en",
        target_lang="es",
        title="A Short Book",
        author="Ana García",
        texts=texts,
        states=dict.fromkeys(texts, "machine"),
    )


def context(tmp_path: Path, *, facing_pages: bool = False) -> RenderContext:
    return RenderContext(base_url=tmp_path, modified=WHEN, facing_pages=facing_pages)


# --------------------------------------------------------------------------- the registry


def test_registry_lists_html_pdf_epub_in_build_order() -> None:
    assert formats() == ("html", "pdf", "epub")
    assert formats() == FORMATS  # pipeline.toml accepts exactly the registered formats


@pytest.mark.parametrize("fmt", formats())
def test_each_format_has_one_renderer_describing_itself(fmt: str) -> None:
    renderer = get(fmt)
    assert isinstance(renderer, Renderer)
    assert renderer.format == fmt
    assert renderer.description and "\n" not in renderer.description
    assert renderer.slow is (fmt == "pdf")
    assert get(fmt) is renderer  # looked up once


def test_an_unknown_format_is_a_config_error_naming_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="unknown format 'docx'") as info:
        get("docx")
    assert info.value.hint == "choose from: html, pdf, epub"


@pytest.mark.parametrize("fmt", formats())
def test_every_format_gives_the_same_bytes_for_the_same_edition(
    fmt: str, bilingual: Edition, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    renderer, html = get(fmt), render_html(bilingual)
    first = renderer.render(bilingual, html, context(tmp_path))
    assert isinstance(first, bytes) and first
    assert renderer.render(bilingual, html, context(tmp_path)) == first


def test_checking_the_installed_fonts_passes_here() -> None:
    for fmt in formats():
        get(fmt).check()


# --------------------------------------------------------------------------- each format


def test_html_renderer_gives_the_html_as_utf8(english: Edition, tmp_path: Path) -> None:
    html = render_html(english)
    data = get("html").render(english, html, context(tmp_path))
    assert data == html.encode("utf-8")
    assert data.lstrip().startswith(b"<!DOCTYPE html>")
    assert re.search(rb'<html[^>]* lang="en"', data)
    assert "Ana García".encode() in data


def test_pdf_renderer_lays_out_the_html(english: Edition, tmp_path: Path) -> None:
    data = get("pdf").render(english, render_html(english), context(tmp_path))
    assert data.startswith(b"%PDF-")


def test_pdf_renderer_sets_only_a_bilingual_edition_on_facing_pages(
    english: Edition, bilingual: Edition, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def fake_facing(edition: Edition, *, base_url: Path | None = None) -> bytes:
        calls.append(f"facing {edition.slug} {base_url}")
        return b"%PDF-facing"

    def fake_pdf(html: str, *, base_url: Path | None = None) -> bytes:
        calls.append(f"html {len(html)} {base_url}")
        return b"%PDF-html"

    monkeypatch.setattr(pdf_module, "render_pdf_facing", fake_facing)
    monkeypatch.setattr(pdf_module, "render_pdf", fake_pdf)
    pdf = get("pdf")
    facing = context(tmp_path, facing_pages=True)
    assert pdf.render(bilingual, "<html/>", facing) == b"%PDF-facing"
    assert pdf.render(bilingual, "<html/>", context(tmp_path)) == b"%PDF-html"
    assert pdf.render(english, "<html/>", facing) == b"%PDF-html"
    assert calls == [f"facing en-es {tmp_path}", f"html 7 {tmp_path}", f"html 7 {tmp_path}"]


def test_epub_renderer_gives_an_epub_dated_by_the_context(
    bilingual: Edition, tmp_path: Path
) -> None:
    data = get("epub").render(bilingual, render_html(bilingual), context(tmp_path))
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        first = book.infolist()[0]
        assert first.filename == "mimetype"
        assert first.compress_type == zipfile.ZIP_STORED
        assert book.read("mimetype") == b"application/epub+zip"
        opf = book.read("OEBPS/content.opf").decode()
    assert '<meta property="dcterms:modified">2023-11-14T22:13:20Z</meta>' in opf
    assert "<dc:language>es</dc:language>" in opf


# --------------------------------------------------------------------------- jobs


def jobs_for(editions: list[Edition], tmp_path: Path) -> list[RenderJob]:
    return [
        RenderJob(fmt, tmp_path / edition.slug / f"short.{fmt}", edition, render_html(edition), ctx)
        for edition in editions
        for fmt, ctx in [("pdf", context(tmp_path)), ("epub", context(tmp_path))]
    ]


def test_default_workers_is_the_cores_this_process_may_use() -> None:
    assert default_workers() == len(os.sched_getaffinity(0))


def test_jobs_give_the_same_bytes_in_worker_processes(
    english: Edition, bilingual: Edition, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    jobs = jobs_for([english, bilingual], tmp_path)
    here: list[tuple[Path, bytes]] = []
    run_jobs(jobs, workers=1, done=lambda job, data: here.append((job.path, data)))
    assert [path for path, _ in here] == [job.path for job in jobs]  # in order, in process
    there: dict[Path, bytes] = {}
    run_jobs(jobs, workers=2, done=lambda job, data: there.setdefault(job.path, data))
    assert there == dict(here)
    assert all(data.startswith((b"%PDF-", b"PK")) for data in there.values())


def test_workers_log_through_this_process_and_never_print(
    english: Edition,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    remote = '<p><img src="https://example.com/x.png" alt="far"></p>'
    html = render_html(english).replace("<p>Plain words", remote + "<p>Plain words")
    jobs = [
        RenderJob("pdf", tmp_path / f"{n}.pdf", english, html, context(tmp_path)) for n in (1, 2)
    ]
    done: list[Path] = []
    with caplog.at_level(logging.WARNING):
        run_jobs(jobs, workers=2, done=lambda job, data: done.append(job.path))
    assert sorted(done) == [job.path for job in jobs]
    refused = [
        r for r in caplog.records if r.name == "pipeline.render.pdf" and "refused" in r.message
    ]
    assert len(refused) == 2, caplog.text
    assert "refused" not in capfd.readouterr().err


def test_a_workers_error_reaches_the_caller_with_its_hint(english: Edition, tmp_path: Path) -> None:
    good = RenderJob("html", tmp_path / "a.html", english, "<p>a</p>", context(tmp_path))
    bad = RenderJob("docx", tmp_path / "a.docx", english, "<p>longer</p>", context(tmp_path))
    with pytest.raises(ConfigError, match="unknown format 'docx'") as info:
        run_jobs([good, bad], workers=2, done=lambda job, data: None)
    assert info.value.hint == "choose from: html, pdf, epub"
    assert render_job(good) == b"<p>a</p>"


# --------------------------------------------------------------------------- imports


def test_importing_the_registry_loads_no_renderer_and_no_heavy_library() -> None:
    code = (
        "import sys, pipeline.config, pipeline.render.registry, pipeline.render.jobs\n"
        "heavy = {'weasyprint', 'lxml', 'jinja2', 'PIL', 'fontTools', 'markdown_it'}\n"
        "renderers = {'pipeline.render.html', 'pipeline.render.pdf', 'pipeline.render.epub'}\n"
        "loaded = (heavy | renderers) & set(sys.modules)\n"
        "assert not loaded, sorted(loaded)\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT)


def private_imports(paths: list[Path], root: Path = ROOT) -> list[str]:
    """``from pipeline.x import _name`` (absolute or relative) in ``paths``, files
    of the package under ``root``: ``file:line: module._name`` for each private
    name imported from another module of pipeline."""
    found = []
    for path in paths:
        parts = path.relative_to(root).with_suffix("").parts  # ("pipeline", "render", "pdf")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:
                module = ".".join([*parts[: -node.level], *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            if module.split(".")[0] != "pipeline":
                continue
            for alias in node.names:
                if alias.name.startswith("_") and alias.name != "__version__":
                    where = path.relative_to(root)
                    found.append(f"{where}:{node.lineno}: {module}.{alias.name}")
    return found


def test_the_renderers_import_no_private_names() -> None:
    assert private_imports(sorted((ROOT / "pipeline" / "render").rglob("*.py"))) == []


def test_the_check_sees_relative_and_absolute_private_imports(tmp_path: Path) -> None:
    module = tmp_path / "pipeline" / "render" / "probe.py"
    module.parent.mkdir(parents=True)
    module.write_text(
        "from .html import _toc_tree\nfrom ..build import _qa, plain\n"
        "from pipeline.render.pdf import _measure\nfrom .. import __version__\n"
        "from os import _exit\n"
    )
    name = "pipeline/render/probe.py"
    assert private_imports([module], root=tmp_path) == [
        f"{name}:1: pipeline.render.html._toc_tree",
        f"{name}:2: pipeline.build._qa",
        f"{name}:3: pipeline.render.pdf._measure",
    ]
