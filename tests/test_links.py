"""Heading ids, links between chapter files, pictures and listings relative to
the chapter file (issue #14: stable ids; a book of chapter files is one book).

The book under test is ``tests/fixtures/mdbook-book/``: three chapter files in
the style of an mdBook book (the Rust book's guessing game), linking to each
other with ``.md``, ``.html#id`` and reference definitions, a picture in
``img/``, listings in ``listings/ch02/src/main.rs`` with ANCHOR markers.
"""

from __future__ import annotations

import html
import logging
import re
import shutil
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import unquote

import pytest
from helpers import make_project
from test_epub import epubcheck

from pipeline.build import build
from pipeline.config import load_config
from pipeline.render.edition import assemble, assemble_bilingual
from pipeline.render.html import render_html
from pipeline.source.anchors import heading_ids, slug
from pipeline.source.images import ImageEmbedder
from pipeline.source.includes import IncludeExpander
from pipeline.source.links import LinkResolver
from pipeline.source.markdown import load_chapters, parse_document

FIXTURE = Path(__file__).parent / "fixtures" / "mdbook-book"
CHAPTERS = ["ch01-00-intro.md", "ch02-00-guessing.md", "ch03-00-common.md"]
EDITIONS = ("en", "es", "en-es")


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def edition_html(doc_text: str, *, texts: dict[str, str] | None = None, lang: str = "en") -> str:
    doc = parse_document(doc_text, "readme.md")
    edition = assemble(doc, lang=lang, source_lang="en", title="T", author="A", texts=texts)
    return edition.title_page_html + "".join(s.html for s in edition.sections)


# --------------------------------------------------------------------------- ids


@pytest.mark.parametrize(
    ("heading", "expected"),
    [  # what GitHub and mdBook make of these headings (the links authors write)
        ("Hello, World!", "hello-world"),
        ("The `String` Type", "the-string-type"),
        ("Why Façade?", "why-façade"),
        ("1. Install", "1-install"),
        ("Ünïcode & “quotes”", "ünïcode--quotes"),
        ("snake_case and kebab-case", "snake_case-and-kebab-case"),
        ("日本語の見出し", "日本語の見出し"),
        ("हिन्दी शीर्षक", "हिन्दी-शीर्षक"),
        ("🚀", "section"),
    ],
)
def test_heading_ids_follow_the_rule_of_github_and_mdbook(heading: str, expected: str) -> None:
    assert slug(heading) == expected
    html_text = edition_html(f"## {heading}\n\nText.\n")
    assert f'<h2 id="{html.escape(expected)}">' in html_text


def test_ids_come_from_the_source_heading_in_every_language_and_edition() -> None:
    doc = parse_document(
        "# Guide\n\n## Why translate?\n\nSee [below](#how-it-works).\n\n"
        "## How it works\n\nBack to [the reasons](#why-translate).\n",
        "guide.md",
    )
    spanish = {
        "Guide": "Guía",
        "Why translate?": "¿Por qué traducir?",
        "See [below](#how-it-works).": "Ver [abajo](#how-it-works).",
        "How it works": "Cómo funciona",
        "Back to [the reasons](#why-translate).": "Volver a [las razones](#why-translate).",
    }
    texts = {s.id: spanish[s.source] for s in doc.segments}
    kwargs = {"source_lang": "en", "title": "T", "author": "A"}
    en = assemble(doc, lang="en", **kwargs)  # type: ignore[arg-type]
    es = assemble(doc, lang="es", texts=texts, **kwargs)  # type: ignore[arg-type]
    assert (
        [e.anchor for e in en.toc]
        == [e.anchor for e in es.toc]
        == ["why-translate", "how-it-works"]
    )
    es_html = "".join(s.html for s in es.sections)
    assert '<h2 id="why-translate">¿Por qué traducir?</h2>' in es_html
    assert '<a href="#how-it-works">abajo</a>' in es_html

    both = assemble_bilingual(doc, target_lang="es", texts=texts, **kwargs)  # type: ignore[arg-type]
    page = render_html(both)
    ids = re.findall(r' id="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    [row] = [r for r in both.sections[0].rows if r.kind == "paragraph"]
    # Each column's links go to the headings of that column.
    assert '<a href="#how-it-works">below</a>' in row.source_html
    assert row.translation_html is not None
    assert '<a href="#how-it-works-es">abajo</a>' in row.translation_html
    for href in re.findall(r'href="#([^"]*)"', page):
        assert href in ids, href


def test_an_explicit_id_on_the_source_heading_is_kept() -> None:
    """The attribute-list plugin sets ``id`` on ``heading_open``; the editions use it."""
    doc = parse_document("## Getting started\n\nSee [here](#start).\n", "page.md")
    heading = next(t for t in doc.tokens if t.type == "heading_open")
    heading.attrSet("id", "start")
    text = "".join(
        s.html for s in assemble(doc, lang="en", source_lang="en", title="T", author="A").sections
    )
    assert '<h2 id="start">' in text and '<a href="#start">here</a>' in text


def test_a_mkdocs_style_link_finds_its_heading() -> None:
    """MkDocs drops accents from ids (``#que-es``): such a link still finds ``qué-es``."""
    text = edition_html("## ¿Qué es?\n\nText.\n\n## Más\n\n[Arriba](#que-es).\n")
    assert '<a href="#qué-es">Arriba</a>' in text


def test_a_link_written_in_other_case_finds_its_heading() -> None:
    text = edition_html("## Processing a Guess\n\n[Up](#Processing-A-Guess).\n")
    assert '<a href="#processing-a-guess">Up</a>' in text


def test_repeated_headings_get_numbered_ids_and_links_reach_each() -> None:
    text = edition_html(
        "## Example\n\nOne.\n\n## Example\n\nTwo, see [the first](#example) "
        "and [this one](#example-1).\n"
    )
    assert re.findall(r'<h2 id="([^"]+)"', text) == ["example", "example-1"]
    assert '<a href="#example">the first</a>' in text
    assert '<a href="#example-1">this one</a>' in text


# --------------------------------------------------------------------------- links


def test_a_link_to_nowhere_is_reported_once_and_shown_as_text(
    caplog: pytest.LogCaptureFixture,
) -> None:
    doc = parse_document(
        "# Readme\n\n- [Usage](#usage)\n- [Contributing](CONTRIBUTING.md)\n- [Top](#)\n\n"
        "## Install\n\nAgain: [usage](#usage), [site](https://example.org/x.md).\n",
        "README.md",
    )
    links = LinkResolver(doc)
    kwargs = {"source_lang": "en", "title": "T", "author": "A", "links": links}
    pages = [
        render_html(assemble(doc, lang="en", **kwargs)),  # type: ignore[arg-type]
        render_html(assemble_bilingual(doc, target_lang="es", **kwargs)),  # type: ignore[arg-type]
    ]
    for page in pages:
        assert "<li>Usage</li>" in page and "<li>Contributing</li>" in page
        assert 'href="CONTRIBUTING.md"' not in page and 'href="#usage"' not in page
        assert '<a href="#">Top</a>' in page  # an empty link stays what the author wrote
        assert '<a href="https://example.org/x.md">site</a>' in page
    assert warnings(caplog) == [
        "README.md:3: link #usage leads nowhere (no heading has the id #usage): "
        "its text is shown without it",
        "README.md:4: link CONTRIBUTING.md leads nowhere (CONTRIBUTING.md is not part of "
        "this book): its text is shown without it",
    ]


def test_links_to_files_that_are_not_pages_of_the_book_lead_nowhere(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A GitHub README's links to the repository's other files and to the
    project's web site: no edition can serve them (a dead relative link in HTML,
    ``file:///`` in the PDF, an epubcheck error), so each is reported once."""
    doc = parse_document(
        "# quarry\n\n"
        "Sample rows are in [the data folder](data/rows.csv); see the\n"
        "[guide](/docs/guide) and [the source](src/).\n\n"
        "## License\n\n"
        "[MIT](LICENSE), as [LICENSE](LICENSE) says. Mirror: [here](//example.org/q).\n",
        "README.md",
    )
    links = LinkResolver(doc)
    kwargs = {"source_lang": "en", "title": "T", "author": "A", "links": links}
    pages = [
        render_html(assemble(doc, lang="en", **kwargs)),  # type: ignore[arg-type]
        render_html(assemble_bilingual(doc, target_lang="es", **kwargs)),  # type: ignore[arg-type]
    ]
    for page in pages:
        for dead in ("data/rows.csv", "/docs/guide", "src/", "LICENSE"):
            assert f'href="{dead}"' not in page
        assert "the data folder" in page and "<p>MIT, as LICENSE says." in page
        assert '<a href="//example.org/q">here</a>' in page
    assert warnings(caplog) == [
        "README.md:3: link data/rows.csv leads nowhere (data/rows.csv is not part of "
        "this book): its text is shown without it",
        "README.md:4: link /docs/guide leads nowhere (a site-absolute path to no page "
        "of this book): its text is shown without it",
        "README.md:4: link src/ leads nowhere (src is not part of this book): "
        "its text is shown without it",
        "README.md:8: link LICENSE leads nowhere (LICENSE is not part of this book): "
        "its text is shown without it",
    ]


def test_site_absolute_links_go_to_the_pages_hugo_and_mkdocs_publish_there(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """``/docs/install/`` is the page Hugo makes of ``docs/install.md``; from the
    language's folder (Hugo's content) or the book's (MkDocs' docs folder)."""
    book = tmp_path / "en" / "docs"
    (book / "guide").mkdir(parents=True)
    files = {
        "_index.md": "# Docs\n\n## Start\n\nSee [Install](/docs/install/),"
        " [its needs](/docs/install/#needs), [the guide](/docs/guide/), [again](/install.md)"
        " and [the blog](/blog/).\n\nMkDocs: [install](/install/index.html),"
        " [news](/news/).\n",
        "install.md": "# Install\n\n## Needs\n\nPython.\n",
        "news.md": "# News\n\nNone.\n",
        "guide/_index.md": "# Guide\n\nRead on.\n",
    }
    for name, text in files.items():
        (book / name).write_text(text)
    (tmp_path / "en" / "news.md").write_text("# Site news\n")  # another book's page
    doc = load_chapters(book, [book / name for name in files])
    links = LinkResolver(doc, lambda line: "{}:{}".format(*doc.locate(line)) if line else "?")
    page = render_html(
        assemble(doc, lang="en", source_lang="en", title="T", author="A", links=links)
    )
    assert '<a href="#install">Install</a>' in page
    assert '<a href="#needs">its needs</a>' in page
    assert '<a href="#guide">the guide</a>' in page
    assert '<a href="#install">again</a>' in page
    assert '<a href="#install">install</a>' in page
    assert "and the blog.</p>" in page and 'href="/blog/"' not in page
    assert "news.</p>" in page and 'href="/news/"' not in page  # Hugo's /news/ is not the book's
    assert [w for w in warnings(caplog) if "/blog/" in w] == [
        f"{book / '_index.md'}:5: link /blog/ leads nowhere (a site-absolute path to no "
        "page of this book): its text is shown without it"
    ]


def test_rust_blocks_hide_their_hidden_lines_as_mdbook_does() -> None:
    doc = parse_document(
        "# Debug\n\n```rust,ignore\n# #![allow(unused)]\n# fn main() {\n#[derive(Debug)]\n"
        "struct Point;\n    ## not hidden\n#\n# }\n```\n\n```text\n# a shell comment\n```\n"
    )
    page = render_html(assemble(doc, lang="en", source_lang="en", title="T", author="A"))
    assert (
        '<code class="language-rust,ignore">#[derive(Debug)]\nstruct Point;\n    # not hidden\n'
    ) in page
    assert "allow(unused)" not in page and "fn main" not in page
    assert "# a shell comment" in page  # other languages keep their lines


def test_links_written_in_raw_html_go_where_markdown_links_go(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A README's centred HTML navigation bar and an inline ``<a>`` in a
    chapter: into the book they become ``#id`` (the translation column's own
    ids in a bilingual edition); to nowhere they lose the link, keep the text,
    and are reported once."""
    files = {
        "README.md": '# quarry\n\n<p align="center">\n  <a href="#install">Install</a> ·\n'
        '  <a href="usage.md#options">Options</a> ·\n  <a href="LICENSE">License</a> ·\n'
        '  <a href="https://example.org/">Site</a>\n</p>\n\n## Install\n\nRun it.\n',
        "usage.md": "# Usage\n\n## Options\n\n"
        'Back to <a href="README.md#install">installing</a>; see <a href="LICENSE">the\n'
        'licence</a> or <a href="#gone">nothing</a>.\n',
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    doc = load_chapters(tmp_path, [tmp_path / name for name in files])
    links = LinkResolver(doc, lambda line: "{}:{}".format(*doc.locate(line)) if line else "?")
    kwargs = {"source_lang": "en", "title": "T", "author": "A", "links": links}
    english = render_html(assemble(doc, lang="en", **kwargs))  # type: ignore[arg-type]
    both = render_html(assemble_bilingual(doc, target_lang="es", **kwargs))  # type: ignore[arg-type]
    for page in (english, both):
        assert '<a href="#install">Install</a>' in page
        assert '<a href="#options">Options</a>' in page
        assert '<a href="#install">installing</a>' in page
        assert "<a>License</a>" in page and "<a>the\nlicence</a>" in page
        assert "<a>nothing</a>" in page
        assert '<a href="https://example.org/">Site</a>' in page
        assert 'href="LICENSE"' not in page and 'href="#gone"' not in page
        assert "usage.md" not in page and "README.md" not in page
    # The translation column leads to its own headings.
    assert '<a href="#install-es">Install</a>' in both
    assert '<a href="#options-es">Options</a>' in both
    assert 'id="install-es"' in both and 'id="options-es"' in both
    messages = warnings(caplog)
    assert messages == [
        f"{tmp_path / 'README.md'}:6: link LICENSE leads nowhere (LICENSE is not part of "
        "this book): its text is shown without it",
        f"{tmp_path / 'usage.md'}:6: link #gone leads nowhere (no heading has the id "
        "#gone): its text is shown without it",
    ]


def test_an_id_written_in_raw_html_is_a_target_and_never_given_twice() -> None:
    text = edition_html('<a id="legal"></a>\n\nSee [the notice](#legal).\n\n## Setup\n')
    assert '<a href="#legal">the notice</a>' in text
    text = edition_html('<div id="setup"></div>\n\n## Setup\n\nSee [setup](#setup).\n')
    assert text.count('id="setup"') == 1 and '<h2 id="setup-1">' in text
    assert '<a href="#setup-1">setup</a>' in text  # a link written for the heading


def test_links_resolve_against_the_chapter_file_that_holds_them(tmp_path: Path) -> None:
    """``./sub/other.md``, ``../intro.md``, ``other.html#x`` and ``index.html``
    (mdBook's name for a ``README.md``) from chapter files in two folders."""
    (tmp_path / "sub").mkdir()
    files = {
        "README.md": "# Welcome\n\nRead [the part](./sub/part.md#details) or [the end](end.md).\n",
        "sub/part.md": "# Part\n\n## Details\n\n[Home](../index.html), "
        "[end](../end.html#details).\n",
        "end.md": "# End\n\n## Details\n\n[Part details](sub/part.html#details).\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    doc = load_chapters(tmp_path, [tmp_path / name for name in files])
    ids = heading_ids(doc)
    assert list(ids.by_token.values()) == ["welcome", "part", "details", "end", "details-1"]
    edition = assemble(doc, lang="en", source_lang="en", title="T", author="A")
    text = edition.title_page_html + "".join(s.html for s in edition.sections)
    assert '<a href="#details">the part</a>' in text
    assert '<a href="#end">the end</a>' in text
    assert '<a href="#welcome">Home</a>' in text
    assert '<a href="#details-1">end</a>' in text  # end.md's "Details", not part.md's
    assert '<a href="#details">Part details</a>' in text


# --------------------------------------------------------------------------- pictures


def test_pictures_are_found_next_to_the_chapter_file_that_shows_them(tmp_path: Path) -> None:
    for folder, colour in (("a", b"A"), ("b", b"B")):
        (tmp_path / folder / "img").mkdir(parents=True)
        (tmp_path / folder / "img" / "pic.png").write_bytes(b"\x89PNG" + colour)
        (tmp_path / folder / "ch.md").write_text(f"# {folder}\n\n![Picture](img/pic.png)\n")
    doc = load_chapters(tmp_path, [tmp_path / "a" / "ch.md", tmp_path / "b" / "ch.md"])
    embed = ImageEmbedder(tmp_path, tmp_path, file_of=lambda line: doc.locate(line)[0])
    lines = [s.line for s in doc.segments if s.source.startswith("![")]
    urls = [embed("img/pic.png", line) for line in lines]
    assert urls[0] != urls[1] and all(u and u.startswith("data:image/png") for u in urls)


# --------------------------------------------------------------------------- includes

LISTING = (FIXTURE / "listings" / "ch02" / "src" / "main.rs").read_text()


def expander(tmp_path: Path) -> IncludeExpander:
    folder = tmp_path / "book" / "listings"
    folder.mkdir(parents=True)
    (folder / "main.rs").write_text(LISTING)
    return IncludeExpander(lambda line: tmp_path / "book" / "ch02.md", tmp_path)


@pytest.mark.parametrize(
    ("directive", "expected"),
    [
        ("{{#include listings/main.rs:5:7}}", '\nfn main() {\n    println!("Guess the number!");'),
        ("{{#include listings/main.rs:3}}", "use std::io;"),
        ("{{#include listings/main.rs::3}}", "// ANCHOR: all\n// ANCHOR: io\nuse std::io;"),
        ("{{#include listings/main.rs:20:}}", "}\n// ANCHOR_END: all"),
        ("{{#include listings/main.rs:string}}", "    let mut guess = String::new();"),
        ("{{ #include listings/main.rs:io }}", "use std::io;"),
        ("{{#rustdoc_include listings/main.rs:io}}", "use std::io;"),
        (r"\{{#include listings/main.rs}}", "{{#include listings/main.rs}}"),
    ],
)
def test_includes_take_mdbooks_ranges_and_anchors(
    tmp_path: Path, directive: str, expected: str
) -> None:
    assert expander(tmp_path)(directive + "\n", 1) == expected + "\n"


def test_an_anchored_include_leaves_out_every_anchor_marker(tmp_path: Path) -> None:
    shown = expander(tmp_path)("{{#include listings/main.rs:all}}\n", 1)
    assert "ANCHOR" not in shown
    assert shown.startswith("use std::io;\n\nfn main() {\n")
    assert shown.endswith('    println!("You guessed: {guess}");\n}\n')
    whole = expander(tmp_path / "2")("{{#include listings/main.rs}}\n", 1)
    assert whole == LISTING  # the whole file, as mdBook shows it
    rustdoc = expander(tmp_path / "3")("{{#rustdoc_include listings/main.rs}}\n", 1)
    assert "ANCHOR" not in rustdoc and "let mut guess" in rustdoc


@pytest.mark.parametrize(
    ("directive", "problem"),
    [
        ("{{#include listings/gone.rs}}", "included file listings/gone.rs is not there"),
        ("{{#include ../../../etc/hostname}}", "../../../etc/hostname is outside the project"),
        ("{{#include listings/main.rs:nope}}", "listings/main.rs has no anchor 'nope'"),
    ],
)
def test_an_include_that_cannot_be_expanded_is_reported_once_and_left_as_written(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, directive: str, problem: str
) -> None:
    expand = IncludeExpander(
        lambda line: tmp_path / "book" / "ch02.md", tmp_path, lambda line: f"ch02.md:{line}"
    )
    (tmp_path / "book" / "listings").mkdir(parents=True)
    (tmp_path / "book" / "listings" / "main.rs").write_text(LISTING)
    code = f"// before\n{directive}\n"
    assert expand(code, 10) == code
    assert expand(code, 10) == code
    [message] = warnings(caplog)
    assert message.startswith("ch02.md:11: ") and problem in message


# --------------------------------------------------------------------------- the book


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The mdBook-style book built to every edition and format; its warnings."""
    root = tmp_path_factory.mktemp("links") / "rust"
    make_project(root, {}, formats=("html", "pdf", "epub"), title="The Rust Book")
    shutil.copytree(FIXTURE, root / "content" / "en" / "guessing")
    toml = root / "pipeline.toml"
    listed = ", ".join(f'"{name}"' for name in CHAPTERS)
    toml.write_text(toml.read_text() + f"\n[books.guessing]\nchapters = [{listed}]\n")
    handler = _Collect()
    logging.getLogger("pipeline").addHandler(handler)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("SOURCE_DATE_EPOCH", "1700000000")
            build(load_config(root), engine="pseudo")
    finally:
        logging.getLogger("pipeline").removeHandler(handler)
    return root, handler.messages


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def output(root: Path, slug_: str, fmt: str) -> Path:
    return root / "output" / slug_ / f"guessing.{fmt}"


def test_every_internal_link_of_the_book_leads_to_a_heading(book: tuple[Path, list[str]]) -> None:
    root, _ = book
    ids_by_edition = {}
    for edition in EDITIONS:
        page = output(root, edition, "html").read_text()
        ids = re.findall(r' id="([^"]+)"', page)
        hrefs = re.findall(r' href="([^"]*)"', page)
        assert not [h for h in hrefs if not h.startswith("#")], "links to files are gone"
        dead = [h for h in hrefs if html.unescape(unquote(h[1:])) not in ids and h != "#"]
        assert not dead, (edition, dead)
        ids_by_edition[edition] = [i for i in ids if not i.startswith("fn")]
    assert ids_by_edition["en"] == ids_by_edition["es"]
    assert set(ids_by_edition["en"]) < set(ids_by_edition["en-es"])


def test_chapter_links_go_to_the_heading_of_the_file_they_name(
    book: tuple[Path, list[str]],
) -> None:
    root, _ = book
    page = output(root, "en", "html").read_text()
    page = re.sub(r'<nav class="toc".*?</nav>', "", page, flags=re.S)  # the text only

    def href(text: str) -> str:
        found = re.findall(rf'<a href="(#[^"]*)">{re.escape(text)}</a>', page)
        assert len(found) == 1, (text, found)
        return found[0]

    assert href("Programming a Guessing Game") == "#programming-a-guessing-game"  # x.md
    assert href("Processing a Guess") == "#processing-a-guess"  # [ref]: x.html#id
    assert href("Variables and Mutability") == "#variables-and-mutability"  # x.md#id
    assert href("Common Programming Concepts") == "#common-programming-concepts"  # x.html
    assert href("the next chapter") == "#common-programming-concepts"  # [ref]: x.html
    assert href("Chapter 1") == "#installation"  # ./x.md#id
    # Both chapters have an "Installation": each link goes to the one it names.
    assert href("installation section") == "#installation-1"
    assert href("the first chapter\u2019s") == "#installation"
    assert href("“Storing Values with Variables”") == "#storing-values-with-variables"
    assert href("the summary of chapter 2") == "#summary"
    assert "list of frequently asked questions on the website" in page  # faq.md: text only


def test_a_dead_link_and_a_missing_listing_are_reported_once_with_file_and_line(
    book: tuple[Path, list[str]],
) -> None:
    _, messages = book
    dead = [m for m in messages if "leads nowhere" in m]
    assert dead == [
        "content/en/guessing/ch02-00-guessing.md:48: link faq.md leads nowhere "
        "(faq.md is not part of this book): its text is shown without it"
    ]
    missing = [m for m in messages if "included file" in m]
    assert len(missing) == 1
    assert missing[0].startswith(
        "content/en/guessing/ch03-00-common.md:14: included file listings/missing.rs is not there"
    )


def test_listings_are_included_and_pictures_embedded_in_every_edition(
    book: tuple[Path, list[str]],
) -> None:
    root, _ = book
    for edition in EDITIONS:
        page = output(root, edition, "html").read_text()
        assert "let mut guess = String::new();" in page
        assert "{{#include listings/ch02" not in page and "{{#rustdoc_include" not in page
        assert "ANCHOR" not in page
        assert "{{#include listings/missing.rs}}" in page  # left as written
        assert page.count('src="data:image/png;base64,') == 1, edition  # img/ferris.png
        assert page.count('src="data:image/svg+xml;base64,') == 1, edition  # img/guess.svg


def test_includes_leave_the_catalogue_alone(book: tuple[Path, list[str]]) -> None:
    root, _ = book
    catalogue = (root / "content" / "es" / "guessing.po").read_text()
    assert "String::new" not in catalogue and "ANCHOR" not in catalogue


def test_pdf_links_are_internal_and_lead_to_destinations(book: tuple[Path, list[str]]) -> None:
    from pypdf import PdfReader

    root, _ = book
    for edition in EDITIONS:
        reader = PdfReader(output(root, edition, "pdf"))
        names = set(reader.named_destinations)
        internal = 0
        for page in reader.pages:
            for annot in page.get("/Annots") or []:
                annot = annot.get_object()
                if annot.get("/Subtype") != "/Link":
                    continue
                action = annot.get("/A")
                assert action is None or "/URI" not in action, (edition, action)
                dest = annot.get("/Dest")
                assert dest in names, (edition, dest)
                internal += 1
        assert internal >= 10, edition


def test_epubs_pass_epubcheck_and_route_links_to_their_pages(
    book: tuple[Path, list[str]],
) -> None:
    root, _ = book
    for edition in EDITIONS:
        with zipfile.ZipFile(output(root, edition, "epub")) as epub:
            pages = {
                Path(n).name: epub.read(n).decode() for n in epub.namelist() if n.endswith(".xhtml")
            }
        ids = {name: set(re.findall(r' id="([^"]+)"', text)) for name, text in pages.items()}
        for name, text in pages.items():
            for href in re.findall(r' href="([^"]*)"', text):
                if href.startswith(("https:", "http:", "mailto:")) or href.endswith(".css"):
                    continue
                target, _, fragment = href.partition("#")
                page = target or name
                assert page in pages, (edition, name, href)
                assert not fragment or unquote(fragment) in ids[page], (edition, name, href)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(epubcheck, [output(root, e, "epub") for e in ("es", "en-es")]))
    for result in results:
        assert "Messages: 0 fatals / 0 errors / 0 warnings" in result.stdout, result.stdout


def test_ids_do_not_depend_on_the_edition_being_bilingual(book: tuple[Path, list[str]]) -> None:
    root, _ = book
    en = output(root, "en", "html").read_text()
    pair = output(root, "en-es", "html").read_text()
    toc = re.findall(r'<a href="#([^"]+)">', en.split("</nav>", 1)[0])
    for anchor in toc:
        assert f'id="{anchor}"' in pair and f'id="{anchor}-es"' in pair, anchor


def test_changing_a_listing_rebuilds_the_editions(tmp_path: Path) -> None:
    root = tmp_path / "rust"
    make_project(root, {}, formats=("html",), title="The Rust Book")
    shutil.copytree(FIXTURE, root / "content" / "en" / "guessing")
    toml = root / "pipeline.toml"
    listed = ", ".join(f'"{name}"' for name in CHAPTERS)
    toml.write_text(toml.read_text() + f"\n[books.guessing]\nchapters = [{listed}]\n")
    config = load_config(root)
    build(config, engine="pseudo")
    assert build(config, engine="pseudo").written == []
    listing = root / "content" / "en" / "guessing" / "listings" / "ch02" / "src" / "main.rs"
    listing.write_text(listing.read_text().replace("Guess the number!", "Guess it!"))
    written = build(config, engine="pseudo").written
    assert {p.relative_to(root).as_posix() for p in written} == {
        f"output/{edition}/guessing.html" for edition in EDITIONS
    }
    assert "Guess it!" in output(root, "es", "html").read_text()


# ------------------------------------------------------------- single-file documents


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A GitHub README and an MkDocs page (``tests/fixtures/links/``), each a
    book of one file, built to every edition and format; the warnings."""
    root = tmp_path_factory.mktemp("pages") / "docs"
    make_project(root, {}, formats=("html", "pdf", "epub"), title="Docs")
    for name in ("readme.md", "guide.md"):
        shutil.copy(FIXTURE.parent / "links" / name, root / "content" / "en" / name)
    handler = _Collect()
    logging.getLogger("pipeline").addHandler(handler)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("SOURCE_DATE_EPOCH", "1700000000")
            build(load_config(root), engine="pseudo")
    finally:
        logging.getLogger("pipeline").removeHandler(handler)
    return root, handler.messages


@pytest.mark.parametrize("name", ["readme", "guide"])
def test_links_of_a_single_page_lead_to_headings_in_every_edition(
    pages: tuple[Path, list[str]], name: str
) -> None:
    from pypdf import PdfReader

    root, _ = pages
    heading_ids_by_edition = {}
    for edition in EDITIONS:
        page = (root / "output" / edition / f"{name}.html").read_text()
        ids = re.findall(r' id="([^"]+)"', page)
        hrefs = [h for h in re.findall(r' href="#([^"]*)"', page) if h]
        assert hrefs and all(html.unescape(h) in ids for h in hrefs), edition
        heading_ids_by_edition[edition] = re.findall(r'<h[1-6][^>]* id="([^"]+)"', page)
        reader = PdfReader(root / "output" / edition / f"{name}.pdf")
        names = set(reader.named_destinations)
        dests = [
            a.get_object().get("/Dest")
            for p in reader.pages
            for a in p.get("/Annots") or []
            if a.get_object().get("/Dest") is not None
        ]
        assert dests and all(d in names for d in dests), edition
    assert heading_ids_by_edition["en"] == heading_ids_by_edition["es"]


def test_github_and_mkdocs_style_fragments_find_their_headings(
    pages: tuple[Path, list[str]],
) -> None:
    root, messages = pages
    readme = (root / "output" / "es" / "readme.html").read_text()
    for anchor in ("why-façade", "1-install", "usage--quick-start", "日本語", "faq"):
        assert f'<a href="#{anchor}">' in readme, anchor
    assert 'id="does-it-work-offline"' in readme and 'id="does-it-work-offline-1"' in readme
    guide = (root / "output" / "en" / "guide.html").read_text()
    assert '<a href="#visión-general">the overview</a>' in guide  # written #vision-general
    assert '<a href="#qué-es">¿Qué es?</a>' in guide  # written #que-es
    dead = sorted(
        m.split(": link ")[1].split(" leads")[0] for m in messages if "leads nowhere" in m
    )
    assert dead == ["#changelog", "../reference/configuration.md", "CONTRIBUTING.md"]


def test_a_readme_with_unicode_ids_passes_epubcheck(pages: tuple[Path, list[str]]) -> None:
    root, _ = pages
    result = epubcheck(root / "output" / "en-es" / "readme.epub")
    assert "Messages: 0 fatals / 0 errors / 0 warnings" in result.stdout, result.stdout
