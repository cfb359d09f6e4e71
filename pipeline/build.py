"""The pipeline, top to bottom: parse → segment → translate → review state → render.

Each public function here is one command of the CLI. They log, report
progress through an optional :class:`Reporter`, and raise
:class:`~pipeline.errors.PipelineError` subclasses; they never print.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from . import __version__
from .catalog.catalog import Catalog, State
from .config import Config
from .errors import ConfigError, ContentError, PublishError
from .fsutil import write_atomic
from .render.edition import assemble, assemble_bilingual
from .render.model import Edition
from .source.images import IMAGE_TYPES, ImageEmbedder
from .source.inline import decode, encode
from .source.markdown import Document, load_chapters, load_document

log = logging.getLogger(__name__)


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
    """One book of the project: a Markdown file in ``content/<source>/``, or a
    folder ``content/<source>/<id>/`` of chapter files listed in pipeline.toml."""

    id: str
    """File stem (or folder name), used for catalogues and outputs."""
    path: Path
    """The source Markdown file, or the folder of its chapters."""
    chapters: tuple[Path, ...] = ()
    """The chapter files in reading order, for a book of several files."""

    def load(self) -> Document:
        """Read and parse the book's source."""
        if self.chapters:
            return load_chapters(self.path, list(self.chapters))
        return load_document(self.path)

    def inputs(self) -> list[Path]:
        """The source files of the book."""
        return list(self.chapters) or [self.path]

    @property
    def folder(self) -> Path:
        """The folder of the book's Markdown, where its image paths start."""
        return self.path if self.chapters else self.path.parent

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
    qa: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    """book → language → severity (``error``, ``warning``) → QA findings."""

    def add_qa(self, book: str, lang: str, findings: Sequence[Finding]) -> None:
        """Count QA findings for one catalogue."""
        errors = sum(f.severity == "error" for f in findings)
        self.qa.setdefault(book, {})[lang] = {
            "error": errors,
            "warning": len(findings) - errors,
        }


def find_books(config: Config, only: Sequence[str] | None = None) -> list[Book]:
    """The books of the project, in name order (only those named in ``only``)."""
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
    for folder in sorted(p for p in source_dir.iterdir() if p.is_dir()):
        settings = config.book(folder.name)
        if not settings.chapters:
            raise ConfigError(
                f"book folder content/{config.source_lang}/{folder.name}/ has no chapter list",
                path=config.path,
                hint=f'add [books.{folder.name}] chapters = ["01-….md", …] in reading order',
            )
        missing = [name for name in settings.chapters if not (folder / name).is_file()]
        if missing:
            raise ContentError(
                f"chapter {missing[0]!r} of book {folder.name!r} not found",
                path=folder / missing[0],
                hint=f"fix books.{folder.name}.chapters in pipeline.toml",
            )
        unlisted = sorted(p.name for p in folder.glob("*.md") if p.name not in settings.chapters)
        if unlisted:
            log.warning(
                "%s: not in books.%s.chapters, left out: %s",
                folder,
                folder.name,
                ", ".join(unlisted),
            )
        books.append(Book(folder.name, folder, tuple(folder / n for n in settings.chapters)))
    books.sort(key=lambda b: b.id)
    for book_id, settings in config.books.items():
        if settings.chapters and not (source_dir / book_id).is_dir():
            raise ContentError(
                f"book folder for [books.{book_id}] not found",
                path=source_dir / book_id,
                hint="create it with the chapter files, or remove the [books] table",
            )
    if not books:
        raise ContentError(
            "no Markdown files found", path=source_dir, hint="add a .md file for each book"
        )
    if only is not None:
        known = {b.id for b in books}
        unknown = [name for name in only if name not in known]
        if unknown:
            raise ConfigError(
                f"unknown book {unknown[0]!r}",
                path=source_dir,
                hint="books: " + ", ".join(sorted(known)),
            )
        books = [b for b in books if b.id in only]
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


def _place_of(config: Config, doc: Document, line: int) -> tuple[str, int]:
    """Project-relative file and line of a line of a (possibly multi-chapter) document."""
    path, at = doc.locate(line)
    return _relative(config, path), at


def source_location(config: Config, doc: Document, line: int) -> str:
    """``content/en/book.md:12`` for a line of a document."""
    path, at = _place_of(config, doc, line)
    return f"{path}:{at}"


def _relative(config: Config, path: Path) -> str:
    try:
        return path.relative_to(config.root).as_posix()
    except ValueError:
        return path.as_posix()


def _catalog(config: Config, book: Book, doc: Document, lang: str) -> Catalog:
    cat = Catalog.load(
        book.catalog_path(config, lang), lang=lang, source_lang=config.source_lang, book=book.id
    )
    cat.merge(doc.segments, lambda seg: _place_of(config, doc, seg.line))
    adopted = cat.adopt_approvals()
    if adopted:
        log.info("%s: recorded %d approval(s) made in a translator's tool", cat.path, adopted)
    return cat


def open_book(
    config: Config, book_id: str | None = None, lang: str | None = None
) -> tuple[Book, Document, Catalog]:
    """The book, its parsed source and its catalogue in ``lang``, merged with the
    current source, for the review commands.

    ``book_id`` and ``lang`` may be left out when the project has only one.
    """
    books = find_books(config)
    if book_id is None:
        if len(books) > 1:
            raise ConfigError(
                "this project has several books",
                path=config.content_dir / config.source_lang,
                hint="choose one with --book: " + ", ".join(b.id for b in books),
            )
        book = books[0]
    else:
        matches = [b for b in books if b.id == book_id]
        if not matches:
            raise ConfigError(
                f"unknown book {book_id!r}",
                path=config.content_dir / config.source_lang,
                hint="books: " + ", ".join(b.id for b in books),
            )
        book = matches[0]
    if lang is None:
        if len(config.target_langs) > 1:
            raise ConfigError(
                "this project has several target languages",
                path=config.path,
                hint="choose one with --lang: " + ", ".join(config.target_langs),
            )
        lang = config.target_langs[0]
    elif lang not in config.target_langs:
        raise ConfigError(
            f"{lang!r} is not a target language of this project",
            path=config.path,
            hint="target languages: " + ", ".join(config.target_langs),
        )
    doc = book.load()
    return book, doc, _catalog(config, book, doc, lang)


def translate(
    config: Config,
    *,
    engine: str | None = None,
    langs: Sequence[str] | None = None,
    force: bool = False,
    books: Sequence[str] | None = None,
    reporter: Reporter | None = None,
    report: Report | None = None,
) -> Report:
    """Update every target-language catalogue: merge the source, machine-translate
    what is new (or, with ``force``, every machine translation), save.

    ``books`` limits the work to those book ids."""
    from .mt.base import check_pair, get_engine
    from .mt.cache import MTCache, translate_with_cache

    reporter = reporter or _Silent()
    report = report or Report()
    chosen = find_books(config, books)
    targets = _langs(config, langs, targets_only=True)
    engine_name = engine or config.engine
    mt = get_engine(engine_name)  # unknown names fail before any work
    checked: set[str] = set()
    cache: MTCache | None = None
    try:
        for book in chosen:
            doc = book.load()
            for lang in targets:
                cat = _catalog(config, book, doc, lang)
                todo = cat.needs_machine(force)
                if todo:
                    if lang not in checked:
                        check_pair(mt, config.source_lang, lang)
                        checked.add(lang)
                    if cache is None:
                        cache = MTCache(config.cache_path)
                    with _too_deep(config, doc):
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
                        with _too_deep(config, doc, doc.segment(sid).line):
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
                report.add_qa(book.id, lang, _qa(config, book, doc, cat))
    finally:
        if cache is not None:
            cache.close()
    return report


@contextmanager
def _too_deep(config: Config, doc: Document, line: int | None = None) -> Iterator[None]:
    """Turn Python's recursion limit, hit by absurdly deep inline markup, into a
    clear error at the segment (or at least the file) where it happened."""
    try:
        yield
    except (RecursionError, ContentError) as exc:
        if isinstance(exc, ContentError) and exc.path is not None:
            raise
        path, at = doc.locate(line) if line else (doc.path, None)
        raise ContentError(
            "inline markup nested too deeply to translate",
            path=_relative(config, path),
            line=at,
            hint="simplify the emphasis and links of this paragraph",
        ) from None


@dataclass(slots=True, frozen=True)
class Finding:
    """A QA finding, placed in the source file."""

    book: str
    """Book id."""
    lang: str
    """Target language."""
    segment_id: str
    """The segment."""
    location: str
    """``content/en/book.md:12``."""
    severity: str
    """``error`` or ``warning``."""
    check: str
    """Check id (``placeholders``, ``numbers``…)."""
    message: str
    """What is wrong, in one line."""

    def __str__(self) -> str:
        return f"{self.location}: {self.severity} [{self.check}] {self.segment_id}: {self.message}"


def _qa(config: Config, book: Book, doc: Document, cat: Catalog) -> list[Finding]:
    """Run the QA checks on every translated segment of one catalogue.

    A ``# qa-skip: numbers, urls`` comment on an entry silences those checks
    for it (a reviewer's decision that a finding is a false alarm). With the
    ``native`` typography the renderer sets the target language's quotation
    marks itself, so the quotes the translation uses are not checked.
    """
    from .qa.checks import Glossary, check_segment

    glossary = Glossary.load(config.content_dir / "glossary.csv")
    always_skip = {"es-quotes"} if getattr(config, "typography", "") == "native" else set()
    found: list[Finding] = []
    for seg in doc.segments:
        target = cat.translation(seg.id)
        if target is None:
            continue
        skip = set(always_skip)
        for note in cat.entry(seg.id).notes:
            key, _, value = note.partition(":")
            if key.strip() == "qa-skip":
                skip.update(v.strip() for v in value.split(",") if v.strip())
        with _too_deep(config, doc, seg.line):
            findings = check_segment(
                seg.id,
                seg.source,
                target,
                source_lang=config.source_lang,
                target_lang=cat.lang,
                env=doc.env,
                glossary=glossary,
                skip=skip,
            )
        for f in findings:
            found.append(
                Finding(
                    book.id,
                    cat.lang,
                    seg.id,
                    source_location(config, doc, seg.line),
                    str(f.severity),
                    f.check_id,
                    f.message,
                )
            )
    return found


def check(config: Config, *, langs: Sequence[str] | None = None) -> list[Finding]:
    """QA findings for every target-language catalogue (as it would be built now)."""
    found: list[Finding] = []
    for book in find_books(config):
        doc = book.load()
        for lang in _langs(config, langs, targets_only=True):
            found.extend(_qa(config, book, doc, _catalog(config, book, doc, lang)))
    return found


def _gate(
    config: Config, langs: Sequence[str] | None, strict: bool, books: Sequence[str] | None = None
) -> None:
    """Refuse a final build while anything is unreviewed or fails QA (errors;
    with ``strict`` warnings too), listing the first problems."""
    blocking: list[str] = []
    unreviewed = 0
    failing = 0
    for book in find_books(config, books):
        doc = book.load()
        for lang in _langs(config, langs, targets_only=True):
            cat = _catalog(config, book, doc, lang)
            for seg in doc.segments:
                state = cat.state(seg.id)
                if state is not State.REVIEWED:
                    unreviewed += 1
                    where = source_location(config, doc, seg.line)
                    blocking.append(f"{where}: [{lang}] {seg.id} is {state.value}")
            for finding in _qa(config, book, doc, cat):
                if finding.severity == "error" or strict:
                    failing += 1
                    blocking.append(str(finding))
    if blocking:
        shown = blocking[:20]
        if len(blocking) > len(shown):
            shown.append(f"… and {len(blocking) - len(shown)} more")
        raise PublishError(
            f"cannot build a final edition: {unreviewed} segment(s) not reviewed, "
            f"{failing} QA problem(s)",
            path=config.path,
            hint="review them (pipeline review list), or build a draft without --final",
            details=shown,
        )


def _counts(cat: Catalog) -> dict[str, int]:
    counts = cat.counts()
    return {state.value: counts.get(state, 0) for state in State}


def status(config: Config) -> Report:
    """Review state of every target-language catalogue, as a build would see it."""
    report = Report()
    for book in find_books(config):
        doc = book.load()
        for lang in config.target_langs:
            cat = _catalog(config, book, doc, lang)
            report.counts.setdefault(book.id, {})[lang] = _counts(cat)
            report.add_qa(book.id, lang, _qa(config, book, doc, cat))
    return report


_COLOPHON = {
    "en": {
        "source": "Source: {title}, by {author}.",
        "translated": "Translated from {language}. Machine translation: {engines}.",
        "reviewed": "Reviewed by people: {reviewed} of {total} segments.",
        "reviewers": "Reviewers: {names} ({dates}).",
        "revision": "Source revision: {revision}.",
        "made": "Made with pipeline {version}.",
        "none": "none",
        "dirty": "{commit} with uncommitted changes",
    },
    "es": {
        "source": "Original: {title}, de {author}.",
        "translated": "Traducido del {language}. Traducción automática: {engines}.",
        "reviewed": "Revisado por personas: {reviewed} de {total} segmentos.",
        "reviewers": "Revisión: {names} ({dates}).",
        "revision": "Revisión del original: {revision}.",
        "made": "Hecho con pipeline {version}.",
        "none": "ninguna",
        "dirty": "{commit} con cambios sin confirmar",
    },
}
_LANGUAGE_NAMES = {
    "en": {"en": "English", "es": "Spanish"},
    "es": {"en": "inglés", "es": "español"},
}


def source_revision(root: Path) -> str | None:
    """The git commit of the project (``abc1234``, noting uncommitted content), if any."""
    import subprocess

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=False
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "--short=12", "HEAD")
    if not commit:
        return None
    dirty = git("status", "--porcelain", "--", "content", "pipeline.toml")
    return f"{commit}+" if dirty else commit


def _colophon(
    config: Config, lang: str, cat: Catalog | None, total: int, revision: str | None
) -> list[str]:
    text = _COLOPHON.get(lang.split("-")[0], _COLOPHON["en"])
    names = _LANGUAGE_NAMES.get(lang.split("-")[0], _LANGUAGE_NAMES["en"])
    lines = [text["source"].format(title=config.title, author=config.author)]
    if cat is not None:
        entries = [cat.entry(sid) for sid in cat.ids()]
        engines = ", ".join(sorted({e.engine for e in entries if e.engine})) or text["none"]
        language = names.get(config.source_lang, config.source_lang)
        lines.append(text["translated"].format(language=language, engines=engines))
        reviewed = cat.counts().get(State.REVIEWED, 0)
        lines.append(text["reviewed"].format(reviewed=reviewed, total=total))
        dates = cat.review_dates()
        if cat.reviewers() and dates:
            span = dates[0] if dates[0] == dates[1] else f"{dates[0]} \u2013 {dates[1]}"
            lines.append(text["reviewers"].format(names="; ".join(cat.reviewers()), dates=span))
    if revision:
        shown = revision
        if revision.endswith("+"):
            shown = text["dirty"].format(commit=revision[:-1])
        lines.append(text["revision"].format(revision=shown))
    lines.append(text["made"].format(version=__version__))
    return lines


def render(
    config: Config,
    *,
    langs: Sequence[str] | None = None,
    books: Sequence[str] | None = None,
    reporter: Reporter | None = None,
    report: Report | None = None,
) -> Report:
    """Write every edition of every book (or of ``books``) into ``output/``, in
    every configured format.

    One edition per language (``output/<lang>/<book>.html``, ``.pdf``, ``.epub``)
    and, unless ``editions.bilingual`` is off, one bilingual edition per target
    language (``output/<source>-<target>/``). Outputs whose content has not
    changed are left alone.
    """
    reporter = reporter or _Silent()
    report = report or Report()
    chosen = find_books(config, books)
    revision = source_revision(config.root)
    editions = _langs(config, langs, targets_only=False)
    pairs = [lang for lang in editions if lang != config.source_lang] if config.bilingual else []
    if "pdf" in config.formats or "epub" in config.formats:
        from .render.pdf import check_fonts

        check_fonts()
    steps = len(chosen) * (len(editions) + len(pairs)) * len(config.formats)
    reporter.phase("Rendering editions", steps)
    pdfs: list[_PdfJob] = []
    for book in chosen:
        doc = book.load()
        images = _images(config, book, doc)
        catalogs: dict[str, Catalog] = {}
        for lang in editions:
            cat = None if lang == config.source_lang else _catalog(config, book, doc, lang)
            edition = _edition(config.for_book(book.id), doc, lang, cat, revision, images)
            report.counts.setdefault(book.id, {})
            if cat is not None:
                catalogs[lang] = cat
                report.counts[book.id][lang] = _counts(cat)
            _write_edition(config, book, edition, report, reporter, pdfs)
        for lang in pairs:
            edition = _bilingual_edition(
                config.for_book(book.id), doc, lang, catalogs[lang], revision, images
            )
            _write_edition(config, book, edition, report, reporter, pdfs)
    _render_pdfs(config, pdfs, report, reporter)
    return report


def _write_edition(
    config: Config,
    book: Book,
    edition: Edition,
    report: Report,
    reporter: Reporter,
    pdfs: list[_PdfJob],
) -> None:
    """Write one edition of ``book`` in each configured format into ``output/<slug>/``
    (its PDF, the slow part, is queued in ``pdfs`` for :func:`_render_pdfs`)."""
    from .render.html import render_html

    out_dir = config.output_dir / edition.slug
    html = render_html(edition)
    if "html" in config.formats:
        path = out_dir / f"{book.id}.html"
        _record(report, path, write_atomic(path, html))
        reporter.advance()
    if "pdf" in config.formats:
        job = _pdf_job(config, html, out_dir / f"{book.id}.pdf", edition)
        if job is None:
            report.unchanged.append(out_dir / f"{book.id}.pdf")
            reporter.advance()
        else:
            pdfs.append(job)
    if "epub" in config.formats:
        from .render.epub import render_epub

        path = out_dir / f"{book.id}.epub"
        epub = render_epub(edition, modified=_modified(config, book), base_url=config.content_dir)
        _record(report, path, write_atomic(path, epub))
        reporter.advance()


def _modified(config: Config, book: Book) -> datetime:
    """The date an edition carries (EPUB ``dcterms:modified``, zip entries):
    ``SOURCE_DATE_EPOCH`` when set, else the newest modification time of the
    book's source and catalogues, so a rebuild of unchanged content gives the
    same bytes."""
    import os

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), UTC)
        except (ValueError, OverflowError, OSError):
            raise ConfigError(
                f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds",
                hint="set it to a Unix time, e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)",
            ) from None
    inputs = [*book.inputs(), *(book.catalog_path(config, lang) for lang in config.target_langs)]
    times = [int(p.stat().st_mtime) for p in inputs if p.is_file()]
    return datetime.fromtimestamp(max(times, default=0), UTC)


def _images(config: Config, book: Book, doc: Document) -> ImageEmbedder:
    """What the editions of ``book`` show its pictures from (``data:`` URLs)."""

    def where(line: int | None) -> str:
        return source_location(config, doc, line) if line else _relative(config, book.path)

    return ImageEmbedder(book.folder, config.content_dir, where)


def _edition(
    config: Config,
    doc: Document,
    lang: str,
    cat: Catalog | None,
    revision: str | None,
    images: ImageEmbedder | None = None,
) -> Edition:
    conventions = config.typography == "native"
    if cat is None:
        return assemble(
            doc,
            lang=lang,
            source_lang=config.source_lang,
            title=config.title,
            author=config.author,
            colophon=_colophon(config, lang, None, len(doc.segments), revision),
            conventions=conventions,
            images=images,
        )
    texts, states = _texts(doc, cat)
    return assemble(
        doc,
        lang=lang,
        source_lang=config.source_lang,
        title=config.title,
        author=config.author,
        texts=texts,
        states=states,
        counts=_counts(cat),
        colophon=_colophon(config, lang, cat, len(doc.segments), revision),
        conventions=conventions,
        images=images,
    )


def _texts(doc: Document, cat: Catalog) -> tuple[dict[str, str], dict[str, str]]:
    """Each segment's translation (when it has one) and review state, by segment id."""
    texts: dict[str, str] = {}
    states: dict[str, str] = {}
    for seg in doc.segments:
        states[seg.id] = cat.state(seg.id).value
        translation = cat.translation(seg.id)
        if translation:
            texts[seg.id] = translation
    return texts, states


def _bilingual_edition(
    config: Config,
    doc: Document,
    lang: str,
    cat: Catalog,
    revision: str | None,
    images: ImageEmbedder | None = None,
) -> Edition:
    """The source and its ``lang`` translation side by side, colophon in both languages."""
    texts, states = _texts(doc, cat)
    total = len(doc.segments)
    return assemble_bilingual(
        doc,
        source_lang=config.source_lang,
        target_lang=lang,
        title=config.title,
        author=config.author,
        texts=texts,
        states=states,
        counts=_counts(cat),
        colophon=_colophon(config, config.source_lang, cat, total, revision),
        translation_colophon=_colophon(config, lang, cat, total, revision),
        conventions=config.typography == "native",
        images=images,
    )


def _record(report: Report, path: Path, changed: bool) -> None:
    (report.written if changed else report.unchanged).append(path)


@dataclass(slots=True, frozen=True)
class _PdfJob:
    """A PDF to render: from ``html``, or on facing pages from ``edition``."""

    path: Path
    html: str
    edition: Edition | None
    stamp: Path
    key: str


def _pdf_job(config: Config, html: str, path: Path, edition: Edition) -> _PdfJob | None:
    """The PDF to render for an edition, or ``None`` when the same HTML was
    already rendered into it.

    A bilingual ``edition`` is set on facing pages when ``editions.facing_pages``
    is on (its layout is then made from the edition, not from ``html``).
    """
    facing = edition.bilingual and config.facing_pages
    key = hashlib.sha256(
        f"{__version__}\0{os.environ.get('SOURCE_DATE_EPOCH', '')}\0{facing}\0{html}".encode()
    ).hexdigest()
    stamp = (
        config.cache_path.parent / "pdf" / f"{_relative(config, path).replace('/', '__')}.sha256"
    )
    if path.is_file() and stamp.is_file() and stamp.read_text().strip() == key:
        return None
    return _PdfJob(path, html, edition if facing else None, stamp, key)


def _pdf_bytes(html: str, edition: Edition | None, base_url: Path) -> bytes:
    """Render one PDF (in a worker process when there are several)."""
    from .render.pdf import render_pdf, render_pdf_facing

    if edition is not None:
        return render_pdf_facing(edition, base_url=base_url)
    return render_pdf(html, base_url=base_url)


def _render_pdfs(config: Config, jobs: list[_PdfJob], report: Report, reporter: Reporter) -> None:
    """Render the queued PDFs, on every core when there are several, and write them.

    WeasyPrint is single-threaded, so each PDF goes to its own process; the
    files are written here, atomically, as each one is done.
    """
    from .parallel import default_jobs

    workers = min(len(jobs), default_jobs())
    if workers <= 1:
        for job in jobs:
            _finish_pdf(report, job, _pdf_bytes(job.html, job.edition, config.content_dir))
            reporter.advance()
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    context = multiprocessing.get_context("spawn")
    # Longest first (the bilingual edition), so the others fill the other cores.
    ordered = sorted(jobs, key=lambda job: len(job.html), reverse=True)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {
            pool.submit(_pdf_bytes, job.html, job.edition, config.content_dir): job
            for job in ordered
        }
        for future in as_completed(futures):
            _finish_pdf(report, futures[future], future.result())
            reporter.advance()


def _finish_pdf(report: Report, job: _PdfJob, pdf: bytes) -> None:
    _record(report, job.path, write_atomic(job.path, pdf))
    write_atomic(job.stamp, job.key + "\n")


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
    reviewed and passes QA (``strict``: warnings count too); see :func:`_gate`.
    """
    chosen = find_books(config, books)
    settings = _settings(config, engine, langs, final, strict)
    stale = [b for b in chosen if force or not _up_to_date(config, b, langs, settings)]
    report = Report()
    for book in chosen:
        if book not in stale:
            report.unchanged.extend(_outputs(config, book, langs))
    if not stale:
        log.info("every output is up to date")
        return report
    ids = [b.id for b in stale]
    if final:
        _gate(config, langs, strict, ids)
        render(config, langs=langs, books=ids, reporter=reporter, report=report)
    else:
        translate(
            config,
            engine=engine,
            langs=langs,
            force=force,
            books=ids,
            reporter=reporter,
            report=report,
        )
        render(config, langs=langs, books=ids, reporter=reporter, report=report)
    for book in stale:
        _stamp_path(config, book).parent.mkdir(parents=True, exist_ok=True)
        write_atomic(_stamp_path(config, book), _fingerprint(config, book, langs, settings))
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
    return _up_to_date(config, book, langs, _settings(config, engine, langs, final, strict))


def _outputs(config: Config, book: Book, langs: Sequence[str] | None) -> list[Path]:
    """The files a build of ``book`` writes into ``output/``."""
    editions = _langs(config, langs, targets_only=False)
    dirs = list(editions)
    if config.bilingual:
        dirs += [f"{config.source_lang}-{lang}" for lang in editions if lang != config.source_lang]
    return [config.output_dir / d / f"{book.id}.{fmt}" for d in dirs for fmt in config.formats]


def _stamp_path(config: Config, book: Book) -> Path:
    return config.cache_path.parent / "stamps" / f"{book.id}.sha256"


def _fingerprint(config: Config, book: Book, langs: Sequence[str] | None, settings: str) -> str:
    """A checksum of everything a build of ``book`` depends on: the project file,
    the source, the catalogues, the glossary, the pictures, the settings, the
    code's version."""
    digest = hashlib.sha256()
    digest.update(f"{__version__}\0{settings}\0".encode())
    digest.update(os.environ.get("SOURCE_DATE_EPOCH", "").encode() + b"\0")
    code = Path(__file__).parent
    for path in sorted(code.rglob("*")):
        if path.is_file() and path.suffix in {".py", ".css", ".html", ".xsd", ".dtd"}:
            stat = path.stat()
            digest.update(f"{path.relative_to(code)}:{stat.st_size}:{stat.st_mtime_ns}\0".encode())
    inputs = [config.path, *book.inputs(), config.content_dir / "glossary.csv"]
    inputs += [book.catalog_path(config, lang) for lang in config.target_langs]
    for path in inputs:
        digest.update(str(path).encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"<missing>")
        digest.update(b"\0")
    # The pictures an edition may embed: by size and time, as make does (a book
    # may use any picture under content/, and reading them all would be slow).
    for path in sorted(config.content_dir.rglob("*")):
        if path.suffix.lower() in IMAGE_TYPES and path.is_file():
            stat = path.stat()
            digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}\0".encode())
    return digest.hexdigest() + "\n"


def _up_to_date(config: Config, book: Book, langs: Sequence[str] | None, settings: str) -> bool:
    """Whether the last build of ``book`` had exactly these inputs and its outputs
    are all still there (then nothing needs doing: a no-op rebuild is instant)."""
    stamp = _stamp_path(config, book)
    try:
        recorded = stamp.read_text()
    except OSError:
        return False
    if recorded != _fingerprint(config, book, langs, settings):
        return False
    return all(path.is_file() for path in _outputs(config, book, langs))
