"""The ``pipeline`` command. Thin: parses options, calls :mod:`pipeline.build`,
shows progress and a summary, and turns errors into one-line messages."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from . import __version__
from .errors import PipelineError

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from .build import Report
    from .config import Config

app = typer.Typer(
    name="pipeline",
    help="Turn a Markdown book into reviewed bilingual HTML and PDF editions, offline.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)

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
        help="Translation engine: apertium, pseudo or identity.",
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

F = TypeVar("F", bound=Callable[..., Any])


class _Console:
    """Progress bars and messages on stderr/stdout."""

    def __init__(self, quiet: bool, verbose: bool) -> None:
        from rich.console import Console

        self.quiet = quiet
        self.verbose = verbose
        self.out = Console(highlight=False, soft_wrap=True)
        self.err = Console(stderr=True, highlight=False, soft_wrap=True)
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
    def progress(self) -> Iterator[_Console]:
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


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not verbose:
        for noisy in ("weasyprint", "fontTools"):
            logging.getLogger(noisy).setLevel(logging.ERROR)


def _run(verbose: bool, action: Callable[[], None]) -> None:
    """Run a command body, turning PipelineError into a one-line message and exit code."""
    try:
        action()
    except PipelineError as exc:
        if verbose:
            import traceback

            traceback.print_exc()
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        typer.echo(
            "interrupted: outputs written so far are complete; run again to finish", err=True
        )
        raise typer.Exit(130) from None


def _config(project: Path) -> Config:
    from .config import load_config

    return load_config(project.resolve())


def _summary(console: _Console, config: Config, report: Report, *, translated: bool) -> None:
    if translated:
        line = (
            f"Translated {report.sent} segment(s) with the engine, {report.cached} from the cache"
        )
        if report.flagged:
            line += f"; {report.flagged} flagged for placeholder problems (see the PO comments)"
        console.say(line + ".")
    root = config.root
    for path in report.written:
        console.say(f"  wrote     {_rel(path, root)}")
    for path in report.unchanged:
        if console.verbose:
            console.say(f"  unchanged {_rel(path, root)}")
    if report.unchanged and not console.verbose:
        console.say(f"  {len(report.unchanged)} output(s) already up to date")
    _status_lines(console, report)


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _status_lines(console: _Console, report: Report) -> None:
    for book, langs in report.counts.items():
        for lang, counts in langs.items():
            total = sum(counts.values())
            parts = ", ".join(f"{n} {state}" for state, n in counts.items())
            draft = "" if counts.get("reviewed", 0) == total else " (draft)"
            console.say(f"{book} [{lang}]: {total} segments: {parts}{draft}")


@app.command()
def build(
    project: ProjectOpt = Path("."),
    engine: EngineOpt = None,
    lang: LangOpt = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Translate what is new and write every edition (HTML and PDF) into output/."""
    _setup_logging(verbose)
    console = _Console(quiet, verbose)

    def action() -> None:
        from . import build as stages

        config = _config(project)
        with console.progress() as reporter:
            report = stages.build(config, engine=engine, langs=lang, force=force, reporter=reporter)
        _summary(console, config, report, translated=True)

    _run(verbose, action)


@app.command()
def translate(
    project: ProjectOpt = Path("."),
    engine: EngineOpt = None,
    lang: LangOpt = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Update the PO catalogues in content/<lang>/: machine-translate new segments."""
    _setup_logging(verbose)
    console = _Console(quiet, verbose)

    def action() -> None:
        from . import build as stages

        config = _config(project)
        with console.progress() as reporter:
            report = stages.translate(
                config, engine=engine, langs=lang, force=force, reporter=reporter
            )
        _summary(console, config, report, translated=True)

    _run(verbose, action)


@app.command()
def render(
    project: ProjectOpt = Path("."),
    lang: LangOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Write the editions from the catalogues as they are (no translation)."""
    _setup_logging(verbose)
    console = _Console(quiet, verbose)

    def action() -> None:
        from . import build as stages

        config = _config(project)
        with console.progress() as reporter:
            report = stages.render(config, langs=lang, reporter=reporter)
        _summary(console, config, report, translated=False)

    _run(verbose, action)


@app.command()
def status(
    project: ProjectOpt = Path("."),
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Show, per book and language, how many segments are new, machine-translated,
    in need of review after a source change, or reviewed."""
    _setup_logging(verbose)
    console = _Console(False, verbose)

    def action() -> None:
        from . import build as stages

        _status_lines(console, stages.status(_config(project)))

    _run(verbose, action)


@app.command()
def engines(verbose: VerboseOpt = False) -> None:
    """List the translation engines and the language pairs installed for each."""
    _setup_logging(verbose)

    def action() -> None:
        from .mt.base import ENGINES, get_engine

        for name in ENGINES:
            engine = get_engine(name)
            try:
                pairs = ", ".join(f"{s}->{t}" for s, t in engine.pairs()) or "no pairs installed"
                version = engine.version
            except PipelineError as exc:
                pairs, version = f"not available: {exc}", "-"
            typer.echo(f"{name:10} {version}  {pairs}")

    _run(verbose, action)


def _add_groups() -> None:
    """Mount the command groups defined in :mod:`pipeline.commands`."""
    import importlib
    import pkgutil

    from . import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        group = getattr(module, "app", None)
        if isinstance(group, typer.Typer):
            app.add_typer(group, name=info.name.replace("_", "-"))


_add_groups()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pipeline {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Turn a Markdown book into reviewed bilingual HTML and PDF editions, offline."""


def main() -> None:
    """Console-script entry point."""
    app()
