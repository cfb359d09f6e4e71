"""Heading ids: made from the source, the same in every language and edition.

A heading's id is its explicit id when the source gives one (``{#id}``, set
on the ``heading_open`` token by the attribute-list plugin), else the slug of
its source text by the rule GitHub, mdBook and most Markdown previews use for
the links authors write (:func:`slug`): lowercase, letters, digits, marks,
``_`` and ``-`` kept, each space made ``-``, everything else dropped; a slug
taken by an earlier heading of the same file gets ``-1``, ``-2``…

A book of several chapter files is one document, so ids must be unique
across files: each file's headings are given ids as if the file were alone
(as the links written in that file expect), then a slug an earlier file has
taken gets the next free ``-1``, ``-2``… suffix. :class:`HeadingIds` keeps,
per file, which id each slug written in that file became, so that
``other.md#slug`` goes to the heading of ``other.md`` (see
:mod:`pipeline.source.links`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it.token import Token

from .markdown import Document, plain_text

__all__ = ["HeadingIds", "heading_ids", "html_ids", "html_ids_in", "slug"]

_KEPT = {"_", "-"}
_HTML_ID = re.compile(r"""\b(?:id|name)\s*=\s*["']([^"']+)["']""")


def slug(text: str) -> str:
    """The id GitHub and mdBook give a heading with this text
    (``The `String` Type`` → ``the-string-type``, ``¿Qué es?`` → ``qué-es``);
    ``section`` when nothing is left."""
    chars = []
    for ch in text.strip().lower():
        if ch == " ":
            chars.append("-")
        elif ch in _KEPT or unicodedata.category(ch)[0] in "LNM":
            chars.append(ch)
    return "".join(chars) or "section"


def _mkdocs_slug(text: str) -> str:
    """The id MkDocs (Python-Markdown's ``toc``) gives a heading: ASCII only
    (``¿Qué es?`` → ``que-es``), runs of spaces and hyphens made one ``-``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    value = re.sub(r"[^\w\s-]", "", ascii_text).strip().lower()
    return re.sub(r"[-\s]+", "-", value)


def _unique(base: str, taken: set[str], sep: str = "-") -> str:
    candidate, n = base, 0
    while candidate in taken:
        n += 1
        candidate = f"{base}{sep}{n}"
    taken.add(candidate)
    return candidate


@dataclass(slots=True)
class HeadingIds:
    """The id of every heading of a document, and how each file names them."""

    by_token: dict[int, str] = field(default_factory=dict)
    """Index in :attr:`Document.tokens` of each ``heading_open`` → its id."""
    text: dict[str, str] = field(default_factory=dict)
    """Each id → the plain text of its source heading."""
    files: dict[Path, dict[str, str]] = field(default_factory=dict)
    """Per file: each id as the file's own links write it → the id in the book."""
    aliases: dict[Path, dict[str, str]] = field(default_factory=dict)
    """Per file: the ids MkDocs would have given its headings → the id in the
    book (followed by links, never given to an element)."""
    first: dict[Path, str] = field(default_factory=dict)
    """Per file: the id of its first heading (where a link to the file goes)."""

    def find(self, path: Path, name: str) -> str | None:
        """The book id that ``#name`` written in ``path`` goes to, if any."""
        names, aliases = self.files.get(path, {}), self.aliases.get(path, {})
        for candidate in (name, slug(name)):  # slug: #Processing-A-Guess, #why_façade?
            found = names.get(candidate) or aliases.get(candidate)
            if found is not None:
                return found
        return None


def html_ids(doc: Document) -> set[str]:
    """The ids (and ``<a name>``s) written in the raw HTML of ``doc``."""
    return html_ids_in(doc.tokens)


def html_ids_in(tokens: Iterable[Token]) -> set[str]:
    """The ids (and ``<a name>``s) written in the raw HTML of ``tokens``."""
    found: set[str] = set()
    for token in tokens:
        pieces = [token] if token.type == "html_block" else token.children or []
        for piece in pieces:
            if piece.type in {"html_block", "html_inline"}:
                found.update(_HTML_ID.findall(piece.content))
    return found


def heading_ids(doc: Document) -> HeadingIds:
    """Give every heading of ``doc`` its id (see the module's docstring); an id
    that raw HTML of the document already has is not given to a heading."""
    result = HeadingIds()
    local: list[tuple[int, Path, str, str]] = []  # (token, file, id in the file, text)
    per_file: dict[Path, set[str]] = {}
    mkdocs: dict[Path, set[str]] = {}
    for i, token in enumerate(doc.tokens):
        if token.type != "heading_open":
            continue
        path = doc.locate(token.map[0] + 1)[0] if token.map else doc.path
        text = plain_text(doc.tokens[i + 1])
        taken = per_file.setdefault(path, set())
        explicit = token.attrGet("id")
        name = _unique(str(explicit) if explicit else slug(text), taken)
        local.append((i, path, name, text))
        alias = _unique(_mkdocs_slug(text) or "section", mkdocs.setdefault(path, set()), "_")
        result.aliases.setdefault(path, {})[alias] = name  # made a book id below
    reserved = {name for _, _, name, _ in local}
    used = html_ids(doc)  # an id the author wrote in HTML is never given twice
    for i, path, name, _text in local:
        if name in used:
            base, n = name, 1
            while f"{base}-{n}" in used or f"{base}-{n}" in reserved:
                n += 1
            book_id = f"{base}-{n}"
        else:
            book_id = name
        used.add(book_id)
        result.by_token[i] = book_id
        result.text[book_id] = _text
        result.files.setdefault(path, {})[name] = book_id
        result.first.setdefault(path, book_id)
    for path, aliases in result.aliases.items():
        names = result.files.get(path, {})
        result.aliases[path] = {
            alias: names[name] for alias, name in aliases.items() if alias not in names
        }
    return result
