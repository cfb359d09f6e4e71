"""Tests of the PO catalogue: merge rules, review states, provenance, file format."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import polib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.catalog.catalog import Catalog, MergeReport, State
from pipeline.errors import CatalogError
from pipeline.source.segment import Segment

SOURCE = "content/en/book.md"

CAT = "The cat sat on the mat by the door."
CAT_ES = "El gato se sentó en la alfombra junto a la puerta."
CAT_CHANGED = "The cat sat on the red mat by the door."
DOG = "Dogs bark at night when the moon is full."
DOG_ES = "Los perros ladran de noche cuando hay luna llena."
OTHER = "An entirely different sentence about trains."


def seg(sid: str, source: str, index: int = 0, kind: str = "paragraph") -> Segment:
    """A segment at line ``2 * index + 1``."""
    return Segment(id=sid, kind=kind, source=source, line=2 * index + 1, index=index)


def load(path: Path) -> Catalog:
    return Catalog.load(path, lang="es", source_lang="en", book="book")


def build(path: Path, segments: list[Segment]) -> Catalog:
    """Load, merge and save; return the catalogue."""
    catalog = load(path)
    catalog.merge(segments, SOURCE)
    catalog.save()
    return catalog


def msgfmt_check(path: Path) -> None:
    """Assert ``msgfmt -c --check-format`` accepts the file."""
    if shutil.which("msgfmt") is None:
        pytest.skip("msgfmt (gettext) is not installed")
    result = subprocess.run(
        ["msgfmt", "-c", "--check-format", "-o", os.devnull, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "error" not in result.stderr, result.stderr


def approve_in_file(path: Path, sid: str, msgstr: str | None = None) -> None:
    """Approve an entry by editing the file as Poedit does: drop ``fuzzy`` and ``#|``."""
    blocks = path.read_text(encoding="utf-8").split("\n\n")
    for i, block in enumerate(blocks):
        if f'\nmsgctxt "{sid}"\n' in f"\n{block}\n":
            lines = [
                line
                for line in block.split("\n")
                if line != "#, fuzzy" and not line.startswith("#|")
            ]
            if msgstr is not None:
                start = next(k for k, line in enumerate(lines) if line.startswith("msgstr"))
                lines = [*lines[:start], f'msgstr "{msgstr}"']
            blocks[i] = "\n".join(lines)
            break
    else:
        raise AssertionError(f"no entry {sid} in {path}")
    path.write_text("\n\n".join(blocks).rstrip("\n") + "\n", encoding="utf-8")


def reviewed_catalog(path: Path, segments: list[Segment], translations: dict[str, str]) -> None:
    """Save a catalogue whose given entries a person translated and approved."""
    catalog = build(path, segments)
    for sid in translations:
        catalog.set_machine(sid, "machine draft", "pseudo", "1")
    catalog.save()
    for sid, text in translations.items():
        approve_in_file(path, sid, text)


# -- loading and header ----------------------------------------------------------


def test_missing_file_gives_empty_catalogue(tmp_path: Path) -> None:
    catalog = load(tmp_path / "es" / "book.po")
    assert catalog.ids() == []
    assert catalog.counts() == dict.fromkeys(State, 0)


def test_saved_file_layout(tmp_path: Path) -> None:
    path = tmp_path / "es" / "book.po"
    build(path, [seg("h1", "Title", 0, kind="heading"), seg("p1", CAT, 1)])
    text = path.read_text(encoding="utf-8")
    for field in (
        '"Project-Id-Version: book\\n"',
        '"Language: es\\n"',
        '"MIME-Version: 1.0\\n"',
        '"Content-Type: text/plain; charset=UTF-8\\n"',
        '"Content-Transfer-Encoding: 8bit\\n"',
        '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"',
        '"X-Generator: pipeline\\n"',
    ):
        assert field in text
    # No date that changes with every build: PO-Revision-Date stays empty until an approval.
    assert "POT-Creation-Date" not in text
    assert '"PO-Revision-Date: \\n"' in text and '"Last-Translator: \\n"' in text
    assert '"Language-Team: Spanish\\n"' in text
    assert '#. heading\n#: content/en/book.md:1\nmsgctxt "h1"\nmsgid "Title"\nmsgstr ""\n' in text
    assert text.index('msgctxt "h1"') < text.index('msgctxt "p1"')
    msgfmt_check(path)


def test_header_fields_from_a_translators_tool_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    build(path, [seg("p1", CAT)])
    text = path.read_text(encoding="utf-8")
    for old, new in (
        ("X-Generator: pipeline", "X-Generator: Poedit 3.4"),
        ("Last-Translator: ", "Last-Translator: Ana Pérez <ana@example.org>"),
        ("PO-Revision-Date: ", "PO-Revision-Date: 2024-05-01 10:00+0200"),
        ("Language-Team: Spanish", "Language-Team: Español <es@li.org>"),
    ):
        text = text.replace(f'"{old}\\n"', f'"{new}\\n"')
    text = text.replace('"Language: es\\n"', '"Language: es\\n"\n"X-Poedit-Basepath: .\\n"')
    path.write_text(text, encoding="utf-8")
    build(path, [seg("p1", CAT)])
    text = path.read_text(encoding="utf-8")
    assert '"Last-Translator: Ana Pérez <ana@example.org>\\n"' in text
    assert '"PO-Revision-Date: 2024-05-01 10:00+0200\\n"' in text
    assert '"X-Generator: Poedit 3.4\\n"' in text  # another tool's header is never replaced
    assert '"Language-Team: Español <es@li.org>\\n"' in text
    assert '"X-Poedit-Basepath: .\\n"' in text
    msgfmt_check(path)


def test_language_header_must_agree(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    build(path, [seg("p1", CAT)])
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Language: es", "Language: es_ES"), encoding="utf-8")
    assert load(path).ids() == ["p1"]
    path.write_text(text.replace("Language: es", "Language: fr"), encoding="utf-8")
    with pytest.raises(CatalogError, match="'fr'") as info:
        load(path)
    assert info.value.path == str(path)


# -- states ----------------------------------------------------------------------


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def test_person_edit_left_fuzzy_is_never_overwritten(tmp_path: Path) -> None:
    """Poedit's "needs work" edit: fuzzy, but no longer what the engine wrote."""
    path = tmp_path / "book.po"
    catalog = build(path, [seg("p1", CAT)])
    catalog.set_machine("p1", CAT_ES, "apertium", "3.8.3")
    catalog.save()
    po = polib.pofile(str(path))
    po[0].msgstr = "El gato se sentó en el felpudo."
    po.save()
    again = load(path)
    assert again.state("p1") is State.NEEDS_REVIEW
    assert again.needs_machine(force=True) == []
    with pytest.raises(ValueError):
        again.set_machine("p1", CAT_ES, "apertium", "3.8.3")


def test_new_then_machine(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    catalog = build(path, [seg("p1", CAT), seg("p2", DOG, 1)])
    assert catalog.state("p1") is State.NEW
    assert catalog.translation("p1") is None
    assert catalog.needs_machine() == ["p1", "p2"]

    catalog.set_machine("p1", CAT_ES, "apertium", "3.8.3", ["placeholder <x2> missing"])
    assert catalog.state("p1") is State.MACHINE
    assert catalog.translation("p1") == CAT_ES
    assert catalog.problems("p1") == ["placeholder <x2> missing"]
    assert catalog.needs_machine() == ["p2"]
    assert catalog.needs_machine(force=True) == ["p1", "p2"]
    catalog.save()

    text = path.read_text(encoding="utf-8")
    assert (
        f"#. paragraph\n#. pipeline: mt apertium 3.8.3\n#. pipeline: mt-sha {sha(CAT_ES)}\n"
        "#. pipeline: qa placeholder <x2> missing\n"
        f'#: content/en/book.md:1\n#, fuzzy\nmsgctxt "p1"\nmsgid "{CAT}"\nmsgstr "{CAT_ES}"\n'
    ) in text
    again = load(path)
    assert again.state("p1") is State.MACHINE
    assert again.problems("p1") == ["placeholder <x2> missing"]
    assert again.entry("p1").engine == "apertium 3.8.3"
    assert again.counts() == {
        State.NEW: 1,
        State.MACHINE: 1,
        State.NEEDS_REVIEW: 0,
        State.REVIEWED: 0,
    }
    msgfmt_check(path)


def test_set_machine_again_replaces_provenance_and_keeps_notes(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    catalog = build(path, [seg("p1", CAT)])
    catalog.set_machine("p1", "uno", "apertium", "3.8.3", ["problem one", "problem\ntwo"])
    catalog.save()
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("#. paragraph", "# Check the tone with Ana.\n#. paragraph"))

    catalog = load(path)
    assert catalog.problems("p1") == ["problem one", "problem two"]
    catalog.set_machine("p1", "dos", "argos", "1.9")
    assert catalog.problems("p1") == []
    entry = catalog.entry("p1")
    assert entry.engine == "argos 1.9"
    assert entry.notes == ("Check the tone with Ana.",)
    catalog.save()
    text = path.read_text(encoding="utf-8")
    assert (
        "# Check the tone with Ana.\n#. paragraph\n#. pipeline: mt argos 1.9\n"
        f"#. pipeline: mt-sha {sha('dos')}\n#: " in text
    )
    assert "pipeline: qa" not in text


def test_engine_name_is_not_repeated_when_the_version_has_it(tmp_path: Path) -> None:
    catalog = build(tmp_path / "book.po", [seg("p1", CAT)])
    catalog.set_machine("p1", CAT_ES, "apertium", "apertium 3.8.3, apertium-eng-spa 0.8.1")
    assert catalog.entry("p1").engine == "apertium 3.8.3, apertium-eng-spa 0.8.1"


def test_long_problem_lines_are_not_wrapped(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    problem = "placeholder <g1> re-nested inside <g2>, " * 4
    catalog = build(path, [seg("p1", CAT)])
    catalog.set_machine("p1", CAT_ES, "apertium", "3.8.3", [problem])
    catalog.save()
    assert load(path).problems("p1") == [problem.strip()]


def test_machine_becomes_reviewed_when_fuzzy_is_cleared(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    catalog = build(path, [seg("p1", CAT)])
    catalog.set_machine("p1", CAT_ES, "apertium", "3.8.3")
    catalog.save()
    approve_in_file(path, "p1")

    catalog = load(path)
    assert catalog.state("p1") is State.REVIEWED
    assert catalog.needs_machine(force=True) == []
    assert catalog.entry("p1").engine == "apertium 3.8.3"  # provenance stays


def test_set_machine_never_overwrites_a_persons_translation(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    reviewed_catalog(path, [seg("p1", CAT)], {"p1": CAT_ES})
    before = path.read_bytes()
    catalog = load(path)
    with pytest.raises(ValueError, match="person"):
        catalog.set_machine("p1", "otra cosa", "apertium", "3.8.3")
    assert catalog.translation("p1") == CAT_ES
    assert catalog.save() is False
    assert path.read_bytes() == before

    catalog.merge([seg("p2", CAT_CHANGED)], SOURCE)
    assert catalog.state("p2") is State.NEEDS_REVIEW
    with pytest.raises(ValueError, match="needs-review"):
        catalog.set_machine("p2", "otra cosa", "apertium", "3.8.3")


def test_set_machine_refuses_empty_text(tmp_path: Path) -> None:
    catalog = build(tmp_path / "book.po", [seg("p1", CAT)])
    with pytest.raises(ValueError, match="empty"):
        catalog.set_machine("p1", "\n", "apertium", "3.8.3")
    assert catalog.state("p1") is State.NEW


def test_unknown_id_is_a_key_error(tmp_path: Path) -> None:
    catalog = build(tmp_path / "book.po", [seg("p1", CAT)])
    with pytest.raises(KeyError):
        catalog.state("nope")
    with pytest.raises(KeyError):
        catalog.set_machine("nope", "x", "pseudo", "1")


# -- merge -----------------------------------------------------------------------


def test_unchanged_document_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    reviewed_catalog(path, [seg("p1", CAT), seg("p2", DOG, 1)], {"p1": CAT_ES})
    catalog = load(path)
    report = catalog.merge([seg("p0", OTHER, 0), seg("p1", CAT, 1), seg("p2", DOG, 2)], SOURCE)
    assert report == MergeReport(kept=2, new=1)
    assert catalog.ids() == ["p0", "p1", "p2"]
    assert catalog.state("p1") is State.REVIEWED
    assert catalog.entry("p1").line == 3  # occurrence refreshed
    catalog.save()
    assert '#: content/en/book.md:3\nmsgctxt "p1"' in path.read_text(encoding="utf-8")


def test_whitespace_or_typography_change_keeps_the_review(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    reviewed_catalog(path, [seg("p1", "It's  done.")], {"p1": "Está hecho."})
    catalog = load(path)
    report = catalog.merge([seg("p1", "It\u2019s done.")], SOURCE)
    assert report == MergeReport(updated=1)
    assert catalog.state("p1") is State.REVIEWED
    assert catalog.entry("p1").source == "It\u2019s done."
    assert catalog.translation("p1") == "Está hecho."


def test_real_change_needs_review_with_previous_source(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    reviewed_catalog(path, [seg("p1", CAT), seg("p2", DOG, 1)], {"p1": CAT_ES})
    catalog = load(path)
    report = catalog.merge([seg("p1b", CAT_CHANGED), seg("p2", DOG, 1)], SOURCE)
    assert report == MergeReport(kept=1, carried_over=1)
    assert catalog.state("p1b") is State.NEEDS_REVIEW
    assert catalog.translation("p1b") == CAT_ES
    assert catalog.entry("p1b").previous_source == CAT
    assert catalog.needs_machine(force=True) == ["p2"]
    catalog.save()

    text = path.read_text(encoding="utf-8")
    assert (
        f'#, fuzzy\n#| msgctxt "p1"\n#| msgid "{CAT}"\nmsgctxt "p1b"\nmsgid "{CAT_CHANGED}"\n'
        f'msgstr "{CAT_ES}"\n'
    ) in text
    assert '"p1"\n#~' not in text and "#~ msgctxt" not in text  # reused, not obsolete
    assert load(path).state("p1b") is State.NEEDS_REVIEW
    msgfmt_check(path)

    approve_in_file(path, "p1b")
    assert load(path).state("p1b") is State.REVIEWED


def test_second_change_keeps_the_source_the_translation_was_made_for(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    reviewed_catalog(path, [seg("p1", CAT)], {"p1": CAT_ES})
    build(path, [seg("p1b", CAT_CHANGED)])
    catalog = build(path, [seg("p1c", CAT_CHANGED.replace("red", "blue"))])
    assert catalog.state("p1c") is State.NEEDS_REVIEW
    assert catalog.entry("p1c").previous_source == CAT
    assert '#| msgctxt "p1"\n' in path.read_text(encoding="utf-8")


def test_machine_translation_is_not_carried_over(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    catalog = build(path, [seg("p1", CAT)])
    catalog.set_machine("p1", CAT_ES, "apertium", "3.8.3")
    catalog.save()
    catalog = load(path)
    report = catalog.merge([seg("p1b", CAT_CHANGED)], SOURCE)
    assert report == MergeReport(new=1, dropped=1)
    assert catalog.state("p1b") is State.NEW
    catalog.save()
    assert CAT_ES not in path.read_text(encoding="utf-8")


def test_dissimilar_text_is_new(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    reviewed_catalog(path, [seg("p1", CAT)], {"p1": CAT_ES})
    catalog = load(path)
    report = catalog.merge([seg("p9", OTHER)], SOURCE)
    assert report == MergeReport(new=1, obsoleted=1)
    assert catalog.state("p9") is State.NEW


def test_deleted_reviewed_segment_is_kept_obsolete(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    reviewed_catalog(path, [seg("p1", CAT), seg("p2", DOG, 1)], {"p1": CAT_ES})
    catalog = load(path)
    report = catalog.merge([seg("p2", DOG)], SOURCE)
    assert report == MergeReport(kept=1, obsoleted=1)
    assert catalog.ids() == ["p2"]
    assert catalog.counts()[State.REVIEWED] == 0
    catalog.save()
    text = path.read_text(encoding="utf-8")
    assert f'#~ msgctxt "p1"\n#~ msgid "{CAT}"\n#~ msgstr "{CAT_ES}"\n' in text
    assert text.index('msgctxt "p2"') < text.index('#~ msgctxt "p1"')
    assert load(path).ids() == ["p2"]
    msgfmt_check(path)


def test_deleted_machine_and_new_segments_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    catalog = build(path, [seg("p1", CAT), seg("p2", DOG, 1), seg("p3", OTHER, 2)])
    catalog.set_machine("p1", CAT_ES, "apertium", "3.8.3")
    catalog.save()
    catalog = load(path)
    report = catalog.merge([seg("p3", OTHER)], SOURCE)
    assert report == MergeReport(kept=1, dropped=2)
    catalog.save()
    text = path.read_text(encoding="utf-8")
    assert "#~" not in text and CAT not in text and DOG not in text


def test_obsolete_translation_is_reused_when_similar_text_comes_back(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    reviewed_catalog(path, [seg("p1", CAT), seg("p2", DOG, 1)], {"p1": CAT_ES})
    build(path, [seg("p2", DOG)])  # p1 deleted: obsolete

    catalog = load(path)
    report = catalog.merge([seg("p1b", CAT_CHANGED), seg("p2", DOG, 1)], SOURCE)
    assert report == MergeReport(kept=1, carried_over=1)
    assert catalog.state("p1b") is State.NEEDS_REVIEW
    assert catalog.translation("p1b") == CAT_ES
    catalog.save()
    text = path.read_text(encoding="utf-8")
    assert "#~" not in text  # reused at most once: no longer obsolete
    assert f'#| msgid "{CAT}"\n' in text


def test_obsolete_entry_is_restored_when_the_same_text_comes_back(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    reviewed_catalog(path, [seg("p1", CAT), seg("p2", DOG, 1)], {"p1": CAT_ES})
    build(path, [seg("p2", DOG)])
    catalog = load(path)
    report = catalog.merge([seg("p1", CAT), seg("p2", DOG, 1)], SOURCE)
    assert report == MergeReport(kept=1, restored=1)
    assert catalog.state("p1") is State.REVIEWED
    assert catalog.ids() == ["p1", "p2"]


def test_obsolete_entry_waiting_for_review_keeps_its_state_across_saves(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    reviewed_catalog(path, [seg("p1", CAT)], {"p1": CAT_ES})
    build(path, [seg("p1b", CAT_CHANGED)])  # needs review
    build(path, [seg("p9", OTHER)])  # deleted: obsolete with #~| previous source
    text = path.read_text(encoding="utf-8")
    assert f'#~| msgid "{CAT}"\n' in text

    catalog = build(path, [seg("p1c", CAT_CHANGED.replace("red", "green"))])
    assert catalog.state("p1c") is State.NEEDS_REVIEW
    assert catalog.translation("p1c") == CAT_ES
    assert catalog.entry("p1c").previous_source == CAT


def test_each_vanished_entry_is_reused_once_nearest_first(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    note = "Note: keep the receipt until the end of the year."
    segments = [seg("n1", note, 0), seg("p2", DOG, 1), seg("p3", OTHER, 2), seg("n4", note, 3)]
    reviewed_catalog(path, segments, {"n1": "Nota: primera.", "n4": "Nota: segunda."})
    changed = note.replace("year", "month")
    catalog = load(path)
    report = catalog.merge(
        [seg("p2", DOG, 0), seg("p3", OTHER, 1), seg("m1", changed, 2), seg("m2", changed, 3)],
        SOURCE,
    )
    assert report == MergeReport(kept=2, carried_over=2)
    assert catalog.translation("m2") == "Nota: segunda."  # n4 was at index 3
    assert catalog.translation("m1") == "Nota: primera."

    catalog = load(path)
    report = catalog.merge([seg("m1", changed, 0)], SOURCE)
    assert report == MergeReport(carried_over=1, obsoleted=1, dropped=2)
    assert catalog.translation("m1") == "Nota: primera."


def test_most_similar_vanished_entry_wins(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    reviewed_catalog(path, [seg("p1", CAT), seg("p2", DOG, 1)], {"p1": CAT_ES, "p2": DOG_ES})
    catalog = load(path)
    catalog.merge([seg("q1", "Dogs bark at night when the moon is fully up.", 0)], SOURCE)
    assert catalog.translation("q1") == DOG_ES


def test_merge_rejects_duplicate_or_empty_segments(tmp_path: Path) -> None:
    catalog = load(tmp_path / "book.po")
    with pytest.raises(ValueError, match="unique"):
        catalog.merge([seg("p1", CAT), seg("p1", CAT, 1)], SOURCE)
    with pytest.raises(ValueError, match="empty"):
        catalog.merge([seg("p1", "")], SOURCE)


def test_merge_report_text() -> None:
    assert str(MergeReport(kept=2, new=1)) == (
        "2 kept, 0 updated, 0 carried_over, 0 restored, 1 new, 0 obsoleted, 0 dropped"
    )


# -- file format -----------------------------------------------------------------

TRICKY = [
    'She said "hola" and left.',
    "A back\\slash, a \\n that is not a newline, and C:\\path\\",
    "First line\nsecond line\nthird",
    "  leading and trailing spaces  ",
    "Tab\tseparated\tand «comillas» ¿qué? ¡sí! ñandú, pingüino, acción",
    "Ends with a newline\n",
    "A very long paragraph " * 8 + "that polib must wrap over several lines.",
]


def test_msgfmt_accepts_tricky_strings(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "book.po"
    segments = [seg(f"t{i}", text, i) for i, text in enumerate(TRICKY)]
    catalog = build(path, segments)
    translations = {
        "t0": 'Dijo "hola" y se fue.',
        "t1": "Una barra\\invertida, un \\n que no es salto, y C:\\ruta\\",
        "t2": "Primera línea\nsegunda línea\ntercera",
        "t3": "  espacios al principio y al final  ",
        "t4": "Tabulador\tseparado y «comillas» ¿qué? ¡sí! ñandú, pingüino, acción",
        "t5": "Termina con salto",  # newline restored to match the source
        "t6": "Un párrafo muy largo " * 8 + "que polib debe partir en varias líneas.",
    }
    for sid, text in translations.items():
        catalog.set_machine(sid, text, "pseudo", "1.0")
    with caplog.at_level(logging.WARNING):
        catalog.save()
    assert not caplog.records
    msgfmt_check(path)
    for sid in translations:
        approve_in_file(path, sid)
    msgfmt_check(path)

    again = load(path)
    for segment in segments:
        assert again.entry(segment.id).source == segment.source
        assert again.state(segment.id) is State.REVIEWED
    expected = {**translations, "t5": "Termina con salto\n"}
    assert {sid: again.translation(sid) for sid in translations} == expected


def test_save_normalises_a_translation_that_breaks_the_newline_rule(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    reviewed_catalog(path, [seg("p1", CAT)], {"p1": "\\nEl gato.\\n"})
    catalog = load(path)
    assert catalog.translation("p1") == "\nEl gato.\n"
    assert catalog.save() is True
    assert load(path).translation("p1") == "El gato."
    msgfmt_check(path)


def test_save_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    segments = [seg(f"t{i}", text, i) for i, text in enumerate(TRICKY)]
    catalog = build(path, segments)
    catalog.set_machine("t0", "Dijo «hola».", "apertium", "3.8.3", ["qa note"])
    assert catalog.save() is True
    os.utime(path, (1_000_000_000, 1_000_000_000))
    before = path.read_bytes()

    assert catalog.save() is False
    again = load(path)
    assert again.merge(segments, SOURCE) == MergeReport(kept=len(segments))
    assert again.save() is False
    assert path.stat().st_mtime == 1_000_000_000
    assert path.read_bytes() == before


def test_crlf_file_from_a_windows_editor_loads(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    catalog = build(path, [seg("p1", CAT)])
    catalog.set_machine("p1", CAT_ES, "apertium", "3.8.3")
    catalog.save()
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert load(path).translation("p1") == CAT_ES


@pytest.mark.parametrize(
    ("text", "line", "detail"),
    [
        ('msgctxt "p1"\nmsgid "a"\nmsgstr "b"\nthis is not PO\n', 4, "syntax error"),
        ('msgctxt "p1"\nmsgid "a"\nmsgstr "unterminated\n', 3, "unterminated"),
        ('msgctxt "p1"\nmsgid "a"\nmsgstr "un"quoted"\n', 3, "unescaped quote"),
        ('msgctxt "p1"\nmsgid "a"\nmsgstr "no such \\q"\n', 3, "unsupported escape"),
        ('msgctxt "p1"\nmsgid "a"\nmsgstr "b"\n"\n', 4, "malformed"),
    ],
)
def test_malformed_po_names_file_and_line(
    tmp_path: Path, text: str, line: int, detail: str
) -> None:
    path = tmp_path / "book.po"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError, match=detail) as info:
        load(path)
    error = info.value
    assert error.path == str(path)
    assert error.line == line
    assert error.hint is not None and "msgfmt -c" in error.hint
    assert str(error).startswith(f"{path}:{line}: ")


def test_latin1_file_is_read_and_saved_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    path.write_bytes(
        b'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=ISO-8859-1\\n"\n\n'
        b'msgctxt "p1"\nmsgid "Coffee"\nmsgstr "Caf\xe9"\n'
    )
    catalog = load(path)
    assert catalog.translation("p1") == "Caf\u00e9"
    catalog.save()
    assert "charset=UTF-8" in path.read_text(encoding="utf-8")
    assert load(path).translation("p1") == "Caf\u00e9"


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    path.write_bytes(b'msgctxt "p1"\nmsgid "a"\nmsgstr "caf\xe9"\n')
    with pytest.raises(CatalogError, match="utf-8") as info:
        load(path)
    assert info.value.line == 3


def test_duplicate_msgctxt_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    path.write_text(
        'msgctxt "p1"\nmsgid "a"\nmsgstr ""\n\n#. paragraph\nmsgctxt "p1"\nmsgid "b"\nmsgstr ""\n',
        encoding="utf-8",
    )
    with pytest.raises(CatalogError, match="duplicate msgctxt") as info:
        load(path)
    assert info.value.line == 5


def test_entry_without_msgctxt_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    path.write_text('msgctxt "p1"\nmsgid "a"\nmsgstr ""\n\nmsgid "b"\nmsgstr ""\n')
    with pytest.raises(CatalogError, match="msgctxt") as info:
        load(path)
    assert info.value.line == 5


def test_obsolete_entries_repeating_an_entry_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    reviewed_catalog(path, [seg("p1", CAT)], {"p1": CAT_ES})
    with path.open("a", encoding="utf-8") as handle:
        for translation in ("Viejo.", "Más viejo."):
            handle.write(f'\n#~ msgctxt "p1"\n#~ msgid "{CAT}"\n#~ msgstr "{translation}"\n')
        handle.write(f'\n#~ msgctxt "p0"\n#~ msgid "{DOG}"\n#~ msgstr "{DOG_ES}"\n')
    catalog = load(path)
    assert catalog.save() is True
    text = path.read_text(encoding="utf-8")
    assert "viejo" not in text.lower()
    assert f'#~ msgstr "{DOG_ES}"' in text
    msgfmt_check(path)


def test_unreadable_path_is_a_catalog_error(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    path.mkdir()
    with pytest.raises(CatalogError, match="cannot read"):
        load(path)


# -- round trip ------------------------------------------------------------------

texts = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=200)


def obeys_newline_rule(msgid: str, msgstr: str) -> bool:
    """msgfmt -c: msgid and msgstr both begin, and both end, with a newline or not."""
    return msgid.startswith("\n") == msgstr.startswith("\n") and msgid.endswith(
        "\n"
    ) == msgstr.endswith("\n")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=texts, translation=texts, problems=st.lists(texts, max_size=2))
def test_round_trip(source: str, translation: str, problems: list[str]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "book.po"
        catalog = load(path)
        catalog.merge([seg("p1", source), seg("p2", "fixed"), seg("p3", translation)], SOURCE)
        translated = bool(translation.strip("\n"))
        if translated:
            catalog.set_machine("p1", translation, "pseudo", "1", problems)
        assert catalog.save() is True
        catalog_text = path.read_text(encoding="utf-8")

        again = load(path)
        assert again.ids() == ["p1", "p2", "p3"]
        assert again.entry("p1").source == source
        assert again.entry("p3").source == translation
        stored = again.translation("p1")
        if translated:
            assert stored is not None
            assert obeys_newline_rule(source, stored)
            assert stored.strip("\n") == translation.strip("\n")
            if obeys_newline_rule(source, translation):
                assert stored == translation
            assert again.problems("p1") == [" ".join(p.split()) for p in problems]
        else:
            assert stored is None
        assert again.to_text() == catalog_text
        assert again.save() is False


def test_no_warnings_in_a_normal_build(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "book.po"
    with caplog.at_level(logging.WARNING):
        reviewed_catalog(path, [seg("p1", CAT), seg("p2", DOG, 1)], {"p1": CAT_ES})
        build(path, [seg("p1b", CAT_CHANGED), seg("p3", OTHER, 1)])
    assert not caplog.records
    assert re.search(r"^#~ msgctxt", path.read_text(encoding="utf-8"), re.M) is None


# -- records, approvals and the PO header ---------------------------------------

ANA = "Ana Ruiz <ana@example.org>"


def header(path: Path) -> dict[str, str]:
    return polib.pofile(str(path)).metadata


def set_header(path: Path, key: str, value: str) -> None:
    """Change one header field as a PO editor does."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(rf'^"{key}: .*\\n"$', f'"{key}: {value}\\\\n"', text, count=1, flags=re.M)
    path.write_text(text, encoding="utf-8")


def approved(path: Path, segments: list[Segment], who: str = ANA) -> Catalog:
    """A saved catalogue whose entries were machine-translated then approved by ``who``."""
    catalog = build(path, segments)
    for segment in segments:
        catalog.set_machine(segment.id, f"ES {segment.source}", "apertium", "3.8.3")
        catalog.approve(segment.id, who, when="2024-05-01T10:00:00+02:00")
    catalog.save()
    return catalog


def test_records_are_read_only_extracted_comments(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    approved(path, [seg("p1", CAT)])
    text = path.read_text(encoding="utf-8")
    assert (
        "#. paragraph\n#. pipeline: mt apertium 3.8.3\n"
        f"#. pipeline: reviewed-by {ANA}\n#. pipeline: reviewed-at 2024-05-01\n"
        f"#. pipeline: source-sha {sha(CAT)}\n#. pipeline: target-sha {sha('ES ' + CAT)}\n"
        "#: content/en/book.md:1\n"
    ) in text
    assert not re.search(r"^# ", text.split('msgid ""')[1], re.M)  # nothing in the # box
    entry = load(path).entry("p1")
    assert (entry.reviewer, entry.reviewed_at, entry.notes) == (ANA, "2024-05-01", ())


def test_approval_sets_the_header_fields_a_po_editor_sets(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    approved(path, [seg("p1", CAT)])
    fields = header(path)
    assert fields["PO-Revision-Date"] == "2024-05-01 10:00+0200"
    assert fields["Last-Translator"] == ANA
    assert fields["Language-Team"] == "Spanish"
    msgfmt_check(path)
    result = subprocess.run(
        ["msgfmt", "-c", "--check-format", "-o", os.devnull, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stderr == ""  # not even a warning about the header

    set_header(path, "Language-Team", "Equipo de español <es@li.org>")
    catalog = load(path)
    catalog.approve("p1", "Luis", when="2024-06-02T08:05:00+00:00")
    catalog.save()
    fields = header(path)
    assert fields["Language-Team"] == "Equipo de español <es@li.org>"  # kept
    assert (fields["Last-Translator"], fields["PO-Revision-Date"]) == (
        "Luis",
        "2024-06-02 08:05+0000",
    )


def test_old_translator_comment_records_are_migrated(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    path.write_text(
        'msgid ""\nmsgstr ""\n"Language: es\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        f"# Check the tone with Ana.\n# mt: apertium 3.8.3\n# mt-sha: {sha(CAT_ES)}\n"
        "# reviewed-by: Ana\n# reviewed-at: 2024-05-01\n"
        f"# source-sha: {sha(CAT)}\n# qa-skip: glossary\n#. paragraph\n#: content/en/book.md:1\n"
        f'msgctxt "p1"\nmsgid "{CAT}"\nmsgstr "{CAT_ES}"\n\n'
        f"# mt: apertium 3.8.3\n# mt-sha: {sha(DOG_ES)}\n#. paragraph\n#, fuzzy\n"
        f'msgctxt "p2"\nmsgid "{DOG}"\nmsgstr "{DOG_ES}"\n',
        encoding="utf-8",
    )
    catalog = load(path)
    assert catalog.state("p1") is State.REVIEWED and catalog.state("p2") is State.MACHINE
    entry = catalog.entry("p1")
    assert entry.reviewer == "Ana" and entry.engine == "apertium 3.8.3"
    assert entry.notes == ("Check the tone with Ana.", "qa-skip: glossary")  # people's, verbatim
    assert catalog.adopt_approvals() == 0  # the old approval holds
    catalog.save()
    text = path.read_text(encoding="utf-8")
    assert "# mt:" not in text and "# reviewed-by" not in text
    assert "# Check the tone with Ana.\n# qa-skip: glossary\n#. paragraph\n" in text
    assert "#. pipeline: reviewed-by Ana\n#. pipeline: reviewed-at 2024-05-01\n" in text
    assert f"#. pipeline: target-sha {sha(CAT_ES)}\n" in text
    assert load(path).save() is False
    msgfmt_check(path)


def test_translator_comments_never_change_the_state(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    approved(path, [seg("p1", CAT), seg("p2", DOG, 1)])
    # Someone types record-like lines in p1's comment box and clears p2's.
    po_file = polib.pofile(str(path))
    po_file[0].tcomment = "reviewed-by: Mallory\nmt-sha: 000000000000\nPlease check"
    po_file[1].tcomment = ""
    po_file.save()
    again = load(path)
    assert again.state("p1") is State.REVIEWED and again.entry("p1").reviewer == ANA
    assert again.entry("p1").notes == (
        "reviewed-by: Mallory",
        "mt-sha: 000000000000",
        "Please check",
    )
    assert again.adopt_approvals() == 0
    assert again.reviewers(with_email=True) == [ANA]


def test_records_lost_to_msgmerge_with_a_pot(tmp_path: Path) -> None:
    """msgmerge replaces #. by the POT's: states then follow the flags, nobody is credited."""
    path = tmp_path / "book.po"
    catalog = approved(path, [seg("p1", CAT)])
    catalog.merge([seg("p1", CAT), seg("p2", DOG, 1)], SOURCE)
    catalog.set_machine("p2", DOG_ES, "apertium", "3.8.3")
    catalog.save()
    pot = tmp_path / "book.pot"
    pot.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        f'#. from the POT\nmsgctxt "p1"\nmsgid "{CAT}"\nmsgstr ""\n\n'
        f'msgctxt "p2"\nmsgid "{DOG}"\nmsgstr ""\n',
        encoding="utf-8",
    )
    subprocess.run(["msgmerge", "-q", "-U", "--backup=off", str(path), str(pot)], check=True)
    assert "pipeline:" not in path.read_text(encoding="utf-8")
    catalog = load(path)
    assert catalog.state("p2") is State.NEEDS_REVIEW  # fuzzy, not known to be the engine's
    assert catalog.state("p1") is State.REVIEWED
    assert catalog.adopt_approvals() == 0  # Last-Translator unchanged: nobody to credit
    assert catalog.state("p1") is State.NEEDS_REVIEW
    assert catalog.entry("p1").reviewer is None and catalog.entry("p1").remarks
    assert catalog.needs_machine(force=True) == []  # a person's work is never overwritten


def test_typography_only_source_edits_keep_the_approval(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    approved(path, [seg("p1", 'He said "wait -- what?" and left.')])
    for sid, source in [
        ("p2", "He said \u201cwait \u2014 what?\u201d and left."),
        ("p3", "He said \u201cwait\u2014what?\u201d and left."),
        ("p4", "He said  \u201cwait --- what?\u201d\nand left."),
    ]:
        catalog = load(path)
        report = catalog.merge([seg(sid, source)], SOURCE)
        assert report == MergeReport(updated=1), source
        assert catalog.state(sid) is State.REVIEWED
        assert catalog.entry(sid).reviewer == ANA and catalog.entry(sid).previous_source is None
        assert catalog.adopt_approvals() == 0
        catalog.save()


def test_an_undone_source_edit_restores_the_approval(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    approved(path, [seg("p1", CAT), seg("p2", DOG, 1)])
    catalog = build(path, [seg("p1b", CAT_CHANGED), seg("p2", DOG, 1)])
    assert catalog.state("p1b") is State.NEEDS_REVIEW
    assert catalog.entry("p1b").reviewer is None  # not reviewed for this source

    catalog = build(path, [seg("p1", CAT), seg("p2", DOG, 1)])  # the edit is undone
    entry = catalog.entry("p1")
    assert entry.state is State.REVIEWED and entry.previous_source is None
    assert (entry.reviewer, entry.reviewed_at) == (ANA, "2024-05-01")
    assert catalog.adopt_approvals() == 0
    assert "#|" not in path.read_text(encoding="utf-8")

    # Undone with other quotes: no needs-review with an empty diff either.
    build(path, [seg("p1c", CAT_CHANGED), seg("p2", DOG, 1)])
    catalog = build(path, [seg("p1d", CAT.replace("mat", "mat\u00a0")), seg("p2", DOG, 1)])
    assert catalog.state("p1d") is State.REVIEWED


def test_an_edit_after_approval_is_never_credited_to_the_reviewer(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    approved(path, [seg("p1", CAT), seg("p2", DOG, 1)])
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(f'"ES {CAT}"', '"El gato, editado a mano."'), encoding="utf-8")
    catalog = load(path)
    assert catalog.adopt_approvals() == 0  # Last-Translator is still Ana: who edited it?
    entry = catalog.entry("p1")
    assert entry.state is State.NEEDS_REVIEW and entry.reviewer is None
    assert entry.remarks and "Ana" in entry.remarks[0] and "Last-Translator" in entry.remarks[0]
    assert catalog.reviewers() == ["Ana Ruiz"]  # only for p2, which nobody touched
    catalog.save()
    assert "#, fuzzy\n" in path.read_text(encoding="utf-8")
    msgfmt_check(path)


def test_an_edit_in_a_po_editor_is_credited_to_its_last_translator(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    approved(path, [seg("p1", CAT), seg("p2", DOG, 1)])
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(f'"ES {CAT}"', '"El gato, corregido."'), encoding="utf-8")
    set_header(path, "Last-Translator", "Marta Gil <marta@example.org>")
    set_header(path, "PO-Revision-Date", "2024-07-09 12:00+0200")
    catalog = load(path)
    assert catalog.adopt_approvals() == 1
    entry = catalog.entry("p1")
    assert (entry.state, entry.reviewer, entry.reviewed_at) == (
        State.REVIEWED,
        "Marta Gil <marta@example.org>",
        "2024-07-09",
    )
    assert catalog.entry("p2").reviewer == ANA
    assert catalog.reviewers() == ["Ana Ruiz", "Marta Gil"]
    catalog.save()
    again = load(path)
    assert again.adopt_approvals() == 0  # recorded once; Marta is now the header the pipeline saw


def test_an_approval_without_a_last_translator_needs_review(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    catalog = build(path, [seg("p1", CAT)])
    catalog.set_machine("p1", CAT_ES, "apertium", "3.8.3")
    catalog.save()
    approve_in_file(path, "p1")
    catalog = load(path)
    assert catalog.adopt_approvals() == 0
    entry = catalog.entry("p1")
    assert entry.state is State.NEEDS_REVIEW and entry.reviewer is None
    assert "PO editor" in entry.remarks[0]
    catalog.save()
    assert "unknown" not in path.read_text(encoding="utf-8")
    approve_in_file(path, "p1")  # approved again, now by a named translator
    set_header(path, "Last-Translator", "Marta Gil <marta@example.org>")
    catalog = load(path)
    assert catalog.adopt_approvals() == 1
    assert catalog.entry("p1").remarks == ()


def test_reviewers_without_or_with_email(tmp_path: Path) -> None:
    path = tmp_path / "book.po"
    catalog = approved(path, [seg("p1", CAT), seg("p2", DOG, 1)])
    catalog.approve("p2", "Luis")
    assert catalog.reviewers() == ["Ana Ruiz", "Luis"]
    assert catalog.reviewers(with_email=True) == [ANA, "Luis"]
