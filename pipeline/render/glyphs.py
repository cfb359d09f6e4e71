"""Every glyph drawn: fallback fonts for what the book font cannot draw.

Linux Libertine draws Latin, Greek and Cyrillic text, but not emoji, most
symbols, Thai, CJK, Devanagari or Hangul. :data:`FALLBACK_FONTS` lists, in order
of preference, the fonts that draw them (Debian packages in brackets, installed
by ``scripts/setup.sh``); fontconfig finds them offline.

The fallback fonts are not simply appended to the book's ``font-family``:
Pango then takes the emoji font for digits, spaces and ``#`` (they are emoji
keycap bases), and for invisible format characters such as the word joiner
that binds Spanish rayas, so an ordinary book would embed an emoji font. So the
PDF renderer runs :func:`fallback_spans` over the edition's HTML before layout:
each run of characters the book face of its context lacks (Libertine, or
Libertine Mono in code) is put in a ``<span class="glyph-fallback">`` whose
``font-family`` is the book face followed by the fallback fonts. Text the book
font can set never sees a fallback font, and a book without such characters
embeds the book fonts only.

The EPUB embeds the fallback fonts a book needs, subset to its characters
(:func:`fallback_files`).
"""

from __future__ import annotations

import logging
import subprocess
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .htmltext import characters, rewrite

__all__ = [
    "BOOK_FACES",
    "CODE_ELEMENTS",
    "CODE_FACE",
    "FALLBACK_CLASS",
    "FALLBACK_FONTS",
    "FontFile",
    "code_advance",
    "fallback_files",
    "fallback_spans",
    "fallback_stack",
    "font_file",
    "needs_fallback",
]

log = logging.getLogger(__name__)

BOOK_FACES = ("Regular", "Italic", "Bold", "Bold Italic")
"""Styles of the book family (``Linux Libertine O``) whose characters count as drawn."""

BOOK_FAMILY = "Linux Libertine O"
CODE_FACE = "Linux Libertine Mono O"
"""The family code is set in."""

CODE_ELEMENTS = frozenset({"code", "pre", "kbd", "samp", "tt"})
"""Elements set in :data:`CODE_FACE`."""

FALLBACK_CLASS = "glyph-fallback"

FALLBACK_FONTS: tuple[tuple[str, str], ...] = (
    ("Noto Color Emoji", "fonts-noto-color-emoji"),
    ("Symbola", "fonts-symbola"),
    ("Noto Sans CJK SC", "fonts-noto-cjk"),
    ("Noto Sans Thai", "fonts-noto-core"),
    ("Noto Sans Devanagari", "fonts-noto-core"),
    ("Noto Sans Bengali", "fonts-noto-core"),
    ("Noto Sans Tamil", "fonts-noto-core"),
    ("Noto Sans Hebrew", "fonts-noto-core"),
    ("Noto Sans Arabic", "fonts-noto-core"),
    ("Noto Sans Georgian", "fonts-noto-core"),
    ("Noto Sans Armenian", "fonts-noto-core"),
    ("Noto Sans Ethiopic", "fonts-noto-core"),
    ("Noto Sans Math", "fonts-noto-core"),
    ("Noto Sans Symbols", "fonts-noto-core"),
    ("Noto Sans Symbols2", "fonts-noto-core"),
    ("Noto Sans", "fonts-noto-core"),
)
"""Fallback families, first choice first, with the Debian package of each."""

CJK_FAMILY = "Noto Sans CJK SC"
"""Preferred for Chinese, Japanese and Korean text (:func:`is_cjk`), even where
a font before it in :data:`FALLBACK_FONTS` has the character: Symbola has a few
ideographs, and a line must not mix two designs of them."""

_CJK_RANGES = (
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x2E80, 0x9FFF),  # radicals, CJK symbols and punctuation, kana, ideographs
    (0xA960, 0xA97F),  # Hangul Jamo Extended-A
    (0xAC00, 0xD7FF),  # Hangul syllables, Jamo Extended-B
    (0xF900, 0xFAFF),  # compatibility ideographs
    (0xFE30, 0xFE4F),  # compatibility forms
    (0xFF00, 0xFFEF),  # half- and full-width forms
    (0x20000, 0x3FFFF),  # supplementary ideographs
)

_JOINERS = frozenset("\u200d\ufe0e\ufe0f\u20e3")
"""Zero width joiner, variation selectors, combining keycap: they belong to the
emoji sequence around them (so do marks and format characters, such as the tags
of a subdivision flag, after a character set in a fallback font)."""


_ATTACHED = frozenset({"Mn", "Mc", "Me", "Cf"})
"""Categories of characters that go with the character before them."""


@dataclass(frozen=True, slots=True)
class FontFile:
    """One face of a family, as fontconfig lists it."""

    family: str
    path: Path
    index: int
    """Face number in a font collection (``.ttc``), else 0."""


@cache
def font_file(family: str, style: str = "Regular") -> FontFile | None:
    """The file of ``family``'s ``style`` face (or of its first face), from
    ``fc-list``; ``None`` if fontconfig does not know the family."""
    try:
        result = subprocess.run(
            ["fc-list", "--format", "%{file}\t%{index}\t%{family}\t%{style}\n", family],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    faces: list[tuple[bool, str, int]] = []
    for line in sorted(result.stdout.splitlines()):
        path, index, families, styles = [*line.split("\t"), "", "", ""][:4]
        if family.casefold() not in {name.strip().casefold() for name in families.split(",")}:
            continue  # a fontconfig substitute, not the family
        other_style = style not in {name.strip() for name in styles.split(",")}
        faces.append((other_style, path, int(index or 0)))
    if not faces:
        return None
    _, found, number = min(faces)
    return FontFile(family, Path(found), number)


@cache
def _cmap(face: FontFile) -> frozenset[int]:
    """The code points ``face`` has glyphs for."""
    from fontTools.ttLib import TTFont

    try:
        font = TTFont(str(face.path), fontNumber=face.index, lazy=True)
        return frozenset(font.getBestCmap() or {})
    except Exception as exc:  # a damaged font file draws nothing
        log.warning("cannot read the font %s: %s", face.path, exc)
        return frozenset()


@cache
def _drawn(family: str, styles: tuple[str, ...]) -> frozenset[int]:
    """Code points every one of ``styles`` of ``family`` draws (empty if not installed)."""
    sets = [_cmap(face) for style in styles if (face := font_file(family, style)) is not None]
    return frozenset.intersection(*sets) if sets else frozenset()


def _book_drawn(code: bool) -> frozenset[int]:
    return _drawn(CODE_FACE, ("Mono",)) if code else _drawn(BOOK_FAMILY, BOOK_FACES)


def is_cjk(char: str) -> bool:
    """Whether ``char`` is Chinese, Japanese or Korean script (or its punctuation)."""
    code = ord(char)
    return any(low <= code <= high for low, high in _CJK_RANGES)


def _families(char: str) -> list[str]:
    """Fallback families to try for ``char``, in order."""
    families = [family for family, _ in FALLBACK_FONTS]
    if is_cjk(char) and CJK_FAMILY in families:
        families.remove(CJK_FAMILY)
        families.insert(0, CJK_FAMILY)
    return families


@cache
def code_advance() -> float:
    """The width of one character of :data:`CODE_FACE`, in ems (0.6 if it cannot be read)."""
    face = font_file(CODE_FACE, "Mono")
    if face is None:
        return 0.6
    from fontTools.ttLib import TTFont

    try:
        font = TTFont(str(face.path), fontNumber=face.index, lazy=True)
        glyph = (font.getBestCmap() or {}).get(ord("0"), "zero")
        return float(font["hmtx"][glyph][0]) / float(font["head"].unitsPerEm)
    except Exception as exc:  # a damaged font: a safe guess
        log.debug("cannot read %s: %s", face.path, exc)
        return 0.6


def needs_fallback(char: str, drawn: frozenset[int]) -> bool:
    """Whether ``char`` must be set in a fallback font: the book face lacks it
    and it is visible (spaces, controls and format characters such as the word
    joiner are not, and take no font of their own)."""
    if ord(char) in drawn or char.isspace():
        return False
    return unicodedata.category(char) not in ("Cc", "Cf", "Zs", "Zl", "Zp")


def _marked(chars: list[str], drawn: frozenset[int]) -> list[bool]:
    """Which of ``chars`` go into a fallback run (whole emoji sequences and
    combining sequences included)."""
    marks = [needs_fallback(c, drawn) for c in chars]
    for i, char in enumerate(chars):
        if char in ("\ufe0f", "\u20e3") and i:  # keycap and emoji presentation: 1️⃣ #️⃣
            marks[i] = marks[i - 1] = True
    for i, char in enumerate(chars):
        if i and marks[i - 1] and (char in _JOINERS or unicodedata.category(char) in _ATTACHED):
            marks[i] = True
    return marks


def fallback_stack(code: bool = False, cjk: bool = False) -> str:
    """The CSS ``font-family`` of a fallback run: the book face, then
    :data:`FALLBACK_FONTS` (:data:`CJK_FAMILY` first for a ``cjk`` run)."""
    first = f'"{CODE_FACE}"' if code else f'"{BOOK_FAMILY}"'
    fallbacks = ", ".join(f'"{family}"' for family in _families("\u4e00" if cjk else "a"))
    return f"{first}, {fallbacks}, {'monospace' if code else 'serif'}"


def _style() -> str:
    """The rules of the fallback runs, as a ``<style>`` element."""
    rules = []
    for cjk in (False, True):
        name = f".{FALLBACK_CLASS}{'.cjk' if cjk else ''}"
        code = ", ".join(f"{element} {name}" for element in sorted(CODE_ELEMENTS))
        rules.append(f"{name} {{ font-family: {fallback_stack(cjk=cjk)}; }}")
        rules.append(f"{code} {{ font-family: {fallback_stack(code=True, cjk=cjk)}; }}")
    return "<style>\n" + "\n".join(rules) + "\n</style>\n"


def _families_for(chars: Iterable[str]) -> tuple[dict[str, set[str]], set[str]]:
    """Which fallback family draws each of ``chars`` (the first that has it),
    and the characters none of the installed ones draws."""
    chosen: dict[str, set[str]] = {}
    missing: set[str] = set()
    for char in chars:
        for family in _families(char):
            face = font_file(family)
            if face is not None and ord(char) in _cmap(face):
                chosen.setdefault(family, set()).add(char)
                break
        else:
            missing.add(char)
    return chosen, missing


def _report_missing(missing: set[str]) -> None:
    """Warn, once per edition, about characters no installed font draws."""
    if not missing:
        return
    shown = sorted(missing)[:8]
    listed = ", ".join(f"{c} (U+{ord(c):04X})" for c in shown)
    more = f" and {len(missing) - len(shown)} more" if len(missing) > len(shown) else ""
    absent = sorted({pkg for family, pkg in FALLBACK_FONTS if font_file(family) is None})
    hint = (
        f"install the fallback fonts: apt-get install -y {' '.join(absent)}"
        if absent
        else "no fallback font has them; they are left as they are"
    )
    log.warning("no installed font draws %s%s: they print as empty boxes (%s)", listed, more, hint)


def fallback_spans(html: str) -> str:
    """``html`` with every run of characters the book face lacks set in a
    ``<span class="glyph-fallback">`` (whose font-family lists the fallback
    fonts, in a ``<style>`` added to the head), and a warning naming the
    characters that no installed font draws. Markup is left byte for byte."""
    wanted: set[str] = set()
    book, code = _book_drawn(code=False), _book_drawn(code=True)
    if not any(needs_fallback(c, book) or needs_fallback(c, code) for c in set(html)):
        return html  # the usual book: nothing to do, and no parsing

    fine = {False: {c for c in set(html) if not needs_fallback(c, book)}, True: set()}
    fine[True] = {c for c in set(html) if not needs_fallback(c, code)}

    def text(raw: str, stack: tuple[str, ...]) -> str:
        in_code = not CODE_ELEMENTS.isdisjoint(stack)
        if fine[in_code].issuperset(raw):
            return raw  # most pieces: the book face draws all of them
        drawn = code if in_code else book
        pieces = list(characters(raw))
        marks = _marked([char for _, char in pieces], drawn)
        if not any(marks):
            return raw
        out: list[str] = []
        run: bool | None = None  # the open run: None, or whether it is CJK
        for (piece, char), mark in zip(pieces, marks, strict=True):
            kind = (is_cjk(char) if run is None or not char.isspace() else run) if mark else None
            if run is not None and kind != run:
                out.append("</span>")
            if kind is not None and kind != run:
                out.append(f'<span class="{FALLBACK_CLASS}{" cjk" if kind else ""}">')
            run = kind
            if mark and needs_fallback(char, drawn):
                wanted.add(char)
            out.append(piece)
        if run is not None:
            out.append("</span>")
        return "".join(out)

    result = rewrite(html, text)
    if not wanted:
        return html
    _, missing = _families_for(wanted)
    _report_missing(missing)
    head_end = result.find("</head>")
    if head_end < 0:
        return _style() + result
    return result[:head_end] + _style() + result[head_end:]


def fallback_files(text: str) -> dict[str, tuple[FontFile, str]]:
    """The fallback faces an EPUB of ``text`` embeds: family → (face, the
    characters of ``text`` it draws), in the order of :data:`FALLBACK_FONTS`.
    Characters the book font draws take no fallback; those no font draws are
    reported once."""
    drawn = _book_drawn(code=False)
    chars = [c for c in sorted(set(text)) if needs_fallback(c, drawn)]
    chosen, missing = _families_for(chars)
    _report_missing(missing)
    out: dict[str, tuple[FontFile, str]] = {}
    for family, _ in FALLBACK_FONTS:
        face = font_file(family)
        if family in chosen and face is not None:
            out[family] = (face, "".join(sorted(chosen[family])))
    return out
