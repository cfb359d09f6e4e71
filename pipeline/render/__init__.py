"""Renderers: lay out an :class:`Edition` as self-contained HTML and as a PDF.

``render_html(edition)`` gives the HTML text; ``render_pdf(html)`` turns that
text into PDF bytes with WeasyPrint, which is imported only when a PDF is made.
"""

from __future__ import annotations

from .html import render_html
from .model import Edition, Section, TocEntry
from .pdf import check_fonts, offline_url_fetcher, render_pdf

__all__ = [
    "Edition",
    "Section",
    "TocEntry",
    "check_fonts",
    "offline_url_fetcher",
    "render_html",
    "render_pdf",
]
