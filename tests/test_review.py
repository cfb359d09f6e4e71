"""The reviewer's workflow: provenance, approvals, source edits, the publish gate."""

from __future__ import annotations

import dataclasses
import re
import subprocess
from pathlib import Path

import polib
import pytest
from helpers import po_path, run

from pipeline.build import build, translate
from pipeline.catalog.catalog import State
from pipeline.catalog.review import ReviewError, diff_text, resolve_reviewer, word_diff
from pipeline.config import Config, load_config
from pipeline.project import open_book

BOOK = "executive-summary"


def html_only(project: Path) -> Config:
    return dataclasses.replace(load_config(project), formats=("html",))


def po(project: Path) -> Path:
    return po_path(project, "es", BOOK)


def entry_for(project: Path, prefix: str) -> polib.POEntry:
    return next(e for e in polib.pofile(str(po(project))) if e.msgid.startswith(prefix))


@pytest.fixture
def translated(project: Path) -> Path:
    translate(load_config(project), engine="pseudo")
    return project


# --------------------------------------------------------------------------- reviewer identity


def test_reviewer_from_option_env_or_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PIPELINE_REVIEWER", raising=False)
    assert resolve_reviewer("Ana  Ruiz", tmp_path) == "Ana Ruiz"
    monkeypatch.setenv("PIPELINE_REVIEWER", "Luis <luis@example.org>")
    assert resolve_reviewer(None, tmp_path) == "Luis <luis@example.org>"
    monkeypatch.delenv("PIPELINE_REVIEWER")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "config", "user.name", "Eva"], check=True)
    subprocess.run(
        ["git", "-C", str(tmp_path), "config", "user.email", "eva@example.org"], check=True
    )
    assert resolve_reviewer(None, tmp_path) == "Eva <eva@example.org>"


def test_no_reviewer_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PIPELINE_REVIEWER", raising=False)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "none"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    with pytest.raises(ReviewError, match="reviewer"):
        resolve_reviewer(None, tmp_path)


# --------------------------------------------------------------------------- states


def test_approve_records_who_when_and_source(translated: Path) -> None:
    code, _, err = run(
        "review", "approve", "-C", str(translated), "--all-machine", "-r", "Ana <ana@x.org>"
    )
    assert code == 0, err
    entry = entry_for(translated, "Venezuela is ground zero")
    assert "fuzzy" not in entry.flags
    # Records are extracted comments (#.), read-only in PO editors; none in the # box.
    assert "pipeline: reviewed-by Ana <ana@x.org>" in entry.comment
    assert "pipeline: reviewed-at 20" in entry.comment
    assert "pipeline: source-sha " in entry.comment
    assert "pipeline: target-sha " in entry.comment
    assert "pipeline: mt pseudo 1" in entry.comment  # where the text came from is kept
    assert "pipeline" not in entry.tcomment
    header = polib.pofile(str(po(translated))).metadata
    assert header["Last-Translator"] == "Ana <ana@x.org>"
    assert re.fullmatch(r"20\d\d-\d\d-\d\d \d\d:\d\d[+-]\d{4}", header["PO-Revision-Date"])
    assert header["Language-Team"] == "Spanish"
    code, out, _ = run("status", "-C", str(translated))
    assert "0 new, 0 machine, 0 needs-review, 59 reviewed" in out and "(draft)" not in out


def test_approve_unknown_id_changes_nothing(translated: Path) -> None:
    before = po(translated).read_bytes()
    code, _, err = run("review", "approve", "-C", str(translated), "s0000000000", "-r", "Ana")
    assert code == 1 and "unknown segment id" in err
    assert po(translated).read_bytes() == before


def test_review_list_filters_by_state(translated: Path) -> None:
    _, _doc, cat = open_book(load_config(translated))
    first = cat.ids()[0]
    run("review", "approve", "-C", str(translated), first, "-r", "Ana")
    code, out, _ = run("review", "list", "-C", str(translated), "--state", "reviewed")
    assert code == 0
    assert first in out and "1 segment(s)" in out
    code, out, _ = run("review", "list", "-C", str(translated), "--state", "machine")
    assert first not in out and "58 segment(s)" in out
    assert f"content/en/{BOOK}.md:" in out


def test_poedit_approval_records_last_translator(translated: Path) -> None:
    catalog = polib.pofile(str(po(translated)))
    catalog.metadata["Last-Translator"] = "Marta Gil <marta@example.org>"
    entry = next(e for e in catalog if e.msgid.startswith("Venezuela is ground zero"))
    entry.msgstr = "Venezuela es la zona cero."
    entry.flags.remove("fuzzy")
    catalog.save()
    translate(load_config(translated), engine="pseudo")
    entry = entry_for(translated, "Venezuela is ground zero")
    assert "pipeline: reviewed-by Marta Gil <marta@example.org>" in entry.comment
    assert entry.msgstr == "Venezuela es la zona cero."


def _edit_source(project: Path, old: str, new: str) -> None:
    md = project / "content" / "en" / f"{BOOK}.md"
    text = md.read_text()
    assert old in text
    md.write_text(text.replace(old, new))


def test_typography_only_edit_keeps_approval_and_updates_hash(translated: Path) -> None:
    run("review", "approve", "-C", str(translated), "--all-machine", "-r", "Ana")
    comment = entry_for(translated, "Forget the old-school").comment
    sha_before = [x for x in comment.splitlines() if x.startswith("pipeline: source-sha")]
    _edit_source(translated, "“social justice.”", '"social justice."')
    translate(load_config(translated), engine="pseudo")
    entry = entry_for(translated, "Forget the old-school")
    assert "fuzzy" not in entry.flags and "pipeline: reviewed-by Ana" in entry.comment
    sha_after = [x for x in entry.comment.splitlines() if x.startswith("pipeline: source-sha")]
    assert sha_after and sha_after != sha_before


def test_real_edit_needs_review_with_word_diff(translated: Path) -> None:
    run("review", "approve", "-C", str(translated), "--all-machine", "-r", "Ana")
    _edit_source(translated, "Everyone profits.", "Everyone profits handsomely.")
    translate(load_config(translated), engine="pseudo")
    entry = entry_for(translated, "In lawless zones")
    assert "fuzzy" in entry.flags and entry.previous_msgid.endswith("Everyone profits.")
    _, _, cat = open_book(load_config(translated))
    assert cat.state(entry.msgctxt) is State.NEEDS_REVIEW
    code, out, _ = run("review", "diff", "-C", str(translated))
    assert code == 0
    assert "Everyone [-profits.-]{+profits handsomely.+}" in out


def test_word_diff() -> None:
    pieces = word_diff("the red house is big", "the blue house is very big")
    assert diff_text(pieces) == "the [-red-] {+blue+} house is {+very+} big"


def test_moving_a_paragraph_keeps_its_translation(translated: Path) -> None:
    sid = entry_for(translated, "Venezuela is ground zero").msgctxt
    run("review", "approve", "-C", str(translated), sid, "-r", "Ana")
    md = translated / "content" / "en" / f"{BOOK}.md"
    text = md.read_text()
    para = "Venezuela is ground zero — the first *successful pilot* of Narco-Socialism.\n\n"
    md.write_text(para + text.replace(para, ""))
    translate(load_config(translated), engine="pseudo")
    entry = entry_for(translated, "Venezuela is ground zero")
    assert entry.msgctxt == sid and "fuzzy" not in entry.flags


def test_deleted_reviewed_segment_kept_obsolete_and_offered_back(translated: Path) -> None:
    run("review", "approve", "-C", str(translated), "--all-machine", "-r", "Ana")
    para = "Meanwhile, the regime:\n\n"
    _edit_source(translated, para, "")
    translate(load_config(translated), engine="pseudo")
    text = po(translated).read_text()
    assert '#~ msgid "Meanwhile, the regime:"' in text
    # Bring it back with a small change: offered as a fuzzy match (needs review).
    _edit_source(translated, "They recruit", "Meanwhile, the regime now:\n\nThey recruit")
    translate(load_config(translated), engine="pseudo")
    entry = entry_for(translated, "Meanwhile, the regime now:")
    assert "fuzzy" in entry.flags and entry.previous_msgid == "Meanwhile, the regime:"


# --------------------------------------------------------------------------- publish gate


def test_final_build_refuses_unreviewed_listing_file_and_line(translated: Path) -> None:
    code, _, err = run("build", "-C", str(translated), "-e", "pseudo", "--final")
    assert code == 1
    lines = err.strip().splitlines()
    assert lines[0].startswith("error: ") and "59 segment(s) not reviewed" in lines[0]
    assert f"content/en/{BOOK}.md:1: [es]" in lines[1] and "is machine" in lines[1]
    assert not (translated / "output").exists()


def test_final_build_after_review_has_full_colophon(translated: Path) -> None:
    run("review", "approve", "-C", str(translated), "--all-machine", "-r", "Ana <ana@x.org>")
    report = build(dataclasses.replace(html_only(translated)), final=True)
    assert report.written
    html = (translated / "output" / "es" / f"{BOOK}.html").read_text()
    assert 'class="unreviewed"' not in html.split("</style>", 1)[1]
    colophon = html.split('class="colophon"', 1)[1]
    assert "pseudo 1" in colophon
    assert "Ana" in colophon and "ana@x.org" not in colophon  # names only, no e-mail
    assert "Revisado por personas: 59 de 59" in colophon
    # The project may ask for the addresses.
    toml = translated / "pipeline.toml"
    toml.write_text(toml.read_text().replace("[editions]", "[editions]\nreviewer_emails = true"))
    build(html_only(translated), final=True)
    html = (translated / "output" / "es" / f"{BOOK}.html").read_text()
    assert "Ana &lt;ana@x.org&gt;" in html.split('class="colophon"', 1)[1]


def test_xliff_export_edit_import_through_the_cli(translated: Path, tmp_path: Path) -> None:
    from lxml import etree

    xlf = tmp_path / "book.xlf"
    code, _, err = run(
        "review", "export", "-C", str(translated), "--format", "xliff", "-o", str(xlf)
    )
    assert code == 0, err
    ns = {"x": "urn:oasis:names:tc:xliff:document:2.0"}
    root = etree.parse(str(xlf)).getroot()
    assert root.find("x:file", ns).get("original") == f"content/en/{BOOK}.md"  # no local paths
    unit = next(
        u
        for u in root.iterfind(".//x:unit", ns)
        if "Meanwhile, the regime" in "".join(u.find(".//x:source", ns).itertext())
    )
    segment = unit.find("x:segment", ns)
    target = segment.find("x:target", ns)
    for child in list(target):
        target.remove(child)
    target.text = "Mientras tanto, el régimen:"
    segment.set("state", "reviewed")
    xlf.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    code, out, err = run("review", "import", str(xlf), "-C", str(translated), "-r", "Ana")
    assert code == 0, err
    assert "1 approved" in out
    entry = entry_for(translated, "Meanwhile, the regime")
    assert entry.msgstr == "Mientras tanto, el régimen:" and "fuzzy" not in entry.flags
    assert "pipeline: reviewed-by Ana" in entry.comment


def test_stale_xliff_import_is_refused_and_changes_nothing(
    translated: Path, tmp_path: Path
) -> None:
    xlf = tmp_path / "book.xlf"
    run("review", "export", "-C", str(translated), "-o", str(xlf))
    _edit_source(translated, "Meanwhile, the regime:", "Meanwhile, the regime did this:")
    translate(load_config(translated), engine="pseudo")
    before = po(translated).read_bytes()
    code, _, err = run("review", "import", str(xlf), "-C", str(translated), "-r", "Ana")
    assert code == 1 and err.startswith("error: ")
    assert po(translated).read_bytes() == before


def test_tmx_export_through_the_cli(translated: Path, tmp_path: Path) -> None:
    run("review", "approve", "-C", str(translated), "--all-machine", "-r", "Ana")
    tmx = tmp_path / "book.tmx"
    code, _, err = run("review", "export", "-C", str(translated), "-f", "tmx", "-o", str(tmx))
    assert code == 0, err
    assert tmx.read_text().count("<tu ") == 59


def test_diff_of_an_unknown_id_is_refused(translated: Path) -> None:
    code, _, err = run("review", "diff", "-C", str(translated), "s0000000000")
    assert code == 1 and "unknown segment id(s): s0000000000" in err
