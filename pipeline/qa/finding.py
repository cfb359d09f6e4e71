"""The one QA finding type: what ``pipeline check``, the final gate, the build
report and the review page all show."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Finding", "Severity"]


class Severity(StrEnum):
    """How bad a finding is."""

    ERROR = "error"
    """Breaks the published book; always fails ``pipeline check`` and the build."""
    WARNING = "warning"
    """Needs a reviewer's eye; fails only with ``--strict``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One problem found in one segment's translation.

    :func:`pipeline.qa.checks.check_segment` fills in what a check knows;
    :func:`pipeline.qa.gate.run_qa` adds the book and where the segment is.
    """

    book: str = ""
    """Book id (empty when the check ran outside a book)."""
    lang: str
    """Target language of the translation (``es``, ``pt-BR``)."""
    segment_id: str
    """The segment (``msgctxt`` in the PO catalogue)."""
    location: str = ""
    """Where the segment is in the source: ``content/en/book.md:12`` (empty
    when the check ran outside a book)."""
    severity: Severity
    """The check's severity."""
    check_id: str
    """Id of the check that found it (``placeholders``, ``numbers``…)."""
    title: str
    """The check's one-line title."""
    message: str
    """What is wrong here, in one line."""

    def fails(self, *, strict: bool = False) -> bool:
        """Whether this finding makes a check or build fail (an error; with
        ``strict``, a warning too)."""
        return self.severity is Severity.ERROR or strict

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.severity} [{self.check_id}] {self.segment_id}: {self.message}"
