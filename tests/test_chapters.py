"""Books made of several chapter files, ordered in pipeline.toml."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import polib
import pytest
from helpers import run

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
