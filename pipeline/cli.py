"""The ``pipeline`` command. Thin: parses options, calls :mod:`pipeline.build`,
shows progress and a summary, and turns errors into one-line messages.

Every command runs through the kernel in :mod:`pipeline.commands.kernel`, which
adds the common options (--project, --verbose, --quiet) and the one error path.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from . import __version__
from .commands.kernel import (
    BookOpt,
    Console,
    EngineOpt,
    ForceOpt,
    FormatOpt,
    LangOpt,
    Run,
    command,
)
from .errors import PipelineError

if TYPE_CHECKING:
    from .config import Config
    from .qa.gate import Finding
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


def _run_stage(
    run: Run,
    stage: Callable[[Config, Reporter], Report],
    *,
    translated: bool,
    formats: list[str] | None = None,
) -> None:
    """Run one stage with a progress display, then print its summary (also for the
    books that succeeded when others failed)."""
    from .report import BooksFailed

    config = run.config(formats)
    try:
        with run.console.progress() as reporter:
            report = stage(config, reporter)
    except BooksFailed as failed:
        _summary(run.console, config, failed.report, translated=translated)
        raise
    _summary(run.console, config, report, translated=translated)


@command(app)
def build(
    run: Run,
    engine: EngineOpt = None,
    lang: LangOpt = None,
    fmt: FormatOpt = None,
    force: ForceOpt = False,
    final: FinalOpt = False,
    strict: StrictOpt = False,
    jobs: JobsOpt = None,
    book: BookOpt = None,
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

    _run_stage(run, stage, translated=not final, formats=fmt)


@command(app)
def translate(
    run: Run,
    engine: EngineOpt = None,
    lang: LangOpt = None,
    force: ForceOpt = False,
    book: BookOpt = None,
) -> None:
    """Update the PO catalogues in content/<lang>/: machine-translate new segments."""

    def stage(config: Config, reporter: Reporter) -> Report:
        from . import build as stages

        return stages.translate(
            config, engine=engine, langs=lang, force=force, books=book, reporter=reporter
        )

    _run_stage(run, stage, translated=True)


@command(app)
def render(
    run: Run,
    lang: LangOpt = None,
    fmt: FormatOpt = None,
    book: BookOpt = None,
) -> None:
    """Write the editions from the catalogues as they are (no translation)."""

    def stage(config: Config, reporter: Reporter) -> Report:
        from . import build as stages

        return stages.render(config, langs=lang, books=book, reporter=reporter)

    _run_stage(run, stage, translated=False, formats=fmt)


@command(app)
def status(run: Run, lang: LangOpt = None, book: BookOpt = None) -> None:
    """Show, per book and language, how many segments are new, machine-translated,
    in need of review after a source change, or reviewed, and the QA counts.

    A book that cannot be read is listed after the others (exit status 1)."""
    from . import survey
    from .report import BooksFailed

    try:
        report = survey.status(run.config(), books=book, langs=lang)
    except BooksFailed as failed:
        _status_lines(run.console, failed.report)
        raise
    _status_lines(run.console, report)


@command(app)
def check(run: Run, lang: LangOpt = None, book: BookOpt = None, strict: StrictOpt = False) -> None:
    """Run the QA checks on every translation (placeholders, numbers, URLs,
    glossary, Spanish punctuation…); exits 1 on errors (with --strict, on warnings).

    Prints the findings, then the counts per book and language. A book that
    cannot be read is listed after the others (exit status 1)."""
    from . import survey
    from .errors import QAError
    from .report import BooksFailed

    try:
        findings, report = survey.check(run.config(), books=book, langs=lang)
    except BooksFailed as failed:
        _qa_lines(run.console, failed.findings, failed.report)
        raise
    errors, warnings = _qa_lines(run.console, findings, report)
    if errors or (strict and warnings):
        raise QAError(
            f"QA found {errors} error(s) and {warnings} warning(s)",
            hint="fix the translations listed above" + ("" if strict else " (errors)"),
        )


def _qa_lines(console: Console, findings: list[Finding], report: Report) -> tuple[int, int]:
    """Print the findings, the counts per book and language and the totals; return
    the totals (errors, warnings)."""
    for finding in findings:
        console.say(str(finding))
    for book, langs in report.qa.items():
        for lang, counts in langs.items():
            console.say(
                f"{book} [{lang}]: {counts['error']} error(s), {counts['warning']} warning(s)"
            )
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    console.say(f"{errors} error(s), {warnings} warning(s)")
    return errors, warnings


@command(app, reads_project=False)
def engines(run: Run) -> None:
    """List the translation engines and the language pairs installed for each, and,
    in a project, how each of its languages is reached (a pivot: ``en->pt via es``)."""
    from .mt.registry import ENGINES, get_engine

    for name in ENGINES:
        engine = get_engine(name)
        try:
            pairs = ", ".join(f"{s}->{t}" for s, t in engine.pairs()) or "no pairs installed"
            version = engine.version
        except PipelineError as exc:
            pairs, version = f"not available: {exc}", "-"
        run.say(f"{name:10} {version}  {pairs}")
    if (run.project / "pipeline.toml").is_file():
        from .translation import routes

        config = run.config()
        run.say(f"Routes of this project ({config.engine}): " + "; ".join(routes(config)))


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
