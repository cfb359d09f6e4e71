"""What pipeline knows about one language: the :class:`Language` record.

Each language is one module of this package (``en.py``, ``es.py``, ``pt.py``)
that builds a :class:`Language`; :func:`pipeline.lang.get` finds it for a tag.
Everything here is plain data and small functions, with no I/O and no import
from the rest of pipeline, so every layer may use it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from .tags import primary

__all__ = [
    "ADMONITIONS",
    "QUOTE_STYLES",
    "Colophon",
    "Conventions",
    "Labels",
    "Language",
    "PostEdit",
    "Style",
    "unchanged",
    "words",
]

Conventions = Callable[[Sequence[str]], list[str]]
"""Typographic conventions: the text pieces of one block in, the same pieces
set the language's way out (see :mod:`pipeline.lang.typography`)."""

PostEdit = Callable[[str], str]
"""Post-editing of machine output: a segment's text in, the same text set the
language's way out. The text is words only: each piece of markup kept whole
(code span, image, line break…) is U+FFFC and must stay; numbers are as
written and must stay; emphasis and link boundaries are invisible (see
:func:`pipeline.source.inline.edit_words`, which maps the change back)."""


def unchanged(text: str) -> str:
    """The default :data:`PostEdit`: the engine's text as it is."""
    return text


QUOTE_STYLES = ("«»", "“”", '""')
"""The values :attr:`Style.quotes` accepts."""


def words(text: str) -> frozenset[str]:
    """The words of ``text``, split at whitespace: lists of abbreviations and
    sentence openers written as one string."""
    return frozenset(text.split())


@dataclass(frozen=True, slots=True)
class Labels:
    """The words an edition's layout adds around the book's own text."""

    contents: str
    """Heading of the table of contents."""
    draft: str
    """The word for a draft; also printed, in capitals, in the PDF's running foot."""
    colophon: str
    """Heading of the colophon."""
    summary: str
    """Draft note; ``{unreviewed}`` and ``{total}`` are segment counts."""
    states: Mapping[str, str] = field(default_factory=dict)
    """Legend line per review state, explaining the mark set in the margin."""
    thousands: str = ","
    """Digit group separator for counts of five digits or more."""
    cover: str = "Cover"
    """The cover, in an e-book's navigation."""
    title_page: str = "Title page"
    """The title page, in an e-book's navigation."""
    landmarks: str = "Landmarks"
    """Heading of an e-book's list of landmarks (cover, title page, contents, text)."""
    admonitions: Mapping[str, str] = field(default_factory=lambda: ADMONITIONS)
    """The title of an admonition (a note, a tip…) that has none of its own, by
    kind as Markdown writes it (``note``, ``warning``; lower case)."""


ADMONITIONS: Mapping[str, str] = MappingProxyType(
    {
        "note": "Note",
        "abstract": "Abstract",
        "summary": "Summary",
        "tldr": "TL;DR",
        "info": "Info",
        "todo": "To do",
        "tip": "Tip",
        "hint": "Hint",
        "important": "Important",
        "success": "Success",
        "check": "Check",
        "done": "Done",
        "question": "Question",
        "help": "Help",
        "faq": "FAQ",
        "warning": "Warning",
        "caution": "Caution",
        "attention": "Attention",
        "failure": "Failure",
        "fail": "Fail",
        "missing": "Missing",
        "danger": "Danger",
        "error": "Error",
        "bug": "Bug",
        "example": "Example",
        "quote": "Quote",
        "cite": "Quote",
        "seealso": "See also",
        "details": "Details",
    }
)
"""English admonition labels: the kinds of Python-Markdown, MkDocs Material,
pymdownx.blocks, GitHub alerts and Docusaurus."""


@dataclass(frozen=True, slots=True)
class Colophon:
    """The sentences of an edition's colophon (``str.format`` templates)."""

    source: str
    """The original: ``{title}``, ``{author}``."""
    translated: str
    """Where a translation comes from: ``{language}`` (the source language's
    name in this language), ``{engines}``."""
    reviewed: str
    """How much people reviewed: ``{reviewed}``, ``{total}`` segments."""
    reviewers: str
    """Who reviewed and when: ``{names}``, ``{dates}``."""
    revision: str
    """The source's git revision: ``{revision}``."""
    made: str
    """The tool: ``{version}``."""
    none: str
    """Said of engines when no machine translation was used."""
    dirty: str
    """A revision with uncommitted changes: ``{commit}``."""


@dataclass(frozen=True, slots=True)
class Style:
    """The typographic conventions QA expects of a translation into one language.

    A language's default is :attr:`Language.style`; a project changes it per
    language with a ``[qa.<lang>]`` table in ``pipeline.toml``.
    """

    quotes: str = "“”"
    """The first-level quotation marks the book uses: ``«»`` (Spanish
    publishing and the RAE's first choice; ``“”`` are then second-level
    quotes inside them), ``“”``, or ``""`` (straight quotes allowed)."""
    nbsp_before: str = ""
    """Characters that must be preceded by a no-break space (U+00A0 or
    U+202F), e.g. ``"%"`` for ``50 %``. Empty: no such rule."""
    max_length_ratio: float = 2.0
    """A translation longer than this many times the source is flagged."""
    min_length_ratio: float = 0.4
    """A translation shorter than this fraction of the source is flagged."""
    min_length: int = 20
    """Sources with fewer characters of words than this skip the length check."""

    def __post_init__(self) -> None:
        if self.quotes not in QUOTE_STYLES:
            choices = ", ".join(QUOTE_STYLES)
            raise ValueError(f"quotes must be one of {choices}, not {self.quotes!r}")
        if not 0 < self.min_length_ratio < self.max_length_ratio:
            raise ValueError("length ratios must satisfy 0 < min_length_ratio < max_length_ratio")
        if self.min_length < 0:
            raise ValueError("min_length must not be negative")


@dataclass(frozen=True, slots=True)
class Language:
    """Everything pipeline knows about one language (and one variant of it)."""

    code: str
    """Primary language subtag, lower case (``pt``)."""
    name: str
    """The language's name in English (``Portuguese``)."""
    native_name: str
    """The language's name in itself, as a title (``Português``)."""
    names: Mapping[str, str]
    """Names of languages in this language as running text uses them, by
    primary subtag (``{"en": "inglês", …}``)."""
    labels: Labels
    """The words an edition's layout adds."""
    colophon: Colophon
    """The colophon's sentences."""
    plural_forms: str
    """The PO ``Plural-Forms`` header; empty when unknown."""
    hyphenation: str
    """The pyphen dictionary that hyphenates the language (``pt_BR``)."""
    titles: frozenset[str] = frozenset()
    """Abbreviations (lower case, no stop) that always come before a name, so
    never end a sentence (``dr``)."""
    abbreviations: frozenset[str] = frozenset()
    """Other abbreviations: they end a sentence only before one of :attr:`openers`."""
    openers: frozenset[str] = frozenset()
    """Words (lower case) that commonly start a sentence."""
    typography: Conventions | None = None
    """The typographic conventions an edition sets, or ``None`` to keep the
    text's typography as written."""
    style: Style = field(default_factory=Style)
    """What QA expects by default (``[qa.<lang>]`` in pipeline.toml overrides it)."""
    checks: tuple[str, ...] = ()
    """Ids of the language-only QA checks that run for this language (the
    checks registered as language-only run only where a language lists them)."""
    tag: str = ""
    """The tag this record was found for, normalised (``pt-BR``); the code
    when empty."""
    region: str = ""
    """Region subtag of :attr:`tag`, upper case (``BR``, ``419``); empty for none."""
    postedit: PostEdit = unchanged
    """The language's conventions applied to machine output only (a reviewed
    translation is a person's): Spanish opening ``¿``/``¡``, capitals, spacing."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", MappingProxyType(dict(self.names)))
        if not self.tag:
            object.__setattr__(self, "tag", self.code)

    def name_of(self, code: str) -> str:
        """The name of language ``code`` in this language (the code itself when unknown)."""
        return self.names.get(primary(code), code)
