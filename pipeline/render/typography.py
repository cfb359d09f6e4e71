"""Typographic conventions of an edition's language, applied to its text.

A translation engine (or a translator) often keeps the source's typography:
English quotation marks with the full stop inside, spaced em dashes around an
aside. A Spanish book sets them the Spanish way (Real Academia Española,
*Ortografía* 2010):

* quotations in angular quotes, ``«…»``, with English quotes inside them for a
  quotation within a quotation: ``«… “…” …»``;
* a full stop or comma that belongs to the sentence goes after the closing
  quote: ``«justicia social».``;
* an aside (*inciso*) between rayas that touch the aside, not the words
  around it: ``la zona cero —el primer piloto— del…``; an aside that runs
  to the end of a sentence is closed too, before the stop: ``…piloto—.``
  A raya that opens a paragraph (dialogue) opens no aside. A word joiner
  (U+2060) binds each raya to its word, so no line breaks between them.

The functions work on the text pieces of one block (the text between inline
markup such as emphasis or links) and keep the pieces apart, so markup never
moves. Code spans are not text pieces and are never touched.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

__all__ = ["conventions_for", "spanish"]

_OPENERS = frozenset(" \t\n\u00a0\u202f([{\u2014\u2013/\u00ab\u201c\u00bf\u00a1")
"""Characters after which a straight double quote opens a quotation."""

_SENTENCE_END = frozenset(".?!\u2026")
"""Characters that end a sentence (and so close an open aside)."""

_OPENING = "\u2014\u2060"
_CLOSING = "\u2060\u2014"
"""Rayas with a word joiner (U+2060) on the side of the aside, so that no line
ends between a raya and its word. The joiner is invisible; PDF text extraction
leaves it out."""

_ABBREVIATIONS = frozenset(
    {"sr", "sra", "srta", "sres", "dr", "dra", "dres", "ud", "uds", "vd", "vds", "pág", "núm"}
)
"""Spanish abbreviations whose full stop does not end a sentence (besides ``EE.``, ``U.S.``)."""


def _quotes(chars: list[list[str]]) -> None:
    """Angular quotes outside, English ones inside; ``.`` and ``,`` after the closing quote."""
    depth = 0
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
            cell[0] = "\u00ab" if depth == 0 else "\u201c"
            depth += 1
        elif (char == "\u201d" or char == "\u00bb") and depth > 0:
            depth -= 1
            cell[0] = "\u00bb" if depth == 0 else "\u201d"
    # "« texto »" -> "«texto»": no space inside the quotes
    for i, cell in enumerate(chars):
        if cell[0] in ("\u00ab", "\u201c"):
            j = _index_after(chars, i)
        elif cell[0] in ("\u00bb", "\u201d"):
            j = _index_before(chars, i)
        else:
            continue
        if j is not None and chars[j][0] == " ":
            chars[j][0] = ""
    # "texto.»" -> "texto»." (not an ellipsis "...»", which belongs to the quotation)
    for i in range(1, len(chars)):
        if chars[i][0] not in ("\u00bb", "\u201d"):
            continue
        j = _index_before(chars, i)
        if j is None or chars[j][0] not in ".,":
            continue
        k = _index_before(chars, j)
        if chars[j][0] == "." and k is not None and chars[k][0] == ".":
            continue
        chars[j][0], chars[i][0] = chars[i][0], chars[j][0]


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


def _rayas(chars: list[list[str]]) -> None:
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
        elif open_aside and char in _SENTENCE_END and _ends_sentence(chars, i):
            before = _index_before(chars, i)
            if before is not None and chars[before][0] == " ":
                chars[before][0] = ""
            cell[0] = _CLOSING + char
            open_aside = False
    if open_aside:
        last = _index_before(chars, len(chars))
        if last is not None:
            chars[last][0] += _CLOSING


def _ends_sentence(chars: list[list[str]], i: int) -> bool:
    """Whether the stop at ``i`` ends a sentence: the text ends, or the next word
    starts with a capital (``EE. UU. y`` is not the end of a sentence)."""
    word = ""
    k = _index_before(chars, i)
    while k is not None and (chars[k][0].isalpha() or chars[k][0] == "."):
        word = chars[k][0] + word
        k = _index_before(chars, k)
    if chars[i][0] == "." and (
        "." in word or (word.isupper() and len(word) <= 3) or word.lower() in _ABBREVIATIONS
    ):
        return False
    j = _index_after(chars, i)
    while j is not None and chars[j][0] in " \u00bb\u201d)\u00a0":
        j = _index_after(chars, j)
    if j is None:
        return True
    following = chars[j][0][:1]
    return following.isupper() or following in "\u00bf\u00a1\u00ab\u201c\u2014[("


def spanish(pieces: Sequence[str]) -> list[str]:
    """The text pieces of one block set with Spanish quotes and rayas (see the module)."""
    chars: list[list[str]] = []
    owner: list[int] = []
    for number, piece in enumerate(pieces):
        for char in piece:
            chars.append([char])
            owner.append(number)
    _quotes(chars)
    _rayas(chars)
    out = [""] * len(pieces)
    for cell, number in zip(chars, owner, strict=True):
        out[number] += cell[0]
    return out


_CONVENTIONS: dict[str, Callable[[Sequence[str]], list[str]]] = {"es": spanish}


def conventions_for(lang: str) -> Callable[[Sequence[str]], list[str]] | None:
    """The conventions for a BCP 47 language tag (``es``, ``es-MX``), or ``None``."""
    return _CONVENTIONS.get(lang.replace("_", "-").split("-", 1)[0].lower())
