"""The pipeline's records on a PO entry: provenance and approvals.

Records are extracted comments (``#.``), which PO editors (Poedit, Lokalize)
show read-only, one ``pipeline: KEY VALUE`` line each, after the segment kind::

    #. paragraph
    #. pipeline: mt apertium 3.8.3
    #. pipeline: mt-sha 9c9a6523e862
    #. pipeline: reviewed-by Ana Ruiz <ana@example.org>
    #. pipeline: reviewed-at 2024-05-01
    #. pipeline: source-sha 3f2a9c0b1d2e
    #. pipeline: target-sha 7e6d5c4b3a21

Translator comments (``#``) belong to people: the pipeline never writes them
and never reads a state from them. Catalogues written before records moved
keep them as translator comments (``# reviewed-by: Ana``); :func:`migrate`
moves those on load.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from .po_io import PoEntry

__all__ = [
    "KEYS",
    "PREFIX",
    "digest",
    "first",
    "is_record",
    "migrate",
    "one_line",
    "others",
    "records",
    "replace",
    "set_records",
    "values",
]

PREFIX = "pipeline: "
"""What starts a record line (after ``#. ``)."""

KEYS = (
    "mt",
    "mt-sha",
    "qa",
    "unknown",
    "translated-by",
    "reviewed-by",
    "reviewed-at",
    "source-sha",
    "target-sha",
    "via",
    "note",
    "conflict",
    "glossary",
)
"""Record keys, in the order they are written.

``mt``: engine and version of a machine translation; ``mt-sha``: checksum of
what the engine wrote (a person's edit no longer matches); ``qa``: a problem
found when the translation was made; ``unknown``: the words the engine did
not know, comma-separated (``shadowy, hijacking``), so a reviewer looks there
first; ``translated-by``: who wrote a
translation not approved yet; ``reviewed-by``/``reviewed-at``: who approved
the translation and on which day; ``source-sha``/``target-sha``: checksums of
the source and the translation that were approved; ``via``: for a language
translated through another (a pivot), that language, whether its text was
reviewed or machine output, and its checksum; ``note``: why the
pipeline changed the entry's state (e.g. back to needs-review);
``conflict``: the translation another git branch had for the entry when
both branches changed it (see :mod:`pipeline.catalog.merge_driver`), until
someone approves one.
``glossary``: checksum of the glossary entries the engine applied to a
machine translation (it is made again when they change).
"""

_LEGACY_KEYS = {"mt", "mt-sha", "qa", "reviewed-by", "reviewed-at", "source-sha", "translated-by"}
_LEGACY_LINE = re.compile(r"\s*([a-z][a-z0-9-]*)\s*:(.*)")


def digest(text: str) -> str:
    """Short checksum of a text, to notice that it changed."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def one_line(text: str) -> str:
    """Collapse whitespace (newlines included) so a value fits one comment line."""
    return " ".join(text.split())


def is_record(line: str) -> bool:
    """Whether an extracted comment line is one of the pipeline's records."""
    return line.startswith(PREFIX)


def records(entry: PoEntry) -> list[tuple[str, str]]:
    """The entry's records, ``(key, value)``, in file order."""
    out = []
    for line in entry.extracted:
        if is_record(line):
            key, _, value = line[len(PREFIX) :].partition(" ")
            out.append((key, value.strip()))
    return out


def table(entry: PoEntry) -> dict[str, list[str]]:
    """The values of the entry's records by key, each key's in file order
    (one reading for an entry's every key)."""
    out: dict[str, list[str]] = {}
    for key, value in records(entry):
        out.setdefault(key, []).append(value)
    return out


def values(entry: PoEntry, key: str) -> list[str]:
    """The values of the entry's records for ``key``."""
    return [value for k, value in records(entry) if k == key]


def first(entry: PoEntry, key: str) -> str | None:
    """The first value recorded for ``key``, ``None`` when there is none."""
    found = values(entry, key)
    return found[0] if found else None


def others(entry: PoEntry) -> list[str]:
    """The entry's extracted comment lines that are not records (the segment kind…)."""
    return [line for line in entry.extracted if not is_record(line)]


def set_records(
    entry: PoEntry, keep: Iterable[tuple[str, str]], add: Iterable[tuple[str, str]] = ()
) -> None:
    """Replace the entry's records by ``keep`` then ``add``, in :data:`KEYS` order."""
    order = {key: i for i, key in enumerate(KEYS)}
    pairs = sorted([*keep, *add], key=lambda pair: order.get(pair[0], len(order)))
    entry.extracted = [
        *others(entry),
        *(f"{PREFIX}{key} {one_line(value)}".rstrip() for key, value in pairs),
    ]


def replace(entry: PoEntry, drop: Iterable[str], add: Iterable[tuple[str, str]] = ()) -> None:
    """Drop the records of the keys in ``drop``, then add ``add``."""
    dropped = set(drop)
    set_records(entry, [(k, v) for k, v in records(entry) if k not in dropped], add)


def migrate(entry: PoEntry) -> bool:
    """Move records kept as translator comments (``# key: value``) to records.

    Returns whether anything moved. The other translator comments are kept
    verbatim, in order.
    """
    moved: list[tuple[str, str]] = []
    kept: list[str] = []
    for line in entry.comments:
        match = _LEGACY_LINE.fullmatch(line)
        if match and match.group(1) in _LEGACY_KEYS:
            moved.append((match.group(1), match.group(2).strip()))
        else:
            kept.append(line)
    if not moved:
        return False
    entry.comments = kept
    set_records(entry, records(entry), moved)
    return True
