"""``pipeline tm …``: the translation memory — import a publisher's TMX file, list
what the memory holds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .kernel import LangOpt, Run, command

app = typer.Typer(
    help="Translation memory: reviewed translations reused across the project's books "
    "and from TMX files you import. Exact matches pre-fill new segments at the next "
    "build (as machine translations to approve); similar ones are suggested in the "
    "review page and in 'review list --suggestions'.",
    no_args_is_help=True,
)


@command(app, "import")
def import_(
    run: Run,
    file: Annotated[
        Path,
        typer.Argument(
            help="A TMX file (1.4, as a CAT tool or 'review export -f tmx' wrote it).",
            dir_okay=False,
        ),
    ],
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            help="The name it is kept under in content/tm/ (and named by in the catalogues).",
            show_default="the file's name",
        ),
    ] = None,
) -> None:
    """Check a TMX file and keep a copy in content/tm/: its pairs from the source
    language into a target language become part of the memory. Importing the same
    file again changes nothing; a new version under the same name replaces the old."""
    from ..project import relative
    from ..tm import import_tmx

    config = run.config()
    result = import_tmx(config, file, name=name)
    counts = ", ".join(
        f"{count} {config.source_lang}->{lang}" for lang, count in result.pairs.items()
    )
    stored = relative(config, result.stored)
    if result.status == "unchanged":
        run.say(f"{file} is already imported as {stored} ({counts} pairs): nothing changed.")
        return
    verb = "Imported" if result.status == "added" else "Updated"
    run.say(f"{verb} {file} as {stored}: {counts} pairs.")
    run.say("The next build pre-fills the segments they translate exactly.")


@command(app, "list")
def list_(run: Run, lang: LangOpt = None) -> None:
    """List what the memory of each target language holds, by origin."""
    from ..project import select_langs
    from ..tm import load_memory

    config = run.config()
    for chosen in select_langs(config, lang, targets_only=True):
        memory = load_memory(config, chosen)
        run.say(f"{config.source_lang}->{chosen}: {len(memory)} translation(s)")
        for origin, count in memory.origins().items():
            kind = "imported file" if origin.startswith("imported:") else "book, reviewed"
            run.say(f"  {origin:40}  {count:6}  ({kind})")
