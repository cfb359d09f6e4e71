"""Parse Markdown into segments.

Everything here works on markdown-it-py tokens. Two small instruments are
added to the parser, neither of which changes what it produces:

* the block rules that create inline content (paragraph, headings, table)
  record, on each ``inline`` token, where every line of its content starts
  and ends in the source (``token.meta["marks"]``);
* the inline tokenizer records, on each inline token, the exact source range
  it was made from (``token.meta["span"]``), so that link destinations, code
  spans and images can be restored byte for byte (see :mod:`pipeline.source.inline`).

Front matter at the very top of a file, YAML between ``---`` lines (Jekyll,
Hugo, MkDocs) or TOML between ``+++`` lines (Hugo, Zola), is one hidden
``front_matter`` token: never shown, never a segment; what it says is read into
:attr:`Document.meta`.

A :class:`Document` is the parsed source; its :attr:`~Document.segments` are
the translatable blocks. Translations go back into it the one way the
editions use, :func:`pipeline.source.apply.translated_tokens`.
"""

from __future__ import annotations

import bisect
import datetime
import hashlib
import re
import tomllib
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.parser_inline import ParserInline
from markdown_it.rules_block.state_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline.state_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from ..errors import ContentError
from . import extensions, marks
from .htmlblock import (
    ATTRIBUTE_KINDS,
    HTML_ATTRIBUTE,
    HTML_RUN,
    NUMBERED_LAST,
    html_attribute_rule,
    html_text_rule,
    plain_markdown,
)
from .segment import Segment

__all__ = [
    "BOOK_FIELD",
    "BOOK_FIELDS",
    "Document",
    "Place",
    "front_matter_weight",
    "inline_tokens",
    "load_document",
    "md",
    "parse_document",
    "plain_text",
    "private_env",
    "read_front_matter",
    "read_markdown",
]


# --------------------------------------------------------------------------- parser


class _PositionalState(StateInline):
    """Inline state that stamps each pending-text token with its source range."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pending_start = 0
        """Source position where the pending text began."""
        self.rule_start = 0
        """Source position where the rule being run began."""

    def pushPending(self) -> Token:
        token = super().pushPending()
        token.meta["span"] = (self.pending_start, self.rule_start)
        return token


class _PositionalInline(ParserInline):
    """markdown-it's inline parser, recording the source range of every token."""

    def parse(self, src: str, md: MarkdownIt, env: Any, tokens: list[Token]) -> list[Token]:
        state = _PositionalState(src, md, env, tokens)
        self.tokenize(state)
        for rule in self.ruler2.getRules(""):
            rule(state)
        return state.tokens

    def tokenize(self, state: StateInline) -> None:
        assert isinstance(state, _PositionalState)
        rules = self.ruler.getRules("")
        end = state.posMax
        max_nesting = state.md.options["maxNesting"]
        while state.pos < end:
            pos = state.pos
            if not state.pending:
                state.pending_start = pos
            state.rule_start = pos
            first = len(state.tokens)
            ok = False
            if state.level < max_nesting:
                for rule in rules:
                    ok = rule(state, False)
                    if ok:
                        if state.pos <= pos:
                            raise RuntimeError("inline rule didn't increment state.pos")
                        break
            if ok:
                _stamp(state.tokens[first:], pos, state.pos)
                if state.pos >= end:
                    break
                continue
            state.append_pending(state.src[state.pos])
            state.pos += 1
        if state.pending:
            state.rule_start = end
            state.pushPending()


def _stamp(new: list[Token], start: int, end: int) -> None:
    """Give the tokens one rule made (and that have no range yet) their source range."""
    todo = [t for t in new if "span" not in t.meta]
    if not todo:
        return
    if todo[0].type == "link_open" and todo[-1].type == "link_close" and len(todo) == 2:
        # A link: its label was tokenized by a nested call, so its inner
        # tokens are stamped already; what is left is "[" and "](...)".
        inner_end = max(
            (t.meta["span"][1] for t in new if "span" in t.meta and t.meta["span"][0] > start),
            default=start + 1,
        )
        todo[0].meta["span"] = (start, start + 1)
        todo[1].meta["span"] = (inner_end, end)
        return
    # Emphasis and strikethrough push one text token per delimiter run piece.
    if (
        len(todo) > 1
        and all(t.type == "text" for t in todo)
        and sum(len(t.content) for t in todo) == end - start
    ):
        cursor = start
        for t in todo:
            t.meta["span"] = (cursor, cursor + len(t.content))
            cursor += len(t.content)
        return
    for t in todo:
        t.meta["span"] = (start, end)


def _with_marks(rule: Callable[..., bool]) -> Callable[..., bool]:
    """Wrap a block rule so that its inline tokens learn their line marks."""

    def wrapped(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
        first = len(state.tokens)
        ok = rule(state, start_line, end_line, silent)
        if ok and not silent:
            for token in state.tokens[first:]:
                if token.type == "inline" and token.map:
                    token.meta["marks"] = tuple(
                        (state.bMarks[line] + state.tShift[line], state.eMarks[line])
                        for line in range(token.map[0], token.map[1])
                    )
        return ok

    return wrapped


def _toml_front_matter(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """TOML front matter: ``+++`` on the first line of the file, up to the next
    ``+++`` line (or, left open, to the end: :func:`read_front_matter` reports it)."""
    if start_line != 0 or state.src[state.bMarks[0] : state.eMarks[0]].rstrip() != "+++":
        return False
    if silent:
        return True
    line, closed = 1, False
    while line < end_line:
        if state.src[state.bMarks[line] : state.eMarks[line]].rstrip() == "+++":
            closed = True
            break
        line += 1
    token = state.push("front_matter", "", 0)
    token.hidden = True
    token.block = True
    token.markup = "+++"
    last = line if closed else end_line
    token.content = state.src[state.bMarks[1] : state.eMarks[last - 1]] if last > 1 else ""
    token.meta["closed"] = closed
    state.line = line + 1 if closed else end_line
    token.map = [start_line, state.line]
    return True


FILE_STARTS = "pipeline_file_starts"
"""Environment key, set only for a book of chapter files parsed as one text
(:func:`load_chapters`): the lines (0-based) where its second, third… file begins."""

FRONT_MATTER_TITLE = "front_matter_title"
"""``meta`` key of the heading tokens made from a chapter file's front matter title."""

BOOK_FIELD = "book_field"
"""Type of the hidden tokens that hold the book's ``title`` and ``description``
as its front matter gives them (Hugo, Jekyll and MkDocs pages, a book of
chapter files whose first file gives them), ``meta[BOOK_FIELD]`` naming the
key: each a segment of that kind, shown in no body. Each edition is titled
with the title in its language (its title page, ``<title>``, the PDF's and
EPUB's metadata) and described with the description."""

BOOK_FIELDS = ("title", "description")
"""The front matter keys that are segments (:data:`BOOK_FIELD`)."""


def _front_matter_titles(state: StateCore) -> None:
    """A chapter file that gives its title in its front matter (Hugo, Jekyll,
    MkDocs pages) and does not open with a ``#`` heading opens with that title
    as its ``#`` heading: a segment, translated and reviewed like any heading,
    and the chapter's entry in the table of contents. The first file's title
    stays the book's (as in a book of one file) unless another file is titled
    that way too: then the files are pages, each titled in its front matter.
    The book's title and description, when its front matter gives them, are
    :data:`BOOK_FIELD` tokens right after that front matter."""
    tokens = state.tokens
    found: list[tuple[int, str]] = []  # (index of a front_matter token, its title)
    for index, token in enumerate(tokens):
        if token.type != "front_matter" or token.level != 0 or not token.map:
            continue
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if following is not None and following.type == "heading_open" and following.tag == "h1":
            continue
        try:
            title = read_front_matter(token).get("title", "")
        except ContentError:
            continue  # reported where the front matter is read (load_chapters)
        if title:
            found.append((index, title))
    if FILE_STARTS not in state.env or (len(found) == 1 and found[0][0] == 0):
        found = []  # one file, or only the first file titled: the title is the book's
    starts = [0, *(m.end() for m in re.finditer("\n", state.src))]
    for index, title in reversed(found):
        line, words = _field_words(tokens[index], "title", title, starts)
        opener = Token("heading_open", "h1", 1, markup="#", block=True, map=[line, line + 1])
        words.meta[FRONT_MATTER_TITLE] = True
        opener.meta[FRONT_MATTER_TITLE] = True
        closer = Token("heading_close", "h1", -1, markup="#", block=True)
        tokens[index + 1 : index + 1] = [opener, words, closer]
    if not tokens or tokens[0].type != "front_matter":
        return
    try:
        meta = read_front_matter(tokens[0])
    except ContentError:
        return  # reported where the front matter is read
    if found and found[0][0] == 0:
        meta.pop("title", None)  # the first chapter's title, not the book's
    fields = [key for key in BOOK_FIELDS if meta.get(key)]
    for key in reversed(fields):
        _, words = _field_words(tokens[0], key, meta[key], starts)
        words.meta[BOOK_FIELD] = key
        words.meta[NUMBERED_LAST] = True  # words read where none were: no id moves
        tokens.insert(1, words)


def _field_words(front_matter: Token, key: str, value: str, starts: list[int]) -> tuple[int, Token]:
    """The line (0-based) of ``key`` in ``front_matter``, and an inline token
    holding ``value`` as Markdown, placed on that line."""
    assert front_matter.map is not None
    pattern = re.compile(rf"[\"']?{key}[\"']?\s*[:=]")  # a top-level key: not indented
    body = front_matter.content.split("\n")
    offset = next((n for n, text in enumerate(body) if pattern.match(text)), -1)
    line = front_matter.map[0] + 1 + offset
    at = starts[min(line, len(starts) - 1)]
    words = Token("inline", "", 0, content=plain_markdown(value), block=True)
    words.map, words.children = [line, line + 1], []
    words.meta = {"marks": ((at, at),)}
    return line, words


def _book_field_rule(state: StateCore) -> None:
    """The book's title and description words, parsed, become
    :data:`BOOK_FIELD` tokens, which no body shows."""
    for token in state.tokens[1 : 1 + len(BOOK_FIELDS)]:
        if token.type == "inline" and BOOK_FIELD in token.meta:
            token.type = BOOK_FIELD


def _chapter_front_matter(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """Front matter at the top of a chapter file after the first: ``---`` or
    ``+++`` on the file's first line, up to the same line before the file ends
    (YAML's ``...`` ends it too). Hugo, Jekyll and MkDocs give every page its
    own; read as Markdown, it became a rule and a heading. Left open, it is not
    front matter."""
    starts: tuple[int, ...] = state.env.get(FILE_STARTS, ())  # sorted
    at = bisect.bisect_left(starts, start_line)
    if at == len(starts) or starts[at] != start_line or state.sCount[start_line] != 0:
        return False
    marker = state.src[state.bMarks[start_line] : state.eMarks[start_line]].rstrip()
    if marker not in {"---", "+++"}:
        return False
    last = min(end_line, starts[at + 1]) if at + 1 < len(starts) else end_line
    ends = {marker, "..."} if marker == "---" else {marker}
    line = start_line + 1
    while line < last:
        if state.src[state.bMarks[line] : state.eMarks[line]].rstrip() in ends:
            break
        line += 1
    else:
        return False
    if silent:
        return True
    token = state.push("front_matter", "", 0)
    token.hidden = True
    token.block = True
    token.markup = marker
    token.content = (
        state.src[state.bMarks[start_line + 1] : state.eMarks[line - 1]]
        if line > start_line + 1
        else ""
    )
    token.meta["closed"] = True
    state.line = line + 1
    token.map = [start_line, state.line]
    return True


MAX_NESTING = 50
"""Deepest nesting of blocks (lists in quotes in lists…) and inline markup."""


@cache
def md() -> MarkdownIt:
    """The one Markdown parser: CommonMark, GFM tables and strikethrough,
    front matter and footnotes, highlight, insertion, superscript and
    subscript (:mod:`pipeline.source.marks`), the common extensions
    (:mod:`pipeline.source.extensions`), with source positions recorded."""
    parser = (
        MarkdownIt("commonmark", {"html": True, "maxNesting": MAX_NESTING})
        .enable(["table", "strikethrough"])
        .use(front_matter_plugin)
        .use(footnote_plugin)
        .use(marks.use)
        .use(extensions.use)
    )
    parser.block.ruler.before(
        "front_matter",
        "toml_front_matter",
        _toml_front_matter,
        {"alt": ["paragraph", "reference", "blockquote", "list"]},
    )
    parser.block.ruler.before(
        "front_matter",
        "chapter_front_matter",
        _chapter_front_matter,
        {"alt": ["paragraph", "reference", "blockquote", "list"]},
    )
    for rule in parser.block.ruler.__rules__:
        if rule.name in {"paragraph", "heading", "lheading", "table"}:
            rule.fn = _with_marks(rule.fn)
    parser.block.ruler.__cache__ = None
    parser.core.ruler.before("inline", "html_text", html_text_rule)
    parser.core.ruler.after("inline", "html_attributes", html_attribute_rule)
    parser.add_render_rule(HTML_ATTRIBUTE, lambda *_: "")
    parser.core.ruler.before("inline", "front_matter_titles", _front_matter_titles)
    parser.core.ruler.after("inline", "book_fields", _book_field_rule)
    parser.add_render_rule(BOOK_FIELD, lambda *_: "")
    old = parser.inline
    inline = _PositionalInline()
    inline.ruler = old.ruler
    inline.ruler2 = old.ruler2
    inline.terminator_re = old.terminator_re
    inline._extra_terminator_chars = old._extra_terminator_chars
    parser.inline = inline
    return parser


# --------------------------------------------------------------------------- document


@dataclass(slots=True, frozen=True)
class Place:
    """How a segment's inline content sits in the source text."""

    prefix: str | None
    """What a continuation line of the content starts with (container markers
    and indentation), or ``None`` when the block holds one line only (ATX
    heading, table cell) or is text inside an HTML block, so that the content
    never starts a line of Markdown."""


def plain_text(token: Token, *, shown: bool = False) -> str:
    """The words of an inline token (or of an image: its description), markup
    left out, whitespace runs made one space. Emoji and keys are as written
    (``:tada:``, ``++ctrl+c++``: what GitHub makes a heading's anchor of), or,
    ``shown``, as a reader sees them (🎉, Ctrl+C: a table of contents, a title)."""
    parts: list[str] = []
    for child in token.children or []:
        if child.type in {"text", "text_special", "code_inline"}:
            parts.append(child.content)
        elif child.type in {"softbreak", "hardbreak"}:
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
        elif child.type == "emoji":
            parts.append(child.content if shown else child.markup)
        elif child.type == "keys":
            parts.append("+".join(child.meta["keys"]) if shown else child.markup)
        elif child.type == "template_inline" and shown:
            parts.append(child.content)  # as written: the site's generator fills it in
    return " ".join("".join(parts).split())


def private_env(env: Mapping[str, Any] | None, markdown: str) -> dict[str, Any]:
    """A copy of a document's markdown-it environment that parsing ``markdown``
    (one segment's inline text) cannot change.

    The footnote plugin counts each reference in ``env["footnotes"]`` (and files
    inline footnotes there); the copy gets footnote records of its own when
    ``markdown`` may hold a footnote, and shares everything else with ``env``.
    """
    copied = dict(env or {})
    notes = copied.get("footnotes")
    if notes and ("[^" in markdown or "^[" in markdown):
        copied["footnotes"] = {
            **notes,
            "refs": dict(notes.get("refs", {})),
            "list": {number: dict(note) for number, note in notes.get("list", {}).items()},
        }
    return copied


_INLINE_CACHE: dict[
    tuple[str, int, int], tuple[Mapping[str, Any] | None, MarkdownIt, list[Token]]
] = {}
_INLINE_CACHE_SIZE = 8192


def inline_tokens(markdown: str, env: Mapping[str, Any] | None) -> list[Token]:
    """markdown-it's inline tokens of one segment's text, parsed in a
    :func:`private_env` of the document's environment ``env``.

    The translate stage reads each text several times (encoding for the
    engine, decoding, post-editing, QA): the tokens of the last texts are
    remembered, for the same text, the same environment object (the
    environment of a parsed document does not change) and the same parser.
    They are shared: read them, never change them.
    """
    parser = md()
    key = (markdown, id(env), id(parser))
    hit = _INLINE_CACHE.get(key)
    if hit is not None and hit[0] is env and hit[1] is parser:
        return hit[2]
    tokens = parser.inline.parse(markdown, parser, private_env(env, markdown), [])
    if len(_INLINE_CACHE) >= _INLINE_CACHE_SIZE:
        _INLINE_CACHE.clear()
    _INLINE_CACHE[key] = (env, parser, tokens)  # both kept alive: their ids are not reused
    return tokens


@dataclass(slots=True)
class Document:
    """A parsed Markdown file."""

    path: Path
    """Where the source came from (used in messages and PO occurrences)."""
    text: str
    """The source, line endings normalised to ``\\n``."""
    tokens: list[Token]
    """markdown-it block tokens, with inline children."""
    env: dict[str, Any]
    """markdown-it environment (link reference definitions, footnotes)."""
    segments: list[Segment] = field(default_factory=list)
    """Translatable segments in reading order."""
    places: dict[str, Place] = field(default_factory=dict)
    """How each segment (by id) sits in :attr:`text`."""
    token_index: dict[str, int] = field(default_factory=dict)
    """Index in :attr:`tokens` of each segment's ``inline`` token."""
    segment_order: dict[str, int] = field(default_factory=dict)
    """Index in :attr:`segments` of each segment id."""
    parts: list[tuple[Path, int]] = field(default_factory=list)
    """For a book of several chapter files: each file and the line of
    :attr:`text` where it starts (0-based), in order."""
    meta: dict[str, Any] = field(default_factory=dict)
    """What the front matter says about the book: ``title``, ``description``,
    ``date`` (strings) and ``author`` (a string, several names joined by
    commas), those of them it gives (see :func:`read_front_matter`)."""
    meta_problem: ContentError | None = None
    """Why the front matter could not be read, if it could not (raised by
    whoever needs :attr:`meta`: a document with broken front matter still parses)."""

    def locate(self, line: int) -> tuple[Path, int]:
        """The file and 1-based line that a 1-based line of :attr:`text` comes from."""
        for path, start in reversed(self.parts):
            if line > start:
                return path, line - start
        return self.path, line

    def segment(self, segment_id: str) -> Segment:
        """The segment with this id (``KeyError`` if there is none)."""
        return self.segments[self.segment_order[segment_id]]


def escape_closing_hashes(text: str) -> str:
    """Escape a trailing `` #`` run, which would close an ATX heading."""
    stripped = text.rstrip("#")
    if stripped != text and (not stripped or stripped[-1] in " \t"):
        return stripped + "\\" + text[len(stripped) :]
    return text


_ID_TRANSLATE = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2026": "...",
        "\u00a0": " ",
        "\u202f": " ",
    }
)


def normalize_for_id(source: str) -> str:
    """The text a segment id is derived from: spacing and typography (curly vs
    straight quotes, dash styles, ellipsis, Unicode normal form) do not count;
    case does."""
    text = unicodedata.normalize("NFC", source).translate(_ID_TRANSLATE)
    return " ".join(text.split())


def segment_id(source: str) -> str:
    """A stable id for a segment's source text."""
    digest = hashlib.blake2b(normalize_for_id(source).encode("utf-8"), digest_size=5)
    return "s" + digest.hexdigest()


_LETTER = re.compile(r"[^\W\d_]")


def _translatable(token: Token) -> bool:
    """Whether an inline token has any words to translate (code, URLs and
    numbers alone are not sent to an engine; an image's description is words)."""
    in_autolink = False
    for child in token.children or []:
        if child.type == "link_open" and child.markup == "autolink":
            in_autolink = True
        elif child.type == "link_close":
            in_autolink = False
        elif (
            not in_autolink
            and child.type in {"text", "text_special", "image"}
            and _LETTER.search(child.content)
        ):
            return True
    return False


def _kind(stack: list[str], opener: Token) -> str:
    if opener.type == "heading_open":
        return "heading"
    if opener.type in {"th_open", "td_open"}:
        return "table-cell"
    if "list_item_open" in stack:
        return "list-item"
    if "blockquote_open" in stack:
        return "quote"
    return "paragraph"


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _place(text: str, token: Token, opener: Token) -> Place:
    if opener.type in {"th_open", "td_open", "admonition_title_open"} or (
        opener.type == "heading_open" and opener.markup.startswith("#")
    ):
        return Place(None)
    marks: tuple[tuple[int, int], ...] = token.meta["marks"]
    lines = marks[: token.content.count("\n") + 1]
    if len(lines) > 1:
        return Place(text[_line_start(text, lines[-1][0]) : lines[-1][0]])
    head = text[_line_start(text, lines[0][0]) : lines[0][0]]
    return Place("".join(ch if ch in "> \t" else " " for ch in head))


def parse_document(
    text: str, path: Path | str = "<string>", *, file_starts: Sequence[int] | None = None
) -> Document:
    """Parse Markdown text into a :class:`Document` with its segments.

    ``file_starts``, for a book of chapter files parsed as one text: the lines
    (0-based) where the second, third… file begins. Front matter at the top of
    each is front matter, and each file's front matter title opens its chapter.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd")
    env: dict[str, Any] = {} if file_starts is None else {FILE_STARTS: tuple(file_starts)}
    tokens = md().parse(text, env)
    deepest = max(tokens, key=lambda t: t.level, default=None)
    if deepest is not None and deepest.level >= MAX_NESTING - 1:
        # markdown-it silently stops reading there: refuse rather than lose text.
        line = next(
            (t.map[0] + 1 for t in reversed(tokens[: tokens.index(deepest) + 1]) if t.map), None
        )
        raise ContentError(
            f"blocks nested more than {MAX_NESTING // 2} levels deep",
            path=path,
            line=line,
            hint="flatten the nesting of lists and quotes here",
        )
    doc = Document(Path(path), text, tokens, env)
    if tokens and tokens[0].type == "front_matter":
        try:
            doc.meta = read_front_matter(tokens[0], path)
        except ContentError as problem:
            doc.meta_problem = problem
        after = next((t for t in tokens[1:] if t.type != BOOK_FIELD), None)
        if after is not None and after.meta.get(FRONT_MATTER_TITLE):
            doc.meta.pop("title", None)  # the first chapter's title, not the book's
    stack: list[str] = []
    found: list[tuple[int, str, str]] = []
    for i, token in enumerate(tokens):
        if token.nesting == 1:
            stack.append(token.type)
        elif token.nesting == -1 and stack:
            stack.pop()
        if token.type not in {"inline", HTML_ATTRIBUTE, BOOK_FIELD} or not _translatable(token):
            continue
        if token.type == HTML_ATTRIBUTE:
            kind = ATTRIBUTE_KINDS[token.meta[HTML_ATTRIBUTE].name]
            found.append((i, kind, segment_id(token.content)))
        elif token.type == BOOK_FIELD:
            found.append((i, token.meta[BOOK_FIELD], segment_id(token.content)))
        elif "marks" in token.meta or HTML_RUN in token.meta:
            found.append((i, _kind(stack, tokens[i - 1]), segment_id(token.content)))
    # Ids as before text inside HTML blocks was translated: repeats are counted
    # among Markdown blocks, and a run of HTML text takes the next free number,
    # then the words read where none were read before (an attribute's value, a
    # box shortcode's title: NUMBERED_LAST), so that no id given before changes.
    ids: dict[int, str] = {}
    seen: dict[str, int] = {}
    later = [
        item
        for item in found
        if tokens[item[0]].type == HTML_ATTRIBUTE or NUMBERED_LAST in tokens[item[0]].meta
    ]
    for i, _, base in found:
        if HTML_RUN not in tokens[i].meta and NUMBERED_LAST not in tokens[i].meta:
            seen[base] = seen.get(base, 0) + 1
            ids[i] = base if seen[base] == 1 else f"{base}-{seen[base]}"
    taken = set(ids.values())
    for i, _, base in [item for item in found if item not in later] + later:
        if i not in ids:
            sid, n = base, 1
            while sid in taken:
                n += 1
                sid = f"{base}-{n}"
            taken.add(sid)
            ids[i] = sid
    for i, kind, _ in found:
        token, sid = tokens[i], ids[i]
        assert token.map is not None
        seg = Segment(
            id=sid,
            kind=kind,
            source=token.content,
            line=token.map[0] + 1,
            index=len(doc.segments),
        )
        doc.segment_order[sid] = len(doc.segments)
        doc.segments.append(seg)
        doc.places[sid] = (
            Place(None) if HTML_RUN in token.meta else _place(text, token, tokens[i - 1])
        )
        doc.token_index[sid] = i
    return doc


_META_KEYS = ("title", "author", "date", "description")
"""The front matter keys pipeline reads (any other key is left alone)."""

_TOML_LINE = re.compile(r"\(at line (\d+), column \d+\)")


@lru_cache(maxsize=4096)
def _loaded(kind: str, content: str) -> Any:
    """The TOML or YAML ``content`` of front matter, read once however often a
    build parses its file (a chapter book's front matter is read at each
    parse, and when each file is checked). Shared: read it, never change it."""
    if kind == "TOML":
        return tomllib.loads(content)
    import yaml

    return yaml.safe_load(content)


def _front_matter_table(token: Token, path: Path | str) -> dict[str, Any]:
    """The keys and values of a ``front_matter`` token (see :func:`read_front_matter`)."""
    first = (token.map[0] if token.map else 0) + 1
    kind = "TOML" if token.markup == "+++" else "YAML"
    hint = f"fix the {kind} between the {token.markup} lines"
    if token.meta.get("closed") is False:
        raise ContentError(f"{kind} front matter is never closed", path=path, line=first, hint=hint)
    data: Any
    try:
        data = _loaded(kind, token.content)
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_LINE.search(str(exc))
        line = first + int(found.group(1)) if found else first
        message = _TOML_LINE.sub("", str(exc)).strip()
        raise ContentError(
            f"front matter is not valid TOML: {message}", path=path, line=line, hint=hint
        ) from None
    except Exception as exc:  # yaml.YAMLError: yaml is imported lazily
        mark = getattr(exc, "problem_mark", None)
        line = first + 1 + mark.line if mark is not None else first
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ContentError(
            f"front matter is not valid YAML: {problem}", path=path, line=line, hint=hint
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ContentError("front matter is not a table of keys", path=path, line=first, hint=hint)
    return data


def read_front_matter(token: Token, path: Path | str = "<string>") -> dict[str, Any]:
    """What a ``front_matter`` token says: the keys of :data:`_META_KEYS` it
    has, as text (an ``author`` list joined with commas, a ``date`` in ISO form).

    Front matter that is not valid YAML (``---``) or TOML (``+++``), is not a
    table of keys, or gives one of these keys as something other than text is a
    :class:`ContentError` naming the file and line.
    """
    data = _front_matter_table(token, path)
    first = (token.map[0] if token.map else 0) + 1
    meta: dict[str, Any] = {}
    for key in _META_KEYS:
        value = data.get(key)
        if value is None and key == "author":
            value = data.get("authors")  # Zola's and Hugo's plural
        if value is None:
            continue
        if key == "author" and isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = ", ".join(v.strip() for v in value if v.strip())
        elif key == "date" and isinstance(value, datetime.date | datetime.datetime):
            value = value.isoformat()
        if not isinstance(value, str):
            raise ContentError(
                f"front matter {key!r} is not text",
                path=path,
                line=first,
                hint=f"write {key} as a string"
                + (" or a list of names" if key == "author" else ""),
            )
        if value.strip():
            meta[key] = " ".join(value.split())
    return meta


_CHAPTER_BREAK = "\n<!-- chapter break -->\n\n"


def load_chapters(book: Path, chapters: list[Path]) -> Document:
    """Read and parse a book made of several chapter files, in the given order.

    The chapters are parsed as one document (so link references are shared),
    separated by an HTML comment so that a list or quote at the end of one
    chapter never merges with the start of the next; a code fence or HTML
    block left open at the end of a chapter is an error, since it would
    swallow the next chapter.
    """
    texts: list[str] = []
    parts: list[tuple[Path, int]] = []
    line = 0
    for chapter in chapters:
        text = read_markdown(chapter).replace("\r\n", "\n").replace("\r", "\n")
        if not text.endswith("\n"):
            text += "\n"
        parts.append((chapter, line))
        texts.append(text + _CHAPTER_BREAK)
        line += text.count("\n") + _CHAPTER_BREAK.count("\n")
    doc = parse_document("".join(texts), book, file_starts=[start for _, start in parts[1:]])
    doc.parts = parts
    for token in doc.tokens:
        if token.type == "front_matter" and token.map and token.map[0] > 0:
            # A later file's front matter: its problems are that file's.
            path, at = doc.locate(token.map[0] + 1)
            try:
                read_front_matter(token, path)
            except ContentError as exc:
                shift = token.map[0] + 1 - at
                line = exc.line - shift if exc.line else at
                raise ContentError(exc.message, path=path, line=line, hint=exc.hint) from None
    if doc.meta_problem is not None and chapters:
        doc.meta_problem.path = str(chapters[0])  # the first chapter's front matter
    bounds = [start for _, start in parts[1:]]
    for token in doc.tokens:
        if token.map and token.level == 0 and token.nesting >= 0:
            first, last = token.map
            after = bisect.bisect_right(bounds, first)  # the first file that starts later
            if after < len(bounds) and bounds[after] < last:
                path, at = doc.locate(first + 1)
                raise ContentError(
                    f"this {token.type.replace('_', ' ')} runs into the next chapter",
                    path=path,
                    line=at,
                    hint="close it before the end of the chapter file",
                )
    return doc


def front_matter_weight(path: Path) -> int | None:
    """Hugo's ``weight`` (the page's place among its section's pages) in the
    front matter of the Markdown file at ``path``, or None when it gives none
    (Hugo reads a weight of 0 as none). Bad front matter, or a weight that is
    not a whole number, is a :class:`ContentError` at its line."""
    tokens = md().parse(read_markdown(path))
    if not tokens or tokens[0].type != "front_matter":
        return None
    weight = _front_matter_table(tokens[0], path).get("weight")
    if weight is None or weight == 0:
        return None
    if isinstance(weight, bool) or not isinstance(weight, int):
        raise ContentError(
            "front matter 'weight' is not a whole number",
            path=path,
            line=(tokens[0].map[0] if tokens[0].map else 0) + 1,
            hint="write weight = 10 (the page's place among its section's pages)",
        )
    return weight


def read_markdown(path: Path) -> str:
    """The text of a Markdown file; a missing, unreadable or non-UTF-8 file is a
    :class:`ContentError` naming it (and the line of the first bad byte)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ContentError(
            "file not found", path=path, hint="check the content/ directory"
        ) from None
    except OSError as exc:
        raise ContentError(f"cannot read file: {exc.strerror}", path=path) from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ContentError(
            f"not valid UTF-8 (byte {exc.start})",
            path=path,
            line=line,
            hint="save the file as UTF-8",
        ) from None


def load_document(path: Path) -> Document:
    """Read and parse a Markdown file, raising :class:`ContentError` on failure."""
    return parse_document(read_markdown(path), path)
