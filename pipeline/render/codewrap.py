"""Long code lines broken in the PDF, with a continuation mark.

A code line longer than its block would run off the page. CSS alone
(``white-space: pre-wrap`` with ``overflow-wrap: anywhere``) keeps it on the
page, but WeasyPrint 70 cannot mark where it wrapped a line, and a reader must
see that the next line is not a new one. So the line is broken here, in the
HTML, before layout: the break is a real newline followed by a mark
(:data:`MARK`, in a ``span.code-continued``).

Where to break is computed, not guessed: code is set in a monospace face, so a
block holds ``width // advance`` characters a line, where ``width`` is the
block's content width and ``advance`` the width of one character. The width
depends on where the block sits (a list, a quote, a narrow bilingual column,
whatever the stylesheet says), so the caller lays the document out once and
measures every block that has a line long enough to be at risk
(:func:`wrap_code` takes that measurement as a function). Wide characters (CJK,
emoji) count two columns; the CSS rule stays as a safety net for a character
whose fallback font is wider still.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable

from .htmltext import VOID, characters, rewrite

__all__ = [
    "ATTRIBUTE",
    "LONG_TOKEN",
    "MARK",
    "MIN_COLUMNS",
    "columns_of",
    "long_tokens",
    "wrap_code",
]

log = logging.getLogger(__name__)

MARK = "\u21aa"
"""↪, at the start of each continuation line."""

ATTRIBUTE = "data-code-block"
"""Numbers the ``<pre>`` blocks measured, in document order."""

MIN_COLUMNS = 24
"""Lines this short fit in any block: no layout is spent on them."""

Stack = tuple[str, ...]

_HIDDEN = "data-measure-hidden"

_CONTINUED = f'<span class="code-continued" aria-hidden="true">{MARK}</span> '


TAB_SIZE = 8
"""Columns between tab stops (CSS ``tab-size``, whose default the stylesheet keeps)."""


def columns_of(char: str, column: int = 0) -> int:
    """Columns ``char`` takes in a monospace line at ``column`` (East Asian wide
    characters take two, a tab runs to the next tab stop)."""
    if char == "\t":
        return TAB_SIZE - column % TAB_SIZE
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _numbered(html: str) -> tuple[str, set[int], str]:
    """``html`` with each ``<pre>`` numbered (:data:`ATTRIBUTE`), the numbers of
    those that have a line longer than :data:`MIN_COLUMNS`, and the document to
    measure them in: the same, with everything in the body hidden that neither
    holds nor is such a block (a block's width depends on what holds it only,
    so laying out the rest would only cost time)."""
    count = -1
    long: set[int] = set()
    column = 0
    opened: list[int] = []  # start-tag numbers of the open elements
    tags = 0
    keep: set[int] = set()

    def start(
        tag: str, attrs: list[tuple[str, str | None]], raw: str, stack: tuple[str, ...]
    ) -> str:
        nonlocal count, column, tags
        del opened[len(stack) :]
        tags += 1
        if tag not in VOID:
            opened.append(tags)
        if tag != "pre" or "pre" in stack or not raw.endswith(">"):
            return raw
        count += 1
        column = 0
        return f'{raw[:-1].rstrip("/").rstrip()} {ATTRIBUTE}="{count}">'

    def text(raw: str, stack: tuple[str, ...]) -> str:
        nonlocal column
        del opened[len(stack) :]
        if "pre" in stack:
            for _, char in characters(raw):
                column = 0 if char == "\n" else column + columns_of(char, column)
                if column > MIN_COLUMNS:
                    long.add(count)
                    keep.update(opened)
        return raw

    numbered = rewrite(html, text, start)
    if not long:
        return numbered, long, numbered
    seen = 0

    def hide(
        tag: str, attrs: list[tuple[str, str | None]], raw: str, stack: tuple[str, ...]
    ) -> str:
        nonlocal seen
        seen += 1
        if seen in keep or "body" not in stack or "pre" in stack or not raw.endswith(">"):
            return raw
        return f"{raw[:-1].rstrip('/').rstrip()} {_HIDDEN}>"

    skeleton = rewrite(numbered, lambda raw, stack: raw, hide)
    rule = f"<style>[{_HIDDEN}] {{ display: none !important; }}</style>\n"
    head_end = skeleton.find("</head>")
    skeleton = skeleton[:head_end] + rule + skeleton[head_end:] if head_end >= 0 else skeleton
    return numbered, long, skeleton


def wrap_code(html: str, measure: Callable[[str], dict[int, int]]) -> str:
    """``html`` with every code-block line longer than its block broken, each
    continuation starting with :data:`MARK`.

    ``measure(numbered_html)`` lays out ``html`` with its ``<pre>`` blocks
    numbered and returns how many columns each numbered block holds. It is
    called only if a block has a line longer than :data:`MIN_COLUMNS`;
    otherwise ``html`` comes back unchanged.
    """
    if "<pre" not in html:
        return html
    numbered, long, skeleton = _numbered(html)
    if not long:
        return html
    widths = measure(skeleton)
    current = -1
    column = 0

    def start(
        tag: str, attrs: list[tuple[str, str | None]], raw: str, stack: tuple[str, ...]
    ) -> str:
        nonlocal current, column
        if tag == "pre" and "pre" not in stack:
            current = int(dict(attrs).get(ATTRIBUTE) or -1)
            column = 0
        return raw

    def text(raw: str, stack: tuple[str, ...]) -> str:
        nonlocal column
        limit = widths.get(current, 0)
        if "pre" not in stack or current not in long or limit < 8:
            return raw
        out: list[str] = []
        for piece, char in characters(raw):
            width = columns_of(char, column)
            if char == "\n":
                column = 0
            elif column + width > limit:
                out.append("\n" + _CONTINUED)
                column = 3  # the mark and its space, and one spare: the mark's font is wider
                width = columns_of(char, column)
            if char != "\n":
                column += width
            out.append(piece)
        return "".join(out)

    return rewrite(numbered, text, start)


LONG_TOKEN = 20
"""Inline code words longer than this (in columns) may break between any two characters."""


def long_tokens(html: str) -> str:
    """``html`` with each long word of inline code (outside code blocks) in a
    ``<span class="code-token">``, which the stylesheet lets break anywhere
    (``word-break: break-all``). ``overflow-wrap: anywhere`` alone keeps such a
    word on the page, but moves it whole to the next line first, leaving the
    justified line before it stretched thin."""
    if "<code" not in html:
        return html

    def text(raw: str, stack: tuple[str, ...]) -> str:
        if "code" not in stack or "pre" in stack:
            return raw
        out: list[str] = []
        word: list[str] = []
        width = 0

        def flush() -> None:
            nonlocal width
            joined = "".join(word)
            out.append(
                f'<span class="code-token">{joined}</span>' if width > LONG_TOKEN else joined
            )
            word.clear()
            width = 0

        for piece, char in characters(raw):
            if char.isspace():
                flush()
                out.append(piece)
            else:
                word.append(piece)
                width += columns_of(char)
        flush()
        return "".join(out)

    return rewrite(html, text)
