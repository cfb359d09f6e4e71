"""Errors a user can cause, each with a hint saying what to do.

The library raises these and never prints; ``pipeline.cli`` turns them into a
one-line message and a non-zero exit code.
"""

from __future__ import annotations

from pathlib import Path


class PipelineError(Exception):
    """Base class of every error the user can cause and fix.

    ``str(error)`` gives the one-line message shown by the CLI:
    ``path:line: message (hint)``.
    """

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        hint: str | None = None,
        details: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        """What went wrong, in one sentence without a trailing period."""
        self.path = str(path) if path is not None else None
        """The file the problem is in, if any."""
        self.line = line
        """1-based line number in ``path``, if known."""
        self.hint = hint
        """What the user can do about it."""
        self.details = list(details or [])
        """Further lines (e.g. the segments that block a final build), shown below."""

    def __reduce__(self) -> tuple[object, ...]:
        # Keep path, line, hint and details when an error crosses a process boundary.
        return (_rebuild, (type(self), self.message, self.__dict__.copy()))

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        text = f"{where}{self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text


def _rebuild(cls: type[PipelineError], message: str, state: dict[str, object]) -> PipelineError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class ConfigError(PipelineError):
    """pipeline.toml is missing, malformed, or has a wrong key or value."""


class ContentError(PipelineError):
    """The Markdown content is missing or cannot be read."""


class EngineError(PipelineError):
    """A translation engine is unknown, not installed, or failed."""


class EngineNotAvailable(EngineError):
    """The engine's program or model is not installed on this machine."""


class UnsupportedPair(EngineError):
    """The engine cannot translate between the two languages asked for."""


class ModelError(PipelineError):
    """An Argos Translate model package (``.argosmodel``) is missing, damaged or
    not a translation package, or cannot be installed or removed."""


class CatalogError(PipelineError):
    """A PO catalogue cannot be read or is inconsistent with the source."""


class RenderError(PipelineError):
    """An edition cannot be rendered (missing font, WeasyPrint failure)."""


class OutputError(PipelineError):
    """An output file or directory cannot be written."""


class PublishError(PipelineError):
    """A final edition cannot be published yet (unreviewed text, QA errors)."""


class QAError(PipelineError):
    """QA checks found problems that must be fixed."""


class ExchangeError(PipelineError):
    """An exchange file (XLIFF, TMX) is malformed, for other languages, or stale.

    ``ids`` names the segments concerned, when the problem is theirs (units
    whose source changed since the export, unknown units).
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        hint: str | None = None,
        details: list[str] | None = None,
        ids: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message, path=path, line=line, hint=hint, details=details)
        self.ids = ids
        """The segment ids the problem concerns (may be empty)."""


class GlossaryError(PipelineError):
    """The glossary (``content/glossary.csv``) cannot be read or has a malformed row."""
