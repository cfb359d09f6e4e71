"""TMX 1.4b export of reviewed translations, for translation-memory reuse.

Only segments a person approved (state ``reviewed``) are exported: a
translation memory feeds future translations, so machine output and
unreviewed work stay out. One ``<tu tuid="segment id">`` per segment, in
reading order, with the source and the translation as ``<tuv xml:lang>``;
who approved it and when are the unit's ``changeid``/``changedate``, its
kind a ``<prop type="x-kind">``. The output is deterministic (no export
date) and valid against pipeline's TMX 1.4b profile (``pipeline/schemas/tmx14_profile.dtd``).

Inline markup is kept as TMX codes holding the original Markdown, so a
CAT tool matches segments with their tags, as in the XLIFF export:
emphasis, strong, strikethrough and links are ``<bpt>``/``<ept>`` pairs
(``type`` ``italic``, ``bold``, ``x-strikethrough``, ``link``), code spans,
images, autolinks, inline HTML, entities and hard breaks are ``<ph>``
(``x-code``, ``image``, ``x-link``, ``x-html``, ``x-entity``, ``lb``).
``x`` pairs a code of the translation with the same code of the source
(the XLIFF id's number); markup only the translation has gets no ``x``.
Numbers are text. Characters XML cannot hold become U+FFFD.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence

from lxml import etree

from .. import __version__
from ..catalog.catalog import Catalog, State
from ..source.inline import encode
from ..source.markdown import Document
from .xliff import Code, Item, align_target, source_items

__all__ = ["TMX_DOCTYPE", "export_tmx"]

TMX_DOCTYPE = '<!DOCTYPE tmx SYSTEM "tmx14.dtd">'
"""Document type declaration of the exported files (the standard TMX 1.4 system id;
the tests validate against pipeline's profile of it, ``schemas/tmx14_profile.dtd``)."""

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_INVALID_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_PAIR_TYPES = {"em": "italic", "strong": "bold", "s": "x-strikethrough", "link": "link"}
_ATOM_TYPES = {
    "code_inline": "x-code",
    "image": "image",
    "autolink": "x-link",
    "html_inline": "x-html",
    "entity": "x-entity",
    "hardbreak": "lb",
}


def _clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)


def _append(parent: etree._Element, text: str) -> None:
    text = _clean(text)
    if not text:
        return
    if len(parent):
        parent[-1].tail = (parent[-1].tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def _number(code_id: str) -> int | None:
    """The number of a source placeholder id (``g3`` → 3); ``None`` for target-only ids."""
    if code_id[:1] in {"g", "x"} and code_id[1:].isdigit():
        return int(code_id[1:])
    return None


def _highest(items: Sequence[Item]) -> int:
    best = 0
    for item in items:
        if isinstance(item, Code):
            best = max(best, _number(item.id) or 0, _highest(item.children))
    return best


class _Codes:
    """Numbers the codes of one ``<seg>``: ``i`` (pairs within the seg) and ``x``."""

    def __init__(self, offset: int) -> None:
        self.offset = offset
        """Numbers above the source's, for codes only the translation has."""
        self.extra = 0

    def numbers(self, code: Code) -> tuple[int, int | None]:
        number = _number(code.id)
        if number is not None:
            return number, number
        self.extra += 1
        return self.offset + self.extra, None


def _write(parent: etree._Element, items: Sequence[Item], codes: _Codes) -> None:
    for item in items:
        if isinstance(item, str):
            _append(parent, item)
            continue
        i, x = codes.numbers(item)
        if item.end is None:
            ph = etree.SubElement(parent, "ph")
            if x is not None:
                ph.set("x", str(x))
            ph.set("type", _ATOM_TYPES.get(item.kind, f"x-{item.kind}"))
            ph.text = _clean(item.start)
            continue
        bpt = etree.SubElement(parent, "bpt", i=str(i))
        if x is not None:
            bpt.set("x", str(x))
        bpt.set("type", _PAIR_TYPES.get(item.kind, f"x-{item.kind}"))
        bpt.text = _clean(item.start)
        _write(parent, item.children, codes)
        ept = etree.SubElement(parent, "ept", i=str(i))
        ept.text = _clean(item.end)


def _tmx_date(iso: str | None) -> str | None:
    """An ISO date (``2024-05-01``) as a TMX date (``20240501T000000Z``)."""
    if not iso:
        return None
    try:
        day = datetime.date.fromisoformat(iso.strip()[:10])
    except ValueError:
        return None
    return day.strftime("%Y%m%dT000000Z")


def _language(code: str) -> str:
    return code.strip().replace("_", "-")


def export_tmx(
    doc: Document,
    catalog: Catalog,
    *,
    source_lang: str | None = None,
    target_lang: str | None = None,
    adminlang: str = "en",
) -> bytes:
    """The reviewed translations of a document as a TMX 1.4b memory.

    ``source_lang``/``target_lang`` default to the catalogue's languages.
    Segments that are not reviewed, or that the catalogue does not have,
    are left out. See the module documentation for the format.
    """
    src = _language(source_lang or catalog.source_lang)
    trg = _language(target_lang or catalog.lang)
    root = etree.Element("tmx", version="1.4")
    etree.SubElement(
        root,
        "header",
        {
            "creationtool": "pipeline",
            "creationtoolversion": __version__,
            "segtype": "paragraph",
            "o-tmf": "PO",
            "adminlang": _language(adminlang),
            "srclang": src,
            "datatype": "x-markdown",
        },
    )
    body = etree.SubElement(root, "body")
    for seg in doc.segments:
        if seg.id not in catalog or catalog.state(seg.id) is not State.REVIEWED:
            continue
        entry = catalog.entry(seg.id)
        if not entry.translation:
            continue
        enc = encode(seg.source, doc.env)
        source = source_items(enc)
        target, _problems = align_target(enc, entry.translation, doc.env)
        tu = etree.SubElement(body, "tu", tuid=seg.id)
        if entry.reviewer:
            tu.set("changeid", _clean(entry.reviewer))
        changed = _tmx_date(entry.reviewed_at)
        if changed:
            tu.set("changedate", changed)
        prop = etree.SubElement(tu, "prop", type="x-kind")
        prop.text = seg.kind
        offset = _highest(source)
        for lang, items in ((src, source), (trg, target)):
            tuv = etree.SubElement(tu, "tuv", {_XML_LANG: lang})
            _write(etree.SubElement(tuv, "seg"), items, _Codes(offset))
    _indent(root)
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        + TMX_DOCTYPE.encode("ascii")
        + b"\n"
        + etree.tostring(root, encoding="UTF-8", xml_declaration=False)
        + b"\n"
    )


def _indent(element: etree._Element, level: int = 0) -> None:
    """Indent everything but the inside of ``<seg>``, ``<prop>`` and ``<note>``."""
    if element.tag in {"seg", "prop", "note"} or not len(element):
        return
    inner = "\n" + "  " * (level + 1)
    element.text = inner
    for child in element:
        _indent(child, level + 1)
        child.tail = inner
    element[-1].tail = "\n" + "  " * level
