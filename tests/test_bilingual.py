"""The bilingual edition: source and translation aligned, in HTML and PDF (columns, facing pages).

A small book is written here in English with its Spanish translation; every
paragraph and list item starts with a marker (``P03``, ``L1``) that reads the
same in both languages, so the PDF tests can find each block and its
counterpart with ``pdftotext -bbox`` and compare where they start.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import subprocess
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pyphen
import pytest

from pipeline.build import render, translate
from pipeline.config import load_config
from pipeline.errors import ConfigError
from pipeline.render import pdf_chapters
from pipeline.render.edition import assemble, assemble_bilingual
from pipeline.render.html import render_html, running_title
from pipeline.render.model import Edition
from pipeline.render.pdf import plan_spreads, render_pdf, render_pdf_facing
from pipeline.source.markdown import Document, parse_document

EPOCH = "1700000000"

SENTENCES = [
    (
        "The internationalization of administrative procedures and the decentralization of "
        "constitutional responsibilities demand extraordinarily meticulous documentation.",
        "La internacionalización de los procedimientos administrativos y la descentralización "
        "de las responsabilidades constitucionales exigen una documentación extraordinariamente "
        "meticulosa.",
    ),
    (
        "Professional translators consider interdepartmental accountability indispensable "
        "whenever specialized terminology evolves unexpectedly.",
        "Los traductores profesionales consideran imprescindible la corresponsabilidad "
        "interdepartamental cuando la terminología especializada evoluciona rápidamente.",
    ),
    (
        "Every paragraph of the source stands beside its translation, so that a reader can "
        "compare them line by line.",
        "Cada párrafo del original está junto a su traducción, para que una lectora pueda "
        "compararlos línea por línea.",
    ),
]


def paragraph(n: int, sentences: int) -> tuple[str, str]:
    """Paragraph ``n`` (marker ``Pnn``) of ``sentences`` sentences, in English and Spanish."""
    picked = [SENTENCES[(n + i) % len(SENTENCES)] for i in range(sentences)]
    en = " ".join(e for e, _ in picked)
    es = " ".join(s for _, s in picked)
    return f"P{n:02d} {en}", f"P{n:02d} {es}"


def book() -> tuple[str, dict[str, str]]:
    """The Markdown source and a map from each block's source text to its Spanish."""
    spanish: dict[str, str] = {}
    blocks: list[str] = []

    def add(en: str, es: str, prefix: str = "") -> None:
        spanish[en] = es
        blocks.append(prefix + en)

    add("A Handbook of Parallel Texts", "Manual de textos paralelos", "# ")
    add("By Ana García", "Por Ana García")
    add("Introduction", "Introducción", "## ")
    for n in range(1, 4):
        add(*paragraph(n, 1 + n % 3))
    blocks.append("")
    for n, (en, es) in enumerate(
        [
            ("the first item, short.", "el primer elemento, breve."),
            (
                "the second item, long enough to take several lines in a narrow column.",
                "el segundo elemento, lo bastante largo para ocupar varias líneas en una "
                "columna estrecha.",
            ),
        ],
        start=1,
    ):
        spanish[f"L{n} {en}"] = f"L{n} {es}"
        blocks[-1] += f"{n + 2}. L{n} {en}\n"
    add("Why translate", "Por qué traducir", "### ")
    add("Q1 A quotation, set apart.", "Q1 Una cita, aparte.", "> ")
    blocks.append("```\npipeline build --lang es\n```")
    for n in range(4, 9):
        add(*paragraph(n, 2 + n % 3))
    add("Method", "Método", "## ")
    add("Segmentation", "Segmentación", "### ")
    for n in range(9, 16):
        add(*paragraph(n, 1 + n % 4))
    add("The long one", "El largo", "### ")
    add(*paragraph(99, 24))
    blocks.append("---")
    add("Last words", "Últimas palabras", "### ")
    add(*paragraph(16, 2))
    return "\n\n".join(blocks) + "\n", spanish


@pytest.fixture(scope="module")
def doc() -> Document:
    return parse_document(book()[0], "manual.md")


def bilingual(doc: Document, **kwargs: object) -> Edition:
    """The English-Spanish edition of the test book, every translation machine-made."""
    spanish = book()[1]
    texts = {s.id: spanish[s.source] for s in doc.segments if s.source in spanish}
    options: dict[str, object] = {
        "source_lang": "en",
        "target_lang": "es",
        "title": "Handbook",
        "author": "Ana García",
        "texts": texts,
        "states": dict.fromkeys(texts, "machine"),
        "counts": {"machine": len(texts)},
        "colophon": ["Made by hand."],
        "translation_colophon": ["Hecho a mano."],
    }
    options.update(kwargs)
    return assemble_bilingual(doc, **options)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- assembly


def test_rows_pair_every_block_with_its_translation(doc: Document) -> None:
    edition = bilingual(doc)
    assert edition.bilingual and edition.languages == ("en", "es") and edition.slug == "en-es"
    rows = [row for section in edition.sections for row in section.rows]
    kinds = [row.kind for row in rows]
    assert kinds[:7] == [
        "heading",
        "paragraph",
        "paragraph",
        "paragraph",
        "list-item",
        "list-item",
        "heading",
    ]
    assert kinds[7:9] == ["quote", "shared"]
    for row in rows:
        if row.kind == "shared":
            assert row.translation_html is None
            continue
        assert row.translation_html is not None
        tags = [re.findall(r"<(\w+)", html) for html in (row.source_html, row.translation_html)]
        assert tags[0] == tags[1], row  # the same blocks, in the same order
        markers = [
            re.findall(r"\b([PLQ]\d\d?)\b", h) for h in (row.source_html, row.translation_html)
        ]
        assert markers[0] == markers[1]


def test_split_lists_keep_their_numbers_and_quotes_their_element(doc: Document) -> None:
    rows = [row for section in bilingual(doc).sections for row in section.rows]
    items = [row for row in rows if row.kind == "list-item"]
    assert items[0].source_html.startswith('<ol start="3">\n<li>L1 the first item')
    assert items[1].translation_html is not None
    assert items[1].translation_html.startswith('<ol start="4">\n<li class="unreviewed"')
    quote = next(row for row in rows if row.kind == "quote")
    assert quote.source_html.startswith("<blockquote>") and "Q1 A quotation" in quote.source_html
    assert quote.translation_html is not None and "Q1 Una cita" in quote.translation_html
    shared = [row.source_html for row in rows if row.kind == "shared"]
    assert shared[0].startswith("<pre><code>") and shared[1] == "<hr />\n"


def test_anchors_are_unique_and_the_toc_names_both_headings(doc: Document) -> None:
    edition = bilingual(doc)
    assert [(e.level, e.text, e.translation) for e in edition.toc][:3] == [
        (2, "Introduction", "Introducción"),
        (3, "Why translate", "Por qué traducir"),
        (2, "Method", "Método"),
    ]
    # Ids come from the source heading, never from its translation (issue #14):
    # the translation's heading is the source's id with the language added.
    assert edition.toc[0].anchor == "introduction"
    assert edition.toc[0].translation_anchor == "introduction-es"
    html = "".join(
        r.source_html + (r.translation_html or "") for s in edition.sections for r in s.rows
    )
    ids = re.findall(r' id="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    # A heading the translation leaves as it is gets an anchor of its own.
    same = assemble_bilingual(
        doc, source_lang="en", target_lang="es", title="T", author="A", texts={}
    )
    assert same.toc[0].anchor == "introduction"
    assert same.toc[0].translation_anchor == "introduction-es"


def test_translation_and_title_page_carry_the_marks_the_source_does_not(doc: Document) -> None:
    edition = bilingual(doc)
    assert edition.translation is not None
    assert edition.title == "A Handbook of Parallel Texts"
    assert edition.translation.title == "Manual de textos paralelos"
    assert "unreviewed" not in edition.title_page_html
    assert 'class="unreviewed" data-state="machine"' in edition.translation.title_page_html
    for row in (r for s in edition.sections for r in s.rows):
        assert "unreviewed" not in row.source_html
    assert edition.counts == {"machine": 28} and edition.draft


def test_a_picture_that_cannot_be_shown_is_a_row_with_its_description_translated() -> None:
    # Offline, a remote screenshot is shown as its description: words, in both columns.
    doc = parse_document("# T\n\n## A\n\n![A diagram of the system](https://x.org/d.png)\n")
    [picture] = [s for s in doc.segments if s.kind == "paragraph"]
    edition = assemble_bilingual(
        doc,
        source_lang="en",
        target_lang="es",
        title="T",
        author="A",
        texts={picture.id: "![Un diagrama del sistema](https://x.org/d.png)"},
        images=lambda src, line: "",  # not shown: its description instead
    )
    [row] = [r for r in edition.sections[0].rows if r.kind != "heading"]
    assert row.kind == "paragraph" and "A diagram of the system" in row.source_html
    assert row.translation_html is not None and "Un diagrama del sistema" in row.translation_html


def test_footnotes_get_ids_of_their_own_in_the_translation() -> None:
    doc = parse_document("# T\n\n## A\n\nText[^1].\n\n[^1]: The note.\n", "n.md")
    texts = {
        s.id: {"Text[^1].": "Texto[^1].", "The note.": "La nota."}[s.source]
        for s in doc.segments
        if s.kind == "paragraph"
    }
    edition = assemble_bilingual(
        doc, source_lang="en", target_lang="es", title="T", author="A", texts=texts
    )
    rows = edition.sections[0].rows
    assert [r.kind for r in rows] == ["heading", "paragraph", "block"]
    assert 'href="#fn1"' in rows[1].source_html
    assert rows[1].translation_html is not None and 'href="#fn-es-1"' in rows[1].translation_html
    assert rows[2].translation_html is not None and 'id="fn-es-1"' in rows[2].translation_html


FOOTNOTED = "# T\n\n## A\n\nOne[^a] and two[^a], then[^b].\n\n[^a]: Note a.\n[^b]: Note b.\n"


@pytest.mark.parametrize(
    ("translation", "labels"),
    [
        ("Uno[^a] y dos[^a], luego[^b].", ["[1]", "[1:1]", "[2]"]),
        ("Uno y dos[^a], luego[^b].", ["[1]", "[2]"]),  # the translator left one out
        ("Uno[^a], dos[^a], tres[^a][^b].", ["[1]", "[1:1]", "[1:2]", "[2]"]),
        ("Uno[^a] y dos[^a], luego.", ["[1]", "[1:1]"]),  # note b: no back link to nowhere
    ],
)
def test_translated_footnote_references_are_numbered_and_linked_both_ways(
    translation: str, labels: list[str]
) -> None:
    doc = parse_document(FOOTNOTED, "n.md")
    texts = {s.id: translation for s in doc.segments if s.source.startswith("One")}
    one = render_html(
        assemble(doc, lang="es", source_lang="en", title="T", author="A", texts=texts)
    )
    two = render_html(
        assemble_bilingual(
            doc, source_lang="en", target_lang="es", title="T", author="A", texts=texts
        )
    )
    for html, prefix in ((one, "fnref"), (two, "fnref-es-")):
        refs = re.findall(rf'<a href="#fn[^"]*" id="({prefix}[^"]+)">(\[[^]]+\])</a>', html)
        assert [label for _, label in refs] == labels
        backs = re.findall(rf'href="#({prefix}[^"]+)" class="footnote-backref"', html)
        assert backs == [ref for ref, _ in refs], "one back link to each reference, in order"
    # The source column of the bilingual edition keeps the source's numbering.
    assert re.findall(r'id="(fnref[^"-]+)"', two) == ["fnref1", "fnref1:1", "fnref2"]


def test_one_language_editions_are_unchanged(doc: Document) -> None:
    edition = assemble(doc, lang="en", source_lang="en", title="T", author="A")
    assert edition.translation is None and not edition.bilingual
    assert all(section.html and not section.rows for section in edition.sections)


# --------------------------------------------------------------------------- HTML


def test_html_sets_each_column_in_its_own_language(doc: Document) -> None:
    html = render_html(bilingual(doc))
    assert html.startswith('<!DOCTYPE html>\n<html lang="en" class="bilingual draft">')
    assert "<title>A Handbook of Parallel Texts / Manual de textos paralelos</title>" in html
    body = html.split("<main>", 1)[1].split("</main>", 1)[0]
    rows = re.findall(r'<div class="row (\w[\w-]*)" data-row="(\d+)">', body)
    assert [int(n) for _, n in rows] == list(range(len(rows)))
    assert (
        body.count('<div class="source" lang="en">')
        == body.count('<div class="translation" lang="es">')
        == sum(kind != "shared" for kind, _ in rows)
    )
    ids = re.findall(r' id="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    nav = html.split('<nav class="toc"', 1)[1].split("</nav>", 1)[0]
    assert 'Contents <span class="translated-label" lang="es">Índice</span>' in nav
    assert (
        '<a href="#introduction"><span class="toc-source">Introduction</span> '
        '<span class="toc-translation" lang="es">Introducción</span></a>'
    ) in nav
    title_page = html.split('<header class="title-page">', 1)[1].split("</header>", 1)[0]
    assert '<div class="title-block translation" lang="es">' in title_page
    assert "Borrador</strong>: 28 de 28 segmentos" in title_page
    assert "Draft</strong>: 28 of 28 segments" in title_page
    colophon = html.split('<footer class="colophon"', 1)[1]
    assert "<p>Made by hand.</p>" in colophon and "<p>Hecho a mano.</p>" in colophon


def test_html_layout_must_be_known(doc: Document) -> None:
    from pipeline.errors import RenderError

    with pytest.raises(RenderError, match="unknown layout"):
        render_html(bilingual(doc), layout="sideways")


# --------------------------------------------------------------------------- PDF helpers


def run(*command: str | int | Path) -> str:
    return subprocess.run(
        [str(c) for c in command], check=True, capture_output=True, text=True
    ).stdout


@dataclass(frozen=True)
class Word:
    page: int
    x: float
    y: float
    text: str


@dataclass
class Pdf:
    path: Path
    pages: list[str]
    """Plain text of each page (pdftotext, reading order)."""
    words: list[Word]
    """Every word with its page and top-left corner (points)."""

    def markers(self) -> dict[str, list[Word]]:
        found: dict[str, list[Word]] = defaultdict(list)
        for word in self.words:
            if re.fullmatch(r"[PLQ]\d\d?", word.text):
                found[word.text].append(word)
        return found

    def head(self, page: int) -> str:
        """The running head of ``page`` (words above the text block), or ''."""
        return " ".join(w.text for w in self.words if w.page == page and w.y < 52)


def read_pdf(path: Path) -> Pdf:
    count = int(re.search(r"Pages:\s+(\d+)", run("pdfinfo", path))[1])  # type: ignore[index]
    pages = [run("pdftotext", "-f", n, "-l", n, path, "-") for n in range(1, count + 1)]
    words: list[Word] = []
    page = 0
    for line in run("pdftotext", "-bbox", path, "-").splitlines():
        if "<page " in line:
            page += 1
        elif match := re.search(r'xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)<', line):
            words.append(Word(page, float(match[1]), float(match[2]), match[3]))
    return Pdf(path, pages, words)


def rendered(data: bytes, folder: Path, name: str) -> Pdf:
    path = folder / name
    path.write_bytes(data)
    return read_pdf(path)


@pytest.fixture(scope="module")
def columns(doc: Document, tmp_path_factory: pytest.TempPathFactory) -> Pdf:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        data = render_pdf(render_html(bilingual(doc)))
    return rendered(data, tmp_path_factory.mktemp("columns"), "columns.pdf")


@pytest.fixture(scope="module")
def facing(doc: Document, tmp_path_factory: pytest.TempPathFactory) -> Pdf:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        data = render_pdf_facing(bilingual(doc))
    return rendered(data, tmp_path_factory.mktemp("facing"), "facing.pdf")


# --------------------------------------------------------------------------- PDF in columns


def test_each_block_starts_level_with_its_translation(columns: Pdf) -> None:
    markers = columns.markers()
    assert len(markers) == 16 + 1 + 2 + 1  # paragraphs, the long one, list items, quotation
    for marker, words in markers.items():
        source, translation, *rest = sorted(words, key=lambda w: w.x)
        assert not rest, marker
        assert source.page == translation.page, marker
        assert abs(source.y - translation.y) < 0.5, marker  # the same line
        assert translation.x - source.x > 150, marker  # the right-hand column
    long_one = markers["P99"][0].page
    assert "P99" not in columns.pages[long_one]  # it runs on to the next page


def test_columns_page_is_the_wide_bilingual_trim(columns: Pdf) -> None:
    info = run("pdfinfo", columns.path)
    assert "481.89 x 680.315 pts" in info  # 170 x 240 mm
    assert "Tagged:          yes" in info


def test_text_extracts_pair_by_pair(columns: Pdf) -> None:
    text = "\n".join(columns.pages)
    order = re.findall(r"\b([PLQ]\d\d?)\b", text)
    body = order[order.index("P01") :]
    assert body[:6] == ["P01", "P01", "P02", "P02", "P03", "P03"]
    paragraph_one = text[text.index("P01") : text.index("P01", text.index("P01") + 1)]
    assert "internacionalización" not in paragraph_one  # the columns are not interleaved


def test_running_heads_book_title_left_translated_section_right(columns: Pdf) -> None:
    heads = {n: columns.head(n) for n in range(1, len(columns.pages) + 1)}
    body = next(n for n in heads if "P01" in columns.pages[n - 1])
    assert heads[body] == ""  # a chapter opening
    last = len(heads)  # the colophon
    versos = [heads[n] for n in range(body + 1, last) if n % 2 == 0 and heads[n]]
    rectos = [heads[n] for n in range(body + 1, last) if n % 2 == 1 and heads[n]]
    title = running_title("A Handbook of Parallel Texts").casefold()
    assert versos and all(head.casefold() == title for head in versos), versos
    spanish = {"Introducción", "Por qué traducir", "Método", "Segmentación", "El largo"}
    assert rectos and set(rectos) <= spanish | {"Últimas palabras"}, rectos


def test_toc_lists_both_languages_with_page_numbers(columns: Pdf) -> None:
    toc = next(p for p in columns.pages if p.lstrip().casefold().startswith("contents"))
    lines = [line.strip() for line in toc.splitlines() if line.strip()]
    assert [line.casefold() for line in lines[:2]] == ["contents", "índice"]
    pairs = [("Introduction", "Introducción"), ("Method", "Método"), ("The long one", "El largo")]
    for en, es in pairs:
        at = lines.index(en)
        match = re.fullmatch(rf"{es}\s*(?:\.\s*)+(\d+)", lines[at + 1])
        assert match, lines[at + 1]
        page = int(match[1])
        assert en in columns.pages[page - 1].splitlines() and es in columns.pages[page - 1]


def hyphenated(pdf: Pdf) -> list[tuple[str, str]]:
    broken = []
    for text in pdf.pages:
        lines = [line.strip() for line in text.splitlines()]
        for line, following in itertools.pairwise(lines):
            if line.endswith("\u2010") and (match := re.match(r"\w+", following)):
                broken.append((line[:-1].split()[-1], match[0]))
    return broken


def test_each_column_hyphenates_in_its_own_language(columns: Pdf) -> None:
    english = set(re.findall(r"\w+", " ".join(e for e, _ in SENTENCES)))
    spanish = set(re.findall(r"\w+", " ".join(s for _, s in SENTENCES))) - english
    breaks = hyphenated(columns)
    for words, lang, other in [(english, "en", "es"), (spanish, "es", "en")]:
        mine = [(a, b) for a, b in breaks if a + b in words]
        assert len(mine) >= 5, (lang, breaks)
        right = pyphen.Pyphen(lang=pyphen.language_fallback(lang))
        wrong = pyphen.Pyphen(lang=other)
        assert all(len(a) in right.positions(a + b) for a, b in mine), (lang, mine)
        assert any(len(a) not in wrong.positions(a + b) for a, b in mine), (lang, mine)


def struct_langs(path: Path) -> dict[str, set[str]]:
    """Languages of the tagged paragraphs (``/P``) of a PDF: text marker → languages."""
    from pypdf import PdfReader

    reader = PdfReader(path)
    found: dict[str, int] = defaultdict(int)

    def walk(node: object, lang: str) -> None:
        node = node.get_object()  # type: ignore[attr-defined]
        if not isinstance(node, dict):
            return
        lang = str(node.get("/Lang", lang))
        if node.get("/S") == "/P":
            found[lang] += 1
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            if hasattr(kid, "get_object"):
                walk(kid, lang)

    walk(reader.trailer["/Root"]["/StructTreeRoot"], str(reader.trailer["/Root"]["/Lang"]))
    return {lang: {str(n)} for lang, n in found.items()}


def test_tagged_pdf_gives_each_column_its_language(columns: Pdf) -> None:
    langs = struct_langs(columns.path)
    assert set(langs) == {"en", "es"}  # the translation's paragraphs are tagged Spanish


# --------------------------------------------------------------------------- facing pages


def test_facing_pages_keep_source_and_translation_in_step(facing: Pdf) -> None:
    markers = facing.markers()
    pages_of = {m: sorted({w.page for w in words}) for m, words in markers.items()}
    wide = {m for m, words in markers.items() if len({w.page for w in words}) == 1}
    assert wide == {"P99"}  # too long for a page: a spread of its own, in columns
    p99 = markers["P99"]
    assert p99[0].page % 2 == 0 and abs(p99[0].y - p99[1].y) < 0.5
    assert "The long one" in facing.pages[p99[0].page - 1]  # its heading goes with it
    assert "El largo" in facing.pages[p99[0].page - 1]
    spreads: dict[int, set[str]] = defaultdict(set)
    for marker, pages in pages_of.items():
        if marker in wide:
            continue
        verso, recto = pages
        assert verso % 2 == 0 and recto == verso + 1, (marker, pages)
        spreads[verso].add(marker)
    assert len(spreads) >= 3
    for verso in spreads:
        left = set(re.findall(r"\b[PLQ]\d\d?\b", facing.pages[verso - 1]))
        right = set(re.findall(r"\b[PLQ]\d\d?\b", facing.pages[verso]))
        assert left == right == spreads[verso], verso
        assert "internacionalización" not in facing.pages[verso - 1]
        assert "internationalization" not in facing.pages[verso]


def test_facing_pages_have_book_title_left_and_section_right(facing: Pdf) -> None:
    first = next(n for n, text in enumerate(facing.pages, 1) if "P01" in text)
    assert first % 2 == 0 and facing.head(first) == "" and facing.head(first + 1) == ""
    later = [n for n in range(first + 2, len(facing.pages)) if facing.head(n)]
    assert later
    for n in later:
        head = facing.head(n)
        if n % 2 == 0:
            assert head.casefold() == "a handbook of parallel texts", (n, head)
        else:
            assert "Manual" not in head and re.search(r"[áéíóúñ]|Método|largo|palabras", head), (
                n,
                head,
            )


def test_plan_spreads_fills_pages_and_keeps_headings_with_their_text(doc: Document) -> None:
    edition = bilingual(doc)
    kinds = [row.kind for section in edition.sections for row in section.rows]
    assert kinds[4:8] == ["list-item", "list-item", "heading", "quote"]
    heights = {n: (100.0, 120.0) for n in range(len(kinds))}
    breaks, wide = plan_spreads(edition, heights, 500.0)
    assert not wide
    assert {4, 8} <= breaks  # four rows of 120 fit on a page of 500
    chapter_two = len(edition.sections[0].rows)
    assert chapter_two not in breaks  # a section starts a spread anyway
    assert chapter_two + 4 in breaks

    heights[7] = (100.0, 300.0)  # the quotation no longer fits after the heading...
    breaks, _ = plan_spreads(edition, heights, 500.0)
    assert 6 in breaks and 7 not in breaks  # ...so the heading goes with it

    heights[2] = (100.0, 600.0)  # taller than a page
    breaks, wide = plan_spreads(edition, heights, 500.0)
    assert wide == {2}
    html = render_html(edition, layout="facing", breaks=breaks, wide=wide)
    spreads = re.findall(r'<div class="spread[^"]*">', html)
    assert spreads[:3] == [
        '<div class="spread opening">',
        '<div class="spread wide">',
        '<div class="spread">',
    ]


def test_measurement_reads_every_row_on_both_sides() -> None:
    from pipeline.render.pdf import _document, _measure

    en, es = paragraph(1, 6)
    doc = parse_document(f"# T\n\n## A\n\n{en}\n\n## B\n\nP02 Short.\n", "m.md")
    spanish = {en: es, "A": "Ah", "B": "Be", "P02 Short.": "P02 Breve."}
    edition = assemble_bilingual(
        doc,
        source_lang="en",
        target_lang="es",
        title="T",
        author="A",
        texts={s.id: spanish[s.source] for s in doc.segments if s.source in spanish},
    )
    height, heights = _measure(_document(render_html(edition, layout="facing"), None).render())
    assert 500 < height < 700  # A5 less the margins, in CSS pixels
    assert sorted(heights) == [0, 1, 2, 3]
    assert all(verso > 0 and recto > 0 for verso, recto in heights.values())
    assert heights[1][1] > heights[1][0] > heights[3][0]  # Spanish runs longer


# --------------------------------------------------------------------------- build and config


def config_text(**editions: str) -> str:
    lines = "".join(f"{key} = {value}\n" for key, value in editions.items())
    return (
        '[book]\ntitle = "T"\nauthor = "A"\n\n[languages]\nsource = "en"\ntargets = ["es"]\n\n'
        f"[editions]\n{lines}"
    )


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("bilingual", '"yes"', "editions.bilingual must be true or false"),
        ("facing_pages", "1", "editions.facing_pages must be true or false"),
        ("typography", '"fancy"', "editions.typography: unknown value 'fancy'"),
        ("formats", '["html", "mobi"]', "editions.formats: unknown format 'mobi'"),
    ],
)
def test_config_refuses_wrong_edition_options(
    tmp_path: Path, key: str, value: str, message: str
) -> None:
    (tmp_path / "pipeline.toml").write_text(config_text(**{key: value}))
    with pytest.raises(ConfigError, match=re.escape(message)) as caught:
        load_config(tmp_path)
    assert caught.value.line is not None


def test_config_defaults_build_every_format_and_the_bilingual_edition(tmp_path: Path) -> None:
    (tmp_path / "pipeline.toml").write_text(config_text())
    config = load_config(tmp_path)
    assert config.formats == ("html", "pdf", "epub")
    assert config.bilingual and not config.facing_pages and config.typography == "native"
    (tmp_path / "pipeline.toml").write_text(
        config_text(bilingual="false", facing_pages="true", typography='"as-written"')
    )
    config = load_config(tmp_path)
    assert not config.bilingual and config.facing_pages and config.typography == "as-written"


def test_build_writes_the_bilingual_edition_beside_the_others(project: Path) -> None:
    config = dataclasses.replace(load_config(project), formats=("html",))
    translate(config, engine="pseudo")
    report = render(config)
    out = project / "output"
    assert {p.relative_to(out).as_posix() for p in report.written} == {
        "en/executive-summary.html",
        "es/executive-summary.html",
        "en-es/executive-summary.html",
    }
    html = (out / "en-es" / "executive-summary.html").read_text()
    main = html.split("<main>", 1)[1].split("</main>", 1)[0]
    assert main.count('<div class="translation" lang="es">') == main.count('class="row ') == 55
    assert "«" in (out / "es" / "executive-summary.html").read_text()  # Spanish quotes

    again = render(config)
    assert again.written == []

    off = dataclasses.replace(config, bilingual=False, typography="as-written")
    (out / "en-es" / "executive-summary.html").unlink()
    render(off)
    assert not (out / "en-es" / "executive-summary.html").exists()
    assert "«" not in (out / "es" / "executive-summary.html").read_text()


def test_build_sets_the_bilingual_pdf_on_facing_pages_when_asked(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The build lays PDFs out by chapters (pipeline.render.pdf_chapters): a
    # chapter set on facing pages carries the edition whose spreads its
    # worker plans. Fakes stand for the layout and the join.
    facing: list[str] = []

    def fake_part(task: pdf_chapters.LayoutTask) -> pdf_chapters.PartLayout:
        if task.part.edition is not None:
            facing.append(task.part.edition.slug)
        return pdf_chapters.PartLayout(pages=1)

    def fake_join(tasks: list[pdf_chapters.LayoutTask], layouts: list[object]) -> bytes:
        if any(task.part.edition is not None for task in tasks):
            return b"%PDF-facing"
        return b"%PDF-" + str(len(tasks)).encode()

    monkeypatch.setattr(pdf_chapters, "lay_out_part", fake_part)
    monkeypatch.setattr(pdf_chapters, "join_parts", fake_join)
    # One process, so that the fakes above are the ones used.
    monkeypatch.setattr("pipeline.render.jobs.default_workers", lambda: 1)
    config = dataclasses.replace(load_config(project), formats=("pdf",), facing_pages=True)
    translate(config, engine="pseudo")
    render(config)
    assert facing and set(facing) == {"en-es"}
    assert (project / "output" / "en-es" / "executive-summary.pdf").read_bytes() == b"%PDF-facing"
    assert (project / "output" / "es" / "executive-summary.pdf").read_bytes() != b"%PDF-facing"


def test_inline_footnotes_of_a_translation_are_the_sources() -> None:
    doc = parse_document("# T\n\n## A\n\nText^[an inline note] and[^a].\n\n[^a]: Note a.\n", "n.md")
    texts = {s.id: "Texto^[an inline note] y[^a]." for s in doc.segments if "Text" in s.source}
    html = render_html(
        assemble(doc, lang="es", source_lang="en", title="T", author="A", texts=texts)
    )
    refs = re.findall(r'<a href="#(fn\d+)" id="(fnref[^"]+)">', html)
    assert refs == [("fn1", "fnref1"), ("fn2", "fnref2")]
    assert re.findall(r'<li id="(fn\d+)"', html) == ["fn1", "fn2"]
    assert re.findall(r'href="#(fnref[^"]+)" class="footnote-backref"', html) == [
        "fnref1",
        "fnref2",
    ]
