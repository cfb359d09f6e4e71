"""A git merge driver for the PO catalogues: three-way, entry by entry.

Volunteers review in their own clones and branches; when git merges two
branches that both changed ``content/<lang>/<book>.po``, its line-by-line
merge would leave conflict markers in the file (or, worse, interleave two
entries' records). :func:`setup_git` registers this module as the merge driver
for the catalogues (a ``.gitattributes`` line and the driver in the
repository's git config); git then runs :mod:`pipeline.commands.merge_driver`
with the common ancestor, our version and theirs, and :func:`merge_catalogues`
merges them by segment id (``msgctxt``):

- an entry changed on one side only takes that side's version; both sides'
  approvals survive;
- an entry a person changed (approved, corrected) on one side and only
  machine-refreshed on the other keeps the person's version;
- an entry both sides changed the same way is taken once; changed
  differently by people on both sides, it keeps our translation, made
  ``fuzzy`` (needs review), with the other branch's text in a ``conflict``
  record and a ``note`` naming who approved each — the review page,
  ``pipeline review list`` and the PO file show it;
- an entry added on one side is kept; deleted on one side and unchanged on the
  other, it is deleted (a person's change on the other side keeps it: the next
  build makes it obsolete or offers it to a similar segment);
- obsolete entries (``#~``) of both sides are kept, less those one side
  dropped and the other left as they were;
- header: the newer ``PO-Revision-Date`` with its ``Last-Translator``; for
  the other fields, the side that changed them.

The result is written with :mod:`pipeline.catalog.po_io`, as the pipeline
writes every catalogue: never conflict markers. Only a version that cannot be
parsed at all makes the driver fail, after leaving git's own text merge (with
conflict markers) in the file for a person to resolve.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ..errors import CatalogError, PipelineError
from ..fsutil import write_atomic
from . import po_io, records
from .catalog import SEEN_TRANSLATOR, State, entry_state
from .po_io import PoEntry, PoFile

__all__ = [
    "DRIVER",
    "GitSetup",
    "GitSetupError",
    "MergeConflict",
    "MergeResult",
    "driver_command",
    "merge_as_text",
    "merge_catalogues",
    "merge_files",
    "setup_git",
]

DRIVER = "pipeline-po"
"""The merge driver's name in ``.gitattributes`` (``merge=pipeline-po``) and git config."""

DRIVER_TITLE = "pipeline: PO catalogues merged entry by entry"
"""The driver's description (``merge.pipeline-po.name``)."""

_PERSONS = (State.REVIEWED, State.NEEDS_REVIEW)
_UNSETTLED = (
    "mt-sha",
    "translated-by",
    "reviewed-by",
    "reviewed-at",
    "source-sha",
    "target-sha",
    "note",
    "conflict",
)
"""Records a conflicting entry loses: no one approved what it now is."""
_REVISION = re.compile(
    r"\s*(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?\s*([+-]\d{2}:?\d{2}|Z)?"
)
_OLDEST = datetime.datetime.min.replace(tzinfo=datetime.UTC)

Key = tuple[str | None, str]


class GitSetupError(PipelineError):
    """The merge driver cannot be registered (not a git repository, no git)."""


@dataclass(frozen=True, slots=True)
class MergeConflict:
    """An entry both branches changed differently, kept for review."""

    id: str
    """Segment id (``msgctxt``)."""
    kept: str
    """The translation kept in the entry (our branch's)."""
    other: str
    """The other branch's translation, recorded in the ``conflict`` record."""


@dataclass(frozen=True, slots=True)
class MergeResult:
    """What :func:`merge_catalogues` made of three versions of a catalogue."""

    text: str
    """The merged catalogue, as the pipeline writes PO files."""
    conflicts: tuple[MergeConflict, ...]
    """Entries both branches changed differently, now needing review."""


@dataclass(frozen=True, slots=True)
class GitSetup:
    """What :func:`setup_git` did."""

    attributes: Path
    """The ``.gitattributes`` file naming the driver for the catalogues."""
    line: str
    """Its line for the catalogues (``content/**/*.po merge=pipeline-po``)."""
    added: bool
    """Whether the line was added now (else it was there already)."""
    command: str
    """The driver's command line in git config."""
    registered: bool
    """Whether git config was changed now (else the driver was registered already)."""


# -- merging ------------------------------------------------------------------


def merge_catalogues(
    base: bytes, ours: bytes, theirs: bytes, name: str | Path = "catalogue.po"
) -> MergeResult:
    """Merge two versions of a catalogue that grew from ``base``, entry by entry.

    ``name`` (the catalogue's path in the repository) is used in error
    messages. ``base`` may be empty (a file both branches added). Raises
    :class:`~pipeline.errors.CatalogError` when a version is not valid PO or
    names one segment twice.
    """
    files = {
        side: po_io.parse(raw, Path(f"{name} ({label})"))
        for side, raw, label in (
            ("base", base, "common ancestor"),
            ("ours", ours, "this branch"),
            ("theirs", theirs, "the other branch"),
        )
    }
    active = {side: _by_key(po, obsolete=False, name=name) for side, po in files.items()}
    old = {side: _by_key(po, obsolete=True, name=name) for side, po in files.items()}
    conflicts: list[MergeConflict] = []

    merged: dict[Key, PoEntry] = {}
    for key in [*active["ours"], *active["theirs"]]:
        if key in merged:
            continue
        entry = _merge_entry(
            active["base"].get(key), active["ours"].get(key), active["theirs"].get(key), conflicts
        )
        if entry is not None:
            merged[key] = entry
    order = _order(list(active["ours"]), list(active["theirs"]), set(merged))

    kept_old: dict[Key, PoEntry] = {}
    for key in [*old["ours"], *old["theirs"]]:
        entry = _three_way(old["base"].get(key), old["ours"].get(key), old["theirs"].get(key))
        if entry is not None:
            kept_old.setdefault(key, entry)
    active_identities = {(e.msgctxt, e.msgid) for e in merged.values()}
    obsolete = [
        kept_old[key]
        for key in _order(list(old["ours"]), list(old["theirs"]), set(kept_old))
        if key not in active_identities  # msgfmt refuses two entries sharing both
    ]

    header = _merge_header(files["base"].header, files["ours"].header, files["theirs"].header)
    result = PoFile(header=header, entries=[*(merged[key] for key in order), *obsolete])
    return MergeResult(text=po_io.dumps(result), conflicts=tuple(conflicts))


def merge_files(base: Path, ours: Path, theirs: Path, name: str | None = None) -> MergeResult:
    """Merge the catalogue files as git's ``%O %A %B`` and write the result to ``ours``.

    ``name`` is the catalogue's path in the repository (``%P``), for messages.
    ``ours`` is left as it was when a version cannot be read or parsed
    (:class:`~pipeline.errors.CatalogError`). Raises
    :class:`~pipeline.errors.OutputError` when ``ours`` cannot be written.
    """
    label = name or str(ours)
    try:
        was, mine, other = (path.read_bytes() for path in (base, ours, theirs))
    except OSError as exc:
        raise CatalogError(
            f"cannot read a version of {label}: {exc.strerror or exc}",
            path=exc.filename,
            hint="run the merge again",
        ) from exc
    result = merge_catalogues(was, mine, other, name=label)
    write_atomic(ours, result.text)
    return result


def _by_key(po: PoFile, *, obsolete: bool, name: str | Path) -> dict[Key, PoEntry]:
    """The active (or obsolete) entries by segment id, refusing a repeated active id."""
    found: dict[Key, PoEntry] = {}
    for entry in po.entries:
        if entry.obsolete != obsolete:
            continue
        key: Key = (entry.msgctxt, entry.msgid if obsolete or entry.msgctxt is None else "")
        if key in found:
            if obsolete:
                continue  # msgfmt would refuse it; the first one stays
            raise CatalogError(
                f"second entry for segment {entry.msgctxt!r} (duplicate msgctxt)",
                path=name,
                line=entry.line,
                hint="keep one of the two entries (msgfmt -c FILE lists them)",
            )
        found[key] = entry
    return found


def _same(a: PoEntry | None, b: PoEntry | None) -> bool:
    """Whether two entries say the same thing (where they sit aside)."""
    if a is None or b is None:
        return a is b
    return po_io.format_entry(a) == po_io.format_entry(b)


def _three_way(
    base: PoEntry | None, ours: PoEntry | None, theirs: PoEntry | None
) -> PoEntry | None:
    """Plain three-way choice: the side that changed; ours when both did."""
    if _same(ours, base):
        return theirs
    if _same(theirs, base):
        return ours
    return ours if ours is not None else theirs


def _persons_change(base: PoEntry | None, side: PoEntry | None) -> bool:
    """Whether a person changed the entry's translation or approval on this side.

    Machine refreshes, new occurrences, a typography-only source update and
    other pipeline bookkeeping are not a person's change.
    """
    if side is None or entry_state(side) not in _PERSONS:
        return False
    return base is None or _persons_part(base) != _persons_part(side)


def _persons_part(entry: PoEntry) -> tuple[object, ...]:
    """What a person decides in an entry: the text, whether approved, by whom and when."""
    return (
        entry.msgstr,
        entry.fuzzy,
        tuple(records.values(entry, "reviewed-by")),
        tuple(records.values(entry, "reviewed-at")),
        tuple(records.values(entry, "translated-by")),
    )


def _merge_entry(
    base: PoEntry | None,
    ours: PoEntry | None,
    theirs: PoEntry | None,
    conflicts: list[MergeConflict],
) -> PoEntry | None:
    """One segment's entry from its three versions (``None``: deleted)."""
    if _same(ours, theirs) or _same(theirs, base):
        return ours
    if _same(ours, base):
        return theirs
    # Both sides changed the entry, differently (or one deleted it).
    mine, other = _persons_change(base, ours), _persons_change(base, theirs)
    if ours is None or theirs is None:
        # Deleted on one side: the other side's change survives only if a person made it.
        survivor = ours if ours is not None else theirs
        return survivor if mine or other else None
    if mine and not other:
        return ours
    if other and not mine:
        return theirs
    if not mine:
        # Bookkeeping on both sides (machine refreshes): ours, unless it has no text.
        return theirs if not ours.msgstr and theirs.msgstr else ours
    if ours.msgstr == theirs.msgstr:
        # The same text from both: an approval on either side stands.
        if entry_state(theirs) is State.REVIEWED and entry_state(ours) is not State.REVIEWED:
            return theirs
        return ours
    return _conflict(ours, theirs, conflicts)


def _conflict(ours: PoEntry, theirs: PoEntry, conflicts: list[MergeConflict]) -> PoEntry:
    """Our entry, needing review, with the other branch's text and who made each.

    The approval records go (the ``note`` names who approved each text): who
    settles the conflict, with pipeline or in a PO editor, is recorded then.
    """
    entry = copy.deepcopy(ours)
    entry.fuzzy = True
    other = records.one_line(theirs.msgstr)
    note = (
        f"merge: both branches changed this translation; this branch's "
        f"({_who(ours)}) is kept and the other branch's ({_who(theirs)}) is the "
        "conflict record: choose, correct and approve"
    )
    records.replace(entry, _UNSETTLED, [("note", note), ("conflict", other)])
    conflicts.append(MergeConflict(id=entry.msgctxt or entry.msgid, kept=entry.msgstr, other=other))
    return entry


def _who(entry: PoEntry) -> str:
    """Who made an entry's translation, in a few words."""
    state = entry_state(entry)
    if state is State.REVIEWED:
        by = records.first(entry, "reviewed-by") or "someone"
        day = records.first(entry, "reviewed-at")
        return f"approved by {by}" + (f" on {day}" if day else "")
    translator = records.first(entry, "translated-by")
    if state is State.NEEDS_REVIEW:
        return f"edited by {translator}, not approved" if translator else "not approved"
    return str(state)


def _order(ours: list[Key], theirs: list[Key], keep: set[Key]) -> list[Key]:
    """Our order, each key only theirs has placed after its predecessor there
    (else before its successor there, else last)."""
    result = [key for key in ours if key in keep]
    present = set(result)
    anchor: Key | None = None
    leading: list[Key] = []  # theirs' own keys before any key both have
    for key in theirs:
        if key in present:
            if leading:
                at = result.index(key)
                result[at:at] = leading
                leading = []
            anchor = key
        elif key in keep:
            present.add(key)
            if anchor is None:
                leading.append(key)
            else:
                result.insert(result.index(anchor) + 1, key)
                anchor = key
    return result + leading


# -- the header -----------------------------------------------------------------


def _fields(header: str) -> dict[str, str]:
    """A header ``msgstr``'s fields, in order."""
    found: dict[str, str] = {}
    for line in header.split("\n"):
        name, colon, value = line.partition(":")
        if colon and name.strip():
            found.setdefault(name.strip(), value.strip())
    return found


def _revision(header: PoEntry) -> datetime.datetime:
    """The header's ``PO-Revision-Date`` (the oldest moment when there is none)."""
    match = _REVISION.match(po_io.header_field(header.msgstr, "PO-Revision-Date") or "")
    if not match:
        return _OLDEST
    year, month, day, hour, minute, second, zone = match.groups()
    offset = datetime.timedelta()
    if zone and zone != "Z":
        digits = zone[1:].replace(":", "")
        offset = datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        offset = -offset if zone[0] == "-" else offset
    try:
        return datetime.datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            tzinfo=datetime.timezone(offset),
        )
    except ValueError:
        return _OLDEST


def _merge_header(base: PoEntry, ours: PoEntry, theirs: PoEntry) -> PoEntry:
    """Our header, with the fields only the other side changed, and the newer
    ``PO-Revision-Date`` with its ``Last-Translator``."""
    header = copy.deepcopy(ours if ours.msgstr or ours.comments else theirs)
    was, mine, other = _fields(base.msgstr), _fields(ours.msgstr), _fields(theirs.msgstr)

    def set_field(key: str, value: str) -> None:
        header.msgstr = po_io.with_header_field(header.msgstr, key, value)

    for key, value in other.items():
        if key not in mine or (mine.get(key) == was.get(key) and value != mine.get(key)):
            set_field(key, value)
    newer = theirs if _revision(theirs) > _revision(ours) else ours
    for key in ("PO-Revision-Date", "Last-Translator", SEEN_TRANSLATOR):
        chosen = po_io.header_field(newer.msgstr, key)
        if chosen is not None:
            set_field(key, chosen)
    content_type = po_io.header_field(header.msgstr, "Content-Type") or ""
    charset = re.search(r"charset=([^\s;]+)", content_type)
    if charset and charset.group(1).lower().replace("_", "-") not in ("utf-8", "utf8"):
        set_field("Content-Type", "text/plain; charset=UTF-8")  # the result is written as UTF-8
    return header


# -- git ------------------------------------------------------------------------


_COMMAND = "pipeline.commands.merge_driver"
"""The module git runs (this one, run by an older registration, hands over to it)."""


def driver_command(python: str | None = None) -> str:
    """The command git runs to merge a catalogue (``merge.pipeline-po.driver``).

    ``python`` (default: this interpreter, so the project's virtual
    environment) runs :mod:`pipeline.commands.merge_driver` on git's
    ``%O %A %B %P``.
    """
    return f"{shlex.quote(python or sys.executable)} -m {_COMMAND} %O %A %B %P"


def setup_git(root: Path, content_dir: Path, python: str | None = None) -> GitSetup:
    """Register the merge driver for the catalogues under ``content_dir``.

    Appends ``<content>/**/*.po merge=pipeline-po`` to ``root/.gitattributes``
    unless it is there, and sets ``merge.pipeline-po.name`` and ``.driver`` in
    the repository's own git config (never the user's). Running it again
    changes nothing. Raises :class:`GitSetupError` when ``root`` is not in a
    git repository or git cannot be run, and
    :class:`~pipeline.errors.OutputError` when ``.gitattributes`` cannot be written.
    """
    _git(root, "rev-parse", "--show-toplevel")
    try:
        content = content_dir.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise GitSetupError(
            f"the content folder {content_dir} is outside the project folder {root}",
            hint="keep the catalogues in the project folder so that git merges them",
        ) from None
    pattern = f"{content}/**/*.po" if content != "." else "**/*.po"
    line = f"{pattern} merge={DRIVER}"
    attributes = root / ".gitattributes"
    try:
        text = attributes.read_text(encoding="utf-8") if attributes.is_file() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise GitSetupError(
            f"cannot read {attributes}: {exc}", path=attributes, hint="fix or remove the file"
        ) from exc
    present = any(
        words[:1] == [pattern] and f"merge={DRIVER}" in words[1:]
        for words in (raw.split() for raw in text.splitlines())
    )
    if not present:
        separator = "\n" if text and not text.endswith("\n") else ""
        write_atomic(attributes, f"{text}{separator}{line}\n")
    command = driver_command(python)
    registered = False
    for key, value in ((f"merge.{DRIVER}.name", DRIVER_TITLE), (f"merge.{DRIVER}.driver", command)):
        if _git(root, "config", "--local", "--get", key, check=False) != value:
            _git(root, "config", "--local", key, value)
            registered = True
    return GitSetup(
        attributes=attributes, line=line, added=not present, command=command, registered=registered
    )


def _git(root: Path, *args: str, check: bool = True) -> str:
    """Run git in ``root``; its output without the final newline."""
    try:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise GitSetupError(
            f"cannot run git: {exc}", hint="install git, or put it on the PATH"
        ) from exc
    if check and done.returncode != 0:
        if args[0] == "rev-parse":
            raise GitSetupError(
                f"{root} is not in a git repository",
                hint="run it in your clone of the project (or git init first)",
            )
        detail = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise GitSetupError(f"git {args[0]}: {detail}", hint="check the repository's git config")
    return done.stdout.rstrip("\n")


# -- git's text merge, when entries cannot be merged -------------------------------


def merge_as_text(base: Path, ours: Path, theirs: Path) -> None:
    """Leave in ``ours`` what git's own merge makes of the three texts (conflict
    markers): what :mod:`pipeline.commands.merge_driver` falls back to when a
    version cannot be parsed."""
    labels = ["-L", "ours", "-L", "base", "-L", "theirs"]
    # Should git not run, ours stays as it was: git still reports the conflict.
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run(
            ["git", "merge-file", *labels, str(ours), str(base), str(theirs)],
            capture_output=True,
            timeout=60,
            check=False,
        )


if __name__ == "__main__":
    # Repositories set up before the driver moved to pipeline.commands still
    # run this module: it hands over to the command (run by name, so that the
    # library does not import the command-line layer).
    import runpy

    runpy.run_module("pipeline.commands.merge_driver", run_name="__main__", alter_sys=True)
