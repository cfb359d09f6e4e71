"""Books made of several chapter files, ordered in pipeline.toml."""

from __future__ import annotations

import dataclasses
import re
import shutil
import zipfile
from pathlib import Path

import lxml.html
import polib
import pytest
from helpers import assert_one_line_error, run

from pipeline.build import build
from pipeline.config import load_config
from pipeline.errors import ConfigError, ContentError
from pipeline.project import find_books

CHAPTERS = {
    "01-intro.md": "# The Guide\n\nBy Someone\n\n## Introduction\n\nFirst words of the book.\n",
    "02-middle.md": "## The Middle\n\n- one point\n- another point\n",
    "03-end.md": "- a list right at the start\n\n## The End\n\nLast words, see [the site][s].\n\n"
    "[s]: https://example.org\n",
}


@pytest.fixture
def guide(project: Path) -> Path:
    folder = project / "content" / "en" / "guide"
    folder.mkdir()
    for name, text in CHAPTERS.items():
        (folder / name).write_text(text)
    toml = project / "pipeline.toml"
    toml.write_text(
        toml.read_text()
        + '\n[books.guide]\ntitle = "The Guide"\nauthor = "Someone"\n'
        + 'chapters = ["01-intro.md", "02-middle.md", "03-end.md"]\n'
    )
    return project


def test_chapters_are_read_in_the_listed_order(guide: Path) -> None:
    [book] = [b for b in find_books(load_config(guide)) if b.id == "guide"]
    doc = book.load()
    assert [s.source for s in doc.segments][:3] == ["The Guide", "By Someone", "Introduction"]
    assert doc.segments[-1].source == "Last words, see [the site][s]."


def test_po_occurrences_name_the_chapter_file_and_line(guide: Path) -> None:
    config = dataclasses.replace(load_config(guide), formats=("html",), bilingual=False)
    build(config, engine="pseudo", books=["guide"])
    entries = {e.msgid: e for e in polib.pofile(str(guide / "content" / "es" / "guide.po"))}
    assert entries["The Middle"].occurrences == [("content/en/guide/02-middle.md", "1")]
    assert entries["Last words, see [the site][s]."].occurrences == [
        ("content/en/guide/03-end.md", "5")
    ]
    html = (guide / "output" / "es" / "guide.html").read_text()
    assert 'href="https://example.org"' in html  # references work across the joined chapters
    assert html.count("<ul>") == 2  # the two lists stayed two lists


def test_unclosed_fence_is_reported_in_its_chapter(guide: Path) -> None:
    (guide / "content" / "en" / "guide" / "02-middle.md").write_text("Text\n\n```\ncode\n")
    result = run("build", "-e", "pseudo", "--book", "guide", project=guide)
    assert result.code == 1
    assert "content/en/guide/02-middle.md:3: this fence runs into the next chapter" in result.err


def test_missing_chapter_file(guide: Path) -> None:
    (guide / "content" / "en" / "guide" / "03-end.md").unlink()
    with pytest.raises(ContentError, match=r"chapter '03-end\.md' of book 'guide' not found"):
        find_books(load_config(guide))


def test_folder_without_chapter_list(project: Path) -> None:
    (project / "content" / "en" / "notes").mkdir()
    (project / "content" / "en" / "notes" / "monday.md").write_text("# Monday\n\nText.\n")
    with pytest.raises(ConfigError, match="has no chapter list"):
        find_books(load_config(project))


def test_a_folder_without_markdown_is_not_a_book(project: Path) -> None:
    for folder in ("assets", "img/screens", "empty"):
        (project / "content" / "en" / folder).mkdir(parents=True)
    (project / "content" / "en" / "img" / "screens" / "first.png").write_bytes(b"\x89PNG")
    books = find_books(load_config(project))
    assert not {"assets", "img", "empty"} & {book.id for book in books}


def test_bad_chapter_names_are_refused(project: Path) -> None:
    toml = project / "pipeline.toml"
    toml.write_text(toml.read_text() + '\n[books.guide]\nchapters = ["../secret.md"]\n')
    with pytest.raises(ConfigError, match="is not a chapter file name") as error:
        load_config(project)
    assert error.value.line is not None


def test_unknown_key_in_a_book_table(project: Path) -> None:
    toml = project / "pipeline.toml"
    toml.write_text(toml.read_text() + '\n[books.guide]\nchapter = ["a.md"]\n')
    with pytest.raises(ConfigError, match=r"did you mean books\.guide\.chapters"):
        load_config(project)


@pytest.mark.parametrize("command", ["build", "translate", "render", "status", "check"])
def test_a_file_and_a_folder_for_one_book_is_a_one_line_error(guide: Path, command: str) -> None:
    """guide.md beside guide/: each command names both, instead of a traceback or
    two books written into one catalogue."""
    from helpers import assert_one_line_error

    (guide / "content" / "en" / "guide.md").write_text("# Another guide\n\nText.\n")
    args = [command, "-e", "pseudo"] if command in ("build", "translate") else [command]
    result = run(*args, project=guide)
    assert_one_line_error(
        result, "two sources for book 'guide'", "content/en/guide.md", "content/en/guide/"
    )
    assert not (guide / "content" / "es" / "guide.po").exists()


# ----------------------------------------------------------------------- front matter in each file

HUGO_DOCS = Path(__file__).parent / "fixtures" / "hugo-docs"
HUGO_CHAPTERS = [
    "_index.md",
    "getting-started.md",
    "configuration.md",
    "faq.md",
    "changelog.md",
    "thematic-break.md",
]
HUGO_TOML = f"""\
[book]
title = "The Quarry Handbook"
author = "Quarry Team"

[books.docs]
chapters = [{", ".join(f'"{name}"' for name in HUGO_CHAPTERS)}]

[languages]
source = "en"
targets = ["es"]

[editions]
formats = ["html", "epub"]

[translate]
engine = "pseudo"
"""


@pytest.fixture(scope="module")
def hugo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Hugo (Docsy-style) docs section published as a book: every page has
    its front matter (YAML or TOML), most give their title only there."""
    root = tmp_path_factory.mktemp("hugo")
    shutil.copytree(HUGO_DOCS, root / "content" / "en" / "docs")
    (root / "pipeline.toml").write_text(HUGO_TOML)
    result = run("build", "-q", project=root)
    assert result.code == 0, result
    return root


def toc_entries(page: str) -> list[tuple[int, str]]:
    nav = page[page.index('<nav class="toc"') : page.index("</nav>")]
    return [
        (int(level), re.sub(r"<[^>]+>", "", text).strip())
        for level, text in re.findall(r'<li class="toc-level-(\d)"><a [^>]*>(.*?)</a>', nav)
    ]


def test_front_matter_of_every_chapter_file_is_never_shown(hugo: Path) -> None:
    for edition in ("en", "es", "en-es"):
        page = (hugo / "output" / edition / "docs.html").read_text()
        body = page[page.index("<body") :]
        for key in ("linkTitle", "weight", "draft = false", "toc_hide", "+++", "type: docs"):
            assert key not in body, (edition, key)
        with zipfile.ZipFile(hugo / "output" / edition / "docs.epub") as epub:
            text = " ".join(epub.read(n).decode() for n in epub.namelist() if n.endswith("html"))
        assert "weight" not in text and "toc_hide" not in text, edition
    po = (hugo / "content" / "es" / "docs.po").read_text()
    assert "weight" not in po and "linkTitle" not in po


def test_hugo_ref_links_lead_to_their_chapters_in_every_edition(hugo: Path) -> None:
    # [how to configure Quarry]({{< ref "configuration.md" >}}), and a relref with
    # a page named without .md and a heading's anchor.
    for edition in ("en", "es", "en-es"):
        tree = lxml.html.fromstring((hugo / "output" / edition / "docs.html").read_bytes())
        ids = set(tree.xpath("//@id"))
        links = [
            href
            for href in tree.xpath("//p//a/@href")
            if "configuring" in href or "does-quarry" in href
        ]
        assert len(links) == (4 if edition == "en-es" else 2), (edition, links)
        assert all(href.startswith("#") and href[1:] in ids for href in links), (edition, links)
        assert "{{<" not in tree.text_content() and "relref" not in tree.text_content()


def test_docsy_tabs_are_boxes_under_their_headers_in_every_edition(hugo: Path) -> None:
    for edition, linux in (("en", "Linux"), ("es", "[!! Líñüx !!]")):
        tree = lxml.html.fromstring((hugo / "output" / edition / "docs.html").read_bytes())
        tabs = tree.xpath("//div[contains(@class, 'tabbed')]")
        titles = [" ".join(t.xpath("./p[1]")[0].text_content().split()) for t in tabs]
        assert titles[0] == linux, (edition, titles)
        assert tabs[1].xpath(".//pre/code/text()") == ["brew install quarry\n"]
        assert "tabpane" not in tree.text_content()
    with zipfile.ZipFile(hugo / "output" / "es" / "docs.epub") as epub:
        text = " ".join(epub.read(n).decode() for n in epub.namelist() if n.endswith("html"))
    assert 'class="admonition tabbed"' in text and "{{" not in text


def test_a_front_matter_title_opens_its_chapter_in_every_language(hugo: Path) -> None:
    page = (hugo / "output" / "en" / "docs.html").read_text()
    assert toc_entries(page) == [
        (2, "Quarry Documentation"),
        (2, "Getting Started"),
        (3, "Prerequisites"),
        (3, "Installation"),
        (2, "Configuring Quarry"),
        (3, "Ignoring files"),
        (2, "Frequently asked questions"),  # its own # heading, not "FAQ"
        (3, "Does Quarry need a network connection?"),
        (3, "Version 1.2"),  # no title of its own: a section of the chapter before
    ]
    assert "<title>The Quarry Handbook</title>" in page  # a chapter's title is not the book's
    spanish = toc_entries((hugo / "output" / "es" / "docs.html").read_text())
    assert spanish[1] == (2, "[!! Géttíñg Stártéd !!]")
    assert spanish[4] == (2, "[!! Çöñfígüríñg Qüárrý !!]")
    # The words after a thematic break are kept, and the break is a rule.
    assert "A chapter that opens with a thematic break" in page
    assert page.count("<hr") == 1


def test_a_front_matter_title_is_a_heading_segment_at_its_line(hugo: Path) -> None:
    entries = {e.msgid: e for e in polib.pofile(str(hugo / "content" / "es" / "docs.po"))}
    assert entries["Getting Started"].occurrences == [("content/en/docs/getting-started.md", "2")]
    assert entries["Configuring Quarry"].occurrences == [("content/en/docs/configuration.md", "2")]
    assert entries["Getting Started"].comment.startswith("heading")
    assert "FAQ" not in entries  # the page's own heading titles it
    # Exchanged with CAT tools like any heading.
    xlf = hugo / "docs.es.xlf"
    result = run("review", "export", "-b", "docs", "-o", str(xlf), project=hugo)
    assert result.code == 0, result
    assert "Configuring Quarry" in xlf.read_text()


def test_a_front_matter_title_is_shown_as_written(project: Path) -> None:
    folder = project / "content" / "en" / "notes"
    folder.mkdir()
    (folder / "a.md").write_text("# Notes\n\nFirst.\n")
    (folder / "b.md").write_text('---\ntitle: "C# & *stars* <b>bold</b> &copy;"\n---\n\nText.\n')
    toml = project / "pipeline.toml"
    toml.write_text(toml.read_text() + '\n[books.notes]\nchapters = ["a.md", "b.md"]\n')
    [book] = [b for b in find_books(load_config(project)) if b.id == "notes"]
    doc = book.load()
    # Escaped only where Markdown would read markup: "C# &" stays as it is.
    assert doc.segments[2].source == r"C# & \*stars\* \<b>bold\</b> \&copy;"
    config = dataclasses.replace(load_config(project), formats=("html",), bilingual=False)
    build(config, engine="pseudo", books=["notes"], langs=["en"])
    page = (project / "output" / "en" / "notes.html").read_text()
    assert ">C# &amp; *stars* &lt;b&gt;bold&lt;/b&gt; &amp;copy;</h2>" in page


# ----------------------------------------------------------------------- mdBook's SUMMARY.md

MDBOOK = Path(__file__).parent / "fixtures" / "mdbook-book"
SUMMARY_MD = """\
# Summary

[Getting Started](ch01-00-intro.md)

# The Language

- [Common Programming Concepts](ch03-00-common.md)
    - [Variables](ch03-00-common.md#variables-and-mutability)
- [Programming a Guessing Game](./ch02-00-guessing.md)
- [Error Handling]()

---

[Contributors](misc/contributors.md)
"""


@pytest.fixture
def mdbook(project: Path) -> Path:
    """An mdBook ``src/`` folder as it is, SUMMARY.md and all, with no chapter list."""
    folder = project / "content" / "en" / "rust"
    shutil.copytree(MDBOOK, folder)
    (folder / "misc").mkdir()
    (folder / "misc" / "contributors.md").write_text("# Contributors\n\nThanks to everyone.\n")
    (folder / "SUMMARY.md").write_text(SUMMARY_MD)
    return project


def test_mdbook_summary_orders_the_chapters(mdbook: Path) -> None:
    [book] = [b for b in find_books(load_config(mdbook)) if b.id == "rust"]
    folder = mdbook / "content" / "en" / "rust"
    assert book.chapters == (
        folder / "ch01-00-intro.md",
        folder / "ch03-00-common.md",  # before the guessing game, as SUMMARY.md has it
        folder / "ch02-00-guessing.md",
        folder / "misc" / "contributors.md",
    )
    config = dataclasses.replace(load_config(mdbook), formats=("html",), bilingual=False)
    build(config, engine="pseudo", books=["rust"])
    html = (mdbook / "output" / "en" / "rust.html").read_text()
    titles = ["Getting Started", "Common Programming Concepts", "Programming a Guessing Game"]
    order = [html.index(f">{title}</h2>") for title in [*titles, "Contributors"]]
    assert order == sorted(order)
    entries = {e.msgid: e for e in polib.pofile(str(mdbook / "content" / "es" / "rust.po"))}
    assert entries["Thanks to everyone."].occurrences == [
        ("content/en/rust/misc/contributors.md", "3")
    ]
    # SUMMARY.md itself is no chapter: its part title and draft chapter are not segments.
    assert "The Language" not in entries and "Error Handling" not in entries


def test_reordering_summary_rebuilds_the_book(mdbook: Path) -> None:
    assert run("build", "-q", "-f", "html", project=mdbook).code == 0
    again = run("build", "-f", "html", project=mdbook)
    assert "up to date" in again.out
    summary = mdbook / "content" / "en" / "rust" / "SUMMARY.md"
    summary.write_text(SUMMARY_MD.replace("[Contributors](misc/contributors.md)", ""))
    assert run("build", "-q", "-f", "html", project=mdbook).code == 0
    assert "Contributors" not in (mdbook / "output" / "en" / "rust.html").read_text()


def test_a_chapter_list_in_pipeline_toml_wins_over_summary(mdbook: Path) -> None:
    toml = mdbook / "pipeline.toml"
    toml.write_text(toml.read_text() + '\n[books.rust]\nchapters = ["ch02-00-guessing.md"]\n')
    [book] = [b for b in find_books(load_config(mdbook)) if b.id == "rust"]
    assert [p.name for p in book.chapters] == ["ch02-00-guessing.md"]


def test_a_summary_link_to_a_missing_chapter_is_one_line_error(mdbook: Path) -> None:
    summary = mdbook / "content" / "en" / "rust" / "SUMMARY.md"
    summary.write_text(SUMMARY_MD.replace("./ch02-00-guessing.md", "ch02-guess.md"))
    result = run("build", "-f", "html", project=mdbook)
    assert_one_line_error(
        result, "content/en/rust/SUMMARY.md:9:", "chapter 'ch02-guess.md' not found"
    )


def test_a_file_summary_does_not_list_is_left_out_with_a_warning(mdbook: Path) -> None:
    (mdbook / "content" / "en" / "rust" / "notes.md").write_text("# Notes\n\nScratch.\n")
    result = run("build", "-f", "html", project=mdbook)
    assert result.code == 0, result
    assert "not in SUMMARY.md, left out: notes.md" in result.err
    assert "Scratch" not in (mdbook / "output" / "en" / "rust.html").read_text()


# ----------------------------------------------------------------------- Hugo's page weights


@pytest.fixture
def hugo_section(project: Path) -> Path:
    """A Hugo docs section as it is: no chapter list, each page's weight in its front matter."""
    folder = project / "content" / "en" / "docs"
    folder.mkdir()
    for name in ("_index.md", "getting-started.md", "configuration.md", "changelog.md"):
        shutil.copy(HUGO_DOCS / name, folder / name)
    (folder / "faq.md").write_text("+++\ntitle = 'FAQ'\nweight = 2\n+++\n\nAsk away.\n")
    return project


def test_hugo_weights_order_the_pages_of_a_section(hugo_section: Path) -> None:
    [book] = [b for b in find_books(load_config(hugo_section)) if b.id == "docs"]
    assert [p.name for p in book.chapters] == [
        "_index.md",  # the section's own page first, whatever its weight (20)
        "getting-started.md",  # weight 1
        "faq.md",  # 2
        "configuration.md",  # 3
        "changelog.md",  # 99
    ]
    config = dataclasses.replace(load_config(hugo_section), formats=("html",), bilingual=False)
    build(config, engine="pseudo", books=["docs"], langs=["en"])
    html = (hugo_section / "output" / "en" / "docs.html").read_text()
    assert (
        html.index(">Getting Started</h2>")
        < html.index(">FAQ</h2>")
        < html.index(">Configuring Quarry</h2>")
    )


@pytest.mark.parametrize(
    ("page", "needles"),
    [
        (
            "---\ntitle: Notes\n---\n\nNo weight.\n",
            ("error: content/en/docs/notes.md:1:", "no weight"),
        ),
        (
            "---\nweight: high\n---\n\nText.\n",
            ("error: content/en/docs/notes.md:1:", "'weight' is not a whole"),
        ),
    ],
)
def test_a_page_without_a_usable_weight_is_one_line_error(
    hugo_section: Path, page: str, needles: tuple[str, ...]
) -> None:
    (hugo_section / "content" / "en" / "docs" / "notes.md").write_text(page)
    assert_one_line_error(run("build", "-f", "html", project=hugo_section), *needles)


def test_a_folder_without_weights_still_needs_a_chapter_list(project: Path) -> None:
    folder = project / "content" / "en" / "notes"
    folder.mkdir()
    (folder / "a.md").write_text("# A\n\nText.\n")
    assert_one_line_error(run("build", "-f", "html", project=project), "has no chapter list")


def test_pages_in_a_subfolder_of_a_hugo_section_are_named_as_left_out(hugo_section: Path) -> None:
    sub = hugo_section / "content" / "en" / "docs" / "guides"
    sub.mkdir()
    (sub / "_index.md").write_text("---\ntitle: Guides\nweight: 5\n---\n\nGuides.\n")
    result = run("build", "-f", "html", project=hugo_section)
    assert result.code == 0, result
    assert "left out: guides/_index.md" in result.err


def _chapters_project(project: Path, files: dict[str, str]) -> Path:
    folder = project / "content" / "en" / "notes"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    toml = project / "pipeline.toml"
    listed = ", ".join(f'"{name}"' for name in files)
    toml.write_text(toml.read_text() + f"\n[books.notes]\nchapters = [{listed}]\n")
    return project


@pytest.mark.parametrize(
    ("front", "needles"),
    [
        ("---\ntitle: [unclosed\n---\n", ("error: content/en/notes/b.md:", "not valid YAML")),
        ("---\ntitle: 2024\n---\n", ("error: content/en/notes/b.md:1:", "'title' is not text")),
        ("+++\ntitle = \n+++\n", ("error: content/en/notes/b.md:1:", "not valid TOML")),
    ],
)
def test_bad_front_matter_of_a_later_chapter_is_one_line_error_in_its_file(
    project: Path, front: str, needles: tuple[str, ...]
) -> None:
    _chapters_project(project, {"a.md": "# A\n\nFirst.\n", "b.md": front + "\nText.\n"})
    assert_one_line_error(run("build", "-f", "html", "-b", "notes", project=project), *needles)


def test_pages_each_titled_in_front_matter_do_not_title_the_book_with_the_first(
    project: Path,
) -> None:
    _chapters_project(
        project,
        {
            "01-intro.md": "---\ntitle: Introduction\ndescription: How to start.\n---\n\nHi.\n",
            "02-usage.md": "---\ntitle: Usage\n---\n\nRun it.\n",
        },
    )
    [book] = [b for b in find_books(load_config(project)) if b.id == "notes"]
    doc = book.load()
    assert [(s.kind, s.source) for s in doc.segments] == [
        ("description", "How to start."),
        ("heading", "Introduction"),
        ("paragraph", "Hi."),
        ("heading", "Usage"),
        ("paragraph", "Run it."),
    ]
    assert "title" not in doc.meta  # the first chapter's title, not the book's
    config = dataclasses.replace(load_config(project), formats=("html",))
    build(config, engine="pseudo", books=["notes"])
    english = (project / "output" / "en" / "notes.html").read_text()
    spanish = (project / "output" / "es" / "notes.html").read_text()
    assert "<title>Notes</title>" in english and "<title>Notes</title>" in spanish
    assert toc_entries(english) == [(2, "Introduction"), (2, "Usage")]
    assert '<meta name="description" content="How to start.">' in english
    assert '<meta name="description" content="[!! Höw tö stárt. !!]">' in spanish


def test_a_first_file_titled_in_front_matter_titles_the_book_when_no_other_file_is(
    project: Path,
) -> None:
    _chapters_project(
        project,
        {
            "00-front.md": "---\ntitle: The Real Book Title\n---\n\nA short preface.\n",
            "01-one.md": "# Chapter One\n\nText.\n",
            "02-two.md": "# Chapter Two\n\nMore text.\n",
        },
    )
    config = dataclasses.replace(load_config(project), formats=("html",), bilingual=False)
    build(config, engine="pseudo", books=["notes"], langs=["en"])
    page = (project / "output" / "en" / "notes.html").read_text()
    assert "<title>The Real Book Title</title>" in page
    assert toc_entries(page) == [(2, "Chapter One"), (2, "Chapter Two")]
