"""Write a book session's editions into ``output/`` in every configured format.

Each format is a renderer of :mod:`pipeline.render.registry`; fast ones are
written as each edition is assembled. A PDF is laid out chapter by chapter
(:mod:`pipeline.render.pdf_chapters`) in worker processes, starting as soon as
its edition is assembled, so the first edition's chapters are laid out while
this process writes the next editions' HTML and EPUB; unchanged chapters are
read from ``.pipeline-cache/``. Other slow formats are queued and laid out at
the end by :mod:`pipeline.render.jobs`, on every core, longest first. An output
whose content has not changed is left alone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from ..config import Config
from ..fsutil import write_atomic
from ..project import BookSession
from ..report import Report, Reporter
from ..stamps import output_current, output_key, record_output
from . import jobs, pdf_chapters
from .colophon import source_revision
from .model import Edition
from .publish import (
    bilingual_edition,
    edition_date,
    image_embedder,
    include_expander,
    language_edition,
    link_resolver,
    raw_html,
)
from .registry import RenderContext, get, render_html

__all__ = ["EditionWriter", "start_pdf_layout"]


def start_pdf_layout(config: Config) -> pdf_chapters.BackgroundLayout | None:
    """Start the PDF layout workers now, if the project makes PDFs: they take a
    moment to start, which the translate stage hides. Hand the result to
    :class:`EditionWriter` (through :func:`pipeline.build.render`); ``cancel``
    it if the build stops before."""
    if "pdf" not in config.formats:
        return None
    return pdf_chapters.BackgroundLayout(jobs.default_workers())


class EditionWriter:
    """Writes editions for one command, with progress and a report."""

    def __init__(
        self,
        config: Config,
        report: Report,
        reporter: Reporter,
        layout: pdf_chapters.BackgroundLayout | None = None,
    ) -> None:
        self.config = config
        """The project."""
        self.report = report
        """Where written and unchanged outputs are noted."""
        self.reporter = reporter
        """Progress."""
        self.revision = source_revision(config.root)
        """The project's git revision, for the colophons."""
        self._queued: list[tuple[jobs.RenderJob, str]] = []
        self._layout = layout
        """The PDF layout workers: from :func:`start_pdf_layout`, or started
        when the first PDF is handed over."""
        self._pdf_written: dict[Path, bool] = {}
        """Each PDF written (and whether it changed), for the report, in :meth:`finish`."""
        self._pdf_order: list[Path] = []
        """The PDFs being laid out, in the order the report lists them."""
        self._parts = 0
        self._placed = 0
        self._counting = False
        self._lock = threading.Lock()

    def start(self, editions: int) -> None:
        """Announce ``editions`` editions to write (and check what their formats need)."""
        for fmt in self.config.formats:
            get(fmt).check()
        self.reporter.phase("Rendering editions", editions * len(self.config.formats))

    def write_book(
        self,
        session: BookSession,
        langs: Sequence[str],
        pairs: Sequence[str],
        *,
        handed_over: Callable[[], None] | None = None,
    ) -> None:
        """Write the editions of ``session`` in ``langs`` and the bilingual ones
        with each of ``pairs``.

        Every edition is assembled and its PDF handed to the workers first, so
        the PDFs (the slow part) are laid out while this process writes the
        HTML and EPUB of all of them; ``handed_over`` is called in between."""
        images = image_embedder(session)
        links, code = link_resolver(session), include_expander(session)
        html = raw_html(session, images, links)
        # The bilingual editions first: their PDFs take longest to lay out.
        bilingual: list[tuple[list[jobs.RenderJob], Path | None]] = []
        for lang in pairs:
            edition = bilingual_edition(session, lang, self.revision, images, links, code, html)
            bilingual.append(self._start(session, edition))
        started: list[tuple[list[jobs.RenderJob], Path | None]] = []
        for lang in langs:
            edition = language_edition(session, lang, self.revision, images, links, code, html)
            started.append(self._start(session, edition))
        if handed_over is not None:
            handed_over()
        # Then the other formats, and the report, in the usual order of the editions.
        for fast, pdf in started + bilingual:
            if pdf is not None:
                self._pdf_order.append(pdf)
            for job in fast:
                self.report.record(job.path, write_atomic(job.path, jobs.render_job(job)))
                self.reporter.advance()

    def _start(
        self, session: BookSession, edition: Edition
    ) -> tuple[list[jobs.RenderJob], Path | None]:
        """Hand ``edition``'s slow formats over (the PDF to the layout workers, the
        others to the queue of :meth:`finish`) unless their output is current;
        the jobs of its fast formats, for the caller to write, and the path of
        the PDF being laid out, if one is."""
        config = self.config
        html = render_html(edition)
        context = RenderContext(
            base_url=config.content_dir,
            modified=edition_date(session),
            facing_pages=config.facing_pages,
            cache=config.cache_path.parent,
        )
        fast: list[jobs.RenderJob] = []
        pdf: Path | None = None
        for fmt in config.formats:
            renderer = get(fmt)
            path = config.output_dir / edition.slug / f"{session.book.id}.{fmt}"
            job = jobs.RenderJob(fmt, path, edition, html, context)
            if not renderer.slow:
                fast.append(job)
                continue
            key = output_key(edition.bilingual and config.facing_pages, html)
            if output_current(config, path, key):
                self.report.unchanged.append(path)
                self.reporter.advance()
            elif fmt == "pdf":
                self._lay_out_pdf(job, key)
                pdf = path
            else:
                self._queued.append((job, key))
        return fast, pdf

    def _lay_out_pdf(self, job: jobs.RenderJob, key: str) -> None:
        """Start laying out ``job``'s PDF chapter by chapter, in worker processes;
        the file is written as soon as it is joined."""
        if self._layout is None:
            self._layout = pdf_chapters.BackgroundLayout(jobs.default_workers())
        config = self.config

        def done(data: bytes) -> None:  # in the layout's thread
            changed = write_atomic(job.path, data)
            record_output(config, job.path, key)
            with self._lock:
                self._pdf_written[job.path] = changed

        state = pdf_chapters.new_edition(
            job.edition,
            base_url=job.context.base_url,
            folder=config.cache_path.parent / pdf_chapters.CACHE_FOLDER,
            facing=job.context.facing_pages and job.edition.bilingual,
            done=done,
            progress=self._part_placed,
        )
        self._parts += len(state.parts)
        self._layout.add(state)

    def _part_placed(self) -> None:
        """One more part of a PDF laid out or found in the cache (in the layout's thread)."""
        with self._lock:
            self._placed += 1
            if self._counting:
                self.reporter.advance()

    def finish(self) -> None:
        """Lay out the queued slow formats, on every core when there are several,
        wait for the PDFs, and write each file, atomically, as soon as it is done."""
        keys = {id(job): key for job, key in self._queued}

        def done(job: jobs.RenderJob, data: bytes) -> None:
            self.report.record(job.path, write_atomic(job.path, data))
            record_output(self.config, job.path, keys[id(job)])
            self.reporter.advance()

        try:
            jobs.run_jobs(
                [job for job, _key in self._queued], workers=jobs.default_workers(), done=done
            )
        except BaseException:
            self.cancel()
            raise
        self._wait_for_pdfs()

    def _wait_for_pdfs(self) -> None:
        """Show the PDF parts' progress (counting those already done) until every
        PDF is joined and written; then note them in the report, in edition order."""
        layout, self._layout = self._layout, None
        if layout is None:
            return
        if not self._pdf_order:  # started early, but every PDF was current
            layout.finish()
            return
        with self._lock:
            names = ", ".join(path.parent.name for path in self._pdf_order)  # the editions
            self.reporter.phase(f"Laying out PDF chapters ({names})", self._parts)
            if self._placed:
                self.reporter.advance(self._placed)
            self._counting = True
        layout.finish()
        for path in self._pdf_order:
            if path in self._pdf_written:
                self.report.record(path, self._pdf_written[path])

    def cancel(self) -> None:
        """Stop laying out the PDFs (after an error elsewhere): no part not yet
        started is laid out, and no PDF not yet written is."""
        layout, self._layout = self._layout, None
        if layout is not None:
            layout.cancel()
