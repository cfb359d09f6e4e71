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
from collections.abc import Callable
from dataclasses import dataclass
from html import escape, unescape

from markdown_it.common.html_re import HTML_TAG_RE
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from .htmlscan import VOID, Piece, names, scan

__all__ = [
    "ATTRIBUTE_KINDS",
    "HTML_ATTRIBUTE",
    "HTML_RUN",
    "Attribute",
    "Run",
    "html_attribute_rule",
    "html_runs",
    "html_text_rule",
    "plain_markdown",
    "put_attributes",
]

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

NUMBERED_LAST = "numbered_last"
"""``meta`` key of a segment's token that takes its id after every other
segment's (words pipeline reads where it read none before: an attribute's, a
box shortcode's title), so that no id given before changes."""

HTML_ATTRIBUTE = "html_attribute"
"""Type of the token that holds a translatable attribute value (and ``meta``
key of its :class:`Attribute`)."""

ATTRIBUTE_KINDS = {
    "alt": "alt-text",
    "title": "tooltip",
    "aria-label": "label",
    "label": "tab-label",
}
"""The attributes whose values are translated, and the kind of segment each
makes (what a reviewer is told the words are)."""

_ONLY_ON = {"alt": "img", "label": "tabitem"}
"""Attributes translated on one element only: a picture's description, the
label of an MDX ``<TabItem>`` (Docusaurus), which an edition shows as the
title of its tab."""

_UNSHOWN = frozenset(
    names(
        """
        iframe video audio object embed input button select textarea form source track
        link meta area map param canvas script style template dialog head noscript svg math
        """
    )
)
"""Elements an edition leaves out (or draws from their content): their
attributes are never read by anyone."""

_ATTRIBUTE = re.compile(
    r"""[\s/]*(?P<name>[^\s/>][^\s/>=]*)(?:\s*=\s*(?P<value>"[^"]*"|'[^']*'|[^\s>]+))?"""
)
_TAG_NAME = re.compile(r"<[^\s/>]+")
_PLAIN_SPECIAL = re.compile(r"([\\`*_\[\]^]|!(?=\[)|~(?=\S*~)|=(?==)|(?<==)=)")
_PLAIN_ENTITY = re.compile(r"&(?=#?\w+;)")
_PLAIN_TAG = re.compile(r"<(?=[A-Za-z/!?])")

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>!~^]|=(?==)|(?<==)=)")
_TRAILING_SPACES = re.compile(r"[ \t]+\n")
_LETTER = re.compile(r"[^\W\d_]")


def plain_markdown(text: str) -> str:
    """Plain text (a title from front matter, an attribute's value) as inline
    Markdown that shows it as written, escaped only where Markdown would read
    markup: ``Q&A`` and ``Tips & tricks`` stay as they are, ``*stars*`` and
    ``&copy;`` do not."""
    text = _PLAIN_SPECIAL.sub(r"\\\1", text)
    text = _PLAIN_ENTITY.sub(r"\\&", text)
    return _PLAIN_TAG.sub(r"\\<", text)


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


@dataclass(frozen=True, slots=True)
class Run:
    """A run of translatable words in an HTML block."""

    start: int
    end: int
    """``html[start:end]`` is the run's source: the text (outer spaces left
    out), or an attribute's value with its quotes."""
    markdown: str
    """The same words as inline Markdown."""
    attribute: str = ""
    """The attribute's name (``alt``, ``title``, ``aria-label``), or ``""`` for text."""
    words: str = ""
    """An attribute's value as the source gives it (character references read,
    white space runs made one space)."""


@dataclass(frozen=True, slots=True)
class Attribute:
    """Where an ``html_attribute`` token's value sits in the tag it belongs to."""

    name: str
    start: int
    end: int
    """``markup.content[start:end]`` is the value with its quotes, ``markup``
    the ``html_block`` token before the attribute tokens of its block part."""
    words: str
    """The value as the source gives it (see :attr:`Run.words`)."""


def html_runs(html: str) -> list[Run]:
    """The runs of translatable words in an HTML block, in order: its runs of
    text, and the translatable attributes of the tags outside them."""
    pieces = scan(html)
    runs: list[Run] = []
    current: list[tuple[Piece, str]] = []
    opaque: list[str] = []
    tags: list[Piece] = []

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
        if piece.kind == "start":
            tags.append(piece)
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
    texts = [(run.start, run.end) for run in runs]
    for tag in tags:
        if tag.tag not in _UNSHOWN and not any(a <= tag.start < b for a, b in texts):
            runs.extend(_attribute_runs(tag))
    return sorted(runs, key=lambda run: run.start)


def _attribute_runs(tag: Piece) -> list[Run]:
    """The translatable attribute values of a start tag, as runs; none when the
    tag's attributes cannot be told apart as the HTML parser read them."""
    found: list[tuple[str, int, int]] = []
    at = _TAG_NAME.match(tag.raw)
    pos = at.end() if at else len(tag.raw)
    while True:
        m = _ATTRIBUTE.match(tag.raw, pos)
        if m is None:
            break
        pos = m.end()
        if m.group("value") is not None:
            found.append((m.group("name").lower(), m.start("value"), m.end("value")))
        else:
            found.append((m.group("name").lower(), -1, -1))
    if [name for name, _, _ in found] != [name for name, _ in tag.attrs]:
        return []
    runs: list[Run] = []
    for (name, start, end), (_, value) in zip(found, tag.attrs, strict=True):
        if name not in ATTRIBUTE_KINDS or value is None or _ONLY_ON.get(name, tag.tag) != tag.tag:
            continue
        if not _LETTER.search(value) or start < 0:
            continue
        if unescape(_unquoted(tag.raw[start:end])) != value:
            continue
        words = " ".join(value.split())
        runs.append(Run(tag.start + start, tag.start + end, plain_markdown(words), name, words))
    return runs


def _trim(run: list[tuple[Piece, str]]) -> Run | None:
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
    return Run(start, end, markdown.strip())


def html_text_rule(state: StateCore) -> None:
    """Cut every HTML block at its runs of text, each translatable attribute
    value after the markup that holds its tag (see the module's docstring)."""
    tokens: list[Token] = []
    count = 0
    for token in state.tokens:
        runs = html_runs(token.content) if token.type == "html_block" else []
        if not runs:
            tokens.append(token)
            continue
        count += 1
        content = token.content
        texts = [run for run in runs if not run.attribute]
        attributes = [run for run in runs if run.attribute]
        cursor = 0
        for text in [*texts, None]:
            stop = len(content) if text is None else text.start
            if stop > cursor:
                tokens.append(_markup(token, content[cursor:stop], count))
                for run in attributes:
                    if cursor <= run.start < stop:
                        attribute = _words(token, run, count)
                        at, to = run.start - cursor, run.end - cursor
                        attribute.meta[HTML_ATTRIBUTE] = Attribute(run.attribute, at, to, run.words)
                        tokens.append(attribute)
            if text is not None:
                tokens.append(_words(token, text, count))
                cursor = text.end
    state.tokens = tokens


def html_attribute_rule(state: StateCore) -> None:
    """Give the tokens of attribute values (inline tokens until the inline
    rule has read them) their own type, which renders as nothing."""
    for token in state.tokens:
        if token.type == "inline" and HTML_ATTRIBUTE in token.meta:
            token.type = HTML_ATTRIBUTE


def put_attributes(tokens: list[Token], text: Callable[[int], str]) -> None:
    """Write into each tag the text of its ``html_attribute`` tokens
    (``text(index)``: the words of ``tokens[index]`` as an edition shows them,
    ``""`` to keep the source's); a tag whose values stay as the source gives
    them is kept byte for byte. Once only: the tokens then hold no words."""
    markup: Token | None = None
    pending: list[int] = []

    def write() -> None:
        html = markup.content if markup is not None else ""
        for index in reversed(pending):
            token = tokens[index]
            where: Attribute = token.meta[HTML_ATTRIBUTE]
            words = text(index)
            if markup is not None and words and words != where.words:
                html = f'{html[: where.start]}"{escape(words, quote=True)}"{html[where.end :]}'
            token.children = []
        if markup is not None:
            markup.content = html
        pending.clear()

    for index, token in enumerate(tokens):
        if token.type == HTML_ATTRIBUTE:
            if token.children:
                pending.append(index)
            continue
        write()
        markup = token if token.type == "html_block" else None
    write()


def _words(block: Token, run: Run, group: int) -> Token:
    """The ``inline`` token of a run of ``block``."""
    first_line = block.map[0] if block.map else 0
    line = first_line + block.content.count("\n", 0, run.start)
    inline = Token("inline", "", 0, content=run.markdown, level=block.level, block=True)
    inline.map = [line, line + block.content.count("\n", run.start, run.end) + 1]
    inline.children = []
    inline.meta[HTML_RUN] = group
    return inline


def _unquoted(value: str) -> str:
    return value[1:-1] if value[:1] in {'"', "'"} else value


def _markup(block: Token, content: str, group: int) -> Token:
    piece = Token("html_block", "", 0, content=content, level=block.level, block=True)
    piece.map = list(block.map) if block.map else None
    piece.meta[HTML_RUN] = group
    return piece
