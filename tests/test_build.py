"""The whole pipeline on the real book: translate, review state, editions."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import polib
import pytest

from pipeline.build import build, render, translate
from pipeline.config import Config, load_config
from pipeline.mt import registry
from pipeline.mt.pseudo import PseudoEngine

GOLDEN = Path(__file__).parent / "golden"
BOOK = "executive-summary"


class CountingEngine(PseudoEngine):
    """The pseudo engine, counting the texts it is asked to translate."""

    calls: ClassVar[list[int]] = []

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        CountingEngine.calls.append(len(texts))
        return super().translate(texts, source, target)


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> type[CountingEngine]:
    CountingEngine.calls = []
    monkeypatch.setitem(registry.ENGINES, "counting", CountingEngine)
    return CountingEngine


def html_only(project: Path) -> Config:
    """The project's configuration, building HTML editions only (faster)."""
    return dataclasses.replace(load_config(project), formats=("html",))


def po_path(project: Path) -> Path:
    return project / "content" / "es" / f"{BOOK}.po"


def test_golden_html_with_pseudo_engine(project: Path) -> None:
    """The editions of the seed book, byte for byte (PIPELINE_UPDATE_GOLDEN=1 rewrites them)."""
    translate(load_config(project), engine="pseudo")
    render(html_only(project))
    for lang in ("en", "es"):
        got = (project / "output" / lang / f"{BOOK}.html").read_text(encoding="utf-8")
        golden = GOLDEN / f"{BOOK}.pseudo.{lang}.html"
        if os.environ.get("PIPELINE_UPDATE_GOLDEN"):
            golden.write_text(got, encoding="utf-8")
        assert got == golden.read_text(encoding="utf-8"), f"{lang} edition differs from {golden}"


def test_html_is_deterministic(project: Path, tmp_path: Path) -> None:
    other = tmp_path / "again"
    shutil.copytree(project, other)
    for where in (project, other):
        cfg = html_only(where)
        build(cfg, engine="pseudo")
    for lang in ("en", "es"):
        a = (project / "output" / lang / f"{BOOK}.html").read_bytes()
        b = (other / "output" / lang / f"{BOOK}.html").read_bytes()
        assert a == b


def test_rebuild_sends_nothing_to_the_engine(project: Path, counting: type[CountingEngine]) -> None:
    cfg = load_config(project)
    first = translate(cfg, engine="counting")
    assert first.sent == 59 and sum(counting.calls) == 59
    counting.calls.clear()
    again = translate(cfg, engine="counting")
    assert again.sent == 0 and counting.calls == []


def test_cache_serves_a_lost_catalogue(project: Path, counting: type[CountingEngine]) -> None:
    cfg = load_config(project)
    translate(cfg, engine="counting")
    po_path(project).unlink()
    counting.calls.clear()
    report = translate(cfg, engine="counting")
    assert sum(counting.calls) == 0  # engine called for 0 segments
    assert report.cached == 59
    assert po_path(project).is_file()


def test_edited_paragraph_is_the_only_one_retranslated(
    project: Path, counting: type[CountingEngine]
) -> None:
    cfg = load_config(project)
    translate(cfg, engine="counting")
    md = project / "content" / "en" / f"{BOOK}.md"
    md.write_text(md.read_text().replace("Everyone profits.", "Everyone profits a lot."))
    counting.calls.clear()
    report = translate(cfg, engine="counting")
    assert sum(counting.calls) == 1 and report.sent == 1


def approve(po: Path, source_prefix: str, translation: str) -> str:
    """Do what a reviewer does in Poedit: edit msgstr, clear the fuzzy flag, and
    save (Poedit names the translator in the header)."""
    catalog = polib.pofile(str(po))
    entry = next(e for e in catalog if e.msgid.startswith(source_prefix))
    entry.msgstr = translation
    entry.flags.remove("fuzzy")
    catalog.metadata["Last-Translator"] = "Ana Ruiz <ana@example.org>"
    catalog.save()
    return entry.msgctxt or ""


def test_reviewed_translation_survives_force_and_is_published(project: Path) -> None:
    cfg = load_config(project)
    translate(cfg, engine="pseudo")
    approve(po_path(project), "Venezuela is ground zero", "Venezuela es la zona cero.")
    build(html_only(project), engine="pseudo", force=True)
    entry = next(
        e for e in polib.pofile(str(po_path(project))) if e.msgid.startswith("Venezuela is")
    )
    assert entry.msgstr == "Venezuela es la zona cero." and "fuzzy" not in entry.flags
    html = (project / "output" / "es" / f"{BOOK}.html").read_text()
    assert "<p>Venezuela es la zona cero.</p>" in html  # reviewed: no draft marker
    assert html.count('class="unreviewed" data-state="machine"') == 58


def test_changed_source_keeps_reviewed_text_for_review(project: Path) -> None:
    cfg = load_config(project)
    translate(cfg, engine="pseudo")
    approve(po_path(project), "Venezuela is ground zero", "Venezuela es la zona cero.")
    md = project / "content" / "en" / f"{BOOK}.md"
    md.write_text(md.read_text().replace("Venezuela is ground zero", "Venezuela was ground zero"))
    translate(cfg, engine="pseudo")
    entry = next(
        e for e in polib.pofile(str(po_path(project))) if e.msgid.startswith("Venezuela was")
    )
    assert entry.msgstr == "Venezuela es la zona cero." and "fuzzy" in entry.flags
    assert (entry.previous_msgid or "").startswith("Venezuela is ground zero")
    assert "#| msgid" in po_path(project).read_text()


def test_typography_edit_keeps_approval(project: Path) -> None:
    cfg = load_config(project)
    translate(cfg, engine="pseudo")
    sid = approve(po_path(project), "Forget the old-school", "Olvide a los capos de antes.")
    md = project / "content" / "en" / f"{BOOK}.md"
    md.write_text(md.read_text().replace("“social justice.”", '"social justice."'))
    translate(cfg, engine="pseudo")
    entry = next(e for e in polib.pofile(str(po_path(project))) if e.msgctxt == sid)
    assert '"social justice."' in entry.msgid
    assert "fuzzy" not in entry.flags and entry.msgstr == "Olvide a los capos de antes."


def test_draft_edition_marks_unreviewed_segments(project: Path) -> None:
    cfg = html_only(project)
    build(cfg, engine="pseudo")
    es = (project / "output" / "es" / f"{BOOK}.html").read_text()
    en = (project / "output" / "en" / f"{BOOK}.html").read_text()
    assert es.count('class="unreviewed" data-state="machine"') == 59
    assert "59" in es.split("<nav", 1)[0]  # the title page says how many are unreviewed
    assert "unreviewed" not in en.split("<style", 1)[0] + en.split("</style>", 1)[1]


def test_placeholders_survive_the_real_pipeline(project: Path) -> None:
    cfg = html_only(project)
    build(cfg, engine="pseudo")
    es = (project / "output" / "es" / f"{BOOK}.html").read_text()
    en = (project / "output" / "en" / f"{BOOK}.html").read_text()
    assert '<a href="#">' in es  # the link target comes from the source
    es_main, en_main = (h.split("<main>")[1].split("</main>")[0] for h in (es, en))
    for tag in ("<strong>", "<em>", "<li", "<h4", "<h3", "<ul>"):
        assert es_main.count(tag) == en_main.count(tag) > 0, tag


def test_po_catalogue_passes_msgfmt(project: Path) -> None:
    translate(load_config(project), engine="pseudo")
    proc = subprocess.run(
        ["msgfmt", "-c", "--check-format", "-o", os.devnull, str(po_path(project))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


# --------------------------------------------------------------------------- Apertium, for real


def test_apertium_build_gives_real_spanish_and_pdf(project: Path) -> None:
    report = build(load_config(project))
    assert report.sent == 59
    es = (project / "output" / "es" / f"{BOOK}.html").read_text()
    assert '<html lang="es"' in es
    for spanish in ("RESUMEN", "Captura estatal", "Venezuela", "Narco-Socialismo"):
        assert spanish in es
    po = po_path(project).read_text()
    assert re.search(
        r"^#\. pipeline: mt apertium 3\.\S+, apertium-eng-spa 0\.\S+(, apertium-es-pt \S+)?$",
        po,
        re.M,
    )
    pdf = project / "output" / "es" / f"{BOOK}.pdf"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Captura estatal" in text
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert "Author:          Ignacio De León" in info
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert "Linux-Libertine-O" in fonts and "DejaVu" not in fonts

    again = build(load_config(project))
    assert again.sent == 0 and again.written == []


def test_an_error_while_writing_the_editions_stops_the_pdfs_laid_out_meanwhile(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The PDFs are laid out while the HTML and EPUB are written; when one of
    those fails, the build stops with that error and writes no PDF."""
    from pipeline.errors import RenderError
    from pipeline.render import epub

    def broken(*args: object, **kwargs: object) -> bytes:
        raise RenderError("the EPUB cannot be written")

    monkeypatch.setattr(epub.EpubRenderer, "render", broken)
    config = dataclasses.replace(load_config(project), formats=("html", "pdf", "epub"))
    with pytest.raises(RenderError, match="EPUB cannot be written"):
        build(config, engine="pseudo")
    assert not list((project / "output").rglob("*.pdf"))
    assert not list((project / "output").rglob("*.epub"))
    # The machine translations made before the error are saved all the same.
    assert len(polib.pofile(str(po_path(project)))) == 59
    # The next build, without the fault, writes every edition, and lists the
    # PDFs in the order of the editions (the bilingual one is laid out first).
    monkeypatch.undo()
    report = build(config, engine="pseudo")
    pdfs = [path.parent.name for path in report.written if path.suffix == ".pdf"]
    assert pdfs == ["en", "es", "en-es"]


def test_a_review_saved_while_the_build_runs_is_kept_and_published_next(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The catalogue is saved once the PDFs are handed to the workers; a
    reviewer who approves a segment before then (the review page, Poedit) keeps
    the approval, and since the editions of this build were made without it,
    the next build is no no-op: it publishes it."""
    import pipeline.build as build_module

    config = html_only(project)
    build(config, engine="pseudo")
    chapter = project / "content" / "en" / f"{BOOK}.md"
    chapter.write_text(chapter.read_text() + "\nA paragraph added at the end.\n")
    real = build_module.save_catalogues
    approved: list[str] = []

    def reviewer_first(*args: object, **kwargs: object) -> bool:
        if not approved:  # as the review page would, in another process
            approved.append(approve(po_path(project), "Venezuela is ground zero", "Zona cero."))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(build_module, "save_catalogues", reviewer_first)
    build(config, engine="pseudo")
    monkeypatch.undo()
    entry = next(e for e in polib.pofile(str(po_path(project))) if e.msgctxt == approved[0])
    assert entry.msgstr == "Zona cero." and "fuzzy" not in entry.flags
    assert any(
        e.msgid == "A paragraph added at the end." for e in polib.pofile(str(po_path(project)))
    )
    html = project / "output" / "es" / f"{BOOK}.html"
    assert "<p>Zona cero.</p>" not in html.read_text()  # made before the approval
    report = build(config, engine="pseudo")
    assert html in report.written
    assert "<p>Zona cero.</p>" in html.read_text()


def test_a_changed_renderer_lays_the_pdf_out_again(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An output is current only for the renderer code that made it: after an
    upgrade (or a developer's edit) of the renderers, the PDF and its parts
    are made again, even though the book did not change."""
    import pipeline.stamps as stamps
    from pipeline.render import pdf_chapters

    config = dataclasses.replace(load_config(project), formats=("pdf",), bilingual=False)
    build(config, engine="pseudo", langs=["en"])
    pdf = project / "output" / "en" / f"{BOOK}.pdf"
    assert pdf.is_file()
    report = build(config, engine="pseudo", langs=["en"], force=True)
    assert pdf in report.unchanged  # same renderer: nothing laid out again

    real = stamps.code_stamp
    monkeypatch.setattr(stamps, "code_stamp", lambda package="": real(package) + "-upgraded")
    parts = project / ".pipeline-cache" / pdf_chapters.CACHE_FOLDER
    before = set(parts.glob("*.pdf"))
    build(config, engine="pseudo", langs=["en"], force=True)
    # Laid out again by the new renderer (here the same bytes: no change to report).
    assert set(parts.glob("*.pdf")) - before
