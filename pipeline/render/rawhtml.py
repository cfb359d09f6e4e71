"""Raw HTML in an edition: what a book can show of it, in valid markup.

A Markdown document may hold any HTML; a book edition can show only part of
it, and an EPUB must be valid XHTML. :class:`RawHTML` rewrites the raw HTML of
an edition's tokens (HTML blocks and inline HTML), tag by tag, with the
standard library's HTML parser (:mod:`pipeline.source.htmlscan`):

* ``<img>`` goes through the book's picture handling, like a Markdown image
  (see :class:`pipeline.source.images.ImageEmbedder`): embedded, or replaced by
  its ``alt`` text; ``srcset`` goes. ``<picture>`` keeps only its ``<img>``
  (a ``<source>``'s picture is used when the ``<img>`` has none).
* What cannot be drawn on a page (``<button>``, ``<input>``, ``<form>``,
  ``<iframe>``, ``<video>``, ``<audio>``, ``<object>``, ``<embed>``,
  ``<script>``…) is left out, with one warning naming the file and line; its
  fallback content (what is written between the tags of a ``<video>``, an
  ``<object>``…) is kept.
* An element HTML does not know (``<Listing number="1-1">``, an MDX component
  such as ``<Tabs>``) becomes a ``<div>`` (or a ``<span>`` in running text)
  whose class is its name (``listing``, ``tab-item``) and whose attributes
  become ``data-`` attributes; obsolete elements (``<center>``, ``<font>``…)
  and attributes (``align``) become their modern equivalents.
* ``<details>`` is shown open: a page cannot be clicked to unfold it.
* ``<a href>`` goes through the book's link handling, like a Markdown link
  (see :class:`pipeline.source.links.LinkResolver`): a link into the book
  becomes ``#id``; one that leads nowhere loses its ``href`` (its text stays).

Everything else is kept byte for byte. Nothing here knows about output formats.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from html import escape

from markdown_it.token import Token

from ..source.extensions import TABBED
from ..source.htmlscan import VOID, Piece, names, scan
from ..source.svgclean import clean_data_url, inline_svg

__all__ = ["RawHTML"]

log = logging.getLogger(__name__)

ImageURLs = Callable[[str, int | None], str | None]
LinkURLs = Callable[[str, int | None], str | None]

_KNOWN = frozenset(
    names(
        """
        a abbr address area article aside audio b bdi bdo blockquote body br button
        canvas caption cite code col colgroup data datalist dd del details dfn dialog
        div dl dt em embed fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6
        header hgroup hr i iframe img input ins kbd label legend li main map mark menu
        meter nav noscript object ol optgroup option output p param picture pre progress
        q rp rt ruby s samp script search section select slot small source span strong
        style sub summary sup table tbody td template textarea tfoot th thead time title
        tr track u ul var video wbr svg math
        """
    )
)
"""The elements of HTML (the living standard), those an edition keeps as they are."""

_DROPPED = frozenset(names("script style button select textarea template datalist dialog head"))
"""Elements left out with their content (none of it is meant to be read on a page)."""

_DROPPED_ACROSS = frozenset(names("template dialog head"))
"""Dropped elements that may hold Markdown blocks (a blank line inside them)."""

_DROPPED_VOID = frozenset(names("input embed track param link meta base area"))
"""Empty elements left out."""

_UNWRAPPED = frozenset(names("iframe video audio object canvas form map noscript html body"))
"""Elements whose tags are left out and whose content (their fallback) is kept."""

_SILENT = frozenset(names("noscript map source html body head"))
"""Left out without a word: what they hold is shown, or they are only a choice
among pictures."""

_OBSOLETE = {
    "center": ("div", "text-align: center"),
    "font": ("span", ""),
    "big": ("span", "font-size: larger"),
    "tt": ("code", ""),
    "strike": ("s", ""),
    "acronym": ("abbr", ""),
    "blink": ("span", ""),
    "marquee": ("span", ""),
    "nobr": ("span", "white-space: nowrap"),
}
"""Obsolete elements and what takes their place (element, style)."""

_PHRASING_PARENTS = frozenset(
    names(
        """
        p h1 h2 h3 h4 h5 h6 span a em strong b i u s small sub sup kbd code abbr cite q
        label summary dt legend caption figcaption mark time var samp dfn bdi bdo
        """
    )
)
"""Elements inside which an unknown element is rewritten as a ``<span>``."""

_FOREIGN = frozenset({"math"})
_MATHML = "http://www.w3.org/1998/Math/MathML"
_NUMBER = re.compile(r"\d+")
_ATTR_NAME = re.compile(r"[^a-z0-9_.-]+")


def _matching_end(pieces: list[Piece], start: int) -> int | None:
    """Index of the end tag that closes the element opened at ``pieces[start]``."""
    tag, depth = pieces[start].tag, 0
    if pieces[start].closed:
        return start
    for i in range(start, len(pieces)):
        piece = pieces[i]
        if piece.tag == tag and piece.kind == "start" and not piece.closed:
            depth += 1
        elif piece.tag == tag and piece.kind == "end":
            depth -= 1
            if depth == 0:
                return i
    return None


_TAB_TITLE = '<p class="admonition-title">{}</p>'


def _tab_label(piece: Piece) -> str:
    """The label an MDX ``<TabItem value="npm" label="npm 9">`` shows (its
    value when it has none, as Docusaurus does); ``""`` for another element.
    A page cannot be clicked, so each tab is shown under its label, as a
    content tab of MkDocs is."""
    if piece.tag != "tabitem":
        return ""
    attrs = dict(piece.attrs)
    return (attrs.get("label") or attrs.get("value") or "").strip()


def _class_name(tag: str) -> str:
    """``TabItem`` → ``tab-item``; ``my_widget`` → ``my-widget``."""
    kebab = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", tag)
    return re.sub(r"[^a-z0-9]+", "-", kebab.lower()).strip("-") or "element"


def _start_tag(tag: str, attrs: Iterable[tuple[str, str | None]]) -> str:
    parts = [tag]
    for name, value in attrs:
        parts.append(f'{name}="{escape(value or "", quote=True)}"')
    return "<" + " ".join(parts) + ">"


class RawHTML:
    """Rewrites the raw HTML of one book's editions (see the module's docstring).

    ``images`` gives the URL each picture is shown from (``""``: show its
    description; ``None``: keep the URL); ``links`` the URL each ``<a href>``
    leads to (``#id``; ``""``: nowhere; ``None``: keep the URL); ``where`` names
    a line of the book (``file:line``) in warnings. One instance serves all the
    editions of a book, so that each warning is given once.
    """

    def __init__(
        self,
        images: ImageURLs | None = None,
        where: Callable[[int | None], str] | None = None,
        links: LinkURLs | None = None,
    ) -> None:
        self.images = images
        self.where = where
        self.links = links
        self._links = links
        self._ids: Mapping[str, str] = {}
        self._given: set[str] = set()
        self._warned: set[tuple[int | None, str]] = set()
        # State of one pass over an edition's tokens.
        self._dropping: list[str] = []
        self._renamed: list[tuple[str, str]] = []
        self._open: list[str] = []
        self._foreign = 0
        self._picture: list[str] = []

    # ------------------------------------------------------------------ tokens

    def rewrite(
        self,
        tokens: list[Token],
        renamed: Mapping[str, str] | None = None,
        links: LinkURLs | None = None,
    ) -> None:
        """Rewrite the raw HTML of an edition's tokens in place, in reading order;
        ``links`` (by default the instance's) leads each ``<a href>``, to a
        heading's id ``renamed`` when given (the translation column of a
        bilingual edition)."""
        self._ids = renamed or {}
        self._given = set()
        self._links = links or self.links
        self._dropping, self._renamed, self._open, self._foreign = [], [], [], 0
        self._picture = []
        line: int | None = None
        for token in tokens:
            self._end_of_block(token)
            if token.map:
                line = token.map[0] + 1
            if token.type == "html_block":
                token.content = self._html(token.content, line, block=True)
            elif self._dropping and token.type in {"fence", "code_block"}:
                token.content = ""
            if token.children is None:
                continue
            children = []
            at = line
            for child in self._merge_svg(token.children):
                if child.type in {"softbreak", "hardbreak"} and at is not None:
                    at += 1
                if child.type == "html_inline":
                    child.content = self._html(child.content, at, block=False)
                elif self._dropping:
                    child = Token("text", "", 0)  # inside an element left out
                children.append(child)
            token.children = children

    def _end_of_block(self, token: Token) -> None:
        """Forget an element left open in the block before ``token``, as a browser
        does at the end of a paragraph: a ``<button>`` or ``<math>`` without its
        end tag does not take the rest of the book with it. Only the elements
        that may hold Markdown blocks (``<template>``, ``<dialog>``) stay open,
        up to the next heading."""
        if self._dropping and (
            self._dropping[0] not in _DROPPED_ACROSS or token.type == "heading_open"
        ):
            self._dropping = []
        self._foreign = 0

    # ------------------------------------------------------------------ HTML

    def _html(self, html: str, line: int | None, *, block: bool) -> str:
        if "<" not in html:
            return html
        out: list[str] = []
        pieces = scan(html)
        i = 0
        while i < len(pieces):
            piece = pieces[i]
            at = None if line is None else line + html.count("\n", 0, piece.start)
            if piece.kind == "start" and piece.tag == "svg" and not self._dropping:
                end = _matching_end(pieces, i)
                if end is not None:
                    last = pieces[end]
                    out.append(self._svg(html[piece.start : last.start + len(last.raw)], at))
                    i = end + 1
                    continue
                if not piece.closed:
                    self._warn(
                        at,
                        "svg",
                        "left out: its end tag is not in the same block",
                        "keep the drawing free of blank lines",
                    )
                    self._dropping.append("svg")
                i += 1
                continue
            out.append(self._piece(piece, at, block))
            i += 1
        return "".join(out)

    def _svg(self, markup: str, line: int | None) -> str:
        """An ``<svg>`` drawn in the HTML, made a picture of the book (an
        ``<img>`` with the SVG as a ``data:`` URL), as valid in an EPUB as in print."""
        found = inline_svg(markup)
        if found is None:
            self._warn(line, "svg", "left out: it is not well-formed XML", "check its tags")
            return ""
        data, label = found
        url = "data:image/svg+xml;base64," + base64.b64encode(data).decode("ascii")
        return _start_tag("img", [("src", url), ("alt", label)])

    def _merge_svg(self, children: list[Token]) -> list[Token]:
        """Inline children with each ``<svg>…</svg>`` written in running text
        made one ``html_inline`` token (markdown-it gives one per tag)."""
        merged: list[Token] = []
        i = 0
        while i < len(children):
            child = children[i]
            if child.type == "html_inline" and child.content[:4].lower() == "<svg":
                depth, j, parts = 0, i, []
                while j < len(children):
                    part = children[j]
                    if part.type == "html_inline":
                        lowered = part.content.lower()
                        if lowered.startswith("<svg") and not lowered.endswith("/>"):
                            depth += 1
                        elif lowered.startswith("</svg"):
                            depth -= 1
                        parts.append(part.content)
                    elif part.type in {"softbreak", "hardbreak"}:
                        parts.append("\n")
                    else:
                        parts.append(escape(part.content, quote=False))
                    if depth == 0:
                        break
                    j += 1
                if depth == 0 and j > i:
                    merged.append(child.copy(content="".join(parts)))
                    i = j + 1
                    continue
            merged.append(child)
            i += 1
        return merged

    def _piece(self, piece: Piece, line: int | None, block: bool) -> str:
        tag = piece.tag
        if self._dropping:
            if piece.kind == "end" and tag == self._dropping[-1]:
                self._dropping.pop()
            elif piece.kind == "start" and tag == self._dropping[-1] and not piece.closed:
                self._dropping.append(tag)
            return ""
        if piece.kind not in {"start", "end"}:
            return piece.raw
        if self._foreign:
            if tag in _FOREIGN:
                self._foreign += 1 if piece.kind == "start" and not piece.closed else 0
                self._foreign -= 1 if piece.kind == "end" else 0
            return piece.raw
        if piece.kind == "start":
            return self._start(piece, line, block)
        return self._end(piece, block)

    def _start(self, piece: Piece, line: int | None, block: bool) -> str:
        tag, attrs = piece.tag, piece.attrs
        if tag in _FOREIGN:
            if not piece.closed:
                self._foreign += 1
            if "xmlns" not in dict(attrs):  # MathML in XHTML: an EPUB needs its namespace
                return _start_tag(tag, [*attrs, ("xmlns", _MATHML)])
            return piece.raw
        if tag in _DROPPED:
            if tag not in _SILENT:
                self._warn(line, tag, "left out")
            if not piece.closed:
                self._dropping.append(tag)
            return ""
        if tag == "source" and self._picture:
            srcset = dict(attrs).get("srcset") or ""
            if srcset and not self._picture[-1]:
                self._picture[-1] = srcset.split(",")[0].split()[0]
            return ""
        if tag in _DROPPED_VOID or tag == "source":
            if tag not in _SILENT:
                self._warn(line, tag, "left out")
            return ""
        if tag in _UNWRAPPED:
            if tag not in _SILENT:
                self._warn(line, tag, "left out, its fallback content is shown")
            return ""
        if tag == "picture":
            if not piece.closed:
                self._picture.append("")
            return ""
        if tag == "img":
            return self._img(piece, line)
        if tag == "a" and self._links is not None and dict(attrs).get("href"):
            return self._link(piece, line)
        if tag in _OBSOLETE or tag not in _KNOWN:
            return self._renamed_start(piece, block)
        if not piece.closed and tag not in VOID:
            self._open.append(tag)
        fixed = self._fixed(tag, attrs, line)
        if tag == "details" and "open" not in dict(attrs):
            # A page cannot be clicked: what a reader would unfold is shown.
            return _start_tag(tag, [*fixed, ("open", "")])
        if fixed != list(attrs):
            return _start_tag(tag, fixed)
        return piece.raw

    def _fixed(
        self, tag: str, attrs: Iterable[tuple[str, str | None]], line: int | None
    ) -> list[tuple[str, str | None]]:
        """``attrs`` made valid (:func:`_modern`), with each ``id`` (and ``<a
        name>``) renamed as the edition's column names it (the translation
        column of a bilingual edition repeats the source's HTML), and an id
        given a second time left out: an EPUB's ids are unique."""
        out: list[tuple[str, str | None]] = []
        for name, value in _modern(tag, attrs):
            if value and (name == "id" or (name == "name" and tag == "a")):
                value = self._ids.get(value, value)
                if name == "id":
                    if value in self._given:
                        self._warn(
                            line,
                            tag,
                            f'its id "{value}" is given twice; the second is left out',
                            "give each element an id of its own",
                        )
                        continue
                    self._given.add(value)
            out.append((name, value))
        return out

    def _end(self, piece: Piece, block: bool) -> str:
        tag = piece.tag
        if tag in _DROPPED or tag in _UNWRAPPED or tag in _DROPPED_VOID or tag == "source":
            return ""
        if tag == "picture":
            if self._picture:
                self._picture.pop()
            return ""
        if tag in _OBSOLETE or tag not in _KNOWN:
            for n in range(len(self._renamed) - 1, -1, -1):
                if self._renamed[n][0] == tag:
                    new = self._renamed[n][1]
                    del self._renamed[n:]
                    self._close(new)
                    return f"</{new}>"
            new = _OBSOLETE[tag][0] if tag in _OBSOLETE else ("div" if block else "span")
            return f"</{new}>"
        self._close(tag)
        return piece.raw

    def _close(self, tag: str) -> None:
        if tag in self._open:
            del self._open[len(self._open) - 1 - self._open[::-1].index(tag) :]

    def _renamed_start(self, piece: Piece, block: bool) -> str:
        title = ""  # a tab's label, shown at the top of its box
        if piece.tag in _OBSOLETE:
            new, style = _OBSOLETE[piece.tag]
            attrs = [
                (n, v)
                for n, v in self._fixed(new, piece.attrs, None)
                if n not in {"color", "face", "size"}
            ]
            if style:
                attrs = _with_style(attrs, style)
        else:
            inline = not block or (self._open and self._open[-1] in _PHRASING_PARENTS)
            new = "span" if inline else "div"
            written = piece.raw[1 : 1 + len(piece.tag)]  # the parser lower-cases names
            classes = [_class_name(written if written.lower() == piece.tag else piece.tag)]
            attrs = []
            for name, value in piece.attrs:
                if name == "class":
                    classes.extend((value or "").split())
                elif name == "id":
                    attrs.extend(self._fixed(new, [(name, value)], None))
                elif name in {"lang", "title", "dir", "role"}:
                    attrs.append((name, value))
                else:
                    clean = _ATTR_NAME.sub("-", name).strip("-")
                    if clean:
                        attrs.append((f"data-{clean}", value))
            label = _tab_label(piece) if new == "div" else ""
            if label:
                classes += ["admonition", TABBED]
                title = _TAB_TITLE.format(escape(label, quote=False))
            attrs.insert(0, ("class", " ".join(classes)))
        if not piece.closed:
            self._renamed.append((piece.tag, new))
            self._open.append(new)
            return _start_tag(new, attrs) + title
        return _start_tag(new, attrs) + f"</{new}>"

    def _link(self, piece: Piece, line: int | None) -> str:
        """An ``<a href>``, led where the book's links lead (see ``links``)."""
        attrs = piece.attrs
        url = self._links(dict(attrs).get("href") or "", line) if self._links else None
        if not piece.closed:
            self._open.append("a")
        fixed = self._fixed("a", attrs, line)
        if url is None:
            return piece.raw if fixed == list(attrs) else _start_tag("a", fixed)
        kept = [(n, v) for n, v in fixed if n != "href"]
        if url:
            kept.insert(0, ("href", "#" + self._ids.get(url[1:], url[1:])))
        return _start_tag("a", kept)

    def _img(self, piece: Piece, line: int | None) -> str:
        attrs = dict(piece.attrs)
        src = attrs.get("src") or (self._picture[-1] if self._picture else "")
        kept = [
            (n, v)
            for n, v in self._fixed("img", piece.attrs, line)
            if n not in {"srcset", "sizes", "src"}
        ]
        for dimension in ("width", "height"):
            value = attrs.get(dimension)
            if value is not None and not _NUMBER.fullmatch(value.strip()):
                kept = [(n, v) for n, v in kept if n != dimension]
                kept = _with_style(kept, f"{dimension}: {value.strip()}")
        url = self.images(src, line) if self.images is not None and src else None
        if url == "" or not src:
            return escape(attrs.get("alt") or "", quote=False)
        if "alt" not in attrs:
            kept.append(("alt", ""))  # required; a picture without words is decoration
        return _start_tag("img", [("src", clean_data_url(url or src)), *kept])

    def _warn(
        self,
        line: int | None,
        tag: str,
        what: str,
        hint: str = "keep it out of the Markdown, or link to it instead",
    ) -> None:
        """Say once per book and line that a ``tag`` element is not shown as written."""
        if (line, tag) in self._warned:
            return
        self._warned.add((line, tag))
        place = f"{self.where(line)}: " if self.where is not None else ""
        log.warning("%s<%s> cannot be shown in a book: %s (%s)", place, tag, what, hint)


_SIZED = frozenset(names("img video canvas iframe embed object source input svg audio"))
"""Elements whose ``width`` and ``height`` attributes are still HTML."""

_OBSOLETE_ATTRS = frozenset(
    names(
        """
        align valign bgcolor nowrap cellspacing cellpadding frame rules summary hspace
        vspace char charoff axis bordercolor background
        """
    )
)
"""Attributes that HTML (and so an EPUB) no longer allows, on any element; the
first ones have a style that does what they did (:func:`_modern`)."""

_LENGTH = re.compile(r"(\d+(?:\.\d+)?)(px|%|em)?")


def _modern(tag: str, attrs: Iterable[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    """``attrs`` of a ``tag`` element without the attributes HTML no longer has
    (GitHub READMEs are full of them: ``align``, ``<table width="100%"
    cellpadding="4">``, ``<td nowrap>``), each made the style that does what
    it did, where there is one; an EPUB with them is not valid."""
    kept: list[tuple[str, str | None]] = []
    styles: list[str] = []
    for name, value in attrs:
        value_text = (value or "").strip().lower()
        length = _LENGTH.fullmatch(value_text)
        if name == "align" and value_text in {"left", "right", "center", "justify"}:
            styles.append(f"text-align: {value_text}")
        elif name == "valign" and value_text in {"top", "middle", "bottom", "baseline"}:
            styles.append(f"vertical-align: {value_text}")
        elif name == "bgcolor" and re.fullmatch(r"#?[0-9a-zA-Z]+", value_text):
            styles.append(f"background-color: {value_text}")
        elif name == "nowrap":
            styles.append("white-space: nowrap")
        elif name == "cellspacing" and length and length.group(2) in {None, "px"}:
            styles.append(f"border-spacing: {length.group(1)}px")
        elif name in {"width", "height"} and tag not in _SIZED:
            if length:
                styles.append(f"{name}: {length.group(1)}{length.group(2) or 'px'}")
        elif name == "border" and tag == "table" and value_text not in {"", "1"}:
            pass  # HTML keeps border="1" only (a table with borders)
        elif name == "border" and tag not in {"table", "img"}:
            pass
        elif name.startswith("on"):
            pass  # onclick="…": a script, which a book never runs (an EPUB would be "scripted")
        elif name == "markdown":
            pass  # Python-Markdown's md_in_html switch (MkDocs' grid cards): not HTML
        elif name not in _OBSOLETE_ATTRS:
            kept.append((name, value))
    for style in styles:
        kept = _with_style(kept, style)
    return kept


def _with_style(attrs: list[tuple[str, str | None]], style: str) -> list[tuple[str, str | None]]:
    """``attrs`` with ``style`` added to their ``style`` attribute."""
    for n, (name, value) in enumerate(attrs):
        if name == "style":
            existing = (value or "").strip().rstrip(";")
            attrs = list(attrs)
            attrs[n] = ("style", f"{existing}; {style}" if existing else style)
            return attrs
    return [*attrs, ("style", style)]
