"""Renderers: lay out an :class:`Edition` as self-contained HTML, as a PDF and as an EPUB.

``render_html(edition)`` gives the HTML text; ``render_pdf(html)`` turns that
text into PDF bytes with WeasyPrint, which is imported only when a PDF is made;
``render_pdf_facing(edition)`` sets a bilingual edition on facing pages;
``render_epub(edition, modified=...)`` gives the bytes of an EPUB 3 book.
"""

from __future__ import annotations

from .epub import render_epub
from .html import render_html
from .model import Edition, Row, Section, TocEntry, Translation
from .pdf import check_fonts, offline_url_fetcher, render_pdf, render_pdf_facing

__all__ = [
    "Edition",
    "Row",
    "Section",
    "TocEntry",
    "Translation",
    "check_fonts",
    "offline_url_fetcher",
    "render_epub",
    "render_html",
    "render_pdf",
    "render_pdf_facing",
]
