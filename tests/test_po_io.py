# ruff: noqa: RUF001 - the test text is full of typographic and CJK punctuation on purpose
"""PO files written byte for byte as gettext writes them, checked with real msgcat/msgfmt."""

from __future__ import annotations

import ctypes
import os
import random
import subprocess
from pathlib import Path

import pytest

from pipeline.catalog import linebreak
from pipeline.catalog.catalog import Catalog
from pipeline.catalog.po_io import PoEntry, PoFile, dumps, format_string, parse
from pipeline.source.segment import Segment

LONG = "A very long paragraph " * 8 + "that gettext must wrap."
SPACES = "many          spaces          between          words          " * 3
SPANISH = (
    "«¿Qué pasó?», preguntó la señora Núñez — y nadie, ni siquiera el pingüino del "
    "zoológico, supo contestarle con la exactitud que una acción así merecía."
)
CJK = "中文字符很宽中文字符很宽中文字符很宽中文字符很宽，日本語の文章も「括弧」も。" * 2
ESCAPES = 'She said "hola" and left C:\\path\\ with a tab\there and a bell\a.' * 2
LINES = "First line\nsecond line is long enough " + "to wrap " * 10 + "\nthird\n"
DASHES = "word-word-word-word-word-word-word-word-word-word-word-word-word-word—dash"
TEXTS = [LONG, SPACES, SPANISH, CJK, ESCAPES, LINES, DASHES, "short", "x" * 120]
ALPHABET = (
    list("abcdefghij klmnop   qrst uvwxyz ABC 0123456789.,;:!?¿¡-–—/\\\"'()[]{}<>*_`#%$€+=&@|~^")
    + list("\n\táéíóúñüÁÉ«»“”‘’…·•中文字符、。「」（）！？の日本語ー😀가")
    + ["\u00a0", "\u2009", "\u200b", "\u0301", "\u200d", "\u2028", "\x01"]
)


SPECIAL = "\n\u200b\u0301\u200d\u2028\x01\U0001f1ea\U0001f1f8"
"""Characters the fast line breaking path leaves to the general one."""


def msgcat(path: Path, *args: str) -> bytes:
    done = subprocess.run(
        ["msgcat", *args, str(path)], capture_output=True, check=False, env=_c_locale()
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def msgfmt_warnings(path: Path) -> str:
    done = subprocess.run(
        ["msgfmt", "-c", "--check-format", "-o", os.devnull, str(path)],
        capture_output=True,
        text=True,
        check=False,
        env=_c_locale(),
    )
    assert done.returncode == 0, done.stderr
    return done.stderr


def _c_locale() -> dict[str, str]:
    return {**os.environ, "LC_ALL": "C.UTF-8"}


def seg(sid: str, source: str, index: int) -> Segment:
    return Segment(id=sid, kind="paragraph", source=source, line=index + 1, index=index)


def tricky_catalog(path: Path) -> Catalog:
    """Every kind of entry: new, machine (fuzzy), needs review (#|), reviewed, obsolete."""
    catalog = Catalog.load(path, lang="es", source_lang="en", book="book")
    segments = [seg(f"t{i}", text, i) for i, text in enumerate(TEXTS)]
    catalog.merge(segments, "content/en/book.md")
    for i, text in enumerate(TEXTS[:-1]):
        catalog.set_machine(f"t{i}", text[::-1].strip("\n") or "x", "apertium", "3.8.3", ["qa"])
    catalog.approve("t0", "Ana Ruiz <ana@example.org>", when="2024-05-01T10:00:00+02:00")
    catalog.approve("t2", "Ana Ruiz <ana@example.org>", when="2024-05-01T10:00:00+02:00")
    catalog.approve("t3", "Luis", when="2024-05-02T09:30:00+02:00")
    catalog.save()
    catalog = Catalog.load(path, lang="es", source_lang="en", book="book")
    changed = [seg("t0b", LONG.replace("paragraph", "chapter", 1), 0), *segments[1:2]]
    changed += [seg("t3b", CJK.replace("日本語", "中文", 1), 3), *segments[4:]]
    catalog.merge(changed, "content/en/book.md")  # t0b, t3b need review; t2 obsolete
    catalog.save()
    return catalog


def test_a_catalogue_is_written_as_msgcat_writes_it(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    tricky_catalog(path)
    text = path.read_text(encoding="utf-8")
    assert '#| msgid ""\n' in text and "#~ msgctxt" in text and '"#, fuzzy\n' not in text
    assert msgcat(path) == path.read_bytes()
    assert msgcat(path, "--width=79") == path.read_bytes()  # 79 is gettext's default
    assert msgfmt_warnings(path) == ""


def test_msgcat_output_goes_through_the_pipeline_unchanged(tmp_path: Path) -> None:
    """A round trip through msgcat and a build leaves no diff."""
    path = tmp_path / "book.po"
    tricky_catalog(path)
    # msgcat with another width rewraps everything; back to 79, then through the pipeline.
    path.write_bytes(msgcat(path, "--width=40"))
    path.write_bytes(msgcat(path))
    before = path.read_bytes()
    catalog = Catalog.load(path, lang="es", source_lang="en", book="book")
    assert catalog.save() is False
    assert path.read_bytes() == before


def test_msgmerge_output_goes_through_the_pipeline_unchanged(tmp_path: Path) -> None:
    """msgmerge against the catalogue itself (same extracted comments) changes nothing."""
    path = tmp_path / "book.po"
    tricky_catalog(path)
    merged = tmp_path / "merged.po"
    subprocess.run(
        ["msgmerge", "-q", "--no-fuzzy-matching", "-o", str(merged), str(path), str(path)],
        check=True,
        env=_c_locale(),
    )
    before = merged.read_bytes()
    catalog = Catalog.load(merged, lang="es", source_lang="en", book="book")
    assert catalog.save() is False
    assert merged.read_bytes() == before


@pytest.mark.parametrize("seed", range(4))
def test_random_strings_wrap_as_gettext_wraps_them(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)

    def text(longest: int) -> str:
        return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, longest)))

    header = "Project-Id-Version: x\nContent-Type: text/plain; charset=UTF-8\n"
    po = PoFile(header=PoEntry(msgid="", msgstr=header))
    for i in range(150):
        entry = PoEntry(msgctxt=f"p{i}", msgid=text(200), msgstr=text(300))
        entry.references = [f"content/en/book.md:{i}"]
        if rng.random() < 0.3:
            entry.flags, entry.previous_msgid = ["fuzzy"], text(150)
        if rng.random() < 0.2:
            entry.comments = [text(30).replace("\n", " ").rstrip("\\"), ""]
            entry.extracted = ["paragraph", "pipeline: mt x 1"]
        po.entries.append(entry)
    for i in range(20):
        entry = PoEntry(msgctxt=f"o{i}", msgid=text(200), msgstr=text(200), obsolete=True)
        entry.previous_msgid = rng.choice([None, text(100)])
        po.entries.append(entry)
    path = tmp_path / "random.po"
    path.write_text(dumps(po), encoding="utf-8")
    assert msgcat(path).decode("utf-8") == dumps(po)
    assert dumps(parse(path.read_bytes(), path)) == dumps(po)


def test_gettext_breaks_after_spaces_and_inside_cjk() -> None:
    lines = format_string("msgid", "word " * 20)
    assert lines[0] == 'msgid ""'
    assert all(line.endswith(' "') for line in lines[1:-1])  # after the space, not before
    assert max(len(line) for line in lines) <= 79
    cjk = format_string("msgstr", "字" * 60)
    assert [len(line) for line in cjk] == [len('msgstr ""'), 38 + 2, 22 + 2]  # 2 columns each
    assert format_string("msgid", "a\nb\n") == ['msgid ""', '"a\\n"', '"b\\n"']
    assert format_string("msgid", "x" * 100) == [f'msgid "{"x" * 100}"']


def test_comments_and_flags_are_kept_verbatim(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    path.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        "# A note with trailing spaces  \n#\n#   indented\n#. paragraph\n#: a.md:1\n"
        '#, fuzzy, no-wrap\nmsgctxt "p1"\nmsgid "\\101\\x42 \\a"\nmsgstr "x"\n\n'
        '#~| msgid "older"\n#~ msgctxt "p0"\n#~ msgid "old"\n#~ msgstr "viejo"\n',
        encoding="utf-8",
    )
    po = parse(path.read_bytes(), path)
    entry, obsolete = po.entries
    assert entry.comments == ["A note with trailing spaces  ", "", "  indented"]
    assert entry.flags == ["fuzzy", "no-wrap"] and entry.msgid == "AB \a"
    assert obsolete.obsolete and obsolete.previous_msgid == "older"
    assert dumps(po).encode() == msgcat(path)


def test_line_breaking_agrees_with_libunistring() -> None:
    """The tables and rules agree with the library gettext uses, on random text."""
    lib = ctypes.CDLL("libunistring.so.2")
    lib.u8_possible_linebreaks.argtypes = [ctypes.c_char_p, ctypes.c_size_t] + [ctypes.c_char_p] * 2
    lib.u8_width_linebreaks.argtypes = [ctypes.c_char_p, ctypes.c_size_t] + [ctypes.c_int] * 3
    lib.u8_width_linebreaks.argtypes += [ctypes.c_char_p] * 3
    lib.uc_width.argtypes = [ctypes.c_uint32, ctypes.c_char_p]

    def per_char(text: str, raw: bytes) -> list[int]:
        out, i = [], 0
        for char in text:
            out.append(raw[i])
            i += len(char.encode("utf-8"))
        return out

    rng = random.Random(1)
    for _ in range(20_000):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 30)))
        data = text.encode("utf-8")
        out = ctypes.create_string_buffer(len(data))
        lib.u8_possible_linebreaks(data, len(data), b"UTF-8", out)
        assert linebreak.possible_breaks(text) == per_char(text, out.raw), repr(text)
        width, start = rng.randint(1, 20), rng.randint(0, 10)
        overrides = [rng.choice([None, None, 1, 2]) for _ in text]
        raw_overrides = bytearray(len(data))
        i = 0
        for char, value in zip(text, overrides, strict=True):
            raw_overrides[i] = value or 0
            i += len(char.encode("utf-8"))
        lib.u8_width_linebreaks(
            data, len(data), width, start, 0, bytes(raw_overrides), b"UTF-8", out
        )
        expected = per_char(text, out.raw)
        sparse = {i: value for i, value in enumerate(overrides) if value is not None}
        assert linebreak.width_breaks(text, width, start, sparse) == expected, repr(text)
        cuts = [i for i, value in enumerate(expected) if value == linebreak.POSSIBLE]
        assert linebreak.line_breaks(text, width, start, sparse) == cuts, repr(text)
        plain = "".join(c for c in text if c not in SPECIAL)
        if plain:
            data = plain.encode("utf-8")
            lib.u8_width_linebreaks(data, len(data), width, start, 0, None, b"UTF-8", out)
            cuts = [i for i, v in enumerate(per_char(plain, out.raw)) if v == linebreak.POSSIBLE]
            assert linebreak.line_breaks(plain, width, start, {}) == cuts, repr(plain)
    for code in range(0, 0x110000, 7):
        assert linebreak.char_width(chr(code)) == lib.uc_width(code, b"UTF-8"), hex(code)


LATIN_PIECES = [
    *"abcdefghijklmnopqrstuvwxyzABCXYZ0123456789",
    *"áéíóúñüÁÉÑ¿¡«»ºª°·×÷§¶©®µ",
    "\u00ad",
    "año",
    "¿Qué?",
    "«cita»",
    *" " * 12,
    *"  ",
    *".,;:!?'\"()[]{}<>/\\-_+=*&%$#@~`^|",
    "word",
    "https://example.org/a-long/path?q=1&r=2",
    "--",
    "1,234.5",
    "e.g.",
    "(see",
    "$10",
    "50%",
    "\\n",
]


def test_latin_lines_break_where_libunistring_breaks_them() -> None:
    """Latin text of one column a character (most of an English or Spanish
    catalogue) takes a path of its own, which looks only near each line's end:
    it must cut where gettext's library cuts, with and without positions where
    no break may go (an escape's two characters)."""
    lib = ctypes.CDLL("libunistring.so.2")
    lib.u8_width_linebreaks.argtypes = [ctypes.c_char_p, ctypes.c_size_t] + [ctypes.c_int] * 3
    lib.u8_width_linebreaks.argtypes += [ctypes.c_char_p] * 3
    rng = random.Random(7)
    for _ in range(6_000):
        text = "".join(rng.choice(LATIN_PIECES) for _ in range(rng.randint(1, 90)))
        data = text.encode("utf-8")
        width, start = rng.randint(1, 80), rng.randint(0, 20)
        refused = {i for i in range(1, len(text)) if rng.random() < 0.05}
        raw = b"".join(
            bytes([linebreak.PROHIBITED if i in refused else 0]) + bytes(len(c.encode()) - 1)
            for i, c in enumerate(text)
        )
        out = ctypes.create_string_buffer(len(data))
        lib.u8_width_linebreaks(data, len(data), width, start, 0, raw, b"UTF-8", out)
        firsts = [out.raw[len(text[:i].encode())] for i in range(len(text))]  # each character's
        cuts = [i for i, value in enumerate(firsts) if value == linebreak.POSSIBLE]
        overrides = dict.fromkeys(refused, linebreak.PROHIBITED)
        assert linebreak.line_breaks(text, width, start, overrides) == cuts, (text, width, start)
