"""Assemble an edition of a document from its segments' texts.

The texts go back into the document the one way there is,
:func:`pipeline.source.apply.translated_tokens`: the source's tokens with
each segment's inline content replaced by the text to show in this edition.
Here each segment's block is then marked with its review state.
:func:`assemble` makes a one-language edition; :func:`assemble_bilingual`
sets the source and a translation side by side, aligned block by block.
Nothing here knows about PO files or engines.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from markdown_it.token import Token

from ..lang import get as get_language

# Called as apply.translated_tokens: the one way back, the function the
# round-trip tests check (tests/test_inline.py proves the editions call it).
from ..source import apply
from ..source.apply import Translated
from ..source.htmlblock import HTML_RUN
from ..source.markdown import Document, plain_text
from ..source.svgclean import clean_data_url
from .model import Edition, Row, Section, TocEntry, Translation
from .rawhtml import RawHTML

__all__ = ["assemble", "assemble_bilingual", "slugify"]

_TOC_LEVELS = {"h2": 2, "h3": 3}

ImageURLs = Callable[[str, int | None], str | None]
"""What an edition shows for an image: given its URL in the Markdown and the
line it is on, the URL to use, ``""`` to show its description instead, or
``None`` to keep it (see :class:`pipeline.source.images.ImageEmbedder`)."""


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


def _dress(
    translated: Translated,
    doc: Document,
    *,
    lang: str,
    source_lang: str,
    states: Mapping[str, str],
    conventions: bool,
    images: ImageURLs | None,
    html: RawHTML | None = None,
) -> None:
    """Make ``translated`` an edition in ``lang``: mark each segment's review
    state on its block, set the text in the language's typographic conventions
    (with ``conventions``), give each image the URL ``images`` has for it, and
    make its raw HTML what a book can show (``html``, see :class:`RawHTML`)."""
    tokens = translated.tokens
    convention = get_language(lang).typography if conventions else None
    for seg in doc.segments:
        index = doc.token_index[seg.id]
        opener = _block_opener(tokens, index)
        state = states.get(seg.id)
        shown_in_source = seg.id not in translated.shown and lang != source_lang
        if state is not None and state != "reviewed":
            if HTML_RUN in tokens[index].meta:
                new = state == "new" and lang != source_lang
                _mark_run(tokens[index], state, source_lang if new else None)
            else:
                opener.attrJoin("class", "unreviewed")
                opener.attrSet("data-state", state)
                if state == "new" and lang != source_lang:
                    opener.attrSet("lang", source_lang)
        if convention is not None and not shown_in_source:
            _convert(tokens[index], convention)
    if images is not None:
        _embed_images(tokens, images)
    (html or RawHTML(images)).rewrite(tokens)


def _mark_run(inline: Token, state: str, lang: str | None) -> None:
    """Mark the review state of a run of text inside an HTML block, which has
    no block of its own to carry it: a ``<span>`` around the run."""
    attrs = f' lang="{lang}"' if lang else ""
    opener = Token("html_inline", "", 0)
    opener.content = f'<span class="unreviewed" data-state="{state}"{attrs}>'
    inline.children = [opener, *(inline.children or []), Token("html_inline", "", 0)]
    inline.children[-1].content = "</span>"


def _embed_images(tokens: list[Token], images: ImageURLs) -> None:
    """Replace each image's URL by the one ``images`` gives (when it gives one);
    an image it gives ``""`` for becomes its description, as text."""
    line: int | None = None
    for token in tokens:
        if token.map:
            line = token.map[0] + 1
        for child in token.children or ():
            if child.type != "image":
                continue
            url = images(str(child.attrGet("src") or ""), line)
            if url == "":
                child.type, child.tag, child.attrs = "text", "", {}
                child.content = plain_text(child)
                child.children = None
            elif url is not None:
                child.attrSet("src", clean_data_url(url))


def _convert(inline: Token, convention: Callable[[Sequence[str]], list[str]]) -> None:
    """Apply a language's typographic conventions to the text of one inline token."""
    texts = [c for c in inline.children or [] if c.type in {"text", "text_special"}]
    for child, new in zip(texts, convention([c.content for c in texts]), strict=True):
        child.content = new


def _anchors(tokens: list[Token], used: dict[str, int]) -> list[tuple[int, str, str]]:
    """Give every heading an ``id`` from its text; ``(index, anchor, text)`` of each."""
    found: list[tuple[int, str, str]] = []
    for i, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        heading = plain_text(tokens[i + 1])
        slug = slugify(heading)
        used[slug] = used.get(slug, 0) + 1
        anchor = slug if used[slug] == 1 else f"{slug}-{used[slug]}"
        token.attrSet("id", anchor)
        found.append((i, anchor, heading))
    return found


def _chapter_starts(tokens: list[Token]) -> list[int]:
    """Indexes of the level-2 headings that start the chapters (top level only)."""
    return [
        i
        for i, t in enumerate(tokens)
        if t.type == "heading_open" and t.tag == "h2" and t.level == 0
    ]


def _first_h1(tokens: list[Token]) -> str:
    """Plain text of the first level-1 heading, or ``""``."""
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h1":
            return plain_text(tokens[i + 1])
    return ""


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
    conventions: bool = False,
    images: ImageURLs | None = None,
    html: RawHTML | None = None,
) -> Edition:
    """Build the :class:`Edition` of ``doc`` in ``lang``.

    ``texts`` maps segment ids to the inline Markdown to show (the source
    when absent); ``states`` maps ids to review states, and every state but
    ``reviewed`` is marked on its block. ``title`` is used when the document
    has no level-1 heading. With ``conventions``, text in ``lang`` is set
    with that language's typographic conventions
    (:attr:`pipeline.lang.Language.typography`). ``images`` gives the URL each image
    is shown from (by default, the URL in the Markdown); ``html`` rewrites the
    raw HTML (by default, a :class:`RawHTML` over ``images``).
    """
    translated = apply.translated_tokens(doc, texts or {})
    _dress(
        translated,
        doc,
        lang=lang,
        source_lang=source_lang,
        states=states or {},
        conventions=conventions,
        images=images,
        html=html,
    )
    tokens = translated.tokens
    toc = [
        TocEntry(_TOC_LEVELS[tokens[i].tag], anchor, heading)
        for i, anchor, heading in _anchors(tokens, {})
        if tokens[i].tag in _TOC_LEVELS and tokens[i].level == 0
    ]

    # The title page is what comes before the first chapter (level-2 heading).
    starts = _chapter_starts(tokens)
    title_end = starts[0] if starts else len(tokens)
    title_page = translated.render(tokens[:title_end])
    sections: list[Section] = []
    bounds = [*starts, len(tokens)]
    for start, end in itertools.pairwise(bounds):
        anchor = str(tokens[start].attrGet("id"))
        sections.append(Section(anchor, translated.render(tokens[start:end])))
    return Edition(
        book_id=doc.path.stem,
        lang=lang,
        source_lang=source_lang,
        title=_first_h1(tokens) or title,
        author=author,
        title_page_html=title_page,
        toc=toc,
        sections=sections,
        counts=dict(counts or {}),
        colophon=list(colophon or []),
    )


# --------------------------------------------------------------------------- bilingual

_CONTAINERS = {"bullet_list_open": "list-item", "ordered_list_open": "list-item"}
"""Top-level blocks split into one row per child, and the kind of those rows."""


def _block_end(tokens: list[Token], start: int) -> int:
    """Index just past the block that opens at ``start`` (its closing token included)."""
    depth = 0
    for i in range(start, len(tokens)):
        depth += tokens[i].nesting
        if depth <= 0:
            return i + 1
    return len(tokens)


@dataclass(slots=True, frozen=True)
class _Span:
    """A slice of the token stream that makes one row (with the tokens around it)."""

    kind: str
    start: int
    end: int
    wrap: tuple[Token, Token] | None = None
    """A container's opening and closing tokens, re-created around a split-off child."""
    number: int = 0
    """Position of the child in its container (for an ordered list's ``start``)."""


def _only_images(inline: Token) -> bool:
    """Whether an inline token holds images and nothing else but spaces."""
    children = inline.children or []
    return any(c.type == "image" for c in children) and all(
        c.type in {"image", "softbreak", "hardbreak"}
        or (c.type == "text" and not c.content.strip())
        for c in children
    )


def _spans(tokens: list[Token], start: int, end: int, segments: set[int]) -> list[_Span]:
    """Cut ``tokens[start:end]`` into the rows of a bilingual edition.

    Every top-level heading, paragraph, list item and paragraph of a quotation
    is a row of its own; a table or the footnotes are one row; a block with no
    segment (code, rule, image, HTML) is a ``shared`` row.
    """

    def has_segment(a: int, b: int) -> bool:
        return any(a <= index < b for index in segments)

    spans: list[_Span] = []
    i = start
    while i < end:
        block_end = min(_block_end(tokens, i), end)
        opener = tokens[i]
        group = opener.meta.get(HTML_RUN)
        if group is not None:
            # An HTML block cut at its runs of text is one row.
            while block_end < end and tokens[block_end].meta.get(HTML_RUN) == group:
                block_end += 1
        container = _CONTAINERS.get(opener.type)
        if opener.type == "blockquote_open":
            container = "quote"
        if container is not None and has_segment(i, block_end):
            j, number = i + 1, 0
            while j < block_end - 1:
                child_end = _block_end(tokens, j)
                kind = container if has_segment(j, child_end) else "shared"
                spans.append(_Span(kind, j, child_end, (opener, tokens[block_end - 1]), number))
                j, number = child_end, number + 1
        elif not has_segment(i, block_end):
            spans.append(_Span("shared", i, block_end))
        elif opener.type == "heading_open":
            spans.append(_Span("heading", i, block_end))
        elif opener.type == "paragraph_open":
            spans.append(_Span("paragraph", i, block_end))
        else:
            spans.append(_Span("block", i, block_end))
        i = block_end
    return spans


def _slice(tokens: list[Token], span: _Span) -> list[Token]:
    """The tokens of one row, inside a copy of their container when it was split."""
    inner = tokens[span.start : span.end]
    if span.wrap is None:
        return inner
    opener, closer = span.wrap
    attrs = dict(opener.attrs)
    if opener.type == "ordered_list_open":
        first = int(attrs.get("start", 1)) + span.number
        if first != 1:
            attrs["start"] = first
    return [opener.copy(attrs=attrs), *inner, closer.copy()]


def assemble_bilingual(
    doc: Document,
    *,
    source_lang: str,
    target_lang: str,
    title: str,
    author: str,
    texts: Mapping[str, str] | None = None,
    states: Mapping[str, str] | None = None,
    counts: Mapping[str, int] | None = None,
    colophon: list[str] | None = None,
    translation_colophon: list[str] | None = None,
    conventions: bool = False,
    images: ImageURLs | None = None,
    html: RawHTML | None = None,
) -> Edition:
    """Build the bilingual :class:`Edition` of ``doc``: source and translation aligned.

    The source is parsed twice, once shown as written and once with each
    segment's translation (``texts``, marked by ``states`` as in
    :func:`assemble`), so both token streams have the same blocks in the same
    places; they are cut into :class:`~pipeline.render.model.Row` pairs, one per
    heading, paragraph, list item and quoted paragraph. Headings of the
    translation get anchors of their own, unique in the whole edition;
    ``counts`` and the draft marks concern the translation.
    """
    html = html or RawHTML(images)
    source = apply.translated_tokens(doc, {})
    # The translation's footnote ids differ from the source's: fn-es-1, fnref-es-1.
    translation = apply.translated_tokens(doc, texts or {}, doc_id=target_lang)
    _dress(
        source,
        doc,
        lang=source_lang,
        source_lang=source_lang,
        states={},
        conventions=conventions,
        images=images,
        html=html,
    )
    _dress(
        translation,
        doc,
        lang=target_lang,
        source_lang=source_lang,
        states=states or {},
        conventions=conventions,
        images=images,
        html=html,
    )
    src, tgt = source.tokens, translation.tokens
    used: dict[str, int] = {}
    src_heads = _anchors(src, used)
    taken = {anchor for _, anchor, _ in src_heads}
    tgt_heads: dict[int, tuple[str, str]] = {}
    for i, token in enumerate(tgt):
        if token.type != "heading_open":
            continue
        heading = plain_text(tgt[i + 1])
        slug = slugify(heading)
        anchor = slug if slug not in taken else f"{slug}-{target_lang}"
        n = 1
        while anchor in taken:
            n += 1
            anchor = f"{slug}-{target_lang}-{n}"
        taken.add(anchor)
        token.attrSet("id", anchor)
        tgt_heads[i] = (anchor, heading)
    toc = [
        TocEntry(
            _TOC_LEVELS[src[i].tag],
            anchor,
            heading,
            translation=tgt_heads[i][1],
            translation_anchor=tgt_heads[i][0],
        )
        for i, anchor, heading in src_heads
        if src[i].tag in _TOC_LEVELS and src[i].level == 0
    ]

    # A figure (a paragraph of images only) is shown once, across both columns.
    segments = {i for i in doc.token_index.values() if not _only_images(src[i])}
    starts = _chapter_starts(src)
    title_end = starts[0] if starts else len(src)

    sections: list[Section] = []
    for start, end in itertools.pairwise([*starts, len(src)]):
        rows = []
        for span in _spans(src, start, end, segments):
            source_html = source.render(_slice(src, span))
            translation_html = (
                None if span.kind == "shared" else translation.render(_slice(tgt, span))
            )
            rows.append(Row(span.kind, source_html, translation_html))
        sections.append(Section(str(src[start].attrGet("id")), "", rows))
    return Edition(
        book_id=doc.path.stem,
        lang=source_lang,
        source_lang=source_lang,
        title=_first_h1(src) or title,
        author=author,
        title_page_html=source.render(src[:title_end]),
        toc=toc,
        sections=sections,
        counts=dict(counts or {}),
        colophon=list(colophon or []),
        translation=Translation(
            lang=target_lang,
            title=_first_h1(tgt) or title,
            title_page_html=translation.render(tgt[:title_end]),
            colophon=list(translation_colophon or []),
        ),
    )
