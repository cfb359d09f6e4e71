"""Pictures in a book: paths relative to the Markdown file, embedded in every edition."""

from __future__ import annotations

import base64
import dataclasses
import io
import logging
import re
import shutil
import struct
import subprocess
import zipfile
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers import make_project

from pipeline.build import build
from pipeline.config import load_config
from pipeline.project import find_books
from pipeline.render.edition import assemble
from pipeline.render.epub import render_epub
from pipeline.source.images import ImageEmbedder
from pipeline.source.markdown import parse_document

needs_poppler = pytest.mark.skipif(shutil.which("pdfimages") is None, reason="poppler-utils")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


MAP = (  # a 1 x 1 grey PNG
    b"\x89PNG\r\n\x1a\n"
    + _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    + _chunk(b"IDAT", zlib.compress(b"\x00\x00"))
    + _chunk(b"IEND", b"")
)
CHAPTER = (
    "# Atlas\n\nBy A. Cartographer\n\n## The Region\n\nA map follows.\n\n"
    "![The map of the region](maps/region%20map.png)\n\n"
    "Also ![a missing map](nowhere.png), ![a far map](../../../outside.png) "
    "and ![a web map](https://example.org/map.png).\n"
)


@pytest.fixture
def atlas(project: Path) -> Path:
    """A project with a chapter book whose chapter shows a picture from a sub-folder."""
    folder = project / "content" / "en" / "atlas"
    (folder / "maps").mkdir(parents=True)
    (folder / "01.md").write_text(CHAPTER)
    (folder / "maps" / "region map.png").write_bytes(MAP)
    (project / "outside.png").write_bytes(MAP)
    toml = project / "pipeline.toml"
    toml.write_text(toml.read_text() + '\n[books.atlas]\nchapters = ["01.md"]\n')
    return project


def built(project: Path, *formats: str) -> None:
    config = dataclasses.replace(load_config(project), formats=formats)
    build(config, engine="pseudo", books=["atlas"])


def test_every_html_edition_carries_the_picture_relative_to_its_chapter(
    atlas: Path, caplog: pytest.LogCaptureFixture
) -> None:
    built(atlas, "html")
    for slug in ("en", "es", "en-es"):
        html = (atlas / "output" / slug / "atlas.html").read_text()
        # Once in each edition, the bilingual one too (a figure spans both columns);
        # the Spanish edition describes it in Spanish (here: the pseudo-translation).
        [(src, alt)] = re.findall(r'<img src="([^"]+)" alt="([^"]+)"', html)
        assert src == "data:image/png;base64," + base64.b64encode(MAP).decode()
        assert (alt == "The map of the region") is (slug != "es"), alt
        # The pictures that cannot be published show their description, as text.
        assert "<img" not in html.replace(f'<img src="{src}"', "")
        if slug != "es":
            assert "a missing map" in html and "a web map" in html
    place = "content/en/atlas/01.md:11"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert sorted(warnings) == [
        f"{place}: image ../../../outside.png is outside the content folder: its description"
        " is shown instead (copy it into content/ next to the Markdown file)",
        f"{place}: image https://example.org/map.png is not fetched (pipeline works offline):"
        " its description is shown instead (save it under content/ and give its path relative"
        " to the Markdown file)",
        f"{place}: image nowhere.png is not there: its description is shown instead (image"
        " paths are relative to the Markdown file that holds them)",
    ], "each reported once for the whole book, not once per edition"


def test_a_picture_folder_beside_a_readme_is_not_a_book_and_its_pictures_embed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A GitHub repository's layout: README.md with its logo in ``assets/`` and
    screenshots in ``img/screens/`` (folders without any Markdown file)."""
    readme = (
        "# quarry\n\n![The quarry logo](assets/logo.png)\n\n## Install\n\n"
        "Run `quarry init`.\n\n![The first screen](img/screens/first.png)\n"
    )
    project = make_project(tmp_path, {"README": readme})
    content = project / "content" / "en"
    (content / "assets").mkdir()
    (content / "assets" / "logo.png").write_bytes(MAP)
    (content / "img" / "screens").mkdir(parents=True)
    (content / "img" / "screens" / "first.png").write_bytes(MAP)
    config = load_config(project)
    assert [book.id for book in find_books(config)] == ["README"]
    build(dataclasses.replace(config, formats=("html",)), engine="pseudo")
    assert sorted(p.name for p in (project / "output" / "en").iterdir()) == ["README.html"]
    html = (project / "output" / "en" / "README.html").read_text()
    src = "data:image/png;base64," + base64.b64encode(MAP).decode()
    assert html.count(f'<img src="{src}"') == 2
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


@needs_poppler
def test_pdf_and_epub_editions_carry_the_picture(atlas: Path) -> None:
    built(atlas, "pdf", "epub")
    for slug in ("en", "es", "en-es"):
        pdf = atlas / "output" / slug / "atlas.pdf"
        listing = subprocess.run(
            ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True
        ).stdout.splitlines()[2:]
        assert len(listing) == 1, slug
        with zipfile.ZipFile(atlas / "output" / slug / "atlas.epub") as epub:
            pictures = [n for n in epub.namelist() if n.startswith("OEBPS/images/image-")]
            assert len(pictures) == 1 and epub.read(pictures[0]) == MAP
            page = next(n for n in epub.namelist() if n.endswith(".xhtml") and "section" in n)
            assert f'src="{pictures[0].removeprefix("OEBPS/")}"' in epub.read(page).decode()


def test_changing_a_picture_rebuilds_the_editions(atlas: Path) -> None:
    built(atlas, "html")
    again = dataclasses.replace(load_config(atlas), formats=("html",))
    assert build(again, engine="pseudo", books=["atlas"]).written == []
    (atlas / "content" / "en" / "atlas" / "maps" / "region map.png").write_bytes(MAP + b"\0")
    written = build(again, engine="pseudo", books=["atlas"]).written
    assert {p.relative_to(atlas).as_posix() for p in written} == {
        "output/en/atlas.html",
        "output/es/atlas.html",
        "output/en-es/atlas.html",
    }
    html = (atlas / "output" / "en" / "atlas.html").read_text()
    assert base64.b64encode(MAP + b"\0").decode() in html


def test_embedder_reads_each_file_once_and_refuses_what_is_not_a_picture(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(MAP)
    (tmp_path / "notes.txt").write_text("not a picture")
    embed = ImageEmbedder(tmp_path, tmp_path)
    first = embed("a.png")
    (tmp_path / "a.png").unlink()
    assert first is not None and first.startswith("data:image/png;base64,")
    assert embed("./a.png") == first  # the same file, already read
    assert embed("notes.txt") == ""
    assert embed("data:image/png;base64,AAAA") is None  # already embedded: kept
    assert embed("a%00.png") == ""  # refused, reported, never a crash
    assert embed("x" * 300 + ".png") == ""


def test_epub_keeps_a_picture_of_several_megabytes_and_what_follows_it() -> None:
    big = MAP + bytes(8 * 2**20)  # a data: URL over lxml's 10 MB attribute limit
    files = epub_of(
        f"![a big map](data:image/png;base64,{base64.b64encode(big).decode()})\n\nAfter it.\n"
    )
    assert [files[n] for n in files if n.startswith("OEBPS/images/image-")] == [big]
    assert any(b"After it." in data for name, data in files.items() if name.endswith(".xhtml"))


def epub_of(markdown: str) -> dict[str, bytes]:
    doc = parse_document(f"# Book\n\n## One\n\n{markdown}", "book.md")
    edition = assemble(doc, lang="en", source_lang="en", title="Book", author="A")
    data = render_epub(edition, modified=datetime(2026, 1, 1, tzinfo=UTC))
    with zipfile.ZipFile(io.BytesIO(data)) as epub:
        return {name: epub.read(name) for name in epub.namelist()}


def test_epub_packages_data_pictures_once_by_content_and_drops_broken_ones(
    caplog: pytest.LogCaptureFixture,
) -> None:
    good = "data:image/png;base64," + base64.b64encode(MAP).decode()
    files = epub_of(
        f"![one]({good}) ![again]({good})\n\n"
        "![broken](data:image/png;base64,not*base64)\n\n"
        "![empty](data:image/png;base64,)\n"
    )
    pictures = [n for n in files if n.startswith("OEBPS/images/image-")]
    assert [files[n] for n in pictures] == [MAP]
    assert sum("left out" in r.getMessage() for r in caplog.records) == 2


def test_a_figure_is_a_segment_so_its_description_gets_translated(atlas: Path) -> None:
    built(atlas, "html")
    po = (atlas / "content" / "es" / "atlas.po").read_text()
    assert 'msgid "![The map of the region](maps/region%20map.png)"' in po
    doc = parse_document("![](a.png) ![1](b.png)\n\nText.\n", "x.md")
    assert [s.source for s in doc.segments] == ["Text."], "no words, nothing to translate"


def test_site_absolute_pictures_start_from_the_book_or_its_language_folder(
    project: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Hugo serves its static folder from the site's root, MkDocs its docs folder:
    ``/images/x.png`` is the language's ``images/x.png``, else the book's."""
    posts = project / "content" / "en" / "posts"
    (posts / "img").mkdir(parents=True)
    (posts / "img" / "boats.png").write_bytes(MAP)
    (project / "content" / "en" / "images").mkdir()
    (project / "content" / "en" / "images" / "harbour.png").write_bytes(MAP)
    (posts / "walk.md").write_text(
        '+++\ntitle = "A walk"\n+++\n\n![The harbour](/images/harbour.png)\n\n'
        '{{< figure src="/img/boats.png" caption="Boats" >}}\n\n'
        "![Gone](/images/gone.png)\n"
    )
    toml = project / "pipeline.toml"
    toml.write_text(toml.read_text() + '\n[books.posts]\nchapters = ["walk.md"]\n')
    config = dataclasses.replace(load_config(project), formats=("html",), bilingual=False)
    with caplog.at_level(logging.WARNING):
        build(config, engine="pseudo", books=["posts"], langs=["en"])
    page = (project / "output" / "en" / "posts.html").read_text()
    assert page.count('src="data:image/png;base64,') == 2
    assert "Gone" in page and "/images/gone.png" not in page  # its description instead
    [warning] = [r.getMessage() for r in caplog.records if "gone.png" in r.getMessage()]
    assert "content/en/posts/walk.md:9: image /images/gone.png is not there" in warning
    assert "starts from the language's folder or the book's" in warning
