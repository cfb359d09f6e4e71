"""Words the engine did not know: marked by the engine, recorded per entry
(``#. pipeline: unknown …``), listed by ``review list --unknown`` and shown on
the review page. (Argos: see test_argos.py.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import polib
import pytest
from helpers import po_path, run
from starlette.testclient import TestClient

from pipeline.build import translate
from pipeline.catalog.catalog import State
from pipeline.config import load_config
from pipeline.project import open_book
from pipeline.source.inline import decode, decode_output, encode
from pipeline.webreview import create_app

BOOK = "executive-summary"
SENTENCE = "These aren't shadowy fugitives hijacking institutions, legitimized by rhetoric."
needs_apertium = pytest.mark.skipif(shutil.which("apertium") is None, reason="no apertium")


# --------------------------------------------------------------------------- reading the marks


def test_marked_words_are_kept_as_words_and_recorded() -> None:
    enc = encode("These are *shadowy* fugitives.")
    out = decode_output(
        'Estos son <span id="g1"><mark>shadowy</mark></span> <mark>fugitives</mark>.', enc
    )
    assert out.text == "Estos son *shadowy* fugitives."
    assert out.unknown == ["shadowy", "fugitives"]
    assert out.problems == []


def test_other_made_up_markup_is_still_flagged() -> None:
    _text, problems = decode("Estos son <b>malos</b>.", encode("These are bad."))
    assert problems


# --------------------------------------------------------------------------- apertium


@needs_apertium
def test_apertium_marks_unknown_words_and_the_text_has_no_marks() -> None:
    from pipeline.mt.apertium import ApertiumEngine

    enc = encode(SENTENCE)
    (output,) = ApertiumEngine().translate([enc.tagged], "en", "es")
    for word in ("shadowy", "hijacking", "legitimized"):
        assert f"<mark>{word}</mark>" in output
    out = decode_output(output, enc)
    assert out.unknown == ["shadowy", "hijacking", "legitimized"]
    assert "*" not in out.text and "mark" not in out.text
    assert "shadowy" in out.text


@needs_apertium
def test_apertium_literal_stars_are_not_taken_for_marks() -> None:
    from pipeline.mt.apertium import ApertiumEngine

    enc = encode(r"Compute 5 \* 3 with `a*b` in the house.")
    (output,) = ApertiumEngine().translate([enc.tagged], "en", "es")
    out = decode_output(output, enc)
    assert out.unknown == []
    assert r"5 \* 3" in out.text and "`a*b`" in out.text


@pytest.fixture(scope="module")
def apertium_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed book translated with Apertium."""
    if shutil.which("apertium") is None:
        pytest.skip("no apertium")
    root = Path(__file__).resolve().parent.parent
    dest = tmp_path_factory.mktemp("apertium") / "book"
    dest.mkdir()
    shutil.copy(root / "pipeline.toml", dest / "pipeline.toml")
    shutil.copytree(root / "content" / "en", dest / "content" / "en")
    translate(load_config(dest), engine="apertium")
    return dest


def test_apertium_build_records_unknown_words_per_entry(apertium_book: Path) -> None:
    po = polib.pofile(str(po_path(apertium_book, "es", BOOK)))
    entry = next(e for e in po if e.msgid.startswith("These aren't shadowy fugitives"))
    assert "pipeline: unknown shadowy" in entry.comment
    assert "*" not in entry.msgstr
    _, _doc, cat = open_book(load_config(apertium_book))
    assert cat.entry(entry.msgctxt).unknown[0] == "shadowy"
    assert "guaranteed" in cat.entry(entry.msgctxt).unknown


def test_review_list_unknown_lists_only_entries_with_unknown_words(apertium_book: Path) -> None:
    code, out, err = run("review", "list", "--unknown", project=apertium_book)
    assert code == 0, err
    assert "These aren't shadowy fugitives" in out
    assert "unknown to the engine: shadowy" in out
    _, _doc, cat = open_book(load_config(apertium_book))
    with_words = [sid for sid in cat.ids() if cat.entry(sid).unknown]
    assert f"{len(with_words)} segment(s)" in out
    assert 0 < len(with_words) < len(cat.ids())
    for sid in cat.ids():
        assert (sid in out) == (sid in with_words)


# --------------------------------------------------------------------------- the catalogue


@pytest.fixture
def translated(project: Path) -> Path:
    translate(load_config(project), engine="pseudo")
    return project


def test_unknown_record_round_trips_and_goes_when_a_person_writes(translated: Path) -> None:
    config = load_config(translated)
    _, _doc, cat = open_book(config)
    first, second = cat.ids()[:2]
    for sid in (first, second):
        cat.set_machine(sid, "Texto.", "apertium", "1.0", unknown=["shadowy", "hijacking"])
    cat.save()
    text = po_path(translated, "es", BOOK).read_text(encoding="utf-8")
    assert text.count("#. pipeline: unknown shadowy, hijacking\n") == 2
    _, _doc, cat = open_book(config)
    assert cat.entry(first).unknown == ("shadowy", "hijacking")
    cat.approve(first, "Ana")
    cat.set_translation(second, "Otro texto.")
    assert cat.entry(first).unknown == ()
    assert cat.entry(second).unknown == ()
    assert cat.entry(first).state is State.REVIEWED


def test_set_machine_without_unknown_words_writes_no_record(translated: Path) -> None:
    text = po_path(translated, "es", BOOK).read_text(encoding="utf-8")
    assert "pipeline: unknown" not in text


# --------------------------------------------------------------------------- the page


def test_review_page_lists_the_unknown_words_under_the_segment(translated: Path) -> None:
    config = load_config(translated)
    _, _doc, cat = open_book(config)
    sid = cat.ids()[3]
    cat.set_machine(sid, "Texto.", "apertium", "1.0", unknown=["shadowy", "<hijacking>"])
    cat.save()
    app = create_app(load_config(translated), None, None, "tok", csrf_token="csrf")
    base = "http://127.0.0.1:8765"
    with TestClient(app, base_url=base) as client:
        page = client.get("/?token=tok").text
        client.headers["Authorization"] = "Bearer tok"
        version = client.get("/api/versions").json()["versions"][sid]
        saved = client.post(
            "/api/save",
            json={"reviewer": "Ana", "id": sid, "version": version, "text": "Mi texto."},
            headers={"X-CSRF-Token": "csrf", "Origin": base},
        )
    row = page[page.index(f'id="seg-{sid}"') :]
    row = row[: row.index('<li class="seg"')] if '<li class="seg"' in row else row
    assert "Words the engine did not know" in row
    assert '<mark lang="en">shadowy</mark>' in row
    assert '<mark lang="en">&lt;hijacking&gt;</mark>' in row  # escaped
    assert f'aria-describedby="src-{sid} qa-{sid} unk-{sid}"' in row
    assert f'<div class="unknown" id="unk-{sid}">' in row
    assert page.count('<div class="unknown"') == 1  # only the segment with unknown words
    # A person's text is no longer the engine's: its unknown words go with it.
    assert saved.status_code == 200, saved.text
    (seg,) = saved.json()["segments"]
    assert seg["unknown"] == []
