"""Sentence splitting for machine translation: small, rule-based, offline.

Neural engines translate one sentence at a time; a paragraph must be cut into
sentences first. argostranslate's own splitter downloads a model at run time,
which cannot work offline, so pipeline splits by itself.

:func:`split` returns the ``(start, end)`` character spans of the sentences of
a text; the whitespace between two sentences belongs to neither, so a caller
can put the translations back together with the text's own spacing. A
boundary is a ``.``, ``?``, ``!`` or ellipsis (with any closing quotes or
brackets after it), then whitespace, then something that can start a sentence
(a capital letter, a digit, an opening quote or bracket, ``¿`` or ``¡``).
It is not a boundary:

- after an abbreviation: titles (``Mr.``, ``Dr.``, ``Sr.``, ``Dra.``…) never
  end a sentence; other abbreviations (``etc.``, ``Inc.``, ``No.``), initials
  (``J. R. R. Tolkien``), dotted acronyms (``U.S.``, ``e.g.``) and Spanish
  doubled-letter plurals (``EE. UU.``, ``FF. AA.``) end one only when the next
  word commonly starts a sentence (``in the U.S. The army`` splits, ``the U.S.
  Army`` does not);
- after an enumeration label at the start of a sentence (``1.``, ``II.``, ``a.``);
- inside a Spanish ``¿…?`` or ``¡…!`` that is still open (``¿Vio al Dr. Ruiz?``);
- inside a range the caller asks to keep whole (a placeholder span).

Splitting is done per segment (a paragraph at most), which keeps it fast.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..lang import get as get_language

__all__ = ["sentences", "split"]

# Quotes, brackets and dashes that open or close a sentence (escaped: several
# look alike). A terminator is a run of stops, closing marks, then whitespace.
_OPENING = "\"'\u201c\u2018\u00ab([\u2014\u2013-"
_CLOSING = "\"'\u201d\u2019\u00bb)]"
_BREAK = re.compile(
    r"(?P<stop>[.!?\u2026]+)(?P<close>[" + re.escape(_CLOSING) + r"]*)(?P<space>\s+)"
)
_NEXT_WORD = re.compile(r"[" + re.escape(_OPENING + "¿¡") + r"]*(\w+)")
_ACRONYM = re.compile(r"^(?:\w\.)+\w$")
_DOUBLED = re.compile(r"^(\w)\1+$")
_LABEL = re.compile(r"^(?:\d{1,4}|[IVXLCDM]{1,6}|[A-Za-z])$")


def split(
    text: str, lang: str = "en", *, keep: Sequence[tuple[int, int]] = ()
) -> list[tuple[int, int]]:
    """The ``(start, end)`` spans of the sentences of ``text``, in order.

    Leading and trailing whitespace and the whitespace between sentences are
    outside every span; a blank text has no sentences. ``lang`` picks the
    abbreviation lists (:attr:`pipeline.lang.Language.titles`, ``abbreviations``,
    ``openers``; a language pipeline has no module for uses those of every one).
    No boundary falls inside a ``keep`` range ``(start, end)``: a range that
    starts before a boundary's whitespace and ends after it keeps the two
    sentences together.
    """
    language = get_language(lang)
    titles, abbreviations, openers = language.titles, language.abbreviations, language.openers
    first = len(text) - len(text.lstrip())
    last = len(text.rstrip())
    if first >= last:
        return []
    spans: list[tuple[int, int]] = []
    start = first
    for match in _BREAK.finditer(text, first, last):
        end = match.end("close")
        nxt = match.end()
        if nxt >= last or not _starts_sentence(text, nxt):
            continue
        if _inside_inverted(text[start : match.end("stop")]):
            continue
        if any(a < nxt and b > end for a, b in keep):
            continue
        if match.group("stop") == "." and not _ends_sentence(
            text, start, match.start(), nxt, titles, abbreviations, openers
        ):
            continue
        spans.append((start, end))
        start = nxt
    spans.append((start, last))
    return spans


def sentences(text: str, lang: str = "en") -> list[str]:
    """The sentences of ``text`` as strings (a convenience around :func:`split`)."""
    return [text[a:b] for a, b in split(text, lang)]


def _starts_sentence(text: str, pos: int) -> bool:
    """Whether a sentence can start at ``pos``: a capital, a digit, ``¿`` or ``¡``,
    after any opening quotes, brackets or dashes."""
    while pos < len(text) and text[pos] in _OPENING:
        pos += 1
    return pos < len(text) and (text[pos].isupper() or text[pos].isdigit() or text[pos] in "¿¡")


def _inside_inverted(sentence: str) -> bool:
    """Whether a Spanish ``¿`` or ``¡`` opened in ``sentence`` is still open."""
    return sentence.count("¿") > sentence.count("?") or sentence.count("¡") > sentence.count("!")


def _ends_sentence(
    text: str,
    start: int,
    stop: int,
    nxt: int,
    titles: frozenset[str],
    abbreviations: frozenset[str],
    openers: frozenset[str],
) -> bool:
    """Whether the single period at ``stop`` ends the sentence that began at ``start``.

    ``nxt`` is where the next word starts.
    """
    before = text[start:stop]
    token = before.rsplit(None, 1)[-1] if before.strip() else ""
    token = token.lstrip(_OPENING + "¿¡")
    if not token:
        return True
    if before.strip() == token and _LABEL.match(token):
        return False  # "1. State capture", "II. What defines…", "a. First point"
    lowered = token.lower()
    if lowered in titles:
        return False
    word = _NEXT_WORD.match(text, nxt)
    next_word = word.group(1).lower() if word else ""
    if (
        lowered in abbreviations
        or (len(token) == 1 and token.isalpha())
        or _ACRONYM.match(token)
        or (_DOUBLED.match(token) and token.isupper())
    ):
        return next_word in openers
    return True
