"""Build several books at once, one process per book.

Each book is built by :func:`pipeline.build.build` in a worker process; a
failure in one book neither stops nor corrupts the others (every file is
written atomically), and all failures are reported together at the end.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Any

from .build import build, up_to_date
from .config import Config
from .errors import PipelineError
from .project import find_books, warn_unused_language_tables
from .render.jobs import default_workers
from .report import BooksFailed, Report, Reporter
from .worklog import relayed_pool

log = logging.getLogger(__name__)

__all__ = ["build_books"]


def _build_one(config: Config, book: str, options: dict[str, Any]) -> Report:
    """Worker: build one book (logging only, relayed to the command's process;
    no progress display)."""
    return build(config, books=[book], **options)


def build_books(
    config: Config,
    *,
    jobs: int | None = None,
    books: Sequence[str] | None = None,
    reporter: Reporter | None = None,
    **options: Any,
) -> Report:
    """Build every book (or ``books``) with up to ``jobs`` processes.

    ``options`` are passed to :func:`pipeline.build.build`. With one job or one
    book, the build runs in this process with ``reporter`` showing its phases;
    otherwise ``reporter`` shows one step per finished book. Raises
    :class:`~pipeline.report.BooksFailed` after all books are done if any failed.
    """
    chosen = [b.id for b in find_books(config, books)]
    warn_unused_language_tables(config)
    jobs = default_workers() if jobs is None else jobs
    if jobs < 1:
        raise PipelineError("--jobs must be at least 1", hint="use --jobs 1 to build one at a time")
    if jobs == 1 or len(chosen) == 1:
        report = Report()
        failures: list[str] = []
        for book in chosen:
            try:
                report.merge(build(config, books=[book], reporter=reporter, **options))
            except PipelineError as exc:
                if len(chosen) == 1:
                    raise
                failures.append(f"{book}: {exc}")
        _raise_failures(failures, len(chosen), report)
        return report

    report = Report()
    fresh = [book for book in chosen if up_to_date(config, book, **options)]
    for book in fresh:
        report.merge(build(config, books=[book], **options))  # instant: lists the outputs
    chosen = [book for book in chosen if book not in fresh]
    if not chosen:
        return report
    if len(chosen) == 1:
        report.merge(build(config, books=chosen, reporter=reporter, **options))
        return report
    workers = min(jobs, len(chosen))
    if reporter is not None:
        reporter.phase(f"Building {len(chosen)} books in {workers} processes", len(chosen))
    failures = []
    with relayed_pool(workers) as pool:
        pending: dict[Future[Report], str] = {
            pool.submit(_build_one, config, book, options): book for book in chosen
        }
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                book = pending.pop(future)
                try:
                    report.merge(future.result())
                except PipelineError as exc:
                    failures.append(f"{book}: {exc}")
                except Exception as exc:  # a crash in a worker must not hide the others
                    log.exception("book %s failed", book)
                    failures.append(f"{book}: unexpected {type(exc).__name__}: {exc}")
                if reporter is not None:
                    reporter.advance()
    _raise_failures(failures, len(chosen), report)
    return report


def _raise_failures(failures: list[str], total: int, report: Report) -> None:
    BooksFailed.check(failures, total, report, done="the others were built")
