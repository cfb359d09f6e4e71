"""The PDF laid out chapter by chapter (pipeline.render.pdf_chapters) reads as
the PDF laid out whole, and an edit lays out again only what it changed."""

from __future__ import annotations

import logging
import re
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from pipeline.render.edition import assemble, assemble_bilingual
from pipeline.render.html import render_html
from pipeline.render.model import Edition
from pipeline.render.pdf import render_pdf, render_pdf_facing
from pipeline.render.pdf_chapters import lay_out_edition, split_edition
from pipeline.source.markdown import parse_document

EPOCH = "1700000000"

LOREM = (
    "Every page of this guide was written for people who maintain a small static site and "
    "want to publish it in more than one language without a content server. "
    "The build reads plain Markdown files, keeps a catalogue of translations beside them, "
    "and writes every edition again whenever a source file changes. "
)


def _chapter(number: int, title: str, paragraphs: int, extra: str = "") -> str:
    body = "\n\n".join(f"{LOREM * (1 + (i + number) % 3)}" for i in range(paragraphs))
    return (
        f"## {title}\n\n{body}\n\n### {title}: options\n\n"
        "| Option | Default | Meaning |\n|---|---|---|\n"
        "| `site_dir` | `site` | where the pages are written |\n"
        "| `strict` | `false` | stop on the first warning |\n\n"
        f"{extra}\n\n"
        '```toml\n[build]\nsite_dir = "site"\nstrict = true\n```\n\n'
        f"{LOREM}\n"
    )


BOOK = (
    "# The Static Site Handbook\n\nBy The Docs Team\n\n"
    + _chapter(1, "Getting started", 3, "Read [Deploying](#deploying) before going live.")
    + _chapter(2, "Writing pages", 6, "A footnote explains the front matter.[^fm]")
    + _chapter(3, "Translating", 4, "Back to [Getting started](#getting-started).")
    + _chapter(4, "Deploying", 5, "See also [the options](#writing-pages-options).")
    + "\n[^fm]: Front matter is the YAML block at the top of a page.\n"
)


def _edition(markdown: str = BOOK) -> Edition:
    doc = parse_document(markdown, "guide.md")
    return assemble(
        doc,
        lang="en",
        source_lang="en",
        title="The Static Site Handbook",
        author="The Docs Team",
        colophon=["Set in Linux Libertine.", "Made by pipeline."],
    )


def _bilingual(markdown: str = BOOK) -> Edition:
    doc = parse_document(markdown, "guide.md")
    texts = {s.id: f"«{s.source}»" for s in doc.segments}
    return assemble_bilingual(
        doc,
        source_lang="en",
        target_lang="es",
        title="The Static Site Handbook",
        author="The Docs Team",
        texts=texts,
        colophon=["Made by pipeline."],
        translation_colophon=["Hecho con pipeline."],
    )


def _pages_text(pdf: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "text.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")[:-1]


def _outline(reader: PdfReader) -> list[tuple[int, str, int]]:
    out: list[tuple[int, str, int]] = []

    def walk(items: list[Any], depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                out.append((depth, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 0)
    return out


def _links(reader: PdfReader) -> list[tuple[int, str, int]]:
    """Every internal link: (page, anchor, page it leads to)."""
    dests = reader.named_destinations
    out = []
    for number, page in enumerate(reader.pages):
        for annot in page.get("/Annots", []) or []:
            annot = annot.get_object()
            if "/Dest" in annot:
                name = str(annot["/Dest"])
                assert name in dests, f"link to {name!r} on page {number + 1} leads nowhere"
                out.append((number, name, reader.get_destination_page_number(dests[name])))
    return out


def _structure(reader: PdfReader) -> Counter[str]:
    """How many structure elements of each type (and with each language) the PDF has."""
    root = reader.trailer["/Root"]["/StructTreeRoot"].get_object()
    seen: Counter[str] = Counter()

    def walk(node: Any) -> None:
        node = node.get_object()
        if isinstance(node, list):
            for kid in node:
                walk(kid)
            return
        if not hasattr(node, "get") or node.get("/Type") not in ("/StructElem", None):
            return
        if "/S" not in node:
            return
        seen[str(node["/S"])] += 1
        if "/Lang" in node:
            seen[f"lang {node['/Lang']}"] += 1
        if "/K" in node:
            walk(node["/K"])

    walk(root["/K"])
    return seen


def _pictures(pdf: bytes, tmp_path: Path, name: str) -> list[bytes]:
    """Every page rasterised (grey, 30 dpi): what a reader sees, glyphs and margins."""
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    (folder / "in.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "30", "-gray", str(folder / "in.pdf"), str(folder / "page")],
        check=True,
    )
    return [path.read_bytes() for path in sorted(folder.glob("page-*.pgm"))]


def _fonts(pdf: bytes, tmp_path: Path) -> list[str]:
    """The fonts embedded, by name without the subset tag (one line each)."""
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    listed = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    return sorted(line.split()[0].split("+")[-1] for line in listed)


def _assert_same_to_a_reader(whole: bytes, parts: bytes, tmp_path: Path) -> None:
    a, b = PdfReader(_io(whole)), PdfReader(_io(parts))
    assert len(b.pages) == len(a.pages)
    assert _pages_text(parts, tmp_path) == _pages_text(whole, tmp_path)
    assert _pictures(parts, tmp_path, "parts") == _pictures(whole, tmp_path, "whole")
    assert _fonts(parts, tmp_path) == _fonts(whole, tmp_path), "each font subset once"
    assert _outline(b) == _outline(a)
    assert _links(b) == _links(a)
    assert _structure(b) == _structure(a)
    for key in ("/Lang", "/MarkInfo", "/ViewerPreferences"):
        assert b.trailer["/Root"][key] == a.trailer["/Root"][key]
    assert b.metadata == a.metadata
    # Every page's marked content can be found from the structure tree.
    nums = b.trailer["/Root"]["/StructTreeRoot"]["/ParentTree"]["/Nums"]
    keys = {int(nums[i]) for i in range(0, len(nums), 2)}
    for page in b.pages:
        if "/StructParents" in page:
            assert page["/StructParents"] in keys


def _io(data: bytes) -> Any:
    import io

    return io.BytesIO(data)


@pytest.fixture(autouse=True)
def _epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


@pytest.fixture
def laid_out(caplog: pytest.LogCaptureFixture) -> Iterator[list[str]]:
    """The kinds of the parts laid out (not read from the cache) while the test runs."""
    caplog.set_level(logging.DEBUG, logger="pipeline.render.pdf_chapters")
    kinds: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            match = re.match(r"laid out an? (\w+) part", record.getMessage())
            if match:
                kinds.append(match.group(1))

    handler = Collect()
    logger = logging.getLogger("pipeline.render.pdf_chapters")
    logger.addHandler(handler)
    yield kinds
    logger.removeHandler(handler)


def test_a_book_laid_out_by_chapters_reads_as_the_book_laid_out_whole(tmp_path: Path) -> None:
    edition = _edition()
    whole = render_pdf(render_html(edition))
    parts = lay_out_edition(edition, base_url=None, folder=tmp_path / "cache")
    _assert_same_to_a_reader(whole, parts, tmp_path)
    reader = PdfReader(_io(parts))
    assert len(reader.pages) > 8, "the fixture should make a book of several pages a chapter"
    # The table of contents gives the page each chapter starts on.
    text = _pages_text(parts, tmp_path)
    for title in ("Getting started", "Writing pages", "Translating", "Deploying"):
        toc_line = next(ln for page in text[:4] for ln in page.splitlines() if title in ln)
        assert _page_of(text, title) == int(toc_line.split()[-1]) - 1, toc_line
    # Links between chapters lead to the chapter they name.
    links = {(name, target) for _, name, target in _links(reader)}
    assert ("deploying", _page_of(text, "Deploying")) in links


def _page_of(text: list[str], heading: str) -> int:
    """The page (from 0) a chapter heading opens."""
    for number, page in enumerate(text):
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        if lines and lines[0] == heading:
            return number
    raise AssertionError(heading)


def test_a_bilingual_book_laid_out_by_chapters_reads_as_laid_out_whole(tmp_path: Path) -> None:
    edition = _bilingual()
    whole = render_pdf(render_html(edition))
    parts = lay_out_edition(edition, base_url=None, folder=tmp_path / "cache")
    _assert_same_to_a_reader(whole, parts, tmp_path)
    assert _structure(PdfReader(_io(parts)))["lang es"] > 10


def test_facing_pages_laid_out_by_chapters_read_as_laid_out_whole(tmp_path: Path) -> None:
    edition = _bilingual()
    whole = render_pdf_facing(edition)
    parts = lay_out_edition(edition, base_url=None, folder=tmp_path / "cache", facing=True)
    _assert_same_to_a_reader(whole, parts, tmp_path)


def test_an_unchanged_book_is_joined_again_without_laying_anything_out(
    tmp_path: Path, laid_out: list[str]
) -> None:
    edition = _edition()
    first = lay_out_edition(edition, base_url=None, folder=tmp_path / "cache")
    assert laid_out.count("chapter") == 4 and laid_out.count("back") == 1
    laid_out.clear()
    again = lay_out_edition(edition, base_url=None, folder=tmp_path / "cache")
    assert laid_out == []
    assert again == first, "reproducible: the same bytes from the cache"
    fresh = lay_out_edition(edition, base_url=None, folder=tmp_path / "other")
    assert fresh == first, "reproducible: the same bytes from an empty cache"


def test_the_merged_fonts_kept_for_the_next_join_give_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.render import pdf_fonts

    edition = _edition()
    folder = tmp_path / "cache"
    first = lay_out_edition(edition, base_url=None, folder=folder)
    kept = sorted(folder.glob("*.font"))
    assert kept, "the merged font subsets are kept in the cache"

    def no_merging(*args: object) -> None:
        raise RuntimeError("merged again")

    # A join of the same parts merges nothing: were it to try, the fonts would
    # stay unmerged and the bytes differ.
    copy_glyphs = pdf_fonts._copy_glyphs
    monkeypatch.setattr(pdf_fonts, "_copy_glyphs", no_merging)
    assert lay_out_edition(edition, base_url=None, folder=folder) == first
    # A damaged entry is not used.
    for path in kept:
        path.write_bytes(path.read_bytes()[:-10])
    assert lay_out_edition(edition, base_url=None, folder=folder) != first
    monkeypatch.setattr(pdf_fonts, "_copy_glyphs", copy_glyphs)
    assert lay_out_edition(edition, base_url=None, folder=folder) == first


def test_an_edit_lays_out_only_its_chapter_when_the_pages_stay(
    tmp_path: Path, laid_out: list[str]
) -> None:
    folder = tmp_path / "cache"
    lay_out_edition(_edition(), base_url=None, folder=folder)
    laid_out.clear()
    edited = _edition(BOOK.replace("Back to [Getting started]", "Go back to [Getting started]"))
    pdf = lay_out_edition(edited, base_url=None, folder=folder)
    assert laid_out == ["chapter"]
    assert "Go back to Getting started" in "".join(_pages_text(pdf, tmp_path))
    _assert_same_to_a_reader(render_pdf(render_html(edited)), pdf, tmp_path)


def _longer(paragraphs: int) -> str:
    """The book with chapter 2 longer by ``paragraphs`` paragraphs."""
    return BOOK.replace(
        "\n## Writing pages\n", "\n## Writing pages\n\n" + LOREM * paragraphs + "\n", 1
    )


@pytest.mark.parametrize(
    ("paragraphs", "moved", "again"),
    [(6, 1, ["back", "chapter", "chapter", "chapter", "front"]), (12, 2, ["chapter", "front"])],
    ids=["to the other side", "by two pages"],
)
def test_an_edit_that_moves_the_later_chapters(
    tmp_path: Path, laid_out: list[str], paragraphs: int, moved: int, again: list[str]
) -> None:
    """Chapter 2 grows. Moved by one page, chapters 3 and 4 and the colophon
    are laid out again (their versos are now rectos: the margins swap); moved
    by two, they keep their layout and the join stamps their new page numbers.
    Chapter 2 itself and the contents (their page numbers changed) are laid
    out again; chapter 1 never."""
    folder = tmp_path / "cache"
    before = lay_out_edition(_edition(), base_url=None, folder=folder)
    laid_out.clear()
    edited = _edition(_longer(paragraphs))
    pdf = lay_out_edition(edited, base_url=None, folder=folder)
    text = _pages_text(pdf, tmp_path)
    was = _page_of(_pages_text(before, tmp_path), "Translating")
    assert _page_of(text, "Translating") - was == moved
    assert sorted(laid_out) == again
    _assert_same_to_a_reader(render_pdf(render_html(edited)), pdf, tmp_path)
    # Each page's folio is its own number (the title page and blank pages have none).
    folios = [page.split()[-1] for page in text if page.strip()]
    assert folios[-6:] == [str(n) for n in range(len(text) - 5, len(text) + 1)]


def _chapter_files(markdown: str = BOOK) -> Edition:
    """The book as if each chapter were a file of its own: each opens on a recto."""
    edition = _edition(markdown)
    return replace(edition, sections=[replace(s, opens_right=True) for s in edition.sections])


def test_chapter_files_are_laid_out_at_once_and_an_edit_keeps_the_later_ones(
    tmp_path: Path, laid_out: list[str], caplog: Any
) -> None:
    """Chapters that open on a recto do not wait for the pages before them to be
    counted (each is laid out once, from page 1), and when an edit adds a page
    the chapters after it move by 0 or 2 pages: they are not laid out again."""
    folder = tmp_path / "cache"
    edition = _chapter_files()
    first = lay_out_edition(edition, base_url=None, folder=folder)
    assert laid_out.count("chapter") == 4 and laid_out.count("back") == 1
    assert caplog.text.count("chapter part: ") == 4
    assert all(
        re.search(r"from page 1 in", line)
        for line in caplog.text.splitlines()
        if "laid out a chapter part" in line
    )
    whole = render_pdf(render_html(edition))
    _assert_same_to_a_reader(whole, first, tmp_path)

    laid_out.clear()
    edited = _chapter_files(_longer(12))
    pdf = lay_out_edition(edited, base_url=None, folder=folder)
    assert laid_out.count("chapter") == 1 and "back" not in laid_out
    text = _pages_text(pdf, tmp_path)
    assert (
        _page_of(text, "Translating") - _page_of(_pages_text(first, tmp_path), "Translating") == 2
    )
    _assert_same_to_a_reader(render_pdf(render_html(edited)), pdf, tmp_path)


def test_folios_the_sheet_cannot_draw_are_laid_out_in_place(
    tmp_path: Path, laid_out: list[str], monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    """A stylesheet whose folios differ from those of the sheet (here a sheet
    set in a bigger size) is caught at the join: the edition is laid out again
    with its folios in place, and reads as laid out whole."""
    from pipeline.render import html as html_module

    folio_sheet = html_module.folio_sheet

    def bigger(*args: Any, **kwargs: Any) -> str:
        rule = "@page { @bottom-center { font-size: 14pt; } }\n</style>"
        return folio_sheet(*args, **kwargs).replace("</style>", rule, 1)

    monkeypatch.setattr(html_module, "folio_sheet", bigger)
    edition = _edition()
    pdf = lay_out_edition(edition, base_url=None, folder=tmp_path / "cache")
    assert "laid out again with its folios in place" in caplog.text
    # Every chapter and the colophon twice: without their folios, then with them.
    assert laid_out.count("chapter") == 8 and laid_out.count("back") == 2
    _assert_same_to_a_reader(render_pdf(render_html(edition)), pdf, tmp_path)


def test_a_page_moved_where_the_sheet_has_no_folio_is_laid_out_in_place(
    tmp_path: Path, laid_out: list[str], monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    """Chapters moved by two pages onto numbers whose sheet page has no folio
    (here the book's new last page) are not stamped with nothing: the edition
    is laid out again with its folios in place."""
    from pipeline.render import html as html_module

    folder = tmp_path / "cache"
    first = lay_out_edition(_edition(), base_url=None, folder=folder)
    last = len(_pages_text(first, tmp_path)) + 2
    folio_sheet = html_module.folio_sheet

    def gap(*args: Any, **kwargs: Any) -> str:
        rule = f"@page :nth({last}) {{ @bottom-center {{ content: none; }} }}\n</style>"
        return folio_sheet(*args, **kwargs).replace("</style>", rule, 1)

    monkeypatch.setattr(html_module, "folio_sheet", gap)
    edited = _edition(_longer(12))
    pdf = lay_out_edition(edited, base_url=None, folder=folder)
    assert len(_pages_text(pdf, tmp_path)) == last
    assert "its sheet has none" in caplog.text
    _assert_same_to_a_reader(render_pdf(render_html(edited)), pdf, tmp_path)


def test_folio_sheets_are_kept_and_a_damaged_one_is_made_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.render import folios

    folder = tmp_path / "cache"
    edition = _edition()
    first = lay_out_edition(edition, base_url=None, folder=folder)
    sheets = sorted(folder.glob("*.sheet"))
    assert len(sheets) == 1, "one sheet numbers the pages of a short book"
    made: list[int] = []
    lay_out_sheet = folios._lay_out_sheet

    def counted(html: str, first: int) -> Any:
        made.append(first)
        return lay_out_sheet(html, first)

    monkeypatch.setattr(folios, "_lay_out_sheet", counted)
    assert lay_out_edition(edition, base_url=None, folder=folder) == first
    assert made == []
    sheets[0].write_bytes(sheets[0].read_bytes()[:-100])
    assert lay_out_edition(edition, base_url=None, folder=folder) == first
    assert made == [1]


def test_sections_are_what_the_parts_are_made_of(tmp_path: Path) -> None:
    """A book without a colophon has no back part, and one without chapters still joins."""
    edition = replace(_edition(), colophon=[])
    whole = render_pdf(render_html(edition))
    parts = lay_out_edition(edition, base_url=None, folder=tmp_path / "cache")
    _assert_same_to_a_reader(whole, parts, tmp_path)


def test_parts_no_build_used_for_weeks_leave_the_cache(tmp_path: Path) -> None:
    import os
    import time

    from pipeline.render.pdf_chapters import prune

    folder = tmp_path / "cache"
    folder.mkdir()
    old, fresh = folder / "old.pdf", folder / "fresh.pdf"
    for path in (old, fresh, folder / "old.json", folder / "old.pages", folder / "old.font"):
        path.write_bytes(b"%PDF")
    month_ago = time.time() - 30 * 86400
    for path in (old, folder / "old.json", folder / "old.pages", folder / "old.font"):
        os.utime(path, (month_ago, month_ago))
    assert prune(folder) == 4
    assert sorted(p.name for p in folder.iterdir()) == ["fresh.pdf"]


def test_a_link_to_no_anchor_warns_as_when_laid_out_whole(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The editions already turn a dead #link of the Markdown into text (see
    # test_links.py); an anchor missing from the HTML itself must still be
    # reported by the part that holds the link, not silently linked elsewhere.
    edition = _edition()
    assert any('href="#deploying"' in section.html for section in edition.sections)
    sections = [
        replace(section, html=section.html.replace('href="#deploying"', 'href="#nowhere"'))
        for section in edition.sections
    ]
    caplog.set_level(logging.WARNING)
    pdf = lay_out_edition(
        replace(edition, sections=sections), base_url=None, folder=tmp_path / "cache"
    )
    assert "No anchor #nowhere" in caplog.text
    reader = PdfReader(_io(pdf))
    assert all(name != "nowhere" for _, name, _ in _links(reader))


def test_progress_counts_each_part_of_an_edition_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.render import pdf_chapters

    monkeypatch.setattr(pdf_chapters, "lay_out_part", lambda task: pdf_chapters.PartLayout(3))
    monkeypatch.setattr(pdf_chapters, "join_parts", lambda tasks, layouts: b"%PDF-joined")
    ticks: list[int] = []
    joined: list[bytes] = []
    state = pdf_chapters.new_edition(
        _edition(),
        base_url=None,
        folder=tmp_path / "cache",
        facing=False,
        done=joined.append,
        progress=lambda: ticks.append(1),
    )
    pdf_chapters.run_editions([state], workers=1)
    # Title page and contents, four chapters, the colophon: six parts, each
    # counted once although the contents were laid out twice (first to learn
    # their length, then with the page numbers).
    assert len(state.parts) == 6
    assert len(ticks) == 6
    assert joined == [b"%PDF-joined"]


@pytest.mark.parametrize("facing", [False, True], ids=["columns", "facing"])
def test_chapters_sharing_parts_read_as_laid_out_whole(tmp_path: Path, facing: bool) -> None:
    """Many short chapters share parts (pdf_chapters.MAX_PARTS); the book reads the same."""
    edition = _bilingual() if facing else _edition()
    whole = render_pdf_facing(edition) if facing else render_pdf(render_html(edition))
    parts = lay_out_edition(
        edition, base_url=None, folder=tmp_path / "cache", facing=facing, per_part=3
    )
    _assert_same_to_a_reader(whole, parts, tmp_path)


@pytest.mark.parametrize("bilingual", [False, True], ids=["one language", "bilingual"])
def test_review_counts_and_the_title_page_change_only_the_front_part(bilingual: bool) -> None:
    """A paragraph added or approved anywhere changes the draft's counts, shown
    on the title page only: the chapters' parts stay the same (not laid out
    again), and still know the edition is a draft (their running label)."""
    edition = _bilingual() if bilingual else _edition()
    before = replace(edition, counts={"machine": 40, "reviewed": 3})
    after = replace(
        edition, counts={"machine": 41, "needs-review": 2}, title_page_html="<h1>New</h1>"
    )
    old, new = split_edition(before, per_part=1), split_edition(after, per_part=1)
    assert old[0].digest != new[0].digest, "the front part shows the counts"
    assert [p.digest for p in old[1:]] == [p.digest for p in new[1:]]
    assert 'data-draft="' in old[1].html
    final = split_edition(replace(edition, counts={"reviewed": 43}), per_part=1)
    assert 'data-draft="' not in final[1].html


def test_new_review_counts_lay_out_the_front_matter_once(
    tmp_path: Path, laid_out: list[str]
) -> None:
    """Approving a paragraph changes only the title page's counts: the contents
    are laid out once (as long as last time, their place is known), nothing else."""
    folder = tmp_path / "cache"
    edition = _bilingual()
    lay_out_edition(replace(edition, counts={"machine": 40}), base_url=None, folder=folder)
    laid_out.clear()
    approved = replace(edition, counts={"machine": 39, "reviewed": 1})
    pdf = lay_out_edition(approved, base_url=None, folder=folder)
    assert laid_out == ["front"]
    _assert_same_to_a_reader(render_pdf(render_html(approved)), pdf, tmp_path)


def test_editions_of_one_stylesheet_share_their_folio_sheets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """English and Spanish are set alike: one sheet numbers both, laid out once,
    before their joins; the bilingual edition has margins of its own."""
    from pipeline.render import folios, pdf_chapters
    from pipeline.render.pdf_chapters import new_edition, run_editions

    made: list[tuple[int, bool]] = []
    joining: list[bool] = []
    lay_out_sheet, join = folios._lay_out_sheet, pdf_chapters._join

    def counted(html: str, first: int) -> Any:
        made.append((first, bool(joining)))
        return lay_out_sheet(html, first)

    def watched(*args: Any) -> bytes:
        joining.append(True)
        try:
            return join(*args)
        finally:
            joining.pop()

    monkeypatch.setattr(folios, "_lay_out_sheet", counted)
    monkeypatch.setattr(pdf_chapters, "_join", watched)
    folder = tmp_path / "cache"
    pdfs: dict[str, bytes] = {}
    editions = [_edition(), replace(_edition(), lang="es"), _bilingual()]
    states = [
        new_edition(
            edition,
            base_url=None,
            folder=folder,
            facing=False,
            done=lambda data, slug=edition.slug: pdfs.__setitem__(slug, data),
        )
        for edition in editions
    ]
    run_editions(states, workers=1)
    # One sheet for English and Spanish, one for the bilingual edition, both
    # laid out beside the chapters, none in a join.
    assert made == [(1, False), (1, False)]
    assert sorted(pdfs) == ["en", "en-es", "es"]
    whole = render_pdf(render_html(editions[1]))
    _assert_same_to_a_reader(whole, pdfs["es"], tmp_path)


def test_a_chapter_file_s_chapter_asks_for_a_recto_in_its_part() -> None:
    edition = _edition()
    assert len(edition.sections) >= 3
    sections = list(edition.sections)
    sections[2] = replace(sections[2], opens_right=True)  # as a chapter file's chapter is
    parts = split_edition(replace(edition, sections=sections), per_part=1)
    chapters = [part for part in parts if part.kind == "chapter"]
    assert [part.side for part in chapters[:3]] == ["right", "", "right"]


def test_the_joined_pdf_is_about_as_small_as_the_book_laid_out_whole(tmp_path: Path) -> None:
    """One font subset per font and objects in object streams: a reader
    downloading the book does not pay for its having been laid out in parts."""
    edition = _edition()
    whole = render_pdf(render_html(edition))
    parts = lay_out_edition(edition, base_url=None, folder=tmp_path / "cache")
    assert len(parts) <= 1.2 * len(whole), (len(parts), len(whole))


def test_workers_write_the_date_of_the_build_that_asks_not_of_their_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parts laid out by workers forked from a long-lived server are dated from
    the SOURCE_DATE_EPOCH of the build that asked for them: the bytes are the
    ones a layout in this process gives."""
    from pipeline.render import pdf_chapters

    def through_workers(folder: Path) -> bytes:
        out: list[bytes] = []
        layout = pdf_chapters.BackgroundLayout(2)
        layout.add(
            pdf_chapters.new_edition(
                _edition(), base_url=None, folder=folder, facing=False, done=out.append
            )
        )
        layout.finish()
        return out[0]

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1500000000")
    through_workers(tmp_path / "first")  # the server starts now, if it was not running
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1600000000")
    here = lay_out_edition(_edition(), base_url=None, folder=tmp_path / "here")
    assert through_workers(tmp_path / "workers") == here


def test_a_weasyprint_that_cannot_load_is_a_one_line_error_not_a_dead_worker(
    tmp_path: Path,
) -> None:
    """Without Pango, importing WeasyPrint fails with OSError: the workers'
    server must survive it, and the build say what to install."""
    import os
    import sys

    from helpers import make_project

    fake = tmp_path / "fake" / "weasyprint"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(
        "raise OSError(\"cannot load library 'libpango-1.0-0': no such file\")\n"
    )
    project = make_project(tmp_path / "book", formats=("html", "pdf"))
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": f"{fake.parent}{os.pathsep}{root}"}
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "build", "-C", str(project)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "cannot load WeasyPrint" in errors[0], done.stderr
    assert "libpango" in done.stderr
    assert not list((project / "output").rglob("*.pdf"))


def test_text_runs_belong_to_their_elements_and_every_mcid_is_mapped() -> None:
    """WeasyPrint wraps each run of text in an attribute-less ``Span``; the
    PDF gives the run's marked content to its element instead (half the
    objects fewer), and the parent tree still maps every marked-content id of
    every page to the element that holds it. A span with a language of its
    own stays a ``Span``, with its ``/Lang``."""
    import io

    markdown = BOOK + '\nThe Spanish word <span lang="es">sitio</span> means site.\n'
    reader = PdfReader(io.BytesIO(render_pdf(render_html(_edition(markdown)))))
    root = reader.trailer["/Root"]["/StructTreeRoot"]
    owners: dict[tuple[int, int], Any] = {}
    spans: list[Any] = []

    def walk(node: Any, page: Any) -> None:
        node = node.get_object()
        page = node.get("/Pg", page)
        if node.get("/S") == "/Span":
            spans.append(node)
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [] if kids is None else [kids]:
            if isinstance(kid, int):
                owners[(page.indirect_reference.idnum, kid)] = node
            elif hasattr(kid, "get_object") and "/S" in kid.get_object():
                walk(kid, page)

    walk(root["/K"][0], None)
    # No Span of one run of text is left; the one with a language stays.
    runs = [span for span in spans if "/Lang" not in span and isinstance(span["/K"], int)]
    runs += [span for span in spans if "/Lang" not in span and len(span["/K"]) == 1]
    assert not runs
    assert [str(span["/Lang"]) for span in spans if "/Lang" in span] == ["es"]
    paragraphs = [n for n in owners.values() if n.get("/S") == "/P"]
    assert len(paragraphs) > 20  # runs of text directly under their paragraphs
    nums = root["/ParentTree"]["/Nums"]
    mapped: dict[tuple[int, int], Any] = {}
    for number, page in enumerate(reader.pages):
        elements = nums[nums.index(page["/StructParents"]) + 1].get_object()
        for mcid, element in enumerate(elements):
            element = element.get_object()
            kids = element["/K"] if isinstance(element["/K"], list) else [element["/K"]]
            assert mcid in kids, (number, mcid)  # the element mapped holds the content
            mapped[(page.indirect_reference.idnum, mcid)] = element
    for where, owner in owners.items():
        assert mapped[where] == owner, where


def test_the_workers_take_the_longest_editions_tasks_first_one_per_free_worker() -> None:
    """Tasks go to a worker only when one is free, the lowest priority (the
    edition handed over first: the bilingual one) first, so its join, asked
    for last, does not wait behind the other editions' queued work."""
    from concurrent.futures import Future

    from pipeline.render.jobs import PartPool

    started: list[tuple[str, Future[Any]]] = []

    class Executor:
        def submit(self, function: Any, name: str) -> Future[Any]:
            future: Future[Any] = Future()
            started.append((name, future))
            return future

    pool = PartPool(lambda: (Executor(), None), always=True, workers=2)
    for name, priority in [("en-es part", 0), ("en part", 1), ("es part", 2), ("en join", 1)]:
        pool.submit(str, name, priority=priority)
    pool.finished(timeout=0)
    assert [name for name, _ in started] == ["en-es part", "en part"]
    started[1][1].set_result("done")  # the English part is laid out: one worker is free
    pool.finished(timeout=0)
    assert [name for name, _ in started][2:] == ["en join"]
    pool.submit(str, "en-es join", priority=0)  # the bilingual join, asked for last
    started[0][1].set_result("done")
    pool.finished(timeout=0)
    assert [name for name, _ in started][3:] == ["en-es join"]
    assert pool.busy()
