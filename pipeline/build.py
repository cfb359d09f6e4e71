"""The pipeline, top to bottom: parse → segment → translate → review state → render.

Each public function here is one command of the CLI, written as the stages in
order over :class:`~pipeline.project.BookSession` objects (each book parsed
once, each catalogue merged once). They log, report progress through an
optional :class:`~pipeline.report.Reporter`, and raise
:class:`~pipeline.errors.PipelineError` subclasses; they never print.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING

from .config import Config
from .errors import PipelineError
from .project import BookSession, find_books, select_langs
from .qa.gate import final_gate, run_qa
from .report import Report, Reporter, Silent
from .stamps import BuildStamp, outputs

if TYPE_CHECKING:
    from .render.pdf_chapters import BackgroundLayout

log = logging.getLogger(__name__)

__all__ = ["build", "render", "save_catalogues", "translate", "up_to_date"]


def _sessions(config: Config, books: Sequence[str] | None) -> list[BookSession]:
    """Open a session for every book (or those of ``books``)."""
    return [BookSession.open(config, book) for book in find_books(config, books)]


def translate(
    config: Config,
    *,
    engine: str | None = None,
    langs: Sequence[str] | None = None,
    force: bool = False,
    books: Sequence[str] | None = None,
    reporter: Reporter | None = None,
    report: Report | None = None,
    sessions: Sequence[BookSession] | None = None,
    qa: bool = True,
    save: bool = True,
) -> Report:
    """Update every target-language catalogue: merge the source, machine-translate
    what is new (or, with ``force``, every machine translation), save (unless
    ``save`` is false: then the caller does, see :func:`save_catalogues`), and
    (with ``qa``) run the QA checks on it.

    ``books`` limits the work to those book ids (``sessions``: to books already open)."""
    from .mt.cache import MTCache
    from .mt.registry import get_engine
    from .tm import Memories
    from .translation import translate_catalog

    reporter = reporter or Silent()
    report = report or Report()
    sessions = _sessions(config, books) if sessions is None else sessions
    targets = config.translation_order(select_langs(config, langs, targets_only=True))
    mt = get_engine(engine or config.engine)  # unknown names fail before any work
    caches: list[MTCache] = []
    memories = Memories(config)  # each language's memory read once for the build

    def cache() -> MTCache:
        if not caches:
            caches.append(MTCache(config.cache_path))
        return caches[0]

    try:
        for session in sessions:
            for lang in targets:
                cat = session.catalog(lang)
                translate_catalog(
                    session,
                    lang,
                    mt,
                    cache,
                    force=force,
                    reporter=reporter,
                    report=report,
                    memory=memories.get(lang),
                )
                if save and cat.save():
                    report.written.append(cat.path)
                report.add_counts(session.book.id, lang, cat)
                if qa:
                    report.add_qa(session.book.id, lang, run_qa(session, cat))
    finally:
        for opened in caches:
            opened.close()
    return report


def save_catalogues(
    config: Config, session: BookSession, langs: Sequence[str] | None, report: Report
) -> bool:
    """Save the catalogues ``session`` has loaded in ``langs`` (the target
    languages by default), noting those written in ``report``; whether one
    took in changes another writer made to its file meanwhile (then the
    editions made from it before miss them)."""
    merged = False
    for lang in config.translation_order(select_langs(config, langs, targets_only=True)):
        cat = session.catalogs.get(lang)
        if cat is None:  # never read (it could not be): nothing to save
            continue
        if cat.save():
            report.written.append(cat.path)
        merged = merged or cat.merged
    return merged


def render(
    config: Config,
    *,
    langs: Sequence[str] | None = None,
    books: Sequence[str] | None = None,
    reporter: Reporter | None = None,
    report: Report | None = None,
    sessions: Sequence[BookSession] | None = None,
    layout: BackgroundLayout | None = None,
    meanwhile: Callable[[], None] | None = None,
    handed_over: Callable[[BookSession], None] | None = None,
) -> Report:
    """Write every edition of every book (or of ``books``) into ``output/``, in
    every configured format (the PDFs with the workers of ``layout``, when
    given: see :func:`pipeline.render.writer.start_pdf_layout`); ``meanwhile``
    is work of this process to do while the last PDFs are laid out, and
    ``handed_over`` is called with each book once its PDFs are being laid out.

    One edition per language (``output/<lang>/<book>.html``, ``.pdf``, ``.epub``)
    and, unless ``editions.bilingual`` is off, one bilingual edition per target
    language (``output/<source>-<target>/``). Outputs whose content has not
    changed are left alone.
    """
    from .render.writer import EditionWriter

    reporter = reporter or Silent()
    report = report or Report()
    sessions = _sessions(config, books) if sessions is None else sessions
    editions = select_langs(config, langs, targets_only=False)
    pairs = [lang for lang in editions if lang != config.source_lang] if config.bilingual else []
    writer = EditionWriter(config, report, reporter, layout)
    writer.start(len(sessions) * (len(editions) + len(pairs)))
    try:
        for session in sessions:
            for lang in editions:
                if lang != config.source_lang:
                    report.add_counts(session.book.id, lang, session.catalog(lang))
            writer.write_book(
                session,
                editions,
                pairs,
                handed_over=None if handed_over is None else partial(handed_over, session),
            )
        if meanwhile is not None:
            meanwhile()
    except BaseException:
        writer.cancel()  # the PDFs already started stop with the error
        raise
    writer.finish()
    return report


def _settings(
    config: Config, engine: str | None, langs: Sequence[str] | None, final: bool, strict: bool
) -> str:
    return f"{engine or config.engine}|{sorted(langs or [])}|{final}|{strict}|{config.formats}"


def up_to_date(
    config: Config,
    book_id: str,
    *,
    engine: str | None = None,
    langs: Sequence[str] | None = None,
    final: bool = False,
    strict: bool = False,
    force: bool = False,
    **_: object,
) -> bool:
    """Whether :func:`build` would find nothing to do for this book."""
    if force:
        return False
    [book] = find_books(config, [book_id])
    return BuildStamp(
        config, book, langs, _settings(config, engine, langs, final, strict)
    ).up_to_date()


def build(
    config: Config,
    *,
    engine: str | None = None,
    langs: Sequence[str] | None = None,
    force: bool = False,
    final: bool = False,
    strict: bool = False,
    books: Sequence[str] | None = None,
    reporter: Reporter | None = None,
) -> Report:
    """Translate what is new, then render every edition (of every book, or of ``books``).

    With ``final``, nothing is translated or written unless every segment is
    reviewed and passes QA (``strict``: warnings count too); see
    :func:`~pipeline.qa.gate.final_gate`.
    """
    settings = _settings(config, engine, langs, final, strict)
    report = Report()
    stale: list[BuildStamp] = []
    for book in find_books(config, books):
        stamp = BuildStamp(config, book, langs, settings)
        if not force and stamp.up_to_date():
            report.unchanged.extend(outputs(config, book, langs))
        else:
            stale.append(stamp)
    if not stale:
        log.info("every output is up to date")
        return report
    sessions = [BookSession.open(config, stamp.book) for stamp in stale]
    if final:
        final_gate(sessions, select_langs(config, langs, targets_only=True), strict)
    from .render.writer import start_pdf_layout

    layout = start_pdf_layout(config)  # its workers start while the book is translated
    targets = select_langs(config, langs, targets_only=True)

    def check() -> None:  # QA, while the workers lay the PDFs out
        for session in sessions:
            for lang in config.translation_order(targets):
                report.add_qa(session.book.id, lang, run_qa(session, session.catalog(lang)))

    # The catalogues are saved once each book's PDFs are handed to the
    # workers (the PDFs need not wait for the file), or on the way out.
    unsaved = [] if final else list(sessions)
    changed: set[str] = set()

    def save(session: BookSession) -> None:
        if session in unsaved:
            unsaved.remove(session)
            if save_catalogues(config, session, langs, report):
                changed.add(session.book.id)

    try:
        if not final:
            translate(
                config,
                engine=engine,
                langs=langs,
                force=force,
                reporter=reporter,
                report=report,
                sessions=sessions,
                qa=False,
                save=False,
            )
        render(
            config,
            langs=langs,
            reporter=reporter,
            report=report,
            sessions=sessions,
            layout=layout,
            meanwhile=None if final else check,
            handed_over=save,
        )
    except BaseException:
        if layout is not None:
            layout.cancel()  # no part not yet started is laid out
        for session in list(unsaved):
            try:
                save(session)  # the machine translations made are kept
            except PipelineError as exc:
                log.warning("%s", exc)
        raise
    for session in list(unsaved):
        save(session)
    loaded = {cat.path: cat for session in sessions for cat in session.catalogs.values()}
    for stamp in stale:
        if stamp.book.id in changed:
            # Its editions were made before that change: the next build makes them again.
            log.info("%s: a catalogue changed during the build", stamp.book.id)
            continue
        stamp.save(loaded=loaded)
    return report
