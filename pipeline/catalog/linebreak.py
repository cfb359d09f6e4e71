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
from collections.abc import Sequence
from functools import lru_cache

from . import unidata

__all__ = ["MANDATORY", "POSSIBLE", "PROHIBITED", "char_width", "possible_breaks", "width_breaks"]

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
    text: str, width: int, start_column: int, overrides: Sequence[int | None]
) -> list[int]:
    """Where to break ``text`` so that its lines fit in ``width`` columns.

    libunistring's ``u8_width_linebreaks``: the first line starts at column
    ``start_column``; ``overrides[i]``, when not ``None``, replaces the break
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
        if overrides[i] is not None:
            result[i] = overrides[i]  # type: ignore[assignment]
        here = result[i]
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
