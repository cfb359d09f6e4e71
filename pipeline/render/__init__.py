"""Renderers: lay out an :class:`Edition` as self-contained HTML, as a PDF and as an EPUB.

Every format is a :class:`~pipeline.render.registry.Renderer` found by name in
:mod:`pipeline.render.registry`; :mod:`pipeline.render.jobs` lays out the slow
ones (PDF) in worker processes. The functions behind them can be called
directly: ``render_html(edition)`` gives the HTML text; ``render_pdf(html)``
turns that text into PDF bytes with WeasyPrint, which is imported only when a
PDF is made; ``render_pdf_facing(edition)`` sets a bilingual edition on facing
pages; ``render_epub(edition, modified=...)`` gives the bytes of an EPUB 3 book.

Names are imported on first use, so that importing a part of this package
(the registry, from :mod:`pipeline.config`) does not load every renderer.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .epub import render_epub
    from .html import render_html
    from .model import Edition, Row, Section, TocEntry, Translation
    from .pdf import check_fonts, offline_url_fetcher, render_pdf, render_pdf_facing

_EXPORTS = {
    "Edition": "model",
    "Row": "model",
    "Section": "model",
    "TocEntry": "model",
    "Translation": "model",
    "check_fonts": "pdf",
    "offline_url_fetcher": "pdf",
    "render_epub": "epub",
    "render_html": "html",
    "render_pdf": "pdf",
    "render_pdf_facing": "pdf",
}

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


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
