"""Tagged text: the wire format between the pipeline and its engines.

Tagged text is plain text with ``&``, ``<`` and ``>`` escaped as ``&amp;``,
``&lt;`` and ``&gt;``, and inline markup replaced by numbered placeholders
written as HTML::

    I have <span id="g1">a big</span> house, run <span id="x2">ls -l</span>.<br id="x3">

- ``<span id="g1">…</span>`` (:class:`Open` … :class:`Close`) wraps words to
  translate (emphasis, links); such spans nest.
- ``<span id="x2">ls -l</span>`` (:class:`Atom`) stands for markup kept whole
  (code span, image, inline HTML, a protected number): its text is only a
  hint for the engine, and is restored from the source afterwards.
- ``<br id="x3">`` (:class:`Break`) is a hard line break. A newline character
  is a soft line break, and is text.
- ``<mark>shadowy</mark>`` (:data:`UNKNOWN`, an :class:`Open` without an id …
  :class:`Close`) appears only in an engine's *output*: words the engine did
  not know (Apertium's ``*`` marks, an Argos model's unknown tokens). A reader
  keeps the words and records them (:func:`unknown`); they are never sent.

Ids starting with ``x`` are atomic (:func:`is_atomic`), the others (``g``)
paired. This module is the only one that writes or reads the format:
:func:`write` turns items into tagged text and :func:`parse` reads tagged
text, an engine's output included, back into items.

Reading is lenient, as an engine's output needs (it is HTML to
:class:`html.parser.HTMLParser`, which does the tokenising):

- character references are decoded as HTML decodes them (``&eacute;``,
  ``&#233;``, even ``&amp`` without its semicolon);
- an element other than ``span`` and ``br`` is an :class:`Open` (and
  :class:`Close`) with its tag name, so that a reader can flag it; a
  self-closing ``<b …/>`` is an :class:`Open` directly followed by its
  :class:`Close`, a self-closing ``<br …/>`` a :class:`Break`;
- an end tag closes the innermost open element whatever its name
  (:attr:`Close.id` is the id of what it closes); an end tag with nothing
  open is a :class:`Close` with an empty id; ``</br>`` is ignored; elements
  left open stay open (see :func:`balanced`);
- an ``x`` span holding text only is an :class:`Atom`; one holding markup
  is an :class:`Open` … :class:`Close`, as a ``g`` span is;
- comments, declarations and processing instructions are dropped.

``write(parse(text)) == text`` for every ``text`` that :func:`write`
produces; any other text is normalised (characters instead of references,
attributes as ``id="…"``).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser

__all__ = [
    "UNKNOWN",
    "Atom",
    "Break",
    "Close",
    "Item",
    "Open",
    "Text",
    "balanced",
    "escape",
    "is_atomic",
    "parse",
    "unknown",
    "write",
]

SPAN = "span"
"""The element of placeholders (paired and atomic)."""

BREAK = "br"
"""The element of a hard line break."""

UNKNOWN = "mark"
"""The element an engine wraps around words it did not know (output only)."""


@dataclass(frozen=True, slots=True)
class Text:
    """Characters, unescaped (``a < b``, not ``a &lt; b``)."""

    text: str
    """The characters; never empty in :func:`parse`'s output."""


@dataclass(frozen=True, slots=True)
class Open:
    """The start tag of a paired placeholder: ``<span id="g1">``."""

    id: str
    """Placeholder id (``g1``); empty for an element without one."""
    tag: str = SPAN
    """Element name: ``span``, or what an engine made up (``b``, ``em``…)."""


@dataclass(frozen=True, slots=True)
class Close:
    """The end tag of a paired placeholder: ``</span>``."""

    id: str = ""
    """Id of the :class:`Open` it closes (set by :func:`parse`); empty for an
    end tag that closes nothing. Not written out."""
    tag: str = SPAN
    """Element name as written (``span``; an engine may close with another)."""


@dataclass(frozen=True, slots=True)
class Atom:
    """An atomic placeholder with its hint: ``<span id="x2">ls -l</span>``."""

    id: str
    """Placeholder id (``x2``)."""
    hint: str = ""
    """What the engine is shown in the markup's place, unescaped."""


@dataclass(frozen=True, slots=True)
class Break:
    """A hard line break: ``<br id="x3">``."""

    id: str
    """Placeholder id (``x3``); empty for a ``<br>`` without one."""


Item = Text | Open | Close | Atom | Break
"""One piece of tagged text."""


def is_atomic(pid: str) -> bool:
    """Whether a placeholder id names an atom (``x2``), not a pair (``g1``)."""
    return pid.startswith("x")


def escape(text: str) -> str:
    """Text as tagged text: ``&``, ``<`` and ``>`` escaped, nothing else."""
    return html.escape(text, quote=False)


def _start(tag: str, pid: str) -> str:
    return f'<{tag} id="{html.escape(pid)}">' if pid else f"<{tag}>"


def write(items: Iterable[Item]) -> str:
    """Items as tagged text (the inverse of :func:`parse`)."""
    parts: list[str] = []
    for item in items:
        if isinstance(item, Text):
            parts.append(escape(item.text))
        elif isinstance(item, Open):
            parts.append(_start(item.tag, item.id))
        elif isinstance(item, Close):
            parts.append(f"</{item.tag}>")
        elif isinstance(item, Atom):
            parts.append(f"{_start(SPAN, item.id)}{escape(item.hint)}</{SPAN}>")
        else:
            parts.append(_start(BREAK, item.id))
    return "".join(parts)


def parse(tagged: str) -> list[Item]:
    """Tagged text (an engine's output included) as items; never raises.

    See the module documentation for how markup outside the format is read.
    """
    reader = _Reader()
    reader.feed(tagged)
    reader.close()
    return reader.items


def balanced(items: Sequence[Item]) -> list[Item]:
    """``items`` with every end tag that closes nothing dropped and every
    element left open closed at the end, innermost first."""
    out: list[Item] = []
    opened: list[Open] = []
    for item in items:
        if isinstance(item, Open):
            opened.append(item)
        elif isinstance(item, Close):
            if not opened:
                continue
            opened.pop()
        out.append(item)
    out.extend(Close(item.id, item.tag) for item in reversed(opened))
    return out


class _Reader(HTMLParser):
    """Turns the parser's events into items (see :func:`parse`)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[Item] = []
        self.opened: list[tuple[Open, int]] = []
        """Open elements and where they are in :attr:`items`."""

    def handle_data(self, data: str) -> None:
        if not data:
            return
        last = self.items[-1] if self.items else None
        if isinstance(last, Text):
            self.items[-1] = Text(last.text + data)
        else:
            self.items.append(Text(data))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pid = dict(attrs).get("id") or ""
        if tag == BREAK:
            self.items.append(Break(pid))
            return
        opener = Open(pid, tag)
        self.opened.append((opener, len(self.items)))
        self.items.append(opener)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag != BREAK:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == BREAK:
            return
        if not self.opened:
            self.items.append(Close("", tag))
            return
        opener, at = self.opened.pop()
        inside = self.items[at + 1 :]
        if (
            opener.tag == SPAN
            and tag == SPAN
            and is_atomic(opener.id)
            and all(isinstance(item, Text) for item in inside)
        ):
            hint = inside[0].text if inside and isinstance(inside[0], Text) else ""
            self.items[at:] = [Atom(opener.id, hint)]
            return
        self.items.append(Close(opener.id, tag))


def unknown(words: str) -> list[Item]:
    """Words an engine did not know, as items: ``<mark>shadowy</mark>``."""
    return [Open("", UNKNOWN), Text(words), Close("", UNKNOWN)]
