"""Two pure-Python engines for tests and layout checks: ``pseudo`` and ``identity``.

``pseudo`` makes a visible, deterministic fake translation: letters get accented
look-alikes (``a`` → ``á``, ``o`` → ``ö``…) and each text is wrapped in
``[!! … !!]`` so a truncated or untranslated string stands out in a layout.
Tags (``<span id=…>``, ``</span>``, ``<br id=…>``), entities (``&amp;``) and
whitespace, soft line breaks included, come back byte for byte; only the
characters between them change, one for one.

``identity`` returns every text unchanged: the engine for round-trip checks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..errors import UnsupportedPair

PAIRS: list[tuple[str, str]] = [("en", "es"), ("es", "en")]
"""The pairs both engines report (our editions' languages)."""

MARK_OPEN = "[!! "
"""Put before each pseudo-translated text (after its leading whitespace)."""

MARK_CLOSE = " !!]"
"""Put after each pseudo-translated text (before its trailing whitespace)."""

_PLAIN = "aeiouycnAEIOUYCN"
_ACCENTED = "áéíöüýçñÁÉÍÖÜÝÇÑ"
_ACCENT = str.maketrans(_PLAIN, _ACCENTED)
# A tag or an entity: kept as is. Everything else is text.
_MARKUP = re.compile(r"(<[^<>]*>|&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);)")


def pseudo_translate(text: str) -> str:
    """Return the pseudo translation of one tagged text (blank text is returned as is)."""
    body = text.strip()
    if not body:
        return text
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    # re.split with a capturing group: odd items are the markup, kept verbatim.
    parts = _MARKUP.split(body)
    parts[::2] = [part.translate(_ACCENT) for part in parts[::2]]
    return f"{lead}{MARK_OPEN}{''.join(parts)}{MARK_CLOSE}{trail}"


class PseudoEngine:
    """Deterministic fake translation between English and Spanish (either way)."""

    name = "pseudo"
    version = "1"

    def pairs(self) -> list[tuple[str, str]]:
        """``en->es`` and ``es->en``; the output is the same in both directions."""
        return list(PAIRS)

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        """Pseudo-translate each text; raise :class:`UnsupportedPair` for other pairs."""
        if (source, target) not in PAIRS:
            raise UnsupportedPair(
                f"engine 'pseudo' cannot translate {source}->{target}",
                hint="it supports: en->es, es->en",
            )
        return [pseudo_translate(text) for text in texts]


class IdentityEngine:
    """Return every text unchanged.

    :meth:`pairs` reports ``en->es`` and ``es->en`` so that
    :func:`~pipeline.mt.base.check_pair` accepts the editions' languages, but
    :meth:`translate` accepts any pair: copying text needs no language data.
    """

    name = "identity"
    version = "1"

    def pairs(self) -> list[tuple[str, str]]:
        """``en->es`` and ``es->en`` (translate itself accepts any pair)."""
        return list(PAIRS)

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        """Return a copy of ``texts``."""
        return list(texts)
