"""Turn an edition's HTML into a PDF with WeasyPrint, offline.

The HTML from :func:`pipeline.render.html.render_html` carries all its layout
(``@page`` and ``@media print`` rules), so this module only checks the book
font, shields WeasyPrint from the network and the file system, routes its log
messages through :mod:`logging`, and asks for a tagged PDF (PDF/UA-1).

WeasyPrint is imported inside the functions that need it: importing this
module stays cheap, so ``pipeline --help`` does not pay for it.

The PDF is byte-identical from run to run when ``SOURCE_DATE_EPOCH`` is set in
the environment (without it, the embedded font subsets carry the time).

:func:`render_pdf_facing` lays out a bilingual edition on facing pages: it
lays the edition out once to measure each row in each language, groups the
rows into spreads that fit one page in both languages (:func:`plan_spreads`),
then renders the final PDF.
"""

from __future__ import annotations

import logging
import subprocess
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

from ..errors import RenderError
from ..source.images import IMAGE_TYPES
from .codewrap import ATTRIBUTE as CODE_BLOCK
from .codewrap import long_tokens, wrap_code
from .common import REFUSED, attribute_replaced, weasyprint_logs_forwarded
from .glyphs import code_advance, fallback_spans
from .leaders import leaders_merged

if TYPE_CHECKING:
    from .model import Edition, Row
    from .registry import RenderContext

__all__ = [
    "BOOK_FONT",
    "PDF_VARIANT",
    "PdfRenderer",
    "check_fonts",
    "facing_html",
    "html_document",
    "load_weasyprint",
    "offline_url_fetcher",
    "plan_spreads",
    "prepare_for_print",
    "render_pdf",
    "render_pdf_facing",
    "weasyprint_patched",
    "write_tagged",
]

log = logging.getLogger(__name__)

BOOK_FONT = "Linux Libertine O"
"""The fontconfig family the stylesheet sets the book in."""

FONT_HINT = "apt-get install -y fonts-linuxlibertine"
"""How to install :data:`BOOK_FONT` on Debian and Ubuntu."""

PDF_VARIANT = "pdf/ua-1"
"""Tagged, accessible PDF; :func:`render_pdf` falls back to a plain PDF if it fails."""

_MEDIA_TYPES = {
    **IMAGE_TYPES,
    ".css": "text/css",
    ".otf": "font/otf",
    ".ttf": "font/ttf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
}
"""Media types of local files by suffix (fixed, so no system table changes the output)."""


def _family_listed(family: str) -> bool | None:
    """Ask ``fc-list`` whether fontconfig knows ``family``; ``None`` if it cannot be run."""
    try:
        result = subprocess.run(
            ["fc-list", family, "family"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    names = {
        name.strip().casefold() for line in result.stdout.splitlines() for name in line.split(",")
    }
    return family.casefold() in names


def _family_matched(family: str) -> bool:
    """Ask fontconfig, through WeasyPrint's bindings, whether ``family`` matches itself."""
    try:
        from weasyprint.text.ffi import ffi, fontconfig
    except (ImportError, OSError) as exc:
        raise RenderError(
            f"cannot load WeasyPrint to look for the font {family!r}: {exc}",
            hint="pip install weasyprint; apt-get install -y libpango-1.0-0 libpangoft2-1.0-0",
        ) from exc
    config = fontconfig.FcInitLoadConfigAndFonts()
    pattern = fontconfig.FcPatternCreate()
    match = ffi.NULL
    try:
        fontconfig.FcPatternAddString(pattern, b"family", family.encode())
        fontconfig.FcConfigSubstitute(config, pattern, 0)  # FcMatchPattern
        fontconfig.FcDefaultSubstitute(pattern)
        match = fontconfig.FcFontMatch(config, pattern, ffi.new("FcResult *"))
        if match == ffi.NULL:
            return False
        name = ffi.new("FcChar8 **")
        if fontconfig.FcPatternGetString(match, b"family", 0, name) != 0:
            return False
        return bool(ffi.string(name[0]).decode().casefold() == family.casefold())
    finally:
        if match != ffi.NULL:
            fontconfig.FcPatternDestroy(match)
        fontconfig.FcPatternDestroy(pattern)
        fontconfig.FcConfigDestroy(config)


def check_fonts() -> None:
    """Make sure fontconfig has the book font, so no fallback font ends up in the PDF.

    Uses ``fc-list`` (a few milliseconds); without it, asks fontconfig through
    WeasyPrint. Raises :class:`~pipeline.errors.RenderError` with an install
    hint when the family is missing.
    """
    found = _family_listed(BOOK_FONT)
    if found is None:
        found = _family_matched(BOOK_FONT)
    if not found:
        raise RenderError(
            f"the book font {BOOK_FONT!r} is not installed, the PDF would use a fallback font",
            hint=FONT_HINT,
        )
    log.debug("font %r found", BOOK_FONT)


def _package_dir() -> Path | None:
    """The directory of this package's resources (templates, CSS), if it is a real one."""
    folder = Path(str(resources.files("pipeline.render")))
    return folder if folder.is_dir() else None


def _local_path(url: str) -> Path | None:
    """The resolved local path of a ``file:`` URL, or ``None`` if it names another host."""
    from urllib.request import url2pathname

    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        return None
    return Path(url2pathname(unquote(parts.path))).resolve()


def offline_url_fetcher(
    allowed_dirs: Iterable[Path], aliases: Mapping[Path, Path] | None = None
) -> Any:
    """A WeasyPrint URL fetcher that never touches the network.

    It serves ``data:`` URLs and ``file:`` URLs of files inside one of
    ``allowed_dirs`` (after resolving ``..`` and symbolic links). Any other URL
    (``http``, ``https``, ``ftp``, a file elsewhere) is refused: it logs a
    warning and raises :class:`~pipeline.errors.RenderError`, which WeasyPrint
    reports and skips, so the PDF is still made without that resource.
    ``aliases`` maps made-up folders (the virtual base URL of the book) to the
    real ones they stand for.
    """
    from urllib.request import DataHandler, Request

    from weasyprint.urls import URLFetcher, URLFetcherResponse

    roots = tuple(Path(folder).resolve() for folder in allowed_dirs)
    alias_items = tuple((Path(k), Path(v).resolve()) for k, v in (aliases or {}).items())

    def real(path: Path) -> Path:
        for alias, target in alias_items:
            if path.is_relative_to(alias):
                return (target / path.relative_to(alias)).resolve()
        return path

    class OfflineURLFetcher(URLFetcher):
        """Serves ``data:`` URLs and files under :data:`roots`; refuses the rest."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            scheme = url.split(":", 1)[0].lower() if ":" in url else ""
            if scheme == "data":
                response = DataHandler().data_open(Request(url))
                return URLFetcherResponse(url, response.read(), dict(response.headers))
            if scheme == "file":
                path = _local_path(url)
                if path is not None:
                    path = real(path)
                if path is not None and any(path.is_relative_to(root) for root in roots):
                    try:
                        body = path.read_bytes()
                    except OSError as exc:
                        log.warning("cannot read %s: %s", path, exc.strerror or exc)
                        raise RenderError(f"cannot read {path}", path=path) from exc
                    media_type = _MEDIA_TYPES.get(path.suffix.lower())
                    headers = {"Content-Type": media_type} if media_type else None
                    return URLFetcherResponse(url, body, headers)
                reason = "it is outside the book's folders"
            else:
                reason = "pipeline works offline"
            log.warning("%s %s: %s", REFUSED, url, reason)
            raise RenderError(
                f"{REFUSED} {url}: {reason}",
                hint="put the file next to the book and link it by a relative path",
            )

    return OfflineURLFetcher(allowed_protocols=("data", "file"), fail_on_errors=False)


@contextmanager
def _languages_tagged() -> Iterator[None]:
    """While rendering, give each PDF structure element made from an HTML element
    with a ``lang`` attribute that language (``/Lang``), and its text runs'
    marked content directly (:func:`_runs_unwrapped`).

    WeasyPrint 70 tags the document's language only, so a screen reader would
    read a bilingual edition's translation, or an untranslated paragraph, with
    the voice of the document's language. This wraps WeasyPrint's private
    ``pdf.tags._build_box_tree``; if a later WeasyPrint changes it, the PDF is
    tagged as WeasyPrint does it, without per-element languages.
    """
    try:
        import pydyf
        from weasyprint.pdf import tags
    except ImportError:  # pragma: no cover - WeasyPrint without tagging
        yield
        return
    original = getattr(tags, "_build_box_tree", None)
    if original is None or getattr(original, "_pipeline_lang", False):
        log.debug("WeasyPrint's tagging has changed: no /Lang on structure elements")
        yield
        return

    def build(box: Any, parent: Any, pdf: Any, page: int, nums: Any, *args: Any) -> Iterator[Any]:
        element = getattr(box, "element", None)
        lang = None
        if element is not None and getattr(box, "element_tag", None) not in ("html", "body"):
            lang = element.get("lang")
        for child in original(box, parent, pdf, page, nums, *args):
            if hasattr(child, "get"):
                if lang and "Lang" not in child:
                    child["Lang"] = pydyf.String(lang)
                _runs_unwrapped(child, pdf, nums)
            yield child

    build._pipeline_lang = True  # type: ignore[attr-defined]
    with attribute_replaced(tags, "_build_box_tree", build):
        yield


_RUN_KEYS = frozenset({"Type", "S", "K", "Pg", "P"})


def _runs_unwrapped(element: Any, pdf: Any, nums: dict[int, Any]) -> None:
    """Give ``element`` the marked content of its text runs directly.

    WeasyPrint 70 wraps every run of text (each line of a paragraph, each
    piece of it in another font) in a ``/Span`` structure element of its own,
    with no attribute: more than half the objects of a tagged book, each one
    written, copied by the join and read by every reader. A ``Span`` without
    attributes means nothing to assistive technology, so its marked-content
    id goes to the element itself (as WeasyPrint does for links), and the
    page's parent tree maps the id to the element; the ``Span`` object is
    left empty and unreferenced (the join does not copy it).
    """
    kids = element.get("K")
    if not kids:
        return
    objects = pdf.objects
    for index, kid in enumerate(kids):
        if not isinstance(kid, bytes) or not kid.endswith(b" 0 R"):
            continue
        run = objects[int(kid.split(b" ", 1)[0])]
        if (
            not hasattr(run, "keys")
            or run.get("S") != "/Span"
            or run.keys() != _RUN_KEYS
            or len(run["K"]) != 1
            or not isinstance(run["K"][0], int)
        ):
            continue
        mcid = run["K"][0]
        kids[index] = mcid
        nums[mcid] = element.reference
        run.clear()


@contextmanager
def _page_references_cached() -> Iterator[None]:
    """While rendering, let ``pydyf.PDF.page_references`` build its list once
    per page count instead of on every read.

    pydyf 0.13 makes a new tuple of every page's reference each time the
    property is read, and WeasyPrint's tagging reads it once for every
    structure element: quadratic in the number of pages, some ten seconds of a
    450-page bilingual PDF. The cached tuple is rebuilt whenever a page is
    added. If a later pydyf changes the property, it is left alone.
    """
    try:
        import pydyf
    except ImportError:  # pragma: no cover - WeasyPrint's own dependency
        yield
        return
    original = pydyf.PDF.__dict__.get("page_references")
    if not isinstance(original, property) or original.fget is None:
        log.debug("pydyf's page_references has changed: not cached")
        yield
        return
    build = original.fget

    def cached(pdf: Any) -> Any:
        count = len(pdf.pages["Kids"])
        memo = pdf.__dict__.get("_pipeline_page_references")
        if memo is None or memo[0] != count:
            memo = (count, build(pdf))
            pdf.__dict__["_pipeline_page_references"] = memo
        return memo[1]

    with attribute_replaced(pydyf.PDF, "page_references", property(cached)):
        yield


def _name(exc: BaseException) -> str:
    """The class name of an exception, for messages."""
    return type(exc).__name__


def load_weasyprint() -> Any:
    """The ``weasyprint`` module, or a :class:`RenderError` explaining how to install it."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        raise RenderError(
            f"cannot load WeasyPrint: {exc}",
            hint="pip install weasyprint; apt-get install -y libpango-1.0-0 libpangoft2-1.0-0",
        ) from exc
    return weasyprint


VIRTUAL_BASE = Path("/pipeline-book")
"""The folder the PDF renderer calls the book's folder: links WeasyPrint cannot
resolve inside the document (``href="#"``, a relative file) point there, so no
PDF carries the path of the machine it was made on."""


def _document(html: str, base_url: Path | None) -> Any:
    """A ``weasyprint.HTML`` of ``html`` that reads files under ``base_url`` only.

    Relative URLs resolve against :data:`VIRTUAL_BASE`, which the fetcher maps
    to ``base_url``'s folder.
    """
    weasyprint = load_weasyprint()
    allowed = [folder for folder in (_package_dir(),) if folder is not None]
    base: str | None = None
    aliases: dict[Path, Path] = {}
    if base_url is not None:
        base_url = base_url.resolve()
        folder = base_url if base_url.is_dir() else base_url.parent
        allowed.append(folder)
        aliases[VIRTUAL_BASE] = folder
        base = VIRTUAL_BASE.as_uri() + "/"
        if not base_url.is_dir():
            base += quote(base_url.name)
    fetcher = offline_url_fetcher(allowed, aliases)
    return weasyprint.HTML(string=html, base_url=base, url_fetcher=fetcher)


_measuring = logging.getLogger(f"{__name__}.measuring")
_measuring.propagate = False  # what WeasyPrint says while measuring, it says again later
_measuring.addHandler(logging.NullHandler())


def _code_columns(html: str, base_url: Path | None) -> dict[int, int]:
    """Lay ``html`` out once and return how many characters a line each numbered
    code block (:data:`~pipeline.render.codewrap.ATTRIBUTE`) holds."""
    advance = code_advance()
    columns: dict[int, int] = {}

    def walk(box: Any) -> None:
        element = getattr(box, "element", None)
        if element is not None and box.element_tag == "pre" and element.get(CODE_BLOCK):
            number = int(element.get(CODE_BLOCK))
            fits = int(float(box.width) // (advance * float(box.style["font_size"])))
            columns[number] = min(columns.get(number, fits), fits)
            return
        for child in getattr(box, "children", ()):
            walk(child)

    silent = logging.Filter("-")  # lets no record through: the real layout reports them
    log.addFilter(silent)
    try:
        with weasyprint_logs_forwarded(_measuring):
            document = _document(html, base_url).render()
    except Exception as exc:  # the real layout reports it
        document = None
        failure = f"{_name(exc)}: {exc}"
    finally:
        log.removeFilter(silent)
    if document is None:
        log.debug("cannot measure the code blocks: %s", failure)
        return {}
    for page in document.pages:
        walk(page._page_box)
    return columns


def prepare_for_print(html: str, base_url: Path | None = None) -> str:
    """``html`` as WeasyPrint should lay it out: long code lines broken with a
    continuation mark (:func:`~pipeline.render.codewrap.wrap_code`, measured in
    one layout of the document), long inline code words free to break anywhere
    (:func:`~pipeline.render.codewrap.long_tokens`) and characters the book font lacks set in
    fallback fonts (:func:`~pipeline.render.glyphs.fallback_spans`)."""
    html = wrap_code(html, lambda numbered: _code_columns(numbered, base_url))
    return fallback_spans(long_tokens(html))


def html_document(html: str, base_url: Path | None) -> Any:
    """A ``weasyprint.HTML`` of ``html`` that reads files under ``base_url`` only,
    made ready for print (:func:`prepare_for_print`) as :func:`render_pdf` lays
    it out; for :mod:`pipeline.render.pdf_chapters`."""
    return _document(prepare_for_print(html, base_url), base_url)


@contextmanager
def weasyprint_patched() -> Iterator[None]:
    """While laying out: language tags on structure elements, pydyf's page
    references cached and dot leaders drawn as one run each
    (:func:`~pipeline.render.leaders.leaders_merged`)."""
    with _languages_tagged(), _page_references_cached(), leaders_merged():
        yield


def write_tagged(document: Any) -> bytes:
    """The PDF of a laid-out WeasyPrint document, tagged (:data:`PDF_VARIANT`),
    or untagged when WeasyPrint's tagging fails: a bug there must not cost the PDF."""
    try:
        return document.write_pdf(pdf_variant=PDF_VARIANT)
    except Exception as exc:
        log.warning("tagged PDF failed (%s: %s); trying an untagged one", _name(exc), exc)
        return document.write_pdf()


def render_pdf(html: str, *, base_url: Path | None = None) -> bytes:
    """Lay out ``html`` (as made by ``render_html``) on pages and return the PDF bytes.

    ``base_url`` is the HTML file, or the folder, that relative URLs in ``html``
    resolve against; files are read from there and from this package only,
    nothing from the network. The PDF takes its title, author and language
    from ``<title>``, ``<meta name="author">`` and ``<html lang>``, and is
    tagged (PDF/UA-1). Raises :class:`~pipeline.errors.RenderError` when the
    book font is missing or WeasyPrint fails.
    """
    check_fonts()
    load_weasyprint()
    html = prepare_for_print(html, base_url)
    with weasyprint_logs_forwarded(log), weasyprint_patched():
        try:
            document = _document(html, base_url)
            pdf = write_tagged(document)
        except RenderError:
            raise
        except Exception as exc:  # WeasyPrint, Pillow, fontTools: anything can break
            raise RenderError(
                f"WeasyPrint cannot lay out the edition: {_name(exc)}: {exc}",
                hint="see the warnings above; a damaged image or font is the usual cause",
            ) from exc
    if not isinstance(pdf, bytes):  # pragma: no cover - write_pdf() without target
        raise RenderError("WeasyPrint returned no PDF")
    log.debug("PDF of %d bytes", len(pdf))
    return pdf


# --------------------------------------------------------------------------- facing pages

_SIDES = ("verso", "recto")

_SLACK = 2.0
"""CSS pixels kept free on every page of a spread, against rounding in the layout."""


def _measure(document: Any) -> tuple[float, dict[int, tuple[float, float]]]:
    """The page's content height and each row's height on the verso and the recto.

    Reads the boxes of WeasyPrint's laid-out pages (``Page._page_box``): every
    ``div.block`` with a ``data-row`` inside ``div.verso`` or ``div.recto``.
    A block broken across pages counts the height of each of its pieces.
    """
    sums: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
    page_height = 0.0

    def walk(box: Any, side: int | None) -> None:
        element = getattr(box, "element", None)
        if element is not None and box.element_tag == "div":
            classes = (element.get("class") or "").split()
            for number, name in enumerate(_SIDES):
                if name in classes:
                    side = number
            row = element.get("data-row")
            if "block" in classes and row is not None and side is not None:
                sums[int(row)][side] += box.margin_height()
                return
        for child in getattr(box, "children", ()):
            walk(child, side)

    for page in document.pages:
        page_box = page._page_box
        page_height = max(page_height, float(page_box.height))
        walk(page_box, None)
    return page_height, {row: (verso, recto) for row, (verso, recto) in sums.items()}


def plan_spreads(
    edition: Edition, heights: Mapping[int, tuple[float, float]], page_height: float
) -> tuple[set[int], set[int]]:
    """Which rows start a spread, and which are too long for one: ``(breaks, wide)``.

    Rows are numbered from 0 through the edition. Each section starts a spread;
    a spread takes the next row while the row fits, in both languages, on what
    is left of the page (``page_height`` less a little slack). A heading is never
    left last on a spread: it moves on with the row it introduces. A row taller
    than a page in either language is ``wide``: it gets a spread of its own, set
    in two columns, with the headings just before it.
    """
    budget = page_height - _SLACK
    breaks: set[int] = set()
    wide: set[int] = set()
    number = 0
    for section in edition.sections:
        current: list[int] = []
        used = [0.0, 0.0]
        for _ in section.rows:
            verso, recto = heights.get(number, (0.0, 0.0))
            if verso > budget or recto > budget:
                # Headings just before it go with it, into the columns.
                while current and _edition_row(edition, current[-1]).kind == "heading":
                    wide.add(current.pop())
                wide.add(number)
                current, used = [], [0.0, 0.0]
            elif current and (used[0] + verso > budget or used[1] + recto > budget):
                carried: list[int] = []
                while len(current) > 1 and _edition_row(edition, current[-1]).kind == "heading":
                    carried.insert(0, current.pop())
                current = [*carried, number]
                breaks.add(current[0])
                used = [sum(heights.get(n, (0.0, 0.0))[side] for n in current) for side in (0, 1)]
            else:
                current.append(number)
                used = [used[0] + verso, used[1] + recto]
            number += 1
    return breaks, wide


def _edition_row(edition: Edition, number: int) -> Row:
    """Row ``number`` of a bilingual edition (rows numbered from 0 through all sections)."""
    for section in edition.sections:
        if number < len(section.rows):
            return section.rows[number]
        number -= len(section.rows)
    raise IndexError(number)


def facing_html(edition: Edition, *, base_url: Path | None = None) -> str:
    """The HTML of a bilingual edition on facing pages, its spreads planned.

    Lays the edition out once to measure every row in both languages and plans
    the spreads (:func:`plan_spreads`). Raises
    :class:`~pipeline.errors.RenderError` as :func:`render_pdf` does.
    """
    from .html import render_html

    with weasyprint_logs_forwarded(log):
        try:
            html = prepare_for_print(render_html(edition, layout="facing"), base_url)
            laid_out = _document(html, base_url).render()  # measured as it will be laid out
            page_height, heights = _measure(laid_out)
        except RenderError:
            raise
        except Exception as exc:  # WeasyPrint's internals, fonts, images
            raise RenderError(
                f"WeasyPrint cannot lay out the edition: {_name(exc)}: {exc}",
                hint="see the warnings above; a damaged image or font is the usual cause",
            ) from exc
    breaks, wide = plan_spreads(edition, heights, page_height)
    log.debug("facing pages: %d spreads after the first, %d wide", len(breaks), len(wide))
    return render_html(edition, layout="facing", breaks=breaks, wide=wide)


def render_pdf_facing(edition: Edition, *, base_url: Path | None = None) -> bytes:
    """The PDF of a bilingual edition on facing pages: source left, translation right.

    Lays the edition out once to measure every row in both languages, plans
    the spreads (:func:`facing_html`), and renders the result with
    :func:`render_pdf`. A one-language edition is rendered as usual. Raises
    :class:`~pipeline.errors.RenderError` as :func:`render_pdf` does.
    """
    from .html import render_html

    if not edition.bilingual:
        return render_pdf(render_html(edition), base_url=base_url)
    check_fonts()
    return render_pdf(facing_html(edition, base_url=base_url), base_url=base_url)


class PdfRenderer:
    """The PDF edition (a :class:`~pipeline.render.registry.Renderer`), laid out
    by WeasyPrint: :func:`render_pdf` of the edition's HTML, or
    :func:`render_pdf_facing` for a bilingual edition on facing pages."""

    format = "pdf"
    description = "a PDF to print: page numbers, running heads, embedded fonts, tagged"
    slow = True

    def check(self) -> None:
        """Make sure the book font is installed (:func:`check_fonts`)."""
        check_fonts()

    def render(self, edition: Edition, html: str, context: RenderContext) -> bytes:
        """The PDF of ``html``, or, when ``context.facing_pages`` and the edition
        is bilingual, of ``edition`` set on facing pages."""
        if context.facing_pages and edition.bilingual:
            return render_pdf_facing(edition, base_url=context.base_url)
        return render_pdf(html, base_url=context.base_url)
