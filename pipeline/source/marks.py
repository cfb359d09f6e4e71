"""Highlight, insertion, superscript and subscript as markdown-it tokens.

``==highlighted==`` (``<mark>``), ``^^inserted^^`` (``<ins>``), ``x^2^``
(``<sup>``) and ``H~2~O`` (``<sub>``): the syntax of pymdownx's mark, caret and
tilde extensions (MkDocs, Material for MkDocs), of Pandoc, of Hugo's
``extras`` and of Obsidian and Typora notes. Without them a reader would see
the equals signs, carets and tildes.

Highlight and insertion are delimiter runs, as ``~~strikethrough~~`` is: they
open and close by CommonMark's flanking rules, never inside a word (``a == b``
and ``a==b`` stay text), and may hold other markup. Superscript and subscript
are mdit-py-plugins' rules, where a word ends: no unescaped space inside
(``x^a\\ b^``), no markup, no slash (a path's or an address's tildes stay
text). GitHub's strikethrough with one tilde is not read: ``~~two~~`` strikes
through, ``H~2~O`` is a subscript, as in Pandoc and MkDocs.

Each becomes a pair in a segment (:class:`pipeline.source.inline.Pair`, kinds
``mark``, ``ins``, ``sup`` and ``sub``): the engine translates the words inside
and the markup comes back around them.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from markdown_it import MarkdownIt
from markdown_it.rules_inline.state_inline import Delimiter, StateInline
from mdit_py_plugins.subscript import sub_plugin
from mdit_py_plugins.superscript import superscript_plugin

__all__ = ["KINDS", "UNSPACED", "use"]

_DELIMITED = {"=": "mark", "^": "ins"}
"""The marker of each delimiter-run pair, doubled in the source (``==``, ``^^``)."""

KINDS = frozenset({*_DELIMITED.values(), "sup", "sub"})
"""The token kinds (``mark_open``…) these rules make, as pair kinds."""

UNSPACED = frozenset({"sup", "sub"})
"""The kinds whose words hold no unescaped space."""


def _delimiters(state: StateInline, silent: bool) -> bool:
    """Each ``==`` or ``^^`` of a run is a text token and a delimiter, paired
    later by markdown-it's ``balance_pairs`` (as its strikethrough does); a run
    of one character is not ours (``^`` opens a superscript)."""
    start = state.pos
    marker = state.src[start]
    if silent or marker not in _DELIMITED:
        return False
    scanned = state.scanDelims(start, False)  # never inside a word: a==b stays text
    length = scanned.length
    if length < 2:
        return False
    if length % 2:
        token = state.push("text", "", 0)
        token.content = marker
        length -= 1
    for _ in range(0, length, 2):
        token = state.push("text", "", 0)
        token.content = marker * 2
        state.delimiters.append(
            Delimiter(
                marker=ord(marker),
                length=0,  # no "rule of 3": these runs pair by twos
                token=len(state.tokens) - 1,
                end=-1,
                open=scanned.can_open,
                close=scanned.can_close,
            )
        )
    state.pos += scanned.length
    return True


def _pair_up(state: StateInline, delimiters: list[Delimiter]) -> None:
    lone: list[tuple[int, str]] = []
    for opener in delimiters:
        kind = _DELIMITED.get(chr(opener.marker))
        if kind is None or opener.end == -1:
            continue
        closer = delimiters[opener.end]
        for index, role in ((opener.token, "open"), (closer.token, "close")):
            token = state.tokens[index]
            token.type = f"{kind}_{role}"
            token.tag = kind
            token.nesting = 1 if role == "open" else -1
            token.markup = chr(opener.marker) * 2
            token.content = ""
        before = state.tokens[closer.token - 1]
        if before.type == "text" and before.content == chr(opener.marker):
            lone.append((closer.token - 1, kind))
    # An odd run (``===``) leaves one marker before its pairs: it goes after
    # their closing tokens, as markdown-it moves strikethrough's.
    while lone:
        index, kind = lone.pop()
        last = index + 1
        while last < len(state.tokens) and state.tokens[last].type == f"{kind}_close":
            last += 1
        last -= 1
        if index != last:
            state.tokens[index], state.tokens[last] = state.tokens[last], state.tokens[index]


def _post_process(state: StateInline) -> None:
    _pair_up(state, state.delimiters)
    for meta in state.tokens_meta:
        if meta and "delimiters" in meta:
            _pair_up(state, meta["delimiters"])


_NOT_IN_SCRIPTS = frozenset("/\\")
"""Characters no superscript or subscript holds: a path's or an address's."""
_ESCAPED = re.compile(r"\\[ !-/:-@\[-`{-~]")
"""A backslash escape (a space, an ASCII punctuation character): no path's."""


def _script(rule: Callable[[StateInline, bool], bool]) -> Callable[[StateInline, bool], bool]:
    """mdit-py-plugins' superscript or subscript rule, where a word ends
    (``x^2^``, ``H~2~O``, ``CO~2~``), not where one begins (``~5 MB``,
    ``cd ~/src``), never holding a slash or backslash (``C:\\PROGRA~1\\MICROS~1``,
    ``https://example.com/~ann/~bob``), nor closed by the first marker of a
    run (``~~a~b~~`` strikes through); its three tokens get their own source
    ranges: the opening marker, the words, the closing marker."""

    def wrapped(state: StateInline, silent: bool) -> bool:
        start = state.pos
        if silent or start == 0 or state.src[start - 1].isspace():
            return False
        if not rule(state, silent):
            return False
        end = state.pos
        inside = _ESCAPED.sub("", state.src[start + 1 : end - 1])  # x^a\ b^, x^a\*b^
        if _NOT_IN_SCRIPTS.intersection(inside) or state.src[end : end + 1] == state.src[start]:
            del state.tokens[-3:]  # its own three (text before it stays a token)
            state.pos = start
            return False
        opener, words, closer = state.tokens[-3:]
        opener.meta["span"] = (start, start + 1)
        words.meta["span"] = (start + 1, end - 1)
        closer.meta["span"] = (end - 1, end)
        return True

    return wrapped


def use(parser: MarkdownIt) -> None:
    """Add the four rules to ``parser``."""
    parser.inline.ruler.before("emphasis", "marks", _delimiters)
    parser.inline.ruler2.before("emphasis", "marks", _post_process)
    parser.use(superscript_plugin)
    parser.use(sub_plugin)
    for rule in parser.inline.ruler.__rules__:
        if rule.name in {"sup", "sub"}:
            rule.fn = _script(rule.fn)
    parser.inline.ruler.__cache__ = None
