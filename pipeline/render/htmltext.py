"""Rewrite the text of an HTML document and leave every other byte as it was.

The PDF renderer changes the edition's HTML just before layout (fallback-font
spans around characters the book font lacks, continuation marks in long code
lines). Parsing the document into a tree and writing it out again would change
markup nobody asked to change, so :func:`rewrite` cuts the document into the
raw pieces it is made of (:func:`pipeline.source.htmlscan.scan`, the standard
library's tokenizer, which also reads the book's raw HTML) and hands only the
text pieces, with the names of the elements open around them, to a function
that returns their replacement.
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

from ..source.htmlscan import VOID, scan

__all__ = ["RAW_TEXT", "VOID", "characters", "rewrite"]

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


def rewrite(html: str, text: TextRewriter, start: TagRewriter | None = None) -> str:
    """``html`` with each text piece replaced by ``text(piece, open_elements)``
    and, if ``start`` is given, each start tag by ``start(tag, attrs, raw, open_elements)``.

    ``open_elements`` are the names of the elements around the piece, outermost
    first (for a start tag: around the element, not the element itself). Text
    inside :data:`RAW_TEXT` elements is never passed to ``text``.
    """
    out: list[str] = []
    stack: list[str] = []
    opened: tuple[str, ...] = ()  # ``stack`` as a tuple, remade when it changes
    raw_depth = 0  # how many RAW_TEXT elements are open
    run: list[str] = []  # a text piece: runs of text and character references

    def flush() -> None:
        if run:
            raw = "".join(run)
            run.clear()
            out.append(raw if raw_depth else text(raw, opened))

    for piece in scan(html):
        if piece.kind in ("text", "ref"):
            run.append(piece.raw)
            continue
        flush()
        raw = piece.raw
        if piece.kind == "start":
            if start is not None and not raw_depth:
                raw = start(piece.tag, list(piece.attrs), raw, opened)
            if not piece.closed and piece.tag not in VOID:
                stack.append(piece.tag)
                raw_depth += piece.tag in RAW_TEXT
                opened = tuple(stack)
        elif piece.kind == "end" and piece.tag in stack:
            cut = len(stack) - 1 - stack[::-1].index(piece.tag)
            raw_depth -= sum(name in RAW_TEXT for name in stack[cut:])
            del stack[cut:]
            opened = tuple(stack)
        out.append(raw)
    flush()
    return "".join(out)
