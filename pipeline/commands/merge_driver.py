"""The command git runs to merge two branches' catalogues.

``pipeline review setup-git`` registers ``python -m pipeline.commands.merge_driver
%O %A %B %P`` as the ``pipeline-po`` merge driver; :func:`main` merges the three
versions with :func:`pipeline.catalog.merge_driver.merge_files` and says on
stderr what a person must look at. It is command-line code (it prints and
returns an exit status), so it lives here, not in the library.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def main(argv: Sequence[str] | None = None) -> int:
    """Git's entry point: ``python -m pipeline.commands.merge_driver %O %A %B [%P]``.

    Writes the merged catalogue to ``%A`` and returns 0, saying on stderr which
    entries were kept for review. When a version cannot be parsed, leaves
    git's text merge (with conflict markers) in ``%A``, says why on one line
    and returns 1, so that git reports a conflict.
    """
    from ..catalog.merge_driver import merge_as_text, merge_files
    from ..errors import PipelineError

    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) not in (3, 4):
        print(
            "usage: python -m pipeline.commands.merge_driver BASE OURS THEIRS [PATH] "
            "(git runs it; see: pipeline review setup-git)",
            file=sys.stderr,
        )
        return 2
    base, ours, theirs = (Path(arg) for arg in args[:3])
    name = args[3] if len(args) == 4 else args[1]
    try:
        result = merge_files(base, ours, theirs, name=name)
    except PipelineError as exc:
        merge_as_text(base, ours, theirs)
        where = f"{exc.path}:{exc.line}" if exc.line else (exc.path or name)
        print(
            f"pipeline: cannot merge {name} entry by entry ({where}: {exc.message}); "
            "merged as text instead: resolve the conflict markers by hand",
            file=sys.stderr,
        )
        return 1
    if result.conflicts:
        ids = ", ".join(c.id for c in result.conflicts)
        count = _plural(len(result.conflicts), "conflicting entry", "conflicting entries")
        print(f"pipeline: {count} in {name} kept for review: {ids}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
