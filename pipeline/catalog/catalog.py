"""The PO catalogue: the source of truth for a book's translations.

One catalogue per book and target language (``content/<lang>/<book>.po``),
one entry per segment::

    # mt: apertium 3.8.3 eng-spa 0.8.1
    # qa: placeholder <x2> missing, appended at the end
    #. paragraph
    #: content/en/book.md:12
    #, fuzzy
    msgctxt "p-3f2a9c"
    msgid "The *big* house."
    msgstr "La casa *grande*."

``msgctxt`` is the segment id, ``msgid`` the source and ``msgstr`` the
translation, both inline Markdown. Provenance lives in translator comments as
``key: value`` lines (``mt:`` engine and version, ``qa:`` problems found when
the translation was made); any other comment a person wrote is kept.

The review :class:`State` is derived from the entry, so a translator's tool
(Poedit, Lokalize, Weblate) changes it the usual way: clearing ``fuzzy``
approves a translation.
"""

from __future__ import annotations

import codecs
import copy
import datetime
import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from enum import StrEnum
from pathlib import Path

import polib
from rapidfuzz import fuzz, process

from ..errors import CatalogError
from ..fsutil import write_atomic
from ..lang import get as get_language
from ..lang import same_language
from ..source.segment import Segment

__all__ = ["Catalog", "Entry", "MergeReport", "State"]

logger = logging.getLogger(__name__)

WRAP_WIDTH = 79
"""Line width of ``msgid``/``msgstr`` strings in the saved file."""

SIMILARITY_THRESHOLD = 70.0
"""Minimal :func:`rapidfuzz.fuzz.ratio` for a vanished translation to be reused."""

_PROVENANCE_KEYS = {
    "mt",
    "mt-sha",
    "qa",
    "reviewed-by",
    "reviewed-at",
    "source-sha",
    "translated-by",
    "via",
    "pivot-changed",
}
"""Keys of the translator comment lines the pipeline owns."""

_MALFORMED_HINT = "fix the PO file (msgfmt -c FILE shows the problem) or restore it from git"
_KEYWORD_LINE = re.compile(
    r'(?:(?:msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+)?"(?:[^"\\]|\\[\\"ntrvbf])*"'
)
_STARTS_STRING = re.compile(r'(?:msgctxt|msgid|msgid_plural|msgstr)\b|"')
_POLIB_LINE = re.compile(r"\(line (\d+)\)(?::\s*(.*))?")
_CHARSET = re.compile(rb'Content-Type:[^"\n]*charset=([A-Za-z0-9_.:-]+)')


class State(StrEnum):
    """Review state of one segment's translation, derived from its PO entry."""

    NEW = "new"
    """No translation yet (empty ``msgstr``)."""
    MACHINE = "machine"
    """Machine output nobody approved yet (``fuzzy``, no previous ``msgid``)."""
    NEEDS_REVIEW = "needs-review"
    """A person's translation whose source changed since (``fuzzy`` with ``#| msgid``)."""
    REVIEWED = "reviewed"
    """Approved by a person (not ``fuzzy``, non-empty ``msgstr``)."""


@dataclass(frozen=True, slots=True)
class Entry:
    """A read-only view of one catalogue entry."""

    id: str
    """Segment id (``msgctxt``)."""
    source: str
    """Source inline Markdown (``msgid``)."""
    translation: str | None
    """Translated inline Markdown (``msgstr``), ``None`` when empty."""
    state: State
    """Review state."""
    kind: str | None
    """Segment kind from the extracted comment (``#. paragraph``)."""
    line: int | None
    """Line of the segment in the source file, from the ``#:`` occurrence."""
    previous_source: str | None
    """The source the translation was made for (``#| msgid``), when it changed since."""
    engine: str | None
    """Engine and version that produced the translation (the ``mt:`` comment)."""
    problems: tuple[str, ...]
    """QA problems recorded with the translation (the ``qa:`` comments)."""
    notes: tuple[str, ...]
    """Other translator comment lines, written by people."""
    reviewer: str | None = None
    """Who approved the translation (``reviewed-by:``), for a reviewed entry."""
    reviewed_at: str | None = None
    """When (ISO date, ``reviewed-at:``)."""
    source_hash: str | None = None
    """Checksum of the source text the approval was given against (``source-sha:``)."""
    translator: str | None = None
    """Who wrote a translation that is not approved yet (``translated-by:``)."""
    via: str | None = None
    """For a language translated through another (a pivot): that language, whether
    its text was reviewed or machine output, and its checksum (``via:``)."""
    pivot_changed: str | None = None
    """Why a person's translation made through a pivot needs review again
    (``pivot-changed:``): the pivot's text changed since."""


@dataclass(frozen=True, slots=True)
class MergeReport:
    """What :meth:`Catalog.merge` did, entry by entry, as counts."""

    kept: int = 0
    """Same id and same source: kept as it was."""
    updated: int = 0
    """Same id, source changed in whitespace or typography only: source updated, state kept."""
    carried_over: int = 0
    """New id reusing a similar vanished person's translation: now needs review."""
    restored: int = 0
    """New id found among the obsolete entries (the text came back): revived as it was."""
    new: int = 0
    """New id without a reusable translation: untranslated."""
    obsoleted: int = 0
    """Vanished entries a person translated, kept as obsolete (``#~``)."""
    dropped: int = 0
    """Vanished machine or untranslated entries, removed."""

    def __str__(self) -> str:
        return ", ".join(f"{getattr(self, f.name)} {f.name}" for f in fields(self))


class Catalog:
    """The translations of one book into one language, backed by a PO file."""

    def __init__(self, path: Path, *, lang: str, source_lang: str, book: str) -> None:
        """Create an empty catalogue that :meth:`save` writes to ``path``."""
        self.path = path
        """The PO file."""
        self.lang = lang
        """Target language code (``es``)."""
        self.source_lang = source_lang
        """Source language code (``en``)."""
        self.book = book
        """Book id, written as ``Project-Id-Version``."""
        self._po = polib.POFile(wrapwidth=WRAP_WIDTH, encoding="utf-8")
        self._po.header = (
            f"{book}: translation from {source_lang} to {lang}.\n"
            "The pipeline updates this file; edit msgstr and clear the fuzzy flag to approve."
        )
        self._entries: dict[str, polib.POEntry] = {}
        self._obsolete: list[polib.POEntry] = []

    # -- loading ----------------------------------------------------------

    @classmethod
    def load(cls, path: Path, *, lang: str, source_lang: str, book: str) -> Catalog:
        """Read the catalogue at ``path``; a missing file gives an empty catalogue.

        Raises :class:`CatalogError` (with the line) when the file is not valid
        PO, has two entries for one segment, an entry without ``msgctxt`` or a
        plural entry, or its ``Language`` header names another language.
        """
        catalog = cls(path, lang=lang, source_lang=source_lang, book=book)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            logger.debug("%s does not exist yet: starting an empty catalogue", path)
            return catalog
        except OSError as exc:
            raise CatalogError(
                f"cannot read the catalogue: {exc.strerror or exc}",
                path=path,
                hint="check that the file is readable",
            ) from exc
        po = _parse(raw, path)
        catalog._adopt(po)
        return catalog

    def _adopt(self, po: polib.POFile) -> None:
        """Take over the header and entries of a parsed file, checking them."""
        language = po.metadata.get("Language", "")
        if language and not same_language(language, self.lang):
            raise CatalogError(
                f"the catalogue is for language {language!r}, expected {self.lang!r}",
                path=self.path,
                hint=f"check the Language header or move the file to content/{language}/",
            )
        obsolete: list[polib.POEntry] = []
        for entry in po:
            if entry.obsolete:
                obsolete.append(entry)
                continue
            line = entry.linenum or None
            if entry.msgid_plural or entry.msgstr_plural:
                raise CatalogError(
                    "plural entries (msgid_plural) are not supported",
                    path=self.path,
                    line=line,
                    hint="remove the entry; segments are never plural",
                )
            if entry.msgctxt is None:
                raise CatalogError(
                    "entry without msgctxt (the segment id)",
                    path=self.path,
                    line=line,
                    hint="remove the entry or restore the file from git",
                )
            if entry.msgctxt in self._entries:
                raise CatalogError(
                    f"second entry for segment {entry.msgctxt!r} (duplicate msgctxt)",
                    path=self.path,
                    line=line,
                    hint="keep one of the two entries (msgfmt -c FILE lists them)",
                )
            self._entries[entry.msgctxt] = entry
        self._obsolete = _unique_obsolete(self._entries.values(), obsolete, self.path)
        self._po.header = po.header
        self._po.metadata = dict(po.metadata)

    # -- queries ----------------------------------------------------------

    def __contains__(self, segment_id: object) -> bool:
        return segment_id in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def ids(self) -> list[str]:
        """Ids of the (non-obsolete) entries, in document order."""
        return list(self._entries)

    def state(self, segment_id: str) -> State:
        """Review state of a segment; ``KeyError`` for an unknown id."""
        return _state(self._entries[segment_id])

    def translation(self, segment_id: str) -> str | None:
        """The translation (``msgstr``) of a segment, ``None`` when there is none."""
        return self._entries[segment_id].msgstr or None

    def problems(self, segment_id: str) -> list[str]:
        """QA problems recorded with the translation (its ``qa:`` comments)."""
        return _comment_values(self._entries[segment_id], "qa")

    def entry(self, segment_id: str) -> Entry:
        """A read-only view of a segment's entry; ``KeyError`` for an unknown id."""
        po_entry = self._entries[segment_id]
        line = po_entry.occurrences[0][1] if po_entry.occurrences else ""
        engines = _comment_values(po_entry, "mt")
        return Entry(
            id=segment_id,
            source=po_entry.msgid,
            translation=po_entry.msgstr or None,
            state=_state(po_entry),
            kind=po_entry.comment or None,
            line=int(line) if str(line).isdigit() else None,
            previous_source=po_entry.previous_msgid if po_entry.fuzzy else None,
            engine=engines[0] if engines else None,
            problems=tuple(_comment_values(po_entry, "qa")),
            notes=tuple(_without_keys(_comment_lines(po_entry), _PROVENANCE_KEYS)),
            reviewer=_first(po_entry, "reviewed-by"),
            reviewed_at=_first(po_entry, "reviewed-at"),
            source_hash=_first(po_entry, "source-sha"),
            translator=_first(po_entry, "translated-by"),
            via=_first(po_entry, "via"),
            pivot_changed=_first(po_entry, "pivot-changed"),
        )

    def reviewers(self) -> list[str]:
        """Everyone who approved a translation in this catalogue, sorted."""
        return sorted(
            {
                r
                for e in self._entries.values()
                if _state(e) is State.REVIEWED
                for r in _comment_values(e, "reviewed-by")
            }
        )

    def review_dates(self) -> tuple[str, str] | None:
        """First and last approval date (ISO), or ``None`` when nothing is reviewed."""
        dates = sorted(
            d
            for e in self._entries.values()
            if _state(e) is State.REVIEWED
            for d in _comment_values(e, "reviewed-at")
        )
        return (dates[0], dates[-1]) if dates else None

    def last_translator(self) -> str | None:
        """The ``Last-Translator`` header a translator's tool wrote, if any."""
        value = self._po.metadata.get("Last-Translator", "").strip()
        if not value or "FULL NAME" in value:
            return None
        return value

    def counts(self) -> dict[State, int]:
        """Number of (non-obsolete) entries in each state; every state is a key."""
        result = dict.fromkeys(State, 0)
        for po_entry in self._entries.values():
            result[_state(po_entry)] += 1
        return result

    def needs_machine(self, force: bool = False) -> list[str]:
        """Ids to send to an engine, in document order.

        Untranslated entries; with ``force`` also machine translations (to
        translate them again). Never an entry a person translated.
        """
        wanted = {State.NEW, State.MACHINE} if force else {State.NEW}
        return [sid for sid, e in self._entries.items() if _state(e) in wanted]

    # -- changes ----------------------------------------------------------

    def set_machine(
        self,
        segment_id: str,
        text: str,
        engine: str,
        version: str,
        problems: Sequence[str] = (),
        via: str | None = None,
    ) -> None:
        """Store a machine translation: ``fuzzy``, with ``mt:`` and ``qa:`` comments
        (and ``via:``, the pivot it was made from, when there was one).

        The ``mt:``/``qa:`` lines of an earlier machine translation are
        replaced; other comments are kept. Leading and trailing newlines of
        ``text`` are adjusted to the source's (as ``msgfmt -c`` requires).

        Raises ``ValueError`` when the entry holds a person's translation
        (reviewed or needs review) — a build never overwrites one — or when
        ``text`` is empty; ``KeyError`` for an unknown id.
        """
        po_entry = self._entries[segment_id]
        current = _state(po_entry)
        if current in (State.REVIEWED, State.NEEDS_REVIEW):
            raise ValueError(
                f"segment {segment_id!r} holds a person's translation ({current}); "
                "a machine translation must not overwrite it"
            )
        fitted = _fit_newlines(po_entry.msgid, text)
        if not fitted:
            raise ValueError(f"empty machine translation for segment {segment_id!r}")
        po_entry.msgstr = fitted
        po_entry.fuzzy = True
        po_entry.previous_msgctxt = None
        po_entry.previous_msgid = None
        # An engine's version may already start with its name ("apertium 3.8.3, …").
        label = version if version.split(" ", 1)[0] == engine else f"{engine} {version}"
        provenance = [f"mt: {_one_line(label)}", f"mt-sha: {_digest(fitted)}"]
        provenance += [f"qa: {_one_line(problem)}" for problem in problems]
        if via:
            provenance.append(f"via: {_one_line(via)}")
        notes = _without_keys(_comment_lines(po_entry), _PROVENANCE_KEYS)
        _set_comment_lines(po_entry, [*notes, *provenance])
        logger.debug("%s: machine translation by %s %s", segment_id, engine, version)

    def approve(
        self,
        segment_id: str,
        reviewer: str,
        *,
        text: str | None = None,
        when: str | None = None,
    ) -> None:
        """Record that ``reviewer`` approved the segment's translation.

        ``text`` replaces the translation first (a reviewer's correction).
        The entry stops being fuzzy, its previous source is dropped, and the
        approval is recorded: ``reviewed-by:``, ``reviewed-at:`` (``when``, an
        ISO date, default today) and ``source-sha:`` (the source approved).
        Raises :class:`CatalogError` when there is no translation to approve.
        """
        po_entry = self._entries[segment_id]
        if text is not None:
            po_entry.msgstr = _fit_newlines(po_entry.msgid, text)
        if not po_entry.msgstr:
            raise CatalogError(
                f"segment {segment_id} has no translation to approve",
                path=self.path,
                hint="translate it first (pipeline translate) or give the text",
            )
        po_entry.fuzzy = False
        po_entry.previous_msgid = None
        po_entry.previous_msgctxt = None
        _record_approval(po_entry, reviewer, when)
        logger.debug("%s: approved by %s", segment_id, reviewer)

    def set_translation(self, segment_id: str, text: str, *, translator: str | None = None) -> None:
        """Store a person's translation that nobody approved yet (state needs-review).

        The entry stays fuzzy; its previous source (if any) is kept so the
        reviewer still sees what changed.
        """
        po_entry = self._entries[segment_id]
        fitted = _fit_newlines(po_entry.msgid, text)
        if not fitted:
            raise CatalogError(
                f"empty translation for segment {segment_id}",
                path=self.path,
                hint="give a translation or leave the segment out",
            )
        po_entry.msgstr = fitted
        po_entry.fuzzy = True
        lines = _without_keys(
            _comment_lines(po_entry),
            {"mt-sha", "qa", "reviewed-by", "reviewed-at", "source-sha", "translated-by"},
        )
        if translator:
            lines.append(f"translated-by: {_one_line(translator)}")
        _set_comment_lines(po_entry, lines)

    def pivot_changed(self, segment_id: str, via: str, reason: str) -> None:
        """Mark a person's translation made through a pivot as needing review: the
        pivot's text it was made from changed (``via`` records the new one)."""
        po_entry = self._entries[segment_id]
        po_entry.fuzzy = True
        po_entry.previous_msgid = po_entry.msgid
        _replace_comment(po_entry, "via", _one_line(via))
        _replace_comment(po_entry, "pivot-changed", _one_line(reason))

    def adopt_approvals(self, reviewer: str | None = None, when: str | None = None) -> int:
        """Record approvals made outside the pipeline, as in Poedit or Lokalize.

        A translation that is not fuzzy but carries no approval for its
        current source (no ``source-sha:``, or one for another source) was
        approved in a translator's tool: it is recorded with the PO header's
        ``Last-Translator`` (else ``reviewer``, else ``unknown``). Returns how
        many entries were recorded.
        """
        who = self.last_translator() or reviewer or "unknown"
        count = 0
        for po_entry in self._entries.values():
            if _state(po_entry) is not State.REVIEWED:
                continue
            if _digest(po_entry.msgid) in _comment_values(po_entry, "source-sha"):
                continue
            _record_approval(po_entry, who, when)
            count += 1
        return count

    def merge(
        self,
        segments: Sequence[Segment],
        source_file: str | Callable[[Segment], tuple[str, int]],
    ) -> MergeReport:
        """Bring the catalogue in line with the document's segments.

        ``source_file`` is the path written in the ``#:`` occurrences (or, for a
        book of several chapter files, a function giving a segment's file and line)
        (``content/en/book.md``). The entries end up in document order:

        - same id, same source: kept (occurrence and kind refreshed);
        - same id, other source (a whitespace or typography change, as ids
          hash the normalised text): source updated, translation and state kept;
        - new id found among the obsolete entries: revived as it was;
        - new id similar (ratio >= 70) to a vanished entry a person translated:
          that translation is reused, ``fuzzy`` with the previous source
          (needs review); each vanished entry is reused at most once, the most
          similar and then the nearest first;
        - otherwise: a new, untranslated entry.

        Vanished entries a person translated become obsolete (``#~``); vanished
        machine and untranslated entries are dropped.
        """
        ids = [segment.id for segment in segments]
        if len(set(ids)) != len(ids):
            raise ValueError("segment ids must be unique within a document")
        if any(not segment.source for segment in segments):
            raise ValueError("a segment's source must not be empty")
        counts = {f.name: 0 for f in fields(MergeReport)}
        present = set(ids)
        old = self._entries
        vanished = [
            (position, po_entry)
            for position, (sid, po_entry) in enumerate(old.items())
            if sid not in present
        ]
        obsolete_by_id = {e.msgctxt: e for e in reversed(self._obsolete) if e.msgctxt}
        revived = {
            segment.id: obsolete_by_id[segment.id]
            for segment in segments
            if segment.id not in old and segment.id in obsolete_by_id
        }
        revived_ids = {id(po_entry) for po_entry in revived.values()}
        pool = [
            (position, po_entry)
            for position, po_entry in [
                *vanished,
                *((len(old) + i, e) for i, e in enumerate(self._obsolete)),
            ]
            if _is_persons(po_entry) and id(po_entry) not in revived_ids
        ]
        unmatched = [s for s in segments if s.id not in old and s.id not in revived]
        reused = _match_similar(unmatched, pool)

        entries: dict[str, polib.POEntry] = {}
        for segment in segments:
            po_entry = old.get(segment.id)
            if po_entry is not None:
                same = po_entry.msgid == segment.source
                counts["kept" if same else "updated"] += 1
                if not same and _state(po_entry) is State.REVIEWED:
                    # Whitespace or typography only (same id): the approval stands.
                    _replace_comment(po_entry, "source-sha", _digest(segment.source))
            elif segment.id in revived:
                po_entry = revived[segment.id]
                po_entry.obsolete = False
                counts["restored"] += 1
            elif segment.id in reused:
                po_entry = _carry_over(segment, reused[segment.id])
                counts["carried_over"] += 1
                logger.debug(
                    "%s: reusing the translation of a similar vanished segment", segment.id
                )
            else:
                po_entry = polib.POEntry(msgctxt=segment.id, msgid=segment.source)
                counts["new"] += 1
            po_entry.msgid = segment.source
            po_entry.msgstr = _fit_newlines(segment.source, po_entry.msgstr)
            if callable(source_file):
                where, line = source_file(segment)
            else:
                where, line = source_file, segment.line
            po_entry.occurrences = [(where, str(line))]
            po_entry.comment = segment.kind
            entries[segment.id] = po_entry

        consumed = {id(e) for e in [*reused.values(), *revived.values()]}
        obsolete: list[polib.POEntry] = []
        for po_entry in [*self._obsolete, *(e for _position, e in vanished)]:
            if id(po_entry) in consumed:
                continue
            if not _is_persons(po_entry):
                counts["dropped"] += 1
                continue
            if not po_entry.obsolete:
                po_entry.obsolete = True
                po_entry.occurrences = []
                po_entry.comment = ""
                counts["obsoleted"] += 1
            obsolete.append(po_entry)
        self._entries = entries
        self._obsolete = _unique_obsolete(entries.values(), obsolete, self.path)
        report = MergeReport(**counts)
        logger.debug("%s: merged: %s", self.path, report)
        return report

    # -- saving -----------------------------------------------------------

    def to_text(self) -> str:
        """The catalogue as PO text, exactly as :meth:`save` writes it.

        A translation whose leading or trailing newline disagrees with its
        source's (which ``msgfmt -c`` refuses) is adjusted, with a warning.
        """
        self._update_header()
        header_lines = self._po.header.split("\n") if self._po.header else []
        header = "".join(f"# {line}".rstrip() + "\n" for line in header_lines)
        parts = [self._po.metadata_as_entry().__unicode__(WRAP_WIDTH)]
        for segment_id, po_entry in self._entries.items():
            fitted = _fit_newlines(po_entry.msgid, po_entry.msgstr)
            if fitted != po_entry.msgstr:
                logger.warning(
                    "%s: %s: adjusted leading/trailing newlines of the translation to the source's",
                    self.path,
                    segment_id,
                )
                po_entry.msgstr = fitted
            parts.append(_render_entry(po_entry))
        parts += [_render_entry(po_entry) for po_entry in self._obsolete]
        return header + "\n".join(parts)

    def save(self) -> bool:
        """Write the catalogue to :attr:`path` atomically.

        Returns ``False`` (and leaves the file untouched) when it already holds
        exactly this content. Raises :class:`~pipeline.errors.OutputError`
        when the file cannot be written.
        """
        return write_atomic(self.path, self.to_text())

    def _update_header(self) -> None:
        """Set the header fields the pipeline owns; keep any other field."""
        metadata = self._po.metadata
        metadata["Project-Id-Version"] = self.book
        if not metadata.get("Language"):
            metadata["Language"] = self.lang
        metadata["MIME-Version"] = "1.0"
        metadata["Content-Type"] = "text/plain; charset=UTF-8"
        metadata["Content-Transfer-Encoding"] = "8bit"
        plural_forms = get_language(self.lang).plural_forms
        if plural_forms:
            metadata["Plural-Forms"] = plural_forms
        metadata["X-Generator"] = "pipeline"
        metadata["X-Source-Language"] = self.source_lang
        self._po.metadata_is_fuzzy = 0


# -- entries ---------------------------------------------------------------


def _first(entry: polib.POEntry, key: str) -> str | None:
    values = _comment_values(entry, key)
    return values[0] if values else None


def _replace_comment(entry: polib.POEntry, key: str, value: str) -> None:
    lines = _without_keys(_comment_lines(entry), {key})
    _set_comment_lines(entry, [*lines, f"{key}: {value}"])


def _record_approval(entry: polib.POEntry, reviewer: str, when: str | None) -> None:
    """Write who approved the entry, when, and against which source."""
    day = when or datetime.date.today().isoformat()
    lines = _without_keys(
        _comment_lines(entry),
        {
            "mt-sha",
            "qa",
            "reviewed-by",
            "reviewed-at",
            "source-sha",
            "translated-by",
            "pivot-changed",
        },
    )
    lines += [
        f"reviewed-by: {_one_line(reviewer)}",
        f"reviewed-at: {day}",
        f"source-sha: {_digest(entry.msgid)}",
    ]
    _set_comment_lines(entry, lines)


def text_digest(text: str) -> str:
    """Short checksum of a text (a machine translation, an approved source), to
    notice when it changes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


_digest = text_digest


def _state(entry: polib.POEntry) -> State:
    """Derive the review state from ``msgstr``, ``fuzzy``, ``#| msgid`` and ``mt-sha:``.

    A fuzzy translation is the machine's only while it is exactly what the
    engine wrote (its ``mt-sha:`` checksum matches); a person who edited it
    but left it fuzzy ("needs work" in Poedit) made it theirs, and it needs
    review — a build must never overwrite it.
    """
    if not entry.msgstr:
        return State.NEW
    if entry.fuzzy:
        if entry.previous_msgid is not None:
            return State.NEEDS_REVIEW
        if _digest(entry.msgstr) in _comment_values(entry, "mt-sha"):
            return State.MACHINE
        return State.NEEDS_REVIEW
    return State.REVIEWED


def _is_persons(entry: polib.POEntry) -> bool:
    """Whether the entry holds a translation a person made or approved."""
    return _state(entry) in (State.REVIEWED, State.NEEDS_REVIEW)


def _match_similar(
    segments: Sequence[Segment], pool: Sequence[tuple[int, polib.POEntry]]
) -> dict[str, polib.POEntry]:
    """Pair new segments with similar vanished entries, each entry used once.

    Pairs are taken best first: highest similarity, then nearest position
    (``Segment.index`` against the entry's old position), then document order.
    """
    if not segments or not pool:
        return {}
    sources = [po_entry.msgid for _position, po_entry in pool]
    pairs: list[tuple[float, int, int, int]] = []
    for order, segment in enumerate(segments):
        for _choice, score, k in process.extract(
            segment.source,
            sources,
            scorer=fuzz.ratio,
            score_cutoff=SIMILARITY_THRESHOLD,
            limit=None,
        ):
            pairs.append((-score, abs(pool[k][0] - segment.index), order, k))
    pairs.sort()
    matched: dict[str, polib.POEntry] = {}
    used: set[int] = set()
    for _score, _distance, order, k in pairs:
        segment = segments[order]
        if segment.id in matched or k in used:
            continue
        matched[segment.id] = pool[k][1]
        used.add(k)
    return matched


def _unique_obsolete(
    active: Iterable[polib.POEntry], obsolete: Iterable[polib.POEntry], path: Path
) -> list[polib.POEntry]:
    """Obsolete entries minus those repeating an earlier (msgctxt, msgid).

    ``msgfmt -c`` refuses a file where two entries, obsolete or not, share
    both; the active entry (or the first obsolete one) is kept.
    """
    seen = {(e.msgctxt, e.msgid) for e in active}
    kept = []
    for po_entry in obsolete:
        key = (po_entry.msgctxt, po_entry.msgid)
        if key in seen:
            logger.warning(
                "%s: dropped an obsolete entry repeating segment %r", path, po_entry.msgctxt
            )
            continue
        seen.add(key)
        kept.append(po_entry)
    return kept


def _carry_over(segment: Segment, old: polib.POEntry) -> polib.POEntry:
    """A new entry for ``segment`` with the person's translation of ``old``, to review.

    The previous source is the one the translation was made for: ``old``'s own
    previous source when it was already waiting for review.
    """
    if _state(old) is State.NEEDS_REVIEW:
        previous_msgctxt, previous_msgid = old.previous_msgctxt, old.previous_msgid
    else:
        previous_msgctxt, previous_msgid = old.msgctxt, old.msgid
    po_entry = polib.POEntry(
        msgctxt=segment.id,
        msgid=segment.source,
        msgstr=old.msgstr,
        flags=["fuzzy", *(flag for flag in old.flags if flag != "fuzzy")],
        previous_msgctxt=previous_msgctxt,
        previous_msgid=previous_msgid,
    )
    _set_comment_lines(po_entry, _without_keys(_comment_lines(old), {"qa"}))
    return po_entry


def _fit_newlines(msgid: str, msgstr: str) -> str:
    """Make ``msgstr`` begin and end with a newline exactly when ``msgid`` does.

    ``msgfmt -c`` refuses an entry where only one of them does. An empty
    ``msgstr`` (untranslated) is left alone.
    """
    if not msgstr:
        return msgstr
    if msgid.startswith("\n") != msgstr.startswith("\n"):
        msgstr = "\n" + msgstr if msgid.startswith("\n") else msgstr.lstrip("\n")
    if msgstr and msgid.endswith("\n") != msgstr.endswith("\n"):
        msgstr = msgstr + "\n" if msgid.endswith("\n") else msgstr.rstrip("\n")
    return msgstr


# -- translator comments -----------------------------------------------------


def _comment_lines(entry: polib.POEntry) -> list[str]:
    """The entry's translator comment lines (``# ...``)."""
    return entry.tcomment.split("\n") if entry.tcomment else []


def _set_comment_lines(entry: polib.POEntry, lines: Iterable[str]) -> None:
    """Replace the entry's translator comment lines."""
    entry.tcomment = "\n".join(lines)


def _comment_key(line: str) -> str | None:
    """The key of a ``key: value`` comment line, ``None`` for free text."""
    key, colon, _value = line.partition(":")
    return key.strip() if colon and re.fullmatch(r"\s*[a-z][a-z0-9-]*", key) else None


def _comment_values(entry: polib.POEntry, key: str) -> list[str]:
    """Values of the entry's ``key: value`` comment lines for one key."""
    return [
        line.partition(":")[2].strip()
        for line in _comment_lines(entry)
        if _comment_key(line) == key
    ]


def _without_keys(lines: Iterable[str], keys: set[str]) -> list[str]:
    """Comment lines minus the ``key: value`` lines of the given keys."""
    return [line for line in lines if _comment_key(line) not in keys]


def _one_line(text: str) -> str:
    """Collapse whitespace (newlines included) so a value fits one comment line."""
    return " ".join(text.split())


def _render_entry(entry: polib.POEntry) -> str:
    """PO text of one entry; translator comments are never wrapped.

    polib wraps long comment lines, which would split a ``qa:`` line in two
    and change it on the next load.
    """
    comments = "".join(f"# {line}".rstrip() + "\n" for line in _comment_lines(entry))
    bare = copy.copy(entry)
    bare.tcomment = ""
    return comments + bare.__unicode__(WRAP_WIDTH)


# -- parsing -----------------------------------------------------------------


class _PoText(str):
    """PO text whose ``splitlines()`` breaks at ``\\n`` only.

    polib splits text it is given with :meth:`str.splitlines`, which also
    breaks at characters a PO string may hold raw (U+2028, U+0085, ``\\x1c``…).
    """

    def splitlines(self, keepends: bool = False) -> list[str]:
        """Split at ``\\n`` only (``keepends`` is ignored: polib never sets it)."""
        return self.split("\n")


def _parse(raw: bytes, path: Path) -> polib.POFile:
    """Parse PO bytes, raising :class:`CatalogError` with the line on any error."""
    text = _decode(raw, path)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        # polib ignores obsolete previous strings (#~|): read them as #| so an
        # obsolete entry waiting for review keeps its state.
        if stripped.startswith("#~|"):
            stripped = "#|" + stripped[3:]
            lines[number - 1] = stripped
        _check_strings(stripped, number, path)
    try:
        return polib.pofile(_PoText("\n".join(lines)), encoding="utf-8", wrapwidth=WRAP_WIDTH)
    except OSError as exc:
        match = _POLIB_LINE.search(str(exc))
        detail = match.group(2) if match and match.group(2) else "syntax error"
        raise CatalogError(
            f"malformed PO file: {detail}",
            path=path,
            line=int(match.group(1)) if match else None,
            hint=_MALFORMED_HINT,
        ) from exc


def _check_strings(line: str, number: int, path: Path) -> None:
    """Refuse a string line polib would silently misread.

    polib drops the last character of an unterminated string and keeps
    escapes it does not know (``\\a``, octal) as literal text.
    """
    for prefix in ("#~", "#|"):
        if line.startswith(prefix):
            line = line[len(prefix) :].lstrip()
    if line.startswith("#") or not _STARTS_STRING.match(line):
        return
    if not _KEYWORD_LINE.fullmatch(line):
        raise CatalogError(
            "malformed PO string (unterminated, unescaped quote or unsupported escape)",
            path=path,
            line=number,
            hint=_MALFORMED_HINT,
        )


def _decode(raw: bytes, path: Path) -> str:
    """Decode PO bytes with the charset its header declares (UTF-8 by default)."""
    charset = "utf-8"
    match = _CHARSET.search(raw)
    if match:
        try:
            charset = codecs.lookup(match.group(1).decode("ascii")).name
        except LookupError:
            charset = "utf-8"
    if charset == "utf-8":
        charset = "utf-8-sig"
    elif not raw.isascii():
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            pass  # really in the declared charset
        else:
            line = raw[: match.start()].count(b"\n") + 1 if match else None
            raise CatalogError(
                f"the header declares charset={charset} but the file is UTF-8",
                path=path,
                line=line,
                hint="set the Content-Type header to charset=UTF-8",
            )
    try:
        return raw.decode(charset)
    except UnicodeDecodeError as exc:
        raise CatalogError(
            f"the file is not valid {exc.encoding}",
            path=path,
            line=raw[: exc.start].count(b"\n") + 1,
            hint="save the file as UTF-8 or restore it from git",
        ) from exc
