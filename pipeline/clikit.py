"""Shared pieces of the command line: common options, console, error handling.

Used by :mod:`pipeline.cli` and the command groups in :mod:`pipeline.commands`;
imports only typer and rich (lazily) so that ``pipeline --help`` stays fast.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .errors import PipelineError

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from .config import Config

ProjectOpt = Annotated[
    Path,
    typer.Option(
        "--project",
        "-C",
        help="Project directory (the one holding pipeline.toml).",
        file_okay=False,
        show_default="current directory",
    ),
]
EngineOpt = Annotated[
    str | None,
    typer.Option(
        "--engine",
        "-e",
        help="Translation engine: apertium, argos, pseudo or identity.",
        show_default="translate.engine in pipeline.toml, else apertium",
    ),
]
LangOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--lang",
        "-l",
        help="Only this language (repeat for several).",
        show_default="all languages of the project",
    ),
]
FormatOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--format",
        "-f",
        help="Only this format: html, pdf or epub (repeat for several); "
        "-f html is a quick preview.",
        show_default="editions.formats in pipeline.toml",
    ),
]
ForceOpt = Annotated[
    bool,
    typer.Option(
        "--force", help="Machine-translate again segments not yet reviewed (ignores the cache)."
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print errors only.")]
VerboseOpt = Annotated[
    bool, typer.Option("--verbose", "-v", help="Print details, and tracebacks on errors.")
]


class Console:
    """Progress bars and messages on stderr/stdout."""

    def __init__(self, quiet: bool, verbose: bool) -> None:
        from rich.console import Console

        self.quiet = quiet
        self.verbose = verbose
        self.out = Console(highlight=False, soft_wrap=True, emoji=False)
        self.err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    # Reporter protocol -------------------------------------------------
    def phase(self, description: str, total: int) -> None:
        if self._progress is None:
            return
        if self._task is not None:
            self._progress.update(self._task, completed=self._progress.tasks[-1].total)
        self._task = self._progress.add_task(description, total=max(total, 1))

    def advance(self, steps: int = 1) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, steps)

    @contextmanager
    def progress(self) -> Iterator[Console]:
        if self.quiet or not self.err.is_terminal:
            yield self
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.err,
            transient=False,
        ) as progress:
            self._progress = progress
            try:
                yield self
            finally:
                self._progress = None
                self._task = None

    def say(self, text: str) -> None:
        if not self.quiet:
            self.out.print(text, markup=False)


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not verbose:
        for noisy in ("weasyprint", "fontTools"):
            logging.getLogger(noisy).setLevel(logging.ERROR)


def run_action(verbose: bool, action: Callable[[], None]) -> None:
    """Run a command body, turning PipelineError into a one-line message and exit code."""
    try:
        action()
    except PipelineError as exc:
        if verbose:
            import traceback

            traceback.print_exc()
        typer.echo(f"error: {exc}", err=True)
        for line in exc.details:
            typer.echo(f"  {line}", err=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        typer.echo(
            "interrupted: outputs written so far are complete; run again to finish", err=True
        )
        raise typer.Exit(130) from None


def load_project_config(project: Path) -> Config:
    from .config import load_config

    return load_config(project.resolve())
