"""Typographic conventions, applied to the text of an edition: the machinery.

A translation engine (or a translator) often keeps the source's typography:
English quotation marks with the full stop inside, spaced em dashes around an
aside. :func:`conventions` builds the function that sets a language's way from
a few parameters, which each language module gives (``es.py``: Real Academia
Española, *Ortografía* 2010):

* quotations in the language's first-level quotes (``«…»``), with its
  second-level quotes inside them for a quotation within a quotation
  (``«… “…” …»``), no space inside the quotes;
* a full stop or comma that belongs to the sentence goes after the closing
  quote: ``«justicia social».``;
* with ``rayas``: an aside (*inciso*) between rayas that touch the aside, not
  the words around it: ``la zona cero —el primer piloto— del…``; an aside
  that runs to the end of a sentence is closed too, before the stop:
  ``…piloto—.`` A raya that opens a paragraph (dialogue) opens no aside. A
  word joiner (U+2060) binds each raya to its word, so no line breaks
  between them.

The functions work on the text pieces of one block (the text between inline
markup such as emphasis or links) and keep the pieces apart, so markup never
moves. Code spans are not text pieces and are never touched.
"""

from __future__ import annotations

from collections.abc import Sequence

from .base import Conventions

__all__ = ["conventions"]

_OPENERS = frozenset(" \t\n\u00a0\u202f([{\u2014\u2013/\u00ab\u201c\u00bf\u00a1")
"""Characters after which a straight double quote opens a quotation."""

_SENTENCE_END = frozenset(".?!\u2026")
"""Characters that end a sentence (and so close an open aside)."""

_OPENING = "\u2014\u2060"
_CLOSING = "\u2060\u2014"
"""Rayas with a word joiner (U+2060) on the side of the aside, so that no line
ends between a raya and its word. The joiner is invisible; PDF text extraction
leaves it out."""


def _quotes(chars: list[list[str]], outer: str, inner: str) -> None:
    """``outer`` quotes outside, ``inner`` ones inside; ``.`` and ``,`` after the
    closing quote. Quotes in the text, straight or curly (``"“”«»``), are the
    marks recognised; a closing single quote is also an apostrophe, so only
    those set here count as quotes afterwards."""
    depth = 0
    placed: set[int] = set()
    for i, cell in enumerate(chars):
        char = cell[0]
        if char == '"':
            before, after = _previous(chars, i), _next(chars, i)
            if before is not None and before not in _OPENERS:
                char = "\u201d"
            elif after is None or after == " ":  # spaces on both sides: close what is open
                char = "\u201d" if depth > 0 else "\u201c"
            else:
                char = "\u201c"
        if char == "\u201c" or char == "\u00ab":
            cell[0] = outer[0] if depth == 0 else inner[0]
            placed.add(i)
            depth += 1
        elif (char == "\u201d" or char == "\u00bb") and depth > 0:
            depth -= 1
            cell[0] = outer[1] if depth == 0 else inner[1]
            placed.add(i)
    openers = {"\u00ab", "\u201c", outer[0], inner[0]}
    closers = {"\u00bb", "\u201d", outer[1], inner[1]} - {"\u2019"}

    def closing(i: int) -> bool:
        return chars[i][0] in closers or (i in placed and chars[i][0] == "\u2019")

    marks = openers | closers
    candidates = [i for i, cell in enumerate(chars) if cell[0] in marks or i in placed]
    # "« texto »" -> "«texto»": no space inside the quotes
    for i in candidates:
        cell = chars[i]
        if cell[0] in openers:
            j = _index_after(chars, i)
        elif closing(i):
            j = _index_before(chars, i)
        else:
            continue
        if j is not None and chars[j][0] == " ":
            chars[j][0] = ""
    # "texto.»" -> "texto»." (not an ellipsis "...»", which belongs to the quotation)
    for i in candidates:
        if i == 0 or not closing(i):
            continue
        j = _index_before(chars, i)
        if j is None or chars[j][0] not in ".,":
            continue
        k = _index_before(chars, j)
        if chars[j][0] == "." and k is not None and chars[k][0] == ".":
            continue
        chars[j][0], chars[i][0] = chars[i][0], chars[j][0]
        if i in placed:
            placed.discard(i)
            placed.add(j)


def _previous(chars: list[list[str]], i: int) -> str | None:
    """The character before position ``i``, or ``None`` at the start."""
    j = _index_before(chars, i)
    return None if j is None else chars[j][0]


def _next(chars: list[list[str]], i: int) -> str | None:
    """The character after position ``i``, or ``None`` at the end."""
    j = _index_after(chars, i)
    return None if j is None else chars[j][0]


def _index_before(chars: list[list[str]], i: int) -> int | None:
    """Index of the last non-deleted character before ``i``."""
    for j in range(i - 1, -1, -1):
        if chars[j][0]:
            return j
    return None


def _index_after(chars: list[list[str]], i: int) -> int | None:
    """Index of the first non-deleted character after ``i``."""
    for j in range(i + 1, len(chars)):
        if chars[j][0]:
            return j
    return None


def _rayas(chars: list[list[str]], abbreviations: frozenset[str]) -> None:
    """Spaced em dashes around an aside become rayas that touch the aside."""
    open_aside = False
    for i, cell in enumerate(chars):
        char = cell[0]
        if char == "\u2014":
            before, after = _index_before(chars, i), _index_after(chars, i)
            spaced_before = before is not None and chars[before][0] == " "
            spaced_after = after is not None and chars[after][0] == " "
            if before is None:  # a dialogue raya opens the paragraph: attach it, open nothing
                if spaced_after and after is not None:
                    chars[after][0] = ""
                cell[0] = _OPENING
                continue
            if not (spaced_before or spaced_after):
                continue  # "palabra—palabra": not an aside set the English way
            if not open_aside:
                if spaced_after and after is not None:
                    chars[after][0] = ""
                cell[0] = _OPENING if spaced_before else " " + _OPENING
                open_aside = True
            else:
                if spaced_before and before is not None:
                    chars[before][0] = ""
                cell[0] = _CLOSING
                if not spaced_after and after is not None and chars[after][0].isalnum():
                    cell[0] = _CLOSING + " "
                open_aside = False
        elif open_aside and char in _SENTENCE_END and _ends_sentence(chars, i, abbreviations):
            before = _index_before(chars, i)
            if before is not None and chars[before][0] == " ":
                chars[before][0] = ""
            cell[0] = _CLOSING + char
            open_aside = False
    if open_aside:
        last = _index_before(chars, len(chars))
        if last is not None:
            chars[last][0] += _CLOSING


def _ends_sentence(chars: list[list[str]], i: int, abbreviations: frozenset[str]) -> bool:
    """Whether the stop at ``i`` ends a sentence: the text ends, or the next word
    starts with a capital (``EE. UU. y`` is not the end of a sentence), and the
    stop does not end one of ``abbreviations`` (lower case, no stop)."""
    word = ""
    k = _index_before(chars, i)
    while k is not None and (chars[k][0].isalpha() or chars[k][0] == "."):
        word = chars[k][0] + word
        k = _index_before(chars, k)
    if chars[i][0] == "." and (
        "." in word or (word.isupper() and len(word) <= 3) or word.lower() in abbreviations
    ):
        return False
    j = _index_after(chars, i)
    while j is not None and chars[j][0] in " \u00bb\u201d)\u00a0":
        j = _index_after(chars, j)
    if j is None:
        return True
    following = chars[j][0][:1]
    return following.isupper() or following in "\u00bf\u00a1\u00ab\u201c\u2014[("


def conventions(
    *, outer: str, inner: str, rayas: bool = False, abbreviations: frozenset[str] = frozenset()
) -> Conventions:
    """The conventions of a language: quotations set in ``outer`` quotes (two
    characters, ``"«»"``) with ``inner`` ones inside them; with ``rayas``, asides
    between em dashes set as Spanish rayas, where a stop after one of
    ``abbreviations`` (lower case, without the stop: ``"sr"``) does not end the
    sentence (nor the aside)."""
    if len(outer) != 2 or len(inner) != 2:
        raise ValueError("outer and inner must be two characters: opening and closing")

    marks = frozenset('"\u201c\u201d\u00ab\u00bb' + outer + inner)
    """The characters :func:`_quotes` acts on: a text without them is left alone."""

    def convert(pieces: Sequence[str]) -> list[str]:
        text = "".join(pieces)
        if marks.isdisjoint(text) and not (rayas and "\u2014" in text):
            return list(pieces)  # most paragraphs: nothing to set, no work per character
        chars: list[list[str]] = []
        owner: list[int] = []
        for number, piece in enumerate(pieces):
            for char in piece:
                chars.append([char])
                owner.append(number)
        _quotes(chars, outer, inner)
        if rayas:
            _rayas(chars, abbreviations)
        out = [""] * len(pieces)
        for cell, number in zip(chars, owner, strict=True):
            out[number] += cell[0]
        return out

    convert.__doc__ = f"The text pieces of one block set with {outer} quotes" + (
        " and rayas." if rayas else "."
    )
    return convert
