"""Reviewing translations: who reviews, what changed, approving.

The CLI's ``pipeline review`` commands (and the review page) call these; the
catalogue itself (:mod:`pipeline.catalog.catalog`) records the approvals.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import PipelineError
from .catalog import Catalog, Entry, State

__all__ = [
    "DiffPiece",
    "ReviewError",
    "approve",
    "check_ids",
    "entries",
    "resolve_reviewer",
    "word_diff",
]

log = logging.getLogger(__name__)


class ReviewError(PipelineError):
    """A review command cannot do what was asked (no reviewer, unknown id…)."""


def resolve_reviewer(explicit: str | None, project: Path) -> str:
    """The reviewer's identity: ``--reviewer``, else ``PIPELINE_REVIEWER``,
    else git's ``user.name`` (and ``<user.email>``) for the project."""
    for value in (explicit, os.environ.get("PIPELINE_REVIEWER")):
        if value and value.strip():
            return " ".join(value.split())
    name = _git_config("user.name", project)
    if name:
        email = _git_config("user.email", project)
        return f"{name} <{email}>" if email else name
    raise ReviewError(
        "who is reviewing? no reviewer name was given",
        hint="pass --reviewer 'Name <e-mail>' or set PIPELINE_REVIEWER",
    )


def _git_config(key: str, project: Path) -> str | None:
    try:
        done = subprocess.run(
            ["git", "config", "--get", key],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    value = done.stdout.strip()
    return value or None


def entries(catalog: Catalog, states: Iterable[State] | None = None) -> list[Entry]:
    """The catalogue's entries in document order, optionally only those in ``states``."""
    wanted = set(states) if states else None
    out = []
    for sid in catalog.ids():
        entry = catalog.entry(sid)
        if wanted is None or entry.state in wanted:
            out.append(entry)
    return out


def check_ids(catalog: Catalog, ids: Sequence[str]) -> None:
    """Raise :class:`ReviewError` naming the ids the catalogue does not have."""
    unknown = [sid for sid in ids if sid not in catalog]
    if unknown:
        raise ReviewError(
            f"unknown segment id(s): {', '.join(unknown)}",
            path=catalog.path,
            hint="pipeline review list shows the ids",
        )


def approve(
    catalog: Catalog,
    ids: Sequence[str],
    reviewer: str,
    *,
    when: str | None = None,
) -> list[str]:
    """Approve the translations of ``ids``; all or nothing.

    Unknown ids and segments without a translation are refused before
    anything changes. Returns the ids approved.
    """
    check_ids(catalog, ids)
    empty = [sid for sid in ids if catalog.state(sid) is State.NEW]
    if empty:
        raise ReviewError(
            f"nothing to approve yet for: {', '.join(empty)} (no translation)",
            path=catalog.path,
            hint="run pipeline translate first, or translate them in the PO file",
        )
    for sid in ids:
        catalog.approve(sid, reviewer, when=when)
    return list(ids)


@dataclass(frozen=True, slots=True)
class DiffPiece:
    """One run of a word diff."""

    op: str
    """``equal``, ``delete`` (only in the old source) or ``insert`` (only in the new)."""
    text: str
    """The words, with the spacing that followed them."""


_WORDS = re.compile(r"\S+\s*|\s+")


def word_diff(old: str, new: str) -> list[DiffPiece]:
    """Word-level difference between the source a translation was made for and
    the current source."""
    a = _WORDS.findall(old)
    b = _WORDS.findall(new)
    pieces: list[DiffPiece] = []
    matcher = difflib.SequenceMatcher(a=[w.strip() for w in a], b=[w.strip() for w in b])
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            pieces.append(DiffPiece("equal", "".join(b[j1:j2])))
            continue
        if op in ("delete", "replace"):
            pieces.append(DiffPiece("delete", "".join(a[i1:i2])))
        if op in ("insert", "replace"):
            pieces.append(DiffPiece("insert", "".join(b[j1:j2])))
    return pieces


def diff_text(pieces: Iterable[DiffPiece]) -> str:
    """A diff as plain text, wdiff style: ``[-old-]{+new+}``."""
    out = []
    for piece in pieces:
        if piece.op == "equal":
            out.append(piece.text)
        else:
            body = piece.text.rstrip()
            tail = piece.text[len(body) :]
            mark = ("[-", "-]") if piece.op == "delete" else ("{+", "+}")
            out.append(f"{mark[0]}{body}{mark[1]}{tail}")
    return "".join(out)
