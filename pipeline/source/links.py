"""Links inside a book: to a heading, to another chapter file, or nowhere.

An edition is one document, so a link that leads somewhere in the book must
become ``#id`` (the id :mod:`pipeline.source.anchors` gave the heading), in
every format: ``#section`` in the same file, ``other.md``, ``other.md#section``,
``./other.md``, mdBook's ``other.html#section`` (and ``index.html`` for a
``README.md``), written inline or as a reference definition. Paths are
relative to the chapter file that holds the link. A link to a file without a
fragment goes to the file's first heading.

A site-absolute path names a chapter as Hugo and MkDocs publish their pages,
from the language's folder (Hugo's site) or else from the book's (MkDocs' docs
folder): ``/docs/install/`` is ``docs/install.md`` (or
``docs/install/_index.md``, ``index.md``), and ``/docs/install.md``,
``/docs/install.html`` and ``/docs/install/index.html`` are it too. A path
that names a file of the language's folder that is no chapter of the book
(another book's page) leads nowhere.

A link to a file that is not a chapter of the book (``CONTRIBUTING.md``,
``LICENSE``, ``data/x.csv``, a folder), to a site-absolute path that names
no chapter (``/blog/``, which only the author's web site can serve), or to a
``#fragment`` no heading (and no ``id`` in the book's raw HTML) has, would lead
nowhere in an edition (a dead relative link in the HTML edition, a
``file:///`` link in the PDF, an error in the EPUB): it is reported once per
book, naming the file and line, and the editions show its text without the
link. Links with a scheme (``https:``, ``mailto:``) or a host (``//host/x``)
are left as they are.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..fsutil import is_file
from .anchors import HeadingIds, heading_ids, html_ids
from .markdown import Document

__all__ = ["LinkResolver"]

log = logging.getLogger(__name__)


class LinkResolver:
    """Where each link of one book goes in its editions.

    Call it with a link's URL (``href``) and the book line it is on: it returns
    ``#id`` for a link into the book, ``""`` for a link that leads nowhere
    (reported once), ``None`` to leave the URL as it is. ``where`` names the
    place of a line (``file:line``) in messages; by default the file's path.
    """

    def __init__(self, doc: Document, where: Callable[[int | None], str] | None = None) -> None:
        self.doc = doc
        self.ids: HeadingIds = heading_ids(doc)
        """The headings' ids."""
        self.where = where
        self._files = {p.resolve(): p for p, _ in doc.parts} or {doc.path.resolve(): doc.path}
        self._raw_ids = html_ids(doc)
        self._reported: set[tuple[Path, str]] = set()

    def file_of(self, line: int | None) -> Path:
        """The chapter file (or the document's file) that holds a book line."""
        if not line or not self.doc.parts:
            return self.doc.path
        return self.doc.locate(line)[0]

    def __call__(self, href: str, line: int | None = None) -> str | None:
        parts = urlsplit(href)
        if parts.scheme or parts.netloc:
            return None
        here = self.file_of(line)
        fragment = unquote(parts.fragment)
        if parts.path.startswith("/"):
            page = self._site_page(unquote(parts.path))
            if page is None:
                self._warn(here, href, line, "a site-absolute path to no page of this book")
                return ""
            return self._into(page, fragment, here, href, line)
        if not parts.path:
            if not fragment:
                return None  # "#": a link the author left empty
            found = self.ids.find(here, fragment) or self._anywhere(fragment)
            if found is not None:
                return "#" + found
            if fragment in self._raw_ids:
                return "#" + fragment
            self._warn(here, href, line, f"no heading has the id #{fragment}")
            return ""
        path = Path(unquote(parts.path))
        target = self._chapter(here.parent / path)
        if target is None:
            self._warn(here, href, line, f"{path.as_posix()} is not part of this book")
            return ""
        return self._into(target, fragment, here, href, line)

    def _into(self, target: Path, fragment: str, here: Path, href: str, line: int | None) -> str:
        """``#id`` of ``fragment`` in the chapter file ``target`` (its first
        heading without one), or ``""`` (reported)."""
        if not fragment:
            first = self.ids.first.get(target)
            if first is None:
                self._warn(here, href, line, f"{target.name} has no heading to link to")
                return ""
            return "#" + first
        found = self.ids.find(target, fragment)
        if found is not None:
            return "#" + found
        if fragment in self._raw_ids:
            return "#" + fragment
        self._warn(here, href, line, f"{target.name} has no heading with the id #{fragment}")
        return ""

    def _anywhere(self, name: str) -> str | None:
        """A heading id of the book, whichever file it is in (``#name`` written
        in one chapter for a heading of another, as a one-page book allows)."""
        if name in self.ids.text:
            return name
        return None

    def _site_page(self, path: str) -> Path | None:
        """The chapter file a site-absolute path names, as Hugo and MkDocs
        publish pages (``/docs/install/`` for ``docs/install.md`` or
        ``docs/install/_index.md``, MkDocs' ``/docs/install/index.html``), from
        the language's folder (Hugo's site) or else the book's (MkDocs' docs
        folder); ``None`` when it names none, or a file of the first that is no
        chapter of the book (another book's page)."""
        book = self.doc.path if self.doc.parts else self.doc.path.parent
        name = path.strip("/")
        if name == "index.html" or name.endswith("/index.html"):
            name = name[: -len("index.html")].rstrip("/")
        for root in (book.parent, book) if self.doc.parts else (book,):
            page = root / name if name else root
            candidates = [page, page.with_name(page.name + ".md")] if name else []
            candidates += [page / index for index in ("index.md", "_index.md", "README.md")]
            for candidate in candidates:
                found = self._chapter(candidate)
                if found is not None:
                    return found
                if is_file(candidate):
                    return None  # a page, but not one of this book's
        return None

    def _chapter(self, path: Path) -> Path | None:
        """The book's chapter file that a link's path names (mdBook's ``x.html``
        for ``x.md``, ``index.html`` for ``README.md``), or ``None``."""
        candidates = [path]
        if path.suffix.lower() in {".html", ".htm"}:
            candidates.append(path.with_suffix(".md"))
            if path.stem == "index":
                candidates += [path.with_name("README.md"), path.with_name("index.md")]
        for candidate in candidates:
            try:
                resolved = candidate.resolve()
            except (OSError, ValueError):
                continue
            if resolved in self._files:
                return self._files[resolved]
        return None

    def _line_of(self, href: str, line: int | None) -> int | None:
        """The line of the source where the link ``href`` of the block starting at
        ``line`` is written (the block's line when it cannot be told)."""
        if not line:
            return line
        for token in self.doc.tokens:
            if token.type != "inline" or not token.map or token.map[0] + 1 != line:
                continue
            for child in token.children or []:
                if child.type == "link_open" and child.attrGet("href") == href:
                    span = child.meta.get("span")
                    if span is not None:
                        return line + token.content.count("\n", 0, span[0])
        return line

    def _warn(self, here: Path, href: str, line: int | None, problem: str) -> None:
        """Say once per book that the link ``href`` leads nowhere."""
        key = (here.parent, href)
        if key in self._reported:
            return
        self._reported.add(key)
        line = self._line_of(href, line)
        if self.where is not None:
            place = self.where(line)
        else:
            path, at = self.doc.locate(line) if line else (self.doc.path, None)
            place = f"{path}:{at}" if at else str(path)
        log.warning(
            "%s: link %s leads nowhere (%s): its text is shown without it", place, href, problem
        )
