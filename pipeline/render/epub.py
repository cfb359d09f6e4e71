"""Lay out an :class:`~pipeline.render.model.Edition` as an EPUB 3 e-book.

A small writer, no e-book library: the package is a handful of XHTML files and
one OPF file, and writing them directly keeps the output byte-identical from
run to run (fixed order, fixed zip timestamps, ``dcterms:modified`` from the
caller) and passes epubcheck.

The book holds a cover (a PNG drawn with Pillow in the book face), a title
page, the navigation document (contents and landmarks), one XHTML file per
section, and a colophon; the book face, Linux Libertine, is embedded, subset to
the characters the book uses (fontTools). A bilingual edition sets each
translated block under its source.

The Markdown renderer's HTML becomes XHTML through lxml's HTML parser; links
to headings in other files are rewritten to reach them; local images are
packaged, remote ones are replaced by their alternative text (the book must
read offline).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import logging
import re
import subprocess
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from html import escape
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import RenderError
from ..fsutil import kept
from ..lang import get as get_language
from ..source.images import IMAGE_TYPES
from ..source.svgclean import clean_svg
from .common import format_count, legend, plain_text, running_title, weasyprint_logs_forwarded
from .glyphs import FontFile, fallback_files
from .model import Edition, Row, TocEntry

if TYPE_CHECKING:
    from .registry import RenderContext

__all__ = ["EPUB_FONTS", "EpubRenderer", "render_epub"]

log = logging.getLogger(__name__)

EPUB_FONTS = (
    ("Regular", "normal", "normal"),
    ("Italic", "italic", "normal"),
    ("Bold", "normal", "bold"),
    ("Bold Italic", "italic", "bold"),
)
"""Faces of the book font embedded in an EPUB: fontconfig style, CSS style, CSS weight."""

EPUB_STYLESHEETS = ("epub.css", "blocks.css")
"""Files of ``pipeline/render/css`` that make the EPUB's stylesheet, in this order
(``blocks.css`` is shared with the HTML and PDF editions)."""

_FAMILY = "Linux Libertine O"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_EXTRA_CHARS = (
    "\u25c6\u25b2\u25cb\u2042\u00a0\u2026\u2014\u2013\u00ab\u00bb\u201c\u201d\u2018\u2019"
)
"""Characters the stylesheet or the layout adds, kept in every font subset."""


@dataclass(slots=True)
class _Page:
    """One XHTML file of the book."""

    name: str
    """File name inside ``OEBPS/`` (``section-1.xhtml``)."""
    title: str
    """``<title>`` of the file."""
    body: str
    """XHTML of the body's content."""
    body_type: str = ""
    """``epub:type`` of the body (``bodymatter``, ``frontmatter``...)."""
    properties: str = ""
    """Manifest properties (``nav``, ``svg``)."""
    ids: set[str] = field(default_factory=set)
    """``id`` attributes in the file, to route links to it."""


def _xhtml_fragment(html: str, images: dict[str, tuple[str, bytes]], base_dir: Path | None) -> str:
    """The XHTML of an HTML fragment: well-formed, ``xml:lang`` beside ``lang``,
    local images renamed to their place in the package, remote ones replaced by text."""
    import lxml.html
    from lxml import etree

    if not html.strip():
        return ""
    # huge_tree: an embedded picture is one attribute of several megabytes.
    parser = lxml.html.HTMLParser(huge_tree=True)
    root = lxml.html.fragment_fromstring(html, create_parent="div", parser=parser)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        lang = element.get("lang")
        if lang:
            element.set(_XML_LANG, lang)
        if element.tag == "img":
            _place_image(element, images, base_dir)
    for comment in root.xpath("//comment()"):
        comment.getparent().remove(comment)
    parts = [escape(root.text or "", quote=False)]
    parts += [etree.tostring(child, encoding="unicode", method="xml") for child in root]
    return "".join(parts)


def _place_image(element: Any, images: dict[str, tuple[str, bytes]], base_dir: Path | None) -> None:
    """Point an ``<img>`` at its copy in the package, or replace it by its alt text.

    The picture is a ``data:`` URL (as ``pipeline build`` embeds them) or a
    file under ``base_dir``; ``images`` collects the package's pictures, each
    named by its content, so the same picture is packaged once.
    """
    src = element.get("src") or ""
    found = _data_image(src)
    if found is None and base_dir is not None and src and ":" not in src.split("/", 1)[0]:
        candidate = (base_dir / src).resolve()
        suffix = candidate.suffix.lower()
        if (
            suffix in IMAGE_TYPES
            and candidate.is_relative_to(base_dir.resolve())
            and candidate.is_file()
        ):
            found = (candidate.stem, suffix, candidate.read_bytes())
    if found is not None:
        stem, suffix, data = found
        if suffix == ".svg":
            data = clean_svg(data)  # no DOCTYPE, nothing outside the package
        digest = hashlib.sha256(data).hexdigest()[:10]
        name, _ = images.setdefault(digest, (f"images/{stem[:40]}-{digest}{suffix}", data))
        element.set("src", name)
        if element.get("alt") is None:
            element.set("alt", "")
        return
    log.warning("EPUB: image %s left out: only pictures of the book are packaged", src[:80])
    alt = element.get("alt") or ""
    tail = element.tail or ""
    parent = element.getparent()
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + alt + tail
    else:
        parent.text = (parent.text or "") + alt + tail
    parent.remove(element)


def _data_image(src: str) -> tuple[str, str, bytes] | None:
    """The file name stem, suffix and bytes of a picture in a ``data:`` URL
    (base64, of a type EPUB readers support), or ``None``."""
    header, comma, payload = src.partition(",")
    if not comma or not header.lower().startswith("data:") or not header.endswith(";base64"):
        return None
    media_type = header[5:-7].lower()
    suffix = next((k for k, v in IMAGE_TYPES.items() if v == media_type and k != ".jpeg"), None)
    if suffix is None:
        return None
    try:
        data = base64.b64decode(payload, validate=True)
    except binascii.Error:
        return None
    return ("image", suffix, data) if data else None


def _ids(xhtml: str) -> set[str]:
    """The ``id`` attributes of an XHTML fragment."""
    return set(re.findall(r'\sid="([^"]+)"', xhtml))


def _lang(lang: str) -> str:
    """``lang`` and ``xml:lang`` attributes for an element."""
    return f'lang="{escape(lang)}" xml:lang="{escape(lang)}"'


def _document(page: _Page, lang: str, css: str = "css/book.css") -> str:
    """A complete XHTML content document."""
    body_type = f' epub:type="{page.body_type}"' if page.body_type else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<!DOCTYPE html>\n"
        '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" '
        f"{_lang(lang)}>\n"
        "<head>\n"
        '<meta charset="utf-8"/>\n'
        f"<title>{escape(page.title)}</title>\n"
        f'<link rel="stylesheet" type="text/css" href="{css}"/>\n'
        "</head>\n"
        f"<body{body_type}>\n{page.body}</body>\n</html>\n"
    )


def _rows_xhtml(
    rows: list[Row], edition: Edition, images: dict[str, tuple[str, bytes]], base: Path | None
) -> str:
    """A bilingual section: each translated block under its source."""
    assert edition.translation is not None
    out = []
    for row in rows:
        source = _xhtml_fragment(row.source_html, images, base)
        if row.translation_html is None:
            out.append(f'<div class="row shared">\n{source}</div>\n')
            continue
        translation = _xhtml_fragment(row.translation_html, images, base)
        out.append(
            f'<div class="row {row.kind}">\n'
            f'<div class="source" {_lang(edition.lang)}>\n{source}</div>\n'
            f'<div class="translation" {_lang(edition.translation.lang)}>\n'
            f"{translation}</div>\n</div>\n"
        )
    return "".join(out)


def _both(edition: Edition, source: str, translation: str) -> str:
    """A label, followed in a bilingual edition by its translation."""
    text = escape(source)
    if edition.translation is not None:
        text += (
            f' <span class="translated-label" {_lang(edition.translation.lang)}>'
            f"{escape(translation)}</span>"
        )
    return text


def _pages(
    edition: Edition, images: dict[str, tuple[str, bytes]], base: Path | None
) -> tuple[list[_Page], _Page]:
    """The content documents in reading order (title page, sections, colophon) and the nav."""
    t = edition.translation
    labels = get_language(edition.lang).labels
    t_labels = get_language(t.lang).labels if t is not None else labels

    # Title page.
    if t is None:
        title = _xhtml_fragment(edition.title_page_html, images, base)
    else:
        title = (
            f'<div class="title-block source" {_lang(edition.lang)}>\n'
            f"{_xhtml_fragment(edition.title_page_html, images, base)}</div>\n"
            f'<div class="title-block translation" {_lang(t.lang)}>\n'
            f"{_xhtml_fragment(t.title_page_html, images, base)}</div>\n"
        )
    if edition.author and edition.author not in plain_text(edition.title_page_html):
        title += f'<p class="byline">{escape(edition.author)}</p>\n'
    if edition.draft:
        total = sum(edition.counts.values())
        notes = []
        for lang, lab in [(edition.lang, labels)] + ([(t.lang, t_labels)] if t else []):
            summary = lab.summary.format(
                unreviewed=format_count(edition.unreviewed, lab), total=format_count(total, lab)
            )
            items = "".join(
                f"<li>{line.count} {escape(line.text)}</li>\n" for line in legend(edition, lab)
            )
            notes.append(
                f"<div {_lang(lang)}>\n<p><strong>{escape(lab.draft)}</strong>: "
                f"{escape(summary)}</p>\n<ul>\n{items}</ul>\n</div>\n"
            )
        title += f'<div class="draft-note" role="note">\n{"".join(notes)}</div>\n'
    pages = [
        _Page(
            "title.xhtml",
            edition.title,
            f'<section class="title-page" epub:type="titlepage">\n{title}</section>\n',
            "frontmatter",
        )
    ]

    # Sections.
    for number, section in enumerate(edition.sections, start=1):
        if t is None:
            inner = _xhtml_fragment(section.html, images, base)
        else:
            inner = _rows_xhtml(section.rows, edition, images, base)
        heading = next((e.text for e in edition.toc if e.anchor == section.anchor), edition.title)
        # The untitled opening section (a foreword without a heading) has no label.
        labelled = f' aria-labelledby="{escape(section.anchor)}"' if section.anchor else ""
        pages.append(
            _Page(
                f"section-{number}.xhtml",
                heading,
                f'<section epub:type="chapter"{labelled}>\n{inner}</section>\n',
                "bodymatter",
            )
        )

    # Colophon.
    if edition.colophon or (t is not None and t.colophon):
        lines = "".join(f"<p>{escape(line)}</p>\n" for line in edition.colophon)
        if t is not None:
            lines = (
                f'<div class="source" {_lang(edition.lang)}>\n{lines}</div>\n'
                f'<div class="translation" {_lang(t.lang)}>\n'
                + "".join(f"<p>{escape(line)}</p>\n" for line in t.colophon)
                + "</div>\n"
            )
        pages.append(
            _Page(
                "colophon.xhtml",
                labels.colophon,
                '<section class="colophon" epub:type="colophon" aria-labelledby="colophon-title">\n'
                f'<h2 id="colophon-title">{_both(edition, labels.colophon, t_labels.colophon)}'
                f"</h2>\n{lines}</section>\n",
                "backmatter",
            )
        )
    for page in pages:
        page.ids = _ids(page.body)
    where = {ident: page.name for page in pages for ident in page.ids}
    for page in pages:
        page.body = _route_links(page.body, page.name, where)

    nav = _Page("nav.xhtml", labels.contents, _nav(edition, where, labels, t_labels), "", "nav")
    return pages, nav


def _route_links(body: str, name: str, where: dict[str, str]) -> str:
    """Rewrite ``href="#id"`` to ``href="file.xhtml#id"`` when ``id`` is in another file."""

    def fix(match: re.Match[str]) -> str:
        ident = match.group(1)
        target = where.get(ident)
        if target is None:
            return 'href="#"' if ident else match.group(0)
        return match.group(0) if target == name else f'href="{target}#{ident}"'

    return re.sub(r'href="#([^"]*)"', fix, body)


def _nav(edition: Edition, where: dict[str, str], labels: Any, t_labels: Any) -> str:
    """The body of the navigation document: contents and landmarks."""
    t = edition.translation

    def entry(e: TocEntry) -> str:
        text = escape(e.text)
        if t is not None and e.translation:
            text = (
                f'<span class="toc-source">{text}</span> '
                f'<span class="toc-translation" {_lang(t.lang)}>{escape(e.translation)}</span>'
            )
        return f'<a href="{where.get(e.anchor, "title.xhtml")}#{escape(e.anchor)}">{text}</a>'

    # Nest by level, as the HTML edition does.
    html: list[str] = []
    depth = 0
    levels: list[int] = []
    for e in edition.toc:
        while levels and levels[-1] > e.level:
            html.append("</li>\n</ol>\n")
            levels.pop()
            depth -= 1
        if levels and levels[-1] == e.level:
            html.append("</li>\n")
        elif not levels or levels[-1] < e.level:
            html.append("<ol>\n")
            levels.append(e.level)
            depth += 1
        html.append(f"<li>{entry(e)}")
    while levels:
        html.append("</li>\n</ol>\n")
        levels.pop()
    first = "section-1.xhtml" if edition.sections else ""
    landmarks = [
        ("cover", "cover.xhtml", labels.cover),
        ("titlepage", "title.xhtml", labels.title_page),
        ("toc", "nav.xhtml#toc", labels.contents),
    ]
    if first:
        landmarks.append(("bodymatter", first, edition.toc[0].text if edition.toc else "Text"))
    marks = "".join(
        f'<li><a epub:type="{kind}" href="{href}">{escape(text)}</a></li>\n'
        for kind, href, text in landmarks
    )
    toc = (
        "".join(html)
        or '<ol>\n<li><a href="title.xhtml">' + escape(edition.title) + "</a></li>\n</ol>\n"
    )
    return (
        '<nav epub:type="toc" id="toc" aria-labelledby="toc-title">\n'
        f'<h1 id="toc-title">{_both(edition, labels.contents, t_labels.contents)}</h1>\n'
        f"{toc}</nav>\n"
        '<nav epub:type="landmarks" id="landmarks" hidden="hidden">\n'
        f"<h2>{escape(labels.landmarks)}</h2>\n<ol>\n{marks}</ol>\n</nav>\n"
    )


# --------------------------------------------------------------------------- fonts, cover


@cache
def _font_files() -> dict[str, Path]:
    """The files of :data:`EPUB_FONTS` (fontconfig style → path), from ``fc-list``."""
    try:
        result = subprocess.run(
            ["fc-list", _FAMILY, "file", "style"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise RenderError(
            f"cannot list the fonts to embed in the EPUB: {exc}",
            hint="apt-get install -y fontconfig fonts-linuxlibertine",
        ) from exc
    files: dict[str, Path] = {}
    for line in sorted(result.stdout.splitlines()):
        path, _, styles = line.partition(": ")
        for style in styles.removeprefix(":style=").split(","):
            files.setdefault(style.strip(), Path(path.strip()))
    missing = [style for style, _, _ in EPUB_FONTS if style not in files]
    if missing:
        raise RenderError(
            f"the book font {_FAMILY!r} is missing ({', '.join(missing)}) for the EPUB",
            hint="apt-get install -y fonts-linuxlibertine",
        )
    return files


@cache
def _subset(path: Path, text: str, index: int = 0) -> bytes:
    """``path``'s font (face ``index`` of a collection) with only the glyphs
    ``text`` needs (kerning, ligatures and small capitals kept); the same input
    always gives the same bytes."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.recalc_timestamp = False
    options.drop_tables = [*options.drop_tables, "FFTM"]
    with weasyprint_logs_forwarded(log):  # fontTools' notes go to our log, never to stderr
        if index:
            font = TTFont(str(path), fontNumber=index, recalcTimestamp=False)
        else:
            font = subset.load_font(str(path), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=text)
        subsetter.subset(font)
        out = io.BytesIO()
        subset.save_font(font, out, options)
    return out.getvalue()


FONT_CACHE = "epub-fonts"
"""The folder of the project cache (``.pipeline-cache/``) keeping EPUB font subsets and covers."""

KEEP_DAYS = 14
"""Font subsets no build has used for this many days are deleted from the cache."""


def _stored_subset(folder: Path | None, path: Path, text: str, index: int = 0) -> bytes:
    """:func:`_subset`, kept in ``folder`` between builds (an edit seldom changes
    the characters a book uses, and subsetting is most of an EPUB's time).

    The key is the font file (path, size, modification time), the face, the
    characters and fontTools' version, so a cached subset is the one
    :func:`_subset` would make. A damaged or unreadable entry is made again.
    """
    if folder is None:
        return _subset(path, text, index)
    import fontTools

    try:
        stat = path.stat()
    except OSError:
        return _subset(path, text, index)
    key = hashlib.sha256(
        "\0".join(
            [
                "1",
                fontTools.version,
                str(path),
                str(stat.st_size),
                str(stat.st_mtime_ns),
                str(index),
                text,
            ]
        ).encode("utf-8", "surrogatepass")
    ).hexdigest()
    return kept(folder / f"{key}.otf", lambda: _subset(path, text, index))


def _stored_cover(folder: Path | None, edition: Edition, fonts: dict[str, Path]) -> bytes:
    """:func:`_cover`, kept in ``folder`` between builds (drawing and packing it
    is a fifth of a second an edition), keyed by all it shows and the fonts it
    is drawn with."""
    if folder is None:
        return _cover(edition, fonts)
    import PIL

    parts = ["cover 1", PIL.__version__, edition.title, edition.author, *edition.languages]
    if edition.translation is not None:
        parts.append(edition.translation.title)
    for name in sorted(fonts):
        try:
            stat = fonts[name].stat()
        except OSError:
            return _cover(edition, fonts)
        parts += [name, str(fonts[name]), str(stat.st_size), str(stat.st_mtime_ns)]
    key = hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return kept(folder / f"cover-{key}.png", lambda: _cover(edition, fonts))


def _prune(folder: Path, *, days: float = KEEP_DAYS) -> None:
    import time

    limit = time.time() - days * 86400
    for stored in [*folder.glob("*.otf"), *folder.glob("cover-*.png")]:
        try:
            if stored.stat().st_mtime < limit:
                stored.unlink()
        except OSError:
            continue


def _wrap(text: str, font: Any, width: int) -> list[str]:
    """``text`` cut into lines no wider than ``width`` pixels in ``font``."""
    lines: list[str] = []
    for word in text.split():
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _cover(edition: Edition, fonts: dict[str, Path]) -> bytes:
    """A 1400 x 2100 PNG cover: the title, the author and the languages, in the book face."""
    from PIL import Image, ImageDraw, ImageFont

    width, height = 1400, 2100
    image = Image.new("RGB", (width, height), (244, 239, 230))
    draw = ImageDraw.Draw(image)
    ink, accent = (27, 26, 24), (122, 42, 18)
    draw.rectangle((70, 70, width - 70, height - 70), outline=accent, width=4)

    def centred(lines: list[str], font: Any, top: int, gap: int, fill: tuple[int, ...]) -> int:
        for line in lines:
            draw.text(((width - font.getlength(line)) / 2, top), line, font=font, fill=fill)
            top += gap
        return top

    title_font = ImageFont.truetype(str(fonts["Regular"]), 112)
    subtitle_font = ImageFont.truetype(str(fonts["Regular"]), 68)
    small_font = ImageFont.truetype(str(fonts["Regular"]), 56)
    italic_font = ImageFont.truetype(str(fonts["Italic"]), 68)
    main = running_title(edition.title)
    y = centred(_wrap(main, title_font, width - 300), title_font, 360, 136, ink)
    subtitle = edition.title[len(main) :].lstrip(":.\u2014 ").strip()
    if subtitle:
        y = centred(_wrap(subtitle, subtitle_font, width - 340), subtitle_font, y + 40, 88, ink)
    if edition.translation is not None and edition.translation.title != edition.title:
        lines = _wrap(edition.translation.title, italic_font, width - 340)
        y = centred(lines, italic_font, y + 90, 88, ink)
    draw.line(((width / 2 - 120), y + 70, (width / 2 + 120), y + 70), fill=accent, width=3)
    centred([edition.author.upper()], small_font, y + 140, 70, ink)
    languages = " \u00b7 ".join(get_language(lang).native_name for lang in edition.languages)
    centred([languages], small_font, height - 300, 70, accent)
    # A few dozen shades are enough for two inks on paper: a palette PNG is a third the size.
    palette = image.quantize(colors=32, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=False, compress_level=9)
    return out.getvalue()


# --------------------------------------------------------------------------- package


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_chars(data: bytes) -> bytes:
    """Drop the characters XML 1.0 cannot hold (control characters a source may
    contain), so every document of the book stays well-formed."""
    text = data.decode("utf-8")
    return _NOT_XML.sub("", text).encode("utf-8") if _NOT_XML.search(text) else data


def _zip(entries: Iterable[tuple[str, bytes]], when: datetime) -> bytes:
    """A zip archive of ``entries``, in order, every entry dated ``when``: the same
    entries always give the same bytes. ``mimetype`` is stored, the rest deflated."""
    stamp = max(when, datetime(1980, 1, 1, tzinfo=UTC)).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in entries:
            if name.endswith((".xhtml", ".opf", ".ncx", ".xml")):
                data = _xml_chars(data)
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.create_system = 3
            info.external_attr = 0o644 << 16
            if name == "mimetype":
                info.compress_type = zipfile.ZIP_STORED
                archive.writestr(info, data)
            else:
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data, compresslevel=9)
    return out.getvalue()


def _media_type(name: str) -> str:
    """The media type of a file in the package, by its suffix."""
    suffix = Path(name).suffix.lower()
    fixed = {
        ".xhtml": "application/xhtml+xml",
        ".css": "text/css",
        ".otf": "font/otf",
        ".ttf": "font/ttf",
    }
    return fixed.get(suffix) or IMAGE_TYPES[suffix]


def _manifest_id(name: str) -> str:
    """An XML id for a file name (``section-1.xhtml`` → ``section-1``)."""
    return "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", name)


def _opf(
    edition: Edition,
    files: list[tuple[str, str]],
    spine: list[str],
    modified: datetime,
    has_images: bool,
) -> str:
    """The package document."""
    t = edition.translation
    title = (
        edition.title if t is None or t.title == edition.title else f"{edition.title} / {t.title}"
    )
    identifier = uuid.uuid5(uuid.NAMESPACE_URL, f"pipeline:{edition.book_id}:{edition.slug}")
    languages = "".join(
        f"<dc:language>{escape(lang)}</dc:language>\n" for lang in edition.languages
    )
    modes = ["textual", "visual"] if has_images else ["textual"]
    a11y = "".join(f'<meta property="schema:accessMode">{m}</meta>\n' for m in modes)
    a11y += '<meta property="schema:accessModeSufficient">textual</meta>\n'
    for feature in ("structuralNavigation", "tableOfContents", "readingOrder"):
        a11y += f'<meta property="schema:accessibilityFeature">{feature}</meta>\n'
    a11y += '<meta property="schema:accessibilityHazard">none</meta>\n'
    a11y += (
        '<meta property="schema:accessibilitySummary">Text with headings, a table of contents '
        "and the language of every passage marked.</meta>\n"
    )
    items = "".join(
        f'<item id="{_manifest_id(name)}" href="{escape(name)}" '
        f'media-type="{_media_type(name)}"' + (f' properties="{props}"' if props else "") + "/>\n"
        for name, props in files
    )
    itemrefs = "".join(f'<itemref idref="{_manifest_id(name)}"/>\n' for name in spine)
    description = (
        f"<dc:description>{escape(edition.description)}</dc:description>\n"
        if edition.description
        else ""
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<package xmlns="http://www.idpf.org/2007/opf" version="3.0" '
        f'unique-identifier="book-id" xml:lang="{escape(edition.lang)}">\n'
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
        f'<dc:identifier id="book-id">urn:uuid:{identifier}</dc:identifier>\n'
        f"<dc:title>{escape(title)}</dc:title>\n"
        f"{languages}"
        f"<dc:creator>{escape(edition.author)}</dc:creator>\n"
        f"{description}"
        f'<meta property="dcterms:modified">{modified.strftime("%Y-%m-%dT%H:%M:%SZ")}</meta>\n'
        '<meta name="generator" content="pipeline"/>\n'
        '<meta name="cover" content="f-images-cover-png"/>\n'
        f"{a11y}"
        "</metadata>\n"
        f"<manifest>\n{items}</manifest>\n"
        f"<spine>\n{itemrefs}</spine>\n"
        "</package>\n"
    )


_CONTAINER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">\n'
    "<rootfiles>\n"
    '<rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>\n'
    "</rootfiles>\n"
    "</container>\n"
)


def _fallback_name(face: FontFile) -> str:
    """The package file of a fallback face: its file name, ``.otf`` for a face of a collection."""
    if face.path.suffix.lower() in (".ttf", ".otf"):
        return f"fonts/{face.path.stem}{face.path.suffix.lower()}"
    return f"fonts/{re.sub(r'[^A-Za-z0-9]+', '', face.family)}.otf"


def _fallback_css(fallbacks: dict[str, str]) -> str:
    """``@font-face`` rules for the embedded fallback faces (family → file) and
    the font stacks that reach them, after the book face (and after the e-reader's
    monospace font in code)."""
    if not fallbacks:
        return ""
    faces = "".join(
        f'@font-face {{\n  font-family: "{family}";\n  src: url("../{name}");\n}}\n\n'
        for family, name in fallbacks.items()
    )
    stack = ", ".join(f'"{family}"' for family in fallbacks)
    return (
        f"{faces}/* Fallback fonts: what the book face lacks (emoji, symbols, other scripts). */\n"
        f'html {{\n  font-family: "{_FAMILY}", {stack}, serif;\n}}\n\n'
        f"pre,\ncode {{\n  font-family: monospace, {stack};\n}}\n"
    )


def _css(fonts: dict[str, str], fallbacks: dict[str, str] | None = None) -> str:
    """The book's stylesheet: ``@font-face`` rules for the embedded fonts, then
    :data:`EPUB_STYLESHEETS`, then the fallback fonts' rules (:func:`_fallback_css`)."""
    faces = "".join(
        "@font-face {\n"
        f'  font-family: "{_FAMILY}";\n'
        f"  font-style: {style};\n"
        f"  font-weight: {weight};\n"
        f'  src: url("../{fonts[name]}");\n'
        "}\n\n"
        for name, style, weight in EPUB_FONTS
    )
    try:
        css = resources.files("pipeline.render").joinpath("css")
        sheet = "\n".join(css.joinpath(name).read_text("utf-8") for name in EPUB_STYLESHEETS)
    except OSError as exc:
        raise RenderError(
            f"cannot read the EPUB stylesheet: {exc}",
            hint="reinstall pipeline; its package data is incomplete",
        ) from exc
    extra = _fallback_css(fallbacks or {})
    return faces + sheet + (f"\n{extra}" if extra else "")


def render_epub(
    edition: Edition,
    *,
    modified: datetime,
    base_url: Path | None = None,
    font_cache: Path | None = None,
) -> bytes:
    """Lay out ``edition`` as an EPUB 3 file and return its bytes.

    ``modified`` is written as ``dcterms:modified`` and as the date of every
    entry of the zip: the same edition and date always give the same bytes.
    ``base_url`` is the folder that the book's relative image paths start from;
    only files inside it are packaged. The font subsets are kept in
    ``font_cache`` between builds when it is given. Raises
    :class:`~pipeline.errors.RenderError` when the book font is missing.
    """
    modified = modified.astimezone(UTC).replace(microsecond=0)
    font_files = _font_files()
    images: dict[str, tuple[str, bytes]] = {}
    base = base_url if base_url is None or base_url.is_dir() else base_url.parent
    pages, nav = _pages(edition, images, base)
    cover = _Page(
        "cover.xhtml",
        edition.title,
        '<section class="cover" epub:type="cover">\n'
        f'<img src="images/cover.png" alt="{escape(edition.title)}, {escape(edition.author)}"/>\n'
        "</section>\n",
        "cover",
    )
    documents = [cover, pages[0], nav, *pages[1:]]

    text = "".join(plain_text(p.body) for p in documents) + _EXTRA_CHARS
    text = "".join(sorted(set(text + "".join(chr(c) for c in range(32, 127)))))
    fonts = {name: f"fonts/{font_files[name].stem}.otf" for name, _, _ in EPUB_FONTS}
    entries: list[tuple[str, bytes]] = []
    for page in documents:
        entries.append((page.name, _document(page, edition.lang).encode()))
    fallback = fallback_files(text)
    fallback_names = {family: _fallback_name(face) for family, (face, _) in fallback.items()}
    entries.append(("css/book.css", _css(fonts, fallback_names).encode()))
    for name, _, _ in EPUB_FONTS:
        entries.append((fonts[name], _stored_subset(font_cache, font_files[name], text)))
    for family, (face, chars) in fallback.items():
        subset = _stored_subset(font_cache, face.path, chars, face.index)
        entries.append((fallback_names[family], subset))
    if font_cache is not None:
        _prune(font_cache)
    entries.append(("images/cover.png", _stored_cover(font_cache, edition, font_files)))
    for name, data in sorted(images.values()):
        entries.append((name, data))

    properties = {"nav.xhtml": "nav", "images/cover.png": "cover-image"}
    properties.update((page.name, "mathml") for page in documents if "<math" in page.body)
    files = [(name, properties.get(name, "")) for name, _ in entries]
    opf = _opf(edition, files, [p.name for p in documents], modified, bool(images))
    package = [
        ("mimetype", b"application/epub+zip"),
        ("META-INF/container.xml", _CONTAINER.encode()),
        ("OEBPS/content.opf", opf.encode()),
        *((f"OEBPS/{name}", data) for name, data in entries),
    ]
    data = _zip(package, modified)
    log.debug("EPUB of %s (%s): %d bytes", edition.book_id, edition.slug, len(data))
    return data


class EpubRenderer:
    """The EPUB edition (a :class:`~pipeline.render.registry.Renderer`):
    :func:`render_epub` of the edition, dated ``context.modified``."""

    format = "epub"
    description = "an EPUB 3 e-book with the book font embedded, for e-readers"
    slow = False

    def check(self) -> None:
        """Make sure every face of the book font the EPUB embeds is installed."""
        _font_files()

    def render(self, edition: Edition, html: str, context: RenderContext) -> bytes:
        """The EPUB of ``edition`` (built from the edition, not from ``html``)."""
        return render_epub(
            edition,
            modified=context.modified,
            base_url=context.base_url,
            font_cache=context.cache / FONT_CACHE if context.cache is not None else None,
        )
