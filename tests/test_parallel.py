"""Several books: parallel builds, failure isolation, no-op rebuilds."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from helpers import assert_one_line_error, run

from pipeline.build import build
from pipeline.config import Config, load_config
from pipeline.parallel import build_books
from pipeline.report import BooksFailed


def html_only(project: Path) -> Config:
    return dataclasses.replace(load_config(project), formats=("html",), bilingual=False)


@pytest.fixture
def books(project: Path) -> Path:
    source = project / "content" / "en" / "executive-summary.md"
    text = source.read_text()
    (project / "content" / "en" / "second.md").write_text(text.replace("Venezuela", "Cuba"))
    (project / "content" / "en" / "third.md").write_text(text.replace("Narco", "Petro"))
    return project


def test_parallel_build_writes_every_book(books: Path) -> None:
    report = build_books(html_only(books), jobs=2, engine="pseudo")
    for book in ("executive-summary", "second", "third"):
        assert (books / "output" / "es" / f"{book}.html").is_file()
        assert (books / "content" / "es" / f"{book}.po").is_file()
    assert report.sent + report.cached == 3 * 59  # the MT cache is shared by the books
    assert set(report.counts) == {"executive-summary", "second", "third"}


def test_one_broken_book_does_not_stop_the_others(books: Path) -> None:
    (books / "content" / "en" / "second.md").write_bytes(b"# Title\n\nbad \xff byte\n")
    with pytest.raises(BooksFailed) as failed:
        build_books(html_only(books), jobs=2, engine="pseudo")
    assert "1 of 3 books failed" in str(failed.value)
    assert failed.value.details[0].startswith("second: ") and ":3:" in failed.value.details[0]
    assert (books / "output" / "es" / "third.html").is_file()
    assert (books / "output" / "es" / "executive-summary.html").is_file()
    assert not (books / "output" / "es" / "second.html").exists()


def test_when_every_book_fails_none_is_said_to_be_built(books: Path) -> None:
    for name in ("executive-summary", "second", "third"):
        (books / "content" / "en" / f"{name}.md").write_bytes(b"# Title\n\nbad \xff byte\n")
    with pytest.raises(BooksFailed) as failed:
        build_books(html_only(books), jobs=2, engine="pseudo")
    assert str(failed.value).startswith("3 of 3 books failed") and "others" not in str(failed.value)
    assert len(failed.value.details) == 3


def test_cli_reports_failed_books_at_the_end_with_nonzero_exit(books: Path) -> None:
    (books / "content" / "en" / "second.md").write_bytes(b"bad \xff byte\n")
    shutil.copy(books / "pipeline.toml", books / "pipeline.toml.bak")
    result = run("build", "-e", "pseudo", "-j", "2", project=books)
    assert_one_line_error(result, "1 of 3 books failed", alone=False)
    assert "wrote     output/es/third.html" in result.out
    assert result.err.startswith("error: 1 of 3 books failed")
    assert "  second: " in result.err


def test_noop_rebuild_does_nothing_and_an_edit_rebuilds_one_book(books: Path) -> None:
    config = html_only(books)
    build(config, engine="pseudo")
    html = books / "output" / "es" / "second.html"
    before = html.stat().st_mtime_ns
    again = build(config, engine="pseudo")
    assert again.sent == 0 and again.written == [] and len(again.unchanged) == 6
    assert again.counts == {}  # nothing was even parsed
    md = books / "content" / "en" / "third.md"
    md.write_text(md.read_text().replace("Everyone profits.", "Everyone gains."))
    third = build(config, engine="pseudo")
    assert third.sent == 1
    assert set(third.counts) == {"third"}
    assert html.stat().st_mtime_ns == before


def test_reviewer_edit_of_the_po_file_is_noticed(books: Path) -> None:
    config = html_only(books)
    build(config, engine="pseudo")
    po = books / "content" / "es" / "second.po"
    # Approve one entry as a PO editor does (clearing fuzzy, naming the translator).
    text = po.read_text().replace("#, fuzzy\n", "", 1)
    po.write_text(
        text.replace('"Last-Translator: \\n"', '"Last-Translator: Ana <ana@example.org>\\n"')
    )
    report = build(config, engine="pseudo")
    assert "second" in report.counts
    assert report.counts["second"]["es"]["reviewed"] == 1


def test_jobs_must_be_positive(books: Path) -> None:
    result = run("build", "-j", "0", project=books)
    assert result.code == 2  # usage error from the option's own check


def test_book_workers_log_as_the_command_does(
    books: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A build of several books in several processes says what one process
    would: warnings once, in the command's form, none under --quiet. A worker
    never prints: its records are the command's (its stderr, its handlers)."""
    second = books / "content" / "en" / "second.md"
    second.write_text(second.read_text() + "\n![A chart](missing-chart.png)\n")
    quiet = run("build", "-q", "-e", "pseudo", "-f", "html", "-j", "2", project=books)
    assert quiet.code == 0
    assert "missing-chart.png" not in quiet.err + capfd.readouterr().err
    for changed in (second, books / "content" / "en" / "third.md"):  # two books: two workers
        changed.write_text(changed.read_text() + "\nOne more paragraph.\n")
    loud = run("build", "-e", "pseudo", "-f", "html", "-j", "2", project=books)
    assert loud.code == 0
    printed = capfd.readouterr().err
    lines = [line for line in loud.err.splitlines() if "missing-chart.png" in line]
    assert len(lines) == 1, loud.err
    assert lines[0].startswith("WARNING pipeline.source.images: content/en/second.md:")
    assert "missing-chart.png" not in printed, printed
