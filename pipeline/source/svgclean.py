"""SVG pictures made self-contained, as a book carries them.

An SVG file drawn by a tool often starts with a ``<!DOCTYPE svg …>`` naming
the W3C's DTD, and may point at other files (``<image xlink:href="x.png">``)
or hold scripts. A book carries no other file and runs no script: the EPUB
would fail epubcheck, the PDF renderer would try to fetch the files.
:func:`clean_svg` gives the picture back without its DOCTYPE, scripts, event
handlers and references to anything outside itself (a link to a web page
stays a link); :func:`clean_data_url` does the same inside a ``data:`` URL.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

__all__ = ["clean_data_url", "clean_svg"]

_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_SVG_DATA = "data:image/svg+xml;base64,"
_LINK_SCHEMES = ("http://", "https://", "mailto:")


def _local(tag: object) -> str:
    """``{namespace}name`` → ``name``."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def clean_svg(data: bytes) -> bytes:
    """``data`` (an SVG file) without DOCTYPE, scripts or external references;
    ``data`` unchanged when it is not well-formed XML."""
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
        return data
    if _local(root.tag) != "svg":
        return data
    doomed: list[Any] = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            if isinstance(element, etree._Entity):
                doomed.append(element)  # an entity of a DTD that is not read
            continue
        name = _local(element.tag)
        if name in {"script", "foreignObject"}:
            doomed.append(element)
            continue
        for attr in list(element.attrib):
            if _local(attr).lower().startswith("on"):
                del element.attrib[attr]
        for attr in (_XLINK_HREF, "href"):
            value = (element.get(attr) or "").strip()
            if not value or value.startswith("#") or value.lower().startswith("data:"):
                continue
            if name == "a":
                if not value.lower().startswith(_LINK_SCHEMES):
                    del element.attrib[attr]
            else:
                doomed.append(element)
                break
    for element in doomed:
        parent = element.getparent()
        if parent is not None:
            if isinstance(element.tag, str):
                parent.remove(element)
            else:
                _drop_keeping_tail(element)
    return etree.tostring(root, encoding="utf-8", xml_declaration=True)


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
