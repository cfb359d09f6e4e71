"""Protected text in prose: URLs, e-mail addresses, file paths, repository names.

Written as plain text (not as a link or code span), such things are still not
words: an engine must never translate them (Apertium turns
``~/projects/hello_world`` into ``~/proyectos/hola_directorio mundial``).
:func:`find` says where they are in a run of words; the encoder
(:mod:`pipeline.source.inline`) makes each one an atom, so the engine sees a
placeholder in its place and the text comes back exactly as written. The
segment's source, its id and its PO entry do not change.

What counts, by a clear rule and on the conservative side (``and/or``,
``km/h``, ``input/output`` and ``TCP/IP`` stay words):

- URLs with a scheme (``https://example.com/a?b=c``), ``www.`` addresses,
  e-mail addresses and bare domain names with a known top-level domain
  (``example.org``), as linkify-it-py (MIT) finds them, which is what
  markdown-it's own linkify uses;
- paths that start with ``~/``, ``./``, ``../`` or ``/`` and a path segment
  (``/etc/hosts``), Windows paths (``C:\\Users\\x``);
- relative paths with a ``/`` whose last part has a file extension or that
  end with ``/`` (``src/lib.rs``, ``docs/``) or that have three or more parts;
- ``owner/name`` repository names when a part has a ``-``, ``_``, ``.`` or a
  digit (``rust-lang/book``, ``tokio-rs/tokio``), which plain word pairs do not;
- file names with a common file extension (``mkdocs.yml``, ``main.rs``) and
  dot-files (``.gitignore``).

A trailing full stop, comma, colon, semicolon, question or exclamation mark,
closing bracket or quote ends the protected text: it belongs to the sentence.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from linkify_it import LinkifyIt

__all__ = ["find"]

_EXTENSION_WORDS = (
    "c cc cfg conf cpp cs css csv db desktop dll doc docx epub exe gif go gradle h hpp "
    "htm html ini ipynb java jpeg jpg js json jsx kt lock log lua md mdx mjs mo nix odt "
    "pdf php png po pot ps1 py pyc rb rs rst scss service sh sql svg swift tar tex tgz "
    "toml ts tsx txt vue wasm webp xhtml xml xsl yaml yml zip"
)
_EXTENSIONS = sorted(_EXTENSION_WORDS.split())
"""File extensions that make a word with a dot a file name (``mkdocs.yml``)."""

_SEGMENT = r"[\w@+%=,.~-]+"
_TAIL = r"(?:/[\w@+%=,.~-]*)*"
_PATH = re.compile(
    r"(?<![\w/\\.~@-])(?:"
    rf"~/[^\s]*"  # ~/projects/hello_world
    rf"|\.\.?/[^\s]+"  # ./src/main.rs, ../lib
    rf"|/(?=[\w.-]*[^\W\d_])[\w.~-]+{_TAIL}"  # /etc/hosts
    r"|[A-Za-z]:\\[^\s]*"  # C:\Users\x
    rf"|{_SEGMENT}(?:/{_SEGMENT})+/?"  # src/lib.rs, rust-lang/book (checked below)
    rf"|{_SEGMENT}/"  # docs/
    r"|\.[a-z][\w-]*(?:\.[a-z][\w-]*)*"  # .gitignore, .github
    rf"|[\w-]{{2,}}(?:\.[\w-]+)*\.(?:{'|'.join(_EXTENSIONS)})"  # mkdocs.yml
    r")(?![\w/\\])"
)
_TRAILING = ".,:;!?)]}'\"»”\u2019"
_NAME_MARK = re.compile(r"[-_.\d]")
_EXTENSION = re.compile(rf"\.(?:{'|'.join(_EXTENSIONS)}|[a-z]{{1,4}}\d?)$")


_CANDIDATE = re.compile(r"[/\\@]|\.\w")
"""What every protected text has (a cheap test before the full search)."""


@cache
def _linkify() -> LinkifyIt:
    from linkify_it import LinkifyIt  # imported when first needed

    return LinkifyIt()


def _trim(text: str, start: int, end: int) -> int:
    """The end of a match without the sentence punctuation that follows it."""
    while end > start and text[end - 1] in _TRAILING:
        end -= 1
    return end


def _is_protected(token: str) -> bool:
    """Whether a path-like token found by :data:`_PATH` is protected text
    (see the module documentation for the rules on ``a/b`` words)."""
    if token.startswith(("~/", "./", "../", "/", ".")) or re.match(r"[A-Za-z]:\\", token):
        return any(ch.isalnum() for ch in token)
    if "/" not in token:
        return True  # a file name with a known extension
    parts = token.rstrip("/").split("/")
    if token.endswith("/") or len(parts) >= 3:
        return True
    if _EXTENSION.search(parts[-1]):
        return True
    # owner/name: only with a mark that word pairs (and/or, km/h) lack.
    return len(parts) == 2 and all(parts) and any(_NAME_MARK.search(p) for p in parts)


def find(text: str) -> list[tuple[int, int]]:
    """Where protected text is in ``text`` (plain words, no markup), as sorted,
    non-overlapping ``(start, end)`` offsets."""
    found: list[tuple[int, int]] = []
    if _CANDIDATE.search(text):
        for match in _linkify().match(text) or []:
            found.append((match.index, match.last_index))
        for m in _PATH.finditer(text):
            end = _trim(text, m.start(), m.end())
            if end > m.start() and _is_protected(text[m.start() : end]):
                found.append((m.start(), end))
    found.sort()
    merged: list[tuple[int, int]] = []
    for start, end in found:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
