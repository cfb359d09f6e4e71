"""Post-editing of machine output: the machinery a language module configures.

An engine writes a language's words but not always its conventions: Apertium
leaves Spanish questions without their opening ``¿``, splits a hyphenated
compound around an article it inserts ("Narco-el socialismo"), and leaves a
double space where it drops a pronoun. :func:`postediting` builds the
:data:`~pipeline.lang.base.PostEdit` function that sets them right from a few
parameters, which each language module gives (``es.py``):

* **compounds**: ``X-<article> Y`` becomes ``X-Y``, the second part taking the
  case of the first (``Narco-el socialismo`` → ``Narco-Socialismo``,
  ``narco-los estados`` → ``narco-estados``): an article never sits inside a
  hyphenated word;
* **spacing**: one space between words, none after an opening mark
  (``“ Estamos`` → ``“Estamos``) or before a closing one (``cártel .``);
* **opening marks** (``inverted``): ``¿`` and ``¡`` at the start of the
  question or exclamation a ``?`` or ``!`` closes: after the previous
  sentence's end, a colon or semicolon, a line break, or an opening quote or
  parenthesis still open (``I. Qué es?`` → ``I. ¿Qué es?``);
* **capitals**: a sentence that starts after another one's end inside the
  segment starts with a capital (not after an abbreviation or an initial); a
  function word the engine capitalised right after a piece of markup
  (U+FFFC) in mid-sentence, as after a code span, is lower case again.

The text is words only (see :data:`~pipeline.lang.base.PostEdit`): each piece
of markup kept whole is U+FFFC, which is never moved or removed; numbers are
never changed. The segment's first letter is left as the engine wrote it (a
list item may start in lower case in the source).
"""

from __future__ import annotations

import re
from collections.abc import Collection

from .base import PostEdit

__all__ = ["postediting"]

OBJECT = "\ufffc"
"""Stands for a piece of markup in the text (see :data:`~pipeline.lang.base.PostEdit`)."""

_OPENING = "«“(["
_CLOSING = "»”)]"
# Single quotes are left out: a closing one is also an apostrophe.
_PAIRS = dict(zip(_OPENING, _CLOSING, strict=True))
_ROMAN = re.compile(r"[IVXLCDM]+")
_WINDOW = 40
"""Characters looked at before a stop to tell whether it ends a sentence."""
_LETTER = r"[^\W\d_]"
_SPACES = re.compile(r"(?<=[^\s]) {2,}(?=[^\s])")
_AFTER_OPENING = re.compile(r"(?<=[«“(\[¿¡]) +(?=[^\s])")
_BEFORE_CLOSING = re.compile(r"(?<=[^\s\ufffc]) +(?=[.,;:!?)\]»”](?:\s|$|[)\]»”]))")


def postediting(
    *,
    inverted: bool,
    abbreviations: Collection[str] = (),
    function_words: Collection[str] = (),
    articles: Collection[str] = (),
) -> PostEdit:
    """The post-editing of one language.

    ``inverted``: questions and exclamations open with ``¿`` and ``¡``.
    ``abbreviations`` (lower case, no stop): words whose stop ends no
    sentence. ``function_words`` (lower case): words never capitalised in
    mid-sentence. ``articles`` (lower case): words an engine may wrongly put
    inside a hyphenated compound.
    """
    abbreviations = frozenset(abbreviations)
    function_words = frozenset(function_words)
    compound = (
        re.compile(
            rf"(?<![\w-])({_LETTER}+)-({'|'.join(sorted(map(re.escape, articles)))}) "
            rf"({_LETTER}+)",
            re.IGNORECASE,
        )
        if articles
        else None
    )

    def is_stop(text: str, at: int) -> bool:
        """Whether the ``.`` at ``at`` ends a sentence."""
        if at + 1 < len(text) and not (text[at + 1].isspace() or text[at + 1] in _CLOSING):
            return False  # 3.5, e.g., a URL
        window = max(0, at - _WINDOW)
        word = re.search(r"[^\W_]+$", text[window:at])
        if word is None:
            return True
        found = word.group()
        if found.isdigit():
            return True
        if _ROMAN.fullmatch(found) and window + word.start() == 0:
            return True  # a section number: "I. ¿Qué…?"
        if found.casefold() in abbreviations:
            return False
        return not (len(found) == 1 and found.isupper())  # an initial

    def ends_sentence(text: str, at: int) -> bool:
        char = text[at]
        if char in "?!":
            return True
        return char == "." and is_stop(text, at)

    def fix_compounds(text: str) -> str:
        if compound is None:
            return text

        def join(match: re.Match[str]) -> str:
            first, second = match.group(1), match.group(3)
            second = second[:1].upper() if first[:1].isupper() else second[:1].lower()
            return f"{first}-{second}{match.group(3)[1:]}"

        return compound.sub(join, text)

    def fix_spacing(text: str) -> str:
        text = _SPACES.sub(" ", text)
        text = _AFTER_OPENING.sub("", text)
        return _BEFORE_CLOSING.sub("", text)

    def question_start(text: str, end: int, opener: str) -> int | None:
        """Where the question (or exclamation) closed at ``end`` starts; ``None``
        when it is already opened."""
        depth = 0
        at = end - 1
        while at >= 0:
            char = text[at]
            if char == opener:
                return None
            if char in _CLOSING:
                depth += 1
            elif char in _OPENING:
                if depth == 0:
                    return at + 1
                depth -= 1
            elif (
                depth == 0
                and (char in ":;\n" or (char in "?!.…" and text[at + 1 : at + 2].isspace()))
                and (char != "." or is_stop(text, at))
            ):
                return at + 1
            at -= 1
        return 0

    def add_openers(text: str, closer: str, opener: str) -> str:
        inserts: list[int] = []
        for match in re.finditer(re.escape(closer), text):
            end = match.start()
            after = text[end + 1 : end + 2]
            if after and not (after.isspace() or after in _CLOSING or after in ".,;:"):
                continue  # inside a word or address
            if (end > 0 and text[end - 1] in "?!") or after in ("?", "!"):
                continue  # ?! and !? are left alone
            start = question_start(text, end, opener)
            if start is None:
                continue
            while start < end and text[start].isspace():
                start += 1
            while start < end and text[start] in _OPENING:
                if _PAIRS[text[start]] in text[start + 1 : end]:
                    break  # a quotation closed before the question mark: the ¿ goes outside
                start += 1
            if start >= end or not (text[start].isalnum() or text[start] in _OPENING):
                continue  # nothing to open, or markup first (left as it is)
            inserts.append(start)
        pieces: list[str] = []
        last = 0
        for at in inserts:
            pieces.extend([text[last:at], opener])
            last = at
        pieces.append(text[last:])
        return "".join(pieces)

    def fix_capitals(text: str) -> str:
        chars = list(text)
        for match in re.finditer(r"[.?!](?=\s+[«“(¿¡]*[^\W\d_])", text):
            if not ends_sentence(text, match.start()):
                continue
            at = match.end()
            while not chars[at].isalpha():
                at += 1
            chars[at] = chars[at].upper()
        text = "".join(chars)

        def lower(match: re.Match[str]) -> str:
            word = match.group(2)
            end = match.start()
            while end > 0 and text[end - 1].isspace():
                end -= 1
            if not end or ends_sentence(text, end - 1) or text[end - 1] in ":\n":
                return match.group(0)
            if word.casefold() not in function_words:
                return match.group(0)
            return f"{OBJECT}{match.group(1)}{word[0].lower()}{word[1:]}"

        return re.sub(rf"{OBJECT}(\s+)({_LETTER}[^\W\d_A-Z]*)\b", lower, text)

    def postedit(text: str) -> str:
        text = fix_spacing(fix_compounds(text))
        if inverted:
            text = add_openers(text, "?", "¿")
            text = add_openers(text, "!", "¡")
        return fix_capitals(text)

    return postedit
