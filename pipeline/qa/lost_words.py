"""The ``lost-words`` QA check: words lost next to code, URLs and numbers.

An engine may drop the words around a placeholder: "The `String` Type"
coming back as "El `String`", the word "Type" gone. Nothing else notices,
since the markup itself is all there. The check compares, for each piece of
markup kept whole (code span, image, URL, inline HTML, protected text such as
a path) and each number, the clause it sits in, in the source and in the
translation, the k-th such piece of each side with each other:

- the source clause has a content word right next to it (at most one short
  word between), and the translation's clause has no content word at all; or
- the source clause has four content words or more, and the translation's
  fewer than a third as many.

A content word has four letters or more: function words (``the``, ``of``,
``el``, ``de``, ``los``) never count, so a language that needs more or fewer
of them does not trip it. A clause ends at ``.``, ``;``, ``:``, ``!``,
``?``, a bracket or a line break (not at a comma, which languages place
differently). When the two sides hold different numbers of such pieces the
``placeholders`` and ``numbers`` checks speak; this one says nothing.

The check works on the words of each side (markup already replaced by
U+FFFC, see :func:`pipeline.qa.checks.analyse`) and is pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from ..source.protect import find as find_protected

__all__ = ["lost_words", "lost_words_check"]

_MASK = "\ufffc"
_NUMBER = re.compile(r"(?<!\w)\d+(?:[.,:]\d+)*(?!\w)")
_TOKEN = re.compile(rf"{_MASK}|[^\W\d_]+|[.;:!?¿¡()\[\]\n]")
_CLAUSE_END = frozenset(".;:!?¿¡()[]\n")
_CONTENT = 4
"""Letters a word needs to count as a content word."""


@dataclass(slots=True)
class _Clause:
    words: list[str]
    """The clause's tokens: words and U+FFFC."""

    def content(self) -> int:
        return sum(1 for w in self.words if w != _MASK and len(w) >= _CONTENT)

    def shown(self) -> str:
        text = " ".join("…" if w == _MASK else w for w in self.words)
        return "“" + (text if len(text) <= 60 else text[:57] + "…") + "”"


def _marked(words: str) -> str:
    """``words`` with protected text and numbers masked too."""
    for start, end in reversed(find_protected(words)):
        words = words[:start] + _MASK + words[end:]
    return _NUMBER.sub(_MASK, words)


def _clauses(words: str) -> list[tuple[_Clause, int]]:
    """Each piece of markup of ``words`` in order, with its clause and its
    position in the clause."""
    clauses: list[_Clause] = [_Clause([])]
    for token in _TOKEN.findall(_marked(words)):
        if token in _CLAUSE_END:
            if clauses[-1].words:
                clauses.append(_Clause([]))
        else:
            clauses[-1].words.append(token)
    return [
        (clause, i) for clause in clauses for i, word in enumerate(clause.words) if word == _MASK
    ]


def _content_next_to(clause: _Clause, at: int) -> bool:
    """Whether a content word sits right next to position ``at`` (at most one
    short word between)."""
    for step in (-1, 1):
        for distance in (1, 2):
            i = at + step * distance
            if not 0 <= i < len(clause.words) or clause.words[i] == _MASK:
                break
            if len(clause.words[i]) >= _CONTENT:
                return True
    return False


class _Side(Protocol):
    @property
    def words(self) -> str: ...


class _Segment(Protocol):
    """What the check reads of a :class:`pipeline.qa.checks.Context`."""

    @property
    def source(self) -> _Side: ...

    @property
    def target(self) -> _Side: ...


def lost_words_check(ctx: _Segment) -> list[str]:
    """Content words next to code, a URL or a number in the source, none (or
    far fewer) in that clause of the translation (see :mod:`pipeline.qa.lost_words`)."""
    return lost_words(ctx.source.words, ctx.target.words)


def lost_words(source: str, target: str) -> list[str]:
    """One message per clause of the translation that lost the words around
    its markup (``source`` and ``target``: the words of each side, markup as
    U+FFFC)."""
    here = _clauses(source)
    there = _clauses(target)
    if not here or len(here) != len(there):
        return []
    out: list[str] = []
    reported: set[int] = set()
    for (src, at), (tgt, _) in zip(here, there, strict=True):
        if id(tgt) in reported:
            continue
        have, kept = src.content(), tgt.content()
        if (kept == 0 and _content_next_to(src, at)) or (have >= 4 and kept * 3 < have):
            reported.add(id(tgt))
            out.append(
                f"words next to code, a URL or a number lost: {src.shown()} became {tgt.shown()}"
            )
    return out
