"""Write a book session's editions into ``output/`` in every configured format.

Each format is a renderer of :mod:`pipeline.render.registry`; fast ones are
written as each edition is assembled, slow ones (PDF) are queued and laid out
at the end by :mod:`pipeline.render.jobs`, on every core, longest first; a PDF
is laid out chapter by chapter (:mod:`pipeline.render.pdf_chapters`), the
chapters of every edition spread over the cores, unchanged ones read from
``.pipeline-cache/``. An output whose content has not changed is left alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

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

__all__ = ["EditionWriter"]


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
        self._queued: list[tuple[jobs.RenderJob, str]] = []

    def start(self, editions: int) -> None:
        """Announce ``editions`` editions to write (and check what their formats need)."""
        for fmt in self.config.formats:
            get(fmt).check()
        self.reporter.phase("Rendering editions", editions * len(self.config.formats))

    def write_book(self, session: BookSession, langs: Sequence[str], pairs: Sequence[str]) -> None:
        """Write the editions of ``session`` in ``langs`` and the bilingual ones
        with each of ``pairs``."""
        images = image_embedder(session)
        links, code = link_resolver(session), include_expander(session)
        html = raw_html(session, images, links)
        for lang in langs:
            edition = language_edition(session, lang, self.revision, images, links, code, html)
            self._write(session, edition)
        for lang in pairs:
            edition = bilingual_edition(session, lang, self.revision, images, links, code, html)
            self._write(session, edition)

    def _write(self, session: BookSession, edition: Edition) -> None:
        config = self.config
        html = render_html(edition)
        context = RenderContext(
            base_url=config.content_dir,
            modified=edition_date(session),
            facing_pages=config.facing_pages,
            cache=config.cache_path.parent,
        )
        for fmt in config.formats:
            renderer = get(fmt)
            path = config.output_dir / edition.slug / f"{session.book.id}.{fmt}"
            job = jobs.RenderJob(fmt, path, edition, html, context)
            if not renderer.slow:
                self.report.record(path, write_atomic(path, jobs.render_job(job)))
                self.reporter.advance()
                continue
            key = output_key(edition.bilingual and config.facing_pages, html)
            if output_current(config, path, key):
                self.report.unchanged.append(path)
                self.reporter.advance()
            else:
                self._queued.append((job, key))

    def finish(self) -> None:
        """Lay out the queued slow formats, on every core when there are several,
        and write each file, atomically, as soon as it is done."""
        keys = {id(job): key for job, key in self._queued}

        def done(job: jobs.RenderJob, data: bytes) -> None:
            self.report.record(job.path, write_atomic(job.path, data))
            record_output(self.config, job.path, keys[id(job)])
            self.reporter.advance()

        queued = [job for job, _key in self._queued if job.fmt != "pdf"]
        jobs.run_jobs(queued, workers=jobs.default_workers(), done=done)
        self._lay_out_pdfs([job for job, _key in self._queued if job.fmt == "pdf"], keys)

    def _lay_out_pdfs(self, pdfs: Sequence[jobs.RenderJob], keys: dict[int, str]) -> None:
        """Lay out the PDFs chapter by chapter, every edition's chapters on every core;
        the progress counts the chapters (and front matter, colophon) of all of them."""
        if not pdfs:
            return
        folder = self.config.cache_path.parent / pdf_chapters.CACHE_FOLDER
        reporter = self.reporter

        def written(job: jobs.RenderJob) -> Callable[[bytes], None]:
            def done(data: bytes) -> None:
                self.report.record(job.path, write_atomic(job.path, data))
                record_output(self.config, job.path, keys[id(job)])

            return done

        editions = [
            pdf_chapters.new_edition(
                job.edition,
                base_url=job.context.base_url,
                folder=folder,
                facing=job.context.facing_pages and job.edition.bilingual,
                done=written(job),
                progress=reporter.advance,
            )
            for job in pdfs
        ]
        names = ", ".join(job.edition.slug for job in pdfs)
        total = sum(len(edition.parts) for edition in editions)
        reporter.phase(f"Laying out PDF chapters ({names})", total)
        pdf_chapters.run_editions(editions, workers=jobs.default_workers())
