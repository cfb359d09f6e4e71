"""Write a book session's editions into ``output/`` in every configured format.

HTML and EPUB are written as each edition is assembled; PDFs, the slow part,
are queued and laid out at the end, on every core, longest first. An output
whose content has not changed is left alone.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..config import Config
from ..fsutil import write_atomic
from ..project import BookSession
from ..report import Report, Reporter
from ..stamps import output_current, output_key, record_output
from .colophon import source_revision
from .model import Edition
from .publish import bilingual_edition, edition_date, image_embedder, language_edition

__all__ = ["EditionWriter"]


@dataclass(slots=True, frozen=True)
class _PdfJob:
    path: Path
    html: str
    edition: Edition | None
    key: str


def _pdf_bytes(html: str, edition: Edition | None, base_url: Path) -> bytes:
    """Render one PDF (in a worker process when there are several)."""
    from .pdf import render_pdf, render_pdf_facing

    if edition is not None:
        return render_pdf_facing(edition, base_url=base_url)
    return render_pdf(html, base_url=base_url)


class EditionWriter:
    """Writes editions for one command, with progress and a report."""

    def __init__(self, config: Config, report: Report, reporter: Reporter) -> None:
        self.config = config
        """The project."""
        self.report = report
        """Where written and unchanged outputs are noted."""
        self.reporter = reporter
        """Progress."""
        self.revision = source_revision(config.root)
        """The project's git revision, for the colophons."""
        self._pdfs: list[_PdfJob] = []

    def start(self, editions: int) -> None:
        """Announce ``editions`` editions to write (and check the fonts they need)."""
        if "pdf" in self.config.formats or "epub" in self.config.formats:
            from .pdf import check_fonts

            check_fonts()
        self.reporter.phase("Rendering editions", editions * len(self.config.formats))

    def write_book(self, session: BookSession, langs: Sequence[str], pairs: Sequence[str]) -> None:
        """Write the editions of ``session`` in ``langs`` and the bilingual ones
        with each of ``pairs``."""
        images = image_embedder(session)
        for lang in langs:
            self._write(session, language_edition(session, lang, self.revision, images))
        for lang in pairs:
            self._write(session, bilingual_edition(session, lang, self.revision, images))

    def _write(self, session: BookSession, edition: Edition) -> None:
        from .html import render_html

        config = self.config
        out_dir = config.output_dir / edition.slug
        html = render_html(edition)
        book = session.book.id
        if "html" in config.formats:
            path = out_dir / f"{book}.html"
            self.report.record(path, write_atomic(path, html))
            self.reporter.advance()
        if "pdf" in config.formats:
            path = out_dir / f"{book}.pdf"
            facing = edition.bilingual and config.facing_pages
            key = output_key(facing, html)
            if output_current(config, path, key):
                self.report.unchanged.append(path)
                self.reporter.advance()
            else:
                self._pdfs.append(_PdfJob(path, html, edition if facing else None, key))
        if "epub" in config.formats:
            from .epub import render_epub

            path = out_dir / f"{book}.epub"
            epub = render_epub(edition, modified=edition_date(session), base_url=config.content_dir)
            self.report.record(path, write_atomic(path, epub))
            self.reporter.advance()

    def finish(self) -> None:
        """Lay out the queued PDFs, on every core when there are several, and write
        each one, atomically, as soon as it is done."""
        jobs, base = self._pdfs, self.config.content_dir
        workers = min(len(jobs), max(1, len(os.sched_getaffinity(0))))
        if workers <= 1:
            for job in jobs:
                self._done(job, _pdf_bytes(job.html, job.edition, base))
            return
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        context = multiprocessing.get_context("spawn")
        # Longest first (the bilingual edition), so the others fill the other cores.
        ordered = sorted(jobs, key=lambda job: len(job.html), reverse=True)
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = {pool.submit(_pdf_bytes, j.html, j.edition, base): j for j in ordered}
            for future in as_completed(futures):
                self._done(futures[future], future.result())

    def _done(self, job: _PdfJob, pdf: bytes) -> None:
        self.report.record(job.path, write_atomic(job.path, pdf))
        record_output(self.config, job.path, job.key)
        self.reporter.advance()
