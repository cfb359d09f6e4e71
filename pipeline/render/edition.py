"""Assemble an edition of a document from its segments' texts.

The texts go back into the document the one way there is,
:func:`pipeline.source.apply.translated_tokens`: the source's tokens with
each segment's inline content replaced by the text to show in this edition.
Here each segment's block is then marked with its review state.
:func:`assemble` makes a one-language edition; :func:`assemble_bilingual`
sets the source and a translation side by side, aligned block by block.
Both follow the document's :func:`~pipeline.source.outline.outline`: a title
page of title matter only, an untitled opening section for what comes before
the first chapter, and one section per chapter, whether the chapters are
``##`` headings or ``#`` ones (then every heading is set one level lower, so
that the edition's one ``h1`` is the book's title).
Nothing here knows about PO files or engines.
"""

from __future__ import annotations

import html as html_lib
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from markdown_it.token import Token

from ..lang import get as get_language

# Called as apply.translated_tokens: the one way back, the function the
# round-trip tests check (tests/test_inline.py proves the editions call it).
from ..source import apply
from ..source.anchors import html_ids, html_ids_in, slug
from ..source.apply import Translated
from ..source.extensions import label_admonitions
from ..source.htmlblock import HTML_ATTRIBUTE, HTML_RUN, put_attributes
from ..source.includes import is_rust, shown_rust
from ..source.links import LinkResolver
from ..source.markdown import BOOK_FIELD, BOOK_FIELDS, Document, plain_text
from ..source.outline import Outline, outline, shift_headings
from ..source.svgclean import clean_data_url
from .model import Edition, Row, Section, TocEntry, Translation
from .rawhtml import RawHTML

__all__ = ["assemble", "assemble_bilingual", "slugify"]

_TOC_LEVELS = {"h2": 2, "h3": 3}

ImageURLs = Callable[[str, int | None], str | None]
"""What an edition shows for an image: given its URL in the Markdown and the
line it is on, the URL to use, ``""`` to show its description instead, or
``None`` to keep it (see :class:`pipeline.source.images.ImageEmbedder`)."""


CodeText = Callable[[str, int | None], str]
"""What an edition shows in a code block: given its code and the book line of
its first line of code, the code to show (see
:class:`pipeline.source.includes.IncludeExpander`)."""


def slugify(text: str) -> str:
    """The anchor a heading with this text gets (``¿Qué es?`` → ``qué-es``);
    see :func:`pipeline.source.anchors.slug`."""
    return slug(text)


def _block_opener(tokens: list[Token], index: int) -> Token:
    """The token whose attributes show on the segment's block.

    A paragraph in a tight list (or definition list) is not rendered, so its
    list item (definition) carries them.
    """
    opener = tokens[index - 1]
    if opener.type == "paragraph_open" and opener.hidden:
        for j in range(index - 2, -1, -1):
            if (
                tokens[j].type in {"list_item_open", "dd_open"}
                and tokens[j].level == opener.level - 1
            ):
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
    links: LinkResolver,
    renamed: Mapping[str, str] | None = None,
    code: CodeText | None = None,
    html: RawHTML | None = None,
) -> None:
    """Make ``translated`` an edition in ``lang``: mark each segment's review
    state on its block, set the text in the language's typographic conventions
    (with ``conventions``), give each image the URL ``images`` has for it, each
    link the one ``links`` has (a heading's id ``renamed`` when given), each
    code block the text ``code`` has for it, and make its raw HTML what a book
    can show (``html``, see :class:`RawHTML`)."""
    tokens = translated.tokens
    convention = get_language(lang).typography if conventions else None
    for seg in doc.segments:
        index = doc.token_index[seg.id]
        opener = _block_opener(tokens, index)
        state = states.get(seg.id)
        shown_in_source = seg.id not in translated.shown and lang != source_lang
        if state is not None and state != "reviewed" and tokens[index].type not in _UNMARKED:
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
    _route_links(tokens, links, renamed or {})
    for token in tokens:
        if token.type in {"fence", "code_block"} and token.map and code is not None:
            first = token.map[0] + (2 if token.type == "fence" else 1)
            token.content = code(token.content, first)
        if token.type == "fence" and is_rust(token.info):
            token.content = shown_rust(token.content)
    label_admonitions(tokens, lang)
    # Words into tags, where the edition shows a text of its own (the source's
    # tags stay byte for byte).
    shown = {doc.token_index[sid] for sid in translated.shown}
    put_attributes(tokens, lambda i: plain_text(tokens[i], shown=True) if i in shown else "")
    (html or RawHTML(images)).rewrite(tokens, renamed, links)


_UNMARKED = frozenset({HTML_ATTRIBUTE, BOOK_FIELD})
"""Segments whose words no block holds, so nothing can mark their review state:
an attribute's words sit inside a tag, the book's title and description are
the edition's."""


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
                child.content = plain_text(child, shown=True)
                child.children = None
            elif url is not None:
                child.attrSet("src", clean_data_url(url))


def _route_links(tokens: list[Token], links: LinkResolver, renamed: Mapping[str, str]) -> None:
    """Point each link into the book at its heading or raw HTML id (``#id``,
    renamed by ``renamed``), and show the text of a link that leads nowhere
    without the link."""
    line: int | None = None
    for token in tokens:
        if token.map:
            line = token.map[0] + 1
        children = token.children
        if not children:
            continue
        dead: list[int] = []
        for j, child in enumerate(children):
            if child.type != "link_open" or child.markup == "autolink":
                continue
            href = links(str(child.attrGet("href") or ""), line)
            if href == "":
                dead.append(j)
            elif href is not None:
                name = href[1:]
                child.attrSet("href", "#" + renamed.get(name, name))
        if dead:
            drop = set(dead)
            for j in dead:
                depth = 0
                for k in range(j, len(children)):
                    depth += children[k].nesting if children[k].type.startswith("link_") else 0
                    if depth == 0:
                        drop.add(k)
                        break
            token.children = [c for k, c in enumerate(children) if k not in drop]


def _convert(inline: Token, convention: Callable[[Sequence[str]], list[str]]) -> None:
    """Apply a language's typographic conventions to the text of one inline token."""
    texts = [c for c in inline.children or [] if c.type in {"text", "text_special"}]
    for child, new in zip(texts, convention([c.content for c in texts]), strict=True):
        child.content = new


def _anchors(
    tokens: list[Token], ids: Mapping[int, str], renamed: Mapping[str, str] | None = None
) -> list[tuple[int, str, str]]:
    """Give every heading the ``id`` of its source heading (``ids``, by token
    index; ``renamed`` when given); ``(index, anchor, text)`` of each."""
    found: list[tuple[int, str, str]] = []
    for i, token in enumerate(tokens):
        if token.type != "heading_open" or i not in ids:
            continue
        anchor = ids[i] if renamed is None else renamed[ids[i]]
        token.attrSet("id", anchor)
        found.append((i, anchor, plain_text(tokens[i + 1], shown=True)))
    return found


def _given(tokens: list[Token], key: str) -> str:
    """Plain text of the ``title`` or ``description`` the document's front
    matter gives (:data:`~pipeline.source.markdown.BOOK_FIELD`), or ``""``."""
    for token in tokens[1 : 1 + len(BOOK_FIELDS)]:
        if token.type == BOOK_FIELD and token.meta[BOOK_FIELD] == key:
            return plain_text(token, shown=True)
    return ""


def _title_text(tokens: list[Token], plan: Outline) -> str:
    """Plain text of the document's own title: the one its front matter gives,
    else its title heading's, or ``""``."""
    given = _given(tokens, "title")
    if given:
        return given
    return plain_text(tokens[plan.title + 1], shown=True) if plan.title is not None else ""


def _title_page(
    render: Callable[[list[Token]], str],
    tokens: list[Token],
    plan: Outline,
    title: str,
    mark: str = "",
) -> str:
    """HTML of the title page: the title heading and its byline, or, for a
    document without one, the title it is published under (``mark``: the
    attributes that mark it unreviewed, see :func:`_title_mark`)."""
    if plan.title is None:
        return f"<h1{mark}>{html_lib.escape(title, quote=False)}</h1>\n"
    return render(tokens[plan.title : plan.title_end])


def _title_mark(
    doc: Document, states: Mapping[str, str] | None, lang: str, source_lang: str
) -> str:
    """The attributes of a title page's ``<h1>`` that show its title, the one
    the front matter gives, is not reviewed yet, as its body's blocks do."""
    segment = next((seg for seg in doc.segments if seg.kind == "title"), None)
    state = (states or {}).get(segment.id) if segment is not None else None
    if state is None or state == "reviewed":
        return ""
    own = f' lang="{source_lang}"' if state == "new" and lang != source_lang else ""
    return f' class="unreviewed" data-state="{state}"{own}'


def _opens_right(doc: Document, tokens: list[Token], plan: Outline) -> set[int]:
    """The chapters (``heading_open`` indexes) that open a chapter file: they
    start on a right-hand page."""
    starts = sorted(start for _, start in doc.parts)
    chapters = set(plan.chapters)
    found: set[int] = set()
    part = 0  # the next chapter file whose first block is still to be seen
    for i, token in enumerate(tokens):
        if part == len(starts):
            break
        if token.level != 0 or not token.map or token.map[0] < starts[part]:
            continue
        if i in chapters:
            found.add(i)
        while part < len(starts) and starts[part] <= token.map[0]:
            part += 1
    return found


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
    links: LinkResolver | None = None,
    code: CodeText | None = None,
    prefer_heading: bool = True,
    html: RawHTML | None = None,
) -> Edition:
    """Build the :class:`Edition` of ``doc`` in ``lang``.

    ``texts`` maps segment ids to the inline Markdown to show (the source
    when absent); ``states`` maps ids to review states, and every state but
    ``reviewed`` is marked on its block. The edition's title is the text of
    the document's title heading (translated) when it has one and
    ``prefer_heading``, else ``title``. With ``conventions``, text in ``lang`` is set
    with that language's typographic conventions
    (:attr:`pipeline.lang.Language.typography`). ``images`` gives the URL each image
    is shown from (by default, the URL in the Markdown). Headings get the ids
    of ``links`` (made from the source, the same in every language), and links
    into the book go to them; ``code`` gives the text of each code block;
    ``html`` rewrites the raw HTML (by default, a :class:`RawHTML` over ``images``).
    """
    links = links if links is not None else LinkResolver(doc)
    translated = apply.translated_tokens(doc, texts or {})
    # The outline of the text as written: a dead link or a picture that cannot
    # be shown becomes words, which must not make a row of badges a byline.
    plan = outline(translated.tokens)
    _dress(
        translated,
        doc,
        lang=lang,
        source_lang=source_lang,
        states=states or {},
        conventions=conventions,
        images=images,
        links=links,
        code=code,
        html=html,
    )
    tokens = translated.tokens
    shift_headings(tokens, 2 - plan.chapter_level)
    toc = [
        TocEntry(_TOC_LEVELS[tokens[i].tag], anchor, heading)
        for i, anchor, heading in _anchors(tokens, links.ids.by_token)
        if tokens[i].tag in _TOC_LEVELS and tokens[i].level == 0
    ]
    given = prefer_heading and _given(tokens, "title")
    shown = given or (prefer_heading and _title_text(tokens, plan)) or title
    mark = _title_mark(doc, states, lang, source_lang) if given else ""

    sections: list[Section] = []
    if plan.opening:
        body = "".join(translated.render(tokens[a:b]) for a, b in plan.opening)
        sections.append(Section("", body))
    right = _opens_right(doc, tokens, plan)
    for start, end in itertools.pairwise([*plan.chapters, len(tokens)]):
        anchor = str(tokens[start].attrGet("id"))
        body = translated.render(tokens[start:end])
        sections.append(Section(anchor, body, opens_right=start in right))
    return Edition(
        book_id=doc.path.stem,
        lang=lang,
        source_lang=source_lang,
        title=shown,
        author=author,
        title_page_html=_title_page(translated.render, tokens, plan, shown, mark),
        toc=toc,
        sections=sections,
        counts=dict(counts or {}),
        colophon=list(colophon or []),
        description=_given(tokens, "description"),
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


def _row_end(tokens: list[Token], start: int, end: int) -> int:
    """Index just past the block at ``start`` (not past ``end``); an HTML block
    cut at its runs of text, and at its attributes' words, is one block."""
    block_end = min(_block_end(tokens, start), end)
    group = tokens[start].meta.get(HTML_RUN)
    if group is not None:
        while block_end < end and tokens[block_end].meta.get(HTML_RUN) == group:
            block_end += 1
    return block_end


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


def _shown_once(inline: Token) -> bool:
    """Whether a segment's token does not make its row of a bilingual edition
    two columns: an attribute's value (a picture's description, a tooltip),
    the book's title and description (the title pages and the metadata show
    them), or an inline token that holds images and nothing else but spaces."""
    if inline.type in _UNMARKED:
        return True
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
        block_end = _row_end(tokens, i, end)
        opener = tokens[i]
        container = _CONTAINERS.get(opener.type)
        if opener.type == "blockquote_open":
            container = "quote"
        if container is not None and has_segment(i, block_end):
            j, number = i + 1, 0
            while j < block_end - 1:
                child_end = _row_end(tokens, j, block_end - 1)
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
    translated_title: str = "",
    conventions: bool = False,
    images: ImageURLs | None = None,
    links: LinkResolver | None = None,
    code: CodeText | None = None,
    prefer_heading: bool = True,
    html: RawHTML | None = None,
) -> Edition:
    """Build the bilingual :class:`Edition` of ``doc``: source and translation aligned.

    The source is parsed twice, once shown as written and once with each
    segment's translation (``texts``, marked by ``states`` as in
    :func:`assemble`), so both token streams have the same blocks in the same
    places; they are cut into :class:`~pipeline.render.model.Row` pairs, one per
    heading, paragraph, list item and quoted paragraph. A heading of the
    source has the id it has in every edition (``x``), its translation the id
    ``x-<lang>``; links in each column go to the headings of that column.
    ``counts`` and the draft marks concern the translation. ``translated_title``,
    when given, is the translation's title (else its title heading, else ``title``).
    """
    links = links if links is not None else LinkResolver(doc)
    ids = links.ids.by_token
    html = html or RawHTML(images)
    source = apply.translated_tokens(doc, {})
    # The translation's footnote ids differ from the source's: fn-es-1, fnref-es-1.
    translation = apply.translated_tokens(doc, texts or {}, doc_id=target_lang)
    # Both streams have the same blocks: the source's outline (as written, see
    # assemble) is the translation's.
    plan = outline(source.tokens)
    # The ids raw HTML gives in rows shown in both columns: the translation's are
    # renamed. (Rows are cut again once the pictures are dressed, below: a picture
    # that cannot be shown becomes its description, words in both columns; raw
    # HTML is never in a row of pictures only, so both cuts agree on its rows.)
    ranges = [*plan.opening, *itertools.pairwise([*plan.chapters, len(source.tokens)])]
    pictures = {i for i in doc.token_index.values() if not _shown_once(source.tokens[i])}
    twice: set[str] = set()
    for start, end in ranges:
        for span in _spans(source.tokens, start, end, pictures):
            if span.kind != "shared":
                twice |= html_ids_in(_slice(source.tokens, span))
    written = sorted(twice - set(ids.values()))
    taken = {*ids.values(), *html_ids(doc)}
    renamed = {}
    for anchor in [*ids.values(), *written]:
        base, n = f"{anchor}-{target_lang}", 0
        own = base
        while own in taken:
            n += 1
            own = f"{base}-{n}"
        taken.add(own)
        renamed[anchor] = own
    _dress(
        source,
        doc,
        lang=source_lang,
        source_lang=source_lang,
        states={},
        conventions=conventions,
        images=images,
        links=links,
        code=code,
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
        links=links,
        renamed=renamed,
        code=code,
        html=html,
    )
    src, tgt = source.tokens, translation.tokens
    shift_headings(src, 2 - plan.chapter_level)
    shift_headings(tgt, 2 - plan.chapter_level)
    src_heads = _anchors(src, ids)
    tgt_heads = {i: (anchor, heading) for i, anchor, heading in _anchors(tgt, ids, renamed)}
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

    # A figure (a paragraph of images only, or raw HTML whose only words are
    # its pictures' descriptions) is shown once, across both columns.
    segments = {i for i in doc.token_index.values() if not _shown_once(src[i])}

    def rows(ranges: list[tuple[int, int]]) -> list[Row]:
        made = []
        for start, end in ranges:
            for span in _spans(src, start, end, segments):
                source_html = source.render(_slice(src, span))
                translation_html = (
                    None if span.kind == "shared" else translation.render(_slice(tgt, span))
                )
                made.append(Row(span.kind, source_html, translation_html))
        return made

    sections: list[Section] = []
    if plan.opening:
        sections.append(Section("", "", rows(plan.opening)))
    right = _opens_right(doc, src, plan)
    for start, end in itertools.pairwise([*plan.chapters, len(src)]):
        anchor = str(src[start].attrGet("id"))
        sections.append(Section(anchor, "", rows([(start, end)]), opens_right=start in right))
    shown = (prefer_heading and _title_text(src, plan)) or title
    given = not translated_title and prefer_heading and _given(tgt, "title")
    t_shown = translated_title or (prefer_heading and _title_text(tgt, plan)) or title
    mark = _title_mark(doc, states, target_lang, source_lang) if given else ""
    return Edition(
        book_id=doc.path.stem,
        lang=source_lang,
        source_lang=source_lang,
        title=shown,
        author=author,
        title_page_html=_title_page(source.render, src, plan, shown),
        toc=toc,
        sections=sections,
        counts=dict(counts or {}),
        colophon=list(colophon or []),
        translation=Translation(
            lang=target_lang,
            title=t_shown,
            title_page_html=_title_page(translation.render, tgt, plan, t_shown, mark),
            colophon=list(translation_colophon or []),
        ),
    )
