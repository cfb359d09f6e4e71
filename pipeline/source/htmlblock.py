"""The words inside HTML blocks, made translatable.

markdown-it keeps an HTML block (``<p align="center">A fast offline
translator</p>``, ``<details><summary>Show the answer</summary>``) as one
``html_block`` token of raw HTML. :func:`html_text_rule`, a core rule that runs
before inline parsing, cuts such a block at each run of text: the markup
around a run stays ``html_block`` tokens (byte for byte), and the run becomes
an ``inline`` token that the inline parser reads like a paragraph's content,
so that it is segmented, translated and put back like any other text.

A run is text together with the inline elements inside it (``<kbd>``,
``<sup>``, ``<abbr title>``, ``<a href>``…), which become protected
placeholders; anything else (a block element, a comment, an unknown element)
ends a run. The contents of ``<script>``, ``<style>``, ``<pre>``,
``<textarea>``, ``<svg>`` and ``<math>`` are never runs, and ``<code>`` inside
a run becomes a code span. The text of a run is given as inline Markdown with
every character that Markdown would read as markup escaped, so that it is
shown exactly as the HTML shows it.
"""

from __future__ import annotations

import re

from markdown_it.common.html_re import HTML_TAG_RE
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from .htmlscan import VOID, Piece, names, scan

__all__ = ["HTML_RUN", "html_runs", "html_text_rule"]

HTML_RUN = "html_run"
"""``meta`` key set on the tokens made from one HTML block (its index among
the document's HTML blocks): the ``inline`` token of each run and the
``html_block`` tokens of the markup around them."""

_INLINE = frozenset(
    names(
        """
        a abbr b bdi bdo br cite data del dfn em i img ins kbd mark q s samp small span
        strong sub sup time u var wbr
        """
    )
)
"""Elements that may sit inside a run of text (phrasing content without
interactive or embedded behaviour, except the picture, which stays a placeholder)."""

_OPAQUE = frozenset(
    names(
        """
        script style pre textarea svg math template title select option button code
        dialog head datalist
        """
    )
)
"""Elements whose content is never translated."""

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>!~])")
_TRAILING_SPACES = re.compile(r"[ \t]+\n")
_LETTER = re.compile(r"[^\W\d_]")


def _escape(text: str) -> str:
    """HTML text as inline Markdown that shows the same characters."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _TRAILING_SPACES.sub("\n", text))


def _code_span(pieces: list[Piece], i: int) -> str | None:
    """``<code>x</code>`` at ``pieces[i]`` as the code span that renders the same, or None."""
    if i + 2 >= len(pieces):
        return None
    opener, body, closer = pieces[i : i + 3]
    text = body.raw
    if (
        opener.attrs
        or body.kind != "text"
        or closer.kind != "end"
        or closer.tag != "code"
        or "`" in text
        or "&" in text
        or "\n" in text
        or not text.strip()
        or text != text.strip()
    ):
        return None
    return f"`{text}`"


def html_runs(html: str) -> list[tuple[int, int, str]]:
    """The runs of translatable text in an HTML block: ``(start, end, markdown)``
    of each, ``html[start:end]`` its source and ``markdown`` the same as inline
    Markdown."""
    pieces = scan(html)
    runs: list[tuple[int, int, str]] = []
    current: list[tuple[Piece, str]] = []
    opaque: list[str] = []

    def flush() -> None:
        run = _trim(current)
        current.clear()
        if run is not None:
            runs.append(run)

    i = 0
    while i < len(pieces):
        piece = pieces[i]
        if opaque:
            if piece.kind == "end" and piece.tag == opaque[-1]:
                opaque.pop()
            elif piece.kind == "start" and piece.tag == opaque[-1] and not piece.closed:
                opaque.append(piece.tag)
            i += 1
            continue
        if piece.kind == "text":
            current.append((piece, _escape(piece.raw)))
        elif piece.kind == "ref":
            current.append((piece, piece.raw if piece.raw.endswith(";") else _escape(piece.raw)))
        elif piece.kind == "start" and piece.tag == "code":
            span = _code_span(pieces, i)
            if span is not None:
                joined = Piece("code", "".join(p.raw for p in pieces[i : i + 3]), piece.start)
                current.append((joined, span))
                i += 3
                continue
            flush()
            if not piece.closed:
                opaque.append("code")
        elif piece.kind in {"start", "end"} and piece.tag in _INLINE:
            if HTML_TAG_RE.fullmatch(piece.raw) is None:
                flush()
            else:
                current.append((piece, piece.raw))
        else:
            flush()
            if piece.kind == "start" and piece.tag in _OPAQUE and not piece.closed:
                opaque.append(piece.tag)
        i += 1
    flush()
    return runs


def _trim(run: list[tuple[Piece, str]]) -> tuple[int, int, str] | None:
    """A run without its outer spaces, if it is one: words, and its inline elements closed."""
    if not any(p.kind == "text" and _LETTER.search(p.raw) for p, _ in run):
        return None
    stack: list[str] = []
    for piece, _ in run:
        if piece.kind == "start" and piece.tag not in VOID and not piece.closed:
            stack.append(piece.tag)
        elif (
            piece.kind == "end"
            and piece.tag not in VOID
            and (not stack or stack.pop() != piece.tag)
        ):
            return None
    if stack:
        return None
    first, last = run[0][0], run[-1][0]
    start, end = first.start, last.start + len(last.raw)
    markdown = "".join(text for _, text in run)
    lead = len(markdown) - len(markdown.lstrip())
    tail = len(markdown) - len(markdown.rstrip())
    # Only text pieces have outer spaces, and escaping adds none there.
    if lead:
        start += len(first.raw) - len(first.raw.lstrip())
    if tail:
        end -= len(last.raw) - len(last.raw.rstrip())
    return start, end, markdown.strip()


def html_text_rule(state: StateCore) -> None:
    """Cut every HTML block at its runs of text (see the module's docstring)."""
    tokens: list[Token] = []
    count = 0
    for token in state.tokens:
        runs = html_runs(token.content) if token.type == "html_block" else []
        if not runs:
            tokens.append(token)
            continue
        count += 1
        first_line = token.map[0] if token.map else 0
        cursor = 0
        for start, end, markdown in runs:
            if start > cursor:
                tokens.append(_markup(token, token.content[cursor:start], count))
            line = first_line + token.content.count("\n", 0, start)
            inline = Token("inline", "", 0, content=markdown, level=token.level, block=True)
            inline.map = [line, line + token.content.count("\n", start, end) + 1]
            inline.children = []
            inline.meta[HTML_RUN] = count
            tokens.append(inline)
            cursor = end
        if cursor < len(token.content):
            tokens.append(_markup(token, token.content[cursor:], count))
    state.tokens = tokens


def _markup(block: Token, content: str, group: int) -> Token:
    piece = Token("html_block", "", 0, content=content, level=block.level, block=True)
    piece.map = list(block.map) if block.map else None
    piece.meta[HTML_RUN] = group
    return piece
