"""The real-world corpus: books written the way people really write them.

``tests/corpus/`` is one project holding a document in each of the conventions
publishers bring (issue #14): an MkDocs/Material page, an mdBook chapter, a GitHub
README, a Hugo/Zola post with TOML front matter and ``#`` sections, a Docusaurus
MDX page, release notes full of emoji, symbols, other scripts and long code lines,
a notice without any heading, and an mdBook-style book of chapter files that link
to each other, with pictures in ``img/`` and ``{{#include}}`` listings. The
project is built once (Apertium, every format) and every edition (en, es, en-es)
of every document is checked for what a reader notices: links that lead nowhere,
extension syntax printed as text, files the HTML fetches, empty glyph boxes or
words past the page edge in the PDF, a missing title or table of contents, a
bilingual edition that is not side by side, an EPUB that epubcheck rejects.

The checks themselves are in ``tests/corpus_checks.py``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from corpus_checks import (
    NEVER_SHOWN,
    anchor_problems,
    bilingual_row_problems,
    code_text,
    epubcheck,
    heading_ids,
    html_title,
    marker_problems,
    notdef_problems,
    off_page_problems,
    parse_html,
    pdf_destination_problems,
    pdf_link_problems,
    pdf_text,
    pdf_title,
    pdf_words,
    prose_text,
    self_contained_problems,
    template_tags,
    title_page_problems,
    toc_entries,
    visible_markers,
)
from lxml import etree

CORPUS = Path(__file__).resolve().parent / "corpus"
EDITIONS = ("en", "es", "en-es")
PROJECT_TITLE = "Corpus"
"""``[book] title`` of the corpus project: only the default for a book with no title of its own."""


@dataclass(frozen=True)
class Doc:
    """One document of the corpus and what a reader expects of its editions."""

    book: str
    """The book id (file or chapter folder under content/en/)."""
    title: str
    """The title every English edition carries (HTML ``<title>``, PDF Title)."""
    toc: tuple[str, ...] = ()
    """Entries the table of contents lists, in this order (others may come between)."""
    translated: tuple[str, ...] = ()
    """English prose (in boxes, HTML blocks, tabs…) the Spanish edition must translate."""
    kept: tuple[str, ...] = ()
    """Text every edition must show exactly as written (never translated)."""
    dropped: tuple[str, ...] = ()
    """Source text no edition may show (comments, front matter)."""
    ids: tuple[str, ...] = ()
    """Explicit heading ids (``{#id}``) every edition must have."""
    markers: tuple[str, ...] = ()
    """Syntax of this document's own extensions never to be shown outside code."""
    code: tuple[str, ...] = ()
    """Lines the code blocks must show (mdBook includes expanded)."""
    not_code: tuple[str, ...] = ()
    """Lines the code blocks must not show (outside an include's anchor or line range)."""
    pictures: int = 0
    """Pictures embedded in the HTML edition."""
    glyphs: tuple[str, ...] = ()
    """Characters the English PDF must draw (and pdftotext read back)."""
    warnings: tuple[str, ...] = ()
    """Fragments of a build warning (file:line …) a user must get."""
    byline: str = ""
    """The author the title page names, when the document says who wrote it."""
    templating: bool = False
    """The document holds templating ({{< … >}}, {% … %}): kept verbatim, never translated."""
    unchanged: tuple[str, ...] = ()
    """Syntax that may be rendered or kept as written, but never translated: the
    Spanish edition shows it exactly as often as the English one."""
    marked: tuple[tuple[str, str], ...] = ()
    """Highlighted, inserted, superscript and subscript words: (element, English
    words) that every edition shows in that element, translated in Spanish."""


DOCS = (
    Doc(
        "mkdocs-page",
        "Getting started with Tessera",
        toc=(
            "Install",
            "Check the installation",
            "Configuration",
            "Publish your site",
            "Troubleshooting",
        ),
        translated=(
            "Tessera runs on Python 3.9 and later.",
            "If your network only allows traffic through a proxy",
            "Version 1 kept its settings in a different file.",
            "Every setting has a default, so a new project only needs a site name.",
            "Never commit the",
            "publish your first page in minutes",  # a grid card (md_in_html)
        ),
        ids=("install", "check", "configuration", "publish", "troubleshooting"),
        marked=(
            ("mark", "Only the site name is required."),
            ("ins", "New in version 2:"),
            ("sup", "4"),
        ),
    ),
    Doc(
        "mdbook-chapter",
        "Variables and Mutability",
        toc=("Constants", "Shadowing"),
        code=(
            "let x = x * 2;",
            'println!("The value of x in the inner scope is: {x}");',
            "const THREE_HOURS_IN_SECONDS: u32 = 60 * 60 * 3;",
        ),
        warnings=("content/en/mdbook-chapter.md:", "ch02-00-guessing-game-tutorial.html"),
    ),
    Doc(
        "github-readme",
        "quarry",
        toc=("Features", "Installation", "Usage", "Configuration", "Contributing", "License"),
        translated=(
            "A small, fast command-line tool that finds the files you forgot about.",
            "Building on Windows",
            "Install the build tools first",
            "quarry never deletes anything by itself.",
            "Versions older than 0.4 read the settings file from a different folder.",
        ),
        kept=("https://github.com/example/quarry/releases", "maintainers@quarry.example.org"),
        markers=("[x]", "[ ]"),
        pictures=1,
        warnings=("content/en/github-readme.md:3:", "badge.svg"),
    ),
    Doc(
        "hugo-post",
        "Moving our blog from WordPress to a static site",
        toc=(
            "Why we moved",
            "Exporting the content",
            "Templates and shortcodes",
            "What we would do differently",
            "Results",
        ),
        dropped=(
            "draft = false",
            "tags = [",
            "description = ",
            "{{< figure",
            "/images/2024",
            "{{< notice",
            "{{< /notice",
            "{{< youtube",
        ),
        kept=("https://www.youtube.com/watch?v=w7Ft2ymGmfc",),  # a video: its address
        byline="Marta Lindqvist",
        templating=True,
        # The figure shortcode is a figure: its caption is translated.
        translated=("Page load time before and after the move",),
        marked=(("sub", "2"),),  # CO~2~: Hugo's extras
    ),
    Doc(
        "docusaurus-page",
        "Deploying your site",
        toc=("Build the site", "Test the build locally", "Deploy", "Troubleshooting"),
        translated=(
            "The build is optimised for production.",
            "An old service worker can show you a previous version of the site.",
            "Connect the repository in the Netlify dashboard",
            "Do not commit the",
        ),
        unchanged=(
            ":::note",
            ":::tip",
            ":::warning",
            "import Tabs from '@theme/Tabs';",
            "<TabItem",
        ),
        dropped=(
            "This page is linked from the home page",
            "TODO: add a section",
            "sidebar_label",
            "sidebar_position",
        ),
    ),
    Doc(
        "release-notes",
        "Release notes for Atlas 3.0 🚀",
        toc=("Highlights ★", "New languages", "Upgrading", "Configuration changes"),
        glyphs=("🚀", "✅", "⚠", "→", "★", "✓", "設定", "설정", "สวัสดี", "こんにちは", "안녕하세요"),
    ),
    # Several books share the project: a book without a title of its own is named
    # after its file, never after [book] (two books would have one title).
    Doc("plain-notice", "Plain notice"),
    Doc(
        "rust-book",
        "The Ferrous Programming Language",
        toc=(
            "Introduction",
            "Getting Started",
            "Installation",
            "Troubleshooting",
            "Hello, World!",
            "Programming a Guessing Game",
        ),
        code=(
            'println!("Hello, world!");',
            "let mut guess = String::new();",
            "use std::io;",
            'Ordering::Less => println!("Too small!"),',
            "#[derive(Debug)]",  # kept: no hidden line
            "struct Point {",
        ),
        not_code=("use std::cmp::Ordering;", "#![allow(unused)]", "# fn main() {"),
        pictures=2,
    ),
)
DOC_IDS = [doc.book for doc in DOCS]


@dataclass
class Built:
    """The corpus project after one build."""

    project: Path
    stderr: str
    exit_code: int
    html: dict[tuple[str, str], str] = field(default_factory=dict)
    trees: dict[tuple[str, str], etree._Element] = field(default_factory=dict)

    def path(self, book: str, edition: str, fmt: str) -> Path:
        return self.project / "output" / edition / f"{book}.{fmt}"

    def tree(self, book: str, edition: str) -> etree._Element:
        key = (book, edition)
        if key not in self.trees:
            self.html[key] = self.path(book, edition, "html").read_text(encoding="utf-8")
            self.trees[key] = parse_html(self.html[key])
        return self.trees[key]

    def source(self, book: str) -> str:
        folder = self.project / "content" / "en"
        if (folder / book).is_dir():
            return "\n".join(p.read_text("utf-8") for p in sorted((folder / book).glob("*.md")))
        return (folder / f"{book}.md").read_text("utf-8")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The corpus built once: translated with Apertium, every edition in every format."""
    project = tmp_path_factory.mktemp("corpus") / "corpus"
    shutil.copytree(CORPUS, project)
    # as a user runs it, so the warnings of the book processes reach stderr as they would
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "build", "--jobs", "2", "-C", str(project)],
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    return Built(project, result.stderr, result.returncode)


def test_every_document_builds(built: Built) -> None:
    assert built.exit_code == 0, built.stderr
    assert "Traceback" not in built.stderr
    missing = [
        f"{edition}/{doc.book}.{fmt}"
        for doc in DOCS
        for edition in EDITIONS
        for fmt in ("html", "pdf", "epub")
        if not built.path(doc.book, edition, fmt).is_file()
    ]
    assert not missing, f"not written: {missing}\n{built.stderr}"


def by_doc(*editions: str) -> list[object]:
    return [
        pytest.param(doc, edition, id=f"{doc.book}-{edition}")
        for doc in DOCS
        for edition in editions
    ]


def doc_params(having: Callable[[Doc], bool] = lambda doc: True) -> list[object]:
    return [pytest.param(doc, id=doc.book) for doc in DOCS if having(doc)]


# HTML


@pytest.mark.parametrize(("doc", "edition"), by_doc(*EDITIONS))
def test_links_lead_somewhere(built: Built, doc: Doc, edition: str) -> None:
    root = built.tree(doc.book, edition)
    problems = anchor_problems(root, f"{edition}/{doc.book}.html")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("doc", doc_params())
def test_heading_ids_are_the_same_in_every_language(built: Built, doc: Doc) -> None:
    en = heading_ids(built.tree(doc.book, "en"))
    es = heading_ids(built.tree(doc.book, "es"))
    bilingual = set(heading_ids(built.tree(doc.book, "en-es")))
    assert en == es, f"{doc.book}: English ids {en}, Spanish ids {es}"
    assert set(en) <= bilingual, f"{doc.book}: not in the bilingual edition: {set(en) - bilingual}"
    for edition in EDITIONS:
        ids = set(built.tree(doc.book, edition).xpath("//@id"))
        missing = [i for i in doc.ids if i not in ids]
        assert not missing, (
            f"{edition}/{doc.book}: the ids written in the source are missing: {missing}"
        )


@pytest.mark.parametrize(("doc", "edition"), by_doc(*EDITIONS))
def test_no_extension_syntax_in_the_text(built: Built, doc: Doc, edition: str) -> None:
    root = built.tree(doc.book, edition)
    where = f"{edition}/{doc.book}.html"
    verbatim = template_tags(built.source(doc.book)) if doc.templating else set()
    text = prose_text(root)
    problems = marker_problems(text, where, verbatim=verbatim)
    problems += [f"{where}: {m!r} shown as text" for m in doc.markers if m in text]
    everything = root.text_content()
    problems += [
        f"{where}: {m!r} shown (even code must not)" for m in NEVER_SHOWN if m in everything
    ]
    problems += [f"{where}: {d!r} shown" for d in doc.dropped if d in everything]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("doc", "edition"), by_doc(*EDITIONS))
def test_html_edition_is_self_contained(built: Built, doc: Doc, edition: str) -> None:
    built.tree(doc.book, edition)
    problems = self_contained_problems(built.html[doc.book, edition], f"{edition}/{doc.book}.html")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("doc", doc_params())
def test_every_edition_has_the_documents_title(built: Built, doc: Doc) -> None:
    titles = {edition: html_title(built.tree(doc.book, edition)) for edition in EDITIONS}
    pdf_titles = {edition: pdf_title(built.path(doc.book, edition, "pdf")) for edition in EDITIONS}
    assert titles["en"] == doc.title, titles
    assert pdf_titles["en"] == doc.title, pdf_titles
    assert titles["en-es"].startswith(doc.title), titles
    assert pdf_titles["en-es"].startswith(doc.title), pdf_titles
    assert titles["es"] and pdf_titles["es"], (titles, pdf_titles)
    if doc.title != PROJECT_TITLE:
        # the Spanish title is the translation of the document's own title
        assert PROJECT_TITLE not in (titles["es"], pdf_titles["es"]), (titles, pdf_titles)
    if doc.byline:
        bylines = built.tree(doc.book, "en").xpath(
            "//*[contains(concat(' ', @class, ' '), ' title-page ')]"
            "//*[contains(concat(' ', @class, ' '), ' byline ')]"
        )
        assert [b.text_content().strip() for b in bylines] == [doc.byline]


@pytest.mark.parametrize(("doc", "edition"), by_doc(*EDITIONS))
def test_title_page_holds_title_matter_only(built: Built, doc: Doc, edition: str) -> None:
    problems = title_page_problems(built.tree(doc.book, edition), f"{edition}/{doc.book}.html")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("doc", doc_params(lambda d: bool(d.toc)))
def test_table_of_contents_lists_the_sections(built: Built, doc: Doc) -> None:
    entries = {edition: toc_entries(built.tree(doc.book, edition)) for edition in EDITIONS}
    remaining = iter(entries["en"])
    missing = [entry for entry in doc.toc if entry not in remaining]
    assert not missing, f"{doc.book}: {missing} not in the contents (in order): {entries['en']}"
    assert len(entries["es"]) == len(entries["en"]), entries
    assert entries["en-es"] == entries["en"], entries


@pytest.mark.parametrize("doc", doc_params())
def test_bilingual_edition_is_side_by_side(built: Built, doc: Doc) -> None:
    problems = bilingual_row_problems(
        built.tree(doc.book, "en"), built.tree(doc.book, "en-es"), f"en-es/{doc.book}.html"
    )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("doc", doc_params(lambda d: bool(d.translated)))
def test_text_in_boxes_and_html_blocks_is_translated(built: Built, doc: Doc) -> None:
    en = " ".join(prose_text(built.tree(doc.book, "en")).split())
    es = " ".join(prose_text(built.tree(doc.book, "es")).split())
    everything = " ".join(built.tree(doc.book, "en").text_content().split())
    lost = [text for text in doc.translated if text not in everything]
    assert not lost, f"{doc.book}: the English edition lost {lost}"
    code = [text for text in doc.translated if text not in en]
    assert not code, f"{doc.book}: the English edition shows this prose as code: {code}"
    untranslated = [text for text in doc.translated if text in es]
    assert not untranslated, f"{doc.book}: left in English in the Spanish edition: {untranslated}"


@pytest.mark.parametrize("doc", doc_params(lambda d: bool(d.marked)))
def test_highlights_and_scripts_are_shown_in_every_language(built: Built, doc: Doc) -> None:
    """==Highlight==, ^^insertion^^, x^2^ and H~2~O are elements, never markers
    shown as text, in every edition; words are translated, numbers kept."""

    def shown(edition: str, element: str) -> list[str]:
        tree = built.tree(doc.book, edition)
        return [" ".join(e.text_content().split()) for e in tree.iter(element)]

    for element, words in doc.marked:
        assert words in shown("en", element), f"en/{doc.book}: no <{element}>{words}"
        spanish = shown("es", element)
        assert len(spanish) == len(shown("en", element)), f"es/{doc.book}: <{element}> lost"
        bilingual = shown("en-es", element)
        assert words in bilingual and len(bilingual) == 2 * len(spanish), bilingual
        if words.isdigit():
            assert words in spanish, spanish
        else:
            assert words not in spanish and all(spanish), f"es/{doc.book}: {spanish}"


@pytest.mark.parametrize("doc", doc_params(lambda d: bool(d.kept or d.templating)))
def test_protected_text_is_kept_as_written(built: Built, doc: Doc) -> None:
    kept = set(doc.kept)
    if doc.templating:
        kept |= template_tags(built.source(doc.book))
    for edition in EDITIONS:
        text = built.tree(doc.book, edition).text_content()
        changed = sorted(fragment for fragment in kept if fragment not in text)
        assert not changed, f"{edition}/{doc.book}: not shown as written: {changed}"


@pytest.mark.parametrize("doc", doc_params(lambda d: bool(d.unchanged)))
def test_unsupported_syntax_is_never_translated(built: Built, doc: Doc) -> None:
    en = built.tree(doc.book, "en").text_content()
    es = built.tree(doc.book, "es").text_content()
    changed = [s for s in doc.unchanged if en.count(s) != es.count(s)]
    assert not changed, f"es/{doc.book}: shown differently from the English edition: {changed}"


@pytest.mark.parametrize("doc", doc_params(lambda d: bool(d.code)))
def test_mdbook_includes_are_expanded(built: Built, doc: Doc) -> None:
    for edition in EDITIONS:
        code = code_text(built.tree(doc.book, edition))
        missing = [line for line in doc.code if line not in code]
        assert not missing, f"{edition}/{doc.book}: not in the code blocks: {missing}"
        extra = [line for line in doc.not_code if line in code]
        assert not extra, f"{edition}/{doc.book}: outside the included lines: {extra}"


@pytest.mark.parametrize("doc", doc_params(lambda d: bool(d.pictures)))
def test_pictures_are_embedded(built: Built, doc: Doc) -> None:
    for edition in EDITIONS:
        root = built.tree(doc.book, edition)
        embedded = [img for img in root.iter("img") if img.get("src", "").startswith("data:")]
        assert len(embedded) >= doc.pictures, (
            f"{edition}/{doc.book}: {len(embedded)} picture(s) embedded, {doc.pictures} expected"
        )
        described = [img for img in embedded if img.get("alt", "").strip()]
        assert len(described) == len(embedded), (
            f"{edition}/{doc.book}: a picture lost its description"
        )


@pytest.mark.parametrize("doc", doc_params(lambda d: bool(d.warnings)))
def test_problems_in_the_source_are_reported_with_file_and_line(built: Built, doc: Doc) -> None:
    lines = [line for line in built.stderr.splitlines() if all(f in line for f in doc.warnings)]
    assert lines, f"no warning naming {doc.warnings}:\n{built.stderr}"


# PDF


@pytest.mark.parametrize(("doc", "edition"), by_doc(*EDITIONS))
def test_pdf_draws_every_glyph(built: Built, doc: Doc, edition: str) -> None:
    path = built.path(doc.book, edition, "pdf")
    problems = notdef_problems(path, f"{edition}/{doc.book}.pdf")
    assert not problems, "\n".join(problems)
    if edition == "en" and doc.glyphs:
        text = "".join(pdf_text(path).split())  # CJK lines break between any two characters
        missing = [glyph for glyph in doc.glyphs if glyph not in text]
        assert not missing, f"{edition}/{doc.book}.pdf: not drawn: {missing}"


@pytest.mark.parametrize(("doc", "edition"), by_doc(*EDITIONS))
def test_pdf_sets_every_word_on_the_page(built: Built, doc: Doc, edition: str) -> None:
    words = pdf_words(built.path(doc.book, edition, "pdf"))
    assert words, f"{edition}/{doc.book}.pdf has no text"
    problems = off_page_problems(words, f"{edition}/{doc.book}.pdf")
    assert not problems, "\n".join(problems[:20])


@pytest.mark.parametrize(("doc", "edition"), by_doc(*EDITIONS))
def test_pdf_links_stay_in_the_book(built: Built, doc: Doc, edition: str) -> None:
    path, where = built.path(doc.book, edition, "pdf"), f"{edition}/{doc.book}.pdf"
    targets = [
        href[1:]
        for href in built.tree(doc.book, edition).xpath("//a/@href")
        if href.startswith("#") and len(href) > 1
    ]
    problems = pdf_link_problems(path, where) + pdf_destination_problems(path, targets, where)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("doc", "edition"), by_doc(*EDITIONS))
def test_pdf_shows_no_extension_syntax(built: Built, doc: Doc, edition: str) -> None:
    """The PDF's text shows a marker no more often than the code blocks of the HTML
    it was made from do (pdftotext cannot tell code from prose)."""
    text = " ".join(pdf_text(built.path(doc.book, edition, "pdf")).split())
    root = built.tree(doc.book, edition)
    code = code_text(root)
    verbatim = template_tags(built.source(doc.book)) if doc.templating else set()
    verbatim = {" ".join(fragment.split()) for fragment in verbatim}
    problems = [
        f"{edition}/{doc.book}.pdf: {marker!r} shown as text: …{context}…"
        for marker, context in visible_markers(text, verbatim=verbatim).items()
        if text.count(marker) > code.count(marker)
    ]
    problems += [f"{edition}/{doc.book}.pdf: {m!r} shown" for m in NEVER_SHOWN if m in text]
    assert not problems, "\n".join(problems)


# EPUB


@pytest.fixture(scope="module")
def epubchecked(built: Built) -> dict[str, tuple[bool, str]]:
    """epubcheck's verdict on each bilingual EPUB (it holds the source and the
    translation, so every construct of both one-language EPUBs); two at a time."""
    paths = [built.path(doc.book, "en-es", "epub") for doc in DOCS]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(epubcheck, paths))
    return dict(zip(DOC_IDS, results, strict=True))


@pytest.mark.parametrize("doc", doc_params())
def test_epub_passes_epubcheck(epubchecked: dict[str, tuple[bool, str]], doc: Doc) -> None:
    clean, report = epubchecked[doc.book]
    errors = [line for line in report.splitlines() if re.match(r"(ERROR|FATAL)", line)]
    assert clean, f"en-es/{doc.book}.epub:\n" + "\n".join(errors[:30] or [report])
