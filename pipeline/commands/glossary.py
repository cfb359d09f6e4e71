"""``pipeline glossary …``: the project's glossary (content/glossary.csv or .tbx)."""

from __future__ import annotations

import typer

from .kernel import BookOpt, EngineOpt, OneLangOpt, Run, command

app = typer.Typer(
    help="The glossary (content/glossary.csv or content/glossary.tbx): terms the engine "
    "translates as the glossary says, names it never translates.",
    no_args_is_help=True,
)


@command(app)
def suggest(
    run: Run,
    book: BookOpt = None,
    lang: OneLangOpt = None,
    engine: EngineOpt = None,
) -> None:
    """List names the engine would otherwise translate (capitalised words mid-sentence
    it changes, repeated names of several words), most frequent first, with where each
    is first seen: candidates to add to the glossary."""
    from ..mt.base import check_pair
    from ..mt.registry import get_engine
    from ..project import BookSession, find_books, select_langs
    from ..qa.glossary import Glossary
    from ..qa.suggest import suggest_terms

    config = run.config()
    given = run.one(lang, "--lang")
    direct = [
        t
        for t in select_langs(config, [given] if given else None, targets_only=True)
        if config.pivot(t) == config.source_lang
    ]
    target = direct[0] if direct else (given or config.target_langs[0])
    mt = get_engine(engine or config.engine)
    source, code = config.source_lang, config.engine_code(target)
    check_pair(mt, source, code)
    glossary = Glossary.find(config.content_dir, source_lang=source).for_language(target)
    sessions = [BookSession.open(config, found) for found in find_books(config, book)]
    found = suggest_terms(sessions, glossary, mt, source, code)
    if not found:
        run.say("No candidate terms: every name is in the glossary or left alone by the engine.")
        return
    run.say(f"Candidate glossary terms ({mt.name} {source}->{code}), most frequent first:")
    rows = [(str(s.count), s.name, s.translated, s.first) for s in found]
    header = ("count", "term", f"{mt.name} says", "first seen")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        cells[0] = row[0].rjust(widths[0])
        run.say("  " + "  ".join(cells).rstrip())
    run.say(
        "Add the ones to keep to content/glossary.csv (source,target,note); "
        "a target equal to its source means never translate."
    )
