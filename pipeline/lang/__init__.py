"""Languages: everything pipeline knows about one language, one module each.

``get("pt-BR")`` gives the :class:`~pipeline.lang.base.Language` for a tag
(BCP 47 ``pt-BR`` or POSIX ``pt_BR``): labels and colophon of an edition,
language names, PO plural forms, the hyphenation dictionary, the
abbreviations sentence splitting needs, typographic conventions, the QA
style and the language-only QA checks. A code pipeline has no module for gets
a generic language built on English, with its own code. :func:`primary` is the
one way to read a tag's language.

Adding a language is one module here (``fr.py`` defining ``LANGUAGE`` and
``VARIANTS``) and one line in :data:`_MODULES`.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from types import ModuleType

from . import en, es, pt
from .base import QUOTE_STYLES, Colophon, Conventions, Labels, Language, Style
from .tags import normalize, primary, region, same_language

__all__ = [
    "QUOTE_STYLES",
    "Colophon",
    "Conventions",
    "Labels",
    "Language",
    "Style",
    "get",
    "known",
    "normalize",
    "primary",
    "region",
    "same_language",
]

_MODULES: dict[str, ModuleType] = {module.LANGUAGE.code: module for module in (en, es, pt)}
"""The registered languages by code: each module defines ``LANGUAGE`` (the
default variety) and ``VARIANTS`` (other varieties by region subtag)."""

_AUTONYMS = {"ca": "Català", "de": "Deutsch", "fr": "Français", "it": "Italiano"}
"""Names in themselves of languages with no module, for e-book covers."""


def known() -> tuple[str, ...]:
    """Codes of the languages with a module, sorted (``("en", "es", "pt")``)."""
    return tuple(sorted(_MODULES))


@cache
def get(tag: str) -> Language:
    """The language of a tag: ``es``, ``es-ES``, ``pt-BR``, ``pt_BR`` (the region
    picks a variant where the language has one). A code with no module gives
    a generic language built on English (English labels, colophon and
    conventions) that keeps its own code and tag."""
    norm = normalize(tag) or "und"
    module = _MODULES.get(primary(norm))
    if module is None:
        return _generic(norm)
    found: Language = module.VARIANTS.get(region(norm), module.LANGUAGE)
    return replace(found, tag=norm, region=region(norm))


def _generic(tag: str) -> Language:
    """A language pipeline has no module for: English words, its own code.

    Sentence splitting, knowing no abbreviations of its own, accepts those of
    every known language; the PO plural forms are left unset."""
    english = en.LANGUAGE
    code = primary(tag)
    modules = _MODULES.values()
    name = english.names.get(code, tag)
    return replace(
        english,
        code=code,
        name=name,
        native_name=_AUTONYMS.get(code, name),
        plural_forms="",
        hyphenation=tag.replace("-", "_"),
        titles=frozenset().union(*(m.LANGUAGE.titles for m in modules)),
        abbreviations=frozenset().union(*(m.LANGUAGE.abbreviations for m in modules)),
        openers=frozenset().union(*(m.LANGUAGE.openers for m in modules)),
        typography=None,
        style=Style(),
        checks=(),
        tag=tag,
        region=region(tag),
    )
