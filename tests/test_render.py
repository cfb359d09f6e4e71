"""The renderers, judged by what a reader gets: the HTML file and the printed PDF.

Editions are built by hand here; the PDFs are rendered once per module and
inspected with poppler's command-line tools, the way a reader's PDF viewer
would see them.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import logging
import re
import shutil
import socket
import struct
import subprocess
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import PIL.Image
import pyphen
import pytest

from pipeline.errors import RenderError
from pipeline.render import (
    Edition,
    Section,
    TocEntry,
    check_fonts,
    offline_url_fetcher,
    render_html,
    render_pdf,
)
from pipeline.render import pdf as pdf_module
from pipeline.render.html import running_title

EPOCH = "1700000000"
MARKS = "\u25c6\u25b2\u25cb"  # the signs set after unreviewed blocks: machine, needs-review, new


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


PNG_1X1 = (
    b"\x89PNG\r\n\x1a\n"
    + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))  # 1x1, 8-bit grey
    + _png_chunk(b"IDAT", zlib.compress(b"\x00\x00"))
    + _png_chunk(b"IEND", b"")
)

# --------------------------------------------------------------------------- editions

ES_TEXT = (
    "La internacionalización de los procedimientos administrativos y la descentralización "
    "de las responsabilidades constitucionales exigen una documentación extraordinariamente "
    "meticulosa, comprensible y verificable por cualquier lectora interesada. "
    "Los traductores profesionales consideran imprescindible la corresponsabilidad "
    "interdepartamental cuando la terminología especializada evoluciona rápidamente."
)
EN_TEXT = (
    "The internationalization of administrative procedures and the decentralization of "
    "constitutional responsibilities demand extraordinarily meticulous documentation, "
    "comprehensible and verifiable by any interested reader. Professional translators "
    "consider interdepartmental accountability indispensable whenever specialized "
    "terminology evolves unexpectedly."
)


def paragraphs(text: str, n: int) -> str:
    """``n`` paragraphs of ``text``, as the Markdown renderer would write them."""
    return f"<p>{text}</p>\n" * n


def spanish_edition() -> Edition:
    """A Spanish draft: title page, three chapters with sections, every kind of mark."""
    intro = (
        '<h2 id="introduccion">Introducción</h2>\n'
        + paragraphs(ES_TEXT, 2)
        + '<p class="unreviewed" data-state="machine">Este párrafo es una traducción automática '
        "que nadie ha revisado todavía; sus marcas deben verse en la pantalla y en el papel.</p>\n"
        + paragraphs(ES_TEXT, 1)
        + '<h3 id="por-que-traducir">Por qué traducir</h3>\n'
        + paragraphs(ES_TEXT, 2)
        + "<ul>\n<li>Primera ventaja: coherencia terminológica.</li>\n"
        '<li class="unreviewed" data-state="machine">Segunda ventaja: rapidez.</li>\n'
        "<li>Tercera ventaja: <em>trazabilidad</em> de cada decisión.</li>\n</ul>\n"
        "<blockquote>\n<p>«La traducción es el arte de la aproximación.»</p>\n</blockquote>\n"
        + paragraphs(ES_TEXT, 2)
    )
    method = (
        '<h2 id="metodo">Método de trabajo</h2>\n'
        + paragraphs(ES_TEXT, 1)
        + '<h3 id="segmentacion">Segmentación</h3>\n'
        + paragraphs(ES_TEXT, 2)
        + '<p class="unreviewed" data-state="new" lang="en">This paragraph has not been '
        "translated yet, so it is shown in the original English.</p>\n"
        "<table>\n<thead><tr><th>Estado</th><th>Segmentos</th></tr></thead>\n<tbody>\n"
        "<tr><td>revisado</td><td>118</td></tr>\n"
        '<tr><td class="unreviewed" data-state="machine">automático</td><td>9</td></tr>\n'
        "</tbody>\n</table>\n"
        "<pre><code>pipeline build --lang es --draft\n</code></pre>\n"
        '<h3 id="revision">Revisión</h3>\n'
        '<p class="unreviewed" data-state="needs-review">El texto original de este párrafo '
        "cambió después de la revisión, por eso hay que revisarlo de nuevo.</p>\n"
        + paragraphs(ES_TEXT, 3)
    )
    conclusions = (
        '<h2 id="conclusiones">Conclusiones</h2>\n'
        + paragraphs(ES_TEXT, 10)
        + '<h3 id="trabajo-futuro">Trabajo futuro</h3>\n'
        + paragraphs(ES_TEXT, 2)
    )
    return Edition(
        book_id="manual",
        lang="es",
        source_lang="en",
        title="Manual de publicación multilingüe",
        author="Ana García",
        title_page_html=(
            '<h1 id="manual">Manual de publicación multilingüe</h1>\n'
            "<p>Ana García</p>\n<p>Primera edición</p>\n"
        ),
        toc=[
            TocEntry(2, "introduccion", "Introducción"),
            TocEntry(3, "por-que-traducir", "Por qué traducir"),
            TocEntry(2, "metodo", "Método de trabajo"),
            TocEntry(3, "segmentacion", "Segmentación"),
            TocEntry(3, "revision", "Revisión"),
            TocEntry(2, "conclusiones", "Conclusiones"),
            TocEntry(3, "trabajo-futuro", "Trabajo futuro"),
        ],
        sections=[
            Section("introduccion", intro),
            Section("metodo", method),
            Section("conclusiones", conclusions),
        ],
        counts={"reviewed": 118, "machine": 9, "new": 2, "needs-review": 1},
        colophon=[
            "Traducción automática: apertium 3.8.3 (apertium-eng-spa 0.8.1)",
            "Revisión: Ana García",
        ],
    )


def english_edition() -> Edition:
    """A reviewed (final) English edition."""
    return Edition(
        book_id="manual",
        lang="en",
        source_lang="en",
        title="A Handbook of Multilingual Publishing: From Manuscript to Book",
        author="John Smith",
        title_page_html=(
            '<h1 id="handbook">A Handbook of Multilingual Publishing</h1>\n'
            "<p><em>From Manuscript to Book</em></p>\n<p>John Smith</p>\n"
        ),
        toc=[
            TocEntry(2, "introduction", "Introduction"),
            TocEntry(3, "why-translate", "Why translate"),
            TocEntry(2, "method", "Method"),
        ],
        sections=[
            Section(
                "introduction",
                '<h2 id="introduction">Introduction</h2>\n'
                + paragraphs(EN_TEXT, 3)
                + '<h3 id="why-translate">Why translate</h3>\n'
                + paragraphs(EN_TEXT, 3),
            ),
            Section("method", '<h2 id="method">Method</h2>\n' + paragraphs(EN_TEXT, 14)),
        ],
        counts={"reviewed": 40},
        colophon=["Written by John Smith."],
    )


# --------------------------------------------------------------------------- HTML helpers


@dataclass
class Element:
    """An element of a parsed HTML document, with its text and its ancestors."""

    tag: str
    attrs: dict[str, str]
    parents: tuple[Element, ...]
    text: str = ""

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def inside(self, tag: str, cls: str | None = None) -> bool:
        return any(p.tag == tag and (cls is None or cls in p.classes) for p in self.parents)


@dataclass
class Page:
    """A parsed HTML document."""

    elements: list[Element] = field(default_factory=list)

    def all(self, tag: str, cls: str | None = None) -> list[Element]:
        return [e for e in self.elements if e.tag == tag and (cls is None or cls in e.classes)]

    def one(self, tag: str, cls: str | None = None) -> Element:
        found = self.all(tag, cls)
        assert len(found) == 1, f"expected one <{tag} class={cls}>, found {len(found)}"
        return found[0]

    def by_id(self, ident: str) -> Element:
        found = [e for e in self.elements if e.attrs.get("id") == ident]
        assert len(found) == 1, f"expected one element with id={ident!r}, found {len(found)}"
        return found[0]


class _Parser(HTMLParser):
    VOID = frozenset(
        {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
        | {"track", "wbr"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.stack: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs}, tuple(self.stack))
        self.page.elements.append(element)
        if tag not in self.VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                break

    def handle_data(self, data: str) -> None:
        for element in self.stack:
            element.text += data


def parse(html: str) -> Page:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.page


def squash(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------- HTML tests


@pytest.fixture(scope="module")
def spanish_html() -> str:
    return render_html(spanish_edition())


def test_html_is_one_self_contained_file(spanish_html: str) -> None:
    page = parse(spanish_html)
    assert spanish_html.startswith("<!DOCTYPE html>\n")
    assert not page.all("link") and not page.all("script") and not page.all("iframe")
    assert "http://" not in spanish_html and "https://" not in spanish_html
    assert "url(" not in spanish_html and "@import" not in spanish_html
    assert not [e for e in page.elements if "src" in e.attrs]
    assert all(e.attrs["href"].startswith("#") for e in page.all("a"))
    style = page.one("style")
    assert "Linux Libertine O" in style.text and "@page" in style.text


def test_html_head_names_language_title_and_author(spanish_html: str) -> None:
    page = parse(spanish_html)
    assert page.one("html").attrs["lang"] == "es"
    metas = {m.attrs.get("name"): m.attrs.get("content") for m in page.all("meta")}
    assert any(m.attrs.get("charset", "").lower() == "utf-8" for m in page.all("meta"))
    assert page.one("title").text == "Manual de publicación multilingüe"
    assert metas["author"] == "Ana García"
    assert metas["generator"] == "pipeline"
    assert "width=device-width" in (metas["viewport"] or "")


def test_html_has_title_page_contents_body_and_colophon_in_order(spanish_html: str) -> None:
    page = parse(spanish_html)
    order = [e.tag for e in page.elements if e.tag in ("header", "nav", "main", "footer")]
    assert order == ["header", "nav", "main", "footer"]
    header = page.one("header", "title-page")
    assert page.one("h1").parents[-1] is header
    assert "Ana García" in header.text
    colophon = page.one("footer", "colophon")
    assert squash(colophon.text).startswith("Colofón")
    assert "apertium 3.8.3 (apertium-eng-spa 0.8.1)" in colophon.text
    assert "Revisión: Ana García" in colophon.text


def test_toc_lists_every_heading_nested_and_links_to_it(spanish_html: str) -> None:
    edition = spanish_edition()
    page = parse(spanish_html)
    nav = page.one("nav", "toc")
    heading = page.by_id(nav.attrs["aria-labelledby"])
    assert heading.parents[-1] is nav and heading.text == "Índice"
    links = [a for a in page.all("a") if a.inside("nav", "toc")]
    assert [(a.attrs["href"], a.text) for a in links] == [
        (f"#{entry.anchor}", entry.text) for entry in edition.toc
    ]
    for link, entry in zip(links, edition.toc, strict=True):
        target = page.by_id(entry.anchor)
        assert target.tag == f"h{entry.level}" and target.inside("main")
        depth = sum(1 for p in link.parents if p.tag == "ol" and p.inside("nav"))
        assert depth == entry.level - 1  # chapters in the outer list, sections one list deeper


def test_each_section_is_labelled_by_its_heading(spanish_html: str) -> None:
    page = parse(spanish_html)
    sections = [s for s in page.all("section") if s.inside("main")]
    assert [s.attrs["aria-labelledby"] for s in sections] == [
        "introduccion",
        "metodo",
        "conclusiones",
    ]
    for section in sections:
        assert page.by_id(section.attrs["aria-labelledby"]).parents[-1] is section


def test_plain_text_fields_are_escaped() -> None:
    edition = spanish_edition()
    edition.title = 'Guía <script>alert("x")</script> & "más"'
    edition.author = "O'Brien <b>"
    edition.colophon = ["<img src=x onerror=alert(1)>"]
    edition.toc = [TocEntry(2, "introduccion", "<i>Uno</i> & dos"), *edition.toc[1:]]
    html = render_html(edition)
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "<i>Uno" not in html
    page = parse(html)
    assert page.one("title").text == edition.title
    assert page.one("body").attrs["data-running-title"] == edition.title
    assert {m.attrs.get("content") for m in page.all("meta")} >= {"O'Brien <b>"}
    assert page.one("footer", "colophon").text.endswith("<img src=x onerror=alert(1)>\n")
    assert page.all("a")[0].text == "<i>Uno</i> & dos"


def test_draft_note_counts_the_unreviewed_segments(spanish_html: str) -> None:
    page = parse(spanish_html)
    note = page.one("div", "draft-note")
    assert note.inside("header", "title-page")
    assert "Borrador: 12 de 130 segmentos sin revisar" in squash(note.text)
    legend = {li.attrs["data-state"]: squash(li.text) for li in page.all("li", "legend-mark")}
    assert legend == {
        "machine": "9 Traducción automática sin revisar",
        "needs-review": "1 El original cambió después de la revisión: hay que revisarlo de nuevo",
        "new": "2 Sin traducir todavía: se muestra en el idioma original",
    }
    assert page.one("body").attrs["data-draft"] == "Borrador"


def test_english_labels_and_draft_wording() -> None:
    edition = spanish_edition()
    edition.lang = "en"
    page = parse(render_html(edition))
    assert page.by_id("toc-title").text == "Contents"
    assert "Draft: 12 of 130 segments not yet reviewed" in squash(
        page.one("div", "draft-note").text
    )
    legend = [squash(li.text) for li in page.all("li", "legend-mark")]
    assert legend[0] == "9 Machine translation, not reviewed"
    assert squash(page.one("footer", "colophon").text).startswith("Colophon")


@pytest.mark.parametrize(("lang", "contents"), [("es-MX", "Índice"), ("de", "Contents")])
def test_labels_follow_the_language_with_an_english_fallback(lang: str, contents: str) -> None:
    edition = spanish_edition()
    edition.lang = lang
    page = parse(render_html(edition))
    assert page.one("html").attrs["lang"] == lang
    assert page.by_id("toc-title").text == contents


def test_final_edition_has_no_draft_note() -> None:
    html = render_html(english_edition())
    page = parse(html)
    assert not page.all("div", "draft-note") and not page.all("li", "legend-mark")
    assert "data-draft" not in page.one("body").attrs
    assert "class" not in page.one("html").attrs
    assert "Draft" not in squash(page.one("header", "title-page").text)


def without_screen_only_rules(css: str) -> str:
    """``css`` without comments and ``@media screen`` blocks: what applies in print too."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    while (start := css.find("@media screen")) >= 0:
        depth, end = 0, css.index("{", start)
        while True:
            depth += {"{": 1, "}": -1}.get(css[end], 0)
            if depth == 0:
                break
            end += 1
        css = css[:start] + css[end + 1 :]
    return css


def test_unreviewed_states_each_have_their_own_mark(spanish_html: str) -> None:
    style = parse(spanish_html).one("style").text
    outside_screen_only = without_screen_only_rules(style)
    for state, sign in [("machine", "25C6"), ("needs-review", "25B2"), ("new", "25CB")]:
        if state != "machine":  # machine is the default look of .unreviewed
            assert f'[data-state="{state}"].unreviewed::before' in outside_screen_only
        assert f'content: "\\{sign}"' in outside_screen_only


@pytest.mark.parametrize(
    ("title", "head"),
    [
        ("Manual de publicación", "Manual de publicación"),
        ("From Escobar to the Tren de Aragua: How It Spread", "From Escobar to the Tren de Aragua"),
        ("Ulysses \u2014 A Novel", "Ulysses"),
        (": odd", ": odd"),
    ],
)
def test_running_heads_use_the_title_without_its_subtitle(title: str, head: str) -> None:
    assert running_title(title) == head
    edition = english_edition()
    edition.title = title
    page = parse(render_html(edition))
    assert page.one("body").attrs["data-running-title"] == head
    assert page.one("title").text == title  # the document keeps its full title


def test_html_is_deterministic(spanish_html: str) -> None:
    assert render_html(spanish_edition()) == spanish_html
    assert render_html(copy.deepcopy(spanish_edition())) == spanish_html


def test_toc_heading_id_does_not_clash_with_a_chapter_anchor() -> None:
    edition = english_edition()
    edition.toc = [TocEntry(2, "toc-title", "Contents of the box"), *edition.toc]
    edition.sections = [
        Section("toc-title", '<h2 id="toc-title">Contents of the box</h2>\n<p>x</p>\n'),
        *edition.sections,
    ]
    page = parse(render_html(edition))
    nav = page.one("nav", "toc")
    assert nav.attrs["aria-labelledby"] == "toc-title-2"
    assert page.by_id("toc-title-2").text == "Contents"


def test_importing_the_renderers_does_not_import_weasyprint() -> None:
    code = "import sys, pipeline.render; assert 'weasyprint' not in sys.modules, 'imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------- PDF helpers


@pytest.fixture(scope="session")
def poppler() -> None:
    """Fail, not skip, without poppler-utils: ``bash scripts/setup.sh test`` installs them."""
    missing = [t for t in ("pdftotext", "pdfinfo", "pdffonts", "pdfimages") if not shutil.which(t)]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} missing: apt-get install -y poppler-utils "
            "(bash scripts/setup.sh test installs it)"
        )


needs_poppler = pytest.mark.usefixtures("poppler")


def run(*command: str | int | Path) -> str:
    return subprocess.run(
        [str(c) for c in command], check=True, capture_output=True, text=True
    ).stdout


@dataclass
class Pdf:
    """A rendered edition: its HTML, the PDF file, and what a reader sees on each page."""

    edition: Edition
    html: str
    path: Path
    pages: list[list[str]]
    """Non-empty text lines of each page (index 0 is page 1)."""
    warnings: list[str]

    def info(self) -> dict[str, str]:
        lines = run("pdfinfo", self.path).splitlines()
        return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in lines)}

    def page_of(self, text: str, *, after: int = 0) -> int:
        """Number of the first page after page ``after`` with a line reading ``text``."""
        for number, lines in enumerate(self.pages, start=1):
            if number > after and text in (line.rstrip(" " + MARKS) for line in lines):
                return number
        raise AssertionError(f"{text!r} is on no page after page {after}")

    def text(self, number: int) -> str:
        """The text of page ``number`` as one line, words broken at line ends joined again."""
        return "\n".join(self.pages[number - 1]).replace("\u2010\n", "").replace("\n", " ")

    def page_with(self, text: str) -> str:
        """The text of the only page holding ``text``."""
        found = [n for n in range(1, len(self.pages) + 1) if text in self.text(n)]
        assert len(found) == 1, f"{text!r} is on {len(found)} pages"
        return self.text(found[0])

    def words_in_margins(self, number: int) -> list[str]:
        """Words printed in the head or foot margin of page ``number`` (running heads, folios)."""
        head, foot = 19 * 72 / 25.4, (210 - 24) * 72 / 25.4
        xml = run("pdftotext", "-bbox", "-f", number, "-l", number, self.path, "-")
        return [
            match[3]
            for match in re.finditer(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)<', xml)
            if float(match[2]) < head or float(match[1]) > foot
        ]


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def render_edition(edition: Edition, folder: Path) -> Pdf:
    """Render ``edition`` to a PDF in ``folder``, as ``pipeline build`` would, reproducibly."""
    html = render_html(edition)
    records = _Records()
    logger = logging.getLogger("pipeline")
    logger.addHandler(records)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
            data = render_pdf(html, base_url=folder)
    finally:
        logger.removeHandler(records)
    path = folder / f"{edition.book_id}.{edition.lang}.pdf"
    path.write_bytes(data)
    count = int(Pdf(edition, html, path, [], []).info()["Pages"])
    pages = [
        [line.strip() for line in run("pdftotext", "-f", n, "-l", n, path, "-").splitlines()]
        for n in range(1, count + 1)
    ]
    return Pdf(edition, html, path, [[ln for ln in p if ln] for p in pages], records.messages)


@pytest.fixture(scope="module")
def spanish_pdf(tmp_path_factory: pytest.TempPathFactory) -> Pdf:
    return render_edition(spanish_edition(), tmp_path_factory.mktemp("es"))


@pytest.fixture(scope="module")
def english_pdf(tmp_path_factory: pytest.TempPathFactory) -> Pdf:
    return render_edition(english_edition(), tmp_path_factory.mktemp("en"))


def toc_numbers(pdf: Pdf) -> tuple[int, dict[str, int]]:
    """The contents page and the page number it prints for each entry."""
    label = "índice" if pdf.edition.lang == "es" else "contents"
    toc_page = next(n for n, p in enumerate(pdf.pages, 1) if p and p[0].casefold() == label)
    printed = {}
    for line in pdf.pages[toc_page - 1]:
        if match := re.fullmatch(r"(?P<text>.+?)\s*(?:\.\s*)+(?P<page>\d+)", line):
            printed[match["text"]] = int(match["page"])
    return toc_page, printed


# --------------------------------------------------------------------------- PDF tests


@needs_poppler
def test_pdf_renders_without_warnings(spanish_pdf: Pdf, english_pdf: Pdf) -> None:
    assert spanish_pdf.warnings == []
    assert english_pdf.warnings == []


@needs_poppler
def test_pdf_text_is_extractable_and_has_every_heading(spanish_pdf: Pdf) -> None:
    text = "\n".join("\n".join(lines) for lines in spanish_pdf.pages)
    for entry in spanish_pdf.edition.toc:
        assert entry.text in text
    assert "Manual de publicación" in spanish_pdf.pages[0]
    assert "«La traducción es el arte de la aproximación.»" in text


@needs_poppler
@pytest.mark.parametrize("which", ["spanish_pdf", "english_pdf"])
def test_toc_page_numbers_point_to_the_headings(which: str, request: pytest.FixtureRequest) -> None:
    pdf: Pdf = request.getfixturevalue(which)
    toc_page, printed = toc_numbers(pdf)
    assert list(printed) == [entry.text for entry in pdf.edition.toc]
    for entry in pdf.edition.toc:
        assert printed[entry.text] == pdf.page_of(entry.text, after=toc_page), entry.text


def _text_shows(pdf: Path, page: int) -> int:
    """How many text-showing operators page ``page`` (from 1) of ``pdf`` draws."""
    import pikepdf

    with pikepdf.open(pdf) as doc:
        ops = pikepdf.parse_content_stream(doc.pages[page - 1])
        return sum(1 for _operands, op in ops if str(op) in ("Tj", "TJ", "'", '"'))


def _grey_page(pdf: Path, page: int, folder: Path) -> PIL.Image.Image:
    from PIL import Image

    stem = folder / f"{pdf.stem}-{page}"
    run("pdftoppm", "-f", page, "-l", page, "-r", 100, "-gray", "-singlefile", "-png", pdf, stem)
    return Image.open(f"{stem}.png").convert("L")


@needs_poppler
def test_dot_leaders_are_drawn_as_one_run_and_look_the_same(
    spanish_pdf: Pdf, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """WeasyPrint draws a leader's dots one text object each (800 on a page of
    contents, half the front matter's time); merged, the page reads and looks
    the same."""
    from PIL import ImageChops

    monkeypatch.setattr(pdf_module, "leaders_merged", contextlib.nullcontext)
    copies = render_edition(spanish_edition(), tmp_path)
    toc_page, printed = toc_numbers(spanish_pdf)
    assert len(printed) >= 5
    assert copies.pages == spanish_pdf.pages  # the same text on every page
    merged_ops, copied_ops = (_text_shows(p.path, toc_page) for p in (spanish_pdf, copies))
    # Each entry's dots: one run instead of one per dot.
    assert copied_ops - merged_ops >= 10 * len(printed), (merged_ops, copied_ops)
    pages = [_grey_page(p.path, toc_page, tmp_path) for p in (spanish_pdf, copies)]
    difference = ImageChops.difference(*pages)
    counts = difference.histogram()  # pixels by how much they changed, 0 to 255
    # Anti-aliasing of a few dots, a fraction of a pixel apart: nothing a reader sees.
    assert not any(counts[128:])
    assert sum(counts[1:]) < 0.002 * difference.width * difference.height


@needs_poppler
def test_pdf_metadata_and_tagging(spanish_pdf: Pdf) -> None:
    from pypdf import PdfReader

    info = spanish_pdf.info()
    assert info["Title"] == "Manual de publicación multilingüe"
    assert info["Author"] == "Ana García"
    assert info["Creator"] == "pipeline"
    assert info["Tagged"] == "yes"  # PDF/UA-1
    assert info["Page size"].startswith("419.528 x 595.276 pts")  # A5
    assert PdfReader(spanish_pdf.path).root_object["/Lang"] == "es"


@needs_poppler
def test_book_font_is_embedded_and_nothing_falls_back(spanish_pdf: Pdf) -> None:
    rows = run("pdffonts", spanish_pdf.path).splitlines()[2:]
    fonts = [(row.split()[0].partition("+")[2], row.split()[-5]) for row in rows]
    names = {name for name, _ in fonts}
    assert "Linux-Libertine-O" in names
    assert "Linux-Libertine-O-Italic" in names
    assert all(embedded == "yes" for _, embedded in fonts)
    assert all("Libertine" in name for name in names), names  # no DejaVu or other fallback


@needs_poppler
def test_title_page_has_no_running_head_or_folio(spanish_pdf: Pdf) -> None:
    assert spanish_pdf.pages[0][0] == "Manual de publicación"
    assert spanish_pdf.words_in_margins(1) == []
    assert spanish_pdf.pages[1] == []  # the back of the title page stays blank
    assert spanish_pdf.words_in_margins(3) == ["3", "BORRADOR"]  # contents: folio, no head


@needs_poppler
@pytest.mark.parametrize("which", ["spanish_pdf", "english_pdf"])
def test_running_heads_book_title_on_versos_section_on_rectos(
    which: str, request: pytest.FixtureRequest
) -> None:
    pdf: Pdf = request.getfixturevalue(which)
    _, printed = toc_numbers(pdf)
    chapters = {printed[e.text]: e.text for e in pdf.edition.toc if e.level == 2}
    titles = {e.text for e in pdf.edition.toc}
    seen = {"verso": 0, "recto": 0}
    colophon = len(pdf.pages)
    for number in range(min(chapters), colophon):
        lines = pdf.pages[number - 1]
        if not lines:
            continue
        if number in chapters:  # chapter openings carry no running head
            assert lines[0] == chapters[number]
        elif number % 2 == 0:
            assert lines[0].casefold() == running_title(pdf.edition.title).casefold(), number
            seen["verso"] += 1
        else:
            assert lines[0] in titles, number
            seen["recto"] += 1
    assert seen["verso"] and seen["recto"]


@needs_poppler
def test_draft_is_printed_in_the_foot_of_every_page_after_the_title(
    spanish_pdf: Pdf, english_pdf: Pdf
) -> None:
    for lines in spanish_pdf.pages[2:]:
        if lines:
            assert "BORRADOR" in lines
    assert not any("DRAFT" in line.upper() for p in english_pdf.pages for line in p)


@needs_poppler
def test_unreviewed_blocks_are_marked_in_print(spanish_pdf: Pdf) -> None:
    machine = spanish_pdf.page_with("nadie ha revisado todavía")
    assert "en el papel. \u25c6" in machine
    needs_review = spanish_pdf.page_with("hay que revisarlo de nuevo.")
    assert "revisarlo de nuevo. \u25b2" in needs_review
    new = spanish_pdf.page_with("original English.")
    assert "original English. \u25cb" in new
    legend = " ".join(spanish_pdf.pages[0])
    assert all(sign in legend for sign in MARKS)


def hyphenated_words(pdf: Pdf) -> list[tuple[str, str]]:
    """(before, after) the hyphen of every word broken at a line end."""
    broken = []
    for lines in pdf.pages:
        for line, following in itertools.pairwise(lines):
            if line.endswith("\u2010") and (match := re.match(r"\w+", following)):
                broken.append((line[:-1].split()[-1], match[0]))
    return broken


@needs_poppler
@pytest.mark.parametrize(
    ("which", "text", "other"),
    [("spanish_pdf", ES_TEXT, "en"), ("english_pdf", EN_TEXT, "es")],
)
def test_hyphenation_follows_the_edition_language(
    which: str, text: str, other: str, request: pytest.FixtureRequest
) -> None:
    pdf: Pdf = request.getfixturevalue(which)
    vocabulary = set(re.findall(r"\w+", text))
    breaks = [(a, b) for a, b in hyphenated_words(pdf) if a + b in vocabulary]
    assert len(breaks) >= 3
    # "en" means British patterns to pyphen (and so to WeasyPrint); "en-US" would be American.
    right = pyphen.Pyphen(lang=pyphen.language_fallback(pdf.edition.lang))
    wrong = pyphen.Pyphen(lang=other)
    assert all(len(a) in right.positions(a + b) for a, b in breaks), breaks
    assert any(len(a) not in wrong.positions(a + b) for a, b in breaks), breaks


@needs_poppler
def test_pdf_is_reproducible_with_source_date_epoch(
    spanish_pdf: Pdf, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    assert render_pdf(spanish_pdf.html, base_url=spanish_pdf.path.parent) == (
        spanish_pdf.path.read_bytes()
    )


@needs_poppler
def test_page_reference_cache_saves_work_and_changes_no_byte(
    spanish_pdf: Pdf, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pydyf

    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    original = pydyf.PDF.__dict__["page_references"]
    built: list[int] = []

    def counting(pdf: object) -> object:
        built.append(1)
        return original.fget(pdf)

    monkeypatch.setattr(pydyf.PDF, "page_references", property(counting))
    cached = render_pdf(spanish_pdf.html, base_url=spanish_pdf.path.parent)
    with_cache = len(built)
    assert pydyf.PDF.__dict__["page_references"].fget is counting, "restored after rendering"

    built.clear()
    monkeypatch.setattr(pdf_module, "_page_references_cached", contextlib.nullcontext)
    assert render_pdf(spanish_pdf.html, base_url=spanish_pdf.path.parent) == cached
    # Without the cache, the page list is built once per structure element.
    assert 1 <= with_cache <= len(spanish_pdf.pages) and len(built) > 10 * with_cache


# --------------------------------------------------------------------------- offline fetching


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Make any attempt to open a connection or resolve a name fail the test."""
    attempts: list[str] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(repr(args))
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    yield attempts
    assert attempts == []


def test_fetcher_refuses_remote_urls_without_touching_the_network(
    tmp_path: Path, no_network: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    fetcher = offline_url_fetcher([tmp_path])
    for url in ("http://example.com/x.png", "https://example.com/x.css", "ftp://example.com/x"):
        with pytest.raises(RenderError, match="refused"):
            fetcher.fetch(url)
    refused = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(refused) == 3 and "http://example.com/x.png" in refused[0].getMessage()


def test_fetcher_serves_only_files_inside_the_allowed_folders(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    book, elsewhere = tmp_path / "book", tmp_path / "elsewhere"
    book.mkdir()
    elsewhere.mkdir()
    (book / "pic.png").write_bytes(PNG_1X1)
    (elsewhere / "secret.png").write_bytes(PNG_1X1)
    fetcher = offline_url_fetcher([book])

    response = fetcher.fetch((book / "pic.png").as_uri())
    assert response.read() == PNG_1X1 and response.content_type == "image/png"
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"
    for url in (
        (elsewhere / "secret.png").as_uri(),
        (book / ".." / "elsewhere" / "secret.png").as_uri(),
        "file:///etc/passwd",
        "file://otherhost/share/pic.png",
    ):
        with pytest.raises(RenderError, match="refused"):
            fetcher.fetch(url)
    assert sum(r.levelno == logging.WARNING for r in caplog.records) == 4


@needs_poppler
def test_pdf_shows_local_images_and_skips_remote_ones(
    tmp_path: Path, no_network: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "pic.png").write_bytes(PNG_1X1)
    edition = english_edition()
    edition.sections = [
        Section(
            "method",
            '<h2 id="method">Method</h2>\n<p><img src="pic.png" alt="a dot"></p>\n'
            '<p><img src="http://example.com/x.png" alt="remote"></p>\n'
            '<p><img src="file:///etc/hostname" alt="elsewhere"></p>\n',
        )
    ]
    edition.toc = [TocEntry(2, "method", "Method")]
    path = tmp_path / "out.pdf"
    path.write_bytes(render_pdf(render_html(edition), base_url=tmp_path / "book.html"))
    assert len(run("pdfimages", "-list", path).splitlines()[2:]) == 1
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 2  # one each, not repeated by WeasyPrint
    assert warnings[0].startswith("refused to fetch http://example.com/x.png")
    assert warnings[1].startswith("refused to fetch file:///etc/hostname")


def test_damaged_images_are_skipped_or_reported_never_a_crash(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    html = '<!DOCTYPE html><html lang="en"><title>T</title><p><img src="pic.png" alt=""></p>'
    (tmp_path / "pic.png").write_bytes(PNG_1X1[:30])  # cut short: WeasyPrint skips it
    assert render_pdf(html, base_url=tmp_path).startswith(b"%PDF-")
    assert "Failed to load image" in caplog.text
    damaged = bytes.fromhex(  # a sound header, pixel data cut inside a chunk
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2b1a0"
        "9b0000000049454e44ae426082"
    )
    (tmp_path / "pic.png").write_bytes(damaged)  # fails only when the PDF is written
    with pytest.raises(RenderError, match="cannot lay out"):
        render_pdf(html, base_url=tmp_path)


# --------------------------------------------------------------------------- fonts, fallbacks


def test_check_fonts_finds_the_book_font() -> None:
    check_fonts()


@pytest.mark.parametrize("fc_list", [True, False], ids=["fc-list", "fontconfig"])
def test_check_fonts_explains_how_to_install_a_missing_font(
    fc_list: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not fc_list:
        monkeypatch.setattr(pdf_module, "_family_listed", lambda family: None)
        pdf_module._family_matched(pdf_module.BOOK_FONT)  # the real font is found this way too
        assert pdf_module._family_matched(pdf_module.BOOK_FONT)
    monkeypatch.setattr(pdf_module, "BOOK_FONT", "No Such Serif Family")
    with pytest.raises(RenderError) as caught:
        check_fonts()
    assert "No Such Serif Family" in str(caught.value)
    assert caught.value.hint == "apt-get install -y fonts-linuxlibertine"


def test_render_pdf_refuses_to_fall_back_to_another_font(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf_module, "BOOK_FONT", "No Such Serif Family")
    with pytest.raises(RenderError, match="not installed"):
        render_pdf("<!DOCTYPE html><title>x</title><p>x</p>")


@needs_poppler
def test_untagged_pdf_when_tagging_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(pdf_module, "PDF_VARIANT", "pdf/no-such-variant")
    path = tmp_path / "x.pdf"
    path.write_bytes(render_pdf('<!DOCTYPE html><html lang="en"><title>T</title><p>Body</p>'))
    assert "Body" in run("pdftotext", path, "-")
    assert any("untagged" in r.getMessage() for r in caplog.records)


@needs_poppler
def test_pdf_links_do_not_carry_the_path_of_the_machine(tmp_path: Path) -> None:
    from pypdf import PdfReader

    html = (
        '<!DOCTYPE html><html lang="en"><title>T</title>'
        '<p>Buy it <a href="#">here</a>, read <a href="notes.md">the notes</a>.</p>'
    )
    path = tmp_path / "links.pdf"
    path.write_bytes(render_pdf(html, base_url=tmp_path / "book.html"))
    uris = [
        str(annot.get_object()["/A"]["/URI"])
        for page in PdfReader(path).pages
        for annot in page.get("/Annots", [])
    ]
    assert uris == ["file:///pipeline-book/book.html", "file:///pipeline-book/notes.md"]
    assert str(tmp_path).encode() not in path.read_bytes()


# --------------------------------------------------------------------------- byline
# (typographic conventions: tests/test_lang.py)


def test_byline_is_added_when_the_title_page_lacks_the_author() -> None:
    edition = english_edition()
    assert 'class="byline"' not in render_html(edition)  # "John Smith" is on the title page
    edition.title_page_html = '<h1 id="handbook">A Handbook</h1>\n'
    page = parse(render_html(edition))
    byline = page.one("p", "byline")
    assert byline.text == "John Smith" and byline.inside("header", "title-page")
