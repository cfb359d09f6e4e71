"""Turn an edition's HTML into a PDF with WeasyPrint, offline.

The HTML from :func:`pipeline.render.html.render_html` carries all its layout
(``@page`` and ``@media print`` rules), so this module only checks the book
font, shields WeasyPrint from the network and the file system, routes its log
messages through :mod:`logging`, and asks for a tagged PDF (PDF/UA-1).

WeasyPrint is imported inside the functions that need it: importing this
module stays cheap, so ``pipeline --help`` does not pay for it.

The PDF is byte-identical from run to run when ``SOURCE_DATE_EPOCH`` is set in
the environment (without it, the embedded font subsets carry the time).
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ..errors import RenderError

__all__ = ["BOOK_FONT", "PDF_VARIANT", "check_fonts", "offline_url_fetcher", "render_pdf"]

log = logging.getLogger(__name__)

BOOK_FONT = "Linux Libertine O"
"""The fontconfig family the stylesheet sets the book in."""

FONT_HINT = "apt-get install -y fonts-linuxlibertine"
"""How to install :data:`BOOK_FONT` on Debian and Ubuntu."""

PDF_VARIANT = "pdf/ua-1"
"""Tagged, accessible PDF; :func:`render_pdf` falls back to a plain PDF if it fails."""

_MEDIA_TYPES = {
    ".css": "text/css",
    ".gif": "image/gif",
    ".jpeg": "image/jpeg",
    ".jpg": "image/jpeg",
    ".otf": "font/otf",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".ttf": "font/ttf",
    ".webp": "image/webp",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
}
"""Media types of local files by suffix (fixed, so no system table changes the output)."""

_FORWARDED = ("weasyprint", "fontTools")
"""Loggers whose records :func:`render_pdf` re-logs under its own name."""

_NOT_WARNINGS = ("Using fontTools instead of HarfBuzz-Subset",)
"""Starts of WeasyPrint warnings about the machine, not the book: logged at DEBUG level."""

_REFUSED = "refused to fetch"
"""Start of the message of a refused URL: WeasyPrint's report of it repeats our warning."""


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


def offline_url_fetcher(allowed_dirs: Iterable[Path]) -> Any:
    """A WeasyPrint URL fetcher that never touches the network.

    It serves ``data:`` URLs and ``file:`` URLs of files inside one of
    ``allowed_dirs`` (after resolving ``..`` and symbolic links). Any other URL
    (``http``, ``https``, ``ftp``, a file elsewhere) is refused: it logs a
    warning and raises :class:`~pipeline.errors.RenderError`, which WeasyPrint
    reports and skips, so the PDF is still made without that resource.
    """
    from urllib.request import DataHandler, Request

    from weasyprint.urls import URLFetcher, URLFetcherResponse

    roots = tuple(Path(folder).resolve() for folder in allowed_dirs)

    class OfflineURLFetcher(URLFetcher):
        """Serves ``data:`` URLs and files under :data:`roots`; refuses the rest."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            scheme = url.split(":", 1)[0].lower() if ":" in url else ""
            if scheme == "data":
                response = DataHandler().data_open(Request(url))
                return URLFetcherResponse(url, response.read(), dict(response.headers))
            if scheme == "file":
                path = _local_path(url)
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
            log.warning("%s %s: %s", _REFUSED, url, reason)
            raise RenderError(
                f"{_REFUSED} {url}: {reason}",
                hint="put the file next to the book and link it by a relative path",
            )

    return OfflineURLFetcher(allowed_protocols=("data", "file"), fail_on_errors=False)


class _Forward(logging.Handler):
    """Re-logs WeasyPrint's and fontTools' records under this module's logger."""

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if (
            record.levelno < logging.WARNING
            or message.startswith(_NOT_WARNINGS)
            or f"RenderError: {_REFUSED} " in message  # already logged by the fetcher
        ):
            log.debug("WeasyPrint: %s", message)
        else:
            log.warning("WeasyPrint: %s", message)


@contextmanager
def _weasyprint_logs_forwarded() -> Iterator[None]:
    """While rendering, send WeasyPrint's (and its font subsetter's) records through :data:`log`.

    Their warnings come out as this module's warnings, their chatter (progress
    steps, glyph lists) at DEBUG level only. The loggers are global: renders in
    parallel threads would interleave their messages.
    """
    handler = _Forward(logging.DEBUG)
    loggers = [logging.getLogger(name) for name in _FORWARDED]
    saved = [logger.propagate for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.propagate = False
    try:
        yield
    finally:
        for logger, propagate in zip(loggers, saved, strict=True):
            logger.removeHandler(handler)
            logger.propagate = propagate


def _name(exc: BaseException) -> str:
    """The class name of an exception, for messages."""
    return type(exc).__name__


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
    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        raise RenderError(
            f"cannot load WeasyPrint: {exc}",
            hint="pip install weasyprint; apt-get install -y libpango-1.0-0 libpangoft2-1.0-0",
        ) from exc

    allowed = [folder for folder in (_package_dir(),) if folder is not None]
    base: str | None = None
    if base_url is not None:
        base_url = base_url.resolve()
        if base_url.is_dir():
            allowed.append(base_url)
            base = base_url.as_uri() + "/"
        else:
            allowed.append(base_url.parent)
            base = base_url.as_uri()
    fetcher = offline_url_fetcher(allowed)

    with _weasyprint_logs_forwarded():
        try:
            document = weasyprint.HTML(string=html, base_url=base, url_fetcher=fetcher)
            try:
                pdf = document.write_pdf(pdf_variant=PDF_VARIANT)
            except Exception as exc:  # a bug in WeasyPrint's tagging must not cost the PDF
                log.warning("tagged PDF failed (%s: %s); trying an untagged one", _name(exc), exc)
                pdf = document.write_pdf()
        except Exception as exc:  # WeasyPrint, Pillow, fontTools: anything can break
            raise RenderError(
                f"WeasyPrint cannot lay out the edition: {_name(exc)}: {exc}",
                hint="see the warnings above; a damaged image or font is the usual cause",
            ) from exc
    if not isinstance(pdf, bytes):  # pragma: no cover - write_pdf() without target
        raise RenderError("WeasyPrint returned no PDF")
    log.debug("PDF of %d bytes", len(pdf))
    return pdf
