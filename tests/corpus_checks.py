"""What a reader notices in an edition, as reusable checks for tests/test_corpus.py.

Each function takes an edition (HTML text, or the path of a PDF/EPUB) and returns
the problems it finds as a list of one-line descriptions, empty when the edition
is right, so a failing test names every problem at once.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import lxml.html
from lxml import etree
from pypdf import PdfReader
from pypdf.generic import DictionaryObject, IndirectObject

__all__ = [
    "EXTENSION_MARKERS",
    "PdfWord",
    "anchor_problems",
    "bilingual_row_problems",
    "code_text",
    "epubcheck",
    "heading_ids",
    "html_title",
    "marker_problems",
    "notdef_problems",
    "off_page_problems",
    "parse_html",
    "pdf_destination_problems",
    "pdf_link_problems",
    "pdf_text",
    "pdf_title",
    "pdf_words",
    "prose_text",
    "self_contained_problems",
    "template_tags",
    "title_page_problems",
    "toc_entries",
    "visible_markers",
]

EXTENSION_MARKERS = (
    "{#",
    "{ #",
    "{.",
    "{ .",
    "!!!",
    "???",
    "///",
    "[!",  # GitHub alerts, [!NOTE] … [!CAUTION], also as an engine translates them ([!NOTA])
    "{/*",
    "*/}",
    "+++",
    "{{#include",
    "{{#rustdoc_include",
    "ANCHOR:",
    "ANCHOR_END:",
    "{%",
    "{{",
    "==",  # ==highlight== (pymdownx.mark, Hugo's extras)
    "^^",  # ^^insertion^^ (pymdownx.caret)
)
"""Markdown-extension syntax a reader must never see outside code: attribute lists,
admonitions (MkDocs ``!!!``/``???``, ``///`` blocks), GitHub alerts, MDX comments,
TOML front matter fences, mdBook includes and their anchors, templating,
highlight and insertion markers.
(Docusaurus ``:::note`` may be kept as written: see ``Doc.unchanged`` in
tests/test_corpus.py.)"""

NEVER_SHOWN = ("{{#include", "{{#rustdoc_include", "ANCHOR:", "ANCHOR_END:")
"""Markers that must not appear even inside code: mdBook expands includes in code blocks."""

_TEMPLATE_TAG = re.compile(r"\{\{[<%].*?[>%]\}\}|\{%.*?%\}|\{\{[^#].*?\}\}")
_HUGO_MADE = re.compile(
    r"\{\{[<%]\s*(?:figure\s|youtube\s|/?(?:notice|alert|callout|hint|admonition|pageinfo)\b)"
)
"""Hugo shortcodes that become what Hugo makes of them (a figure, a box, a
video's address)."""


def parse_html(text: str) -> lxml.html.HtmlElement:
    """The document tree of an HTML edition."""
    return lxml.html.document_fromstring(text)


def _text_outside(root: etree._Element, skip: tuple[str, ...]) -> str:
    """The text content of ``root`` without the text of ``skip`` elements, blocks on lines."""
    parts: list[str] = []

    def walk(element: etree._Element) -> None:
        if not isinstance(element.tag, str):
            if element.tail:
                parts.append(element.tail)
            return
        if element.tag not in skip:
            if element.text:
                parts.append(element.text)
            for child in element:
                walk(child)
        if element.tail:
            parts.append(element.tail)

    body = root.find("body")
    walk(body if body is not None else root)
    return "".join(parts)


def prose_text(root: etree._Element) -> str:
    """What a reader sees as text in the HTML edition, code (blocks and inline) left out."""
    return _text_outside(root, ("pre", "code", "script", "style", "kbd", "samp"))


def code_text(root: etree._Element) -> str:
    """The text of the code blocks and inline code of the HTML edition."""
    return "\n".join(el.text_content() for el in root.iter("pre", "code", "kbd", "samp"))


def template_tags(markdown: str) -> set[str]:
    """The templating tags (``{{< … >}}``, ``{% … %}``, ``{{ … }}``) written in a
    source, but Hugo's figure and box shortcodes, which become a figure and a box."""
    return {tag for tag in _TEMPLATE_TAG.findall(markdown) if not _HUGO_MADE.match(tag)}


def visible_markers(text: str, *, verbatim: Iterable[str] = ()) -> dict[str, str]:
    """The extension syntax in ``text`` (marker → the text around its first
    occurrence); the ``verbatim`` fragments (templating kept exactly as the author
    wrote it) are allowed and taken out first."""
    for fragment in sorted(verbatim, key=len, reverse=True):
        text = text.replace(fragment, " ")
    found = {}
    for marker in EXTENSION_MARKERS:
        at = text.find(marker)
        if at >= 0:
            found[marker] = " ".join(text[max(0, at - 40) : at + len(marker) + 40].split())
    return found


def marker_problems(text: str, where: str, *, verbatim: Iterable[str] = ()) -> list[str]:
    """Extension syntax visible in ``text``, one line each (see :func:`visible_markers`)."""
    return [
        f"{where}: {marker!r} shown as text: …{context}…"
        for marker, context in visible_markers(text, verbatim=verbatim).items()
    ]


def anchor_problems(root: etree._Element, where: str) -> list[str]:
    """``href="#x"`` links whose target is not an element id of the same file, and
    links to other files that are neither remote nor e-mail (they lead nowhere in a
    one-file edition)."""
    ids = set(root.xpath("//@id"))
    problems = []
    for link in root.iter("a"):
        href = link.get("href")
        if href is None:
            continue
        label = " ".join(link.text_content().split())[:40]
        if href.startswith("#"):
            if href[1:] not in ids:
                problems.append(f"{where}: link {href!r} ({label!r}) leads nowhere")
        elif not re.match(r"(https?|mailto):", href):
            problems.append(f"{where}: link {href!r} ({label!r}) points at a file")
    return problems


def heading_ids(root: etree._Element) -> list[str]:
    """The ids of the headings in the body of the book (title page and contents left out)."""
    return [
        h.get("id", "")
        for h in root.xpath(
            "//main//*[self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6]"
            "[not(ancestor::*[contains(concat(' ', @class, ' '), ' translation ')])]"
        )
    ]


def html_title(root: etree._Element) -> str:
    """The text of ``<title>``."""
    title = root.find(".//title")
    return "" if title is None else " ".join(title.text_content().split())


def toc_entries(root: etree._Element) -> list[str]:
    """The entries of the table of contents, in the source language."""
    entries = []
    for link in root.xpath("//nav[contains(concat(' ', @class, ' '), ' toc ')]//a"):
        source = link.xpath(".//*[contains(concat(' ', @class, ' '), ' toc-source ')]")
        element = source[0] if source else link
        entries.append(" ".join(element.text_content().split()))
    return entries


def title_page_problems(root: etree._Element, where: str) -> list[str]:
    """Anything on the title page that is not title-page matter (code, lists,
    tables, pictures, quotations, boxes) and not the edition's draft note."""
    problems = []
    for page in root.xpath("//*[contains(concat(' ', @class, ' '), ' title-page ')]"):
        for tag in ("pre", "ul", "ol", "table", "img", "figure", "blockquote", "details", "aside"):
            # the draft note (the legend of review marks) is the edition's own
            found = page.xpath(
                f".//{tag}[not(ancestor::*[contains(concat(' ', @class, ' '), ' draft-note ')])]"
            )
            if found:
                text = " ".join(found[0].text_content().split())[:50]
                problems.append(f"{where}: the title page holds a <{tag}> ({text!r})")
    return problems


def self_contained_problems(html: str, where: str) -> list[str]:
    """References an HTML edition makes to other files (it must be one self-contained file)."""
    root = parse_html(html)
    problems = []
    for element in root.xpath("//*[@src]"):
        src = element.get("src", "")
        if not src.startswith("data:"):
            problems.append(f"{where}: <{element.tag} src={src!r}> is not embedded")
    for element in root.xpath("//*[@srcset]"):
        problems.append(f"{where}: <{element.tag} srcset={element.get('srcset')!r}>")
    for link in root.xpath("//link[@href]"):
        if not link.get("href", "").startswith("data:"):
            problems.append(f"{where}: <link href={link.get('href')!r}> fetches a file")
    for style in root.iter("style"):
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", style.text or ""):
            if not url.startswith(("data:", "#")):
                problems.append(f"{where}: the styles fetch {url!r}")
    return problems


def bilingual_row_problems(
    en_root: etree._Element, bilingual_root: etree._Element, where: str
) -> list[str]:
    """Every heading of the English edition's body stands in a side-by-side row of
    the bilingual edition: the English heading (same id) in the source column and a
    heading in the translation column of the same row."""
    problems = []
    for heading_id in heading_ids(en_root):
        found = bilingual_root.xpath("//*[@id=$id]", id=heading_id)
        if not found:
            problems.append(f"{where}: no heading with id {heading_id!r}")
            continue
        rows = found[0].xpath("ancestor::*[contains(concat(' ', @class, ' '), ' row ')][1]")
        label = " ".join(found[0].text_content().split())[:40]
        if not rows:
            problems.append(f"{where}: heading {label!r} is not in a side-by-side row")
            continue
        translated = rows[0].xpath(
            ".//*[contains(concat(' ', @class, ' '), ' translation ')]"
            "//*[self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6]"
        )
        if not translated:
            problems.append(f"{where}: heading {label!r} has no translation beside it")
    if not bilingual_root.xpath("//*[contains(concat(' ', @class, ' '), ' row ')]"):
        problems.append(f"{where}: no side-by-side rows at all")
    return problems


# PDF


def _pdftotext(*args: str) -> str:
    """The output of ``pdftotext ARGS -``; characters beyond the BMP come out as
    UTF-8-encoded surrogate pairs, joined again here."""
    data = subprocess.run(["pdftotext", *args, "-"], capture_output=True, check=True).stdout
    text = data.decode("utf-8", "surrogatepass")
    return text.encode("utf-16", "surrogatepass").decode("utf-16")


def pdf_text(path: Path) -> str:
    """The text of a PDF, in reading order (``pdftotext``)."""
    return _pdftotext("-enc", "UTF-8", str(path))


def pdf_title(path: Path) -> str:
    """The Title of the PDF's document information."""
    info = PdfReader(path).metadata
    return "" if info is None or info.title is None else str(info.title)


@dataclass(frozen=True)
class PdfWord:
    """One word of ``pdftotext -bbox`` with its page's size."""

    page: int
    text: str
    x_min: float
    x_max: float
    y_min: float
    y_max: float
    page_width: float
    page_height: float


def pdf_words(path: Path) -> list[PdfWord]:
    """Every word of a PDF with its box (``pdftotext -bbox``)."""
    output = _pdftotext("-bbox", "-enc", "UTF-8", str(path))
    root = lxml.html.document_fromstring(output.encode("utf-8", "surrogatepass"))
    words = []
    for number, page in enumerate(root.iter("page"), start=1):
        width, height = float(page.get("width")), float(page.get("height"))
        for word in page.iter("word"):
            words.append(
                PdfWord(
                    number,
                    word.text_content(),
                    float(word.get("xmin")),
                    float(word.get("xmax")),
                    float(word.get("ymin")),
                    float(word.get("ymax")),
                    width,
                    height,
                )
            )
    return words


def off_page_problems(words: Iterable[PdfWord], where: str, *, slack: float = 0.5) -> list[str]:
    """Words set (partly) outside the page box."""
    problems = []
    for word in words:
        if (
            word.x_min < -slack
            or word.x_max > word.page_width + slack
            or word.y_min < -slack
            or word.y_max > word.page_height + slack
        ):
            problems.append(
                f"{where}: page {word.page}: {word.text[:40]!r} runs off the page "
                f"(x {word.x_min:.0f} to {word.x_max:.0f} of {word.page_width:.0f} pt)"
            )
    return problems


def _resolve(obj: object) -> object:
    return obj.get_object() if isinstance(obj, IndirectObject) else obj


def _fonts(reader: PdfReader) -> Iterator[tuple[int, DictionaryObject]]:
    """(page number, font) of every font used on a page or in its form XObjects."""
    for number, page in enumerate(reader.pages, start=1):
        pending = [_resolve(page.get("/Resources"))]
        seen: set[int] = set()
        while pending:
            resources = pending.pop()
            if not isinstance(resources, dict) or id(resources) in seen:
                continue
            seen.add(id(resources))
            for ref in (_resolve(resources.get("/Font")) or {}).values():
                yield number, _resolve(ref)
            for ref in (_resolve(resources.get("/XObject")) or {}).values():
                xobject = _resolve(ref)
                if xobject.get("/Subtype") == "/Form":
                    pending.append(_resolve(xobject.get("/Resources")))


def _cmap_entries(data: bytes) -> dict[int, bytes]:
    """``<code> value`` pairs of a CMap's ``cidchar``/``bfchar`` sections and
    ``<lo> <hi> value`` ranges (first value, counted up for CIDs)."""
    text = data.decode("latin-1")
    entries: dict[int, bytes] = {}
    for block in re.findall(r"begin(?:cid|bf)char(.*?)end(?:cid|bf)char", text, re.S):
        for code, value in re.findall(r"<([0-9a-fA-F]+)>\s*(<[0-9a-fA-F]*>|\d+)", block):
            entries[int(code, 16)] = value.encode("latin-1")
    for block in re.findall(r"begincidrange(.*?)endcidrange", text, re.S):
        for lo, hi, cid in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*(\d+)", block):
            for code in range(int(lo, 16), int(hi, 16) + 1):
                entries[code] = str(int(cid) + code - int(lo, 16)).encode()
    return entries


def notdef_problems(path: Path, where: str) -> list[str]:
    """Characters the PDF draws as ``.notdef`` (an empty box): a code of a CID-keyed
    font that its encoding maps to CID 0, named by the character it stands for."""
    reader = PdfReader(path)
    problems: dict[str, set[str]] = {}
    for _number, font in _fonts(reader):
        if font.get("/Subtype") != "/Type0":
            continue
        encoding = _resolve(font.get("/Encoding"))
        if not hasattr(encoding, "get_data"):
            continue  # Identity-H: codes are glyph ids, WeasyPrint writes its own CMap
        empty = [code for code, cid in _cmap_entries(encoding.get_data()).items() if cid == b"0"]
        if not empty:
            continue
        to_unicode = _resolve(font.get("/ToUnicode"))
        names = _cmap_entries(to_unicode.get_data()) if hasattr(to_unicode, "get_data") else {}
        for code in empty:
            value = names.get(code, b"<>").strip(b"<>")
            try:
                char = bytes.fromhex(value.decode()).decode("utf-16-be")
            except ValueError:
                char = "?"
            label = " ".join(f"U+{ord(c):04X} {c}" for c in char) or f"code {code}"
            problems.setdefault(str(font.get("/BaseFont", "?")), set()).add(label)
    return [
        f"{where}: .notdef (empty box) in {font} for {', '.join(sorted(chars))}"
        for font, chars in sorted(problems.items())
    ]


def pdf_link_problems(path: Path, where: str) -> list[str]:
    """Link annotations that lead out of the book to a file (``file:`` or relative
    URIs): a reader clicking them gets nowhere."""
    reader = PdfReader(path)
    problems = []
    for number, page in enumerate(reader.pages, start=1):
        for ref in page.get("/Annots") or []:
            annot = _resolve(ref)
            action = _resolve(annot.get("/A"))
            if not isinstance(action, dict) or action.get("/S") != "/URI":
                continue
            uri = str(action.get("/URI"))
            if not re.match(r"(https?|mailto):", uri):
                problems.append(f"{where}: page {number}: link to {uri!r} leads nowhere")
    return sorted(set(problems))


def pdf_destination_problems(path: Path, targets: Iterable[str], where: str) -> list[str]:
    """In-document link targets (the ``#x`` of the HTML the PDF is made from) that
    the PDF has no destination for, and link annotations to unknown destinations:
    a reader clicking them gets nowhere."""
    reader = PdfReader(path)
    names = set(reader.named_destinations)
    problems = [f"{where}: no destination for link #{t}" for t in sorted(set(targets) - names)]
    for number, page in enumerate(reader.pages, start=1):
        for ref in page.get("/Annots") or []:
            annot = _resolve(ref)
            action = _resolve(annot.get("/A"))
            dest = annot.get("/Dest")
            if dest is None and isinstance(action, dict) and action.get("/S") == "/GoTo":
                dest = action.get("/D")
            if isinstance(dest, str) and dest not in names:
                problems.append(f"{where}: page {number}: link to unknown destination {dest!r}")
    return sorted(set(problems))


# EPUB

EPUBCHECK = Path("/usr/share/java/epubcheck.jar")


def epubcheck(path: Path) -> tuple[bool, str]:
    """Run epubcheck: (no errors and no fatal errors, its report)."""
    java = shutil.which("java")
    assert java and EPUBCHECK.is_file(), (
        "epubcheck is not installed: run `bash scripts/setup.sh test` "
        "(apt-get install -y epubcheck default-jre-headless)"
    )
    assert path.is_file(), f"{path} was not written"
    result = subprocess.run(
        [java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", str(EPUBCHECK), str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    clean = result.returncode == 0 and re.search(r"Messages: 0 fatals / 0 errors", output)
    return bool(clean), output
