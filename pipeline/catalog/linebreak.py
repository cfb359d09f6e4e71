"""Line breaking and column widths as GNU gettext computes them.

gettext (``msgcat``, ``msgmerge``, ``msgfmt``…) wraps PO strings with GNU
libunistring: the break opportunities of Unicode's line breaking algorithm
(UAX #14, pair-table form) and the column width of each character (CJK wide:
2, combining: 0). This module does the same in pure Python, on the tables of
:mod:`pipeline.catalog.unidata`, so a file the pipeline writes is the file
``msgcat`` would write. ``tests/test_po_io.py`` checks it against the installed
libunistring on random text.
"""

from __future__ import annotations

import bisect
import re
import string
from collections.abc import Mapping
from functools import lru_cache
from itertools import accumulate

from . import unidata

__all__ = [
    "MANDATORY",
    "POSSIBLE",
    "PROHIBITED",
    "char_width",
    "line_breaks",
    "possible_breaks",
    "width_breaks",
]

PROHIBITED = 1
"""No line break before this character (libunistring's ``UC_BREAK_PROHIBITED``)."""
POSSIBLE = 2
"""A line break may go before this character (``UC_BREAK_POSSIBLE``)."""
MANDATORY = 3
"""This character is a line break (``UC_BREAK_MANDATORY``)."""


def _runs(data: str) -> tuple[list[int], list[str]]:
    starts: list[int] = []
    values: list[str] = []
    for token in data.split():
        first, _, value = token.partition(":")
        starts.append(int(first, 16))
        values.append(value)
    return starts, values


_LB_STARTS, _LB_VALUES = _runs(unidata.LINE_BREAK_RUNS)
_WIDTH_STARTS, _WIDTH_VALUES = _runs(unidata.WIDTH_RUNS)
_INDEX = {name: i for i, name in enumerate(unidata.PAIR_CLASSES)}
_TABLE = unidata.PAIR_TABLE
_AL = _INDEX["AL"]
_RI = _INDEX["RI"]
# Classes outside the pair table, as negative numbers.
_BK, _SP, _ZW, _CM, _ZWJ = -1, -2, -3, -4, -5
_SPECIAL = {"BK": _BK, "CR": _BK, "LF": _BK, "SP": _SP, "ZW": _ZW, "CM": _CM, "ZWJ": _ZWJ}


@lru_cache(maxsize=4096)
def _lb_class(char: str) -> int:
    name = _LB_VALUES[bisect.bisect_right(_LB_STARTS, ord(char)) - 1]
    return _SPECIAL.get(name, _INDEX.get(name, _AL))


@lru_cache(maxsize=4096)
def char_width(char: str) -> int:
    """Columns ``char`` takes in a terminal, as libunistring's ``uc_width`` says.

    2 for wide (CJK) characters, 0 for combining marks, ``-1`` for control
    characters, 1 otherwise.
    """
    return int(_WIDTH_VALUES[bisect.bisect_right(_WIDTH_STARTS, ord(char)) - 1])


def possible_breaks(text: str) -> list[int]:
    """Where a line may break in ``text``: one of the constants per character.

    ``result[i]`` tells whether a line may break before ``text[i]``
    (:data:`POSSIBLE`), may not (:data:`PROHIBITED`), or whether ``text[i]``
    is itself a line break (:data:`MANDATORY`).
    """
    out = [PROHIBITED] * len(text)
    last = _BK  # class of the last character that was not a space
    seen_space: int | None = None  # the space after it, if any
    after_zwj = False
    regional = 0  # regional indicators in a row (flags pair them)
    for i, char in enumerate(text):
        prop = _lb_class(char)
        joined, after_zwj = after_zwj, prop == _ZWJ
        if prop == _BK:
            out[i] = MANDATORY
            last, seen_space, regional = _BK, None, 0
            continue
        if prop == _SP:
            seen_space = i
            continue
        if prop == _ZW:
            last, seen_space, regional = _ZW, None, 0
            continue
        if prop in (_CM, _ZWJ):
            if last == _BK:
                # At the start of a line a combining mark stands alone, as a letter.
                last, seen_space, regional = _AL, None, 0
                continue
            if last == _ZW or seen_space is not None:
                out[i] = POSSIBLE
                last, seen_space, regional = _AL, None, 0
                continue
            continue  # attached to the character before
        if last == _BK or (joined and seen_space is None):
            out[i] = PROHIBITED
        elif last == _ZW:
            out[i] = POSSIBLE
        else:
            rule = _TABLE[last][prop]
            if last == _RI and prop == _RI and seen_space is None:
                rule = "P" if regional % 2 else "D"
            if rule == "D" or (rule == "I" and seen_space is not None):
                out[i] = POSSIBLE
        pair = prop == _RI and last == _RI and seen_space is None
        regional = regional + 1 if pair else int(prop == _RI)
        last, seen_space = prop, None
    return out


def width_breaks(
    text: str, width: int, start_column: int, overrides: Mapping[int, int]
) -> list[int]:
    """Where to break ``text`` so that its lines fit in ``width`` columns.

    libunistring's ``u8_width_linebreaks``: the first line starts at column
    ``start_column``; ``overrides[i]``, when given, replaces the break
    opportunity before ``text[i]``. A line breaks at its last opportunity
    before the column would pass ``width`` (a word longer than a line stays
    whole). Returns one constant per character: :data:`POSSIBLE` where a
    line break goes, :data:`MANDATORY` at line break characters,
    :data:`PROHIBITED` elsewhere.
    """
    result = possible_breaks(text)
    last_break: int | None = None
    last_column = start_column
    piece_width = 0
    for i, char in enumerate(text):
        here = result[i] = overrides.get(i, result[i])
        if (
            here in (POSSIBLE, MANDATORY)
            and last_break is not None
            and last_column + piece_width > width
        ):
            result[last_break] = POSSIBLE
            last_column = 0
        if here == MANDATORY:
            last_break, last_column, piece_width = None, 0, 0
            continue
        if here == POSSIBLE:
            last_break = i
            last_column += piece_width
            piece_width = 0
        result[i] = PROHIBITED
        columns = char_width(char)
        if columns >= 0:
            piece_width += columns
    if last_break is not None and last_column + piece_width > width:
        result[last_break] = POSSIBLE
    return result


# -- the same, fast, for text without the rarer classes ---------------------------
#
# Each character is mapped (str.translate) to one letter for its pair-table
# class, " " for a space, "!" for a class with rules of its own (mandatory
# breaks, zero width space, combining marks, joiners, regional indicators);
# break opportunities are then found with regular expressions. Text with a "!"
# takes the general path above.

_LETTERS = string.ascii_letters


class _Codes(dict[int, str]):
    def __missing__(self, code_point: int) -> str:
        prop = _lb_class(chr(code_point))
        code = " " if prop == _SP else "!" if prop < 0 or prop == _RI else _LETTERS[prop]
        self[code_point] = code
        return code


class _Widths(dict[int, str]):
    def __missing__(self, code_point: int) -> str:
        code = str(max(char_width(chr(code_point)), 0))
        self[code_point] = code
        return code


_CODES = _Codes()
_WIDTHS = _Widths()
_DIRECT = re.compile(
    "|".join(
        f"{_LETTERS[a]}(?=[{''.join(_LETTERS[b] for b, rule in enumerate(row) if rule == 'D')}])"
        for a, row in enumerate(_TABLE)
        if "D" in row
    )
)
_NEVER_AFTER = {
    a for a, row in enumerate(_TABLE) if set(row) == {"P"}
}  # OP (and OPW): no break even after spaces
_NEVER_BEFORE = {b for b in range(len(_TABLE)) if all(row[b] == "P" for row in _TABLE)}
# The spaces first (then the character before them), so that the search jumps
# from space to space instead of trying the look-behind at every character.
_SPACED = re.compile(
    " (?<=[{}] ) *(?=[{}])".format(
        "".join(_LETTERS[a] for a in range(len(_TABLE)) if a not in _NEVER_AFTER),
        "".join(_LETTERS[b] for b in range(len(_TABLE)) if b not in _NEVER_BEFORE),
    )
)
_SPACED_EXCEPTIONS = re.compile(
    "|".join(
        f"{_LETTERS[a]} +(?={_LETTERS[b]})"
        for a, row in enumerate(_TABLE)
        for b, rule in enumerate(row)
        if rule == "P" and a not in _NEVER_AFTER and b not in _NEVER_BEFORE
    )
    or "(?!)"
)


def _opportunities(text: str) -> list[int] | None:
    """Positions where a line may break (as :func:`possible_breaks`), or ``None``
    when ``text`` needs the general algorithm."""
    codes = text.translate(_CODES)
    if "!" in codes:
        return None
    found = [m.start() + 1 for m in _DIRECT.finditer(codes)]
    found += [m.end() for m in _SPACED.finditer(codes)]
    if " " in codes and _SPACED_EXCEPTIONS.search(codes):
        refused = {m.end() for m in _SPACED_EXCEPTIONS.finditer(codes)}
        found = [i for i in found if i not in refused]
    found.sort()
    return found


# -- one column a character: the greedy rule, looking only near each line's end --
#
# Prose wraps at a space every few characters, so the opportunity a line breaks
# at is found by looking back from the line's end (and the next one by looking
# ahead), a word's length each, instead of finding every opportunity of the
# string. It serves text made only of the characters of :data:`_SIMPLE` (one
# column each, none of the general path's classes): English and Spanish prose.

_SIMPLE = frozenset(
    chr(code)
    for code in range(0x20, 0x250)
    if chr(code).isprintable() and char_width(chr(code)) == 1 and _CODES[code] != "!"
)
"""Printable Latin characters one column wide whose class the pair table has."""
_RULES = {
    _LETTERS[a] + _LETTERS[b]: rule for a, row in enumerate(_TABLE) for b, rule in enumerate(row)
}


def _simple_breaks(text: str, width: int, start_column: int, refused: set[int]) -> list[int]:
    """:func:`line_breaks` for ``text`` of :data:`_SIMPLE` characters only, no
    break at the positions ``refused``."""
    codes = text.translate(_CODES)
    end = len(text)

    def opportunity(i: int) -> bool:
        """Whether a line may break before ``text[i]`` (0 < i < end)."""
        here = codes[i]
        if here == " " or i in refused:
            return False
        before = codes[i - 1]
        if before != " ":
            return _RULES[before + here] == "D"
        start = i - 1
        while start and codes[start - 1] == " ":
            start -= 1
        return start > 0 and _RULES[codes[start - 1] + here] != "P"

    def after(i: int) -> int | None:
        """The first opportunity past position ``i``."""
        for j in range(max(i + 1, 1), end):
            if opportunity(j):
                return j
        return None

    def before(i: int, low: int) -> int | None:
        """The last opportunity at ``i`` or before, not before ``low``."""
        for j in range(min(i, end - 1), max(low, 1) - 1, -1):
            if opportunity(j):
                return j
        return None

    chosen: list[int] = []
    origin = -start_column  # where the line being filled starts, as a position
    last = 0
    while True:
        first = after(last)  # a line holds one piece at least
        if first is None:
            break
        limit = origin + width
        beyond = after(max(first, limit))
        if beyond is None:
            break
        cut = first if first > limit else before(limit, first)
        assert cut is not None  # first itself is at the limit or before
        chosen.append(cut)
        origin = last = cut
    final = before(end - 1, last + 1) if chosen else before(end - 1, 1)
    if final is None and chosen:
        final = chosen[-1]
    if final is not None and end - origin > width and (not chosen or chosen[-1] != final):
        chosen.append(final)
    return chosen


def line_breaks(
    text: str, width: int, start_column: int, overrides: Mapping[int, int]
) -> list[int]:
    """The positions :func:`width_breaks` breaks ``text`` at, in order (faster)."""
    if all(value == PROHIBITED for value in overrides.values()) and _SIMPLE.issuperset(text):
        if start_column + len(text) <= width:
            return []  # it fits (one column a character, nothing forces a break): no break
        return _simple_breaks(text, width, start_column, set(overrides))
    found = _opportunities(text)
    if found is None:
        return [
            i
            for i, b in enumerate(width_breaks(text, width, start_column, overrides))
            if b == POSSIBLE
        ]
    if overrides:
        opportunities = set(found)
        for i, value in overrides.items():
            if value == POSSIBLE:
                opportunities.add(i)
            else:
                opportunities.discard(i)
        found = sorted(opportunities)
    if not found:
        return []
    if text.isascii() and text.isprintable():
        total = len(text)
        at = found  # one column per character
    else:
        columns = [0, *accumulate(map(int, text.translate(_WIDTHS)))]
        total = columns[-1]
        at = [columns[i] for i in found]
    # The greedy rule of u8_width_linebreaks, by bisection: a line breaks at the
    # opportunity before the first one past its end (at least one piece a line).
    chosen = []
    origin = -start_column
    lo = 1
    while True:
        i = bisect.bisect_right(at, origin + width, lo)
        if i >= len(found):
            break
        chosen.append(found[i - 1])
        origin = at[i - 1]
        lo = i + 1
    if total - origin > width and (not chosen or chosen[-1] != found[-1]):
        chosen.append(found[-1])
    return chosen
