"""Lay out an :class:`~pipeline.render.model.Edition` as one self-contained HTML5 file.

The file carries its stylesheet inline and refers to nothing outside itself, so
it can be opened from disk, mailed, or handed to WeasyPrint as is: the same
HTML drives the screen edition and, through its ``@media print`` and ``@page``
rules, the PDF.

A bilingual edition is laid out in one of two ways. ``columns`` (the HTML
edition, and the PDF by default) sets each :class:`~pipeline.render.model.Row`
as a pair of blocks side by side, each in its own language, so the two start
at the same height. ``facing`` (PDF only) groups the rows into spreads, the
source on the left-hand page and the translation on the right-hand one; which
rows make a spread is decided by :func:`pipeline.render.pdf.render_pdf_facing`,
which measures them first.

Fields of the edition ending in ``_html`` (and :attr:`Section.html`) are
trusted HTML from the Markdown renderer; every other field is plain text and is
escaped by the template.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from ..errors import RenderError
from ..lang import get as get_language
from .common import format_count, legend, plain_text, running_title
from .model import Edition, Row, TocEntry

if TYPE_CHECKING:
    import jinja2

    from .registry import RenderContext

__all__ = [
    "LAYOUTS",
    "STYLESHEETS",
    "HtmlRenderer",
    "folio_sheet",
    "render_html",
    "running_title",
    "stylesheet",
]

log = logging.getLogger(__name__)

STYLESHEETS = ("book.css", "blocks.css", "marks.css", "print.css")
"""Files of ``pipeline/render/css`` inlined, in this order, into every edition."""

LAYOUTS: dict[str, tuple[str, ...]] = {
    "": (),
    "columns": ("bilingual.css", "columns.css"),
    "facing": ("bilingual.css", "facing.css"),
}
"""Stylesheets added after :data:`STYLESHEETS` for each layout ("" for one language)."""


@dataclass(frozen=True, slots=True)
class _TocNode:
    """A table-of-contents entry with the entries nested under it."""

    entry: TocEntry
    children: list[_TocNode] = field(default_factory=list)


def _toc_tree(entries: list[TocEntry]) -> list[_TocNode]:
    """Nest a flat list of headings by level (a level-3 entry goes under the level-2 before it)."""
    roots: list[_TocNode] = []
    stack: list[_TocNode] = []
    for entry in entries:
        node = _TocNode(entry)
        while stack and stack[-1].entry.level >= entry.level:
            stack.pop()
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)
    return roots


def _unique_id(wanted: str, taken: set[str]) -> str:
    """``wanted``, or ``wanted-2``, ``wanted-3``… if an anchor of the book already uses it."""
    candidate, n = wanted, 1
    while candidate in taken:
        n += 1
        candidate = f"{wanted}-{n}"
    taken.add(candidate)
    return candidate


@cache
def _environment() -> jinja2.Environment:
    """The Jinja2 environment reading ``pipeline/render/templates`` (autoescaping on).

    Jinja2 is imported here, on first use, to keep ``import pipeline`` quick.
    """
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("pipeline.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@cache
def stylesheet(layout: str = "") -> str:
    """The edition stylesheet: the files of :data:`STYLESHEETS` joined, as inlined in HTML.

    ``layout`` (``columns`` or ``facing``) adds the bilingual edition's rules.
    """
    folder = resources.files("pipeline.render").joinpath("css")
    names = STYLESHEETS + LAYOUTS[layout]
    try:
        parts = [folder.joinpath(name).read_text(encoding="utf-8") for name in names]
    except OSError as exc:
        raise RenderError(
            f"cannot read the edition stylesheet: {exc}",
            hint="reinstall pipeline; its package data is incomplete",
        ) from exc
    css = "\n".join(part.strip() for part in parts) + "\n"
    if "</" in css:  # would end the <style> element early
        raise RenderError("the edition stylesheet contains '</'", hint="remove it from the CSS")
    return css


def folio_sheet(edition: Edition, *, layout: str = "columns", pages: int) -> str:
    """A document of ``pages`` empty pages under the stylesheet ``edition``
    is laid out with (in ``layout``, for a bilingual edition): printed, only
    its page margins show. PDFs laid out by parts take their folios from it
    (:mod:`pipeline.render.folios`). It names no language: editions that share
    a stylesheet (English, Spanish) share their sheets."""
    t = edition.translation
    css = stylesheet(layout if t is not None else "")
    page = '<div style="break-before: page"></div>\n'
    return (
        '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
        f"<style>\n{css}</style>\n</head>\n<body>\n{page * pages}</body>\n</html>\n"
    )


@dataclass(frozen=True, slots=True)
class _Spread:
    """Rows set on one spread of a facing-pages edition (numbered in reading order)."""

    rows: list[tuple[int, Row]]
    wide: bool = False
    """Too long for one page: set in two columns, across as many pages as it needs."""


def _numbered(edition: Edition) -> list[list[tuple[int, Row]]]:
    """Each section's rows with their number in the whole edition (from 0)."""
    out: list[list[tuple[int, Row]]] = []
    number = 0
    for section in edition.sections:
        out.append([(number + i, row) for i, row in enumerate(section.rows)])
        number += len(section.rows)
    return out


def _spreads(
    numbered: list[list[tuple[int, Row]]], breaks: Collection[int], wide: Collection[int]
) -> list[list[_Spread]]:
    """Group each section's rows into spreads: a new one at each of ``breaks``;
    rows in ``wide`` make spreads of their own (one for each run of them)."""
    out: list[list[_Spread]] = []
    for rows in numbered:
        spreads: list[_Spread] = []
        for number, row in rows:
            if number in wide and spreads and spreads[-1].wide and number - 1 in wide:
                spreads[-1].rows.append((number, row))
            elif number in wide:
                spreads.append(_Spread([(number, row)], wide=True))
            elif not spreads or spreads[-1].wide or number in breaks:
                spreads.append(_Spread([(number, row)]))
            else:
                spreads[-1].rows.append((number, row))
        out.append(spreads)
    return out


def render_html(
    edition: Edition,
    *,
    layout: str = "columns",
    breaks: Collection[int] = (),
    wide: Collection[int] = (),
) -> str:
    """Lay out ``edition`` as one self-contained HTML5 document and return its text.

    The document holds a title page (with a note and a legend of the margin
    marks when the edition is a draft; with the author's name when the book's
    own title page does not give it), a table of contents, one ``<section>``
    per :class:`~pipeline.render.model.Section`, and a colophon. The output
    depends only on its arguments: the same edition gives the same string.

    A bilingual edition is laid out in ``layout``: ``columns``, or ``facing``,
    where a new spread starts at each section and at each row number in
    ``breaks``, and each row in ``wide`` gets a spread of its own, set in
    columns (rows are numbered from 0 through the whole edition). One-language
    editions ignore these arguments. Raises
    :class:`~pipeline.errors.RenderError` when the template or the stylesheet
    cannot be loaded, or ``layout`` is unknown.
    """
    if layout not in ("columns", "facing"):
        raise RenderError(f"unknown layout {layout!r}", hint="use 'columns' or 'facing'")
    t = edition.translation
    labels = get_language(edition.lang).labels
    t_labels = get_language(t.lang).labels if t is not None else labels
    taken = {entry.anchor for entry in edition.toc} | {s.anchor for s in edition.sections}
    taken |= {entry.translation_anchor for entry in edition.toc if entry.translation_anchor}
    total = sum(edition.counts.values())
    title = edition.title
    if t is not None and t.title != edition.title:
        title = f"{edition.title} / {t.title}"
    classes = (["bilingual"] if t is not None else []) + (["draft"] if edition.draft else [])
    numbered = _numbered(edition) if t is not None else []
    context: dict[str, Any] = {
        "edition": edition,
        "title": title,
        "html_class": " ".join(classes),
        "labels": labels,
        "t_labels": t_labels,
        "css": stylesheet(layout if t is not None else ""),
        "toc": _toc_tree(edition.toc),
        "toc_id": _unique_id("toc-title", taken),
        "colophon_id": _unique_id("colophon-title", taken),
        "summary": labels.summary.format(
            unreviewed=format_count(edition.unreviewed, labels), total=format_count(total, labels)
        ),
        "legend": legend(edition, labels),
        "t_summary": t_labels.summary.format(
            unreviewed=format_count(edition.unreviewed, t_labels),
            total=format_count(total, t_labels),
        ),
        "t_legend": legend(edition, t_labels),
        "running_title": running_title(edition.title),
        "byline": bool(edition.author)
        and edition.author not in plain_text(edition.title_page_html),
        "facing": t is not None and layout == "facing",
        "numbered": numbered,
        "spreads": _spreads(numbered, set(breaks), set(wide)) if layout == "facing" else [],
    }
    from jinja2 import TemplateError

    try:
        template = _environment().get_template("edition.html")
        html = template.render(context)
    except TemplateError as exc:
        raise RenderError(
            f"cannot lay out the {'-'.join(edition.languages)} edition of {edition.book_id}: {exc}",
            hint="this is a bug in pipeline's templates; please report it",
        ) from exc
    log.debug(
        "laid out %s (%s): %d sections, %d characters",
        edition.book_id,
        "-".join(edition.languages),
        len(edition.sections),
        len(html),
    )
    return html


class HtmlRenderer:
    """The HTML edition (a :class:`~pipeline.render.registry.Renderer`): the
    text of :func:`render_html`, encoded in UTF-8."""

    format = "html"
    description = "one self-contained HTML5 file, to read in a browser"
    slow = False

    def check(self) -> None:
        """Nothing to check: the HTML edition needs no font or program."""

    def render(self, edition: Edition, html: str, context: RenderContext) -> bytes:
        """``html``, the edition's HTML text, as UTF-8 bytes."""
        return html.encode("utf-8")
