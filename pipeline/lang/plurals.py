"""Plurals of glossary terms, by language: :func:`plural`.

A glossary gives a term in the singular (``narcoestado``); where the source
has the plural (``narco-states``) the translation needs the target's plural
(``narcoestados``). A glossary entry may give it itself (a ``plural`` column);
otherwise these rules make it. Plain functions, no I/O.

Spanish (RAE, *Nueva gramática*, §3): a noun phrase is pluralised up to its
first preposition (``Cártel de los Soles`` → ``Cárteles de los Soles``;
``línea roja`` → ``líneas rojas``); each word takes ``-s`` after an
unstressed vowel or ``á é ó``, ``-es`` after a consonant, ``í``/``ú`` or
``y`` (``-z`` → ``-ces``); words ending in an unstressed ``-s``/``-x``
(``crisis``, ``tórax``) do not change; the written accent moves as the
stress rules need (``canción`` → ``canciones``, ``crimen`` → ``crímenes``).
Portuguese follows its own endings (``-ão`` → ``-ões``, ``-m`` → ``-ns``,
``-l`` → ``-is``, ``-r``/``-z`` → ``-es``). Other languages: ``-s``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .base import words
from .tags import primary

__all__ = ["plural"]

_ACUTE = str.maketrans("áéíóú", "aeiou")
_ADD_ACUTE = str.maketrans("aeiou", "áéíóú")
_VOWELS = "aeiouáéíóúü"
_STRONG = "aeoáéó"
_ES_STOP = words("de del para con en a sin por sobre contra entre y e o u")
_PT_STOP = words("de do da dos das para com em sem por sobre contra entre e ou")


def _keep_case(word: str, made: str) -> str:
    """``made`` in the case of ``word`` (all capitals stay all capitals)."""
    return made.upper() if word.isupper() and len(word) > 1 else made


def _accent_penult(stem: str) -> str:
    """``stem`` with a written accent on its last vowel group but one's
    stressed vowel (``crimen`` → ``crímen``, before ``-es`` is added)."""
    groups = [m for m in re.finditer(f"[{_VOWELS}]+", stem)]
    if len(groups) < 2:
        return stem
    group = groups[-2]
    vowels = group.group()
    strong = [i for i, ch in enumerate(vowels) if ch in _STRONG]
    index = group.start() + (strong[0] if strong else len(vowels) - 1)
    return stem[:index] + stem[index].translate(_ADD_ACUTE) + stem[index + 1 :]


def _unaccent_last(word: str) -> str:
    """A word stressed on its last syllable (``canción``) without the accent its
    plural no longer needs (``cancion`` + ``es``); an accent that marks a
    hiatus stays (``país`` → ``países``)."""
    vowel = word[-2]
    if vowel.lower() in "íú" and len(word) > 2 and word[-3].lower() in _VOWELS:
        return word
    return word[:-2] + vowel.translate(_ACUTE) + word[-1]


def _spanish_word(word: str) -> str:
    lower = word.lower()
    if not lower or not lower[-1].isalpha() or (word.isupper() and len(word) > 1):
        return word  # an acronym or a symbol: as written (``ONG``)
    last = lower[-1]
    accented = any(ch in "áéíóú" for ch in lower)
    if last in "aeiouáéó":
        return word + "s"
    if last in "íú":
        return word + "es"
    if last == "z":
        return word[:-1] + _keep_case(word, "ces")
    if last in "sx":
        # Unstressed final syllable (crisis, tórax): no change; stressed (autobús, país): -es.
        stressed = lower[-2:-1] in ("á", "é", "í", "ó", "ú") or (
            not accented and sum(1 for ch in lower if ch in _VOWELS) == 1
        )
        return _unaccent_last(word) + _keep_case(word, "es") if stressed else word
    if last == "y":
        return word + _keep_case(word, "es")
    # A consonant: -es, the accent following the stress.
    tail = lower[-2:-1]
    if tail in ("á", "é", "í", "ó", "ú") and last in "ns":
        return _unaccent_last(word) + _keep_case(word, "es")
    if last == "n" and not accented:
        # An unaccented word ending in -n is stressed on its last syllable but one;
        # with -es that syllable is the third from the end and takes an accent.
        return _accent_penult(word) + _keep_case(word, "es")
    return word + _keep_case(word, "es")


def _portuguese_word(word: str) -> str:
    lower = word.lower()
    if not lower or not lower[-1].isalpha() or (word.isupper() and len(word) > 1):
        return word
    if lower.endswith("ão"):
        return word[:-2] + _keep_case(word, "ões")
    if lower.endswith("m"):
        return word[:-1] + _keep_case(word, "ns")
    if lower.endswith(("al", "el", "ol", "ul")):
        return word[:-1] + _keep_case(word, "is")
    if lower[-1] in "rzs" and not lower.endswith(("is", "us")):
        return word + _keep_case(word, "es")
    return word + _keep_case(word, "s")


def _phrase(rule: Callable[[str], str], stop: frozenset[str]) -> Callable[[str], str]:
    def plural(phrase: str) -> str:
        words = phrase.split(" ")
        out: list[str] = []
        for index, word in enumerate(words):
            if word.lower() in stop and index:
                out.extend(words[index:])
                break
            out.append(rule(word) if word else word)
        return " ".join(out)

    return plural


_RULES: dict[str, Callable[[str], str]] = {
    "es": _phrase(_spanish_word, _ES_STOP),
    "pt": _phrase(_portuguese_word, _PT_STOP),
}


def plural(lang: str, phrase: str) -> str:
    """The plural of a noun phrase in language ``lang`` (see the module
    documentation): ``plural("es", "narcoestado") == "narcoestados"``."""
    rule = _RULES.get(primary(lang))
    if rule is None:
        return phrase if phrase.endswith("s") else phrase + "s"
    return rule(phrase)
