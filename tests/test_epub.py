"""EPUB 3 editions: valid (epubcheck), complete, reproducible, readable offline."""

from __future__ import annotations

import dataclasses
import io
import logging
import re
import shutil
import subprocess
import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from pipeline.build import render, translate
from pipeline.config import load_config
from pipeline.render.epub import render_epub
from pipeline.render.model import Edition, Section, TocEntry

EPOCH = 1700000000
EPUBCHECK = Path("/usr/share/java/epubcheck.jar")
BOOK = "executive-summary"
NS = {
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "x": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
}
PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108000000003a7e9b55"
    "0000000a49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)


ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def epubs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The seed book's EPUBs (en, es, en-es), built with the pseudo engine."""
    project = tmp_path_factory.mktemp("epub") / "book"
    project.mkdir()
    shutil.copy(ROOT / "pipeline.toml", project / "pipeline.toml")
    shutil.copytree(ROOT / "content" / "en", project / "content" / "en")
    config = dataclasses.replace(load_config(project), formats=("epub",))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
        translate(config, engine="pseudo")
        render(config)
    return {slug: project / "output" / slug / f"{BOOK}.epub" for slug in ("en", "es", "en-es")}


def epubcheck(path: Path) -> subprocess.CompletedProcess[str]:
    java = shutil.which("java")
    assert java and EPUBCHECK.is_file(), (
        "epubcheck is not installed: run `bash scripts/setup.sh test` "
        "(apt-get install -y epubcheck default-jre-headless)"
    )
    return subprocess.run(
        [java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", str(EPUBCHECK), str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def with_image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An EPUB with a local image, a remote one, and links between its files."""
    folder = tmp_path_factory.mktemp("image")
    (folder / "pic.png").write_bytes(PNG_1X1)
    body = (
        '<p><img src="pic.png" alt="a dot"></p>\n'
        '<p>Far: <img src="https://example.com/x.png" alt="a remote picture"> here.</p>\n'
        '<p><img src="../secret.png" alt="outside"></p>\n'
    )
    path = folder / "book.epub"
    path.write_bytes(render_epub(edition(body), modified=MODIFIED, base_url=folder))
    return path


def test_epubcheck_finds_no_errors_or_warnings(epubs: dict[str, Path], with_image: Path) -> None:
    # epubcheck takes 7 s of CPU a book: check the bilingual book, and a one-language
    # draft with images and links between files (the seed book's en and es are built
    # the same way).
    books = {"en-es": epubs["en-es"], "with an image": with_image}
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(books, pool.map(epubcheck, books.values()), strict=True))
    for slug, result in results.items():
        output = result.stdout + result.stderr
        assert result.returncode == 0, f"{slug}:\n{output}"
        assert "Messages: 0 fatals / 0 errors / 0 warnings" in output, f"{slug}:\n{output}"


def read(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def xml(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def test_package_layout_is_fixed(epubs: dict[str, Path]) -> None:
    with zipfile.ZipFile(epubs["en-es"]) as archive:
        infos = archive.infolist()
    names = [info.filename for info in infos]
    assert names[:4] == [
        "mimetype",
        "META-INF/container.xml",
        "OEBPS/content.opf",
        "OEBPS/cover.xhtml",
    ]
    assert infos[0].compress_type == zipfile.ZIP_STORED and not infos[0].extra
    assert {info.date_time for info in infos} == {(2023, 11, 14, 22, 13, 20)}
    assert "OEBPS/nav.xhtml" in names and "OEBPS/images/cover.png" in names
    assert sorted(n for n in names if n.startswith("OEBPS/fonts/")) == [
        "OEBPS/fonts/LinLibertine_R.otf",
        "OEBPS/fonts/LinLibertine_RB.otf",
        "OEBPS/fonts/LinLibertine_RBI.otf",
        "OEBPS/fonts/LinLibertine_RI.otf",
    ]


@pytest.mark.parametrize(
    ("slug", "languages"), [("en", ["en"]), ("es", ["es"]), ("en-es", ["en", "es"])]
)
def test_metadata_names_title_author_languages_and_date(
    epubs: dict[str, Path], slug: str, languages: list[str]
) -> None:
    files = read(epubs[slug])
    opf = xml(files["OEBPS/content.opf"])
    assert opf.xpath("//dc:language/text()", namespaces=NS) == languages
    assert opf.xpath("//dc:creator/text()", namespaces=NS) == ["Ignacio De León"]
    title = opf.xpath("//dc:title/text()", namespaces=NS)[0]
    assert title.startswith("From Pablo Escobar to the Tren de Aragua" if slug != "es" else "[!!")
    modified = opf.xpath("//opf:meta[@property='dcterms:modified']/text()", namespaces=NS)
    assert modified == ["2023-11-14T22:13:20Z"]
    identifier = opf.xpath("//dc:identifier/text()", namespaces=NS)[0]
    assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", identifier)
    features = opf.xpath(
        "//opf:meta[@property='schema:accessibilityFeature']/text()", namespaces=NS
    )
    assert "tableOfContents" in features and "structuralNavigation" in features
    cover = opf.xpath("//opf:item[@properties='cover-image']/@href", namespaces=NS)
    assert cover == ["images/cover.png"]
    spine = opf.xpath("//opf:itemref/@idref", namespaces=NS)
    assert spine[:3] == ["f-cover-xhtml", "f-title-xhtml", "f-nav-xhtml"]
    assert spine[-1] == "f-colophon-xhtml"


def test_identifiers_differ_between_editions(epubs: dict[str, Path]) -> None:
    ids = {
        xml(read(path)["OEBPS/content.opf"]).xpath("//dc:identifier/text()", namespaces=NS)[0]
        for path in epubs.values()
    }
    assert len(ids) == 3


def test_navigation_lists_every_heading_and_every_link_resolves(epubs: dict[str, Path]) -> None:
    files = read(epubs["en-es"])
    nav = xml(files["OEBPS/nav.xhtml"])
    entries = nav.xpath("//x:nav[@epub:type='toc']//x:li/x:a", namespaces=NS)
    assert len(entries) == 7  # the chapter and its six sections
    first = entries[0]
    assert first.xpath("string(x:span[1])", namespaces=NS) == "EXECUTIVE SUMMARY"
    translated = first.xpath("x:span[2]", namespaces=NS)[0]
    assert translated.get("lang") == "es"
    assert translated.get("{http://www.w3.org/XML/1998/namespace}lang") == "es"
    landmarks = nav.xpath("//x:nav[@epub:type='landmarks']//x:a/@epub:type", namespaces=NS)
    assert landmarks == ["cover", "titlepage", "toc", "bodymatter"]
    ids = {
        (name.removeprefix("OEBPS/"), ident)
        for name, data in files.items()
        if name.endswith(".xhtml")
        for ident in xml(data).xpath("//@id")
    }
    for name, data in files.items():
        if not name.endswith(".xhtml"):
            continue
        for href in xml(data).xpath("//x:a/@href", namespaces=NS):
            if href.startswith(("http:", "https:")) or href == "#" or "#" not in href:
                continue
            target, _, ident = href.partition("#")
            assert (target or name.removeprefix("OEBPS/"), ident) in ids, (name, href)


def test_bilingual_book_stacks_each_translation_under_its_source(epubs: dict[str, Path]) -> None:
    section = xml(read(epubs["en-es"])["OEBPS/section-1.xhtml"])
    rows = section.xpath("//x:div[contains(@class, 'row')]", namespaces=NS)
    assert len(rows) == 55
    for row in rows:
        source, translation = row.xpath("x:div", namespaces=NS)
        assert source.get("lang") == "en" and translation.get("lang") == "es"
        assert translation.get("{http://www.w3.org/XML/1998/namespace}lang") == "es"
    css = read(epubs["en-es"])["OEBPS/css/book.css"].decode()
    assert '@font-face {\n  font-family: "Linux Libertine O";' in css
    assert 'src: url("../fonts/LinLibertine_RI.otf")' in css


def test_title_page_names_the_author_and_the_draft(epubs: dict[str, Path]) -> None:
    title = read(epubs["es"])["OEBPS/title.xhtml"].decode()
    assert "Ignacio De León" in title
    assert "Borrador" in title and "59 de 59 segmentos" in title
    en = read(epubs["en"])["OEBPS/title.xhtml"].decode()
    assert "By Ignacio De León" in en and "draft-note" not in en


def test_fonts_are_subsets_that_hold_what_the_book_uses(epubs: dict[str, Path]) -> None:
    from fontTools.ttLib import TTFont

    files = read(epubs["es"])
    font = TTFont(io.BytesIO(files["OEBPS/fonts/LinLibertine_R.otf"]))
    cmap = font.getBestCmap()
    text = "".join(
        "".join(xml(data).xpath("//x:body//text()", namespaces=NS))
        for name, data in files.items()
        if name.endswith(".xhtml")
    )
    used = {char for char in text if not char.isspace()} - {"\u2060"}  # invisible joiner
    assert used >= set("ÁáéíóñÑ«»")
    assert not {char for char in used if ord(char) not in cmap}
    assert ord("◆") in cmap  # a draft's mark, added by the stylesheet
    assert ord("ж") not in cmap  # subset: Cyrillic is in the full font, not in the book
    assert len(files["OEBPS/fonts/LinLibertine_R.otf"]) < 150_000


def test_cover_is_a_png_of_the_usual_proportions(epubs: dict[str, Path]) -> None:
    from PIL import Image

    cover = Image.open(io.BytesIO(read(epubs["en-es"])["OEBPS/images/cover.png"]))
    assert cover.format == "PNG" and cover.size == (1400, 2100)


# --------------------------------------------------------------------------- hand-made editions


def edition(body: str) -> Edition:
    return Edition(
        book_id="manual",
        lang="en",
        source_lang="en",
        title="Manual: A Test",
        author="Ana García",
        title_page_html='<h1 id="manual">Manual</h1>\n',
        toc=[TocEntry(2, "one", "One"), TocEntry(2, "two", "Two")],
        sections=[
            Section("one", '<h2 id="one">One</h2>\n<p>See <a href="#two">two</a>.</p>\n' + body),
            Section("two", '<h2 id="two">Two</h2>\n<p>Back to <a href="#one">one</a>.<br></p>\n'),
        ],
        colophon=["Made by hand."],
        counts={"machine": 3, "reviewed": 1},
    )


MODIFIED = datetime.fromtimestamp(EPOCH, UTC)


def test_same_edition_and_date_give_the_same_bytes() -> None:
    first = render_epub(edition(""), modified=MODIFIED)
    assert render_epub(edition(""), modified=MODIFIED) == first
    later = render_epub(edition(""), modified=datetime(2024, 5, 1, tzinfo=UTC))
    assert later != first
    assert read_bytes(later)["OEBPS/section-1.xhtml"] == read_bytes(first)["OEBPS/section-1.xhtml"]


def test_font_subsets_and_cover_kept_between_builds_give_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.render import epub

    first = render_epub(edition(""), modified=MODIFIED)
    folder = tmp_path / ".pipeline-cache" / "epub-fonts"
    epub._subset.cache_clear()
    assert render_epub(edition(""), modified=MODIFIED, font_cache=folder) == first
    kept = sorted(folder.glob("*.otf"))
    assert len(kept) >= 4, "the four faces of the book font are kept"

    # The next build (another process) subsets nothing: it reads what was kept.
    def no_subsetting(*args: object) -> bytes:
        raise AssertionError("subset again")

    def no_drawing(*args: object) -> bytes:
        raise AssertionError("cover drawn again")

    assert len(list(folder.glob("cover-*.png"))) == 1, "the cover is kept too"
    subset, cover = epub._subset, epub._cover
    monkeypatch.setattr(epub, "_subset", no_subsetting)
    monkeypatch.setattr(epub, "_cover", no_drawing)
    assert render_epub(edition(""), modified=MODIFIED, font_cache=folder) == first
    monkeypatch.setattr(epub, "_cover", cover)
    # A new character is a new subset; a damaged entry is made again, not used.
    monkeypatch.setattr(epub, "_subset", subset)
    kept[0].write_bytes(kept[0].read_bytes()[:-10])
    epub._subset.cache_clear()
    assert render_epub(edition(""), modified=MODIFIED, font_cache=folder) == first
    other = render_epub(edition("<p>Caŵl</p>"), modified=MODIFIED, font_cache=folder)
    assert len(list(folder.glob("*.otf"))) > len(kept)
    assert other != first


def read_bytes(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_html_becomes_xhtml_and_links_reach_other_files() -> None:
    files = read_bytes(render_epub(edition(""), modified=MODIFIED))
    one = files["OEBPS/section-1.xhtml"].decode()
    two = files["OEBPS/section-2.xhtml"].decode()
    assert '<a href="section-2.xhtml#two">two</a>' in one
    assert '<a href="section-1.xhtml#one">one</a>.<br/>' in two
    assert one.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n')
    xml(files["OEBPS/section-1.xhtml"])  # well-formed


def test_local_images_are_packaged_and_remote_ones_become_text(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "pic.png").write_bytes(PNG_1X1)
    body = (
        '<p><img src="pic.png" alt="a dot"></p>\n'
        '<p>Far: <img src="https://example.com/x.png" alt="a remote picture"> here.</p>\n'
        '<p><img src="../secret.png" alt="outside"></p>\n'
    )
    with caplog.at_level(logging.WARNING):
        data = render_epub(edition(body), modified=MODIFIED, base_url=tmp_path)
    files = read_bytes(data)
    images = [n for n in files if n.startswith("OEBPS/images/") and "cover" not in n]
    assert len(images) == 1 and files[images[0]] == PNG_1X1
    section = files["OEBPS/section-1.xhtml"].decode()
    assert f'<img src="{images[0].removeprefix("OEBPS/")}" alt="a dot"/>' in section
    assert "<p>Far: a remote picture here.</p>" in section
    assert "https://example.com" not in section and "secret" not in section
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 2
    opf = xml(files["OEBPS/content.opf"])
    modes = opf.xpath("//opf:meta[@property='schema:accessMode']/text()", namespaces=NS)
    assert modes == ["textual", "visual"]


def test_edition_date_comes_from_source_date_epoch_or_the_newest_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from pipeline.errors import ConfigError
    from pipeline.project import BookSession, find_books
    from pipeline.render.publish import edition_date

    project = tmp_path / "book"
    project.mkdir()
    shutil.copy(ROOT / "pipeline.toml", project / "pipeline.toml")
    shutil.copytree(ROOT / "content" / "en", project / "content" / "en")
    config = load_config(project)
    book = find_books(config)[0]
    session = BookSession.open(config, book)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    assert edition_date(session) == MODIFIED
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ConfigError, match="SOURCE_DATE_EPOCH"):
        edition_date(session)
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    os.utime(book.inputs()[0], (1_600_000_000, 1_600_000_000))
    assert edition_date(session) == datetime.fromtimestamp(1_600_000_000, UTC)


def test_spanish_navigation_speaks_spanish(epubs: dict[str, Path]) -> None:
    nav = xml(read(epubs["es"])["OEBPS/nav.xhtml"])
    assert nav.get("lang") == "es"
    landmarks = nav.xpath("//x:nav[@epub:type='landmarks']//x:a/text()", namespaces=NS)
    assert landmarks[:3] == ["Cubierta", "Portada", "Índice"]
