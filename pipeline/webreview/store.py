"""What the review page shows and saves, without any HTTP.

Every call reads the book and its catalogue afresh with
:func:`pipeline.project.open_book` — the code path of ``pipeline review`` — so
the page always works on what is on disk, and there is no second storage: a
save approves through :meth:`pipeline.catalog.catalog.Catalog.approve` and writes
with :meth:`pipeline.catalog.catalog.Catalog.save` (atomic).

Conflicts: each segment has a *version*, a hash of everything its PO entry
says (source, translation, fuzzy state, previous source, provenance and
reviewer comments). A save names the version it edited; when the entry on
disk has another version by now — another reviewer saved, a build ran, the
source was edited — the save is refused with :class:`Conflict`, which carries
what the entry holds now. Nothing is overwritten silently.

A save holds the catalogue's lock (:mod:`pipeline.catalog.lock`, shared with
builds and the ``pipeline review`` commands) from reading the file to writing
it, so the versions are checked against the file as it is written over.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..catalog.catalog import Catalog, CatalogChanged, State
from ..catalog.lock import catalog_lock
from ..catalog.review import DiffPiece, ReviewError, approve, word_diff
from ..catalog.version import entry_version
from ..config import Config
from ..errors import PipelineError
from ..project import Book, BookSession, open_book
from ..qa.finding import Finding
from ..qa.gate import run_qa
from ..qa.glossary import Glossary
from ..source.markdown import Document
from ..source.segment import Segment
from ..tm import Memory, Suggestion, load_memory, memory_stamp
from .reviewers import bad_character

__all__ = [
    "ApprovalItem",
    "Conflict",
    "GlossaryHint",
    "Overview",
    "ReviewStore",
    "Section",
    "SegmentView",
    "entry_version",
]

log = logging.getLogger(__name__)

MAX_TEXT = 20_000
"""Longest translation a save accepts, in characters."""
MAX_REVIEWER = 200
"""Longest reviewer name a save accepts, in characters."""
MAX_SUGGESTIONS = 3
"""Most translation-memory suggestions shown under a segment."""


@dataclass(frozen=True, slots=True)
class GlossaryHint:
    """A glossary term that occurs in a segment's source."""

    source: str
    """The term as the glossary spells it in the source language."""
    target: str
    """Its agreed translation."""
    note: str
    """The glossary's note (may be empty)."""
    used: bool
    """Whether the current translation uses the agreed translation."""


@dataclass(frozen=True, slots=True)
class SegmentView:
    """One segment as the page shows it."""

    number: int
    """1-based position in reading order."""
    id: str
    """Segment id (``msgctxt``)."""
    kind: str
    """``heading``, ``paragraph``, ``list-item``, ``table-cell`` or ``quote``;
    in raw HTML also ``alt-text``, ``tooltip``, ``label`` or ``tab-label`` (an
    attribute's words); ``title`` and ``description`` for the book's, as its
    front matter gives them."""
    level: int | None
    """Heading level (1 to 6) for a heading, else ``None``."""
    line: int
    """Line in the source file."""
    source: str
    """Source inline Markdown."""
    translation: str
    """Current translation (inline Markdown), empty when there is none."""
    state: str
    """Review state (:class:`pipeline.catalog.catalog.State` value)."""
    version: str
    """See :func:`entry_version`."""
    diff: tuple[DiffPiece, ...]
    """For a changed source: word diff from the source translated to the current one."""
    findings: tuple[Finding, ...]
    """QA findings on the current translation, as ``pipeline check`` reports them."""
    problems: tuple[str, ...]
    """Problems recorded when the machine translation was made (``qa:`` comments)."""
    glossary: tuple[GlossaryHint, ...]
    """Glossary terms in the source."""
    reviewer: str | None
    """Who approved it (reviewed segments)."""
    reviewed_at: str | None
    """When (ISO date)."""
    translator: str | None
    """Who wrote a translation not approved yet."""
    engine: str | None
    """The engine that made the machine translation."""
    conflict: str | None = None
    """The other branch's translation, when a git merge found both branches had
    changed this one (see :mod:`pipeline.catalog.merge_driver`)."""
    suggestions: tuple[Suggestion, ...] = ()
    """Similar translations from the translation memory, most similar first (for a
    segment not reviewed yet)."""
    unknown: tuple[str, ...] = ()
    """Words the engine did not know (``unknown`` records): where to look first."""

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict for the page's script."""
        return {
            "number": self.number,
            "id": self.id,
            "kind": self.kind,
            "level": self.level,
            "line": self.line,
            "source": self.source,
            "translation": self.translation,
            "state": self.state,
            "version": self.version,
            "diff": [{"op": p.op, "text": p.text} for p in self.diff],
            "findings": [
                {
                    "check": f.check_id,
                    "severity": str(f.severity),
                    "title": f.title,
                    "message": f.message,
                }
                for f in self.findings
            ],
            "problems": list(self.problems),
            "glossary": [
                {"source": g.source, "target": g.target, "note": g.note, "used": g.used}
                for g in self.glossary
            ],
            "reviewer": self.reviewer,
            "reviewed_at": self.reviewed_at,
            "translator": self.translator,
            "engine": self.engine,
            "conflict": self.conflict,
            "suggestions": [
                {
                    "text": s.unit.target,
                    "score": s.percent,
                    "origin": s.unit.origin,
                    "source": s.unit.source,
                }
                for s in self.suggestions
            ],
            "unknown": list(self.unknown),
        }


@dataclass(frozen=True, slots=True)
class Section:
    """A heading and the segments up to the next heading."""

    heading: SegmentView | None
    """The heading segment (``None`` for what comes before the first heading)."""
    segments: tuple[SegmentView, ...]
    """The section's segments in reading order, the heading first."""


@dataclass(frozen=True, slots=True)
class Overview:
    """The whole page: the book's segments in reading order and the counts."""

    book: str
    """Book id."""
    title: str
    """Book title (pipeline.toml)."""
    source_lang: str
    """Source language code."""
    lang: str
    """Target language code."""
    source_file: str
    """The Markdown file, relative to the project."""
    catalog_file: str
    """The PO file, relative to the project."""
    sections: tuple[Section, ...]
    """The document, section by section."""
    counts: dict[str, int]
    """Segments per review state (every state is a key)."""

    @property
    def total(self) -> int:
        """Number of segments."""
        return sum(self.counts.values())

    @property
    def segments(self) -> list[SegmentView]:
        """Every segment in reading order."""
        return [s for section in self.sections for s in section.segments]


class Conflict(ReviewError):
    """A save named versions that are no longer on disk."""

    def __init__(self, message: str, *, current: Sequence[SegmentView], missing: Sequence[str]):
        super().__init__(message, hint="reload the page to see the current text, then save again")
        self.current = list(current)
        """What the changed segments hold now."""
        self.missing = list(missing)
        """Ids that are no longer in the book (their source was edited or removed)."""


@dataclass(frozen=True, slots=True)
class ApprovalItem:
    """One segment of a save: the version edited and, optionally, the new text."""

    id: str
    """Segment id."""
    version: str
    """The version the reviewer saw (see :func:`entry_version`)."""
    text: str | None = None
    """The reviewer's text; ``None`` approves the translation as stored."""


@dataclass(slots=True)
class _Snapshot:
    """The book, its catalogue and QA findings as read from disk at one moment."""

    book: Book
    doc: Document
    catalog: Catalog
    glossary: Glossary
    findings: dict[str, list[Finding]]
    segments: dict[str, Segment]
    memory: Memory | None = None


class ReviewStore:
    """Reads and saves one book's catalogue in one language for the review page.

    Thread-safe and process-safe: a save holds the catalogue's lock from its
    read to its write, so two reviewers, a build or ``pipeline review approve``
    saving at once cannot interleave a read and a write.
    """

    def __init__(self, config: Config, book: str | None = None, lang: str | None = None):
        """Check that the book and language exist (raises ``PipelineError`` if not)."""
        self.config = config
        """The project."""
        found, _doc, catalog = open_book(config, book, lang)
        self.book: str = found.id
        """Book id."""
        self.lang: str = catalog.lang
        """Target language."""
        self.path: Path = catalog.path
        """The PO file the page saves to."""
        self._memory: tuple[tuple[tuple[str, int, int], ...], Memory] | None = None

    def _locked(self) -> AbstractContextManager[None]:
        """The catalogue's lock, held by a save from its read to its write."""
        return catalog_lock(self.path, purpose=f"the review page of {self.book} [{self.lang}]")

    # -- reading ------------------------------------------------------------

    def _open(self) -> _Snapshot:
        found, doc, catalog = open_book(self.config, self.book, self.lang)
        glossary = Glossary.find(self.config.content_dir, source_lang=self.config.source_lang)
        glossary = glossary.for_language(self.lang)
        snap = _Snapshot(found, doc, catalog, glossary, {}, {s.id: s for s in doc.segments})
        snap.memory = self._translation_memory()
        self._run_qa(snap)
        return snap

    def _translation_memory(self) -> Memory | None:
        """The translation memory of the language, read again only when one of its
        files changed; ``None`` (with a warning) when it cannot be read."""
        key = memory_stamp(self.config)
        if self._memory is None or self._memory[0] != key:
            try:
                self._memory = key, load_memory(self.config, self.lang)
            except PipelineError as exc:
                log.warning("no translation memory suggestions: %s", exc)
                return None
        return self._memory[1]

    def _run_qa(self, snap: _Snapshot) -> None:
        """QA findings per segment, exactly as ``pipeline check`` finds them."""
        snap.findings = {}
        cat = snap.catalog
        session = BookSession(
            self.config.for_book(snap.book.id), snap.book, snap.doc, {cat.lang: cat}
        )
        for f in run_qa(session, cat):
            snap.findings.setdefault(f.segment_id, []).append(f)

    def overview(self) -> Overview:
        """Everything the page shows, read from disk now."""
        snap = self._open()
        sections: list[Section] = []
        heading: SegmentView | None = None
        current: list[SegmentView] = []
        for seg in snap.doc.segments:
            view = self._view(snap, seg.id)
            if view.kind == "heading":
                if heading is not None or current:
                    sections.append(Section(heading, tuple(current)))
                heading, current = view, []
            current.append(view)
        if heading is not None or current:
            sections.append(Section(heading, tuple(current)))
        return Overview(
            book=snap.book.id,
            title=self.config.title,
            source_lang=self.config.source_lang,
            lang=snap.catalog.lang,
            source_file=self._relative(snap.book.path),
            catalog_file=self._relative(snap.catalog.path),
            sections=tuple(sections),
            counts=_counts(snap.catalog),
        )

    def versions(self) -> dict[str, str]:
        """Segment id → version, for every segment, read from disk now."""
        _found, _doc, catalog = open_book(self.config, self.book, self.lang)
        return {sid: entry_version(catalog.entry(sid)) for sid in catalog.ids()}

    # -- saving -------------------------------------------------------------

    def approve(
        self, items: Sequence[ApprovalItem], reviewer: str
    ) -> tuple[list[SegmentView], dict[str, int]]:
        """Approve segments, all or nothing, as ``reviewer``; record who and when.

        Raises :class:`Conflict` when a segment is gone or changed since the
        version the reviewer edited, :class:`ReviewError` for an empty
        translation, a missing reviewer or an unknown segment. Returns the
        segments as saved (QA run again) and the new counts.
        """
        who = _reviewer(reviewer)
        if not items:
            raise ReviewError("nothing to approve", hint="select segments first")
        texts = {item.id: _text(item.text) for item in items}
        if len(texts) != len(items):
            raise ReviewError("a segment is named twice in one save")
        with self._locked():
            snap = self._open()
            catalog = snap.catalog
            self._check_versions(snap, items)
            empty = [
                item.id
                for item in items
                if not _effective(texts[item.id], catalog.translation(item.id)).strip()
            ]
            if empty:
                raise ReviewError(
                    "there is no translation to approve for segment(s) "
                    + ", ".join(_number(snap.doc, sid) for sid in empty),
                    hint="type a translation first",
                )
            as_stored: list[str] = []
            for item in items:
                text = texts[item.id]
                if text is not None and text != catalog.translation(item.id):
                    catalog.approve(item.id, who, text=text)
                else:
                    as_stored.append(item.id)
            approve(catalog, as_stored, who)
            self._save(snap)
            log.info("%s: %d segment(s) approved by %s", catalog.path, len(items), who)
            self._run_qa(snap)
            views = [self._view(snap, item.id) for item in items]
            return views, _counts(catalog)

    def save_draft(self, item: ApprovalItem, reviewer: str) -> tuple[SegmentView, dict[str, int]]:
        """Store a translation without approving it (state needs-review), as
        written by ``reviewer``. Same conflict rules as :meth:`approve`.
        A text equal to the stored one changes nothing."""
        who = _reviewer(reviewer)
        text = _text(item.text)
        if text is None or not text.strip():
            raise ReviewError("the translation is empty", hint="type a translation first")
        with self._locked():
            snap = self._open()
            catalog = snap.catalog
            self._check_versions(snap, [item])
            if text != catalog.translation(item.id):
                catalog.set_translation(item.id, text, translator=who)
                self._save(snap)
                log.info("%s: %s saved by %s, not approved", catalog.path, item.id, who)
                self._run_qa(snap)
            return self._view(snap, item.id), _counts(catalog)

    def _save(self, snap: _Snapshot) -> None:
        """Save the snapshot's catalogue; an entry changed meanwhile by a tool that
        does not take the lock (a PO editor) is a :class:`Conflict`."""
        try:
            snap.catalog.save()
        except CatalogChanged as exc:
            now = self._open()
            changed = [self._view(now, sid) for sid in exc.ids if sid in now.catalog]
            raise Conflict(
                f"{len(exc.ids)} segment(s) changed in the file while saving",
                current=changed,
                missing=[sid for sid in exc.ids if sid not in now.catalog],
            ) from None

    def _check_versions(self, snap: _Snapshot, items: Sequence[ApprovalItem]) -> None:
        catalog = snap.catalog
        missing = [item.id for item in items if item.id not in catalog]
        changed = [
            self._view(snap, item.id)
            for item in items
            if item.id in catalog and entry_version(catalog.entry(item.id)) != item.version
        ]
        if missing or changed:
            parts = []
            if changed:
                parts.append(
                    f"{len(changed)} segment(s) changed since you opened them "
                    "(another reviewer saved, a build ran or the source was edited)"
                )
            if missing:
                parts.append(
                    f"{len(missing)} segment(s) are no longer in the book (the source was edited)"
                )
            raise Conflict("; ".join(parts), current=changed, missing=missing)

    # -- helpers ------------------------------------------------------------

    def _view(self, snap: _Snapshot, segment_id: str) -> SegmentView:
        seg = snap.segments[segment_id]
        entry = snap.catalog.entry(segment_id)
        glossary = snap.glossary
        translation = entry.translation or ""
        level = None
        if seg.kind == "heading":
            opener = snap.doc.tokens[snap.doc.token_index[seg.id] - 1]
            level = int(opener.tag[1:]) if opener.tag[1:].isdigit() else 1
        findings = tuple(snap.findings.get(segment_id, ()))
        hints = tuple(
            GlossaryHint(t.source, t.target, t.note, glossary.target_used(t, translation))
            for t in glossary.terms_in(seg.source)
        )
        diff: tuple[DiffPiece, ...] = ()
        if entry.state is State.NEEDS_REVIEW and entry.previous_source is not None:
            diff = tuple(word_diff(entry.previous_source, entry.source))
        suggestions: tuple[Suggestion, ...] = ()
        if snap.memory is not None and entry.state is not State.REVIEWED:
            suggestions = tuple(
                snap.memory.suggest(seg.source, current=translation, limit=MAX_SUGGESTIONS)
            )
        return SegmentView(
            number=seg.index + 1,
            id=seg.id,
            kind=seg.kind,
            level=level,
            line=seg.line,
            source=seg.source,
            translation=translation,
            state=entry.state.value,
            version=entry_version(entry),
            diff=diff,
            findings=findings,
            problems=entry.problems,
            glossary=hints,
            reviewer=entry.reviewer if entry.state is State.REVIEWED else None,
            reviewed_at=entry.reviewed_at if entry.state is State.REVIEWED else None,
            translator=entry.translator,
            engine=entry.engine,
            conflict=entry.conflict,
            suggestions=suggestions,
            unknown=entry.unknown,
        )

    def _relative(self, path: Path) -> str:
        try:
            return path.relative_to(self.config.root).as_posix()
        except ValueError:
            return str(path)


def _counts(catalog: Catalog) -> dict[str, int]:
    counts = catalog.counts()
    return {state.value: counts.get(state, 0) for state in State}


def _number(doc: Document, segment_id: str) -> str:
    try:
        return f"#{doc.segment(segment_id).index + 1}"
    except KeyError:
        return segment_id


def _effective(typed: str | None, stored: str | None) -> str:
    """The text an approval will keep: what was typed, else what is stored."""
    return typed if typed is not None else stored or ""


def _reviewer(name: str | None) -> str:
    """The reviewer's name on one line, or :class:`ReviewError`."""
    bad = bad_character(name or "")
    if bad:
        raise ReviewError(
            f"the reviewer name contains a control character ({bad})",
            hint="retype the name without invisible characters",
        )
    who = " ".join((name or "").split())
    if not who:
        raise ReviewError(
            "who is reviewing? no reviewer name was given",
            hint="type your name in the page's 'Reviewing as' box",
        )
    if len(who) > MAX_REVIEWER:
        raise ReviewError(f"the reviewer name is longer than {MAX_REVIEWER} characters")
    return who


def _text(text: str | None) -> str | None:
    """A translation as typed, line endings normalised; ``None`` stays ``None``."""
    if text is None:
        return None
    if len(text) > MAX_TEXT:
        raise ReviewError(f"the translation is longer than {MAX_TEXT} characters")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    bad = bad_character(text, allow="\t\n")
    if bad:
        raise ReviewError(
            f"the translation contains a control character ({bad})",
            hint="remove it: only tabs and line breaks are allowed",
        )
    return text
