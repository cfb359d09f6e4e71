"""A book's pictures: find the files its Markdown points at and embed them.

An image path in the Markdown is relative to the Markdown file that holds it,
as in every Markdown editor's preview (``![Map](maps/region.png)`` in
``content/en/book/03.md`` is ``content/en/book/maps/region.png``). A
site-absolute path (``/images/region.png``, as Hugo serves its ``static/``
folder and MkDocs its docs folder) starts from the language's folder, then
from the book's (``content/en/images/region.png``, then
``content/en/book/images/region.png``), as links do. Editions
carry each local picture as a ``data:`` URL: the HTML edition stays one
self-contained file, the PDF renderer reads no file, and the EPUB renderer
unpacks the pictures into its package.

Nothing is fetched: a remote picture (``https://…``), a file outside the
project's content folder, a missing file or a file that is not a picture is
reported once per book (file and line), and the editions show the picture's
description in its place.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..fsutil import is_file

__all__ = ["IMAGE_TYPES", "ImageEmbedder"]

log = logging.getLogger(__name__)

IMAGE_TYPES = {
    ".gif": "image/gif",
    ".jpeg": "image/jpeg",
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
}
"""Media types of the pictures an edition may carry, by file suffix: those EPUB
readers must support (WebP since EPUB 3.3)."""


class ImageEmbedder:
    """Turns the image URLs of one book into ``data:`` URLs.

    ``folder`` is where the book's Markdown files are, ``root`` the folder no
    picture may come from outside of (the project's content folder),
    ``where`` names the place of a line of the book (``file:line``) for
    messages, and ``file_of`` the Markdown file a line of the book comes from
    (a chapter file), whose folder the line's image paths start from. Call it
    with an image's URL and the book line it is on: it returns the ``data:``
    URL; ``""`` when the URL names a picture that cannot be published
    (reported), so that its description is shown instead; ``None`` to leave
    the URL as it is (a ``data:`` URL already).
    """

    def __init__(
        self,
        folder: Path,
        root: Path,
        where: Callable[[int | None], str] | None = None,
        file_of: Callable[[int], Path] | None = None,
    ) -> None:
        self.folder = folder
        self.root = root.resolve()
        self.where = where
        self.file_of = file_of
        self._urls: dict[Path, str | None] = {}
        self._reported: set[tuple[Path, str]] = set()

    def __call__(self, src: str, line: int | None = None) -> str | None:
        parts = urlsplit(src)
        if parts.scheme.lower() == "data" or not (parts.scheme or parts.netloc or parts.path):
            return None  # already embedded, or no picture at all
        if parts.scheme or parts.netloc:
            self._report(src, None, line)
            return ""
        folder = self.file_of(line).parent if self.file_of is not None and line else self.folder
        try:
            path = self._path(folder, unquote(parts.path))
        except (OSError, ValueError):  # a NUL byte, a loop of links
            self._warn(src, line, "is not a usable file name", "rename the file and the link")
            return ""
        if path not in self._urls:
            self._urls[path] = self._data_url(path)
        url = self._urls[path]
        if url is None:
            self._report(src, path, line)
            return ""
        return url

    def _path(self, folder: Path, name: str) -> Path:
        """The file ``name`` is: relative to ``folder``, or, site-absolute
        (``/images/a.png``), in the book's language's folder or else in its own."""
        if not name.startswith("/"):
            return (folder / name).resolve()
        book = self.folder.resolve()
        places = [book]
        if book.is_relative_to(self.root) and book != self.root:
            language = self.root / book.relative_to(self.root).parts[0]
            places = [language, book] if language != book else places
        found = [(place / name.lstrip("/")).resolve() for place in places]
        return next((path for path in found if is_file(path)), found[0])

    def _data_url(self, path: Path) -> str | None:
        media_type = IMAGE_TYPES.get(path.suffix.lower())
        if media_type is None or not path.is_relative_to(self.root):
            return None
        try:
            data = path.read_bytes()
        except (OSError, ValueError):
            return None
        return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"

    def _report(self, src: str, path: Path | None, line: int | None) -> None:
        if path is None:
            problem = "is not fetched (pipeline works offline)"
            hint = "save it under content/ and give its path relative to the Markdown file"
        elif not path.is_relative_to(self.root):
            problem = "is outside the content folder"
            hint = f"copy it into {self.root.name}/ next to the Markdown file"
            if src.startswith("/"):
                hint = "a path from the site's root starts from the language's folder or the book's"
        elif path.suffix.lower() not in IMAGE_TYPES:
            problem = "is not a picture pipeline can publish"
            hint = "use " + ", ".join(sorted(IMAGE_TYPES))
        elif not is_file(path) and src.startswith("/"):
            problem = "is not there"
            hint = "a path from the site's root starts from the language's folder or the book's"
        elif not is_file(path):
            problem = "is not there"
            hint = "image paths are relative to the Markdown file that holds them"
        else:
            problem = "cannot be read"
            hint = "check the file's permissions"
        self._warn(src, line, problem, hint)

    def _warn(self, src: str, line: int | None, problem: str, hint: str) -> None:
        """Say once per book (per chapter folder) what is wrong with the picture ``src``."""
        folder = self.file_of(line).parent if self.file_of is not None and line else self.folder
        if (folder, src) in self._reported:
            return
        self._reported.add((folder, src))
        place = f"{self.where(line)}: " if self.where is not None else ""
        log.warning(
            "%simage %s %s: its description is shown instead (%s)", place, src, problem, hint
        )
