"""Dot leaders drawn as one run of text each.

WeasyPrint 70 fills a ``leader()`` (the contents' dots between a title and its
page number) with one copy of the leader string per repeat, each a text box of
its own: a contents page of 20 entries holds some 800 boxes, each drawn as a
text object of its own. That was most of the time of writing a book's front
matter (3.2 s of about 5 s for the 10 pages of a 300-page book's title page and
contents, where a 12-page chapter takes 2 s in all).

:func:`leaders_merged` joins each leader's copies, once WeasyPrint has placed
them, into one text box of the string repeated, at the first copy's place.
The copies sit edge to edge (WeasyPrint places them so, from the line's end),
so the page looks the same: the merged box is kept only if its width is the
copies' width to a hundredth of a pixel (a font that kerns the string against
itself would move the dots, and then the copies stay). It wraps WeasyPrint's
private ``layout.inline.handle_leader``; if a later WeasyPrint changes it,
leaders are drawn as WeasyPrint draws them.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .common import attribute_replaced

__all__ = ["leaders_merged"]

log = logging.getLogger(__name__)

_TOLERANCE = 0.01
"""CSS pixels the merged run's width may differ from the copies' together."""


@contextmanager
def leaders_merged() -> Iterator[None]:
    """While laying out, draw each dot leader as one text box (see the module)."""
    try:
        from weasyprint.layout import inline
        from weasyprint.layout.leader import leader_index
    except ImportError:  # pragma: no cover - checked by the renderer first
        yield
        return
    original = getattr(inline, "handle_leader", None)
    split = getattr(inline, "split_text_box", None)
    if original is None or split is None or getattr(original, "_pipeline_merged", False):
        yield
        return

    def handle(context: Any, line: Any, containing_block: Any) -> None:
        original(context, line, containing_block)
        _, leader = leader_index(line)
        if leader is not None:
            _merge(context, leader, split)

    handle._pipeline_merged = True  # type: ignore[attr-defined]
    with attribute_replaced(inline, "handle_leader", handle):
        yield


def _merge(context: Any, leader: Any, split: Any) -> None:
    """Replace the copies in ``leader`` by one text box, if it comes out the same."""
    copies = sorted(leader.children, key=lambda box: box.position_x)
    if len(copies) < 2:
        return
    first = copies[0]
    text = first.text
    if any(box.text != text or box.position_y != first.position_y for box in copies):
        return
    step = first.width
    for left, right in itertools.pairwise(copies):
        if abs(right.position_x - left.position_x - step) > _TOLERANCE:
            return  # not edge to edge (an excluded shape, a float): leave them
    try:
        merged, _skip, _break = split(
            context, first.copy_with_text(text * len(copies)), math.inf, 0, is_line_start=False
        )
    except Exception as exc:  # pragma: no cover - WeasyPrint internals changed
        log.debug("leader left as copies: %s", exc)
        return
    if merged is None or abs(merged.width - step * len(copies)) > _TOLERANCE:
        return
    merged.position_x = first.position_x
    merged.position_y = first.position_y
    leader.children = (merged,)
