"""Reading a TMX memory (1.4, and the 1.1 to 1.3 files older tools write) safely.

The file is parsed with lxml without trusting it: no network, no entity
expansion, no huge trees, no external DTD loaded. The usual
``<!DOCTYPE tmx SYSTEM "tmx14.dtd">`` line is accepted (and ignored); a
document type with an internal subset (``<!DOCTYPE tmx [ … ]>``), which could
define entities, is refused. Anything else that is not a well-formed TMX
document is an :class:`~pipeline.errors.ExchangeError` naming the file and
line.

Each ``<tu>`` gives one text per language (``<tuv xml:lang>``, or ``lang`` in
TMX 1.1), languages compared by their primary subtag (``es-ES`` is ``es``).
Inline codes (``<bpt>``, ``<ept>``, ``<ph>``, ``<it>``, ``<ut>``) hold the
original format's markup: in a memory pipeline wrote (``datatype
x-markdown``) that is Markdown, kept as it is; in another tool's memory it
is that tool's format (RTF, HTML…), meaningless in Markdown, and left out,
so the plain text remains. ``<hi>`` is text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from ..errors import ExchangeError
from ..exchange.xmlutil import parse_untrusted
from ..lang import primary

__all__ = ["TmxMemory", "TmxUnit", "read_tmx"]

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_CODES = frozenset({"bpt", "ept", "ph", "it", "ut"})
_HINT = "give the TMX file exactly as the translation tool exported it"


@dataclass(frozen=True, slots=True)
class TmxUnit:
    """One ``<tu>``: its text in each language."""

    id: str
    """The unit's ``tuid``, else ``line N``."""
    line: int
    """Line of the ``<tu>`` in the file."""
    texts: dict[str, str]
    """Text by primary language subtag (``es``), the first ``<tuv>`` of a language."""


@dataclass(frozen=True, slots=True)
class TmxMemory:
    """What a TMX file holds."""

    path: Path
    """The file read."""
    languages: tuple[str, ...]
    """The languages of its ``<tuv>`` elements, as written, in order of appearance."""
    units: tuple[TmxUnit, ...] = field(default=())
    """Its units, in file order."""

    def pairs(self, source: str, target: str) -> Iterator[tuple[str, str, TmxUnit]]:
        """``(source text, target text, unit)`` for every unit holding both
        languages (compared by primary subtag), in file order; empty texts are
        left out."""
        src, tgt = primary(source), primary(target)
        for unit in self.units:
            a, b = unit.texts.get(src, "").strip(), unit.texts.get(tgt, "").strip()
            if a and b:
                yield a, b, unit


def read_tmx(data: bytes, path: Path) -> TmxMemory:
    """Parse the TMX document ``data`` (read from ``path``, named in errors).

    Raises :class:`~pipeline.errors.ExchangeError` with the line for a file
    that is not well-formed XML, has a document type with an internal subset,
    is not TMX (root element, ``<body>``), or has a ``<tuv>`` without a
    language or a ``<seg>``.
    """
    root = parse_untrusted(data, path, what="TMX", hint=_HINT, remove_comments=True)
    if etree.QName(root).localname != "tmx" or root.nsmap.get(None):
        raise ExchangeError(
            f"not a TMX file: the root element is <{etree.QName(root).localname}>, not <tmx>",
            path=path,
            line=root.sourceline,
            hint=_HINT,
        )
    header = root.find("header")
    markdown = header is not None and (
        header.get("datatype", "").lower() == "x-markdown"
        or header.get("creationtool", "").lower() == "pipeline"
    )
    body = root.find("body")
    if body is None:
        raise ExchangeError(
            "not a TMX file: <tmx> has no <body>", path=path, line=root.sourceline, hint=_HINT
        )
    languages: dict[str, None] = {}
    units: list[TmxUnit] = []
    for tu in body.iterchildren("tu"):
        texts: dict[str, str] = {}
        for tuv in tu.iterchildren("tuv"):
            lang = (tuv.get(_XML_LANG) or tuv.get("lang") or "").strip()
            if not lang:
                raise ExchangeError(
                    "a <tuv> without xml:lang", path=path, line=tuv.sourceline, hint=_HINT
                )
            seg = tuv.find("seg")
            if seg is None:
                raise ExchangeError(
                    "a <tuv> without <seg>", path=path, line=tuv.sourceline, hint=_HINT
                )
            languages.setdefault(lang, None)
            texts.setdefault(primary(lang), _text(seg, markdown))
        line = tu.sourceline or 0
        units.append(TmxUnit(tu.get("tuid") or f"line {line}", line, texts))
    return TmxMemory(path, tuple(languages), tuple(units))


def _text(element: etree._Element, keep_codes: bool) -> str:
    """The text of a ``<seg>`` (or ``<hi>``): its text, with the content of its
    inline codes when they hold Markdown (``keep_codes``)."""
    parts = [element.text or ""]
    for child in element:
        if not isinstance(child.tag, str):
            parts.append(child.tail or "")
            continue
        if child.tag in _CODES:
            if keep_codes:
                parts.append("".join(child.itertext()))
        else:
            parts.append(_text(child, keep_codes))
        parts.append(child.tail or "")
    return "".join(parts)
