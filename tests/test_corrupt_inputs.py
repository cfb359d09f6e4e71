"""Corrupt inputs: one clear error, nothing damaged (issue 8, robustness).

A malformed ``pipeline.toml``, PO catalogue or XLIFF file must end the command
with exit status 1 and one line ``error: FILE[:LINE]: …`` (no traceback),
leave the PO file a reviewer may have edited byte for byte as it was, and
leave the outputs of the previous build untouched. XML attacks (external
entities, billion laughs, DTDs, XInclude) are refused quickly, in bounded
memory, and nothing they point at is ever read into a file or a message.

The cases where the pipeline does something else are the
``xfail(strict=True)`` tests, each a minimal reproduction of a bug.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import polib
import pytest
from typer.testing import CliRunner

from pipeline.catalog.catalog import Catalog, State
from pipeline.cli import app

ROOT = Path(__file__).resolve().parent.parent
BOOK = "executive-summary"
REVIEWER = "Ana Revisora <ana@example.org>"
SECRET = "pipeline-xxe-canary-5f1c0e"
"""Written to a file that XXE payloads point at: it must never show up anywhere."""

TOML = """\
# The project file
[book]
title = "From Pablo Escobar to the Tren de Aragua"
author = "Ignacio De León"

[languages]
source = "en"
targets = ["es"]

[editions]
formats = ["html"]

[translate]
engine = "pseudo"
"""

runner = CliRunner()


def cli(*args: str) -> tuple[int, str, str]:
    """Run the CLI; an unhandled exception is re-raised (it is what these tests look for)."""
    result = runner.invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def assert_one_line_error(code: int, stderr: str, path: Path, line: int | None) -> str:
    """Exit status 1 and one ``error: FILE[:LINE]: …`` line; returns the message after it."""
    assert code == 1, stderr
    assert "Traceback" not in stderr
    errors = [text for text in stderr.splitlines() if text.startswith("error: ")]
    assert len(errors) == 1, stderr
    where = f"error: {path}:{line}: " if line else f"error: {path}: "
    assert errors[0].startswith(where), f"{errors[0]!r} does not start with {where!r}"
    return errors[0][len(where) :]


def po_path(project: Path) -> Path:
    return project / "content" / "es" / f"{BOOK}.po"


def catalog(project: Path) -> Catalog:
    return Catalog.load(po_path(project), lang="es", source_lang="en", book=BOOK)


def approvals(project: Path) -> dict[str, str | None]:
    """Approved translations by segment id."""
    cat = catalog(project)
    return {sid: cat.translation(sid) for sid in cat.ids() if cat.state(sid) is State.REVIEWED}


def snapshot(project: Path) -> dict[str, bytes]:
    """The catalogues and the outputs, by path."""
    files = [*sorted((project / "content" / "es").glob("*")), *(project / "output").rglob("*")]
    return {p.relative_to(project).as_posix(): p.read_bytes() for p in files if p.is_file()}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed book built once (pseudo engine, HTML) with every fifth segment
    approved, the editions rebuilt, and an XLIFF export in ``exchange.xlf``."""
    project = tmp_path_factory.mktemp("corrupt") / "book"
    project.mkdir()
    (project / "pipeline.toml").write_text(TOML, encoding="utf-8")
    shutil.copytree(ROOT / "content" / "en", project / "content" / "en")
    code, _out, err = cli("build", "-C", str(project))
    assert code == 0, err
    chosen = catalog(project).ids()[::5]
    code, _out, err = cli("review", "approve", *chosen, "--reviewer", REVIEWER, "-C", str(project))
    assert code == 0, err
    code, _out, err = cli("build", "-C", str(project))
    assert code == 0, err
    code, _out, err = cli(
        "review", "export", "-o", str(project / "exchange.xlf"), "-C", str(project)
    )
    assert code == 0, err
    assert len(approvals(project)) == len(chosen) >= 10
    return project


@pytest.fixture
def work(built: Path, tmp_path: Path) -> Path:
    """A private work of the built project."""
    dest = tmp_path / "book"
    shutil.copytree(built, dest)
    return dest


# --------------------------------------------------------------------------- pipeline.toml


def _toml(old: str, new: str) -> Callable[[], str]:
    def make() -> str:
        assert old in TOML, old
        return TOML.replace(old, new, 1)

    return make


# (case, pipeline.toml text or bytes, line the error must name or None, words in the message)
TOML_CASES: list[tuple[str, Callable[[], str | bytes], int | None, str]] = [
    ("unterminated string", _toml('title = "From', 'title = "From\n#'), 3, "not valid TOML"),
    ("not TOML at all", lambda: "this is not toml\n", 1, "not valid TOML"),
    ("binary garbage", lambda: b"\x00\xff\xfe\x89PNG\r\n\x1a\n", 1, "not valid UTF-8"),
    ("empty file", lambda: "", None, "missing key"),
    ("duplicate key", _toml("[book]\n", '[book]\ntitle = "x"\n'), 4, "not valid TOML"),
    ("title not a string", _toml('title = "From', "title = 42 #"), 3, "book.title"),
    ("title empty", _toml('title = "From', 'title = "  " #'), 3, "book.title is empty"),
    ("author missing", _toml("author =", "# author ="), 2, "book.author"),
    ("targets not a list", _toml('targets = ["es"]', 'targets = "es"'), 8, "languages.targets"),
    ("bad language code", _toml('source = "en"', 'source = "English"'), 7, "not a language code"),
    ("upper-case code", _toml('targets = ["es"]', 'targets = ["ES"]'), 8, "not a language code"),
    ("path as language", _toml('targets = ["es"]', 'targets = ["../x"]'), 8, "language code"),
    ("source in targets", _toml('targets = ["es"]', 'targets = ["es", "en"]'), 8, "source"),
    ("unknown key", _toml('engine = "pseudo"', 'engien = "pseudo"'), 14, "translate.engien"),
    ("unknown table", lambda: TOML + "\n[extra]\na = 1\n", 16, "[extra]"),
    ("table as value", _toml("[book]\n", "book = 1\n[bookx]\n"), None, "book"),
    ("array of tables", _toml("[languages]", "[[languages]]"), 6, "languages"),
    ("unknown format", _toml('formats = ["html"]', 'formats = ["docx"]'), 11, "docx"),
    ("format not a string", _toml('formats = ["html"]', "formats = [1]"), 11, "format"),
    ("bool as string", _toml('formats = ["html"]', 'bilingual = "yes"'), 11, "bilingual"),
    ("edition language", _toml('formats = ["html"]', 'languages = ["fr"]'), 11, "'fr'"),
    ("engine not a string", _toml('engine = "pseudo"', "engine = 3"), 14, "translate.engine"),
]


@pytest.mark.parametrize(
    ("case", "make", "line", "words"), TOML_CASES, ids=[c[0] for c in TOML_CASES]
)
def test_malformed_project_file_is_one_clear_error(
    work: Path, case: str, make: Callable[[], str | bytes], line: int | None, words: str
) -> None:
    before = snapshot(work)
    content = make()
    toml = work / "pipeline.toml"
    if isinstance(content, bytes):
        toml.write_bytes(content)
    else:
        toml.write_text(content, encoding="utf-8")
    for command in (["build"], ["status"], ["review", "list"]):
        code, _out, err = cli(*command, "-C", str(work))
        message = assert_one_line_error(code, err, toml, line)
        assert words in message, message
    assert snapshot(work) == before


def test_project_file_that_is_a_directory(work: Path) -> None:
    toml = work / "pipeline.toml"
    toml.unlink()
    toml.mkdir()
    code, _out, err = cli("build", "-C", str(work))
    assert_one_line_error(code, err, toml, None)


def test_unknown_engine_in_project_file(work: Path) -> None:
    (work / "pipeline.toml").write_text(TOML.replace('"pseudo"', '"nope"'), encoding="utf-8")
    before = snapshot(work)
    code, _out, err = cli("build", "-C", str(work))
    assert code == 1 and "Traceback" not in err
    [error] = [line for line in err.splitlines() if line.startswith("error: ")]
    assert "unknown engine 'nope'" in error
    assert snapshot(work) == before


def test_deeply_nested_project_file_is_one_clear_error(work: Path) -> None:
    toml = work / "pipeline.toml"
    toml.write_text(TOML + "\n[extra]\na = " + "[" * 1000 + "]" * 1000 + "\n", encoding="utf-8")
    code, _out, err = cli("build", "-C", str(work))
    assert_one_line_error(code, err, toml, None)


def test_project_file_with_a_byte_order_mark(work: Path) -> None:
    (work / "pipeline.toml").write_bytes(b"\xef\xbb\xbf" + TOML.encode("utf-8"))
    code, _out, err = cli("build", "-C", str(work))
    assert code == 0 or "BOM" in err or "byte order mark" in err, err


def test_latin1_project_file_names_the_line(work: Path) -> None:
    toml = work / "pipeline.toml"
    toml.write_bytes(TOML.encode("latin-1"))  # "León" on line 4
    code, _out, err = cli("build", "-C", str(work))
    message = assert_one_line_error(code, err, toml, 4)
    assert "UTF-8" in message


def test_empty_target_list_is_a_clear_error(work: Path) -> None:
    toml = work / "pipeline.toml"
    toml.write_text(TOML.replace('targets = ["es"]', "targets = []"), encoding="utf-8")
    code, _out, err = cli("review", "list", "-C", str(work))
    assert_one_line_error(code, err, toml, 8)


def test_repeated_target_language_is_a_clear_error(work: Path) -> None:
    toml = work / "pipeline.toml"
    toml.write_text(TOML.replace('targets = ["es"]', 'targets = ["es", "es"]'), encoding="utf-8")
    code, _out, err = cli("build", "-C", str(work))
    assert_one_line_error(code, err, toml, 8)


# --------------------------------------------------------------------------- PO catalogues


def _line_of(data: bytes, needle: bytes, start: int = 0) -> int:
    return data[: data.index(needle, start)].count(b"\n") + 1


def _replace_line(data: bytes, number: int, new: bytes) -> bytes:
    lines = data.split(b"\n")
    lines[number - 1] = new
    return b"\n".join(lines)


def _entry_lines(po: bytes, prefix: bytes) -> list[int]:
    """1-based numbers of the lines starting with ``prefix`` (after the header)."""
    return [n for n, text in enumerate(po.split(b"\n"), 1) if text.startswith(prefix) and n > 12]


def _first_entry(po: bytes) -> bytes:
    """The first entry after the header, comments included."""
    return po.split(b"\n\n")[1] + b"\n"


PoCase = Callable[[bytes], tuple[bytes, tuple[int, int] | None, str]]
"""PO bytes → (corrupt bytes, range of acceptable error lines or None, words in the message)."""


def _unterminated(po: bytes) -> tuple[bytes, tuple[int, int] | None, str]:
    n = _entry_lines(po, b'msgstr "\\\\[!!')[3]
    line = po.split(b"\n")[n - 1]
    return _replace_line(po, n, line.rstrip(b'"')), (n, n), "malformed PO string"


def _unknown_escape(po: bytes) -> tuple[bytes, tuple[int, int] | None, str]:
    n = _entry_lines(po, b'msgstr "\\\\[!!')[5]
    line = po.split(b"\n")[n - 1]
    return _replace_line(po, n, line.replace(b"[!!", b"\\q[!!", 1)), (n, n), "malformed"


def _bad_keyword(po: bytes) -> tuple[bytes, tuple[int, int] | None, str]:
    n = _entry_lines(po, b'msgstr "')[2]
    line = po.split(b"\n")[n - 1]
    return _replace_line(po, n, line.replace(b"msgstr", b"msgstrx", 1)), (n, n), "malformed"


def _stray_text(po: bytes) -> tuple[bytes, tuple[int, int] | None, str]:
    n = _entry_lines(po, b"msgctxt")[4]
    return _replace_line(po, n, b"hello there, I am not PO"), (n, n), "malformed"


def _truncated(po: bytes) -> tuple[bytes, tuple[int, int] | None, str]:
    start = po.index(b'msgstr "\\\\[!!', len(po) // 2)
    cut = po[: start + 13]  # inside the string, after "\\\\[!! "
    n = cut.count(b"\n") + 1
    return cut, (n, n), "malformed PO string"


def _appended(entry: bytes, words: str) -> PoCase:
    def make(po: bytes) -> tuple[bytes, tuple[int, int] | None, str]:
        first = po.count(b"\n") + 2
        return po + b"\n" + entry, (first, first + entry.count(b"\n")), words

    return make


def _duplicate(po: bytes) -> tuple[bytes, tuple[int, int] | None, str]:
    return _appended(_first_entry(po), "duplicate msgctxt")(po)


def _latin1_bytes(po: bytes) -> tuple[bytes, tuple[int, int] | None, str]:
    at = po.index("é".encode(), po.index(b"msgstr"))
    return po[:at] + b"\xe9" + po[at + 2 :], (_line_of(po, "é".encode(), at),) * 2, "UTF-8"


PO_CASES: dict[str, PoCase] = {
    "binary garbage": lambda po: (b"\x00\x01\x02\xff\xfe garbage \x89PNG\r\n", (1, 1), "utf-8"),
    "UTF-16": lambda po: (po.decode().encode("utf-16"), (1, 1), "utf-8"),
    "Latin-1 bytes in a UTF-8 file": _latin1_bytes,
    "truncated in a string": _truncated,
    "unterminated string": _unterminated,
    "unknown escape": _unknown_escape,
    "misspelt keyword": _bad_keyword,
    "stray text": _stray_text,
    "msgid_plural entry": _appended(
        b'msgctxt "sx"\nmsgid "a"\nmsgid_plural "as"\nmsgstr[0] "x"\nmsgstr[1] "y"\n', "plural"
    ),
    "duplicate msgctxt": _duplicate,
    "missing msgctxt": _appended(b'msgid "orphan"\nmsgstr "huerfano"\n', "without msgctxt"),
    "Language of another language": lambda po: (
        po.replace(b"Language: es", b"Language: fr"),
        None,
        "'fr'",
    ),
}


@pytest.mark.parametrize("case", list(PO_CASES))
def test_malformed_catalogue_is_one_clear_error(work: Path, case: str) -> None:
    po = po_path(work)
    corrupt, lines, words = PO_CASES[case](po.read_bytes())
    po.write_bytes(corrupt)
    before = snapshot(work)
    commands = [["build"], ["render"], ["status"], ["check"], ["review", "list"]]
    commands.append(["review", "approve", "--all-machine", "--reviewer", REVIEWER])
    for command in commands:
        code, _out, err = cli(*command, "-C", str(work))
        assert code == 1 and "Traceback" not in err, (command, err)
        [error] = [text for text in err.splitlines() if text.startswith("error: ")]
        where = f"error: {po}:"
        if lines is None:
            assert error.startswith(f"error: {po}: "), error
        else:
            assert error.startswith(where), error
            number = int(error[len(where) :].split(":", 1)[0])
            assert lines[0] <= number <= lines[1], (error, lines)
        assert words.lower() in error.lower(), error
    assert po.read_bytes() == corrupt  # the reviewer's file, byte for byte
    assert snapshot(work) == before  # and the previous outputs


def test_catalogue_that_is_a_directory(work: Path) -> None:
    po = po_path(work)
    po.unlink()
    po.mkdir()
    before = snapshot(work)
    code, _out, err = cli("build", "-C", str(work))
    assert_one_line_error(code, err, po, None)
    assert snapshot(work) == before


def _crlf(po: bytes) -> bytes:
    return po.replace(b"\n", b"\r\n")


def _bom(po: bytes) -> bytes:
    return b"\xef\xbb\xbf" + po


def _unknown_charset(po: bytes) -> bytes:
    return po.replace(b"charset=UTF-8", b"charset=KLINGON-8")


def _wrong_plural_forms(po: bytes) -> bytes:
    start = po.index(b'"Plural-Forms: ')
    end = po.index(b"\n", start)
    return po[:start] + b'"Plural-Forms: nplurals=x; plural=(n != 1\\n"' + po[end:]


def _obsolete_repeats(po: bytes) -> bytes:
    extra = b'#~ msgctxt "old"\n#~ msgid "Gone."\n#~ msgstr "Ido."\n'
    return po + b"\n" + extra + b"\n" + extra


@pytest.mark.parametrize(
    "change",
    [_crlf, _bom, _unknown_charset, _wrong_plural_forms, _obsolete_repeats],
    ids=["CRLF", "BOM", "unknown charset name", "wrong Plural-Forms", "repeated obsolete entry"],
)
def test_odd_but_readable_catalogue_keeps_every_approval(
    work: Path, change: Callable[[bytes], bytes]
) -> None:
    expected = approvals(work)
    po = po_path(work)
    po.write_bytes(change(po.read_bytes()))
    code, _out, err = cli("build", "-C", str(work))
    assert code == 0, err
    assert approvals(work) == expected
    polib.pofile(str(po))


def test_latin1_catalogue_is_read_in_its_charset(tmp_path: Path) -> None:
    """A PO file saved in ISO-8859-1 (and saying so) keeps its approved translation."""
    project = tmp_path / "book"
    (project / "content" / "en").mkdir(parents=True)
    (project / "content" / "es").mkdir()
    (project / "pipeline.toml").write_text(TOML, encoding="utf-8")
    (project / "content" / "en" / f"{BOOK}.md").write_text("# Title\n\nThe café is open.\n")
    code, _out, err = cli("build", "-C", str(project))
    assert code == 0, err
    cat = catalog(project)
    sid = cat.ids()[1]
    cat.approve(sid, REVIEWER, text="El café está abierto, señor.")
    text = cat.to_text().replace("charset=UTF-8", "charset=ISO-8859-1")
    po_path(project).write_bytes(text.encode("latin-1"))
    code, _out, err = cli("build", "-C", str(project))
    assert code == 0, err
    assert approvals(project)[sid] == "El café está abierto, señor."
    html = (project / "output" / "es" / f"{BOOK}.html").read_text("utf-8")
    assert "El café está abierto, señor." in html


def _keeps_approvals_or_refuses(work: Path, corrupt: bytes) -> None:
    """The two acceptable outcomes of a suspicious catalogue: a clear error that
    leaves the file alone, or a build that keeps every approval exactly."""
    expected = approvals(work)
    po = po_path(work)
    po.write_bytes(corrupt)
    code, _out, err = cli("build", "-C", str(work))
    if code == 1:
        assert "Traceback" not in err
        errors = [text for text in err.splitlines() if text.startswith("error: ")]
        assert len(errors) == 1 and errors[0].startswith(f"error: {po}:"), err
        assert po.read_bytes() == corrupt
        return
    assert code == 0, err
    assert approvals(work) == expected


def test_cr_only_catalogue_keeps_every_approval(work: Path) -> None:
    _keeps_approvals_or_refuses(work, po_path(work).read_bytes().replace(b"\n", b"\r"))


def test_indexed_msgstr_keeps_the_approval_or_is_refused(work: Path) -> None:
    po = po_path(work).read_bytes()
    approved = next(iter(approvals(work)))
    at = po.index(b"msgstr ", po.index(f'msgctxt "{approved}"'.encode()))
    _keeps_approvals_or_refuses(work, po[:at] + b"msgstr[0] " + po[at + 7 :])


def test_wrongly_declared_charset_keeps_every_approval_or_is_refused(work: Path) -> None:
    po = po_path(work).read_bytes()
    _keeps_approvals_or_refuses(work, po.replace(b"charset=UTF-8", b"charset=ISO-8859-1"))


# --------------------------------------------------------------------------- XLIFF

XLIFF_NS = b"urn:oasis:names:tc:xliff:document:2.0"


def _with_doctype(xlf: bytes, doctype: bytes) -> bytes:
    body = xlf.split(b"?>", 1)[1]
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + doctype + b"\n" + body.lstrip()


def _xxe(xlf: bytes, secret: Path) -> bytes:
    doctype = f'<!DOCTYPE xliff [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'.encode()
    return _with_doctype(xlf, doctype).replace(b"</target>", b"&xxe;</target>", 1)


def _billion_laughs() -> bytes:
    entities = b'<!ENTITY lol "lol">\n' + b"".join(
        b'<!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    return b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n' + entities + b"]>\n<lolz>&lol9;</lolz>\n"


XliffCase = Callable[[bytes, Path], bytes]
XLIFF_CASES: dict[str, tuple[XliffCase, str]] = {
    "not XML": (lambda x, s: b"this is not XML at all\n", "not well-formed XML"),
    "empty": (lambda x, s: b"", "XML"),
    "binary": (lambda x, s: bytes(range(256)), "XML"),
    "truncated": (lambda x, s: x[: len(x) // 2], "not well-formed XML"),
    "XLIFF 1.2": (
        lambda x, s: (
            b'<?xml version="1.0"?>\n<xliff version="1.2" xmlns="urn:oasis:names:tc:'
            b'xliff:document:1.2"><file source-language="en" target-language="es" datatype="'
            b'plaintext" original="x"><body><trans-unit id="1"><source>a</source><target>b'
            b"</target></trans-unit></body></file></xliff>"
        ),
        "version 1.2",
    ),
    "wrong namespace": (lambda x, s: x.replace(XLIFF_NS, b"urn:example:other"), "not an XLIFF"),
    "version 3.0": (lambda x, s: x.replace(b'version="2.1"', b'version="3.0"'), "version 3.0"),
    "other target language": (lambda x, s: x.replace(b'trgLang="es"', b'trgLang="fr"'), "'fr'"),
    "unknown unit id": (lambda x, s: x.replace(b'<unit id="s', b'<unit id="zz', 1), "not in"),
    "XXE": (_xxe, "DTD"),
    "XXE in UTF-16": (lambda x, s: _xxe(x, s).decode().encode("utf-16"), "DTD"),
    "XXE parameter entity": (
        lambda x, s: (
            b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY % p SYSTEM "'
            + s.as_uri().encode()
            + b'"> %p;]>\n<x/>'
        ),
        "DTD",
    ),
    "entity without a DTD": (lambda x, s: x.replace(b"</target>", b"&xxe;</target>", 1), "xxe"),
    "billion laughs": (lambda x, s: _billion_laughs(), "DTD"),
    # The DOCTYPE check reads bytes, so in UTF-16 it is libxml2's entity
    # amplification limit that refuses the file ("not well-formed XML: Maximum
    # entity amplification factor exceeded"): refused all the same.
    "billion laughs in UTF-16": (lambda x, s: _billion_laughs().decode().encode("utf-16"), ""),
    "external DTD": (
        lambda x, s: _with_doctype(x, b'<!DOCTYPE xliff SYSTEM "http://example.com/x.dtd">'),
        "DTD",
    ),
    "lower-case doctype": (lambda x, s: _with_doctype(x, b"<!doctype xliff>"), "DTD"),
    "XInclude": (
        lambda x, s: x.replace(
            b"</target>",
            b'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="'
            + s.as_uri().encode()
            + b'" parse="text"/></target>',
            1,
        ),
        "not valid XLIFF",
    ),
    "300000 levels deep": (
        lambda x, s: b'<?xml version="1.0"?>' + b"<a>" * 300_000 + b"</a>" * 300_000,
        "not well-formed",
    ),
}


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET + "\n")
    return path


@pytest.mark.parametrize("case", list(XLIFF_CASES))
def test_bad_xliff_is_refused_with_nothing_applied(work: Path, secret: Path, case: str) -> None:
    make, words = XLIFF_CASES[case]
    xlf = work / "import.xlf"
    xlf.write_bytes(make((work / "exchange.xlf").read_bytes(), secret))
    before = snapshot(work)
    started = time.monotonic()
    code, out, err = cli("review", "import", str(xlf), "--reviewer", REVIEWER, "-C", str(work))
    assert time.monotonic() - started < 10
    assert code == 1 and "Traceback" not in err, err
    [error] = [text for text in err.splitlines() if text.startswith("error: ")]
    assert error.startswith(f"error: {xlf}:"), error
    assert words.lower() in error.lower(), error
    assert snapshot(work) == before
    assert SECRET not in out + err
    assert "root:x:0" not in out + err


def test_billion_laughs_is_refused_in_bounded_memory(work: Path) -> None:
    """In a process limited to 1 GiB of address space and 20 s, both encodings."""
    for encoding in ("utf-8", "utf-16"):
        xlf = work / f"lol-{encoding}.xlf"
        xlf.write_bytes(_billion_laughs().decode().encode(encoding))

        def limit() -> None:
            resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "pipeline", "review", "import", str(xlf), "-C", str(work)],
            capture_output=True,
            text=True,
            timeout=60,
            preexec_fn=limit,
            env={**os.environ, "PIPELINE_REVIEWER": REVIEWER},
            check=False,
        )
        assert time.monotonic() - started < 20
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr
        assert f"error: {xlf}:" in done.stderr


def test_secret_never_reaches_the_catalogue_or_outputs(work: Path, secret: Path) -> None:
    """After every XXE attempt, a build still runs and nothing anywhere holds the secret."""
    for case in ("XXE", "XXE in UTF-16", "XXE parameter entity", "XInclude"):
        xlf = work / "import.xlf"
        xlf.write_bytes(XLIFF_CASES[case][0]((work / "exchange.xlf").read_bytes(), secret))
        cli("review", "import", str(xlf), "--reviewer", REVIEWER, "-C", str(work))
    code, _out, err = cli("build", "-C", str(work))
    assert code == 0, err
    for path in work.rglob("*"):
        if path.is_file() and path.suffix != ".xlf":
            assert SECRET.encode() not in path.read_bytes(), path
