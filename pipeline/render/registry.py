"""The output formats: one :class:`Renderer` per format, found by name.

Every format starts from the same two things, the assembled
:class:`~pipeline.render.model.Edition` and its HTML (:func:`render_html`),
and returns the bytes of one file. The build asks :func:`get` for the renderer
of each configured format and calls it the same way for all of them; formats
marked :attr:`Renderer.slow` are queued and laid out in worker processes
(:mod:`pipeline.render.jobs`).

Adding a format is one new module holding a class that satisfies
:class:`Renderer`, and one line in :data:`_RENDERERS`. Renderer modules are
imported the first time :func:`get` asks for them, so importing this module
(``pipeline --help``, :mod:`pipeline.config`) stays cheap; heavy libraries
(WeasyPrint, lxml, Jinja2) are imported inside the renderers' methods only.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ..errors import ConfigError

if TYPE_CHECKING:
    from .model import Edition

__all__ = ["RenderContext", "Renderer", "formats", "get", "render_html"]

_RENDERERS: dict[str, str] = {
    "html": ".html:HtmlRenderer",
    "pdf": ".pdf:PdfRenderer",
    "epub": ".epub:EpubRenderer",
}
"""Each format's renderer, as ``module:class`` (relative to this package), in
the order formats are listed and built."""


@dataclass(frozen=True, slots=True)
class RenderContext:
    """What a renderer needs to know besides the edition: the same for every
    format of one edition."""

    base_url: Path | None
    """The folder (or file) relative resources resolve against: the content folder.
    Only files inside it are read; ``None`` reads none."""
    modified: datetime
    """The date the edition carries (an EPUB's ``dcterms:modified`` and zip entries)."""
    facing_pages: bool = False
    """Set a bilingual PDF on facing pages, source left and translation right."""
    cache: Path | None = None
    """A folder where a renderer may keep work between builds (``.pipeline-cache/``,
    safe to delete); ``None`` keeps nothing."""


@runtime_checkable
class Renderer(Protocol):
    """One output format: turns an edition into the bytes of one file.

    The same edition, HTML and context always give the same bytes (with
    ``SOURCE_DATE_EPOCH`` set, for the PDF). Renderers hold no state, and
    :meth:`render` may run in a worker process: its arguments are pickled.
    """

    format: str
    """The format's name in ``pipeline.toml`` and on the command line, and the
    suffix of its files (``html``, ``pdf``, ``epub``)."""
    description: str
    """One line for the command-line help."""
    slow: bool
    """Laid out in a worker process, after the fast formats (:mod:`pipeline.render.jobs`)."""

    def check(self) -> None:
        """Raise :class:`~pipeline.errors.RenderError` when something this format
        needs is not installed (the book font): called once, before any edition."""
        ...

    def render(self, edition: Edition, html: str, context: RenderContext) -> bytes:
        """The file of ``edition`` in this format; ``html`` is :func:`render_html`'s
        text of the same edition. Raises :class:`~pipeline.errors.RenderError`."""
        ...


def formats() -> tuple[str, ...]:
    """The registered formats, in the order they are built: html, pdf, epub."""
    return tuple(_RENDERERS)


@cache
def get(fmt: str) -> Renderer:
    """The renderer of format ``fmt``; a :class:`~pipeline.errors.ConfigError`
    naming the known formats when there is none."""
    target = _RENDERERS.get(fmt)
    if target is None:
        raise ConfigError(f"unknown format {fmt!r}", hint="choose from: " + ", ".join(_RENDERERS))
    module_name, _, class_name = target.partition(":")
    module = importlib.import_module(module_name, __package__)
    renderer: Renderer = getattr(module, class_name)()
    return renderer


def render_html(edition: Edition) -> str:
    """The HTML text of ``edition`` that every format starts from (the HTML
    edition itself, the PDF's layout): :func:`pipeline.render.html.render_html`
    with its default layout."""
    from .html import render_html as render

    return render(edition)
