"""``pipeline review …``: list, approve, diff, export, import and serve translations;
set up git to merge catalogues."""

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
    conflicts: Annotated[
        bool,
        typer.Option(
            "--conflicts",
            help="Only segments two git branches translated differently (see review setup-git).",
        ),
    ] = False,
    unknown: Annotated[
        bool,
        typer.Option(
            "--unknown",
            help="Only segments with words the engine did not know, and those words.",
        ),
    ] = False,
    book: OneBookOpt = None,
    lang: OneLangOpt = None,
    suggestions: Annotated[
        bool,
        typer.Option(
            "--suggestions",
            help="Under each segment not reviewed yet, the translation memory's best "
            "suggestion (a similar source, 75 % alike or more), its score and origin.",
        ),
    ] = False,
) -> None:
    """List segments with their id, state, line and source (and, for a segment two
    merged branches translated differently, the other branch's text)."""
    from ..catalog.catalog import State
    from ..catalog.review import entries
    from ..project import open_book, source_location
    from ..tm import load_memory

    config = run.config()
    _found, doc, catalog = open_book(config, run.one(book, "--book"), run.one(lang, "--lang"))
    states = [State(s.value) for s in state] if state else None
    rows = entries(catalog, states)
    if conflicts:
        rows = [entry for entry in rows if entry.conflict is not None]
    if unknown:
        rows = [entry for entry in rows if entry.unknown]
    lines = {seg.id: seg.line for seg in doc.segments}
    memory = load_memory(config, catalog.lang) if suggestions else None
    for entry in rows:
        where = source_location(config, doc, lines[entry.id])
        run.say(f"{entry.id}  {entry.state.value:12}  {where:32}  {_excerpt(entry.source)}")
        if entry.conflict is not None:
            run.say(f"    conflict: the other branch had: {_excerpt(entry.conflict)}")
        if memory is not None and entry.state is not State.REVIEWED:
            for found in memory.suggest(entry.source, current=entry.translation):
                origin = found.unit.origin
                run.say(
                    f"    From the memory ({found.percent} %, {origin}): "
                    f"{_excerpt(found.unit.target)}"
                )
        if unknown:
            run.say(f"    unknown to the engine: {', '.join(entry.unknown)}")
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
    with catalog.locked():  # up to date with the file, and no other writer until saved
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
    skip_stale: Annotated[
        bool,
        typer.Option(
            "--skip-stale",
            help="Import the other units when some were changed in the catalogue after the "
            "export (they are listed, not applied).",
        ),
    ] = False,
    book: OneBookOpt = None,
    lang: OneLangOpt = None,
) -> None:
    """Import translations from an XLIFF file: all or nothing, refused if the source
    changed since the export or if an edited unit's translation was changed in the
    catalogue since (unless --skip-stale)."""
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
    with catalog.locked():  # up to date with the file, and no other writer until saved
        report = import_xliff(data, doc, catalog, reviewer=who, path=file, skip_stale=skip_stale)
        catalog.save()
    for warning in report.warnings:
        run.say(f"  note: {warning}")
    run.say(f"Imported {file}: {report}.")


@command(app, "setup-git")
def setup_git(run: Run) -> None:
    """Let git merge the PO catalogues entry by entry, so that volunteers' branches
    merge: approvals from both sides kept, differences kept for review, never
    conflict markers. Run it once in each clone; commit .gitattributes."""
    from ..catalog.merge_driver import setup_git as register

    config = run.config()
    done = register(config.root, config.content_dir)
    where = done.attributes.name
    if done.added:
        run.say(f"Added '{done.line}' to {where}: commit it, so every clone uses it.")
    else:
        run.say(f"{where} already has '{done.line}'.")
    if done.registered:
        run.say(f"Registered the merge driver in this clone's git config: {done.command}")
    else:
        run.say("The merge driver was already registered in this clone's git config.")
    run.say(
        "Each volunteer runs 'pipeline review setup-git' once in their own clone "
        "(git never takes a merge driver from the repository itself)."
    )


@command(app)
def serve(
    run: Run,
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Address to listen on. Anything but a loopback address (127.x, ::1, localhost) "
            "makes the page reachable from other machines, over unencrypted HTTP: put it "
            "behind a TLS reverse proxy (see --public-url).",
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
    reviewers: Annotated[
        Path | None,
        typer.Option(
            "--reviewers",
            help="TOML ([[reviewer]] name, email, revoked) or CSV (name,email[,revoked]) file "
            "of volunteers: each gets a link of their own, and approvals through it are "
            "recorded under their name. Edit the file (revoked = true) to revoke a link; "
            "the running page notices.",
            dir_okay=False,
        ),
    ] = None,
    links: Annotated[
        bool,
        typer.Option("--links", help="With --reviewers: print each volunteer's link and exit."),
    ] = False,
    public_url: Annotated[
        str | None,
        typer.Option(
            "--public-url",
            help="The address people open when a reverse proxy serves the page "
            "(https://review.example.org): links use it, and the page accepts its host name.",
        ),
    ] = None,
    reviewer: ReviewerOpt = None,
    books: OneBookOpt = None,
    langs: OneLangOpt = None,
) -> None:
    """Review in your browser: source and translation side by side; correct, approve.

    Prints the page's address with its access token (or, with --reviewers, one
    link per volunteer); Ctrl+C stops the server. Approvals are written to the
    PO file at once, exactly as 'pipeline review approve' writes them.
    """
    project, console = run.project, run.console
    book, lang = run.one(books, "--book"), run.one(langs, "--lang")

    def action() -> None:
        from urllib.parse import urlsplit

        from ..catalog.review import resolve_reviewer
        from ..errors import PipelineError
        from ..webreview import (
            ReviewServer,
            Roster,
            accepted_hosts,
            create_app,
            is_loopback,
            new_token,
            reachable_names,
        )
        from ..webreview.server import DEFAULT_PORT

        config = load_project_config(project)
        public = urlsplit(public_url or "")
        if public_url is not None and (
            public.scheme not in ("http", "https") or not public.hostname
        ):
            raise PipelineError(
                f"--public-url {public_url!r} is not an address",
                hint="give the address people open, e.g. https://review.example.org",
            )
        if links and reviewers is None:
            raise PipelineError("--links needs --reviewers FILE", hint="list the volunteers first")
        roster = Roster(reviewers, config.root / ".pipeline-cache") if reviewers else None
        names = reachable_names(host)
        wide = not is_loopback(host)
        if roster is not None and links:
            name = names[1] if wide and len(names) > 1 else names[0]
            base = public_url or f"http://{name}:{port or DEFAULT_PORT}"
            for link in roster.links:
                console.say(f"{link.reviewer.identity}  {base.rstrip('/')}/?token={link.token}")
            return
        who: str | None = None
        if roster is None:
            try:
                who = resolve_reviewer(reviewer, config.root)
            except PipelineError:
                who = None
        token = None if roster is not None else new_token()
        app = create_app(
            config,
            book,
            lang,
            token,
            access=roster,
            reviewer=who,
            allowed_hosts=accepted_hosts(host),
            public_url=public_url,
        )
        server = ReviewServer(app, token=token, host=host, port=port)
        store = app.state.store
        bases = server.base_urls
        if wide and len(bases) > 1:
            bases = [*bases[1:], bases[0]]  # a network address first: for the others
        if public_url:
            bases = [public_url.rstrip("/"), *bases]
        what = f"Reviewing {store.book} in {store.lang}"
        if token is not None:
            console.say(f"{what}: open this address in your browser:")
            console.say("")
            console.say(f"    {server.url}")
            for base in bases:
                if base != server.base_url:
                    console.say(f"    {server.link(token, base)}")
            console.say("")
        elif roster is not None:
            console.say(
                f"{what}: send each volunteer their own link "
                "(it records their approvals under their name):"
            )
            console.say("")
            width = max((len(link.reviewer.identity) for link in roster.links), default=0)
            for link in roster.links:
                identity = link.reviewer.identity
                console.say(f"    {identity:<{width}}  {server.link(link.token, bases[0])}")
            console.say("")
            if len(bases) > 1:
                console.say("The same links work with the address starting " + ", ".join(bases[1:]))
        if wide:
            console.say(
                f"Listening on {host}: anyone on your network who has a link can edit the "
                "translations. The traffic is unencrypted HTTP (links and texts can be read "
                "on the way): for people outside this machine, serve it behind a TLS reverse "
                "proxy (see --public-url)."
            )
        console.say("Approvals are saved to the PO file at once. Press Ctrl+C to stop.")
        if open_browser:
            import webbrowser

            webbrowser.open(server.url if token else server.base_url)
        try:
            server.run()
        except KeyboardInterrupt:
            console.say("Stopped.")

    action()
