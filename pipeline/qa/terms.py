"""One glossary entry, shared by the glossary and the readers of its file formats."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

__all__ = ["GlossaryTerm", "term_key"]


def term_key(text: str) -> str:
    """A term as compared: NFC, case folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


@dataclass(frozen=True, slots=True)
class GlossaryTerm:
    """One row of the glossary."""

    source: str
    """The term in the source language (``Narco-Socialism``)."""
    target: str
    """Its agreed translation (``narcosocialismo``)."""
    note: str = ""
    """Why, or when to use it (shown with findings and in the review page)."""
    plural: str = ""
    """The target's plural, when given (else the target language's rules make it)."""
    lang: str = ""
    """The target language (``es``); empty: every target language (a CSV glossary)."""

    @property
    def keep(self) -> bool:
        """Whether the entry means "never translate" (its target is its source)."""
        return term_key(self.source) == term_key(self.target)
