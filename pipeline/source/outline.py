"""The outline of a document: its title, what goes on the title page, its chapters.

Books are written in more than one layout. The seed and most books have one
``#`` title and ``##`` chapters; a blog post or a Hugo/Zola page has its title
in the front matter and ``#`` sections; a book of mdBook-style chapter files
opens each file with ``# Chapter``. :func:`outline` reads which layout a
token stream has, so that the editions can always show one title, a title
page of title-page matter only, and the chapters the author meant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape

from markdown_it.token import Token

from .htmlblock import HTML_ATTRIBUTE
from .htmlscan import scan
from .markdown import BOOK_FIELD, plain_text

__all__ = ["Outline", "html_title", "outline", "shift_headings"]

MAX_BYLINES = 4
"""Paragraphs after the title that can be its byline (author, affiliation, edition)."""

MAX_BYLINE_CHARS = 200
"""A longer paragraph is body text (an introduction), not a byline."""

_LETTER = re.compile(r"[^\W\d_]")


@dataclass(slots=True, frozen=True)
class Outline:
    """Where the parts of a book are in its token stream (indexes into it)."""

    chapter_level: int
    """Level of the headings that start chapters in the source: 2 (``##``
    chapters under one ``#`` title), or 1 when the document has several ``#``
    headings (its chapters are its ``#`` sections)."""
    title: int | None
    """The ``heading_open`` of the title heading (the one ``#`` heading, before
    the first chapter), or ``None`` when the title must come from elsewhere."""
    title_end: int
    """Index just past the title page's matter: the title heading and the byline
    paragraphs directly after it (equal to :attr:`title` or 0 when there is none)."""
    chapters: list[int] = field(default_factory=list)
    """The ``heading_open`` that starts each chapter (top-level headings of
    :attr:`chapter_level`)."""
    opening: list[tuple[int, int]] = field(default_factory=list)
    """``(start, end)`` token ranges before the first chapter that are not title
    matter (a foreword, badges, an introduction): an untitled opening section.
    Empty when there is nothing there a reader would see."""


def _is_byline(tokens: list[Token], i: int) -> bool:
    """Whether the block at ``i`` is a byline: a short top-level paragraph of
    words (links allowed), with no picture or code and not made of links alone
    (a row of badges or a link menu is not title matter)."""
    if tokens[i].type != "paragraph_open" or tokens[i].level != 0 or i + 2 >= len(tokens):
        return False
    inline = tokens[i + 1]
    words_outside_links = False
    depth = 0
    for child in inline.children or []:
        if child.type in {"image", "code_inline", "html_inline"}:
            return False
        if child.type == "link_open":
            depth += 1
        elif child.type == "link_close":
            depth -= 1
        elif depth == 0 and child.type == "text" and _LETTER.search(child.content):
            words_outside_links = True
    return words_outside_links and len(plain_text(inline)) <= MAX_BYLINE_CHARS


_HEAD = frozenset({"front_matter", BOOK_FIELD})
"""What a document may open with that no page shows: its front matter and
the title and description it gives (the title pages show the title)."""


def _visible(token: Token) -> bool:
    """Whether a top-level token shows anything (front matter, the book's title
    and description it gives, link definitions and HTML comments do not)."""
    if token.type in _HEAD:
        return False
    if token.type == "html_block":
        text = token.content.strip()
        return not (text.startswith("<!--") and text.endswith("-->"))
    return True


def outline(tokens: list[Token]) -> Outline:
    """The :class:`Outline` of a document's block tokens."""
    top = [i for i, t in enumerate(tokens) if t.type == "heading_open" and t.level == 0]
    h1 = [i for i in top if tokens[i].tag == "h1"]
    if len(h1) > 1:
        level, chapters, title = 1, h1, None
    else:
        chapters = [i for i in top if tokens[i].tag == "h2"]
        level, title = 2, None
        if h1 and (not chapters or h1[0] < chapters[0]):
            title = h1[0]
    first = chapters[0] if chapters else len(tokens)
    start = 0
    while start < len(tokens) and tokens[start].type in _HEAD:
        start += 1
    if title is None:
        return Outline(level, None, 0, chapters, _ranges(tokens, [(start, first)]))
    end = title + 3  # heading_open, inline, heading_close
    bylines = 0
    while end < first and bylines < MAX_BYLINES and _is_byline(tokens, end):
        end += 3
        bylines += 1
    return Outline(level, title, end, chapters, _ranges(tokens, [(start, title), (end, first)]))


def html_title(tokens: list[Token], plan: Outline) -> str:
    """The text of the title a document without a ``#`` title writes in raw
    HTML before its first chapter, as GitHub READMEs do (``<h1
    align="center">quarry</h1>``; a logo's ``alt`` text counts), or ``""``.
    The words of an HTML block are inline tokens between its tags' blocks."""
    if plan.title is not None:
        return ""
    first = plan.chapters[0] if plan.chapters else len(tokens)
    words: list[str] | None = None
    for token in tokens[:first]:
        if token.type == HTML_ATTRIBUTE:
            continue  # its words are in its tag's (the alt of a logo counts below)
        if token.type == "inline" and words is not None:
            for child in token.children or ():
                if child.type == "html_inline":
                    words.extend(_html_words(child.content))
                else:
                    words.append(plain_text(child) if child.children else child.content)
            continue
        if token.type != "html_block" or token.level != 0:
            if words is not None:
                break
            continue
        for piece in scan(token.content):
            if words is None:
                if piece.kind == "start" and piece.tag == "h1" and not piece.closed:
                    words = []
            elif piece.kind == "end" and piece.tag == "h1":
                return " ".join("".join(words).split())
            else:
                words.extend(_html_words(piece.raw))
    return ""


def _html_words(html: str) -> list[str]:
    """The words of a piece of raw HTML (text, and the ``alt`` of a picture)."""
    words = []
    for piece in scan(html):
        if piece.kind in {"text", "ref"}:
            words.append(unescape(piece.raw))
        elif piece.kind == "start" and piece.tag == "img":
            words.append(" " + (dict(piece.attrs).get("alt") or "") + " ")
    return words


def _ranges(tokens: list[Token], ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The ranges, if any of them shows anything; else none."""
    ranges = [(a, b) for a, b in ranges if a < b]
    if any(_visible(tokens[i]) for a, b in ranges for i in range(a, b) if tokens[i].level == 0):
        return ranges
    return []


def shift_headings(tokens: list[Token], by: int) -> None:
    """Make every heading ``by`` levels lower (``h1`` → ``h2`` for 1), down to ``h6``."""
    if by <= 0:
        return
    for token in tokens:
        if token.type in {"heading_open", "heading_close"}:
            token.tag = f"h{min(int(token.tag[1]) + by, 6)}"
