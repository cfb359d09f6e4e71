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


@dataclass(slots=True, frozen=True)
class Section:
    """A top-level part of the body: a level-2 heading and what follows it."""

    anchor: str
    """``id`` of the section's heading."""
    html: str
    """Body HTML of the section, starting with its heading element."""


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
    """HTML of everything before the first level-2 heading (title, byline)."""
    toc: list[TocEntry]
    """Headings to list in the table of contents, in order."""
    sections: list[Section]
    """The body, one entry per level-2 heading."""
    counts: dict[str, int] = field(default_factory=dict)
    """Segments per review state: ``new``, ``machine``, ``needs-review``, ``reviewed``."""
    colophon: list[str] = field(default_factory=list)
    """Plain-text lines for the colophon (engines, versions, generator)."""

    @property
    def unreviewed(self) -> int:
        """How many segments of this edition a person has not approved yet."""
        return sum(n for state, n in self.counts.items() if state != "reviewed")

    @property
    def draft(self) -> bool:
        """A draft is any edition with unreviewed segments."""
        return self.unreviewed > 0
