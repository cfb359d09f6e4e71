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
emphasis, strong, strikethrough, links, highlight, insertion, superscript and
subscript are ``<bpt>``/``<ept>`` pairs (``type`` ``italic``, ``bold``,
``x-strikethrough``, ``link``, ``x-highlight``, ``ulined``, ``x-superscript``,
``x-subscript``), code spans,
images, autolinks, inline HTML, entities and hard breaks are ``<ph>``
(``x-code``, ``image``, ``x-link``, ``x-html``, ``x-entity``, ``lb``).
``x`` pairs a code of the translation with the same code of the source
(the XLIFF id's number); markup only the translation has gets no ``x``.
Numbers are text. Characters XML cannot hold become U+FFFD.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from lxml import etree

from .. import __version__
from ..catalog.catalog import Catalog, State
from ..source.inline import encode
from ..source.markdown import Document
from .codes import Code, Item, align_target, highest_number, source_items, source_number
from .xmlutil import XML_LANG, append_text, clean, indent, language, to_bytes

__all__ = ["TMX_DOCTYPE", "export_tmx"]

TMX_DOCTYPE = '<!DOCTYPE tmx SYSTEM "tmx14.dtd">'
"""Document type declaration of the exported files (the standard TMX 1.4 system id;
the tests validate against pipeline's profile of it, ``schemas/tmx14_profile.dtd``)."""

_PAIR_TYPES = {
    "em": "italic",
    "strong": "bold",
    "s": "x-strikethrough",
    "link": "link",
    "mark": "x-highlight",
    "ins": "ulined",
    "sup": "x-superscript",
    "sub": "x-subscript",
}
_ATOM_TYPES = {
    "code_inline": "x-code",
    "image": "image",
    "autolink": "x-link",
    "html_inline": "x-html",
    "html_code": "x-html",
    "entity": "x-entity",
    "hardbreak": "lb",
}


class _Codes:
    """Numbers the codes of one ``<seg>``: ``i`` (pairs within the seg) and ``x``."""

    def __init__(self, offset: int) -> None:
        self.offset = offset
        """Numbers above the source's, for codes only the translation has."""
        self.extra = 0

    def numbers(self, code: Code) -> tuple[int, int | None]:
        number = source_number(code.id)
        if number is not None:
            return number, number
        self.extra += 1
        return self.offset + self.extra, None


def _write(parent: etree._Element, items: Sequence[Item], codes: _Codes) -> None:
    for item in items:
        if isinstance(item, str):
            append_text(parent, clean(item))
            continue
        i, x = codes.numbers(item)
        if item.end is None:
            ph = etree.SubElement(parent, "ph")
            if x is not None:
                ph.set("x", str(x))
            ph.set("type", _ATOM_TYPES.get(item.kind, f"x-{item.kind}"))
            ph.text = clean(item.start)
            continue
        bpt = etree.SubElement(parent, "bpt", i=str(i))
        if x is not None:
            bpt.set("x", str(x))
        bpt.set("type", _PAIR_TYPES.get(item.kind, f"x-{item.kind}"))
        bpt.text = clean(item.start)
        _write(parent, item.children, codes)
        ept = etree.SubElement(parent, "ept", i=str(i))
        ept.text = clean(item.end)


def _tmx_date(iso: str | None) -> str | None:
    """An ISO date (``2024-05-01``) as a TMX date (``20240501T000000Z``)."""
    if not iso:
        return None
    try:
        day = datetime.date.fromisoformat(iso.strip()[:10])
    except ValueError:
        return None
    return day.strftime("%Y%m%dT000000Z")


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
    src = language(source_lang or catalog.source_lang)
    trg = language(target_lang or catalog.lang)
    root = etree.Element("tmx", version="1.4")
    etree.SubElement(
        root,
        "header",
        {
            "creationtool": "pipeline",
            "creationtoolversion": __version__,
            "segtype": "paragraph",
            "o-tmf": "PO",
            "adminlang": language(adminlang),
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
            tu.set("changeid", clean(entry.reviewer))
        changed = _tmx_date(entry.reviewed_at)
        if changed:
            tu.set("changedate", changed)
        prop = etree.SubElement(tu, "prop", type="x-kind")
        prop.text = seg.kind
        offset = highest_number(source)
        for lang, items in ((src, source), (trg, target)):
            tuv = etree.SubElement(tu, "tuv", {XML_LANG: lang})
            _write(etree.SubElement(tuv, "seg"), items, _Codes(offset))
    indent(root, _structural)
    return to_bytes(root, TMX_DOCTYPE)


def _structural(element: etree._Element) -> bool:
    """Whether an element is indented inside (everything but ``<seg>``, ``<prop>``
    and ``<note>``, whose content is text)."""
    return element.tag not in {"seg", "prop", "note"}
