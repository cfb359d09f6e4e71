"""Interruptions lose nothing (issue 8, robustness).

``python -m pipeline build`` runs as a separate process on a copy of the book
made ~300 segments long and is killed with SIGKILL at seeded random moments,
some during translation and some during rendering. After every kill:

* the PO catalogue parses (polib and :meth:`Catalog.load`), and every
  translation approved before is still approved with the same text;
* every output is the previous one or a complete new one (HTML ends with
  ``</html>``, PDF runs from ``%PDF`` to ``%%EOF``, EPUB is a sound zip);
* no temporary file is left under a visible name, the MT cache opens and
  passes SQLite's integrity check;

and an uninterrupted build then completes. A damaged MT cache is moved aside
with a warning and rebuilt.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import polib
import pytest
from typer.testing import CliRunner

from pipeline.catalog.catalog import Catalog, State
from pipeline.cli import app
from pipeline.mt.cache import MTCache

ROOT = Path(__file__).resolve().parent.parent
BOOK = "executive-summary"
REVIEWER = "Ana Revisora <ana@example.org>"
SEED = 8
"""Seeds the kill delays: the same schedule on every run."""

TOML = """\
[book]
title = "Interrupted"
author = "Tester"

[languages]
source = "en"
targets = ["es"]

[editions]
formats = [{formats}]
languages = ["es"]
bilingual = false

[translate]
engine = "{engine}"
"""

runner = CliRunner()


# --------------------------------------------------------------------------- project


def long_book() -> str:
    """The seed book and four variants of it: about 300 segments."""
    seed = (ROOT / "content" / "en" / f"{BOOK}.md").read_text(encoding="utf-8")
    body = seed.split("\n", 1)[1]
    parts = [seed]
    for number, word in enumerate(["very", "most", "truly", "really"], 2):
        parts.append(f"## Part {number}\n" + body.replace(" the ", f" the {word} "))
    return "\n".join(parts)


def make_project(
    root: Path,
    source: str,
    *,
    formats: tuple[str, ...] = ("html", "pdf", "epub"),
    engine: str = "pseudo",
) -> Path:
    (root / "content" / "en").mkdir(parents=True)
    listed = ", ".join(f'"{f}"' for f in formats)
    toml = TOML.format(formats=listed, engine=engine)
    (root / "pipeline.toml").write_text(toml, encoding="utf-8")
    (root / "content" / "en" / f"{BOOK}.md").write_text(source, encoding="utf-8")
    return root


def cli(project: Path, *args: str) -> str:
    result = runner.invoke(app, [*args, "-C", str(project)])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def po_path(project: Path) -> Path:
    return project / "content" / "es" / f"{BOOK}.po"


def cache_path(project: Path) -> Path:
    return project / ".pipeline-cache" / "mt.sqlite3"


def approve_some(project: Path, every: int = 6) -> dict[str, str]:
    """Translate, approve every ``every``-th segment; the approved translations by id."""
    cli(project, "translate")
    cat = Catalog.load(po_path(project), lang="es", source_lang="en", book=BOOK)
    cli(project, "review", "approve", *cat.ids()[::every], "--reviewer", REVIEWER)
    approved = approvals(project)
    assert len(approved) == len(cat.ids()[::every])
    return approved


def approvals(project: Path) -> dict[str, str]:
    cat = Catalog.load(po_path(project), lang="es", source_lang="en", book=BOOK)
    return {
        sid: cat.translation(sid) or "" for sid in cat.ids() if cat.state(sid) is State.REVIEWED
    }


def add_paragraph(project: Path, number: int) -> None:
    """New source text, so the next build has something to translate and render."""
    source = project / "content" / "en" / f"{BOOK}.md"
    text = source.read_text(encoding="utf-8")
    text += f"\nAddendum {number}: a new paragraph about the number {number} and its meaning.\n"
    source.write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------- processes


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"} | extra
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def start(
    project: Path, *args: str, command: list[str] | None = None, **env: str
) -> subprocess.Popen[bytes]:
    """``python -m pipeline build`` (or ``command``) in a session of its own."""
    argv = command or [sys.executable, "-m", "pipeline"]
    with log_path(project).open("ab") as log:  # a file: a full pipe would block the build
        return subprocess.Popen(
            [*argv, "build", "-C", str(project), "-q", *args],
            cwd=project,
            env=_env(**env),
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )


def log_path(project: Path) -> Path:
    """Where the builds started by :func:`start` write their messages."""
    return project.parent / "builds.log"


def kill(proc: subprocess.Popen[bytes]) -> bool:
    """SIGKILL the build; then its whole session (an engine it started).

    Returns whether it was still running.
    """
    running = proc.poll() is None
    if running:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    return running


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Builds started by a test; any still running at the end is killed."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        kill(proc)


def wait_for(proc: subprocess.Popen[bytes], ready: Callable[[], bool], timeout: float) -> bool:
    """Poll until ``ready()`` or the process ends; whether ``ready()`` came true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return True
        if proc.poll() is not None:
            return ready()
        time.sleep(0.005)
    raise AssertionError(f"nothing happened within {timeout} s")


def finish(project: Path, *args: str) -> None:
    """An uninterrupted build, which must succeed."""
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "build", "-C", str(project), "-q", *args],
        cwd=project,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


def mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


# --------------------------------------------------------------------------- checks


def complete(path: Path) -> None:
    """An output that a reader can open: nothing cut short."""
    data = path.read_bytes()
    if path.suffix == ".html":
        text = data.decode("utf-8")
        assert text.lstrip().lower().startswith("<!doctype html>"), path
        assert text.rstrip().endswith("</html>"), path
    elif path.suffix == ".pdf":
        assert data.startswith(b"%PDF-"), path
        assert data.rstrip().endswith(b"%%EOF"), path
    elif path.suffix == ".epub":
        with zipfile.ZipFile(path) as epub:
            assert epub.testzip() is None, path
            assert epub.namelist()[0] == "mimetype", path
            assert epub.read("mimetype") == b"application/epub+zip", path
    else:
        raise AssertionError(f"unexpected output {path}")


def outputs(project: Path) -> dict[Path, bytes]:
    """The outputs by path (hidden temporary files aside)."""
    return {
        p: p.read_bytes()
        for p in sorted((project / "output").rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def temp_files(project: Path) -> list[Path]:
    return sorted(p for p in project.rglob("*.tmp") if p.is_file())


def check_after_kill(project: Path, approved: dict[str, str], before: dict[Path, bytes]) -> None:
    po = po_path(project)
    polib.pofile(str(po))
    assert approvals(project) == approved  # still there, same text
    now = outputs(project)
    assert set(before) <= set(now), "an output disappeared"
    for path in now:
        complete(path)  # the old one, or a complete new one
    visible = [p for p in temp_files(project) if not p.name.startswith(".")]
    assert visible == []
    cache = cache_path(project)
    if cache.exists():
        with sqlite3.connect(cache) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        with MTCache(cache) as mt:
            mt.get_many("pseudo", "1", "en", "es", ["x"])
        assert not cache.with_name(cache.name + ".corrupt").exists()


# --------------------------------------------------------------------------- the kills


def test_random_kills_during_translation_and_rendering_lose_nothing(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    project = make_project(tmp_path / "book", long_book())
    approved = approve_some(project)

    # A first, uninterrupted build: when does it write the catalogue, when does it end?
    add_paragraph(project, 0)
    po = po_path(project)
    written = mtime(po)
    started = time.monotonic()
    proc = start(project)
    processes.append(proc)
    wait_for(proc, lambda: mtime(po) != written, timeout=120)
    translated = time.monotonic() - started
    assert proc.wait(timeout=300) == 0
    rendered = time.monotonic() - started - translated
    check_after_kill(project, approved, {})

    rng = random.Random(SEED)
    landed = {"translation": 0, "rendering": 0, "finished": 0}
    for number in range(1, 9):
        add_paragraph(project, number)
        before = outputs(project)
        written = mtime(po)
        proc = start(project)
        processes.append(proc)
        begun = time.monotonic()
        if number % 2:  # during translation: before the catalogue is written
            moment = begun + rng.uniform(0.1, 0.8) * translated
            wait_for(proc, lambda moment=moment: time.monotonic() >= moment, timeout=120)
        else:  # during rendering: after it
            wait_for(proc, lambda written=written: mtime(po) != written, timeout=120)
            moment = time.monotonic() + rng.uniform(0.05, 0.75) * rendered
            wait_for(proc, lambda moment=moment: time.monotonic() >= moment, timeout=120)
        if not kill(proc):
            landed["finished"] += 1
        elif mtime(po) == written:
            landed["translation"] += 1
        else:
            landed["rendering"] += 1
        check_after_kill(project, approved, before)

    assert landed["translation"] >= 2 and landed["rendering"] >= 2, landed
    finish(project)
    check_after_kill(project, approved, {})
    html = (project / "output" / "es" / f"{BOOK}.html").read_text("utf-8")
    assert "Áddéñdüm 8" in html  # the last source is published
    cat = Catalog.load(po, lang="es", source_lang="en", book=BOOK)
    assert sum("Addendum" in cat.entry(sid).source for sid in cat.ids()) == 9
    checked = subprocess.run(
        ["msgfmt", "-c", "-o", "/dev/null", str(po)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stderr


def _translating(pid: int) -> bool:
    """Whether the build ``pid`` has Apertium translating (``apertium … -f html …``)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return False
    for child in children:
        try:
            if b"html" in Path(f"/proc/{child}/cmdline").read_bytes():
                return True
        except OSError:
            continue
    return False


def test_kills_while_apertium_translates_lose_nothing(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    """With a real engine in a subprocess: killed while Apertium translates (or
    just after, while the results are stored), three times; the cache the kills
    left serves the next build."""
    project = make_project(tmp_path / "book", long_book(), formats=("html",), engine="apertium")
    cli(project, "translate", "--engine", "pseudo")
    cat = Catalog.load(po_path(project), lang="es", source_lang="en", book=BOOK)
    cli(project, "review", "approve", *cat.ids()[::6], "--reviewer", REVIEWER)
    approved = approvals(project)
    finish(project)  # previous outputs

    rng = random.Random(SEED)
    for _ in range(3):
        before = outputs(project)
        proc = start(project, "--force")  # every machine translation again, with Apertium
        processes.append(proc)
        wait_for(proc, lambda proc=proc: _translating(proc.pid), timeout=120)
        time.sleep(rng.uniform(0.0, 0.6))
        kill(proc)
        check_after_kill(project, approved, before)

    add_paragraph(project, 1)  # new text: looked up in the cache the kills left
    finish(project)
    check_after_kill(project, approved, {})
    with sqlite3.connect(cache_path(project)) as conn:
        rows = conn.execute("SELECT count(*) FROM translation WHERE engine = 'apertium'")
        assert rows.fetchone()[0] >= 1
    cat = Catalog.load(po_path(project), lang="es", source_lang="en", book=BOOK)
    [added] = [sid for sid in cat.ids() if "Addendum" in cat.entry(sid).source]
    assert cat.state(added) is State.MACHINE
    assert "apertium" in (cat.entry(added).engine or "")


# --------------------------------------------------------------------------- inside a write

HOOK = """\
import os, sys, time

_fsync = os.fsync


def fsync(fd):
    # Pause, as if killed, once the temporary file of the chosen output is written
    # and synced, just before write_atomic renames it over the real one.
    _fsync(fd)
    name = os.readlink(f"/proc/self/fd/{fd}")
    if os.path.basename(name).startswith(os.environ["KILLTEST_PAUSE_ON"]):
        with open(os.environ["KILLTEST_MARKER"], "w") as marker:
            marker.write(name)
        time.sleep(300)


os.fsync = fsync
if __name__ == "__main__":  # not in the PDF workers, which import this module
    sys.argv[0] = "pipeline"
    from pipeline.cli import main

    main()
"""


def short_book() -> str:
    """The seed book's first chapters (about 20 segments)."""
    return long_book().split("### III.")[0]


def seed_project(root: Path, formats: tuple[str, ...]) -> tuple[Path, dict[str, str]]:
    """A short book, every edition built, some segments approved."""
    project = make_project(root, short_book(), formats=formats)
    approved = approve_some(project, every=4)
    finish(project)
    return project, approved


def kill_inside_write(
    project: Path, tmp_path: Path, name: str, processes: list[subprocess.Popen[bytes]]
) -> Path:
    """Start a build and kill it just before it renames its new ``name`` into place;
    returns the temporary file it was writing."""
    hook = tmp_path / "hook.py"
    hook.write_text(HOOK, encoding="utf-8")
    marker = tmp_path / "marker"
    marker.unlink(missing_ok=True)
    proc = start(
        project,
        command=[sys.executable, str(hook)],
        KILLTEST_PAUSE_ON=f".{name}.",
        KILLTEST_MARKER=str(marker),
    )
    processes.append(proc)
    assert wait_for(proc, marker.exists, timeout=120), log_path(project).read_text()[-2000:]
    time.sleep(0.05)
    assert kill(proc)
    return Path(marker.read_text())


def test_kills_inside_atomic_writes_keep_the_old_files(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    """Killed after the new catalogue, HTML or PDF is written to its temporary file
    but before the rename: the old file is there, whole; the next build replaces
    it. (EPUB goes through the same write_atomic; the random kills cover it.)"""
    project, approved = seed_project(tmp_path / "book", ("html", "pdf"))
    replaced = {}
    for number, name in enumerate([f"{BOOK}.po", f"{BOOK}.html", f"{BOOK}.pdf"]):
        target = po_path(project) if name.endswith(".po") else project / "output" / "es" / name
        replaced[target] = target.read_bytes()
        before = outputs(project)
        add_paragraph(project, number)  # every output changes
        temp = kill_inside_write(project, tmp_path, name, processes)
        assert temp.parent == target.parent and temp.name.startswith(f".{name}.")
        assert target.read_bytes() == replaced[target], f"{name} damaged"  # the old file
        check_after_kill(project, approved, before)
    finish(project)
    check_after_kill(project, approved, {})
    for target, old in replaced.items():
        assert target.read_bytes() != old, f"{target.name} not replaced by the next build"


def test_temporary_files_left_by_a_kill_are_removed_by_the_next_build(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    project, _approved = seed_project(tmp_path / "book", ("html",))
    add_paragraph(project, 1)
    temp = kill_inside_write(project, tmp_path, f"{BOOK}.po", processes)
    assert temp.exists()
    finish(project)
    assert temp_files(project) == []


# --------------------------------------------------------------------------- the MT cache


def _garbage(cache: Path) -> None:
    cache.write_bytes(random.Random(SEED).randbytes(64 * 1024))


def _truncated(cache: Path) -> None:
    data = cache.read_bytes()
    cache.write_bytes(data[: len(data) // 2] + b"\0" * 512)


def _bad_header(cache: Path) -> None:
    data = bytearray(cache.read_bytes())
    data[:16] = b"Not SQLite at al"
    cache.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "damage", [_garbage, _truncated, _bad_header], ids=["garbage", "truncated", "bad header"]
)
def test_damaged_mt_cache_is_rebuilt_with_a_warning(
    tmp_path: Path, damage: Callable[[Path], None]
) -> None:
    project = make_project(tmp_path / "book", short_book(), formats=("html",))
    finish(project)
    cache = cache_path(project)
    for leftover in (cache.with_name(cache.name + "-wal"), cache.with_name(cache.name + "-shm")):
        leftover.unlink(missing_ok=True)
    damage(cache)
    add_paragraph(project, 1)  # something to translate: the cache is opened
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "build", "-C", str(project)],
        cwd=project,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("WARNING")]
    assert any("MT cache" in line and "damaged" in line for line in warnings), done.stderr
    assert cache.with_name(cache.name + ".corrupt").is_file()  # kept aside, not deleted
    with sqlite3.connect(cache) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*) FROM translation").fetchone()[0] >= 1
    complete(project / "output" / "es" / f"{BOOK}.html")


def test_mt_cache_that_cannot_be_opened_is_one_clear_error(tmp_path: Path) -> None:
    project = make_project(tmp_path / "book", "# Title\n\nSome words.\n", formats=("html",))
    cache_path(project).mkdir(parents=True)  # a directory where the file should be
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "build", "-C", str(project)],
        cwd=project,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and errors[0].startswith(f"error: {cache_path(project)}: "), errors
