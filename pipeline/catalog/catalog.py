"""The PO catalogue: the source of truth for a book's translations.

One catalogue per book and target language (``content/<lang>/<book>.po``),
one entry per segment::

    # Check the tone with Ana.
    #. paragraph
    #. pipeline: mt apertium 3.8.3 eng-spa 0.8.1
    #. pipeline: mt-sha 9c9a6523e862
    #. pipeline: qa placeholder <x2> missing, appended at the end
    #: content/en/book.md:12
    #, fuzzy
    msgctxt "p-3f2a9c"
    msgid "The *big* house."
    msgstr "La casa *grande*."

``msgctxt`` is the segment id, ``msgid`` the source and ``msgstr`` the
translation, both inline Markdown. The pipeline's records (provenance,
approvals, see :mod:`pipeline.catalog.records`) are extracted comments, which
PO editors show read-only; translator comments (``#``) are people's and are
kept verbatim. The file is read and written by :mod:`pipeline.catalog.po_io`,
as gettext writes it.

The review :class:`State` is derived from the entry, so a translator's tool
(Poedit, Lokalize, Weblate) changes it the usual way: clearing ``fuzzy``
approves a translation, and :meth:`Catalog.adopt_approvals` records who did
(the PO header's ``Last-Translator``) — or, when the header names nobody new,
makes the entry need review again rather than credit the wrong person.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import datetime
import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from enum import StrEnum
from pathlib import Path

from rapidfuzz import fuzz, process

from ..errors import CatalogError
from ..fsutil import write_atomic
from ..lang import get as get_language
from ..lang import same_language
from ..source.segment import Segment
from . import po_io, records
from .lock import catalog_lock
from .po_io import PoEntry, PoFile

__all__ = ["Catalog", "CatalogChanged", "Entry", "MergeReport", "State", "entry_state"]

logger = logging.getLogger(__name__)

WRAP_WIDTH = po_io.WRAP_WIDTH
"""Line width of ``msgid``/``msgstr`` strings in the saved file."""

SIMILARITY_THRESHOLD = 70.0
"""Minimal :func:`rapidfuzz.fuzz.ratio` for a vanished translation to be reused."""

SEEN_TRANSLATOR = "X-Pipeline-Last-Translator"
"""Header field: the ``Last-Translator`` the pipeline saw when it last wrote the file.

A ``Last-Translator`` that differs from it was set by someone else's tool
since, and the approvals and edits found in the file are theirs.
"""

_HEADER_ORDER = (
    "Project-Id-Version",
    "PO-Revision-Date",
    "Last-Translator",
    "Language-Team",
    "Language",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
    "Plural-Forms",
    "X-Generator",
    "X-Source-Language",
    SEEN_TRANSLATOR,
)
_APPROVAL_KEYS = ("reviewed-by", "reviewed-at", "source-sha", "target-sha")
_DASHES = re.compile(r"\s*(?:[-\u2010-\u2015\u2212]+)\s*")
_ANGLE_EMAIL = re.compile(r"\s*<[^<>]*>\s*$")


class State(StrEnum):
    """Review state of one segment's translation, derived from its PO entry."""

    NEW = "new"
    """No translation yet (empty ``msgstr``)."""
    MACHINE = "machine"
    """Machine output nobody approved yet (``fuzzy``, exactly what the engine wrote)."""
    NEEDS_REVIEW = "needs-review"
    """A person's translation nobody approved for this source (``fuzzy``, not the engine's)."""
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
    """Engine and version that produced the translation (the ``mt`` record)."""
    problems: tuple[str, ...]
    """QA problems recorded with the translation (the ``qa`` records)."""
    notes: tuple[str, ...]
    """Translator comment lines (``#``), written by people."""
    reviewer: str | None = None
    """Who approved the translation (``reviewed-by``), for a reviewed entry."""
    reviewed_at: str | None = None
    """When (ISO date, ``reviewed-at``), for a reviewed entry."""
    source_hash: str | None = None
    """Checksum of the source text the approval was given against (``source-sha``)."""
    translator: str | None = None
    """Who wrote a translation that is not approved yet (``translated-by``)."""
    remarks: tuple[str, ...] = ()
    """The pipeline's notes on the entry (``note`` records), e.g. why it needs review again."""
    via: str | None = None
    """For a language translated through another (a pivot): that language, whether
    its text was reviewed or machine output, and its checksum (``via`` record)."""
    conflict: str | None = None
    """The translation another git branch had when both changed this entry (the
    ``conflict`` record, on one line), until someone approves one; see
    :mod:`pipeline.catalog.merge_driver`."""
    glossary: str | None = None
    """Checksum of the glossary entries the engine applied to a machine
    translation (``glossary`` record), ``None`` when none was."""
    unknown: tuple[str, ...] = ()
    """Words the engine did not know when it made the translation (``unknown`` record)."""


@dataclass(frozen=True, slots=True)
class MergeReport:
    """What :meth:`Catalog.merge` did, entry by entry, as counts."""

    kept: int = 0
    """Same id and same source: kept as it was."""
    updated: int = 0
    """Source changed in whitespace or typography only: source updated, state kept."""
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


class CatalogChanged(CatalogError):
    """A person's change was not saved: someone else changed the same entries in
    the file since this catalogue read it."""

    def __init__(self, path: Path, ids: Sequence[str]) -> None:
        shown = ", ".join(ids[:5]) + (", …" if len(ids) > 5 else "")
        super().__init__(
            f"not saved: {len(ids)} segment(s) changed in the file since it was read ({shown})",
            path=path,
            hint="run the command again to work on the file as it is now",
        )
        self.ids = tuple(ids)
        """The segments changed on both sides."""


_BUILD = "build"
"""A change a build makes (a machine translation, a pivot's re-review mark): dropped
when the entry changed in the file since it was read."""
_PERSON = "person"
"""A person's change (an approval, a translation): refused when the entry changed."""


class Catalog:
    """The translations of one book into one language, backed by a PO file.

    Several writers may change one file at once (a build, the review page,
    ``pipeline review approve``): :meth:`save` holds the catalogue's lock
    (:mod:`pipeline.catalog.lock`), reads the file again, and writes only this
    catalogue's own changes, entry by entry, onto what it finds there.
    """

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
        self._header = PoEntry(
            msgid="",
            comments=[
                f"{book}: translation from {source_lang} to {lang}.",
                "The pipeline updates this file; edit msgstr and clear the fuzzy flag to approve.",
            ],
        )
        self._entries: dict[str, PoEntry] = {}
        self._obsolete: list[PoEntry] = []
        self._seen_translator: str | None = None
        # What save() needs to write this catalogue's changes onto a file changed since:
        self._loaded: str | None = None  # digest of the file as read (None: no file)
        self._replay: list[Callable[[Catalog], object]] = []  # merge, adopt_approvals
        self._base: dict[str, PoEntry] = {}  # each changed entry as it was before
        self._changed: dict[str, str] = {}  # id -> _BUILD or _PERSON
        self._header_set: dict[str, str] = {}  # header fields set by changes
        self.merged = False
        """Whether this catalogue took in another writer's changes to the file
        since it was read (see :meth:`locked`)."""

    # -- loading ----------------------------------------------------------

    @classmethod
    def load(cls, path: Path, *, lang: str, source_lang: str, book: str) -> Catalog:
        """Read the catalogue at ``path``; a missing file gives an empty catalogue.

        Raises :class:`CatalogError` (with the line) when the file is not valid
        PO, has two entries for one segment, an entry without ``msgctxt`` or a
        plural entry, or its ``Language`` header names another language.
        Records an older pipeline kept as translator comments are moved to
        extracted comments (written so on the next :meth:`save`).
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
        catalog._adopt(po_io.parse(raw, path))
        catalog._loaded = _digest(raw)
        return catalog

    def _adopt(self, po: PoFile) -> None:
        """Take over the header and entries of a parsed file, checking them."""
        language = po_io.header_field(po.header.msgstr, "Language") or ""
        if language and not same_language(language, self.lang):
            raise CatalogError(
                f"the catalogue is for language {language!r}, expected {self.lang!r}",
                path=self.path,
                hint=f"check the Language header or move the file to content/{language}/",
            )
        # A file written before records moved to #. has none of them and no
        # SEEN_TRANSLATOR header; in a newer file, "# key: value" lines are people's.
        legacy = po_io.header_field(po.header.msgstr, SEEN_TRANSLATOR) is None and not any(
            records.records(entry) for entry in po.entries
        )
        obsolete: list[PoEntry] = []
        for entry in po.entries:
            if legacy and records.migrate(entry):
                _complete_legacy_approval(entry)
            if entry.obsolete:
                obsolete.append(entry)
                continue
            if entry.msgid_plural is not None or entry.msgstr_plural:
                raise CatalogError(
                    "plural entries (msgid_plural) are not supported",
                    path=self.path,
                    line=entry.line,
                    hint="remove the entry; segments are never plural",
                )
            if entry.msgctxt is None:
                raise CatalogError(
                    "entry without msgctxt (the segment id)",
                    path=self.path,
                    line=entry.line,
                    hint="remove the entry or restore the file from git",
                )
            if entry.msgctxt in self._entries:
                raise CatalogError(
                    f"second entry for segment {entry.msgctxt!r} (duplicate msgctxt)",
                    path=self.path,
                    line=entry.line,
                    hint="keep one of the two entries (msgfmt -c FILE lists them)",
                )
            self._entries[entry.msgctxt] = entry
        self._obsolete = _unique_obsolete(self._entries.values(), obsolete, self.path)
        if po.header.msgstr or po.header.comments:
            self._header = po.header
        self._seen_translator = self._field(SEEN_TRANSLATOR)

    # -- header -----------------------------------------------------------

    def _field(self, key: str) -> str | None:
        return po_io.header_field(self._header.msgstr, key)

    def _set_field(self, key: str, value: str) -> None:
        self._header.msgstr = po_io.with_header_field(self._header.msgstr, key, value)

    def _change(self, segment_id: str, kind: str) -> PoEntry:
        """The entry about to be changed by this catalogue's user; remembers it as it
        was first (``KeyError`` for an unknown id)."""
        po_entry = self._entries[segment_id]
        if segment_id not in self._base:
            self._base[segment_id] = copy.deepcopy(po_entry)
        if self._changed.get(segment_id) != _PERSON:
            self._changed[segment_id] = kind
        return po_entry

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
        """QA problems recorded with the translation (its ``qa`` records)."""
        return records.values(self._entries[segment_id], "qa")

    def entry(self, segment_id: str) -> Entry:
        """A read-only view of a segment's entry; ``KeyError`` for an unknown id."""
        po_entry = self._entries[segment_id]
        line = po_entry.references[0].rpartition(":")[2] if po_entry.references else ""
        state = _state(po_entry)
        reviewed = state is State.REVIEWED
        kinds = records.others(po_entry)
        table = records.table(po_entry)

        def first(key: str) -> str | None:
            found = table.get(key)
            return found[0] if found else None

        return Entry(
            id=segment_id,
            source=po_entry.msgid,
            translation=po_entry.msgstr or None,
            state=state,
            kind=kinds[0] if kinds else None,
            line=int(line) if line.isdigit() else None,
            previous_source=po_entry.previous_msgid if po_entry.fuzzy else None,
            engine=first("mt"),
            problems=tuple(table.get("qa", ())),
            notes=tuple(po_entry.comments),
            reviewer=first("reviewed-by") if reviewed else None,
            reviewed_at=first("reviewed-at") if reviewed else None,
            source_hash=first("source-sha"),
            translator=first("translated-by"),
            remarks=tuple(table.get("note", ())),
            via=first("via"),
            conflict=None if reviewed else first("conflict"),
            glossary=first("glossary"),
            unknown=_unknown_words(table.get("unknown", ())),
        )

    def engines(self) -> list[str]:
        """The engines the translations were made with (their ``mt`` records), sorted."""
        engines = (records.first(entry, "mt") for entry in self._entries.values())
        return sorted({engine for engine in engines if engine})

    def reviewers(self, *, with_email: bool = False) -> list[str]:
        """Everyone who approved a translation in this catalogue, sorted.

        Names only (``Ana Ruiz``), unless ``with_email`` keeps the address
        given with them (``Ana Ruiz <ana@example.org>``).
        """
        names = set()
        for po_entry in self._entries.values():
            if _state(po_entry) is not State.REVIEWED:
                continue
            for who in records.values(po_entry, "reviewed-by"):
                name = who if with_email else _ANGLE_EMAIL.sub("", who).strip()
                if name:
                    names.add(name)
        return sorted(names)

    def review_dates(self) -> tuple[str, str] | None:
        """First and last approval date (ISO), or ``None`` when nothing is reviewed."""
        dates = sorted(
            d
            for e in self._entries.values()
            if _state(e) is State.REVIEWED
            for d in records.values(e, "reviewed-at")
        )
        return (dates[0], dates[-1]) if dates else None

    def last_translator(self) -> str | None:
        """The ``Last-Translator`` header, if it names someone."""
        value = (self._field("Last-Translator") or "").strip()
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
        glossary: str | None = None,
        unknown: Sequence[str] = (),
    ) -> None:
        """Store a machine translation: ``fuzzy``, with ``mt`` and ``qa`` records (and
        ``via``, the pivot it was made from, when there was one; ``glossary``,
        the checksum of the glossary entries the engine applied, when any;
        ``unknown``, the words the engine did not know, when there were any).

        The records of an earlier machine translation are replaced; translator
        comments are kept. Leading and trailing newlines of ``text`` are
        adjusted to the source's (as ``msgfmt -c`` requires).

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
        self._change(segment_id, _BUILD)
        po_entry.msgstr = fitted
        po_entry.fuzzy = True
        po_entry.previous_msgctxt = None
        po_entry.previous_msgid = None
        # An engine's version may already start with its name ("apertium 3.8.3, …").
        label = version if version.split(" ", 1)[0] == engine else f"{engine} {version}"
        records.set_records(
            po_entry,
            [],
            [("mt", label), ("mt-sha", records.digest(fitted))]
            + [("qa", problem) for problem in problems]
            + ([("unknown", _UNKNOWN_SEPARATOR.join(unknown))] if unknown else [])
            + ([("via", via)] if via else [])
            + ([("glossary", glossary)] if glossary else []),
        )
        logger.debug("%s: machine translation by %s %s", segment_id, engine, version)

    def approve(
        self,
        segment_id: str,
        reviewer: str,
        *,
        text: str | None = None,
        when: str | datetime.datetime | None = None,
    ) -> None:
        """Record that ``reviewer`` approved the segment's translation.

        ``text`` replaces the translation first (a reviewer's correction).
        The entry stops being fuzzy, its previous source is dropped, and the
        approval is recorded: ``reviewed-by``, ``reviewed-at`` (the day of
        ``when``: an ISO date or date and time, default now) and the
        checksums of the source and translation approved. The PO header
        says so as a PO editor would: ``PO-Revision-Date`` (``when``),
        ``Last-Translator`` (``reviewer``) and, when missing, ``Language-Team``.
        Raises :class:`CatalogError` when there is no translation to approve.
        """
        po_entry = self._entries[segment_id]
        if not (po_entry.msgstr if text is None else _fit_newlines(po_entry.msgid, text)):
            raise CatalogError(
                f"segment {segment_id} has no translation to approve",
                path=self.path,
                hint="translate it first (pipeline translate) or give the text",
            )
        self._change(segment_id, _PERSON)
        if text is not None:
            po_entry.msgstr = _fit_newlines(po_entry.msgid, text)
        moment = _moment(when)
        po_entry.fuzzy = False
        po_entry.previous_msgid = None
        po_entry.previous_msgctxt = None
        _record_approval(po_entry, records.one_line(reviewer), moment.date().isoformat())
        self._header_set["PO-Revision-Date"] = moment.strftime("%Y-%m-%d %H:%M%z")
        self._header_set["Last-Translator"] = records.one_line(reviewer)
        self._set_header_changes()
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
        self._change(segment_id, _PERSON)
        po_entry.msgstr = fitted
        po_entry.fuzzy = True
        records.replace(
            po_entry,
            {"mt-sha", "qa", "unknown", "translated-by", "note", *_APPROVAL_KEYS},
            [("translated-by", translator)] if translator else [],
        )

    def pivot_changed(self, segment_id: str, via: str, reason: str) -> None:
        """Mark a person's translation made through a pivot as needing review: the
        pivot's text it was made from changed (``via`` records the new one, a
        ``note`` says why)."""
        po_entry = self._change(segment_id, _BUILD)
        po_entry.fuzzy = True  # no previous source: the English did not change
        records.replace(po_entry, {"via", "note"}, [("via", via), ("note", reason)])

    def adopt_approvals(
        self, reviewer: str | None = None, when: str | datetime.datetime | None = None
    ) -> int:
        """Record approvals and edits made outside the pipeline, as in Poedit or Lokalize.

        A translation that is not fuzzy but whose approval is not recorded for
        its current source and text was approved, or changed after its
        approval, in a translator's tool. It is credited to the PO header's
        ``Last-Translator`` when that changed since the pipeline last wrote
        the file (the person whose tool saved it), else to ``reviewer`` when
        given; when nobody can be named it is made fuzzy again (needs review)
        with a ``note`` record saying why — never credited to an earlier
        reviewer or to nobody. ``when`` (default: the header's
        ``PO-Revision-Date``, else today) is the day recorded.

        Returns how many approvals were recorded.
        """
        self._replay.append(lambda fresh: fresh.adopt_approvals(reviewer, when))
        translator = self.last_translator()
        changed = translator is not None and translator != self._seen_translator
        who = translator if changed else (records.one_line(reviewer) if reviewer else None)
        day = _moment(when).date().isoformat() if when is not None else self._revision_day()
        count = 0
        demoted: list[str] = []
        for segment_id, po_entry in self._entries.items():
            if _state(po_entry) is not State.REVIEWED or _approval_holds(po_entry):
                continue
            if who is not None:
                _record_approval(po_entry, who, day)
                count += 1
                continue
            earlier = records.first(po_entry, "reviewed-by")
            if earlier and records.digest(po_entry.msgid) in records.values(po_entry, "source-sha"):
                why = f"translation changed after {earlier}'s approval by someone"
            else:
                why = "approved in a PO editor by someone"
            po_entry.fuzzy = True
            records.replace(
                po_entry,
                {"note", "mt-sha", *_APPROVAL_KEYS},
                [("note", f"{why} the PO header does not name (Last-Translator): review it")],
            )
            demoted.append(segment_id)
        if demoted:
            logger.warning(
                "%s: %d translation(s) approved or changed outside the pipeline, but "
                "Last-Translator names nobody new: they need review again (%s)",
                self.path,
                len(demoted),
                ", ".join(demoted[:5]) + (", …" if len(demoted) > 5 else ""),
            )
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
          (needs review) — or still approved when the two sources differ only
          in typography (quotes, dashes and the spaces around them, spacing);
          each vanished entry is reused at most once, the most similar and
          then the nearest first;
        - otherwise: a new, untranslated entry.

        An entry waiting for review whose source is back to the one approved
        (an edit undone) is approved again, by its reviewer. Vanished entries
        a person translated become obsolete (``#~``); vanished machine and
        untranslated entries are dropped.
        """
        ids = [segment.id for segment in segments]
        if len(set(ids)) != len(ids):
            raise ValueError("segment ids must be unique within a document")
        if any(not segment.source for segment in segments):
            raise ValueError("a segment's source must not be empty")
        self._replay.append(lambda fresh: fresh.merge(segments, source_file))
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

        entries: dict[str, PoEntry] = {}
        for segment in segments:
            po_entry = old.get(segment.id)
            if po_entry is not None:
                same = po_entry.msgid == segment.source
                counts["kept" if same else "updated"] += 1
                if not same and _state(po_entry) is State.REVIEWED:
                    # Whitespace or typography only (same id): the approval stands.
                    _follow_source(po_entry, segment.source)
            elif segment.id in revived:
                po_entry = revived[segment.id]
                po_entry.obsolete = False
                counts["restored"] += 1
            elif segment.id in reused:
                previous = reused[segment.id]
                if _state(previous) is State.REVIEWED and _same_text(
                    previous.msgid, segment.source
                ):
                    po_entry = _renamed(previous, segment)
                    counts["updated"] += 1
                else:
                    po_entry = _carry_over(segment, previous)
                    counts["carried_over"] += 1
                logger.debug(
                    "%s: reusing the translation of a similar vanished segment", segment.id
                )
            else:
                po_entry = PoEntry(msgctxt=segment.id, msgid=segment.source)
                counts["new"] += 1
            po_entry.msgid = segment.source
            po_entry.msgstr = _fit_newlines(segment.source, po_entry.msgstr)
            if callable(source_file):
                where, line = source_file(segment)
            else:
                where, line = source_file, segment.line
            po_entry.references = [f"{where}:{line}"]
            _set_kind(po_entry, segment.kind)
            _restore_undone(po_entry)
            entries[segment.id] = po_entry

        consumed = {id(e) for e in [*reused.values(), *revived.values()]}
        obsolete: list[PoEntry] = []
        for po_entry in [*self._obsolete, *(e for _position, e in vanished)]:
            if id(po_entry) in consumed:
                continue
            if not _is_persons(po_entry):
                counts["dropped"] += 1
                continue
            if not po_entry.obsolete:
                po_entry.obsolete = True
                po_entry.references = []
                po_entry.extracted = [
                    line for line in po_entry.extracted if records.is_record(line)
                ]
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

        The text is what ``msgcat`` writes for the same content. A translation
        whose leading or trailing newline disagrees with its source's (which
        ``msgfmt -c`` refuses) is adjusted, with a warning.
        """
        self._update_header()
        for segment_id, po_entry in self._entries.items():
            fitted = _fit_newlines(po_entry.msgid, po_entry.msgstr)
            if fitted != po_entry.msgstr:
                logger.warning(
                    "%s: %s: adjusted leading/trailing newlines of the translation to the source's",
                    self.path,
                    segment_id,
                )
                po_entry.msgstr = fitted
        po = PoFile(header=self._header, entries=[*self._entries.values(), *self._obsolete])
        return po_io.dumps(po)

    def save(self, *, timeout: float | None = None) -> bool:
        """Write this catalogue's changes to :attr:`path` atomically, one writer at a time.

        Holds the catalogue's lock (:func:`~pipeline.catalog.lock.catalog_lock`,
        waiting up to ``timeout`` seconds) while it reads the file again and, if
        another writer changed it since this catalogue read it, brings the
        catalogue up to date first (see :meth:`locked`): each entry this
        catalogue changed is written only if it is still in the file as it was
        read; every other entry is written as the file has it now.

        Returns ``False`` (and leaves the file untouched) when it already holds
        exactly this content. Raises :class:`CatalogChanged` (nothing written)
        when a person's change met an entry changed in the file since,
        :class:`~pipeline.catalog.lock.CatalogLocked` when the lock stays
        taken, :class:`~pipeline.errors.OutputError` when the file cannot be
        written.
        """
        with self.locked(timeout=timeout):
            text = self.to_text()
            written = write_atomic(self.path, text)
            self._loaded = _digest(text.encode("utf-8"))
            self._base.clear()
            self._changed.clear()
            self._header_set.clear()
            return written

    def matches_file(self) -> bool:
        """Whether :attr:`path` holds exactly what this catalogue last read or
        wrote (so this catalogue can stand for the file)."""
        try:
            raw: bytes | None = self.path.read_bytes()
        except FileNotFoundError:
            raw = None
        except OSError:
            return False
        return (None if raw is None else _digest(raw)) == self._loaded

    @contextlib.contextmanager
    def locked(self, *, timeout: float | None = None) -> Iterator[None]:
        """Hold the catalogue's lock for a read-check-change-save sequence.

        On entry (waiting up to ``timeout`` seconds), the catalogue is brought
        up to date with the file when another writer changed it since it was
        read: the file is read again and merged with the source as the first
        reading was (the same :meth:`merge` and :meth:`adopt_approvals`
        calls); each entry this catalogue changed keeps its change when the
        file still has it as it was before the change, and any other entry
        is taken from the file. A machine translation (or a pivot's
        re-review mark) whose entry was changed in the file is dropped, with
        a log line: the file's version wins. A person's change
        (:meth:`approve`, :meth:`set_translation`) in that case raises
        :class:`CatalogChanged` and the catalogue is left as it was.

        Re-entrant; :meth:`save` inside the block writes without waiting.
        """
        with catalog_lock(self.path, timeout=timeout):
            self._refresh()
            yield

    def _refresh(self) -> None:
        """Bring the catalogue up to date with the file (the lock is held)."""
        try:
            raw: bytes | None = self.path.read_bytes()
        except FileNotFoundError:
            raw = None
        except OSError as exc:
            raise CatalogError(
                f"cannot read the catalogue: {exc.strerror or exc}",
                path=self.path,
                hint="check that the file is readable",
            ) from exc
        current = _digest(raw) if raw is not None else None
        if current == self._loaded:
            return
        logger.info("%s: changed by another writer since it was read: merging", self.path)
        fresh = Catalog(self.path, lang=self.lang, source_lang=self.source_lang, book=self.book)
        if raw is not None:
            fresh._adopt(po_io.parse(raw, self.path))
        for step in self._replay:
            step(fresh)
        stale: list[str] = []
        dropped: list[str] = []
        for segment_id, kind in self._changed.items():
            mine = self._entries.get(segment_id)
            theirs = fresh._entries.get(segment_id)
            if mine is None or theirs is None:
                dropped.append(segment_id)  # no longer in the source
            elif _same_entry(theirs, self._base[segment_id]):
                fresh._entries[segment_id] = mine
            elif kind == _PERSON:
                stale.append(segment_id)
            else:
                dropped.append(segment_id)
                logger.info(
                    "%s: %s changed in the file since it was read: kept it, "
                    "dropped the new machine translation",
                    self.path,
                    segment_id,
                )
        if stale:
            raise CatalogChanged(self.path, stale)
        for segment_id in dropped:
            del self._changed[segment_id]
            del self._base[segment_id]
        self._entries = fresh._entries
        self._obsolete = _unique_obsolete(self._entries.values(), fresh._obsolete, self.path)
        self._header = fresh._header
        self._seen_translator = fresh._seen_translator
        self._set_header_changes()
        self._loaded = current
        self.merged = True

    def _set_header_changes(self) -> None:
        """Write the header fields this catalogue's approvals set."""
        for key, value in self._header_set.items():
            self._set_field(key, value)
        reviewer = self._header_set.get("Last-Translator")
        if reviewer is not None:
            self._seen_translator = reviewer
            if not self._field("Language-Team"):
                self._set_field("Language-Team", self._team())

    def _team(self) -> str:
        return get_language(self.lang).name

    def _revision_day(self) -> str:
        """The day of the header's ``PO-Revision-Date``, else today."""
        match = re.match(r"\s*(\d{4}-\d{2}-\d{2})", self._field("PO-Revision-Date") or "")
        return match.group(1) if match else datetime.date.today().isoformat()

    def _update_header(self) -> None:
        """Set the header fields the pipeline owns; keep every other field as it is.

        ``PO-Revision-Date``, ``Last-Translator`` and ``Language-Team`` are
        written (empty until someone approves) so that ``msgfmt -c`` finds
        them; a value another tool wrote is never replaced.
        """
        current = self._header.msgstr
        wanted = {
            "Project-Id-Version": self.book,
            "MIME-Version": "1.0",
            "Content-Type": "text/plain; charset=UTF-8",
            "Content-Transfer-Encoding": "8bit",
            "X-Source-Language": self.source_lang,
            SEEN_TRANSLATOR: self._field("Last-Translator") or "",
        }
        defaults = {
            "PO-Revision-Date": "",
            "Last-Translator": "",
            "Language-Team": self._team(),
            "Language": self.lang,
            "Plural-Forms": get_language(self.lang).plural_forms,
            "X-Generator": "pipeline",
        }
        if not current:
            for key in _HEADER_ORDER:
                value = wanted.get(key, defaults.get(key))
                if value is not None and (value or key in ("PO-Revision-Date", "Last-Translator")):
                    current = po_io.with_header_field(current, key, value)
        for key, value in defaults.items():
            if po_io.header_field(current, key) is None and (value or key != "Plural-Forms"):
                current = po_io.with_header_field(current, key, value)
        for key, value in wanted.items():
            if po_io.header_field(current, key) != value:
                current = po_io.with_header_field(current, key, value)
        if po_io.header_field(current, "Language") == "":
            current = po_io.with_header_field(current, "Language", self.lang)
        self._header.msgstr = current
        self._header.fuzzy = False
        self._seen_translator = po_io.header_field(current, SEEN_TRANSLATOR) or None


# -- entries ---------------------------------------------------------------


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _same_entry(a: PoEntry, b: PoEntry) -> bool:
    """Whether two entries say the same, wherever they sit in their files."""
    return dataclasses.replace(a, line=None) == dataclasses.replace(b, line=None)


def _moment(when: str | datetime.datetime | None) -> datetime.datetime:
    """``when`` as an aware date and time (local time zone); now when ``None``."""
    if when is None:
        return datetime.datetime.now().astimezone()
    if isinstance(when, str):
        when = datetime.datetime.fromisoformat(when)
    return when if when.tzinfo else when.astimezone()


def _record_approval(entry: PoEntry, reviewer: str, day: str) -> None:
    """Record who approved the entry, on which day, and which source and text."""
    records.replace(
        entry,
        {"mt-sha", "qa", "unknown", "translated-by", "note", "conflict", *_APPROVAL_KEYS},
        [
            ("reviewed-by", reviewer),
            ("reviewed-at", day),
            ("source-sha", records.digest(entry.msgid)),
            ("target-sha", records.digest(entry.msgstr)),
        ],
    )


def _approval_holds(entry: PoEntry) -> bool:
    """Whether the entry's approval was recorded for its current source and text."""
    return (
        bool(records.values(entry, "reviewed-by"))
        and records.digest(entry.msgid) in records.values(entry, "source-sha")
        and records.digest(entry.msgstr) in records.values(entry, "target-sha")
    )


def _complete_legacy_approval(entry: PoEntry) -> None:
    """Give an approval recorded by an older pipeline the checksum of its text.

    Those records had no ``target-sha``: the translation in the file is taken
    as the one approved when the approval still holds for its source.
    """
    if (
        not entry.fuzzy
        and entry.msgstr
        and records.values(entry, "reviewed-by")
        and records.digest(entry.msgid) in records.values(entry, "source-sha")
        and not records.values(entry, "target-sha")
    ):
        records.replace(entry, (), [("target-sha", records.digest(entry.msgstr))])


def _follow_source(entry: PoEntry, source: str) -> None:
    """Move a holding approval to ``source``, a typography-only edit of the approved one."""
    if _approval_holds(entry):
        records.replace(entry, {"source-sha"}, [("source-sha", records.digest(source))])


def _same_text(a: str, b: str) -> bool:
    """Whether two sources differ in typography only.

    Quotes (curly or straight), dashes (em and en dashes, ``--``, ``---``, ``-``)
    and the spaces around them, ellipses, non-breaking spaces, spacing and
    line wrapping do not count; words, digits and case do.
    """
    return _typography_key(a) == _typography_key(b)


def _typography_key(text: str) -> str:
    from ..source.markdown import normalize_for_id

    return _DASHES.sub("-", normalize_for_id(text))


def _renamed(old: PoEntry, segment: Segment) -> PoEntry:
    """``old``, an approved entry, under the id of ``segment``, whose source
    differs from its own in typography only: the approval stands."""
    po_entry = copy.deepcopy(old)
    po_entry.obsolete = False
    po_entry.msgctxt = segment.id
    _follow_source(po_entry, segment.source)
    po_entry.msgid = segment.source
    return po_entry


def _restore_undone(entry: PoEntry) -> None:
    """Approve again an entry whose source went back to the one approved.

    The entry waits for review with a previous source (``#| msgid``) that
    differs from its source in typography only — an edit that was undone,
    which would leave an empty word diff. When its translation is still the
    one approved, the approval (reviewer and day) comes back; otherwise the
    empty previous source is dropped and the entry still needs review.
    """
    if not entry.fuzzy or entry.previous_msgid is None or not entry.msgstr:
        return
    if not _same_text(entry.previous_msgid, entry.msgid):
        return
    entry.previous_msgid = None
    entry.previous_msgctxt = None
    if records.values(entry, "reviewed-by") and records.digest(entry.msgstr) in records.values(
        entry, "target-sha"
    ):
        entry.fuzzy = False
        records.replace(entry, {"source-sha"}, [("source-sha", records.digest(entry.msgid))])
        logger.debug("%s: source back to the approved text: approval restored", entry.msgctxt)


def _set_kind(entry: PoEntry, kind: str) -> None:
    """Make ``kind`` the entry's first extracted comment, before the records."""
    kept = records.others(entry)
    entry.extracted = [kind, *kept[1:], *(e for e in entry.extracted if records.is_record(e))]


def entry_state(entry: PoEntry) -> State:
    """The review state of a PO entry read outside a catalogue (a merge, a tool).

    Derived as :meth:`Catalog.state` derives it: see :func:`_state`.
    """
    return _state(entry)


def _state(entry: PoEntry) -> State:
    """Derive the review state from ``msgstr``, ``fuzzy``, ``#| msgid`` and ``mt-sha``.

    A fuzzy translation is the machine's only while it is exactly what the
    engine wrote (its ``mt-sha`` checksum matches); a person who edited it
    but left it fuzzy ("needs work" in Poedit) made it theirs, and it needs
    review — a build must never overwrite it. Without the records (a tool
    dropped the extracted comments) a fuzzy translation needs review.
    """
    if not entry.msgstr:
        return State.NEW
    if entry.fuzzy:
        if entry.previous_msgid is not None:
            return State.NEEDS_REVIEW
        if records.digest(entry.msgstr) in records.values(entry, "mt-sha"):
            return State.MACHINE
        return State.NEEDS_REVIEW
    return State.REVIEWED


def _is_persons(entry: PoEntry) -> bool:
    """Whether the entry holds a translation a person made or approved."""
    return _state(entry) in (State.REVIEWED, State.NEEDS_REVIEW)


def _match_similar(
    segments: Sequence[Segment], pool: Sequence[tuple[int, PoEntry]]
) -> dict[str, PoEntry]:
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
    matched: dict[str, PoEntry] = {}
    used: set[int] = set()
    for _score, _distance, order, k in pairs:
        segment = segments[order]
        if segment.id in matched or k in used:
            continue
        matched[segment.id] = pool[k][1]
        used.add(k)
    return matched


def _unique_obsolete(
    active: Iterable[PoEntry], obsolete: Iterable[PoEntry], path: Path
) -> list[PoEntry]:
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


def _carry_over(segment: Segment, old: PoEntry) -> PoEntry:
    """A new entry for ``segment`` with the person's translation of ``old``, to review.

    The previous source is the one the translation was made for: ``old``'s own
    previous source when it was already waiting for review. The approval
    records stay (they apply again if the source goes back, see
    :func:`_restore_undone`); QA records do not.
    """
    if _state(old) is State.NEEDS_REVIEW and old.previous_msgid is not None:
        previous_msgctxt, previous_msgid = old.previous_msgctxt, old.previous_msgid
    else:
        previous_msgctxt, previous_msgid = old.msgctxt, old.msgid
    po_entry = PoEntry(
        msgctxt=segment.id,
        msgid=segment.source,
        msgstr=old.msgstr,
        comments=list(old.comments),
        extracted=list(old.extracted),
        flags=["fuzzy", *(flag for flag in old.flags if flag != "fuzzy")],
        previous_msgctxt=previous_msgctxt,
        previous_msgid=previous_msgid,
    )
    records.replace(po_entry, {"qa", "unknown"})
    return po_entry


_UNKNOWN_SEPARATOR = ", "
"""Between the words of an ``unknown`` record (an engine's unknown word never
holds a comma: Apertium and Argos mark single words)."""


def _unknown_words(values: Iterable[str]) -> tuple[str, ...]:
    """The words of an entry's ``unknown`` records (their ``values``)."""
    return tuple(word.strip() for value in values for word in value.split(",") if word.strip())
