"""Lay out an :class:`~pipeline.render.model.Edition` as one self-contained HTML5 file.

The file carries its stylesheet inline and refers to nothing outside itself, so
it can be opened from disk, mailed, or handed to WeasyPrint as is: the same
HTML drives the screen edition and, through its ``@media print`` and ``@page``
rules, the PDF.

Fields of the edition ending in ``_html`` (and :attr:`Section.html`) are
trusted HTML from the Markdown renderer; every other field is plain text and is
escaped by the template.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from ..errors import RenderError
from .model import Edition, TocEntry

if TYPE_CHECKING:
    import jinja2

__all__ = ["STYLESHEETS", "Labels", "labels_for", "render_html", "running_title", "stylesheet"]

log = logging.getLogger(__name__)

STYLESHEETS = ("book.css", "marks.css", "print.css")
"""Files of ``pipeline/render/css`` inlined, in this order, into every edition."""

STATE_ORDER = ("machine", "needs-review", "new")
"""Review states listed in the draft legend, in this order (others follow, sorted)."""


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
    states: dict[str, str] = field(default_factory=dict)
    """Legend line per review state, explaining the mark set in the margin."""
    thousands: str = ","
    """Digit group separator for counts of five digits or more."""


LABELS: dict[str, Labels] = {
    "en": Labels(
        contents="Contents",
        draft="Draft",
        colophon="Colophon",
        summary="{unreviewed} of {total} segments not yet reviewed by a person.",
        states={
            "machine": "Machine translation, not reviewed",
            "needs-review": "Source changed since the review: to be reviewed again",
            "new": "Not translated yet: shown in the original language",
        },
    ),
    "es": Labels(
        contents="Índice",
        draft="Borrador",
        colophon="Colofón",
        summary="{unreviewed} de {total} segmentos sin revisar por una persona.",
        states={
            "machine": "Traducción automática sin revisar",
            "needs-review": "El original cambió después de la revisión: hay que revisarlo de nuevo",
            "new": "Sin traducir todavía: se muestra en el idioma original",
        },
        thousands="\u202f",
    ),
}
"""UI labels by primary language subtag; English is the fallback."""


def labels_for(lang: str) -> Labels:
    """Labels for a BCP 47 language tag (``es``, ``es-MX``), falling back to English."""
    primary = lang.replace("_", "-").split("-", 1)[0].lower()
    return LABELS.get(primary, LABELS["en"])


@dataclass(frozen=True, slots=True)
class _TocNode:
    """A table-of-contents entry with the entries nested under it."""

    entry: TocEntry
    children: list[_TocNode] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _LegendLine:
    """One line of a draft's legend: a review state, what it means, how many."""

    state: str
    text: str
    count: str


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


def running_title(title: str) -> str:
    """The book title for running heads: the title without its subtitle.

    ``"From A to B: How It Happened"`` gives ``"From A to B"``; a title without
    ``": "``, ``" — "`` or ``". "`` is returned whole (the PDF's running head
    still cuts a long one short with an ellipsis).
    """
    for separator in (": ", " \u2014 ", ". "):
        head = title.split(separator, 1)[0].strip()
        if head and head != title.strip():
            return head
    return title.strip()


def _number(n: int, labels: Labels) -> str:
    """Format a count the way the edition's language groups digits."""
    return f"{n:,}".replace(",", labels.thousands) if n >= 10_000 else str(n)


def _legend(edition: Edition, labels: Labels) -> list[_LegendLine]:
    """The legend lines of a draft: one per unreviewed state that occurs."""
    states = [s for s in STATE_ORDER if edition.counts.get(s)]
    states += sorted(
        s for s, n in edition.counts.items() if n and s != "reviewed" and s not in STATE_ORDER
    )
    return [
        _LegendLine(state, labels.states.get(state, state), _number(edition.counts[state], labels))
        for state in states
    ]


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
def stylesheet() -> str:
    """The edition stylesheet: the files of :data:`STYLESHEETS` joined, as inlined in HTML."""
    folder = resources.files("pipeline.render").joinpath("css")
    try:
        parts = [folder.joinpath(name).read_text(encoding="utf-8") for name in STYLESHEETS]
    except OSError as exc:
        raise RenderError(
            f"cannot read the edition stylesheet: {exc}",
            hint="reinstall pipeline; its package data is incomplete",
        ) from exc
    css = "\n".join(part.strip() for part in parts) + "\n"
    if "</" in css:  # would end the <style> element early
        raise RenderError("the edition stylesheet contains '</'", hint="remove it from the CSS")
    return css


def render_html(edition: Edition) -> str:
    """Lay out ``edition`` as one self-contained HTML5 document and return its text.

    The document holds a title page (with a note and a legend of the margin
    marks when the edition is a draft), a table of contents, one ``<section>``
    per :class:`~pipeline.render.model.Section`, and a colophon. The output
    depends only on ``edition``: the same edition gives the same string.
    Raises :class:`~pipeline.errors.RenderError` when the template or the
    stylesheet cannot be loaded.
    """
    labels = labels_for(edition.lang)
    taken = {entry.anchor for entry in edition.toc} | {s.anchor for s in edition.sections}
    total = sum(edition.counts.values())
    context = {
        "edition": edition,
        "labels": labels,
        "css": stylesheet(),
        "toc": _toc_tree(edition.toc),
        "toc_id": _unique_id("toc-title", taken),
        "colophon_id": _unique_id("colophon-title", taken),
        "summary": labels.summary.format(
            unreviewed=_number(edition.unreviewed, labels), total=_number(total, labels)
        ),
        "legend": _legend(edition, labels),
        "running_title": running_title(edition.title),
    }
    from jinja2 import TemplateError

    try:
        template = _environment().get_template("edition.html")
        html = template.render(context)
    except TemplateError as exc:
        raise RenderError(
            f"cannot lay out the {edition.lang} edition of {edition.book_id}: {exc}",
            hint="this is a bug in pipeline's templates; please report it",
        ) from exc
    log.debug(
        "laid out %s (%s): %d sections, %d characters",
        edition.book_id,
        edition.lang,
        len(edition.sections),
        len(html),
    )
    return html
