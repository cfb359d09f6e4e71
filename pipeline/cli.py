"""The ``pipeline`` command. Thin: parses options, calls :mod:`pipeline.build`,
shows progress and a summary, and turns errors into one-line messages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from . import __version__
from .clikit import (
    Console,
    EngineOpt,
    ForceOpt,
    FormatOpt,
    LangOpt,
    ProjectOpt,
    QuietOpt,
    VerboseOpt,
    load_project_config,
    run_action,
    setup_logging,
)
from .errors import PipelineError

if TYPE_CHECKING:
    from .config import Config
    from .report import Report, Reporter

app = typer.Typer(
    name="pipeline",
    help="Turn a Markdown book into reviewed bilingual HTML and PDF editions, offline.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)


def _summary(console: Console, config: Config, report: Report, *, translated: bool) -> None:
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


def _status_lines(console: Console, report: Report) -> None:
    for book, langs in report.counts.items():
        for lang, counts in langs.items():
            total = sum(counts.values())
            parts = ", ".join(f"{n} {state}" for state, n in counts.items())
            draft = "" if counts.get("reviewed", 0) == total else " (draft)"
            qa = report.qa.get(book, {}).get(lang)
            checks = f"; QA: {qa['error']} error(s), {qa['warning']} warning(s)" if qa else ""
            console.say(f"{book} [{lang}]: {total} segments: {parts}{draft}{checks}")


FinalOpt = Annotated[
    bool,
    typer.Option(
        "--final",
        help="Publish the final edition: refuse while any segment is unreviewed or fails QA.",
    ),
]
StrictOpt = Annotated[bool, typer.Option("--strict", help="QA warnings count as errors.")]
JobsOpt = Annotated[
    int | None,
    typer.Option(
        "--jobs",
        "-j",
        min=1,
        help="Build up to N books at once, in separate processes.",
        show_default="the number of cores",
    ),
]
BookOpt = Annotated[
    list[str] | None,
    typer.Option("--book", "-b", help="Only this book (repeatable).", show_default="every book"),
]


def _run_stage(
    project: Path,
    quiet: bool,
    verbose: bool,
    stage: Callable[[Config, Reporter], Report],
    *,
    translated: bool,
    formats: list[str] | None = None,
) -> None:
    """Run one stage with a progress display, then print its summary (also for the
    books that succeeded when others failed)."""
    setup_logging(verbose)
    console = Console(quiet, verbose)

    def action() -> None:
        from .report import BooksFailed

        config = load_project_config(project).with_formats(formats)
        try:
            with console.progress() as reporter:
                report = stage(config, reporter)
        except BooksFailed as failed:
            _summary(console, config, failed.report, translated=translated)
            raise
        _summary(console, config, report, translated=translated)

    run_action(verbose, action)


@app.command()
def build(
    project: ProjectOpt = Path("."),
    engine: EngineOpt = None,
    lang: LangOpt = None,
    fmt: FormatOpt = None,
    force: ForceOpt = False,
    final: FinalOpt = False,
    strict: StrictOpt = False,
    jobs: JobsOpt = None,
    book: BookOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Translate what is new and write every edition into output/.

    Without --final the editions are drafts that mark every unreviewed segment."""

    def stage(config: Config, reporter: Reporter) -> Report:
        from .parallel import build_books

        return build_books(
            config,
            jobs=jobs,
            books=book,
            engine=engine,
            langs=lang,
            force=force,
            final=final,
            strict=strict,
            reporter=reporter,
        )

    _run_stage(project, quiet, verbose, stage, translated=not final, formats=fmt)


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

    def stage(config: Config, reporter: Reporter) -> Report:
        from . import build as stages

        return stages.translate(config, engine=engine, langs=lang, force=force, reporter=reporter)

    _run_stage(project, quiet, verbose, stage, translated=True)


@app.command()
def render(
    project: ProjectOpt = Path("."),
    lang: LangOpt = None,
    fmt: FormatOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Write the editions from the catalogues as they are (no translation)."""

    def stage(config: Config, reporter: Reporter) -> Report:
        from . import build as stages

        return stages.render(config, langs=lang, reporter=reporter)

    _run_stage(project, quiet, verbose, stage, translated=False, formats=fmt)


@app.command()
def status(
    project: ProjectOpt = Path("."),
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Show, per book and language, how many segments are new, machine-translated,
    in need of review after a source change, or reviewed."""
    setup_logging(verbose)
    console = Console(False, verbose)

    def action() -> None:
        from . import build as stages
        from .report import BooksFailed

        try:
            report = stages.status(load_project_config(project))
        except BooksFailed as failed:
            _status_lines(console, failed.report)
            raise
        _status_lines(console, report)

    run_action(verbose, action)


@app.command()
def check(
    project: ProjectOpt = Path("."),
    lang: LangOpt = None,
    strict: StrictOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Run the QA checks on every translation (placeholders, numbers, URLs,
    glossary, Spanish punctuation…); exits 1 on errors (with --strict, on warnings)."""
    setup_logging(verbose)
    console = Console(quiet, verbose)

    def action() -> None:
        from . import build as stages
        from .errors import QAError
        from .report import BooksFailed

        try:
            findings, _report = stages.check(load_project_config(project), langs=lang)
        except BooksFailed as failed:
            for finding in failed.findings:
                console.say(str(finding))
            raise
        for finding in findings:
            console.say(str(finding))
        errors = sum(f.severity == "error" for f in findings)
        warnings = len(findings) - errors
        console.say(f"{errors} error(s), {warnings} warning(s)")
        if errors or (strict and warnings):
            raise QAError(
                f"QA found {errors} error(s) and {warnings} warning(s)",
                hint="fix the translations listed above" + ("" if strict else " (errors)"),
            )

    run_action(verbose, action)


@app.command()
def engines(verbose: VerboseOpt = False) -> None:
    """List the translation engines and the language pairs installed for each."""
    setup_logging(verbose)

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

    run_action(verbose, action)


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
