"""The command kernel: the options every command shares and the one way a command runs.

A command is a function whose first parameter is a :class:`Run`, registered with
:func:`command`::

    @command(app)
    def status(run: Run, book: BookOpt = None, lang: LangOpt = None) -> None:
        \"\"\"Show the review state of every book.\"\"\"
        report = survey.status(run.config(), books=book, langs=lang)
        run.say(...)

:func:`command` adds ``--project/-C``, ``--verbose/-v`` and ``--quiet/-q`` to the
command's options, sets up logging once, gives the body a :class:`Console` that
honours them, and turns a :class:`~pipeline.errors.PipelineError` into
``error: <one line>`` (its details below it) and its exit code, Ctrl+C into a
message and 130, with a traceback first under ``--verbose``.

Imports only typer (rich and the library lazily), so that ``pipeline --help``
stays fast.
"""

from __future__ import annotations

import inspect
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Concatenate, ParamSpec

import typer

from ..errors import PipelineError
from ..mt.registry import ENGINES
from ..render.registry import formats

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from ..config import Config

__all__ = [
    "BookOpt",
    "Console",
    "EngineOpt",
    "ForceOpt",
    "FormatOpt",
    "LangOpt",
    "OneBookOpt",
    "OneLangOpt",
    "OptionError",
    "ProjectOpt",
    "QuietOpt",
    "Run",
    "VerboseOpt",
    "command",
    "load_project_config",
]

P = ParamSpec("P")


def _unique(values: list[str] | None) -> list[str] | None:
    """A repeatable option's values without repeats, in the order given (None if none)."""
    return list(dict.fromkeys(values)) if values else None


# --------------------------------------------------------------------------- common options

PROJECT_HELP = "Project directory (the one holding pipeline.toml)."
PROJECT_UNUSED_HELP = (
    "Project directory; accepted as by every command, but this one does not read a project."
)

ProjectOpt = Annotated[
    Path,
    typer.Option(
        "--project",
        "-C",
        metavar="DIR",
        help=PROJECT_HELP,
        file_okay=False,
        show_default="current directory",
    ),
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print errors only (the exit status says the rest).")
]
VerboseOpt = Annotated[
    bool, typer.Option("--verbose", "-v", help="Print details, and a traceback on errors.")
]

# --------------------------------------------------------------------------- shared options
# --lang and --book are repeatable everywhere; a command that works on one book
# or language takes the same option and calls Run.one() on its values.

LangOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--lang",
        "-l",
        metavar="LANG",
        help="Only this language (repeat for several).",
        show_default="every language of the project",
        callback=_unique,
    ),
]
OneLangOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--lang",
        "-l",
        metavar="LANG",
        help="The target language (one).",
        show_default="the only target language",
        callback=_unique,
    ),
]
BookOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--book",
        "-b",
        metavar="BOOK",
        help="Only this book: its file or folder name without .md (repeat for several).",
        show_default="every book",
        callback=_unique,
    ),
]
OneBookOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--book",
        "-b",
        metavar="BOOK",
        help="The book (one): its file or folder name without .md.",
        show_default="the only book",
        callback=_unique,
    ),
]


def _either(names: Sequence[str] | dict[str, Any]) -> str:
    """``a, b or c``: the choices of an option, from the registry that has them."""
    listed = list(names)
    return ", ".join(listed[:-1]) + " or " + listed[-1] if len(listed) > 1 else "".join(listed)


EngineOpt = Annotated[
    str | None,
    typer.Option(
        "--engine",
        "-e",
        metavar="ENGINE",
        help="Translation engine: " + _either(ENGINES) + ".",
        show_default="translate.engine in pipeline.toml, else apertium",
    ),
]
FormatOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--format",
        "-f",
        metavar="FORMAT",
        help="Only this format: " + _either(formats()) + " (repeat for several); "
        "-f html is a quick preview.",
        show_default="editions.formats in pipeline.toml",
        callback=_unique,
    ),
]
ForceOpt = Annotated[
    bool,
    typer.Option(
        "--force", help="Machine-translate again segments not yet reviewed (ignores the cache)."
    ),
]


class OptionError(PipelineError):
    """The options given do not fit the command (several books where it takes one)."""

    exit_code = 2


# --------------------------------------------------------------------------- console


class Console:
    """Messages on stdout (none under --quiet) and progress bars on stderr (only on
    a terminal, never under --quiet); a :class:`~pipeline.report.Reporter`."""

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
        """Start a progress bar for a new piece of work."""
        if self._progress is None:
            return
        if self._task is not None:
            self._progress.update(self._task, completed=self._progress.tasks[-1].total)
        self._task = self._progress.add_task(description, total=max(total, 1))

    def advance(self, steps: int = 1) -> None:
        """Move the current progress bar on."""
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, steps)

    @contextmanager
    def progress(self) -> Iterator[Console]:
        """Show progress bars while the block runs (on a terminal, unless quiet)."""
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
        """Print a line of the command's output (nothing under --quiet)."""
        if not self.quiet:
            self.out.print(text, markup=False)

    def detail(self, text: str) -> None:
        """Print a line only under --verbose."""
        if self.verbose:
            self.say(text)


# --------------------------------------------------------------------------- the run

_WHAT = {"--book": "book", "--lang": "language"}


@dataclass(slots=True)
class Run:
    """What a command body gets: the common options, and the console they set up."""

    project: Path
    """The project directory (--project/-C)."""
    quiet: bool
    """--quiet: print errors only."""
    verbose: bool
    """--verbose: print details, and a traceback on errors."""
    console: Console
    """Output and progress, honouring quiet and verbose."""
    name: str
    """The command as typed after the program name (``review approve``)."""

    def config(self, formats: Sequence[str] | None = None) -> Config:
        """The project's pipeline.toml, limited to ``formats`` when given."""
        return load_project_config(self.project).with_formats(formats)

    def say(self, text: str) -> None:
        """Print a line of output (nothing under --quiet)."""
        self.console.say(text)

    def one(self, values: Sequence[str] | None, option: str) -> str | None:
        """The one value of a repeatable option for a command that works on one book
        or language; None when not given (the library then picks the only one)."""
        if not values:
            return None
        if len(values) > 1:
            raise OptionError(
                f"{self.name} works on one {_WHAT.get(option, option)} at a time, not "
                + ", ".join(values),
                hint=f"give {option} once, and run it again for the others",
            )
        return values[0]


def load_project_config(project: Path) -> Config:
    """The pipeline.toml of the project directory ``project``."""
    from ..config import load_config

    return load_config(project.resolve())


# --------------------------------------------------------------------------- logging


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__()
        self.set_name("pipeline-cli")
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


_NOISY = ("weasyprint", "fontTools")


@contextmanager
def _logging(quiet: bool, verbose: bool) -> Iterator[None]:
    """Log to stderr for one command: warnings, errors only under --quiet, details
    under --verbose; the previous set-up is restored afterwards."""
    root = logging.getLogger()
    level = logging.ERROR if quiet else logging.INFO if verbose else logging.WARNING
    handler = _StderrHandler()
    handler.setLevel(level)
    saved = root.level, {name: logging.getLogger(name).level for name in _NOISY}
    root.addHandler(handler)
    root.setLevel(level)
    if not verbose:
        for name in _NOISY:
            logging.getLogger(name).setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(saved[0])
        for name, noisy_level in saved[1].items():
            logging.getLogger(name).setLevel(noisy_level)


# --------------------------------------------------------------------------- errors


def _fail(exc: PipelineError, verbose: bool) -> typer.Exit:
    if verbose:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    typer.echo(f"error: {exc}", err=True)
    for line in exc.details:
        typer.echo(f"  {line}", err=True)
    return typer.Exit(exc.exit_code)


def _interrupted(verbose: bool) -> typer.Exit:
    if verbose:
        import traceback

        traceback.print_exc()
    typer.echo("interrupted: outputs written so far are complete; run again to finish", err=True)
    return typer.Exit(130)


# --------------------------------------------------------------------------- the decorator

_COMMON = ("ctx", "project", "quiet", "verbose")


def command(
    group: typer.Typer, name: str | None = None, *, reads_project: bool = True
) -> Callable[[Callable[Concatenate[Run, P], None]], Callable[..., None]]:
    """Register ``body(run, **options)`` as a command of ``group`` (named ``name``,
    else after the function), with the common options added after its own.

    ``reads_project=False`` says in --project's help that the command (``engines``,
    ``models …``) accepts it only to be like the others.
    """

    def register(body: Callable[Concatenate[Run, P], None]) -> Callable[..., None]:
        signature = inspect.signature(body, eval_str=True)
        first, *own = signature.parameters.values()
        if first.annotation is not Run:
            raise TypeError(f"{body.__qualname__}: the first parameter must be `run: Run`")
        clash = [p.name for p in own if p.name in _COMMON]
        if clash:
            raise TypeError(f"{body.__qualname__}: {clash} are common options, added by command()")
        project_opt: Any = ProjectOpt
        if not reads_project:
            project_opt = Annotated[
                Path,
                typer.Option(
                    "--project",
                    "-C",
                    metavar="DIR",
                    help=PROJECT_UNUSED_HELP,
                    file_okay=False,
                    show_default="current directory",
                ),
            ]
        keyword = inspect.Parameter.KEYWORD_ONLY
        common = [
            inspect.Parameter("ctx", keyword, annotation=typer.Context),
            inspect.Parameter("project", keyword, default=Path("."), annotation=project_opt),
            inspect.Parameter("quiet", keyword, default=False, annotation=QuietOpt),
            inspect.Parameter("verbose", keyword, default=False, annotation=VerboseOpt),
        ]
        parameters = [p.replace(kind=keyword) for p in own] + common
        call: Callable[..., None] = body

        def run_command(
            *, ctx: typer.Context, project: Path, quiet: bool, verbose: bool, **options: Any
        ) -> None:
            # The command as typed after the program's name ("review approve").
            name = " ".join(ctx.command_path.split()[1:]) or ctx.command_path
            with _logging(quiet, verbose):
                try:
                    run = Run(project, quiet, verbose, Console(quiet, verbose), name)
                    call(run, **options)
                except PipelineError as exc:
                    raise _fail(exc, verbose) from None
                except KeyboardInterrupt:
                    raise _interrupted(verbose) from None

        run_command.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=parameters, return_annotation=None
        )
        run_command.__annotations__ = {p.name: p.annotation for p in parameters}
        run_command.__name__ = body.__name__
        run_command.__qualname__ = body.__qualname__
        run_command.__module__ = body.__module__
        run_command.__doc__ = body.__doc__
        group.command(name)(run_command)
        return run_command

    return register
