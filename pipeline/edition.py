"""Assemble one language edition of a document from its segments' texts.

The document's tokens are re-used as they are; only each segment's inline
content is replaced by the text to show in this edition, and its block is
marked with its review state. Nothing here knows about PO files or engines.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from markdown_it.token import Token

from .markdown import Document, md
from .render.model import Edition, Section, TocEntry

__all__ = ["assemble"]

_TOC_LEVELS = {"h2": 2, "h3": 3}


def _plain(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or []:
        if child.type in {"text", "text_special", "code_inline"}:
            parts.append(child.content)
        elif child.type in {"softbreak", "hardbreak"}:
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return " ".join("".join(parts).split())


def slugify(text: str) -> str:
    """An ASCII anchor for a heading (``¿Qué es?`` → ``que-es``)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or "section"


def _block_opener(tokens: list[Token], index: int) -> Token:
    """The token whose attributes show on the segment's block.

    A paragraph in a tight list is not rendered, so its list item carries them.
    """
    opener = tokens[index - 1]
    if opener.type == "paragraph_open" and opener.hidden:
        for j in range(index - 2, -1, -1):
            if tokens[j].type == "list_item_open" and tokens[j].level == opener.level - 1:
                return tokens[j]
    return opener


def _sanitise(children: list[Token], allowed: set[str]) -> list[Token]:
    """Prepare a translation's inline tokens for the renderer.

    Inline HTML that the source does not have is shown as text, not markup
    (a translation is text, whatever it contains), and escapes and entities
    become plain text as markdown-it's ``text_join`` core rule would do.
    """
    for child in children:
        if child.type == "html_inline" and child.content not in allowed:
            child.type = "text"
            child.tag = ""
        elif child.type == "text_special":
            child.type = "text"
    return children


def assemble(
    doc: Document,
    *,
    lang: str,
    source_lang: str,
    title: str,
    author: str,
    texts: Mapping[str, str] | None = None,
    states: Mapping[str, str] | None = None,
    counts: Mapping[str, int] | None = None,
    colophon: list[str] | None = None,
) -> Edition:
    """Build the :class:`Edition` of ``doc`` in ``lang``.

    ``texts`` maps segment ids to the inline Markdown to show (the source
    when absent); ``states`` maps ids to review states, and every state but
    ``reviewed`` is marked on its block. ``title`` is used when the document
    has no level-1 heading.
    """
    texts = texts or {}
    states = states or {}
    env: dict[str, Any] = {}
    parser = md()
    tokens = parser.parse(doc.text, env)
    for seg in doc.segments:
        index = doc.token_index[seg.id]
        inline = tokens[index]
        opener = _block_opener(tokens, index)
        text = texts.get(seg.id)
        if text is not None and text != seg.source:
            allowed = {c.content for c in inline.children or [] if c.type == "html_inline"}
            inline.children = _sanitise(parser.inline.parse(text, parser, env, []), allowed)
            inline.content = text
        state = states.get(seg.id)
        if state is not None and state != "reviewed":
            opener.attrJoin("class", "unreviewed")
            opener.attrSet("data-state", state)
            if state == "new" and lang != source_lang:
                opener.attrSet("lang", source_lang)

    # Heading anchors and the table of contents.
    used: dict[str, int] = {}
    toc: list[TocEntry] = []
    first_h1 = ""
    for i, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        heading = _plain(tokens[i + 1])
        slug = slugify(heading)
        used[slug] = used.get(slug, 0) + 1
        anchor = slug if used[slug] == 1 else f"{slug}-{used[slug]}"
        token.attrSet("id", anchor)
        if token.tag == "h1" and not first_h1:
            first_h1 = heading
        if token.tag in _TOC_LEVELS and token.level == 0:
            toc.append(TocEntry(_TOC_LEVELS[token.tag], anchor, heading))

    # The title page is what comes before the first chapter (level-2 heading).
    starts = [
        i
        for i, t in enumerate(tokens)
        if t.type == "heading_open" and t.tag == "h2" and t.level == 0
    ]
    render = parser.renderer.render
    options = parser.options
    title_end = starts[0] if starts else len(tokens)
    title_page = render(tokens[:title_end], options, env)
    sections: list[Section] = []
    bounds = [*starts, len(tokens)]
    for start, end in itertools.pairwise(bounds):
        anchor = str(tokens[start].attrGet("id"))
        sections.append(Section(anchor, render(tokens[start:end], options, env)))
    return Edition(
        book_id=doc.path.stem,
        lang=lang,
        source_lang=source_lang,
        title=first_h1 or title,
        author=author,
        title_page_html=title_page,
        toc=toc,
        sections=sections,
        counts=dict(counts or {}),
        colophon=list(colophon or []),
    )
