"""Two pure-Python engines for tests and layout checks: ``pseudo`` and ``identity``.

``pseudo`` makes a visible, deterministic fake translation: letters get accented
look-alikes (``a`` → ``á``, ``o`` → ``ö``…) and each text is wrapped in
``[!! … !!]`` so a truncated or untranslated string stands out in a layout.
Placeholders (``<span id=…>``, ``</span>``, ``<br id=…>``), escaped characters
(``&amp;``) and whitespace, soft line breaks included, come back as they were
(byte for byte for tagged text as :mod:`pipeline.mt.tagged` writes it); only
the characters of the words and hints change, one for one.

``identity`` returns every text unchanged: the engine for round-trip checks.

Languages: neither engine needs language data, so both translate between any
two different language codes (:func:`any_pair`): :meth:`~PseudoEngine.supports`
says so to :func:`~pipeline.mt.base.check_pair`. :meth:`~PseudoEngine.pairs`
lists the directions between the languages of our editions (:data:`LANGUAGES`),
for ``pipeline engines`` and error messages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from . import tagged
from .base import EngineBase, check_pair

LANGUAGES = ("en", "es", "pt")
"""The languages whose pairs :meth:`PseudoEngine.pairs` lists."""

PAIRS: list[tuple[str, str]] = [(s, t) for s in LANGUAGES for t in LANGUAGES if s != t]
"""Every direction between :data:`LANGUAGES` (``en->es``, ``en->pt``, ``es->en``…)."""

LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")
"""A language code as ``pipeline.toml`` takes it: ``pt``, ``pt-BR``, ``sr-Latn``."""

MARK_OPEN = "[!! "
"""Put before each pseudo-translated text (after its leading whitespace)."""

MARK_CLOSE = " !!]"
"""Put after each pseudo-translated text (before its trailing whitespace)."""

_PLAIN = "aeiouycnAEIOUYCN"
_ACCENTED = "áéíöüýçñÁÉÍÖÜÝÇÑ"
_ACCENT = str.maketrans(_PLAIN, _ACCENTED)


def any_pair(source: str, target: str) -> bool:
    """Whether ``source`` and ``target`` are two different language codes."""
    return source != target and all(LANGUAGE_CODE.fullmatch(code) for code in (source, target))


def _accent(item: tagged.Item) -> tagged.Item:
    if isinstance(item, tagged.Text):
        return tagged.Text(item.text.translate(_ACCENT))
    if isinstance(item, tagged.Atom):
        return tagged.Atom(item.id, item.hint.translate(_ACCENT))
    return item


def pseudo_translate(text: str) -> str:
    """Return the pseudo translation of one tagged text (blank text is returned as is)."""
    body = text.strip()
    if not body:
        return text
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    words = tagged.write(_accent(item) for item in tagged.parse(body))
    return f"{lead}{MARK_OPEN}{words}{MARK_CLOSE}{trail}"


class _AnyPair(EngineBase):
    """An engine that needs no language data: any two different languages."""

    install_hint = "it takes any two different language codes (such as en->pt)"
    """Appended to :func:`~pipeline.mt.base.check_pair`'s error (for a pair such as en->en)."""

    version = "1"
    """Output never changes with the machine, so a constant."""

    postedit = False
    """Its output is not text in the target language, so the language's
    post-editing (Spanish ``¿``, capitals…) leaves it alone."""

    def pairs(self) -> list[tuple[str, str]]:
        """Every direction between :data:`LANGUAGES` (:meth:`supports` takes any pair)."""
        return list(PAIRS)

    def supports(self, source: str, target: str) -> bool:
        """Any two different language codes (:func:`any_pair`)."""
        return any_pair(source, target)


class PseudoEngine(_AnyPair):
    """Deterministic fake translation between any two languages."""

    name = "pseudo"

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        """Pseudo-translate each text (the output is the same for every pair).

        Raises :class:`~pipeline.errors.UnsupportedPair` unless :meth:`supports`
        the pair.
        """
        check_pair(self, source, target)
        return [pseudo_translate(text) for text in texts]


class IdentityEngine(_AnyPair):
    """Return every text unchanged, for any two languages."""

    name = "identity"

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        """Return a copy of ``texts``.

        Raises :class:`~pipeline.errors.UnsupportedPair` unless :meth:`supports`
        the pair.
        """
        check_pair(self, source, target)
        return list(texts)
