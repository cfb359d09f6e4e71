"""The unit of translation: one block's inline content."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True, frozen=True)
class Segment:
    """One translatable block: a heading, paragraph, list item or table cell."""

    id: str
    """Stable id (``msgctxt`` in the PO catalogue), derived from the normalised
    source text, with ``-2``, ``-3``… for repeats in one document."""

    kind: str
    """``heading``, ``paragraph``, ``list-item``, ``table-cell`` or ``quote``."""

    source: str
    """The inline Markdown source, exactly as written (lines joined by ``\\n``)."""

    line: int
    """1-based line of the block in its Markdown file."""

    index: int
    """Position of the segment in reading order (0-based)."""
