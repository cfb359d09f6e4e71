"""The Markdown extensions people write books with, as markdown-it tokens.

:func:`use` adds them to the one parser (:func:`pipeline.source.markdown.md`).
Each changes parsing only where its syntax is used, and the syntax itself
(markers, attribute lists, templating) never becomes part of a segment's text:

* **attribute lists**: ``## Title {#id .class}``, ``## Title {: #id }``
  (Python-Markdown, kramdown), ``{: .class }`` as the last line of a paragraph,
  ``{#id}`` on the line before a block, ``![x](y){ width=300 }`` and
  ``[x](y){ .md-button }``: the attributes go on the block's or element's token
  (a heading's ``id`` too: the heading's anchor comes from it), the ``{…}`` is
  never part of a heading's or paragraph's segment;
* **admonitions** in the three syntaxes people use: ``!!! note "Title"`` and
  ``???``/``???+`` (Python-Markdown, MkDocs), ``/// note | Title`` … ``///``
  (pymdownx.blocks) and GitHub's ``> [!NOTE]`` alerts (also Docusaurus'
  ``:::note[Title]`` … ``:::``), all made the same tokens: ``admonition_open``
  (``<div class="admonition note" role="note">``), a title
  ``<p class="admonition-title">`` and the body. An explicit title is a
  segment; without one the title is the language's label for the kind
  (:attr:`pipeline.lang.base.Labels.admonitions`, put in by
  :func:`label_admonitions`, the source language's until then);
* **MDX**: ``{/* comments */}`` are dropped, top-level ``import``/``export``
  lines are kept out of the text;
* **templating** (Jinja, Liquid, Hugo shortcodes: ``{% … %}``, ``{{ … }}``) is
  kept verbatim: a line of it alone is a block that is no segment, and inside
  prose it is an atom the engine never sees the inside of (like a code span).
  Jekyll's ``{% highlight lang %}`` … ``{% endhighlight %}`` is a code block;
  ``{% comment %}`` … ``{% endcomment %}`` is dropped;
* **definition lists** (``Term`` / ``: definition``) and **task lists**
  (``- [x] done``): terms and definitions are segments, the checkbox is kept
  (a ☑ or ☐ before the item's text) and never part of a segment.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_block.state_block import StateBlock
from markdown_it.rules_core.state_core import StateCore
from markdown_it.rules_inline.state_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.attrs import attrs_block_plugin, attrs_plugin
from mdit_py_plugins.attrs.parse import ParseError
from mdit_py_plugins.attrs.parse import parse as parse_attrs
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.deflist import deflist_plugin

from ..lang import get as get_language
from .htmlblock import NUMBERED_LAST
from .htmlscan import scan

__all__ = ["ALERTS", "TABBED", "label_admonitions", "use"]

ALERTS = ("note", "tip", "important", "warning", "caution")
"""The kinds of GitHub alert (``> [!NOTE]``); any other ``[!…]`` stays a quotation."""

_SAFE_ATTRIBUTE = re.compile(r"[A-Za-z_:][\w:.-]*")


def _set_attrs(token: Token, attrs: Mapping[str, str]) -> None:
    """Put attributes from an attribute list on a token: classes add up, event
    handlers (``on…``) and names that are no attribute names are left out."""
    for name, value in attrs.items():
        if name.lower().startswith("on") or not _SAFE_ATTRIBUTE.fullmatch(name):
            continue
        if name == "class" and token.attrGet("class"):
            token.attrJoin("class", value)
        else:
            token.attrSet(name, value)


def _attr_list(text: str) -> dict[str, str] | None:
    """The attributes of ``text`` if it is one attribute list and nothing else
    (``{#id .c k=v}``, or kramdown's ``{: #id }``), else ``None``."""
    text = text.strip()
    if not (text.startswith("{") and text.endswith("}")):
        return None
    if text.startswith("{:"):
        text = "{" + text[2:]
    try:
        end, attrs = parse_attrs(text)
    except ParseError:
        return None
    if end != len(text) - 1 or not attrs:
        return None
    return attrs


def _trailing_attr_list(text: str) -> tuple[str, dict[str, str]] | None:
    """``text`` without the attribute list that ends it, and the attributes."""
    stripped = text.rstrip()
    if not stripped.endswith("}"):
        return None
    start = stripped.rfind("{")
    while start >= 0:
        attrs = _attr_list(stripped[start:])
        if attrs is not None:
            return stripped[:start].rstrip(), attrs
        start = stripped.rfind("{", 0, start)
    return None


# --------------------------------------------------------------------------- admonitions

_BLOCKS_PARAMS = re.compile(r"\s*(?P<kind>[A-Za-z][\w-]*)\s*(?:\|\s*(?P<title>.*?))?\s*$")
"""pymdownx.blocks: ``/// note | Title``."""
_COLON_PARAMS = re.compile(
    r"\s*(?P<kind>[A-Za-z][\w-]*)\s*(?:\[(?P<bracket>[^\]]*)\]|(?P<title>[^\s{].*?))?\s*$"
)
"""Docusaurus: ``:::note[Title]`` or ``:::note Title``."""
_ADMON_PARAMS = re.compile(r'\s*(?P<classes>[^"]*?)\s*(?:"(?P<title>.*)")?\s*$')
"""Python-Markdown: ``!!! note extra-class "Title"``."""
_ALERT = re.compile(r"\[!(?P<kind>[A-Za-z]+)\][ \t]*(?:\n|$)")
_OPTION = re.compile(r"\s*(?P<key>[\w-]+)\s*:\s*(?P<value>.*?)\s*$")


class _Lines:
    """Offsets of the lines of a source text."""

    def __init__(self, src: str) -> None:
        self.src = src
        self.starts = [0, *(m.end() for m in re.finditer("\n", src))]

    def text(self, line: int) -> tuple[int, str]:
        """Where 0-based ``line`` starts and its text (without the newline)."""
        start = self.starts[line]
        end = self.src.find("\n", start)
        return start, self.src[start : end if end >= 0 else len(self.src)]

    def marks(self, line: int) -> tuple[tuple[int, int], ...]:
        """A one-line inline token's line marks (see :mod:`pipeline.source.markdown`)."""
        start, text = self.text(line)
        indent = len(text) - len(text.lstrip(" \t"))
        return ((start + indent, start + len(text)),)


def _title_tokens(
    level: int, line: int, *, text: str, label: str | None, marks: Any = None
) -> list[Token]:
    """The title of an admonition: an explicit title (a segment: it has line
    ``marks``) or the label of its kind (``label``, no segment)."""
    opener = Token("admonition_title_open", "p", 1, attrs={"class": "admonition-title"})
    opener.block = True
    opener.level = level
    opener.map = [line, line + 1]
    inline = Token("inline", "", 0, content=text, children=[])
    inline.level = level + 1
    inline.map = [line, line + 1]
    if label is not None:
        opener.meta["label"] = label
    elif marks is not None:
        inline.meta["marks"] = marks
    closer = Token("admonition_title_close", "p", -1)
    closer.block = True
    closer.level = level
    return [opener, inline, closer]


def _default_label(kind: str) -> str:
    return kind.replace("-", " ").replace("_", " ").title()


def _make_admonition(opener: Token, closer: Token, kind: str, classes: Sequence[str]) -> None:
    opener.type, opener.tag = "admonition_open", "div"
    closer.type, closer.tag = "admonition_close", "div"
    opener.attrs = {"class": " ".join(["admonition", kind, *classes])}
    if kind != TABBED:  # a tab is one of several ways to do something, not a note
        opener.attrs["role"] = "note"
    opener.meta = {**opener.meta, "kind": kind}


TABBED = "tabbed"
"""The kind of the box a content tab becomes (see :func:`_tabbed`)."""

_TAB = re.compile(r'===[!+]?[ \t]+"(?P<title>[^"]*)"[ \t]*$')


def _tabbed(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """Content tabs (pymdownx.tabbed, MkDocs Material): ``=== "Linux"`` and,
    indented by four spaces under it, what that tab shows. A page cannot be
    clicked, so each tab is shown, one after the other: a box (an admonition
    of kind ``tabbed``) titled with the tab's label, a segment. Read as plain
    Markdown, the label vanished and the tab's text became a code block."""
    if state.is_code_block(start):
        return False  # indented code
    first = state.bMarks[start] + state.tShift[start]
    match = _TAB.match(state.src, first, state.eMarks[start])
    if match is None or not match["title"].strip():
        return False
    body = start + 1
    while body < end and state.isEmpty(body):
        body += 1
    if body >= end or state.sCount[body] < state.blkIndent + 4:
        return False  # no tab without its content, indented under it
    if silent:
        return True
    old_parent, old_max, old_indent = state.parentType, state.lineMax, state.blkIndent
    state.parentType = "admonition"
    state.blkIndent += 4
    line, was_empty = start, False
    while True:
        line += 1
        if line >= end:
            break
        is_empty = state.sCount[line] < state.blkIndent
        if is_empty and was_empty:
            break
        was_empty = is_empty
        if is_empty and not state.isEmpty(line):
            break  # a line indented less ends the tab
    state.lineMax = line
    token = state.push("admonition_open", "div", 1)
    token.markup = "==="
    token.block = True
    token.info = f'{TABBED} "{match["title"]}"'
    token.map = [start, line]
    state.md.block.tokenize(state, start + 1, line)
    token = state.push("admonition_close", "div", -1)
    token.markup = "==="
    token.block = True
    state.parentType, state.lineMax, state.blkIndent = old_parent, old_max, old_indent
    state.line = line
    return True


def _closer_of(tokens: list[Token], start: int) -> int:
    depth = 0
    for i in range(start, len(tokens)):
        depth += tokens[i].nesting
        if depth == 0:
            return i
    return len(tokens) - 1


def _admonitions(state: StateCore, lines: _Lines) -> None:
    """Make the admonition syntaxes' tokens admonitions, titled."""
    tokens = state.tokens
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.type == "admonition_open" and "kind" not in token.meta:
            _python_markdown(tokens, i, lines)
        elif token.type in {"container_blocks_open", "container_colon_open"}:
            _fenced(tokens, i, lines)
        elif token.type == "blockquote_open":
            _alert(tokens, i)
        i += 1


def _python_markdown(tokens: list[Token], i: int, lines: _Lines) -> None:
    opener = tokens[i]
    closer = tokens[_closer_of(tokens, i)]
    match = _ADMON_PARAMS.match(opener.info)
    assert match is not None  # the pattern matches any line
    kind, *classes = [c.lower() for c in match["classes"].split()] or [""]
    # The plugin's own title (the kind title-cased when there is none) goes.
    if i + 1 < len(tokens) and tokens[i + 1].type == "admonition_title_open":
        del tokens[i + 1 : i + 4]
    if opener.markup.startswith("?"):
        classes.append("collapsible")
    _make_admonition(opener, closer, kind, classes)
    title = match["title"]
    assert opener.map is not None
    line = opener.map[0]
    if title is None:
        tokens[i + 1 : i + 1] = _title_tokens(
            opener.level, line, text=_default_label(kind), label=kind
        )
    elif title.strip():
        start, text = lines.text(line)
        at = start + text.index('"' + title + '"') + 1
        tokens[i + 1 : i + 1] = _title_tokens(
            opener.level, line, text=title, label=None, marks=((at, at + len(title)),)
        )


def _fenced(tokens: list[Token], i: int, lines: _Lines) -> None:
    opener = tokens[i]
    closer_at = _closer_of(tokens, i)
    closer = tokens[closer_at]
    pattern = _BLOCKS_PARAMS if opener.markup.startswith("/") else _COLON_PARAMS
    match = pattern.match(opener.info)
    assert match is not None  # validated by the block rule
    kind = match["kind"].lower()
    title = match.groupdict().get("bracket") or match["title"]
    classes: list[str] = []
    assert opener.map is not None
    line = opener.map[0]
    # pymdownx.blocks: options as indented YAML right after the header line.
    body = tokens[i + 1] if i + 1 < closer_at else None
    if (
        opener.markup.startswith("/")
        and body is not None
        and body.type == "code_block"
        and body.map is not None
        and body.map[0] == line + 1
    ):
        options = [_OPTION.match(o) for o in body.content.splitlines() if o.strip()]
        if options and all(options):
            found = {m["key"]: m["value"] for m in options if m}
            if kind in {"admonition", "details"} and found.get("type"):
                classes.append(kind)
                kind = found["type"].lower()
            del tokens[i + 1]
    if opener.markup.startswith("/") and "details" in {kind, *classes}:
        classes.append("collapsible")
    _make_admonition(opener, closer, kind, classes)
    if title:
        start, text = lines.text(line)
        at = start + text.index(title, len(opener.markup))
        tokens[i + 1 : i + 1] = _title_tokens(
            opener.level, line, text=title, label=None, marks=((at, at + len(title)),)
        )
    else:
        tokens[i + 1 : i + 1] = _title_tokens(
            opener.level, line, text=_default_label(kind), label=kind
        )


def _alert(tokens: list[Token], i: int) -> None:
    """GitHub: a quotation whose first line is ``[!NOTE]`` (or TIP, IMPORTANT,
    WARNING, CAUTION)."""
    if i + 2 >= len(tokens) or tokens[i + 1].type != "paragraph_open":
        return
    inline = tokens[i + 2]
    match = _ALERT.match(inline.content)
    if match is None or match["kind"].lower() not in ALERTS:
        return
    kind = match["kind"].lower()
    opener = tokens[i]
    _make_admonition(opener, tokens[_closer_of(tokens, i)], kind, ["alert"])
    rest = inline.content[match.end() :]
    if rest.strip():
        inline.content = rest
        assert inline.map is not None
        inline.map = [inline.map[0] + 1, inline.map[1]]
        if "marks" in inline.meta:
            inline.meta["marks"] = inline.meta["marks"][1:]
    else:
        del tokens[i + 1 : i + 4]
    assert opener.map is not None
    tokens[i + 1 : i + 1] = _title_tokens(
        opener.level, opener.map[0], text=_default_label(kind), label=kind
    )


def label_admonitions(tokens: Sequence[Token], lang: str) -> None:
    """Give each admonition without a title of its own the label of its kind in
    ``lang`` (the kind, as written, when the language has no label for it)."""
    labels = get_language(lang).labels.admonitions
    for i, token in enumerate(tokens):
        kind = token.meta.get("label") if token.type == "admonition_title_open" else None
        if kind is None:
            continue
        text = labels.get(kind) or _default_label(kind)
        inline = tokens[i + 1]
        inline.content = text
        inline.children = [Token("text", "", 0, content=text)]


def _valid_blocks(params: str, markup: str) -> bool:
    return _BLOCKS_PARAMS.match(params) is not None


def _valid_colon(params: str, markup: str) -> bool:
    return _COLON_PARAMS.match(params) is not None


# --------------------------------------------------------------------------- attribute lists


def _attribute_lists(state: StateCore) -> None:
    """Take attribute lists off the end of headings and paragraphs and put them
    on the block (kramdown and Python-Markdown write them there)."""
    tokens = state.tokens
    i = 0
    while i + 1 < len(tokens):
        opener, inline = tokens[i], tokens[i + 1]
        if inline.type != "inline":
            i += 1
            continue
        if opener.type == "heading_open":
            found = _trailing_attr_list(inline.content)
            if found is not None and found[0]:
                inline.content = found[0]
                _set_attrs(opener, found[1])
        elif opener.type == "paragraph_open":
            head, _, last = inline.content.rpartition("\n")
            attrs = _attr_list(last) if last.lstrip().startswith("{:") else None
            if attrs is not None and head.strip():
                inline.content = head
                _set_attrs(opener, attrs)
            elif attrs is not None:
                # A line of attributes alone: kramdown's IAL for the block before.
                del tokens[i : i + 3]
                continue
        i += 1


def _with_span(rule: Callable[[StateInline, bool], bool]) -> Callable[[StateInline, bool], bool]:
    """Wrap the inline attribute-list rule so that the element it applies to
    keeps ``{…}`` in its source range (a link's closing markup, an image), so
    the attribute list goes with the element into every translation."""

    def wrapped(state: StateInline, silent: bool) -> bool:
        ok = rule(state, silent)
        if ok and not silent and state.tokens and "span" in state.tokens[-1].meta:
            start, _ = state.tokens[-1].meta["span"]
            state.tokens[-1].meta["span"] = (start, state.pos)
        return ok

    return wrapped


def _kramdown_inline(state: StateInline, silent: bool) -> bool:
    """kramdown's ``[text](url){: .class }`` and ``![x](y){: width="300" }``."""
    if state.pending or not state.tokens or not state.src.startswith("{:", state.pos):
        return False
    last = state.tokens[-1]
    if last.type not in {"image", "link_close"}:
        return False
    end = state.src.find("}", state.pos, state.posMax)
    attrs = _attr_list(state.src[state.pos : end + 1]) if end > 0 else None
    if attrs is None:
        return False
    if not silent:
        target = last
        if last.type == "link_close":
            depth = 0
            for token in reversed(state.tokens):
                depth += token.nesting if token.type in {"link_open", "link_close"} else 0
                if token.type == "link_open" and depth == 0:
                    target = token
                    break
        _set_attrs(target, attrs)
    state.pos = end + 1
    return True


# --------------------------------------------------------------------------- task lists

_TASK = re.compile(r"\[([ xX])\](?:[ \t]+|$)")


def _task_lists(state: StateCore) -> None:
    """``- [ ] to do``, ``- [x] done``: the box is marked on the list item."""
    tokens = state.tokens
    for i in range(len(tokens) - 2):
        item, para, inline = tokens[i], tokens[i + 1], tokens[i + 2]
        if (
            item.type != "list_item_open"
            or para.type != "paragraph_open"
            or inline.type != "inline"
        ):
            continue
        match = _TASK.match(inline.content)
        if match is None or not inline.content[match.end() :].strip():
            continue
        inline.content = inline.content[match.end() :]
        item.meta["task"] = match[1] != " "
        item.attrJoin("class", "task-list-item")
        for j in range(i - 1, -1, -1):
            if tokens[j].nesting == 1 and tokens[j].level == item.level - 1:
                if "contains-task-list" not in str(tokens[j].attrGet("class") or ""):
                    tokens[j].attrJoin("class", "contains-task-list")
                break


def _render_list_item(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    html: str = self.renderToken(tokens, idx, options, env)
    task = tokens[idx].meta.get("task")
    if task is None:
        return html
    box = "\u2611" if task else "\u2610"
    return f'{html}<span class="task-box">{box}</span> '


# --------------------------------------------------------------------------- templating, MDX

_TEMPLATE = re.compile(r"\{%-?.*?-?%\}|\{\{.*?\}\}", re.S)
_TEMPLATE_LINE = re.compile(r"[ \t]*(?:(?:\{%-?.*?-?%\}|\{\{.*?\}\})[ \t]*)+")
_TAG_NAME = re.compile(r"\{%-?\s*(\w+)\s*(.*?)\s*-?%\}|\{\{<\s*(highlight)\s+(.*?)\s*>\}\}")
"""A Liquid tag (``{% highlight ruby %}``) or Hugo's highlight shortcode, with its arguments."""


def _closing(name: str, hugo: bool) -> re.Pattern[str]:
    if hugo:
        return re.compile(r"[ \t]*\{\{<\s*/" + name + r"\s*>\}\}[ \t]*")
    return re.compile(r"[ \t]*\{%-?\s*end" + name + r"\s*-?%\}[ \t]*")


_MDX_COMMENT = re.compile(r"\{/\*.*?\*/\}", re.S)
_MDX_ESM = re.compile(
    r"import\s+(?:['\"]|\*\s+as\s|(?:type\s+)?\{\s*$|.*\bfrom\s+['\"])"
    r"|export\s+(?:default\s|(?:const|let|var)\s+\w+\s*=|(?:async\s+)?function\b|class\s|\{)"
)


def _template_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """Lines of templating alone (``{% if x %}``, ``{{ include "a" }}``): kept
    verbatim, never a segment; Jekyll's highlight and comment tags and Hugo's
    highlight shortcode."""
    if state.is_code_block(start):
        return False
    pos, maximum = state.bMarks[start] + state.tShift[start], state.eMarks[start]
    if not state.src.startswith(("{%", "{{"), pos):
        return False
    figure = _figure_lines(state, start, end)
    if figure is not None:
        if not silent:
            # Raw HTML from here on: its caption is translated, its picture embedded.
            token = state.push("html_block", "", 0)
            token.content, stop = figure
            token.map = [start, stop]
            state.line = stop
        return True
    if not _TEMPLATE_LINE.fullmatch(state.src, pos, maximum):
        return False
    if silent:
        return True
    address = _embedded_address(state.src[pos:maximum].rstrip())
    if address is not None:
        # A page cannot play it: its address, as a link a reader can follow or type.
        opener = state.push("paragraph_open", "p", 1)
        opener.attrs = {"class": "embed"}
        opener.map = [start, start + 1]
        inline = state.push("inline", "", 0)
        inline.content, inline.map, inline.children = f"<{address}>", [start, start + 1], []
        state.push("paragraph_close", "p", -1)
        state.line = start + 1
        return True
    tag = _TAG_NAME.fullmatch(state.src, pos, maximum)
    hugo = tag is not None and tag[3] is not None
    name = (tag[3] or tag[1]) if tag else ""
    arguments = (tag[4] or tag[2] or "") if tag else ""
    if name in {"highlight", "comment", "raw"}:
        closing = _closing(name, hugo)
        line = start + 1
        while line < end:
            if closing.fullmatch(state.src, state.bMarks[line], state.eMarks[line]):
                break
            line += 1
        if line < end:
            body = state.getLines(start + 1, line, state.blkIndent, True)
            if name == "highlight":
                token = state.push("fence", "code", 0)
                token.info = arguments.split()[0] if arguments else ""
                token.content = body
                token.markup = "```"
            elif name == "comment":
                token = state.push("template_comment", "", 0)
                token.content = body
            else:
                token = state.push("template_block", "", 0)
                token.content = state.getLines(start, line + 1, state.blkIndent, False)
            token.map = [start, line + 1]
            state.line = line + 1
            return True
    line = start + 1
    while line < end and _TEMPLATE_LINE.fullmatch(
        state.src, state.bMarks[line] + state.tShift[line], state.eMarks[line]
    ):
        line += 1
    token = state.push("template_block", "", 0)
    token.content = state.getLines(start, line, state.blkIndent, False)
    token.map = [start, line]
    state.line = line
    return True


_ENTITY_AHEAD = re.compile(r"#?\w+;")
_FIGURE_START = re.compile(r"\{\{[<%]\s*figure(?:\s|$)")


def _figure_lines(state: StateBlock, start: int, end: int) -> tuple[str, int] | None:
    """Hugo's figure shortcode from line ``start`` (its parameters may go on over
    the lines after it, up to a blank line): its HTML and the line after it."""
    pos = state.bMarks[start] + state.tShift[start]
    if not _FIGURE_START.match(state.src, pos, state.eMarks[start]):
        return None
    line = start
    while line < end and not state.isEmpty(line):
        text = state.src[state.bMarks[line] : state.eMarks[line]].rstrip()
        if text.endswith("}}"):
            shortcode = state.getLines(start, line + 1, state.blkIndent, False)
            html = _hugo_figure(" ".join(shortcode.split()), state.md)
            return None if html is None else (html, line + 1)
        line += 1
    return None


def _hugo_figure(line: str, parser: MarkdownIt) -> str | None:
    """Hugo's ``{{< figure src="…" caption="…" >}}`` as the HTML it makes (a
    ``<figure>`` with its picture and a ``<figcaption>``), or None for any
    other line (a parameter given by position, a figure without ``src``)."""
    tag = _shortcode(line.strip())
    args = _shortcode_args(tag[3]) if tag is not None and tag[2] == "figure" else None
    if tag is None or tag[1] or args is None or args[0]:
        return None
    values = args[1]
    if not values.get("src"):
        return None

    def start(name: str, *attrs: tuple[str, str]) -> str:
        return f"<{name}" + "".join(f' {n}="{escapeHtml(v)}"' for n, v in attrs) + ">"

    # Without an alt, the caption describes the picture (Hugo repeats it in the
    # alt; a reviewer would translate it twice).
    sizes = [(name, values[name]) for name in ("width", "height") if values.get(name)]
    picture = start("img", ("src", values["src"]), ("alt", values.get("alt", "")), *sizes)
    if values.get("link"):
        picture = start("a", ("href", values["link"])) + picture + "</a>"
    figure = start("figure", ("class", values["class"])) if values.get("class") else "<figure>"
    lines = [figure, picture]
    caption = []
    if values.get("title"):
        caption.append(f'<p class="figure-title">{escapeHtml(values["title"])}</p>')
    if values.get("caption"):
        caption.append(f"<p>{_shown_html(parser, values['caption'])}</p>")
    if values.get("attr"):
        credit = _shown_html(parser, values["attr"])
        if values.get("attrlink"):
            credit = start("a", ("href", values["attrlink"])) + credit + "</a>"
        caption.append(f'<p class="attribution">{credit}</p>')
    if caption:
        lines += ["<figcaption>", *caption, "</figcaption>"]
    return "".join([*lines, "</figure>\n"])  # one line: its segments are at the shortcode's


_SHORTCODE_LINE = re.compile(r"\{\{([<%])\s*(/?)([\w-]+)(.*?)\s*([>%])\}\}")
_SHORTCODE_ARG = re.compile(
    r'\s*(?:([A-Za-z][\w-]*)\s*=\s*)?(?:"((?:[^"\\]|\\.)*)"|`([^`]*)`|([^\s"`=]+))'
)
_HUGO_BOXES = frozenset({"notice", "alert", "callout", "hint", "admonition", "pageinfo", "tab"})
"""The shortcodes of Hugo themes that put their content in a box (hugo-notice,
Learn and Relearn's ``notice``, Docsy's ``alert`` and ``pageinfo``, Hextra's
``callout``, hugo-book's ``hint``, LoveIt's ``admonition``; a ``tab`` of
Docsy, hugo-book or Hextra is a content tab's box, under its ``header``)."""
_HUGO_TAB_SETS = frozenset({"tabpane", "tabs"})
"""The shortcodes around tabs: a page shows the tabs one after the other, so
their lines show nothing. A Hextra tab set names its tabs (``items="JSON,YAML"``)
by place: the first name heads the first tab, unless it has a header of its own."""
_TAB_NAMES = "pipeline_hugo_tab_names"
"""Environment key while the block rules run: for each open Hextra tab set,
the line that closes it and the names its tabs still have to take, each with
where it is in the source."""
_ONE_LINE_TAB = re.compile(
    r"(\{\{([<%])\s*tab\b((?:(?!\}\}).)*?)\s*([>%])\}\})((?:(?!\{\{).)*?)"
    r"\{\{\2\s*/tab\s*\4\}\}\s*"
)
"""A tab on one line, as Hextra writes them: ``{{< tab >}}**JSON**: …{{< /tab >}}``."""
_DOCSY_COLOURS = {"primary": "note", "secondary": "note", "light": "note", "dark": "note"}
"""Docsy's alert colours that are no kind of box (``info``, ``warning`` and
``danger`` are)."""


def _shortcode(line: str) -> tuple[str, bool, str, str, int] | None:
    """A line that is one Hugo shortcode tag: (delimiter, closing, name,
    arguments, where the arguments start in the line)."""
    match = _SHORTCODE_LINE.fullmatch(line)
    if match is None or {match[1], match[5]} not in ({"<", ">"}, {"%"}) or "}}" in match[4]:
        return None  # (two tags on the line: a one-line tab, a whole tab set)
    return match[1], bool(match[2]), match[3].lower(), match[4], match.start(4)


def _shortcode_args(arguments: str) -> tuple[list[str], dict[str, str], dict[str, int]] | None:
    """A shortcode's arguments: by position, by name, and where each named or
    positional (``"0"``, ``"1"``…) value starts in ``arguments``."""
    positional: list[str] = []
    named: dict[str, str] = {}
    where: dict[str, int] = {}
    pos = 0
    while pos < len(arguments):
        arg = _SHORTCODE_ARG.match(arguments, pos)
        if arg is None or arg.end() == pos:
            return None
        group = 2 if arg[2] is not None else 3 if arg[3] is not None else 4
        value = arg[group].replace('\\"', '"') if group == 2 else arg[group]
        key = arg[1].lower() if arg[1] else str(len(positional))
        if arg[1]:
            named[key] = value
        else:
            positional.append(value)
        where[key] = arg.start(group)
        pos = arg.end()
    return positional, named, where


def _hugo_box(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """A Hugo theme's box shortcode (:data:`_HUGO_BOXES`): ``{{% notice tip %}}``
    … ``{{% /notice %}}``, ``{{< alert title="Warning" color="warning" >}}`` …: an
    admonition of its kind, titled with its title (a segment) or its kind's label
    in each language, its content Markdown. Shown as written, the shortcode's
    tags were code in the middle of the text."""
    if state.is_code_block(start):
        return False
    pos, maximum = state.bMarks[start] + state.tShift[start], state.eMarks[start]
    if not state.src.startswith("{{", pos):
        return False
    line = state.src[pos:maximum].rstrip()
    tag = _shortcode(line)
    if tag is not None and tag[2] in _HUGO_TAB_SETS:
        if not silent:
            _tab_set(state, tag, start)
            state.line = start + 1
        return True
    one_line = _ONE_LINE_TAB.fullmatch(line)
    if one_line is not None:
        delimiter, name, arguments = one_line[2], "tab", one_line[3]
        offset = one_line.start(3)
    elif tag is None or tag[1] or tag[2] not in _HUGO_BOXES:
        return False
    else:
        delimiter, _, name, arguments, offset = tag
    args = _shortcode_args(arguments)
    if args is None:
        return False
    close = start if one_line is not None else _closing_line(state, start, end, name)
    if close is None:
        return False  # never closed, or outside its container: templating, as written
    if silent:
        return True
    positional, named, where = args
    kind, title_key = _box_kind(name, positional, named)
    old_parent, old_max = state.parentType, state.lineMax
    state.parentType = "admonition"
    state.lineMax = close
    opener = state.push("admonition_open", "div", 1)
    opener.markup, opener.block, opener.map = "{{" + delimiter, True, [start, close + 1]
    title = named.get(title_key, "") if title_key.isalpha() else ""
    if title_key.isdigit() and len(positional) > int(title_key):
        title = positional[int(title_key)]
    at, title_line = pos + offset + where.get(title_key, 0), start
    given = _tab_name(state, start) if name == "tab" else None
    if given is not None and not title.strip():
        title, at, title_line = given
    heading: list[Token] = []
    if title.strip():
        marks = ((at, at),)
        heading = _title_tokens(opener.level, title_line, text=title, label=None, marks=marks)
        heading[1].meta[NUMBERED_LAST] = True  # words read where none were: no id moves
    elif kind != TABBED:  # a tab without a header has no title (Hextra names it above)
        heading = _title_tokens(opener.level, start, text=_default_label(kind), label=kind)
    state.tokens.extend(heading)
    if one_line is not None:
        _one_line_content(state, start, pos + one_line.start(5), one_line[5])
    elif name == "tab" and named.get("lang"):
        # Docsy: a tab with a language holds code, not Markdown.
        code = state.push("fence", "code", 0)
        code.info, code.markup, code.map = named["lang"], "```", [start + 1, close]
        code.content = state.getLines(start + 1, close, state.blkIndent, True)
    else:
        state.md.block.tokenize(state, start + 1, close)
    closer = state.push("admonition_close", "div", -1)
    closer.block, closer.markup = True, opener.markup
    _make_admonition(opener, closer, kind, [])
    state.parentType, state.lineMax = old_parent, old_max
    state.line = close + 1
    return True


def _closing_line(state: StateBlock, start: int, end: int, name: str) -> int | None:
    """The line before ``end`` of the tag that closes the ``name`` shortcode
    opened on ``start`` (others of its name nest), or ``None``: never closed,
    or closed outside the list item or box it opens in."""
    depth = 1
    for close in range(start + 1, end):
        if not state.isEmpty(close) and state.sCount[close] < state.blkIndent:
            return None
        text = state.src[state.bMarks[close] + state.tShift[close] : state.eMarks[close]]
        found = _shortcode(text.rstrip())
        if found is not None and found[2] == name:
            depth += -1 if found[1] else 1
            if depth == 0:
                return close
    return None


def _tab_set(state: StateBlock, tag: tuple[str, bool, str, str, int], line: int) -> None:
    """A tab set's opening line: its names (Hextra's ``items``), when it closes
    in the same container, wait for its tabs, the first for its first tab."""
    _, closing, name, arguments, offset = tag
    args = _shortcode_args(arguments)
    items = args[1].get("items", "") if args is not None and not closing else ""
    if not items or args is None:
        return
    close = _closing_line(state, line, state.lineMax, name)
    if close is None:
        return  # it closes outside the list item or box it opens in, or never
    at = state.bMarks[line] + state.tShift[line] + offset + args[2]["items"]
    names: list[tuple[str, int, int]] = []
    for item in items.split(","):
        names.append((item.strip(), at + len(item) - len(item.lstrip()), line))
        at += len(item) + 1
    state.env.setdefault(_TAB_NAMES, []).append((close, names))


def _tab_name(state: StateBlock, line: int) -> tuple[str, int, int] | None:
    """The name the innermost open tab set gives the tab on ``line``, by its
    place among the set's tabs (a tab that names itself still takes its
    place), or ``None``."""
    sets: list[tuple[int, list[tuple[str, int, int]]]] = state.env.get(_TAB_NAMES, [])
    while sets and sets[-1][0] < line:
        sets.pop()  # closed before this line
    if not sets or not sets[-1][1]:
        return None
    name = sets[-1][1].pop(0)
    return name if name[0] else None


def _one_line_content(state: StateBlock, line: int, at: int, content: str) -> None:
    """The content of a tab written on one line: a paragraph, at ``at`` in the source."""
    words = content.strip()
    if not words:
        return
    at += len(content) - len(content.lstrip())
    opener = state.push("paragraph_open", "p", 1)
    opener.map = [line, line + 1]
    inline = state.push("inline", "", 0)
    inline.content, inline.map, inline.children = words, [line, line + 1], []
    inline.meta["marks"] = ((at, at + len(words)),)
    inline.meta[NUMBERED_LAST] = True  # words read where none were: no id moves
    state.push("paragraph_close", "p", -1)


def _box_kind(name: str, positional: list[str], named: dict[str, str]) -> tuple[str, str]:
    """The kind of a box shortcode's admonition, and the argument that titles
    it (a name, or a position as a digit)."""
    first = positional[0].lower() if positional else ""
    if name == "alert":
        colour = (named.get("color") or "primary").lower()
        return _DOCSY_COLOURS.get(colour, colour), "title"
    if name == "pageinfo":
        return "info", "title"
    if name == "hint":
        return first or "note", "title"
    if name == "tab":
        return TABBED, next((key for key in ("header", "title", "name") if key in named), "0")
    # notice, callout, admonition: a kind first or by name, then a title.
    kind = (named.get("style") or named.get("type") or first or "note").lower()
    return kind, "title" if "title" in named or len(positional) < 2 else "1"


def _shown_html(parser: MarkdownIt, markdown: str) -> str:
    """Inline Markdown as HTML, its text's quotes and ampersands left as they
    are (``&quot;``, ``&amp;`` would be what a translator reads in the
    catalogue)."""
    pieces = scan(parser.renderInline(markdown))
    out = []
    for n, piece in enumerate(pieces):
        after = pieces[n + 1].raw if n + 1 < len(pieces) else ""
        if piece.kind == "ref" and piece.raw == "&quot;":
            out.append('"')
        elif piece.kind == "ref" and piece.raw == "&amp;" and not _ENTITY_AHEAD.match(after):
            out.append("&")
        else:
            out.append(piece.raw)
    return "".join(out)


_EMBEDS = {
    "youtube": "https://www.youtube.com/watch?v={id}",
    "vimeo": "https://vimeo.com/{id}",
    "instagram": "https://www.instagram.com/p/{id}/",
    "gist": "https://gist.github.com/{user}/{id}",
    "x": "https://x.com/{user}/status/{id}",
    "tweet": "https://x.com/{user}/status/{id}",
}
"""Hugo's embedding shortcodes, and the address of what each embeds (its
``id``, and for some its ``user``: by name, or by position in that order, a
gist's user first)."""
_EMBED_PART = re.compile(r"[\w.-]+")


def _embedded_address(line: str) -> str | None:
    """The address of what a line holding one of Hugo's embedding shortcodes
    (``{{< youtube w7Ft2ymGmfc >}}``, ``{{< gist spf13 7896402 >}}``) embeds, or None."""
    tag = _shortcode(line)
    if tag is None or tag[1] or tag[2] not in _EMBEDS:
        return None
    args = _shortcode_args(tag[3])
    if args is None:
        return None
    positional, named, _ = args
    pattern = _EMBEDS[tag[2]]
    wanted = ["user", "id"] if "{user}" in pattern else ["id"]
    values = dict(zip(wanted, positional, strict=False)) | {
        key: named[key] for key in wanted if key in named
    }
    if tag[2] in {"x", "tweet"} and "user" not in values:
        return None  # an old tweet shortcode by id alone: no address to give
    if set(wanted) - set(values) or not all(_EMBED_PART.fullmatch(v) for v in values.values()):
        return None
    return pattern.format(**values)


def _mdx_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """An MDX comment ``{/* … */}`` alone, or top-level ``import``/``export``
    lines (to the next blank line): kept out of the text."""
    if state.is_code_block(start):
        return False
    pos, maximum = state.bMarks[start] + state.tShift[start], state.eMarks[start]
    if state.src.startswith("{/*", pos):
        close = state.src.find("*/}", pos)
        if close < 0:
            return False
        last = state.src.count("\n", pos, close) + start
        after = close + 3
        if last >= end or state.src[after : state.eMarks[last]].strip():
            return False
        kind = "mdx_comment"
        stop = last + 1
    elif state.level == 0 and state.blkIndent == 0 and _MDX_ESM.match(state.src, pos, maximum):
        kind = "mdx_esm"
        stop = start + 1
        while stop < end and not state.isEmpty(stop):
            stop += 1
    else:
        return False
    if silent:
        return True
    token = state.push(kind, "", 0)
    token.content = state.getLines(start, stop, 0, False)
    token.map = [start, stop]
    state.line = stop
    return True


_HUGO_REF = re.compile(r'\(\{\{([<%])\s*(?:rel)?ref\s+"([^"\n]+)"\s*([>%])\}\}\)')


def _hugo_ref(target: str) -> str:
    """The URL a Hugo ``ref`` names, as a link into the book: a page named
    without its ``.md`` gets it (``install#setup`` → ``install.md#setup``)."""
    path, hash_mark, fragment = target.partition("#")
    if path and not path.endswith("/") and "." not in path.rsplit("/", 1)[-1]:
        path += ".md"
    return path + hash_mark + fragment


def _inline_hugo_ref(state: StateInline, silent: bool) -> bool:
    """A link whose destination is Hugo's ``ref`` or ``relref`` shortcode
    (``[Install]({{< ref "install.md" >}})``): a link to that page of the book.
    Read as plain Markdown it was no link: its brackets and the shortcode were
    shown as text."""
    if state.src[state.pos] != "[" or state.linkLevel > 0:
        return False
    label_end = state.md.helpers.parseLinkLabel(state, state.pos, True)
    if label_end < 0:
        return False
    match = _HUGO_REF.match(state.src, label_end + 1, state.posMax)
    if match is None or {match[1], match[3]} not in ({"<", ">"}, {"%"}):
        return False
    if not silent:
        old_max = state.posMax
        state.pos, state.posMax = state.pos + 1, label_end
        token = state.push("link_open", "a", 1)
        token.attrs = {"href": state.md.normalizeLink(_hugo_ref(match[2]))}
        state.linkLevel += 1
        state.md.inline.tokenize(state)
        state.linkLevel -= 1
        state.push("link_close", "a", -1)
        state.posMax = old_max
    state.pos = match.end()
    return True


def _inline_template(state: StateInline, silent: bool) -> bool:
    """``{{ x }}``, ``{% x %}`` inside prose: kept whole, as written."""
    if not state.src.startswith(("{{", "{%"), state.pos):
        return False
    match = _TEMPLATE.match(state.src, state.pos, state.posMax)
    if match is None:
        return False
    if not silent:
        token = state.push("template_inline", "", 0)
        token.content = match.group()
    state.pos = match.end()
    return True


_KEYS = re.compile(r"\+\+([A-Za-z0-9][\w-]*(?:\+[A-Za-z0-9][\w-]*)*)\+\+")
_KEY_NAMES = {"pgup": "PgUp", "pgdn": "PgDn", "capslock": "Caps Lock"}
"""Key labels that title case does not give (``ctrl`` → Ctrl does)."""


_ONE_KEY = re.compile(
    r"f\d{1,2}|enter|return|esc|escape|tab|space|backspace|del|delete|ins|insert|home|end"
    r"|page-up|page-down|pgup|pgdn|up|down|left|right|arrow-(?:up|down|left|right)|shift|ctrl"
    r"|control|alt|option|cmd|command|win|windows|meta|super|fn|caps-?lock|print-?screen"
    r"|pause|break|menu|num-?lock|scroll-?lock"
)
"""Keys written alone (``++enter++``); one letter alone (``++i++``) is no key."""


def key_name(name: str) -> str:
    """The label of a key as pymdownx.keys writes it: ``ctrl`` → Ctrl,
    ``page-up`` → Page Up, ``f5`` → F5, ``c`` → C."""
    lowered = name.lower()
    if lowered in _KEY_NAMES:
        return _KEY_NAMES[lowered]
    return lowered.replace("-", " ").title()


def _inline_keys(state: StateInline, silent: bool) -> bool:
    """pymdownx.keys: ``++ctrl+alt+del++``, shown as keys (``<kbd>``) and
    never sent to an engine (Apertium makes "Home" a house)."""
    if not state.src.startswith("++", state.pos):
        return False
    match = _KEYS.match(state.src, state.pos, state.posMax)
    if match is None:
        return False
    keys = match.group(1).split("+")
    if len(keys) == 1 and not _ONE_KEY.fullmatch(keys[0].lower()):
        return False  # "++i++" is C, not a key
    if not silent:
        token = state.push("keys", "kbd", 0)
        token.content = token.markup = match.group()
        token.meta["keys"] = [key_name(key) for key in match.group(1).split("+")]
    state.pos = match.end()
    return True


_SHORTCODE = re.compile(r"(?<![\w:/]):([a-z0-9+-][a-z0-9_+-]*):(?![\w:/])")
_ICON_SETS = ("material-", "fontawesome-", "octicons-", "simple-")
"""MkDocs Material's icon shortcodes (``:material-check:``): drawings of its
theme, which a book does not have."""


def _emojize(shortcode: str) -> str:
    """The emoji a shortcode names, or the shortcode itself (the emoji library,
    imported the first time a page has a ``:word:``: it takes 40 ms)."""
    import emoji

    return str(emoji.emojize(shortcode, language="alias"))


def _inline_emoji(state: StateInline, silent: bool) -> bool:
    """Emoji shortcodes (``:smile:``, GitHub's and pymdownx.emoji's): the emoji
    itself in the editions, and never words for an engine (``:smile:`` would
    come back ``:sonrisa:``). MkDocs Material's icons (``:material-check:``)
    are left out, with the attribute list that sizes or colours them
    (``:material-clock-fast:{ .lg .middle }``, as Material's grid cards have
    them). Any other ``:word:`` stays text."""
    if state.src[state.pos] != ":":
        return False
    match = _SHORTCODE.match(state.src, state.pos, state.posMax)
    if match is None:
        return False
    name = match.group(1)
    icon = name.startswith(_ICON_SETS)
    shown = "" if icon else _emojize(match.group())
    if not icon and shown == match.group():
        return False  # no emoji by that name: a word between colons
    end = match.end()
    if state.src.startswith("{", end):
        close = state.src.find("}", end, state.posMax)
        if close > 0 and _attr_list(state.src[end : close + 1]) is not None:
            end = close + 1  # its attributes: for the icon's or emoji's own element
    if not silent:
        token = state.push("emoji", "", 0)
        token.content = shown
        token.markup = state.src[state.pos : end]
    state.pos = end
    return True


def _render_keys(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    keys = "+".join(f"<kbd>{escapeHtml(key)}</kbd>" for key in tokens[idx].meta["keys"])
    return f'<kbd class="keys">{keys}</kbd>'


_ABBREVIATION = re.compile(r"\*\[[^\]\s*]+\]:[ \t]*\S(?:[^\n]*[^\n*])?")
"""``*[HTML]: Hyper Text Markup Language``: one word in the brackets, and no
``*`` at the end (``*[Deprecated]: use foo instead.*`` is emphasis)."""
_SNIPPET = re.compile(r"-{2,}8<-{2,}[ \t]+(?:\"[^\"\n]+\"|'[^'\n]+')[ \t]*")
_SNIPPET_FENCE = re.compile(r"-{2,}8<-{2,}[ \t]*")


def _abbreviations(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """Python-Markdown's abbreviation definitions (``*[HTML]: Hyper Text
    Markup Language``), lines of their own: MkDocs shows them only as the
    tooltip of each "HTML" on the page, so an edition does not show them (read
    as Markdown, they were a paragraph, translated)."""
    if state.is_code_block(start):
        return False
    line = start
    while line < end:
        begin = state.bMarks[line] + state.tShift[line]
        if not _ABBREVIATION.fullmatch(state.src, begin, state.eMarks[line]):
            break
        line += 1
    if line == start:
        return False
    if not silent:
        token = state.push("abbreviations", "", 0)
        token.content = state.src[state.bMarks[start] : state.eMarks[line - 1]]
        token.map = [start, line]
        token.block = True
    state.line = line
    return True


def _snippet(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """pymdownx.snippets: a line ``--8<-- "file.md"`` includes a file of the
    MkDocs project, whose base folder pipeline does not know: the line is kept
    as written, like templating (a ``template_block``), and is no segment."""
    if state.is_code_block(start):
        return False
    begin = state.bMarks[start] + state.tShift[start]
    last = start
    if _SNIPPET_FENCE.fullmatch(state.src, begin, state.eMarks[start]):
        # The block form: file names on the lines up to the next --8<--.
        last = start + 1
        while last < end and not _SNIPPET_FENCE.fullmatch(
            state.src, state.bMarks[last] + state.tShift[last], state.eMarks[last]
        ):
            last += 1
        if last >= end:
            return False
    elif not _SNIPPET.fullmatch(state.src, begin, state.eMarks[start]):
        return False
    if not silent:
        token = state.push("template_block", "", 0)
        token.content = state.src[begin : state.eMarks[last]] + "\n"
        token.map = [start, last + 1]
        token.block = True
    state.line = last + 1
    return True


def _inline_mdx_comment(state: StateInline, silent: bool) -> bool:
    """``{/* … */}`` inside prose: dropped."""
    if not state.src.startswith("{/*", state.pos):
        return False
    match = _MDX_COMMENT.match(state.src, state.pos, state.posMax)
    if match is None:
        return False
    if not silent:
        token = state.push("mdx_comment", "", 0)
        token.content = match.group()
    state.pos = match.end()
    return True


def _drop_inline_comments(state: StateCore) -> None:
    """Take MDX comments out of inline content, so that no segment has them
    (with the spaces before them, when a space or a stop follows)."""
    for token in state.tokens:
        children = token.children or []
        if token.type != "inline" or not any(c.type == "mdx_comment" for c in children):
            continue
        content = token.content
        for k in range(len(children) - 1, -1, -1):
            child = children[k]
            if child.type != "mdx_comment" or "span" not in child.meta:
                continue
            start, end = child.meta["span"]
            if end == len(content) or content[end] in " \t\n.,;:!?)":
                spaces = len(content[:start]) - len(content[:start].rstrip(" \t"))
                before = children[k - 1] if k > 0 else None
                if spaces and before is not None and before.type == "text":
                    before.content = before.content.rstrip(" \t")
                    start -= spaces
            content = content[:start] + content[end:]
            del children[k]
        token.content = content.strip()
        if children and children[0].type == "text":
            children[0].content = children[0].content.lstrip()


def _render_nothing(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    return ""


def _render_template_block(
    self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any
) -> str:
    return f'<p class="template"><code>{escapeHtml(tokens[idx].content.strip())}</code></p>\n'


def _render_content(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    """An inline token shown as its content, as text: templating as written, an emoji."""
    return escapeHtml(tokens[idx].content)


# --------------------------------------------------------------------------- the parser


def _core(state: StateCore) -> None:
    lines = _Lines(state.src)
    _admonitions(state, lines)
    _attribute_lists(state)
    _task_lists(state)
    # A definition list's term is one line: give it the line marks segments have.
    for i, token in enumerate(state.tokens):
        if token.type == "inline" and state.tokens[i - 1].type == "dt_open" and token.map:
            token.map = [token.map[0], token.map[0] + 1]
            token.meta["marks"] = lines.marks(token.map[0])


def use(parser: MarkdownIt) -> None:
    """Add the extensions to ``parser`` (before its block rules learn to record
    line marks: see :func:`pipeline.source.markdown.md`)."""
    parser.use(admon_plugin)
    parser.block.ruler.before("admonition", "tabbed", _tabbed, {"alt": ["blockquote", "list"]})
    parser.use(container_plugin, name="blocks", marker="/", validate=_valid_blocks)
    parser.use(container_plugin, name="colon", marker=":", validate=_valid_colon)
    parser.use(deflist_plugin)
    parser.use(attrs_block_plugin)
    parser.use(attrs_plugin, after=("image", "link_close"))
    # Before the attribute-list block rule, which takes "{% … %}" for attributes.
    parser.block.ruler.before(
        "attr", "template_block", _template_block, {"alt": ["paragraph", "reference"]}
    )
    parser.block.ruler.before("template_block", "hugo_box", _hugo_box)
    parser.block.ruler.before("attr", "mdx_block", _mdx_block)
    parser.inline.ruler.before("text", "mdx_comment", _inline_mdx_comment)
    parser.inline.ruler.before("text", "template", _inline_template)
    parser.inline.ruler.before("link", "hugo_ref", _inline_hugo_ref)
    parser.inline.ruler.before("text", "keys", _inline_keys)
    parser.inline.ruler.before("text", "emoji", _inline_emoji)
    parser.block.ruler.before("paragraph", "abbreviations", _abbreviations)
    parser.block.ruler.before("paragraph", "snippet", _snippet)
    parser.inline.ruler.before("attr", "kramdown_attr", _kramdown_inline)
    for rule in parser.inline.ruler.__rules__:
        if rule.name in {"attr", "kramdown_attr"}:
            rule.fn = _with_span(rule.fn)
    parser.inline.ruler.__cache__ = None
    parser.core.ruler.before("inline", "extensions", _core)
    parser.core.ruler.after("inline", "mdx_comments", _drop_inline_comments)
    parser.add_render_rule("list_item_open", _render_list_item)
    parser.add_render_rule("template_block", _render_template_block)
    parser.add_render_rule("template_inline", _render_content)
    parser.add_render_rule("keys", _render_keys)
    parser.add_render_rule("emoji", _render_content)
    for hidden in ("template_comment", "mdx_comment", "mdx_esm", "abbreviations"):
        parser.add_render_rule(hidden, _render_nothing)
