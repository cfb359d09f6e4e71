"""Regenerate ``pipeline/catalog/unidata.py``: the Unicode tables of the PO writer.

gettext wraps PO strings with GNU libunistring's line breaking (UAX #14) and
its column widths. To write byte for byte what ``msgcat`` writes, the pipeline
carries the same data:

- line break classes from the Unicode Character Database's ``LineBreak.txt``
  (Debian: ``apt-get install unicode-data``), with the classes libunistring
  resolves at run time folded in (AI, SA, XX → AL; CB → ID; CJ → NS; NL → BK)
  and the opening/closing punctuation libunistring treats as East Asian wide
  (UAX #14 rule LB30) marked ``OPW``/``CPW``;
- column widths and the pair table read from the installed libunistring itself
  (the library ``msgcat`` links), so they agree with it exactly.

Run ``python scripts/gen_unidata.py [LineBreak.txt]``; the tests
(``tests/test_po_io.py``) compare the result with libunistring and ``msgcat``.
"""

from __future__ import annotations

import collections
import ctypes
import sys
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "pipeline" / "catalog" / "unidata.py"
FOLD = {"AI": "AL", "SA": "AL", "XX": "AL", "SG": "AL", "CB": "ID", "CJ": "NS", "NL": "BK"}
SPECIAL = {"BK", "CR", "LF", "SP", "ZW", "CM", "ZWJ"}

lib = ctypes.CDLL("libunistring.so.2")
lib.u8_possible_linebreaks.argtypes = [
    ctypes.c_char_p,
    ctypes.c_size_t,
    ctypes.c_char_p,
    ctypes.c_char_p,
]
lib.uc_width.argtypes = [ctypes.c_uint32, ctypes.c_char_p]


def breaks(text: str) -> list[int]:
    """libunistring's break opportunities, one per character."""
    data = text.encode("utf-8")
    out = ctypes.create_string_buffer(len(data))
    lib.u8_possible_linebreaks(data, len(data), b"UTF-8", out)
    result, i = [], 0
    for ch in text:
        result.append(out.raw[i])
        i += len(ch.encode("utf-8"))
    return result


def read_classes(path: Path) -> list[str]:
    classes = ["XX"] * 0x110000
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        where, name = (part.strip() for part in line.split(";"))
        first, _, last = where.partition("..")
        for cp in range(int(first, 16), int(last or first, 16) + 1):
            classes[cp] = name
    for cp, name in enumerate(classes):
        name = FOLD.get(name, name)
        if name == "OP" and breaks("a" + chr(cp))[1] == 2:
            name = "OPW"
        elif name == "CP" and breaks(chr(cp) + "a")[1] == 2:
            name = "CPW"
        classes[cp] = name
    return classes


def pair_table(classes: list[str]) -> tuple[list[str], list[str]]:
    members = collections.defaultdict(list)
    for cp, name in enumerate(classes):
        if unicodedata.category(chr(cp)) not in ("Cn", "Cs", "Co"):
            members[name].append(cp)
    names = sorted(n for n in members if n not in SPECIAL)
    rows = []
    for a in names:
        row = ""
        some_a = members[a][:: max(1, len(members[a]) // 8)][:8]
        for b in names:
            some_b = members[b][:: max(1, len(members[b]) // 8)][:8]
            votes: collections.Counter[str] = collections.Counter()
            for x in some_a:
                for y in some_b:
                    direct = breaks(chr(x) + chr(y))[1]
                    spaced = breaks(chr(x) + " " + chr(y))[2]
                    votes[{(2, 2): "D", (1, 2): "I"}.get((direct, spaced), "P")] += 1
            row += votes.most_common(1)[0][0]
        rows.append(row)
    return names, rows


def runs(values: list[str]) -> list[str]:
    out, previous = [], None
    for cp, value in enumerate(values):
        if value != previous:
            out.append(f"{cp:x}:{value}")
            previous = value
    return out


def chunked(tokens: list[str], width: int = 88) -> str:
    lines, line = [], ""
    for token in tokens:
        if len(line) + len(token) + 1 > width:
            lines.append(line)
            line = ""
        line += token + " "
    lines.append(line)
    return "\n".join(f'    "{x}"' for x in lines if x)


def main() -> None:
    source = Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/unicode/LineBreak.txt")
    classes = read_classes(source)
    names, rows = pair_table(classes)
    widths = [str(lib.uc_width(cp, b"UTF-8")) for cp in range(0x110000)]
    version = source.read_text(encoding="utf-8").split("\n", 1)[0].lstrip("# ").strip()
    chunked_names = "\n".join(f"    {n!r}," for n in names)
    table = "\n".join(f'    "{row}",  # {name}' for name, row in zip(names, rows, strict=True))
    OUT.write_text(
        f'''"""Unicode data for wrapping PO strings as gettext does (generated: do not edit).

Made by ``scripts/gen_unidata.py`` from {version} and GNU libunistring.
"""

PAIR_CLASSES = (
{chunked_names}
)
"""Line break classes with a row and column in :data:`PAIR_TABLE`."""

PAIR_TABLE = (
{table}
)
"""UAX #14 pair table: ``D`` break, ``I`` break only after spaces, ``P`` never."""

LINE_BREAK_RUNS = (
{chunked(runs(classes))}
)
"""``first-code-point:class`` runs, hex, space separated."""

WIDTH_RUNS = (
{chunked(runs(widths))}
)
"""``first-code-point:columns`` runs (``-1``: a control character), hex."""
''',
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
