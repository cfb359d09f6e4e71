"""What the renderers receive: one edition of one book, already translated."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True, frozen=True)
class TocEntry:
    """One line of the table of contents."""

    level: int
    """Heading level (2 for a chapter, 3 for a section...)."""
    anchor: str
    """``id`` of the heading element in the body HTML."""
    text: str
    """Plain text of the heading."""
    translation: str = ""
    """In a bilingual edition, plain text of the heading's translation."""
    translation_anchor: str = ""
    """In a bilingual edition, ``id`` of the translated heading."""


@dataclass(slots=True, frozen=True)
class Section:
    """A top-level part of the body: a chapter (a level-2 heading in the
    edition and what follows it), or the untitled opening before the first one."""

    anchor: str
    """``id`` of the section's heading; ``""`` for the untitled opening section
    (what comes before the first chapter that is not title-page matter)."""
    html: str
    """Body HTML of the section, starting with its heading element (empty in a
    bilingual edition, whose body is in :attr:`rows`)."""
    rows: list[Row] = field(default_factory=list)
    """In a bilingual edition, the section as aligned rows, its heading first."""
    opens_right: bool = False
    """The section opens a chapter file of the book: it starts on a right-hand page."""


@dataclass(slots=True, frozen=True)
class Row:
    """One step of a bilingual edition: a block and its translation, side by side.

    The renderers start both halves of a row at the same height (HTML and PDF
    columns), on facing pages (PDF), or one after the other (EPUB).
    """

    kind: str
    """``heading``, ``paragraph``, ``list-item``, ``quote``, ``block`` (a table,
    footnotes: translated as a whole) or ``shared`` (code, a rule, an image:
    nothing to translate, shown once across both columns)."""
    source_html: str
    """HTML of the block in the source language."""
    translation_html: str | None = None
    """HTML of the block in the translation; ``None`` for a ``shared`` row."""


@dataclass(slots=True)
class Translation:
    """The second language of a bilingual edition: what stands beside the source."""

    lang: str
    """Language of the translation (``es``)."""
    title: str
    """Plain-text title in the translation."""
    title_page_html: str
    """HTML of the translated title page (title, byline)."""
    colophon: list[str] = field(default_factory=list)
    """Colophon lines in the translation's language."""


@dataclass(slots=True)
class Edition:
    """One language edition of a book, ready to be laid out."""

    book_id: str
    """File stem of the book (``executive-summary``)."""
    lang: str
    """Language of the edition (``en``, ``es``)."""
    source_lang: str
    """Language the book was written in."""
    title: str
    """Plain-text title, for ``<title>`` and the PDF metadata."""
    author: str
    """Author, for ``<meta name=author>`` and the PDF metadata."""
    title_page_html: str
    """HTML of the title page: the title heading (or, for a document without
    one, the title as an ``h1``) and the byline paragraphs right after it."""
    toc: list[TocEntry]
    """Headings to list in the table of contents, in order."""
    sections: list[Section]
    """The body: the untitled opening section if there is one, then one entry per chapter."""
    counts: dict[str, int] = field(default_factory=dict)
    """Segments per review state: ``new``, ``machine``, ``needs-review``, ``reviewed``."""
    colophon: list[str] = field(default_factory=list)
    """Plain-text lines for the colophon (engines, versions, generator)."""
    description: str = ""
    """What the book is about, in a sentence (from its front matter), for
    ``<meta name=description>``, the PDF's subject and the EPUB's
    ``dc:description``; empty when it gives none."""
    translation: Translation | None = None
    """Set for a bilingual edition: :attr:`lang` is then the source language,
    :attr:`counts` count the translation's segments, and each section is a
    list of :class:`Row`."""

    @property
    def bilingual(self) -> bool:
        """Whether the edition sets the source and its translation side by side."""
        return self.translation is not None

    @property
    def languages(self) -> tuple[str, ...]:
        """The edition's languages: ``("en",)``, or ``("en", "es")`` when bilingual."""
        return (self.lang,) if self.translation is None else (self.lang, self.translation.lang)

    @property
    def slug(self) -> str:
        """The edition's folder under ``output/``: ``es``, or ``en-es`` when bilingual."""
        return "-".join(self.languages)

    @property
    def unreviewed(self) -> int:
        """How many segments of this edition a person has not approved yet."""
        return sum(n for state, n in self.counts.items() if state != "reviewed")

    @property
    def draft(self) -> bool:
        """A draft is any edition with unreviewed segments."""
        return self.unreviewed > 0
