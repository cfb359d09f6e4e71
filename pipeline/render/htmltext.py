"""Rewrite the text of an HTML document and leave every other byte as it was.

The PDF renderer changes the edition's HTML just before layout (fallback-font
spans around characters the book font lacks, continuation marks in long code
lines). Parsing the document into a tree and writing it out again would change
markup nobody asked to change, so :func:`rewrite` walks the document with the
standard library's tokenizer (:class:`html.parser.HTMLParser`), cuts it into
the raw pieces it is made of, and hands only the text pieces, with the names of
the elements open around them, to a function that returns their replacement.
Tags, comments, declarations and the content of ``<style>``, ``<script>``,
``<title>`` and ``<textarea>`` are copied unchanged. Start tags can be
rewritten too (to add an attribute).

A text piece is raw HTML text: character references (``&amp;``, ``&#233;``)
are still written as references, so a rewriter must keep them whole (see
:func:`characters`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from html import unescape
from html.parser import HTMLParser

__all__ = ["RAW_TEXT", "VOID", "characters", "rewrite"]

VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
"""Elements without an end tag."""

RAW_TEXT = frozenset({"style", "script", "title", "textarea", "svg", "math"})
"""Elements whose text is never handed to the rewriter."""

_REFERENCE = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")

TextRewriter = Callable[[str, tuple[str, ...]], str]
"""``(raw text, names of the open elements, outermost first) -> new raw text``."""

TagRewriter = Callable[[str, list[tuple[str, str | None]], str, tuple[str, ...]], str]
"""``(tag name, attributes, raw start tag, open elements) -> new raw start tag``."""


def characters(raw: str) -> Iterator[tuple[str, str]]:
    """The characters of a raw text piece: ``(raw, character)`` pairs, where a
    character reference is one pair (``("&lt;", "<")``)."""
    position = 0
    for match in _REFERENCE.finditer(raw):
        for char in raw[position : match.start()]:
            yield char, char
        text = unescape(match[0])
        yield match[0], text if len(text) == 1 else "\ufffc"
        position = match.end()
    for char in raw[position:]:
        yield char, char


class _Pieces(HTMLParser):
    """Records where each piece of the document starts, and what it is."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
        self.events: list[tuple[int, str, str, list[tuple[str, str | None]]]] = []

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def _add(
        self, kind: str, tag: str = "", attrs: list[tuple[str, str | None]] | None = None
    ) -> None:
        self.events.append((self._offset(), kind, tag, attrs or []))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._add("start", tag, attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._add("empty", tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        self._add("end", tag)

    def handle_data(self, data: str) -> None:
        self._add("text")

    def handle_comment(self, data: str) -> None:
        self._add("other")

    def handle_decl(self, decl: str) -> None:
        self._add("other")

    def handle_pi(self, data: str) -> None:
        self._add("other")

    def unknown_decl(self, data: str) -> None:
        self._add("other")


def rewrite(html: str, text: TextRewriter, start: TagRewriter | None = None) -> str:
    """``html`` with each text piece replaced by ``text(piece, open_elements)``
    and, if ``start`` is given, each start tag by ``start(tag, attrs, raw, open_elements)``.

    ``open_elements`` are the names of the elements around the piece, outermost
    first (for a start tag: around the element, not the element itself). Text
    inside :data:`RAW_TEXT` elements is never passed to ``text``.
    """
    parser = _Pieces(html)
    parser.feed(html)
    parser.close()
    events = parser.events
    offsets = [offset for offset, *_ in events]
    out: list[str] = [html[: offsets[0]] if offsets else html]
    stack: list[str] = []
    opened: tuple[str, ...] = ()  # ``stack`` as a tuple, remade when it changes
    raw_depth = 0  # how many RAW_TEXT elements are open
    offsets.append(len(html))
    for number, (offset, kind, tag, attrs) in enumerate(events):
        raw = html[offset : offsets[number + 1]]
        if kind == "text":
            if not raw_depth:
                raw = text(raw, opened)
        elif kind in ("start", "empty"):
            if start is not None and not raw_depth:
                raw = start(tag, attrs, raw, opened)
            if kind == "start" and tag not in VOID:
                stack.append(tag)
                raw_depth += tag in RAW_TEXT
                opened = tuple(stack)
        elif kind == "end" and tag in stack:
            cut = len(stack) - 1 - stack[::-1].index(tag)
            raw_depth -= sum(name in RAW_TEXT for name in stack[cut:])
            del stack[cut:]
            opened = tuple(stack)
        out.append(raw)
    return "".join(out)
