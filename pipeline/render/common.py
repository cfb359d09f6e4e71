"""What several renderers share: the draft legend, counts, plain text, running
titles, and the forwarding of WeasyPrint's log records.

Everything here is public so that no renderer imports another one's private
names. The words themselves (:class:`~pipeline.render.html.Labels`) stay in
:mod:`pipeline.render.html` for now.
"""

from __future__ import annotations

import html as html_lib
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..lang import Labels
    from .model import Edition

__all__ = [
    "REFUSED",
    "STATE_ORDER",
    "LegendLine",
    "attribute_replaced",
    "format_count",
    "legend",
    "plain_text",
    "running_title",
    "weasyprint_logs_forwarded",
]

STATE_ORDER = ("machine", "needs-review", "new")
"""Review states listed in the draft legend, in this order (others follow, sorted)."""

REFUSED = "refused to fetch"
"""Start of the message of a URL the offline fetcher refuses: WeasyPrint's own
report of the failure repeats it, and is not a warning of its own."""

_FORWARDED = ("weasyprint", "fontTools")
"""Loggers whose records :func:`weasyprint_logs_forwarded` re-logs."""

_NOT_WARNINGS = ("Using fontTools instead of HarfBuzz-Subset",)
"""Starts of WeasyPrint warnings about the machine, not the book: logged at DEBUG level."""


@dataclass(frozen=True, slots=True)
class LegendLine:
    """One line of a draft's legend: a review state, what it means, how many."""

    state: str
    """The review state (``machine``, ``needs-review``, ``new``...)."""
    text: str
    """What the state's margin mark means, in the edition's language."""
    count: str
    """How many segments are in that state, formatted by :func:`format_count`."""


def format_count(n: int, labels: Labels) -> str:
    """Format a count the way the labels' language groups digits (from 10 000 on)."""
    return f"{n:,}".replace(",", labels.thousands) if n >= 10_000 else str(n)


def legend(edition: Edition, labels: Labels) -> list[LegendLine]:
    """The legend lines of a draft: one per unreviewed state that occurs."""
    states = [s for s in STATE_ORDER if edition.counts.get(s)]
    states += sorted(
        s for s, n in edition.counts.items() if n and s != "reviewed" and s not in STATE_ORDER
    )
    return [
        LegendLine(
            state, labels.states.get(state, state), format_count(edition.counts[state], labels)
        )
        for state in states
    ]


def plain_text(html: str) -> str:
    """The text of an HTML fragment, tags dropped, entities decoded, spaces squashed."""
    return " ".join(html_lib.unescape(re.sub(r"<[^>]*>", " ", html)).split())


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


class _Forward(logging.Handler):
    """Re-logs WeasyPrint's and fontTools' records under another logger."""

    def __init__(self, to: logging.Logger) -> None:
        super().__init__(logging.DEBUG)
        self.to = to

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if (
            record.levelno < logging.WARNING
            or message.startswith(_NOT_WARNINGS)
            or f"RenderError: {REFUSED} " in message  # already logged by the fetcher
        ):
            self.to.debug("WeasyPrint: %s", message)
        else:
            self.to.warning("WeasyPrint: %s", message)


@contextmanager
def attribute_replaced(owner: object, name: str, value: object) -> Iterator[None]:
    """``owner.name`` set to ``value`` while the block runs, and put back after:
    how pipeline wraps one of WeasyPrint's (or pydyf's) internals for a layout."""
    original = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, original)


@contextmanager
def weasyprint_logs_forwarded(to: logging.Logger) -> Iterator[None]:
    """While rendering, send WeasyPrint's (and its font subsetter's) records through ``to``.

    Their warnings come out as ``to``'s warnings, their chatter (progress
    steps, glyph lists) at DEBUG level only, and nothing reaches stderr. The
    loggers are global: renders in parallel threads would interleave their
    messages.
    """
    handler = _Forward(to)
    loggers = [logging.getLogger(name) for name in _FORWARDED]
    saved = [logger.propagate for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.propagate = False
    try:
        yield
    finally:
        for logger, propagate in zip(loggers, saved, strict=True):
            logger.removeHandler(handler)
            logger.propagate = propagate
