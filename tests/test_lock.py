"""One writer at a time (issue 13): the catalogue's lock, and no stale copy written back.

A build (``python -m pipeline build`` in a process of its own, with an engine
that takes its time) reads the catalogue, translates the new segments and
saves; meanwhile the review page's store, ``pipeline review approve`` and
``pipeline review import`` save too, in this process. Afterwards every save
that was confirmed is in the file, and so are the build's machine
translations; a machine translation never replaces what a person wrote since
the build read the file. The lock's timeout names who holds it, in one line,
and a killed holder leaves nothing that blocks.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import assert_one_line_error, make_project, po_path, run
from lxml import etree

from pipeline.catalog.catalog import Catalog, CatalogChanged, State
from pipeline.catalog.lock import CatalogLocked, catalog_lock, lock_path
from pipeline.config import load_config
from pipeline.source.markdown import parse_document
from pipeline.webreview.store import ApprovalItem, Conflict, ReviewStore

ROOT = Path(__file__).resolve().parent.parent
BOOK = "book"
REVIEWER = "Ana Revisora <ana@example.org>"
DELAY = 3.0
"""Seconds the slow engine spends on each batch: the build's read-to-write window."""

XLIFF = {"x": "urn:oasis:names:tc:xliff:document:2.0"}

SLOW_BUILD = """\
import os, sys, time
from pathlib import Path

from pipeline.mt import registry
from pipeline.mt.pseudo import PseudoEngine


class SlowEngine(PseudoEngine):
    name = "slow"

    def translate(self, texts, source, target):
        Path(os.environ["LOCKTEST_MARKER"]).write_text("translating")
        time.sleep(float(os.environ["LOCKTEST_DELAY"]))
        return super().translate(texts, source, target)


registry.ENGINES["slow"] = SlowEngine
sys.argv[0] = "pipeline"
from pipeline.cli import main

main()
"""

HOLDER = """\
import sys, time
from pathlib import Path

from pipeline.catalog.lock import catalog_lock

with catalog_lock(Path(sys.argv[1]), purpose="pipeline build --engine slow"):
    print("held", flush=True)
    time.sleep(120)
"""


def paragraphs(first: int, count: int, word: str) -> str:
    return "".join(
        f"\nParagraph {n} is {word} text about the number {n} and what it means.\n"
        for n in range(first, first + count)
    )


def env(**extra: str) -> dict[str, str]:
    """This environment, with the worktree's pipeline first on the path."""
    base = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"} | extra
    base["PYTHONPATH"] = os.pathsep.join([str(ROOT), base.get("PYTHONPATH", "")]).rstrip(":")
    return base


def catalog(project: Path) -> Catalog:
    return Catalog.load(po_path(project, "es", BOOK), lang="es", source_lang="en", book=BOOK)


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes a test started; any still running at the end is killed."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


@pytest.fixture
def book(tmp_path: Path) -> Path:
    """A translated book, two segments approved, then six new paragraphs to translate."""
    project = make_project(
        tmp_path / "project",
        {BOOK: "# The Book\n" + paragraphs(1, 14, "old")},
        formats=("html",),
    )
    assert run("translate", project=project).code == 0
    first = catalog(project).ids()[:2]
    assert run("review", "approve", *first, "--reviewer", REVIEWER, project=project).code == 0
    return project


def add_new_text(project: Path) -> list[str]:
    """Six new paragraphs at the end of the book; their ids."""
    source = project / "content" / "en" / f"{BOOK}.md"
    before = set(catalog(project).ids())
    source.write_text(source.read_text() + paragraphs(100, 6, "new"), encoding="utf-8")
    doc = parse_document(source.read_text(), "book.md")
    return [s.id for s in doc.segments if s.id not in before]


class Build:
    """``python -m pipeline build --engine slow`` running in a process of its own."""

    def __init__(self, project: Path, processes: list[subprocess.Popen[bytes]]) -> None:
        self.marker = project.parent / "translating"
        self.log = project.parent / "build.log"
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", SLOW_BUILD, "build", "-C", str(project), "--engine", "slow"],
                cwd=project,
                env=env(LOCKTEST_MARKER=str(self.marker), LOCKTEST_DELAY=str(DELAY)),
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        processes.append(self.proc)

    def wait_translating(self) -> float:
        """Wait until the engine has started (the build has read the catalogue)."""
        deadline = time.monotonic() + 120
        while not self.marker.exists():
            assert self.proc.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, "the build never started translating"
            time.sleep(0.01)
        return time.monotonic()

    def finish(self) -> str:
        """Wait for the build: it must succeed; returns what it logged."""
        assert self.proc.wait(timeout=300) == 0, self.log.read_text()
        text = self.log.read_text()
        assert "cannot write" not in text and "error" not in text.lower(), text
        return text


def race(build: Build, save: Callable[[int], None], times: int) -> int:
    """Call ``save(0)``, ``save(1)``… while the build translates (at most ``times``);
    returns how many were confirmed inside the build's read-to-write window."""
    started = build.wait_translating()
    inside = 0
    for number in range(times):
        if build.proc.poll() is not None:
            break
        save(number)
        if time.monotonic() < started + DELAY * 0.8:
            inside += 1
    return inside


def check_build_translated(project: Path, new: list[str], skip: set[str]) -> Catalog:
    """The build's machine translations of the new segments (but ``skip``) are on disk."""
    cat = catalog(project)
    for sid in new:
        if sid in skip:
            continue
        entry = cat.entry(sid)
        assert entry.state is State.MACHINE, (sid, entry)
        assert entry.engine is not None and entry.engine.startswith("slow"), entry
    return cat


# --------------------------------------------------------------------------- races


def test_a_build_while_the_review_page_saves_loses_nothing(
    book: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    """Every save the page confirmed is on disk with its reviewer and its version
    still true; the build's machine translations of the other new segments too;
    the new segment the page translated keeps the person's text."""
    before = catalog(book)
    machine = [sid for sid in before.ids() if before.state(sid) is State.MACHINE]
    new = add_new_text(book)
    store = ReviewStore(load_config(book))
    build = Build(book, processes)
    typed = "Un párrafo que tradujo una persona."
    confirmed: dict[str, tuple[str, str]] = {}  # id -> (text, version)

    def save(number: int) -> None:
        versions = store.versions()
        if number == 0:  # a new segment, translated on the page while the build translates it
            sid, text = new[0], typed
        else:
            sid = machine[number - 1]
            text = f"Texto revisado {number}."
        [view], _counts = store.approve([ApprovalItem(sid, versions[sid], text)], REVIEWER)
        assert (view.state, view.reviewer, view.translation) == ("reviewed", REVIEWER, text)
        confirmed[sid] = (text, view.version)

    inside = race(build, save, len(machine) + 1)
    build.finish()
    assert inside >= 2, "the saves missed the build's window: the test proves nothing"
    cat = check_build_translated(book, new, skip={new[0]})
    versions = store.versions()
    for sid, (text, version) in confirmed.items():
        entry = cat.entry(sid)
        assert (entry.state, entry.reviewer, entry.translation) == (State.REVIEWED, REVIEWER, text)
        assert versions[sid] == version, f"{sid}: the page's version is no longer true"
    assert cat.reviewers(with_email=True) == [REVIEWER]
    assert len([s for s in cat.ids() if cat.state(s) is State.REVIEWED]) == 2 + len(confirmed)


def test_review_approve_racing_a_build_loses_nothing(
    book: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    before = catalog(book)
    machine = [sid for sid in before.ids() if before.state(sid) is State.MACHINE]
    new = add_new_text(book)
    build = Build(book, processes)
    approved: list[str] = []

    def save(number: int) -> None:
        sid = machine[number]
        result = run("review", "approve", sid, "--reviewer", REVIEWER, project=book)
        assert result.code == 0, result
        approved.append(sid)

    inside = race(build, save, len(machine))
    build.finish()
    assert inside >= 2, "the approvals missed the build's window: the test proves nothing"
    cat = check_build_translated(book, new, skip=set())
    for sid in approved:
        entry = cat.entry(sid)
        assert (entry.state, entry.reviewer) == (State.REVIEWED, REVIEWER), entry
        assert entry.translation == before.translation(sid)


def test_review_import_racing_a_build_loses_nothing(
    book: Path, processes: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    before = catalog(book)
    machine = [sid for sid in before.ids() if before.state(sid) is State.MACHINE]
    exported = tmp_path / "book.es.xlf"
    assert run("review", "export", "-o", exported, project=book).code == 0
    files: list[Path] = []
    for number, sid in enumerate(machine[:6]):  # one file per import, one unit each
        root = etree.fromstring(exported.read_bytes())
        segment = root.find(f".//x:unit[@id='{sid}']/x:segment", XLIFF)
        assert segment is not None
        target = segment.find("x:target", XLIFF)
        assert target is not None
        target.text = f"Traducción importada {number}."
        segment.set("state", "reviewed")
        files.append(tmp_path / f"edit-{number}.xlf")
        files[-1].write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    new = add_new_text(book)
    build = Build(book, processes)
    imported: list[int] = []

    def save(number: int) -> None:
        result = run("review", "import", files[number], "--reviewer", REVIEWER, project=book)
        assert result.code == 0, result
        imported.append(number)

    inside = race(build, save, len(files))
    build.finish()
    assert inside >= 2, "the imports missed the build's window: the test proves nothing"
    cat = check_build_translated(book, new, skip=set())
    for number in imported:
        entry = cat.entry(machine[number])
        assert entry.state is State.REVIEWED and entry.reviewer == REVIEWER, entry
        assert entry.translation == f"Traducción importada {number}."


# --------------------------------------------------------------------------- the lock


@contextlib.contextmanager
def held_elsewhere(po: Path, processes: list[subprocess.Popen[bytes]]) -> Iterator[int]:
    """The catalogue's lock held by another process; yields its pid, then kills it."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(po)], env=env(), stdout=subprocess.PIPE
    )
    processes.append(proc)
    assert proc.stdout is not None and proc.stdout.readline() == b"held\n"
    try:
        yield proc.pid
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # as if the build crashed
        proc.wait(timeout=30)


def test_a_held_lock_times_out_naming_its_holder_in_one_line(
    book: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    po = po_path(book, "es", BOOK)
    sid = catalog(book).ids()[5]
    original = po.read_bytes()
    with held_elsewhere(po, processes) as pid:
        cat = catalog(book)
        cat.approve(sid, REVIEWER)
        started = time.monotonic()
        with pytest.raises(CatalogLocked) as caught:
            cat.save(timeout=0.3)
        assert time.monotonic() - started < 5
        message = str(caught.value)
        assert "\n" not in message
        for part in ("locked by pipeline build --engine slow", f"pid {pid}", socket.gethostname()):
            assert part in message, message
        assert po.read_bytes() == original

        result = run(
            "review", "approve", sid, "--reviewer", REVIEWER,
            project=book, env={"PIPELINE_LOCK_TIMEOUT": "0.3"},
        )  # fmt: skip
        assert_one_line_error(result, "locked by pipeline build", f"pid {pid}", "book.po")
        assert po.read_bytes() == original
    # Killed, the holder leaves no lock that blocks (its lock file may remain).
    assert cat.save(timeout=5) is True
    assert catalog(book).state(sid) is State.REVIEWED
    assert not lock_path(po).exists()


def test_the_lock_is_reentrant_and_excludes_other_threads(tmp_path: Path) -> None:
    po = tmp_path / "es" / "book.po"
    refused: list[CatalogLocked] = []
    entered = threading.Event()

    def other() -> None:
        try:
            with catalog_lock(po, timeout=0.2):
                entered.set()
        except CatalogLocked as exc:
            refused.append(exc)

    with catalog_lock(po, purpose="the review page"):
        with catalog_lock(po, timeout=0):  # the same thread again: no wait
            assert "the review page" in lock_path(po).read_text()
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        assert lock_path(po).exists()
    assert not entered.is_set() and len(refused) == 1
    assert "the review page" in str(refused[0]) and f"pid {os.getpid()}" in str(refused[0])
    assert not lock_path(po).exists()
    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert entered.is_set()


# --------------------------------------------------------------------------- stale copies


TEXT = "# Title\n\nThe first paragraph.\n\nThe second paragraph.\n\nThe third paragraph.\n"


def loaded(path: Path) -> tuple[Catalog, list[str]]:
    """The catalogue at ``path`` merged with :data:`TEXT`, as a build loads it."""
    doc = parse_document(TEXT, "content/en/book.md")
    cat = Catalog.load(path, lang="es", source_lang="en", book=BOOK)
    cat.merge(doc.segments, "content/en/book.md")
    cat.adopt_approvals()
    return cat, [s.id for s in doc.segments]


@pytest.fixture
def po(tmp_path: Path) -> Path:
    """A catalogue: the title and first paragraph machine-translated, the rest new."""
    path = tmp_path / "es" / "book.po"
    cat, ids = loaded(path)
    cat.set_machine(ids[0], "Título", "pseudo", "1")
    cat.set_machine(ids[1], "El primer párrafo.", "pseudo", "1")
    assert cat.save() is True
    assert cat.save() is False  # nothing changed
    return path


def test_a_save_keeps_what_another_writer_saved_since_the_load(po: Path) -> None:
    mine, ids = loaded(po)  # a build reads the file…
    theirs, _ = loaded(po)
    theirs.approve(ids[1], "Eva", text="El primer párrafo, revisado.")
    assert theirs.save() is True  # …someone approves entry A meanwhile…
    mine.set_machine(ids[2], "El segundo párrafo.", "pseudo", "1")  # …the build translates B
    assert mine.save() is True
    after, _ = loaded(po)
    first = after.entry(ids[1])
    assert (first.state, first.reviewer) == (State.REVIEWED, "Eva")
    assert first.translation == "El primer párrafo, revisado."
    assert after.state(ids[2]) is State.MACHINE
    assert after.translation(ids[2]) == "El segundo párrafo."
    assert after.last_translator() == "Eva"
    # The saving catalogue now holds what it wrote: its counts are the file's.
    assert mine.counts() == after.counts()


def test_a_machine_translation_never_replaces_a_persons_text_saved_since(
    po: Path, caplog: pytest.LogCaptureFixture
) -> None:
    mine, ids = loaded(po)
    theirs, _ = loaded(po)
    theirs.set_translation(ids[2], "Lo tradujo una persona.", translator="Bob")
    theirs.approve(ids[0], "Eva")
    theirs.save()
    mine.set_machine(ids[2], "El segundo párrafo.", "pseudo", "1")
    mine.set_machine(ids[3], "El tercer párrafo.", "pseudo", "1")
    with caplog.at_level(logging.INFO, logger="pipeline.catalog.catalog"):
        assert mine.save() is True
    assert any(ids[2] in r.getMessage() and "dropped" in r.getMessage() for r in caplog.records)
    after, _ = loaded(po)
    person = after.entry(ids[2])
    assert (person.state, person.translation) == (State.NEEDS_REVIEW, "Lo tradujo una persona.")
    assert person.translator == "Bob"
    assert after.state(ids[0]) is State.REVIEWED
    assert after.translation(ids[3]) == "El tercer párrafo."


def test_two_people_changing_one_entry_the_second_is_refused(po: Path) -> None:
    mine, ids = loaded(po)
    theirs, _ = loaded(po)
    theirs.approve(ids[1], "Eva", text="La versión de Eva.")
    theirs.save()
    mine.approve(ids[1], "Bob", text="La versión de Bob.")
    mine.set_machine(ids[2], "El segundo párrafo.", "pseudo", "1")
    written = po.read_bytes()
    with pytest.raises(CatalogChanged) as caught:
        mine.save()
    assert caught.value.ids == (ids[1],) and ids[1] in str(caught.value)
    assert po.read_bytes() == written
    assert loaded(po)[0].entry(ids[1]).reviewer == "Eva"


def test_a_po_editor_saving_during_a_page_save_is_a_conflict(
    book: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tool that takes no lock (a PO editor) changes the entry between the page's
    version check and its write: the page's save is refused as a conflict showing
    the editor's text, and the editor's text stays."""
    store = ReviewStore(load_config(book))
    sid = catalog(book).ids()[5]
    version = store.versions()[sid]
    check = ReviewStore._check_versions

    def then_an_editor_saves(self: ReviewStore, snap: Any, items: Any) -> None:
        check(self, snap, items)
        editor = catalog(book)
        editor.set_translation(sid, "El texto del editor.")
        po_path(book, "es", BOOK).write_text(editor.to_text(), encoding="utf-8")

    monkeypatch.setattr(ReviewStore, "_check_versions", then_an_editor_saves)
    with pytest.raises(Conflict) as caught:
        store.approve([ApprovalItem(sid, version, "El texto de la página.")], REVIEWER)
    assert [view.translation for view in caught.value.current] == ["El texto del editor."]
    assert catalog(book).translation(sid) == "El texto del editor."
