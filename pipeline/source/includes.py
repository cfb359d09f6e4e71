"""mdBook's ``{{#include …}}`` in code blocks: the listing the author meant.

mdBook books keep their listings in files and write, inside a code block,
``{{#include ../listings/ch02/src/main.rs}}``. The editions show what mdBook
shows there:

* ``{{#include file}}``: the whole file; ``file:10:20`` lines 10 to 20,
  ``file:5:`` from line 5, ``file::5`` up to line 5, ``file:5`` line 5 only;
* ``{{#include file:name}}``: the lines between ``ANCHOR: name`` and
  ``ANCHOR_END: name`` (markers of any anchor left out);
* ``{{#rustdoc_include …}}``: the same part (mdBook hides the rest of the
  file from readers); the whole file without anchor markers when no part is named.

Paths are relative to the chapter file holding the code block. A file outside
the project, missing or unreadable, or an anchor the file does not have, is
reported once per book with the file and line of the directive, which is left
as written. ``\\{{#include …}}`` is shown as ``{{#include …}}``, not expanded.

A Rust code block's hidden lines (rustdoc's and mdBook's convention: a line
``# fn main() {`` or ``#`` alone, which the book shows only on request) are
left out of it (:func:`shown_rust`): ``#[derive(Debug)]`` stays, and ``##``
at a line's start shows one ``#``.

Code is never translated, so this is done when an edition is assembled (on the
code blocks' text): the document, its segments and catalogues do not change.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

__all__ = ["IncludeExpander", "included_files", "is_rust", "shown_rust"]

log = logging.getLogger(__name__)

_DIRECTIVE = re.compile(r"\\\{\{#[^}\n]*\}\}|\{\{\s*#(include|rustdoc_include)\s+([^}\n]+?)\s*\}\}")
_ANCHOR = re.compile(r"ANCHOR:\s*([\w-]+)")
_ANCHOR_END = re.compile(r"ANCHOR_END:\s*([\w-]+)")


class IncludeExpander:
    """Expands the include directives in the code blocks of one book.

    ``file_of`` gives the file a 1-based book line comes from, ``root`` is the
    folder included files must be inside (the project), ``where`` names the
    place of a book line (``file:line``) in messages. Call it with a code
    block's text and the book line of its first line of code.
    """

    def __init__(
        self,
        file_of: Callable[[int | None], Path],
        root: Path,
        where: Callable[[int | None], str] | None = None,
    ) -> None:
        self.file_of = file_of
        self.root = root.resolve()
        self.where = where
        self._reported: set[tuple[Path, str]] = set()
        self._texts: dict[Path, str | OSError | UnicodeDecodeError] = {}

    def __call__(self, code: str, line: int | None = None) -> str:
        if "{{" not in code:
            return code
        here = self.file_of(line)

        def expand(match: re.Match[str]) -> str:
            if match.group(1) is None:  # \{{#...}}: shown as written, without the backslash
                return match.group(0)[1:]
            at = None if line is None else line + code.count("\n", 0, match.start())
            text = self._expand(match.group(1), match.group(2), here, at)
            return match.group(0) if text is None else text

        return _DIRECTIVE.sub(expand, code)

    def _expand(self, kind: str, argument: str, here: Path, line: int | None) -> str | None:
        name, _, part = argument.partition(":")
        try:
            path = (here.parent / name).resolve()
        except (OSError, ValueError):
            path = None
        if path is None or not path.is_relative_to(self.root):
            self._warn(here, argument, line, "is outside the project")
            return None
        if path not in self._texts:  # each file read once per book
            try:
                self._texts[path] = path.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as exc:
                self._texts[path] = exc
        text = self._texts[path]
        if not isinstance(text, str):
            problem = "is not there" if isinstance(text, FileNotFoundError) else "cannot be read"
            self._warn(here, argument, line, problem)
            return None
        lines = text.replace("\r\n", "\n").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        shown = _part(lines, part.strip())
        if shown is None:
            self._warn(here, argument, line, f"has no anchor {part.strip()!r}")
            return None
        if kind == "rustdoc_include" and not part.strip():
            shown = _without_markers(shown)
        return "\n".join(shown)

    def _warn(self, here: Path, argument: str, line: int | None, problem: str) -> None:
        key = (here, argument)
        if key in self._reported:
            return
        self._reported.add(key)
        place = self.where(line) if self.where is not None else str(here)
        log.warning(
            "%s: included file %s %s: the include line is shown as written "
            "(paths are relative to the chapter file and must stay inside the project)",
            place,
            argument.partition(":")[0],
            problem,
        )


def included_files(path: Path, text: str) -> list[Path]:
    """The files the include directives written in ``text`` (the Markdown file
    ``path``) name, so that a build notices when one of them changes."""
    return [
        path.parent / match.group(2).partition(":")[0].strip()
        for match in _DIRECTIVE.finditer(text)
        if match.group(1) is not None
    ]


def _part(lines: list[str], part: str) -> list[str] | None:
    """The lines ``part`` names (mdBook's range or anchor); ``None`` for an
    anchor the file does not have."""
    if not part:
        return lines
    first, sep, last = part.partition(":")
    if first.isdigit() or (not first and last.isdigit()):
        begin = max(int(first) - 1, 0) if first else 0
        if not sep:
            return lines[begin : begin + 1]
        return lines[begin : int(last) if last.isdigit() else len(lines)]
    kept: list[str] = []
    inside = found = False
    for line in lines:
        if inside:
            closing = _ANCHOR_END.search(line)
            if closing is not None and closing.group(1) == part:
                break
            if not _ANCHOR.search(line) and closing is None:
                kept.append(line)
        else:
            opening = _ANCHOR.search(line)
            if opening is not None and opening.group(1) == part:
                inside = found = True
    return kept if found else None


def _without_markers(lines: list[str]) -> list[str]:
    return [line for line in lines if not (_ANCHOR.search(line) or _ANCHOR_END.search(line))]


def is_rust(info: str) -> bool:
    """Whether a code block's info string (``rust``, ``rust,ignore``,
    ``rust edition2021``) makes it Rust, whose hidden lines mdBook hides."""
    words = re.split(r"[\s,]+", info.strip(), maxsplit=1)
    return words[0].lower() == "rust"


def shown_rust(code: str) -> str:
    """A Rust code block as mdBook shows it: without its hidden lines
    (``# `` or ``#`` alone, after any indentation), ``##`` shown as ``#``."""
    shown = []
    for line in code.splitlines(keepends=True):
        body = line.lstrip(" \t")
        indent = line[: len(line) - len(body)]
        if body.startswith("##"):
            shown.append(indent + body[1:])
        elif body.rstrip("\n") == "#" or body.startswith(("# ", "#\t")):
            continue
        else:
            shown.append(line)
    return "".join(shown)
