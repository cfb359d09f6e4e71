"""Raw HTML as a list of pieces, each with its exact source text.

The standard library's :class:`html.parser.HTMLParser` reads the HTML (it
copes with anything a browser copes with); :func:`scan` records, for every
start tag, end tag, run of text, character reference and comment, the slice
of the source it was read from, so that whoever rewrites a piece can leave
every other piece byte for byte as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

__all__ = ["VOID", "Piece", "names", "scan"]


def names(text: str) -> list[str]:
    """The element names in ``text``, separated by white space."""
    return text.split()


VOID = frozenset(names("area base br col embed hr img input link meta param source track wbr"))
"""Elements that have no end tag."""


@dataclass(slots=True)
class Piece:
    """One piece of raw HTML."""

    kind: str
    """``start``, ``end``, ``text``, ``ref`` (a character reference such as
    ``&amp;``) or ``other`` (comment, declaration, processing instruction)."""
    raw: str
    """The piece exactly as written."""
    start: int
    """Offset of :attr:`raw` in the scanned text."""
    tag: str = ""
    """Element name, lower case (start and end tags only)."""
    attrs: tuple[tuple[str, str | None], ...] = ()
    """Attributes of a start tag, names in lower case, values unescaped."""
    closed: bool = False
    """A start tag written self-closing (``<br/>``)."""


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.found: list[tuple[str, int, str, tuple[tuple[str, str | None], ...], bool]] = []
        self.line_starts: list[int] = [0]

    def _at(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def _add(
        self,
        kind: str,
        tag: str = "",
        attrs: tuple[tuple[str, str | None], ...] = (),
        closed: bool = False,
    ) -> None:
        self.found.append((kind, self._at(), tag, attrs, closed))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._add("start", tag, tuple(attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._add("start", tag, tuple(attrs), True)

    def handle_endtag(self, tag: str) -> None:
        self._add("end", tag)

    def handle_data(self, data: str) -> None:
        self._add("text")

    def handle_entityref(self, name: str) -> None:
        self._add("ref")

    def handle_charref(self, name: str) -> None:
        self._add("ref")

    def handle_comment(self, data: str) -> None:
        self._add("other")

    def handle_decl(self, decl: str) -> None:
        self._add("other")

    def handle_pi(self, data: str) -> None:
        self._add("other")

    def unknown_decl(self, data: str) -> None:
        self._add("other")


def scan(html: str) -> list[Piece]:
    """The pieces of ``html``, in order; their :attr:`~Piece.raw` texts joined
    give ``html`` back."""
    scanner = _Scanner()
    for i, ch in enumerate(html):
        if ch == "\n":
            scanner.line_starts.append(i + 1)
    scanner.feed(html)
    scanner.close()
    found = scanner.found
    pieces: list[Piece] = []
    for n, (kind, start, tag, attrs, closed) in enumerate(found):
        end = found[n + 1][1] if n + 1 < len(found) else len(html)
        if end <= start:
            continue
        if pieces and kind == "text" and pieces[-1].kind == "text":
            pieces[-1].raw += html[start:end]
            continue
        pieces.append(Piece(kind, html[start:end], start, tag, attrs, closed))
    if pieces and pieces[0].start > 0:
        pieces.insert(0, Piece("text", html[: pieces[0].start], 0))
    if not pieces and html:
        pieces.append(Piece("text", html, 0))
    return pieces
