"""``pipeline review …``: list, approve, diff, export, import and serve translations."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from .kernel import OneBookOpt, OneLangOpt, Run, command, load_project_config

app = typer.Typer(
    help="Review translations: list them, approve them, see what changed, exchange files.",
    no_args_is_help=True,
)

ReviewerOpt = Annotated[
    str | None,
    typer.Option(
        "--reviewer",
        "-r",
        help="Who approves ('Name <e-mail>').",
        show_default="$PIPELINE_REVIEWER, else git's user.name and user.email",
    ),
]


class StateChoice(StrEnum):
    """Review states, as the command line spells them."""

    new = "new"
    machine = "machine"
    needs_review = "needs-review"
    reviewed = "reviewed"


class Format(StrEnum):
    """Exchange formats."""

    xliff = "xliff"
    po = "po"
    tmx = "tmx"


def _excerpt(text: str, width: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


@command(app, "list")
def list_(
    run: Run,
    state: Annotated[
        list[StateChoice] | None,
        typer.Option("--state", "-s", help="Only segments in this state (repeatable)."),
    ] = None,
    book: OneBookOpt = None,
    lang: OneLangOpt = None,
) -> None:
    """List segments with their id, state, line and source."""
    from ..catalog.catalog import State
    from ..catalog.review import entries
    from ..project import open_book, source_location

    config = run.config()
    _found, doc, catalog = open_book(config, run.one(book, "--book"), run.one(lang, "--lang"))
    states = [State(s.value) for s in state] if state else None
    rows = entries(catalog, states)
    lines = {seg.id: seg.line for seg in doc.segments}
    for entry in rows:
        where = source_location(config, doc, lines[entry.id])
        run.say(f"{entry.id}  {entry.state.value:12}  {where:32}  {_excerpt(entry.source)}")
    run.say(f"{len(rows)} segment(s)")


@command(app)
def approve(
    run: Run,
    ids: Annotated[list[str] | None, typer.Argument(help="Segment ids to approve.")] = None,
    all_machine: Annotated[
        bool, typer.Option("--all-machine", help="Approve every machine translation as it is.")
    ] = False,
    reviewer: ReviewerOpt = None,
    book: OneBookOpt = None,
    lang: OneLangOpt = None,
) -> None:
    """Approve translations: records who approved them, when, and against which source."""
    from ..catalog.catalog import State
    from ..catalog.review import ReviewError, approve, entries, resolve_reviewer
    from ..project import open_book

    config = run.config()
    chosen_book, chosen_lang = run.one(book, "--book"), run.one(lang, "--lang")
    who = resolve_reviewer(reviewer, config.root)
    _found, _doc, catalog = open_book(config, chosen_book, chosen_lang)
    chosen = list(ids or [])
    if all_machine:
        chosen += [e.id for e in entries(catalog, [State.MACHINE]) if e.id not in chosen]
    if not chosen:
        raise ReviewError(
            "nothing to approve", hint="give segment ids or --all-machine (see: review list)"
        )
    done = approve(catalog, chosen, who)
    catalog.save()
    run.say(f"Approved {len(done)} segment(s) as {who} in {catalog.path.name}.")


@command(app)
def diff(
    run: Run,
    ids: Annotated[
        list[str] | None, typer.Argument(help="Segment ids (default: all that need review).")
    ] = None,
    book: OneBookOpt = None,
    lang: OneLangOpt = None,
) -> None:
    """Show, word by word, how the source changed since a translation was made:
    [-removed-] and {+added+}."""
    from ..catalog.catalog import State
    from ..catalog.review import check_ids, diff_text, entries, word_diff
    from ..project import open_book

    config = run.config()
    _found, _doc, catalog = open_book(config, run.one(book, "--book"), run.one(lang, "--lang"))
    if ids:
        check_ids(catalog, ids)
        rows = [catalog.entry(sid) for sid in ids]
    else:
        rows = entries(catalog, [State.NEEDS_REVIEW])
    shown = 0
    for entry in rows:
        if entry.previous_source is None:
            continue
        shown += 1
        run.say(f"{entry.id} (line {entry.line}):")
        run.say("  " + diff_text(word_diff(entry.previous_source, entry.source)))
    if not shown:
        run.say("No source changes waiting for review.")


@command(app, "export")
def export(
    run: Run,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="File format.")] = Format.xliff,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="File to write.", show_default="<book>.<lang>.<format> here"
        ),
    ] = None,
    book: OneBookOpt = None,
    lang: OneLangOpt = None,
) -> None:
    """Export the translations for a CAT tool (XLIFF 2.1), as PO, or the reviewed
    pairs as a translation memory (TMX 1.4)."""
    from ..fsutil import write_atomic
    from ..project import open_book

    config = run.config()
    found, doc, catalog = open_book(config, run.one(book, "--book"), run.one(lang, "--lang"))
    ext = {"xliff": "xlf", "po": "po", "tmx": "tmx"}[fmt.value]
    target = output or Path(f"{found.id}.{catalog.lang}.{ext}")
    if fmt is Format.xliff:
        from ..exchange.xliff import export_xliff

        source_file = (
            found.path.relative_to(config.root).as_posix()
            if found.path.is_relative_to(config.root)
            else found.path.name
        )
        data = export_xliff(doc, catalog, source_file=source_file)
    elif fmt is Format.tmx:
        from ..exchange.tmx import export_tmx

        data = export_tmx(doc, catalog, source_lang=config.source_lang, target_lang=catalog.lang)
    else:
        data = catalog.to_text().encode("utf-8")
    write_atomic(target, data)
    run.say(f"Wrote {target}.")


@command(app, "import")
def import_(
    run: Run,
    file: Annotated[
        Path, typer.Argument(help="An XLIFF 2.1 file exported by pipeline and edited.")
    ],
    reviewer: ReviewerOpt = None,
    book: OneBookOpt = None,
    lang: OneLangOpt = None,
) -> None:
    """Import translations from an XLIFF file: all or nothing, refused if the source
    changed since the export."""
    from ..catalog.review import resolve_reviewer
    from ..errors import PipelineError
    from ..exchange.xliff import import_xliff
    from ..project import open_book

    config = run.config()
    chosen_book, chosen_lang = run.one(book, "--book"), run.one(lang, "--lang")
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise PipelineError(f"cannot read file: {exc.strerror}", path=file) from None
    who: str | None
    try:
        who = resolve_reviewer(reviewer, config.root)
    except PipelineError:
        who = None
    _found, doc, catalog = open_book(config, chosen_book, chosen_lang)
    report = import_xliff(data, doc, catalog, reviewer=who, path=file)
    catalog.save()
    for warning in report.warnings:
        run.say(f"  note: {warning}")
    run.say(f"Imported {file}: {report}.")


@command(app)
def serve(
    run: Run,
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Address to listen on. Anything but 127.0.0.1 or localhost makes the page "
            "reachable from other machines (the access token still protects it).",
        ),
    ] = "127.0.0.1",
    port: Annotated[
        int | None,
        typer.Option(
            "--port",
            "-p",
            min=0,
            max=65535,
            help="Port to listen on (0: any free port).",
            show_default="8765, or the next free one",
        ),
    ] = None,
    open_browser: Annotated[
        bool, typer.Option("--open", help="Open the page in your web browser too.")
    ] = False,
    reviewer: ReviewerOpt = None,
    books: OneBookOpt = None,
    langs: OneLangOpt = None,
) -> None:
    """Review in your browser: source and translation side by side; correct, approve.

    Prints the page's address with its access token (open it in a browser on
    this machine); Ctrl+C stops the server. Approvals are written to the PO
    file at once, exactly as 'pipeline review approve' writes them.
    """
    project, console = run.project, run.console
    book, lang = run.one(books, "--book"), run.one(langs, "--lang")

    def action() -> None:
        from ..catalog.review import resolve_reviewer
        from ..errors import PipelineError
        from ..webreview import ReviewServer, create_app, is_loopback, new_token

        config = load_project_config(project)
        try:
            who: str | None = resolve_reviewer(reviewer, config.root)
        except PipelineError:
            who = None
        token = new_token()
        app = create_app(
            config,
            book,
            lang,
            token,
            reviewer=who,
            allowed_hosts=None if is_loopback(host) else ["*"],
        )
        server = ReviewServer(app, token=token, host=host, port=port)
        store = app.state.store
        console.say(f"Reviewing {store.book} in {store.lang}: open this address in your browser:")
        console.say("")
        console.say(f"    {server.url}")
        console.say("")
        if not is_loopback(host):
            console.say(
                f"Listening on {host}: anyone on your network who has this address can "
                "edit the translations."
            )
        console.say("Approvals are saved to the PO file at once. Press Ctrl+C to stop.")
        if open_browser:
            import webbrowser

            webbrowser.open(server.url)
        try:
            server.run()
        except KeyboardInterrupt:
            console.say("Stopped.")

    action()
