"""What the tests share: running the CLI, its one-line errors, project files."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import typer
from typer.testing import CliRunner

from pipeline.cli import app

__all__ = [
    "Result",
    "assert_one_line_error",
    "commands",
    "make_project",
    "po_path",
    "run",
]

_runner = CliRunner()


class Result(NamedTuple):
    """What a command did: unpacks as ``code, out, err``."""

    code: int
    """The exit status."""
    out: str
    """What it printed on stdout."""
    err: str
    """What it printed on stderr."""


def run(
    *args: str | Path,
    project: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Result:
    """Run ``pipeline ARGS`` (with ``-C project`` added when given) through CliRunner.

    An exception the CLI did not handle is raised again here: it is a bug, never
    an exit status to compare.
    """
    argv = [str(a) for a in args]
    if project is not None:
        argv += ["-C", str(project)]
    result = _runner.invoke(app, argv, env=dict(env) if env is not None else None)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Result(result.exit_code, result.stdout, result.stderr)


def assert_one_line_error(
    result: Result, *fragments: str, code: int | None = 1, alone: bool = True
) -> str:
    """The command failed with one ``error: …`` line naming every fragment and no
    traceback; returns that line.

    ``code``: the exit status expected (None: any but 0). ``alone``: stderr is
    that line and nothing else (no details below it, no log lines).
    """
    if code is None:
        assert result.code != 0, result
    else:
        assert result.code == code, result
    assert "Traceback" not in result.err, result.err
    errors = [line for line in result.err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.err
    if alone:
        assert result.err.strip().splitlines() == errors, result.err
    for fragment in fragments:
        assert fragment in errors[0], (fragment, errors[0])
    return errors[0]


def po_path(project: Path, lang: str, book: str) -> Path:
    """The PO catalogue of ``book`` in ``lang``."""
    return project / "content" / lang / f"{book}.po"


_TOML = """\
[book]
title = "{title}"
author = "Tester"

[languages]
source = "{source}"
targets = [{targets}]

[editions]
formats = [{formats}]

[translate]
engine = "{engine}"
"""


def _toml_list(values: tuple[str, ...]) -> str:
    return ", ".join(f'"{value}"' for value in values)


def make_project(
    root: Path,
    books: Mapping[str, str] | None = None,
    *,
    source: str = "en",
    targets: tuple[str, ...] = ("es",),
    formats: tuple[str, ...] = ("html",),
    engine: str = "pseudo",
    title: str = "Test Book",
) -> Path:
    """A small project in ``root``: pipeline.toml and one ``content/<source>/<id>.md``
    per entry of ``books`` (id → Markdown); by default one short book, ``book``."""
    if books is None:
        books = {"book": "# A Small Book\n\nThe first paragraph.\n\n## Part\n\nThe end.\n"}
    (root / "content" / source).mkdir(parents=True, exist_ok=True)
    (root / "pipeline.toml").write_text(
        _TOML.format(
            title=title,
            source=source,
            targets=_toml_list(targets),
            formats=_toml_list(formats),
            engine=engine,
        ),
        encoding="utf-8",
    )
    for book, text in books.items():
        (root / "content" / source / f"{book}.md").write_text(text, encoding="utf-8")
    return root


def commands() -> dict[str, Any]:
    """Every command of the CLI (click's objects) by the words that run it
    (``"review approve"``), groups walked, so a new command is found without
    being listed anywhere."""
    found: dict[str, Any] = {}

    def walk(command: Any, path: tuple[str, ...]) -> None:
        children = getattr(command, "commands", None)
        if children is None:
            found[" ".join(path)] = command
            return
        for name, child in sorted(children.items()):
            walk(child, (*path, name))

    walk(typer.main.get_command(app), ())
    return found


def edition_body(edition: Any) -> str:
    """All the HTML a reader of a one-language edition sees in order: the title
    page, then every section (an untitled opening one included)."""
    return edition.title_page_html + "".join(section.html for section in edition.sections)
