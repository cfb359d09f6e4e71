"""What a command did and how far it has got: the summary the CLI prints and the
progress it shows."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from .errors import PipelineError

if TYPE_CHECKING:
    from .catalog.catalog import Catalog
    from .qa.finding import Finding

log = logging.getLogger(__name__)

__all__ = ["BooksFailed", "Report", "Reporter", "Silent", "counts"]


class Reporter(Protocol):
    """Receives progress; the CLI shows it as a progress bar."""

    def phase(self, description: str, total: int) -> None:
        """A new piece of work of ``total`` steps starts."""

    def advance(self, steps: int = 1) -> None:
        """``steps`` more steps of the current piece of work are done."""


class Silent:
    """A :class:`Reporter` that only logs the phases."""

    def phase(self, description: str, total: int) -> None:
        """Log the phase."""
        log.info("%s (%d)", description, total)

    def advance(self, steps: int = 1) -> None:
        """Nothing to show."""


@dataclass(slots=True)
class Report:
    """What a command did, for the summary the CLI prints."""

    sent: int = 0
    """Segments sent to an engine."""
    cached: int = 0
    """Segments whose machine translation came from the cache."""
    flagged: int = 0
    """Machine translations with placeholder problems (flagged in the PO)."""
    written: list[Path] = field(default_factory=list)
    """Files written (changed)."""
    unchanged: list[Path] = field(default_factory=list)
    """Outputs that were already up to date."""
    counts: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    """book → language → review state → segments."""
    qa: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    """book → language → severity (``error``, ``warning``) → QA findings."""

    def add_qa(self, book: str, lang: str, findings: Sequence[Finding]) -> None:
        """Count QA findings for one catalogue."""
        errors = sum(f.severity == "error" for f in findings)
        self.qa.setdefault(book, {})[lang] = {"error": errors, "warning": len(findings) - errors}

    def add_counts(self, book: str, lang: str, cat: Catalog) -> None:
        """Record the review states of one catalogue."""
        self.counts.setdefault(book, {})[lang] = counts(cat)

    def record(self, path: Path, changed: bool) -> None:
        """Note an output as written (``changed``) or as already up to date."""
        (self.written if changed else self.unchanged).append(path)

    def merge(self, part: Report) -> None:
        """Add what another command (another book, another process) did."""
        self.sent += part.sent
        self.cached += part.cached
        self.flagged += part.flagged
        self.written.extend(part.written)
        self.unchanged.extend(part.unchanged)
        for book, langs in part.counts.items():
            self.counts.setdefault(book, {}).update(langs)
        for book, langs in part.qa.items():
            self.qa.setdefault(book, {}).update(langs)


def counts(cat: Catalog) -> dict[str, int]:
    """Segments of a catalogue per review state (every state, in order)."""
    from .catalog.catalog import State

    found = cat.counts()
    return {state.value: found.get(state, 0) for state in State}


class BooksFailed(PipelineError):
    """Some books could not be processed; the others were."""

    def __init__(self, message: str, *, report: Report, details: list[str]) -> None:
        super().__init__(message, hint="see the errors below", details=details)
        self.report = report
        """What the books that succeeded did."""
        self.findings: list[Finding] = []
        """QA findings of the books that succeeded (``pipeline check``)."""

    @classmethod
    def check(cls, failures: list[str], total: int, report: Report, *, done: str) -> None:
        """Raise when ``failures`` (``book: error`` lines) is not empty; ``done`` says
        what happened to the others (``"the others were built"``), if any."""
        if failures:
            message = f"{len(failures)} of {total} books failed"
            if len(failures) < total:
                message += f"; {done}"
            raise cls(message, report=report, details=failures)
