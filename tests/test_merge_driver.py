"""Volunteers' branches merge: the PO merge driver, with real git and real branches."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from helpers import assert_one_line_error, make_project, po_path, run

import pipeline
from pipeline.catalog import merge_driver, po_io, records
from pipeline.catalog.catalog import Catalog, State, entry_state
from pipeline.catalog.po_io import PoEntry, PoFile
from pipeline.commands import merge_driver as merge_command

BOOK = """\
# A Small Book

The first paragraph.

The second paragraph.

The third paragraph.

## Part

The end.
"""
ANA = "Ana Ruiz <ana@example.org>"
LUIS = "Luis Gómez <luis@example.org>"
PACKAGE_ROOT = str(Path(pipeline.__file__).resolve().parent.parent)


def git_env(home: Path) -> dict[str, str]:
    """Git with no user or system config, running this checkout's pipeline."""
    env = dict(os.environ)
    env.update(
        GIT_CONFIG_GLOBAL=str(home / "gitconfig"),
        GIT_CONFIG_NOSYSTEM="1",
        PYTHONPATH=os.pathsep.join([PACKAGE_ROOT, *filter(None, [os.environ.get("PYTHONPATH")])]),
    )
    return env


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["git", *args],
        cwd=repo,
        env=git_env(repo.parent),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check:
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done


def catalog(repo: Path) -> Catalog:
    return Catalog.load(po_path(repo, "es", "book"), lang="es", source_lang="en", book="book")


def paragraph(repo: Path, prefix: str) -> str:
    cat = catalog(repo)
    return next(sid for sid in cat.ids() if cat.entry(sid).source.startswith(prefix))


def approve(repo: Path, sid: str, who: str, text: str | None = None) -> None:
    cat = catalog(repo)
    cat.approve(sid, who, text=text)
    cat.save()


def commit(repo: Path, message: str) -> None:
    git(repo, "commit", "-qam", message)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A project in git: a translated, committed catalogue and the merge driver set up."""
    root = make_project(tmp_path / "project", {"book": BOOK})
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Publisher")
    git(root, "config", "user.email", "publisher@example.org")
    code, _out, err = run("translate", project=root)
    assert code == 0, err
    assert catalog(root).counts()[State.MACHINE] == 6
    code, out, err = run("review", "setup-git", project=root)
    assert code == 0, err
    assert "content/**/*.po merge=pipeline-po" in out
    git(root, "add", "-A")
    git(root, "commit", "-qm", "translated")
    return root


def branches(repo: Path) -> None:
    git(repo, "branch", "ana")
    git(repo, "branch", "luis")


def merge_luis_into_ana(repo: Path) -> subprocess.CompletedProcess[str]:
    git(repo, "checkout", "-q", "ana")
    return git(repo, "merge", "--no-edit", "luis", check=False)


def assert_valid_po(repo: Path) -> str:
    path = po_path(repo, "es", "book")
    text = path.read_text(encoding="utf-8")
    assert "<<<<<<<" not in text and ">>>>>>>" not in text and "=======" not in text
    done = subprocess.run(
        ["msgfmt", "-c", "-o", os.devnull, str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    # Written as the pipeline writes it: a load and save changes nothing.
    assert catalog(repo).to_text() == text
    return text


# --------------------------------------------------------------------------- setup-git


def test_setup_git_registers_the_driver_once(repo: Path) -> None:
    attributes = (repo / ".gitattributes").read_text(encoding="utf-8")
    assert attributes == "content/**/*.po merge=pipeline-po\n"
    code, out, err = run("review", "setup-git", project=repo)
    assert code == 0, err
    assert "already" in out
    assert (repo / ".gitattributes").read_text(encoding="utf-8") == attributes
    drivers = git(repo, "config", "--get-all", "merge.pipeline-po.driver").stdout.splitlines()
    assert len(drivers) == 1
    assert drivers[0].endswith("-m pipeline.commands.merge_driver %O %A %B %P")
    checked = git(repo, "check-attr", "merge", "content/es/book.po").stdout
    assert checked.strip() == "content/es/book.po: merge: pipeline-po"


def test_setup_git_appends_to_existing_attributes(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project")
    git(root, "init", "-q", "-b", "main")
    (root / ".gitattributes").write_text("*.png binary", encoding="utf-8")
    assert run("review", "setup-git", project=root).code == 0
    assert run("review", "setup-git", project=root).code == 0
    assert (root / ".gitattributes").read_text(encoding="utf-8") == (
        "*.png binary\ncontent/**/*.po merge=pipeline-po\n"
    )


def test_setup_git_outside_a_git_repository_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path / "project")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    result = run("review", "setup-git", project=root)
    assert_one_line_error(result, "not in a git repository")
    assert not (root / ".gitattributes").exists()


# --------------------------------------------------------------------------- real merges


def two_reviews(repo: Path) -> tuple[str, str]:
    """Ana approves the first paragraph on her branch, Luis the second on his:
    the two paragraphs' ids."""
    first, second = paragraph(repo, "The first"), paragraph(repo, "The second")
    branches(repo)
    git(repo, "checkout", "-q", "ana")
    approve(repo, first, ANA, "El primer párrafo.")
    commit(repo, "Ana reviews")
    git(repo, "checkout", "-q", "luis")
    approve(repo, second, LUIS, "El segundo párrafo.")
    commit(repo, "Luis reviews")
    return first, second


def test_disjoint_approvals_on_two_branches_both_survive(repo: Path) -> None:
    first, second = two_reviews(repo)

    done = merge_luis_into_ana(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "CONFLICT" not in done.stdout
    assert_valid_po(repo)
    cat = catalog(repo)
    assert cat.entry(first).state is State.REVIEWED
    assert cat.entry(first).reviewer == ANA
    assert cat.entry(first).translation == "El primer párrafo."
    assert cat.entry(second).state is State.REVIEWED
    assert cat.entry(second).reviewer == LUIS
    assert cat.entry(second).translation == "El segundo párrafo."
    assert cat.counts()[State.REVIEWED] == 2
    assert cat.reviewers() == ["Ana Ruiz", "Luis Gómez"]
    assert git(repo, "status", "--porcelain").stdout == ""


def test_a_repository_set_up_before_the_driver_moved_still_merges(repo: Path) -> None:
    """Clones set up with the driver's old module (``pipeline.catalog.merge_driver``)
    keep merging entry by entry, without running setup-git again."""
    import sys

    old = f"{sys.executable} -m pipeline.catalog.merge_driver %O %A %B %P"
    git(repo, "config", "--local", "merge.pipeline-po.driver", old)
    two_reviews(repo)

    done = merge_luis_into_ana(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert_valid_po(repo)
    assert catalog(repo).reviewers() == ["Ana Ruiz", "Luis Gómez"]


def test_approval_survives_a_machine_refresh_on_the_other_branch(repo: Path) -> None:
    first = paragraph(repo, "The first")
    branches(repo)
    git(repo, "checkout", "-q", "ana")
    approve(repo, first, ANA, "El primer párrafo.")
    commit(repo, "Ana reviews")
    git(repo, "checkout", "-q", "luis")
    # Another engine (or a glossary change and --force): every machine text is new.
    cat = catalog(repo)
    for sid in cat.needs_machine(force=True):
        cat.set_machine(sid, f"[v2] {cat.entry(sid).source}", "pseudo", "2.0")
    cat.save()
    commit(repo, "translate again")

    done = merge_luis_into_ana(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert_valid_po(repo)
    cat = catalog(repo)
    assert cat.entry(first).state is State.REVIEWED
    assert cat.entry(first).translation == "El primer párrafo."
    assert cat.entry(first).reviewer == ANA
    others = [sid for sid in cat.ids() if sid != first]
    for sid in others:  # the refresh of the entries nobody reviewed is taken
        assert cat.entry(sid).state is State.MACHINE
        assert cat.entry(sid).translation == f"[v2] {cat.entry(sid).source}"
        assert cat.entry(sid).engine == "pseudo 2.0"


def test_true_conflict_is_kept_for_review_with_the_other_text(repo: Path) -> None:
    first, second = paragraph(repo, "The first"), paragraph(repo, "The second")
    branches(repo)
    git(repo, "checkout", "-q", "ana")
    approve(repo, first, ANA, "El primer párrafo.")
    approve(repo, second, ANA, "El segundo párrafo.")
    commit(repo, "Ana reviews")
    git(repo, "checkout", "-q", "luis")
    approve(repo, first, LUIS, "El párrafo primero.")
    commit(repo, "Luis reviews")

    done = merge_luis_into_ana(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        f"pipeline: 1 conflicting entry in content/es/book.po kept for review: {first}"
        in done.stderr
    )
    text = assert_valid_po(repo)
    assert "#. pipeline: conflict El párrafo primero." in text
    assert git(repo, "status", "--porcelain").stdout == ""  # the merge was committed

    cat = catalog(repo)
    entry = cat.entry(first)
    assert entry.state is State.NEEDS_REVIEW
    assert entry.translation == "El primer párrafo."  # this branch's text in the box
    assert entry.conflict == "El párrafo primero."  # the other branch's, recorded
    assert any(ANA in note and LUIS in note for note in entry.remarks)
    assert cat.entry(second).state is State.REVIEWED  # Ana's other approval stands

    code, out, err = run("review", "list", "--conflicts", project=repo)
    assert code == 0, err
    assert first in out and second not in out
    assert "conflict: the other branch had: El párrafo primero." in out
    assert "1 segment(s)" in out

    # Approving settles it: the conflict record goes.
    code, _out, err = run("review", "approve", first, "-r", ANA, project=repo)
    assert code == 0, err
    assert catalog(repo).entry(first).conflict is None
    assert "conflict" not in po_path(repo, "es", "book").read_text(encoding="utf-8")
    code, out, _err = run("review", "list", "--conflicts", project=repo)
    assert "0 segment(s)" in out


def test_review_page_shows_the_other_branchs_text(repo: Path) -> None:
    from starlette.testclient import TestClient

    from pipeline.config import load_config
    from pipeline.webreview import create_app

    first = paragraph(repo, "The first")
    branches(repo)
    git(repo, "checkout", "-q", "ana")
    approve(repo, first, ANA, "El primer párrafo.")
    commit(repo, "Ana")
    git(repo, "checkout", "-q", "luis")
    approve(repo, first, LUIS, "El párrafo <b>primero</b>.")
    commit(repo, "Luis")
    assert merge_luis_into_ana(repo).returncode == 0

    app = create_app(load_config(repo), None, None, "tok", csrf_token="csrf")
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        page = client.get("/?token=tok")
    assert page.status_code == 200
    assert "Conflict: the other branch had" in page.text
    assert "El párrafo &lt;b&gt;primero&lt;/b&gt;." in page.text  # text, never markup
    store = app.state.store
    view = next(s for s in store.overview().segments if s.id == first)
    assert view.conflict == "El párrafo <b>primero</b>."
    assert view.to_json()["conflict"] == "El párrafo <b>primero</b>."
    assert view.state == "needs-review"


def test_new_and_deleted_segments_merge(repo: Path) -> None:
    first, third = paragraph(repo, "The first"), paragraph(repo, "The third")
    branches(repo)
    git(repo, "checkout", "-q", "ana")
    approve(repo, first, ANA, "El primer párrafo.")
    commit(repo, "Ana reviews")
    git(repo, "checkout", "-q", "luis")
    source = repo / "content" / "en" / "book.md"
    source.write_text(
        BOOK.replace("The third paragraph.\n", "A new paragraph, written by Luis.\n"),
        encoding="utf-8",
    )
    assert run("translate", project=repo).code == 0
    git(repo, "add", "-A")
    commit(repo, "Luis rewrites the third paragraph")
    added = paragraph(repo, "A new paragraph")

    done = merge_luis_into_ana(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert_valid_po(repo)
    cat = catalog(repo)
    assert third not in cat  # a machine entry deleted on one side, untouched on the other
    assert cat.entry(added).state is State.MACHINE
    assert cat.entry(first).state is State.REVIEWED
    ids = cat.ids()
    assert ids.index(first) < ids.index(added)  # document order kept


# --------------------------------------------------------------------------- the driver itself


def po_text(entries: list[PoEntry], header: str = "") -> bytes:
    return po_io.dumps(PoFile(header=PoEntry(msgid="", msgstr=header), entries=entries)).encode()


def machine(sid: str, text: str) -> PoEntry:
    entry = PoEntry(msgid=f"Source {sid}.", msgstr=text, msgctxt=sid, flags=["fuzzy"])
    records.set_records(entry, [], [("mt", "pseudo 1"), ("mt-sha", records.digest(text))])
    return entry


def reviewed(sid: str, text: str, who: str, day: str) -> PoEntry:
    entry = PoEntry(msgid=f"Source {sid}.", msgstr=text, msgctxt=sid)
    records.set_records(
        entry,
        [],
        [
            ("reviewed-by", who),
            ("reviewed-at", day),
            ("source-sha", records.digest(entry.msgid)),
            ("target-sha", records.digest(text)),
        ],
    )
    return entry


def header(date: str, who: str) -> str:
    return (
        "Project-Id-Version: book\n"
        f"PO-Revision-Date: {date}\n"
        f"Last-Translator: {who}\n"
        "Language: es\n"
        "Content-Type: text/plain; charset=UTF-8\n"
        f"X-Pipeline-Last-Translator: {who}\n"
    )


def test_header_takes_the_newer_revision_and_its_translator() -> None:
    base = po_text([machine("a", "A")], header("2024-05-01 10:00+0200", ""))
    ours = po_text([reviewed("a", "A!", ANA, "2024-05-03")], header("2024-05-03 09:00+0200", ANA))
    theirs = po_text([machine("a", "A"), machine("b", "B")], header("2024-05-03 09:30+0000", LUIS))
    result = merge_driver.merge_catalogues(base, ours, theirs)
    merged = po_io.parse(result.text.encode(), Path("x.po"))
    assert po_io.header_field(merged.header.msgstr, "PO-Revision-Date") == "2024-05-03 09:30+0000"
    assert po_io.header_field(merged.header.msgstr, "Last-Translator") == LUIS
    assert po_io.header_field(merged.header.msgstr, "X-Pipeline-Last-Translator") == LUIS
    assert [e.msgctxt for e in merged.entries] == ["a", "b"]
    assert entry_state(merged.entries[0]) is State.REVIEWED
    assert result.conflicts == ()


def test_a_persons_change_survives_a_deletion_and_obsolete_entries_unite() -> None:
    gone_ours = reviewed("o1", "Viejo 1", ANA, "2024-01-01")
    gone_ours.obsolete = True
    gone_theirs = reviewed("o2", "Viejo 2", LUIS, "2024-01-02")
    gone_theirs.obsolete = True
    base = po_text([machine("a", "A"), machine("b", "B")])
    ours = po_text([machine("b", "B"), gone_ours])  # a deleted here (machine entry)
    theirs = po_text([reviewed("a", "A!", LUIS, "2024-05-03"), gone_theirs])  # b deleted there
    result = merge_driver.merge_catalogues(base, ours, theirs)
    merged = po_io.parse(result.text.encode(), Path("x.po"))
    active = [e.msgctxt for e in merged.entries if not e.obsolete]
    assert active == ["a"]  # Luis approved a: kept; b deleted there, untouched here: deleted
    assert [e.msgctxt for e in merged.entries if e.obsolete] == ["o1", "o2"]


def test_same_text_approved_on_both_sides_is_no_conflict() -> None:
    base = po_text([machine("a", "A")])
    ours = po_text([reviewed("a", "A", ANA, "2024-05-03")])
    theirs = po_text([reviewed("a", "A", LUIS, "2024-05-04")])
    result = merge_driver.merge_catalogues(base, ours, theirs)
    assert result.conflicts == ()
    assert f"reviewed-by {ANA}" in result.text


def test_an_unparsable_version_fails_with_one_line_and_git_markers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, ours, theirs = (tmp_path / name for name in ("base", "ours", "theirs"))
    base.write_bytes(po_text([machine("a", "A")]))
    ours.write_bytes(po_text([reviewed("a", "A!", ANA, "2024-05-03")]))
    theirs.write_text('msgctxt "a"\nmsgid "broken\n', encoding="utf-8")
    code = merge_command.main([str(base), str(ours), str(theirs), "content/es/book.po"])
    assert code == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "content/es/book.po (the other branch):2" in err
    assert "<<<<<<<" in ours.read_text(encoding="utf-8")


def test_the_driver_reports_nothing_when_nothing_conflicts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, ours, theirs = (tmp_path / name for name in ("base", "ours", "theirs"))
    base.write_bytes(b"")  # added on both branches
    ours.write_bytes(po_text([machine("a", "A")]))
    theirs.write_bytes(po_text([machine("b", "B")]))
    assert merge_command.main([str(base), str(ours), str(theirs)]) == 0
    assert capsys.readouterr().err == ""
    assert [e.msgctxt for e in po_io.parse(ours.read_bytes(), ours).entries] == ["a", "b"]


def test_a_conflict_settled_in_a_po_editor_is_credited_to_its_translator(tmp_path: Path) -> None:
    base = po_text([machine("a", "A")], header("2024-05-01 10:00+0200", ""))
    ours = po_text([reviewed("a", "A1", ANA, "2024-05-03")], header("2024-05-03 09:00+0200", ANA))
    theirs = po_text(
        [reviewed("a", "A2", LUIS, "2024-05-04")], header("2024-05-04 09:00+0200", LUIS)
    )
    result = merge_driver.merge_catalogues(base, ours, theirs)
    assert [(c.id, c.kept, c.other) for c in result.conflicts] == [("a", "A1", "A2")]
    merged = po_io.parse(result.text.encode(), Path("x.po"))
    assert entry_state(merged.entries[0]) is State.NEEDS_REVIEW
    assert records.values(merged.entries[0], "reviewed-by") == []
    # Eva takes this branch's text in Poedit: clears fuzzy, and Poedit names her.
    merged.entries[0].fuzzy = False
    merged.header.msgstr = po_io.with_header_field(
        merged.header.msgstr, "Last-Translator", "Eva <eva@example.org>"
    )
    path = tmp_path / "book.po"
    path.write_text(po_io.dumps(merged), encoding="utf-8")
    cat = Catalog.load(path, lang="es", source_lang="en", book="book")
    assert cat.adopt_approvals() == 1
    assert cat.entry("a").reviewer == "Eva <eva@example.org>"
    assert "conflict" not in cat.to_text()
