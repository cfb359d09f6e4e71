"""SVG pictures made self-contained, as a book carries them.

An SVG file drawn by a tool often starts with a ``<!DOCTYPE svg …>`` naming
the W3C's DTD, and may point at other files (``<image xlink:href="x.png">``)
or hold scripts. A book carries no other file and runs no script: the EPUB
would fail epubcheck, the PDF renderer would try to fetch the files.
:func:`clean_svg` gives the picture back without its DOCTYPE, scripts, event
handlers, references to anything outside itself and links (a picture's
links cannot be followed: what a link shows stays, as a group);
:func:`clean_data_url` does the same inside a ``data:`` URL, and
:func:`inline_svg` makes a picture file of an ``<svg>`` written inside HTML.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

__all__ = ["clean_data_url", "clean_svg", "inline_svg"]

_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_SVG_DATA = "data:image/svg+xml;base64,"
_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_NS = "http://www.w3.org/1999/xlink"


def _local(tag: object) -> str:
    """``{namespace}name`` → ``name``."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def clean_svg(data: bytes) -> bytes:
    """``data`` (an SVG file) without DOCTYPE, scripts or external references;
    ``data`` unchanged when it is not well-formed XML."""
    cleaned = _clean(data)
    return data if cleaned is None else cleaned[0]


def inline_svg(markup: str) -> tuple[bytes, str] | None:
    """An ``<svg>`` element written inside HTML as an SVG file of its own
    (namespaces declared, cleaned as :func:`clean_svg` cleans) and the words
    that describe it (its ``aria-label`` or ``<title>``); ``None`` when it is
    not well-formed XML."""
    head, _, rest = markup.partition(">")
    if "xmlns=" not in head:
        head += f' xmlns="{_SVG_NS}"'
    if "xlink:" in markup and "xmlns:xlink" not in head:
        head += f' xmlns:xlink="{_XLINK_NS}"'
    return _clean(f"{head}>{rest}".encode())


def _clean(data: bytes) -> tuple[bytes, str] | None:
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if _local(root.tag) != "svg":
        return None
    doomed: list[Any] = []
    links: list[Any] = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            if isinstance(element, etree._Entity):
                doomed.append(element)  # an entity of a DTD that is not read
            continue
        name = _local(element.tag)
        if name in {"script", "foreignObject"}:
            doomed.append(element)
            continue
        if name == "a":
            links.append(element)
            continue
        for attr in list(element.attrib):
            if _local(attr).lower().startswith("on"):
                del element.attrib[attr]
        for attr in (_XLINK_HREF, "href"):
            value = (element.get(attr) or "").strip()
            if not value or value.startswith("#") or value.lower().startswith("data:"):
                continue
            doomed.append(element)
            break
    for element in doomed:
        parent = element.getparent()
        if parent is not None:
            if isinstance(element.tag, str):
                parent.remove(element)
            else:
                _drop_keeping_tail(element)
    for link in links:
        # A picture's links cannot be followed: the link goes, what it shows stays.
        namespace, brace, _ = str(link.tag).rpartition("}")
        link.tag = f"{namespace}{brace}g"
        for attr in list(link.attrib):
            if _local(attr) in {"href", "title", "target", "show", "actuate", "type"}:
                del link.attrib[attr]
    label = root.get("aria-label") or next(
        (
            " ".join("".join(child.itertext()).split())
            for child in root
            if _local(child.tag) == "title"
        ),
        "",
    )
    return etree.tostring(root, encoding="utf-8", xml_declaration=True), label


def _drop_keeping_tail(node: Any) -> None:
    parent = node.getparent()
    previous = node.getprevious()
    tail = node.tail or ""
    if previous is not None:
        previous.tail = (previous.tail or "") + tail
    elif parent is not None:
        parent.text = (parent.text or "") + tail
    if parent is not None:
        parent.remove(node)


def clean_data_url(url: str) -> str:
    """A ``data:`` URL of an SVG picture with the picture cleaned (any other URL as it is)."""
    if not url.startswith(_SVG_DATA):
        return url
    try:
        data = base64.b64decode(url[len(_SVG_DATA) :], validate=True)
    except (binascii.Error, ValueError):
        return url
    cleaned = clean_svg(data)
    if cleaned == data:
        return url
    return _SVG_DATA + base64.b64encode(cleaned).decode("ascii")
