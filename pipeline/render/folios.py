"""Folios stamped at the join of a PDF laid out by parts (pipeline.render.pdf_chapters).

A chapter's pages depend on where the chapter starts only through their
folios (the page numbers in the margins) and through which side, recto or
verso, each page falls on. So a part is laid out without its folios: the
margin boxes whose content counts pages are taken out of its pages before
they are drawn (:func:`lift`), and what each one held is noted. A part that
moves by two pages (a chapter before it grew by a page, and the blank verso
before a recto chapter no longer absorbs it) is then the same PDF: only its
folios change, and the join stamps them. A part that must open on a recto
(or a verso) can even be laid out before the pages before it are counted.

The stamps come from a *sheet*: the edition's own stylesheet laid out on empty
pages numbered like the book's, a hundred to a sheet, with nothing drawn but
the folio boxes (:func:`sheet`; sheets are kept in the cache folder). The join
draws a sheet page over each book page as a pagination artifact
(:meth:`Stamper.stamp`). A stamp is trusted only where the sheet's folio box
for the number the part was laid out at is, text, place, size and style, the
one the part lifted (:meth:`Stamper.check`); otherwise the join raises
:class:`FoliosDiffer` and the edition is laid out with its folios in place.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from ..errors import RenderError
from ..fsutil import kept

__all__ = [
    "SHEET_PAGES",
    "FoliosDiffer",
    "Stamper",
    "first_of",
    "lift",
    "sheet",
    "sheet_path",
]

log = logging.getLogger(__name__)

SHEET_PAGES = 100
"""Folios on one sheet: sheet ``k`` numbers pages ``100 k + 1`` to ``100 k + 100``."""

_STYLE = (
    "font_family",
    "font_size",
    "font_style",
    "font_weight",
    "font_stretch",
    "font_variant_numeric",
    "font_variant_caps",
    "font_feature_settings",
    "letter_spacing",
    "word_spacing",
    "color",
    "text_decoration_line",
    "opacity",
)
"""What of a folio's text style its signature compares besides its place."""


class FoliosDiffer(RenderError):
    """A sheet's folio is not the folio a part lifted: the edition cannot be stamped."""


def _counts_pages(box: Any) -> bool:
    """Whether ``box`` is a margin box whose content shows a page counter."""
    if not hasattr(box, "at_keyword"):
        return False
    content = box.style["content"]
    if not isinstance(content, (list, tuple)):
        return False
    for item in content:
        if isinstance(item, tuple) and len(item) == 2 and item[0] in ("counter()", "counters()"):
            value = item[1]
            if isinstance(value, (list, tuple)) and value and value[0] in ("page", "pages"):
                return True
    return False


def _signature(box: Any) -> str:
    """The folio box ``box`` as drawn: its place and size, and each piece of
    text in it with its place, size and style (to the hundredth of a pixel)."""
    out: list[Any] = []

    def walk(node: Any) -> None:
        row: list[Any] = [
            type(node).__name__,
            getattr(node, "at_keyword", ""),
            *(
                round(float(getattr(node, name, 0) or 0), 2)
                for name in ("position_x", "position_y", "width", "height")
            ),
        ]
        if hasattr(node, "text"):
            row.append(node.text)
            row.extend(repr(node.style[name]) for name in _STYLE)
        out.append(row)
        for child in getattr(node, "children", ()):
            walk(child)

    walk(box)
    return json.dumps(out, separators=(",", ":"))


def lift(document: Any, *, keep_rest: bool = True) -> list[str | None]:
    """Take the folio boxes out of every page of the laid-out WeasyPrint
    ``document`` before it is drawn; each page's folios as a signature, or
    ``None`` for a page without any (a blank page, a title page).

    With ``keep_rest`` false, everything else goes too (the root box and the
    other margin boxes), and the folios are what stays: that is a sheet."""
    signatures: list[str | None] = []
    for page in document.pages:
        box = page._page_box
        folios = [child for child in box.children if _counts_pages(child)]
        signatures.append("".join(_signature(child) for child in folios) or None)
        if keep_rest:
            box.children = tuple(child for child in box.children if child not in folios)
        else:
            box.children = tuple(folios)
    return signatures


def sheet(
    html: str, number: int, folder: Path | None, version: str
) -> tuple[bytes, list[str | None]]:
    """The sheet holding the folio of page ``number``, laid out from ``html``
    (:func:`pipeline.render.html.folio_sheet`: :data:`SHEET_PAGES` empty pages
    under the edition's stylesheet) and kept in ``folder``: its PDF, and each
    of its pages' folio signatures. ``version`` names what lays it out: a sheet
    kept by another WeasyPrint or pipeline is laid out again."""
    first = first_of(number)

    def make() -> bytes:
        signatures, pdf = _lay_out_sheet(html, first)
        return json.dumps(signatures, separators=(",", ":")).encode() + b"\n" + pdf

    data = kept(sheet_path(html, number, folder, version) if folder is not None else None, make)
    head, pdf = data.split(b"\n", 1)
    return pdf, json.loads(head)


def sheet_path(html: str, number: int, folder: Path, version: str) -> Path:
    """Where :func:`sheet` keeps the sheet of page ``number``."""
    digest = hashlib.sha256(f"{version}\0{first_of(number)}\0{html}".encode()).hexdigest()
    return folder / f"{digest}.sheet"


def first_of(number: int) -> int:
    """The first page number of the sheet page ``number`` is on."""
    return (number - 1) // SHEET_PAGES * SHEET_PAGES + 1


def _lay_out_sheet(html: str, first: int) -> tuple[list[str | None], bytes]:
    from .pdf import html_document, load_weasyprint

    weasyprint = load_weasyprint()
    css = weasyprint.CSS(
        string=(
            f"html {{ break-before: {'right' if first % 2 else 'left'} !important; }}\n"
            f"@page :first {{ counter-reset: page {first} !important; }}\n"
        )
    )
    document = html_document(html, None).render(stylesheets=[css])
    if len(document.pages) != SHEET_PAGES:
        raise RenderError(
            f"a folio sheet came out with {len(document.pages)} pages, not {SHEET_PAGES}",
            hint="report this: the edition stylesheet breaks pages where it should not",
        )
    signatures = lift(document, keep_rest=False)
    log.debug("laid out the folio sheet of pages %d to %d", first, first + SHEET_PAGES - 1)
    return signatures, document.write_pdf()


class Stamper:
    """Stamps the folios of one PDF being joined (``out``, a ``pikepdf.Pdf``)
    from the sheets of its edition (``html``, kept in ``folder``)."""

    def __init__(self, out: Any, html: str, folder: Path | None, version: str) -> None:
        self.out = out
        self.html = html
        self.folder = folder
        self.version = version
        self._sheets: dict[int, tuple[Any, list[str | None]]] = {}
        # The page's own drawing leaves its coordinates turned: it is put
        # between q and Q, shared by every page.
        self._push = out.make_stream(b"q\n")

    def _sheet(self, number: int) -> tuple[Any, list[str | None]]:
        import io

        import pikepdf

        first = first_of(number)
        if first not in self._sheets:
            pdf, signatures = sheet(self.html, number, self.folder, self.version)
            self._sheets[first] = (pikepdf.open(io.BytesIO(pdf)), signatures)
        return self._sheets[first]

    def check(self, number: int, lifted: str | None) -> None:
        """Raise :class:`FoliosDiffer` unless the sheet's folio of page
        ``number`` is ``lifted``, the folio a part laid out at that number lifted."""
        if self._sheet(number)[1][number - first_of(number)] != lifted:
            raise FoliosDiffer(
                f"the folio of page {number} on its sheet is not the one laid out",
                hint="the stylesheet sets folios the sheet cannot show",
            )

    def stamp(self, page: Any, number: int) -> None:
        """Draw the folio of page ``number`` on ``page`` (a page object of
        ``out``), as a pagination artifact."""
        from pikepdf import Array, Dictionary, Name

        source, signatures = self._sheet(number)
        on_sheet = number - first_of(number)
        if signatures[on_sheet] is None:
            raise FoliosDiffer(
                f"page {number} has a folio, its sheet has none",
                hint="the stylesheet sets folios the sheet cannot show",
            )
        form = self.out.copy_foreign(source.pages[on_sheet].as_form_xobject())
        # The part's pages share one resource dictionary: each folio gets a
        # name of its own there.
        resources = page.get(Name.Resources)
        if resources is None:
            resources = page[Name.Resources] = Dictionary()
        if Name.XObject not in resources:
            resources[Name.XObject] = Dictionary()
        name = Name(f"/Folio{number}")
        resources[Name.XObject][name] = form
        contents = page.get(Name.Contents)
        streams = list(contents) if isinstance(contents, Array) else [contents]
        tail = self.out.make_stream(
            b"Q\n/Artifact <</Type /Pagination /Subtype /Footer>> BDC\n"
            + str(name).encode("ascii")
            + b" Do\nEMC\n"
        )
        page[Name.Contents] = Array([self._push, *streams, tail])

    def close(self) -> None:
        for source, _ in self._sheets.values():
            source.close()
