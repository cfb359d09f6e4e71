"""One font subset per font in a PDF joined from parts (pipeline.render.pdf_chapters).

Each part laid out by WeasyPrint embeds its own subset of every font it uses.
WeasyPrint subsets with HarfBuzz keeping the glyph ids of the full font
(``RETAIN_GIDS``) and writes text with those ids (``Identity-H``), so the
subsets of one font in several parts differ only in which glyphs they carry.
:func:`merge_font_subsets` makes one of them carry the glyphs of all (glyph
outlines with fontTools, the ``/W`` widths, the ``/ToUnicode`` map and the
``/CIDSet`` as unions) and points every part's resources at it; the others
become orphans that the writer drops. A font it cannot merge (a bitmap font,
an unexpected table) is left as it was: the PDF is then bigger, never wrong.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from ..fsutil import kept

__all__ = ["merge_font_subsets"]

log = logging.getLogger(__name__)

_BFCHAR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>")


def merge_font_subsets(pdf: Any, cache: Path | None = None) -> int:
    """Merge the subsets of each font used by the pages of ``pdf`` (a
    ``pikepdf.Pdf``); how many fonts were merged.

    Merged fonts are kept in the folder ``cache`` (``*.font``), when given, for
    the next join of the same subsets. The subsets merged away are left
    unreferenced, and qpdf does not write them."""
    from pikepdf import Name

    groups: dict[tuple[str, ...], dict[tuple[int, int], Any]] = defaultdict(dict)
    resources = _resources(pdf)
    for res in resources:
        fonts = res.get(Name.Font)
        if fonts is None:
            continue
        for font in fonts.values():
            key = _font_key(font)
            if key is not None and font.is_indirect:
                groups[key][font.objgen] = font
    merged: dict[tuple[int, int], Any] = {}
    for key, found in groups.items():
        if len(found) < 2:
            continue
        ordered = list(found.values())
        try:
            target = _merge(pdf, ordered, cache)
        except Exception as exc:  # fontTools, odd fonts: keep the subsets as they are
            log.debug("font %s not merged: %s: %s", key[0], type(exc).__name__, exc)
            continue
        for font in ordered:
            merged[font.objgen] = ordered[target]
    if not merged:
        return 0
    for res in resources:
        fonts = res.get(Name.Font)
        if fonts is None:
            continue
        for name in list(fonts.keys()):
            font = fonts[name]
            if font.is_indirect and font.objgen in merged:
                fonts[name] = merged[font.objgen]
    return len({font.objgen for font in merged.values()})


def _resources(pdf: Any) -> list[Any]:
    """The resource dictionaries of the pages of ``pdf`` and of the form
    XObjects they draw (the folios stamped at the join, for one), each once."""
    from pikepdf import Name

    found: list[Any] = []
    seen: set[tuple[int, int]] = set()

    def add(res: Any) -> None:
        if res.is_indirect:
            if res.objgen in seen:
                return
            seen.add(res.objgen)
        found.append(res)
        forms = res.get(Name.XObject)
        for form in forms.values() if forms is not None else ():
            if form.get(Name.Subtype) == Name.Form and Name.Resources in form:
                add(form[Name.Resources])

    for page in pdf.pages:
        res = page.obj.get(Name.Resources)
        if res is not None:
            add(res)
    return found


def _font_key(font: Any) -> tuple[str, ...] | None:
    """What makes two subsets subsets of one font (``None``: not a font this merges)."""
    if font.get("/Subtype") != "/Type0" or font.get("/Encoding") != "/Identity-H":
        return None
    descendant = font["/DescendantFonts"][0]
    descriptor = descendant["/FontDescriptor"]
    program = "/FontFile3" if "/FontFile3" in descriptor else "/FontFile2"
    if program not in descriptor or descendant.get("/CIDToGIDMap", "/Identity") != "/Identity":
        return None
    name = str(font.get("/BaseFont", ""))
    return (name.split("+", 1)[-1], str(descendant["/Subtype"]), program)


def _merge(pdf: Any, fonts: list[Any], cache: Path | None = None) -> int:
    """Make one of ``fonts`` (subsets of one font) carry all their glyphs; its index."""
    from fontTools.ttLib import TTFont
    from pikepdf import Array, Name, Stream

    descendants = [font["/DescendantFonts"][0] for font in fonts]
    descriptors = [d["/FontDescriptor"] for d in descendants]
    program = "/FontFile3" if "/FontFile3" in descriptors[0] else "/FontFile2"
    used = [_widths(d.get("/W")) for d in descendants]
    target = max(range(len(fonts)), key=lambda i: (max(used[i], default=0), len(used[i])))
    programs = [d[program].read_bytes() for d in descriptors]
    covered = set(used[target])
    steps: list[tuple[int, list[int]]] = []
    for index in range(len(descriptors)):
        wanted = sorted(set(used[index]) - covered)
        if wanted:
            steps.append((index, wanted))
            covered.update(wanted)

    def merged() -> bytes:
        base = TTFont(io.BytesIO(programs[target]))
        size = len(base.getGlyphOrder())
        for index, wanted in steps:
            if wanted[-1] >= size:
                raise ValueError("a subset with glyphs past the base's last one")
            _copy_glyphs(base, TTFont(io.BytesIO(programs[index])), wanted)
        out = io.BytesIO()
        base.save(out)
        return out.getvalue()

    stored = _stored(cache, programs[target], [(programs[i], wanted) for i, wanted in steps])
    data = kept(stored, merged)
    stream = descriptors[target][program]
    stream.write(data)  # compressed when the PDF is saved
    if "/Length1" in stream:
        stream[Name.Length1] = len(data)

    widths: dict[int, Any] = {}
    for part in used:
        widths.update(part)
    w: list[Any] = []
    run: list[Any] | None = None
    runs: list[tuple[int, list[Any]]] = []
    for cid in sorted(widths):
        if run is None or cid - 1 not in widths:
            run = []
            runs.append((cid, run))
        run.append(widths[cid])
    for cid, values in runs:
        w.extend([cid, Array(values)])
    descendants[target][Name.W] = Array(w)

    if "/CIDSet" in descriptors[target]:
        bits = bytearray((max(widths) + 8) // 8)
        for cid in widths:
            bits[cid // 8] |= 0x80 >> (cid % 8)
        descriptors[target][Name.CIDSet] = Stream(pdf, bytes(bits))

    texts: dict[int, bytes] = {}
    for font in fonts:
        if "/ToUnicode" in font:
            data = font["/ToUnicode"].read_bytes()
            for glyph, text in _BFCHAR.findall(data.split(b"beginbfchar", 1)[-1]):
                texts.setdefault(int(glyph, 16), text)
    if texts:
        fonts[target][Name.ToUnicode] = Stream(pdf, _to_unicode(texts))
    return target


def _stored(cache: Path | None, base: bytes, others: list[tuple[bytes, list[int]]]) -> Path | None:
    """Where the merge of ``others``' glyphs into ``base`` is kept in ``cache``
    (an edit seldom changes a font's subsets, and merging them is the slowest
    step of a join); ``None`` without a cache."""
    if cache is None:
        return None
    import fontTools

    digest = hashlib.sha256(f"merge 1 {fontTools.version}".encode())
    for data, gids in [(base, []), *others]:
        digest.update(b"%d:" % len(data))
        digest.update(data)
        digest.update(repr(gids).encode() + b";")
    return cache / f"{digest.hexdigest()}.font"


def _copy_glyphs(base: Any, other: Any, gids: list[int]) -> None:
    """Copy glyphs ``gids`` (and, in TrueType, their components) from ``other`` into ``base``."""
    order, other_order = base.getGlyphOrder(), other.getGlyphOrder()
    hmtx, other_hmtx = base["hmtx"].metrics, other["hmtx"].metrics
    if "CFF " in base and "CFF " in other:
        strings = base["CFF "].cff.topDictIndex[0].CharStrings
        theirs = other["CFF "].cff.topDictIndex[0].CharStrings
        for gid in gids:
            strings[order[gid]] = theirs[other_order[gid]]
            hmtx[order[gid]] = other_hmtx[other_order[gid]]
        return
    if "glyf" in base and "glyf" in other:
        glyf, other_glyf = base["glyf"], other["glyf"]
        todo = list(gids)
        while todo:
            gid = todo.pop()
            glyph = other_glyf[other_order[gid]]
            if glyph.isComposite():
                for component in glyph.components:
                    if order.index(component.glyphName) != other_order.index(component.glyphName):
                        raise ValueError("glyph names differ between the subsets")
                    todo.append(other_order.index(component.glyphName))
            glyf[order[gid]] = glyph
            hmtx[order[gid]] = other_hmtx[other_order[gid]]
        return
    raise ValueError("outlines neither CFF nor TrueType in both subsets")


def _widths(w: Any) -> dict[int, Any]:
    out: dict[int, Any] = {}
    if w is None:
        return out
    items = list(w)
    i = 0
    while i < len(items):
        first = int(items[i])
        second = items[i + 1]
        if isinstance(second, list) or _is_array(second):
            for offset, width in enumerate(second):
                out[first + offset] = width
            i += 2
        else:
            for cid in range(first, int(second) + 1):
                out[cid] = items[i + 2]
            i += 3
    return out


def _is_array(obj: Any) -> bool:
    import pikepdf

    return isinstance(obj, pikepdf.Array)


def _to_unicode(texts: dict[int, bytes]) -> bytes:
    """A ``/ToUnicode`` CMap giving each glyph id its text."""
    lines = [
        b"/CIDInit /ProcSet findresource begin",
        b"12 dict begin",
        b"begincmap",
        b"/CIDSystemInfo",
        b"<< /Registry (Adobe)",
        b"/Ordering (UCS)",
        b"/Supplement 0",
        b">> def",
        b"/CMapName /Adobe-Identity-UCS def",
        b"/CMapType 2 def",
        b"1 begincodespacerange",
        b"<0000> <ffff>",
        b"endcodespacerange",
    ]
    items = sorted(texts.items())
    for start in range(0, len(items), 100):
        batch = items[start : start + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        lines.extend(b"<%04x> <%s>" % (glyph, text) for glyph, text in batch)
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines)
