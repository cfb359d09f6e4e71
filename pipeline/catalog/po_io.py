"""Reading and writing PO files, byte for byte as GNU gettext writes them.

:func:`dumps` writes what ``msgcat`` writes for the same content: strings
wrapped at 79 columns where gettext wraps them (after spaces and at the other
break opportunities of Unicode line breaking, CJK counting two columns, see
:mod:`pipeline.catalog.linebreak`), broken after each ``\\n``, gettext's
escapes, comments in gettext's order (``#``, ``#.``, ``#:``, ``#,``, ``#|``),
obsolete entries as ``#~``. So a catalogue that went through ``msgcat``,
``msgmerge`` or a PO editor and back through the pipeline shows no diff.

:func:`parse` reads what gettext reads, keeping comments verbatim, and raises
:class:`~pipeline.errors.CatalogError` naming the line of anything it would
have to guess about.

The pipeline never runs ``msgmerge`` against a POT on its catalogues:
``msgmerge`` replaces the extracted comments (``#.``), where the pipeline
keeps its records, by the POT's.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CatalogError
from .linebreak import PROHIBITED, line_breaks

__all__ = [
    "WRAP_WIDTH",
    "PoEntry",
    "PoFile",
    "dumps",
    "format_entry",
    "format_string",
    "header_field",
    "parse",
    "with_header_field",
]

WRAP_WIDTH = 79
"""Line width gettext wraps to by default (``--width``)."""

_MALFORMED_HINT = "fix the PO file (msgfmt -c FILE shows the problem) or restore it from git"
_STRING = r'"(?:[^"\\]|\\(?:[\\"abfnrtv]|[0-7]{1,3}|x[0-9A-Fa-f]+))*"'
_STRING_LINE = re.compile(_STRING)
_KEYWORD_LINE = re.compile(r"(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s*(.*)")
_ESCAPE = re.compile(r'\\([\\"abfnrtv]|[0-7]{1,3}|x[0-9A-Fa-f]+)')
_UNESCAPES = {
    "\\": "\\",
    '"': '"',
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
}
_ESCAPE_SEQUENCE = re.compile(r"\\.", re.S)
_NEEDS_ESCAPE = re.compile('[\a\b\f\n\r\t\v"\\\\]')
_ESCAPES = {"\a": "a", "\b": "b", "\f": "f", "\n": "n", "\r": "r", "\t": "t", "\v": "v"}
_CHARSET = re.compile(rb'Content-Type:[^"\n]*charset=([A-Za-z0-9_.:-]+)')


@dataclass(slots=True)
class PoEntry:
    """One PO entry (the header is the entry whose ``msgid`` is empty)."""

    msgid: str
    """Source string."""
    msgstr: str = ""
    """Translation; empty when untranslated."""
    msgctxt: str | None = None
    """Context (for the pipeline: the segment id)."""
    comments: list[str] = field(default_factory=list)
    """Translator comment lines (``# …``), without the ``# ``: a person's, kept verbatim."""
    extracted: list[str] = field(default_factory=list)
    """Extracted comment lines (``#. …``), which PO editors show read-only."""
    references: list[str] = field(default_factory=list)
    """Source references (``#: file:line``), one per item."""
    flags: list[str] = field(default_factory=list)
    """Flags (``#, fuzzy, …``)."""
    previous_msgctxt: str | None = None
    """Context the translation was made for (``#| msgctxt``)."""
    previous_msgid: str | None = None
    """Source the translation was made for (``#| msgid``)."""
    msgid_plural: str | None = None
    """Plural source (``msgid_plural``); the pipeline refuses plural entries."""
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    """Plural translations (``msgstr[N]``)."""
    obsolete: bool = False
    """A vanished entry kept for later (``#~``)."""
    line: int | None = None
    """Line of the entry's first line in the file it was read from."""

    @property
    def fuzzy(self) -> bool:
        """Whether the entry is flagged ``fuzzy``."""
        return "fuzzy" in self.flags

    @fuzzy.setter
    def fuzzy(self, value: bool) -> None:
        if value and "fuzzy" not in self.flags:
            self.flags.insert(0, "fuzzy")
        elif not value:
            self.flags = [flag for flag in self.flags if flag != "fuzzy"]


@dataclass(slots=True)
class PoFile:
    """A parsed PO file: its header entry and its other entries in file order."""

    header: PoEntry = field(default_factory=lambda: PoEntry(msgid=""))
    """The header entry (``msgid ""``): its comments and ``msgstr`` fields."""
    entries: list[PoEntry] = field(default_factory=list)
    """The other entries, obsolete ones included, in file order."""


# -- header ---------------------------------------------------------------------


def header_field(header: str, key: str) -> str | None:
    """The value of the ``key:`` line of a header ``msgstr``, ``None`` when absent."""
    for line in header.split("\n"):
        name, colon, value = line.partition(":")
        if colon and name.strip() == key:
            return value.strip()
    return None


def with_header_field(header: str, key: str, value: str) -> str:
    """``header`` with its ``key:`` line set to ``value``; a new field goes last."""
    lines = header.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for i, line in enumerate(lines):
        name, colon, _value = line.partition(":")
        if colon and name.strip() == key:
            lines[i] = f"{key}: {value}"
            break
    else:
        lines.append(f"{key}: {value}")
    return "\n".join(lines) + "\n"


# -- writing --------------------------------------------------------------------


def _escaped(text: str) -> tuple[str, dict[int, int]]:
    """``text`` escaped as gettext writes it, with its line break overrides.

    No line break goes inside an escape sequence, nor before a final ``\\n``.
    """
    out = _NEEDS_ESCAPE.sub(lambda m: "\\" + _ESCAPES.get(m.group(), m.group()), text)
    overrides = {m.start() + 1: PROHIBITED for m in _ESCAPE_SEQUENCE.finditer(out)}
    if text.endswith("\n"):
        overrides[len(out) - 2] = PROHIBITED
    return out, overrides


def format_string(
    keyword: str, value: str, prefix: str = "", *, wrap: bool = True, width: int = WRAP_WIDTH
) -> list[str]:
    """The lines gettext writes for ``keyword "value"`` (e.g. ``msgid``).

    ``prefix`` starts every line (``"#~ "`` for obsolete entries, ``"#| "`` for
    previous strings). The value is cut after each ``\\n``; unless ``wrap`` is
    false, each piece is wrapped to ``width`` columns at the break
    opportunities gettext uses. When the value takes several lines, the first
    is ``keyword ""``.
    """
    pieces = re.findall(r"[^\n]*\n|[^\n]+", value) or [""]
    after_break = len(prefix) + 1  # column after the opening quote of a continuation line
    lines: list[str] = []
    first = True
    for number, piece in enumerate(pieces):
        text, overrides = _escaped(piece)
        available = (width if wrap else len(text) + after_break + 1 + len(keyword) + 2) - 1
        available -= after_break
        while True:
            start = len(keyword) + 1 if first else 0
            cuts = line_breaks(text, available, start, overrides)
            more = number < len(pieces) - 1
            if first and text and (more or start > available or cuts):
                lines.append(f'{prefix}{keyword} ""')
                first = False
                continue
            break
        for k, (a, b) in enumerate(zip([0, *cuts], [*cuts, len(text)], strict=True)):
            lead = f"{keyword} " if first and k == 0 else ""
            lines.append(f'{prefix}{lead}"{text[a:b]}"')
        first = False
    return lines


def _references(references: list[str], width: int) -> list[str]:
    """``#:`` lines, several references a line, as gettext fills them."""
    lines: list[str] = []
    line = ""
    for reference in dict.fromkeys(references):
        if line and len(line) + 1 + len(reference) > width:
            lines.append(line)
            line = ""
        line = (line or "#:") + " " + reference
    if line:
        lines.append(line)
    return lines


def format_entry(entry: PoEntry, width: int = WRAP_WIDTH) -> str:
    """One entry as gettext writes it, ending with a newline."""
    lines = [f"# {c}" if c else "#" for c in entry.comments]
    lines += [f"#. {c}" if c else "#." for c in entry.extracted]
    lines += _references(entry.references, width)
    flags = entry.flags
    if entry.msgid and not entry.msgstr and not any(entry.msgstr_plural.values()):
        flags = [flag for flag in flags if flag != "fuzzy"]  # gettext drops it there
    if flags:
        lines.append("#, " + ", ".join(flags))
    wrap = "no-wrap" not in entry.flags
    previous = "#~| " if entry.obsolete else "#| "
    if entry.previous_msgctxt is not None:
        lines += format_string("msgctxt", entry.previous_msgctxt, previous, wrap=wrap, width=width)
    if entry.previous_msgid is not None:
        lines += format_string("msgid", entry.previous_msgid, previous, wrap=wrap, width=width)
    prefix = "#~ " if entry.obsolete else ""
    if entry.msgctxt is not None:
        lines += format_string("msgctxt", entry.msgctxt, prefix, wrap=wrap, width=width)
    lines += format_string("msgid", entry.msgid, prefix, wrap=wrap, width=width)
    if entry.msgid_plural is not None:
        lines += format_string("msgid_plural", entry.msgid_plural, prefix, wrap=wrap, width=width)
        for n, text in sorted(entry.msgstr_plural.items()):
            lines += format_string(f"msgstr[{n}]", text, prefix, wrap=wrap, width=width)
    else:
        lines += format_string("msgstr", entry.msgstr, prefix, wrap=wrap, width=width)
    return "\n".join(lines) + "\n"


def dumps(po: PoFile, width: int = WRAP_WIDTH) -> str:
    """The whole file as gettext writes it: header, entries, blank lines between."""
    return "\n".join(format_entry(e, width) for e in [po.header, *po.entries])


# -- reading --------------------------------------------------------------------


def _error(message: str, path: Path, line: int | None) -> CatalogError:
    return CatalogError(message, path=path, line=line, hint=_MALFORMED_HINT)


def _unescape(quoted: str) -> str:
    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code in _UNESCAPES:
            return _UNESCAPES[code]
        if code[0] == "x":
            return chr(int(code[1:], 16) & 0xFF)
        return chr(int(code, 8) & 0xFF)

    return _ESCAPE.sub(one, quoted[1:-1])


def _comment_text(rest: str) -> str:
    """A comment's text: what follows the marker, less one leading space."""
    return rest[1:] if rest.startswith(" ") else rest


class _Reader:
    """Line-by-line PO parser (gettext's grammar, without plural forms checks)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: list[PoEntry] = []
        self.entry: PoEntry | None = None
        self.target: tuple[PoEntry, str] | None = None  # where continuation strings go
        self.parts: set[str] = set()

    def new_entry(self, number: int) -> PoEntry:
        if self.entry is not None:
            self.finish(number)
        self.entry = PoEntry(msgid="", line=number)
        self.parts = set()
        return self.entry

    def current(self, number: int) -> PoEntry:
        """The entry a comment line belongs to: a new one after a complete entry."""
        if self.entry is None or "msgid" in self.parts or "msgctxt" in self.parts:
            return self.new_entry(number)
        return self.entry

    def finish(self, number: int) -> None:
        entry = self.entry
        if entry is None:
            return
        if "msgid" not in self.parts:
            if self.parts:
                raise _error("entry without msgid", self.path, entry.line)
        elif "msgstr" not in self.parts:
            raise _error("msgid without msgstr", self.path, entry.line)
        self.entries.append(entry)
        self.entry = None
        self.target = None

    def keyword(self, number: int, line: str, obsolete: bool, previous: bool) -> None:
        match = _KEYWORD_LINE.fullmatch(line)
        if match is None:
            raise _error("syntax error", self.path, number)
        word, index, rest = match.groups()
        if not _STRING_LINE.fullmatch(rest):
            raise _error(
                "malformed PO string (unterminated, unescaped quote or unsupported escape)",
                self.path,
                number,
            )
        value = _unescape(rest)
        part = "msgstr" if word.startswith("msgstr") else word
        if previous:
            owner = self.current(number)
            attribute = {"msgctxt": "previous_msgctxt", "msgid": "previous_msgid"}.get(word)
            if attribute is None:
                return  # a previous msgid_plural: gettext keeps it, the pipeline has no use
            setattr(owner, attribute, value)
            self.target = (owner, attribute)
            return
        starts = {"msgctxt": {"msgctxt", "msgid", "msgstr"}, "msgid": {"msgid", "msgstr"}}
        if word in starts and (self.entry is None or starts[word] & self.parts):
            self.new_entry(number)
        elif part in ("msgstr", "msgid_plural") and "msgid" not in self.parts:
            raise _error(f"{word} without msgid", self.path, number)
        elif word in ("msgstr", "msgid_plural") and part in self.parts:
            raise _error(f"second {word}", self.path, number)
        entry = self.entry
        if entry is None:  # pragma: no cover - every branch above leaves an entry
            raise _error("syntax error", self.path, number)
        entry.obsolete = obsolete
        if word == "msgctxt":
            entry.msgctxt = value
            self.target = (entry, "msgctxt")
        elif word == "msgid":
            entry.msgid = value
            self.target = (entry, "msgid")
        elif word == "msgid_plural":
            entry.msgid_plural = value
            self.target = (entry, "msgid_plural")
        elif index is not None:
            entry.msgstr_plural[int(index)] = value
            self.target = (entry, f"msgstr[{index}]")
        else:
            entry.msgstr = value
            self.target = (entry, "msgstr")
        self.parts.add(part)

    def continuation(self, number: int, line: str) -> None:
        if not _STRING_LINE.fullmatch(line):
            raise _error(
                "malformed PO string (unterminated, unescaped quote or unsupported escape)",
                self.path,
                number,
            )
        if self.target is None:
            raise _error("string without a keyword", self.path, number)
        entry, attribute = self.target
        value = _unescape(line)
        if attribute.startswith("msgstr["):
            n = int(attribute[7:-1])
            entry.msgstr_plural[n] += value
        else:
            setattr(entry, attribute, getattr(entry, attribute) + value)

    def read(self, lines: list[str]) -> list[PoEntry]:
        for number, raw in enumerate(lines, start=1):
            line = raw.strip()
            if not line:
                continue
            obsolete = previous = False
            if line.startswith("#~"):
                obsolete = True
                line = line[2:]
                if line.startswith("|"):
                    previous = True
                    line = line[1:]
                line = line.strip()
                if not line:
                    continue
            elif line.startswith("#|"):
                previous = True
                line = line[2:].strip()
            elif line.startswith("#"):
                self.comment(number, raw.lstrip())
                continue
            if line.startswith('"'):
                self.continuation(number, line)
            else:
                self.keyword(number, line, obsolete, previous)
        self.finish(len(lines))
        return self.entries

    def comment(self, number: int, line: str) -> None:
        entry = self.current(number)
        marker, rest = line[1:2], line[2:]
        if marker == ".":
            entry.extracted.append(_comment_text(rest))
        elif marker == ":":
            entry.references += rest.split()
        elif marker == ",":
            entry.flags += [f.strip() for f in rest.split(",") if f.strip()]
        else:
            entry.comments.append(_comment_text(line[1:]))


def parse(raw: bytes, path: Path) -> PoFile:
    """Parse PO bytes (in the charset the header declares).

    Raises :class:`CatalogError` with the line on anything malformed.
    """
    text = _decode(raw, path)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    entries = _Reader(path).read(lines)
    po = PoFile()
    for i, entry in enumerate(entries):
        if entry.msgid == "" and entry.msgctxt is None and not entry.obsolete:
            po.header = entry
            po.entries = entries[:i] + entries[i + 1 :]
            break
    else:
        po.entries = entries
    return po


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
