"""The read-only commands over every catalogue: ``status`` (review state and
QA counts) and ``check`` (QA findings), each book as a build would see it now.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .config import Config
from .errors import PipelineError
from .project import BookSession, find_books, select_langs
from .qa.gate import Finding, run_qa
from .report import BooksFailed, Report

__all__ = ["check", "status"]


def _each_catalog(
    config: Config,
    books: Sequence[str] | None,
    langs: Sequence[str] | None,
    visit: Callable[[BookSession, str], None],
    report: Report,
) -> None:
    """Call ``visit`` for every catalogue of every book that can be read; a book
    that cannot is listed in a :class:`~pipeline.report.BooksFailed` raised
    after all the others were visited (a project of one book raises its error)."""
    failures: list[str] = []
    chosen = find_books(config, books)
    targets = select_langs(config, langs, targets_only=True)
    for book in chosen:
        try:
            session = BookSession.open(config, book)
            for lang in targets:
                visit(session, lang)
        except PipelineError as exc:
            if len(chosen) == 1:
                raise
            failures.append(f"{book.id}: {exc}")
    BooksFailed.check(failures, len(chosen), report, done="the others are shown above")


def status(
    config: Config, *, books: Sequence[str] | None = None, langs: Sequence[str] | None = None
) -> Report:
    """Review state and QA counts of every target-language catalogue, as a build
    would see it (a book that cannot be read is listed, the others still shown)."""
    report = Report()

    def visit(session: BookSession, lang: str) -> None:
        cat = session.catalog(lang)
        report.add_counts(session.book.id, lang, cat)
        report.add_qa(session.book.id, lang, run_qa(session, cat))

    _each_catalog(config, books, langs, visit, report)
    return report


def check(
    config: Config, *, books: Sequence[str] | None = None, langs: Sequence[str] | None = None
) -> tuple[list[Finding], Report]:
    """QA findings for every target-language catalogue (as it would be built now),
    with the review counts; a :class:`~pipeline.report.BooksFailed` (carrying the
    report) lists the books that could not be read, after the others were checked."""
    found: list[Finding] = []
    report = Report()

    def visit(session: BookSession, lang: str) -> None:
        findings = run_qa(session, session.catalog(lang))
        found.extend(findings)
        report.add_qa(session.book.id, lang, findings)

    try:
        _each_catalog(config, books, langs, visit, report)
    except BooksFailed as failed:
        failed.findings = found
        raise
    return found, report
