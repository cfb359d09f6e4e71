"""The pipeline, top to bottom: parse → segment → translate → review state → render.

Each public function here is one command of the CLI. They log, report
progress through an optional :class:`Reporter`, and raise
:class:`~pipeline.errors.PipelineError` subclasses; they never print.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from . import __version__
from .catalog import Catalog, State
from .config import Config
from .edition import assemble
from .errors import ConfigError, ContentError
from .fsutil import write_atomic
from .inline import decode, encode
from .markdown import Document, load_document
from .render.model import Edition

log = logging.getLogger(__name__)

LANGUAGE_NAMES = {"en": "English", "es": "Spanish"}


class Reporter(Protocol):
    """Receives progress; the CLI shows it as a progress bar."""

    def phase(self, description: str, total: int) -> None:
        """A new piece of work of ``total`` steps starts."""

    def advance(self, steps: int = 1) -> None:
        """``steps`` more steps of the current piece of work are done."""


class _Silent:
    def phase(self, description: str, total: int) -> None:
        log.info("%s (%d)", description, total)

    def advance(self, steps: int = 1) -> None:
        pass


@dataclass(slots=True)
class Book:
    """One book of the project: a Markdown file in ``content/<source>/``."""

    id: str
    """File stem, used for catalogues and outputs."""
    path: Path
    """The source Markdown file."""

    def catalog_path(self, config: Config, lang: str) -> Path:
        """``content/<lang>/<book>.po``."""
        return config.content_dir / lang / f"{self.id}.po"


@dataclass(slots=True)
class Report:
    """What a command did, for the summary the CLI prints."""

    sent: int = 0
    """Segments sent to an engine."""
    cached: int = 0
    """Segments whose machine translation came from the cache."""
    flagged: int = 0
    """Machine translations with placeholder problems (flagged in the PO)."""
    written: list[Path] = field(default_factory=list)
    """Files written (changed)."""
    unchanged: list[Path] = field(default_factory=list)
    """Outputs that were already up to date."""
    counts: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    """book → language → review state → segments."""


def find_books(config: Config) -> list[Book]:
    """The books of the project, in name order."""
    source_dir = config.content_dir / config.source_lang
    if not config.content_dir.is_dir():
        raise ContentError(
            "content directory not found",
            path=config.content_dir,
            hint=f"create it with your Markdown in content/{config.source_lang}/",
        )
    if not source_dir.is_dir():
        raise ContentError(
            "source language directory not found",
            path=source_dir,
            hint=f"put the book's Markdown files in content/{config.source_lang}/",
        )
    books = [Book(p.stem, p) for p in sorted(source_dir.glob("*.md")) if p.is_file()]
    if not books:
        raise ContentError(
            "no Markdown files found", path=source_dir, hint="add a .md file for each book"
        )
    return books


def _langs(config: Config, langs: Sequence[str] | None, *, targets_only: bool) -> list[str]:
    known = list(config.target_langs) if targets_only else list(config.languages)
    if not langs:
        return known
    for lang in langs:
        if lang not in (*config.target_langs, config.source_lang):
            raise ConfigError(
                f"unknown language {lang!r}",
                path=config.path,
                hint="languages of this project: "
                + ", ".join([config.source_lang, *config.target_langs]),
            )
    return [lang for lang in langs if lang in known]


def _relative(config: Config, path: Path) -> str:
    try:
        return path.relative_to(config.root).as_posix()
    except ValueError:
        return path.as_posix()


def _catalog(config: Config, book: Book, doc: Document, lang: str) -> Catalog:
    cat = Catalog.load(
        book.catalog_path(config, lang), lang=lang, source_lang=config.source_lang, book=book.id
    )
    cat.merge(doc.segments, _relative(config, book.path))
    return cat


def translate(
    config: Config,
    *,
    engine: str | None = None,
    langs: Sequence[str] | None = None,
    force: bool = False,
    reporter: Reporter | None = None,
    report: Report | None = None,
) -> Report:
    """Update every target-language catalogue: merge the source, machine-translate
    what is new (or, with ``force``, every machine translation), save."""
    from .mt.base import check_pair, get_engine
    from .mt.cache import MTCache, translate_with_cache

    reporter = reporter or _Silent()
    report = report or Report()
    books = find_books(config)
    targets = _langs(config, langs, targets_only=True)
    engine_name = engine or config.engine
    mt = get_engine(engine_name)  # unknown names fail before any work
    checked: set[str] = set()
    cache: MTCache | None = None
    try:
        for book in books:
            doc = load_document(book.path)
            for lang in targets:
                cat = _catalog(config, book, doc, lang)
                todo = cat.needs_machine(force)
                if todo:
                    if lang not in checked:
                        check_pair(mt, config.source_lang, lang)
                        checked.add(lang)
                    if cache is None:
                        cache = MTCache(config.cache_path)
                    encoded = {sid: encode(doc.segment(sid).source, doc.env) for sid in todo}
                    reporter.phase(f"Translating {book.id} into {lang}", len(todo))
                    outputs, sent = translate_with_cache(
                        mt,
                        cache,
                        [encoded[sid].tagged for sid in todo],
                        config.source_lang,
                        lang,
                        force=force,
                        progress=reporter.advance,
                    )
                    report.sent += sent
                    report.cached += len(todo) - min(sent, len(todo))
                    for sid, output in zip(todo, outputs, strict=True):
                        text, problems = decode(
                            output,
                            encoded[sid],
                            doc.env,
                            block_start=doc.places[sid].prefix is not None,
                        )
                        if problems:
                            report.flagged += 1
                            log.info("%s %s: %s", book.id, sid, "; ".join(problems))
                        cat.set_machine(sid, text, mt.name, mt.version, problems)
                if cat.save():
                    report.written.append(cat.path)
                report.counts.setdefault(book.id, {})[lang] = _counts(cat)
    finally:
        if cache is not None:
            cache.close()
    return report


def _counts(cat: Catalog) -> dict[str, int]:
    counts = cat.counts()
    return {state.value: counts.get(state, 0) for state in State}


def status(config: Config) -> Report:
    """Review state of every target-language catalogue, as a build would see it."""
    report = Report()
    for book in find_books(config):
        doc = load_document(book.path)
        for lang in config.target_langs:
            report.counts.setdefault(book.id, {})[lang] = _counts(_catalog(config, book, doc, lang))
    return report


def _colophon(config: Config, lang: str, cat: Catalog | None, total: int) -> list[str]:
    lines = [f"Source: {config.title}, by {config.author}."]
    if cat is not None:
        source_name = LANGUAGE_NAMES.get(config.source_lang, config.source_lang)
        entries = [cat.entry(sid) for sid in cat.ids()]
        engines = ", ".join(sorted({e.engine for e in entries if e.engine})) or "none"
        reviewed = cat.counts().get(State.REVIEWED, 0)
        lines.append(f"Translated from {source_name}. Machine translation: {engines}.")
        lines.append(f"Reviewed by people: {reviewed} of {total} segments.")
    lines.append(f"Made with pipeline {__version__}.")
    return lines


def render(
    config: Config,
    *,
    langs: Sequence[str] | None = None,
    reporter: Reporter | None = None,
    report: Report | None = None,
) -> Report:
    """Write every edition (HTML, then PDF) of every book into ``output/``."""
    from .render.html import render_html

    reporter = reporter or _Silent()
    report = report or Report()
    books = find_books(config)
    editions = _langs(config, langs, targets_only=False)
    if "pdf" in config.formats:
        from .render.pdf import check_fonts

        check_fonts()
    steps = len(books) * len(editions) * len(config.formats)
    reporter.phase("Rendering editions", steps)
    for book in books:
        doc = load_document(book.path)
        for lang in editions:
            cat = None if lang == config.source_lang else _catalog(config, book, doc, lang)
            edition = _edition(config, doc, lang, cat)
            report.counts.setdefault(book.id, {})
            if cat is not None:
                report.counts[book.id][lang] = _counts(cat)
            html = render_html(edition)
            out_dir = config.output_dir / lang
            if "html" in config.formats:
                _record(
                    report,
                    out_dir / f"{book.id}.html",
                    write_atomic(out_dir / f"{book.id}.html", html),
                )
                reporter.advance()
            if "pdf" in config.formats:
                _write_pdf(config, html, out_dir / f"{book.id}.pdf", report)
                reporter.advance()
    return report


def _edition(config: Config, doc: Document, lang: str, cat: Catalog | None) -> Edition:
    if cat is None:
        return assemble(
            doc,
            lang=lang,
            source_lang=config.source_lang,
            title=config.title,
            author=config.author,
            colophon=_colophon(config, lang, None, len(doc.segments)),
        )
    texts: dict[str, str] = {}
    states: dict[str, str] = {}
    for seg in doc.segments:
        state = cat.state(seg.id)
        states[seg.id] = state.value
        translation = cat.translation(seg.id)
        if translation:
            texts[seg.id] = translation
    return assemble(
        doc,
        lang=lang,
        source_lang=config.source_lang,
        title=config.title,
        author=config.author,
        texts=texts,
        states=states,
        counts=_counts(cat),
        colophon=_colophon(config, lang, cat, len(doc.segments)),
    )


def _record(report: Report, path: Path, changed: bool) -> None:
    (report.written if changed else report.unchanged).append(path)


def _write_pdf(config: Config, html: str, path: Path, report: Report) -> None:
    """Render a PDF unless the same HTML was already rendered into it."""
    import os

    from .render.pdf import render_pdf

    key = hashlib.sha256(
        f"{__version__}\0{os.environ.get('SOURCE_DATE_EPOCH', '')}\0{html}".encode()
    ).hexdigest()
    stamp = (
        config.cache_path.parent / "pdf" / f"{_relative(config, path).replace('/', '__')}.sha256"
    )
    if path.is_file() and stamp.is_file() and stamp.read_text().strip() == key:
        report.unchanged.append(path)
        return
    pdf = render_pdf(html, base_url=config.content_dir)
    _record(report, path, write_atomic(path, pdf))
    write_atomic(stamp, key + "\n")


def build(
    config: Config,
    *,
    engine: str | None = None,
    langs: Sequence[str] | None = None,
    force: bool = False,
    reporter: Reporter | None = None,
) -> Report:
    """Translate what is new, then render every edition."""
    report = translate(config, engine=engine, langs=langs, force=force, reporter=reporter)
    return render(config, langs=langs, reporter=reporter, report=report)
