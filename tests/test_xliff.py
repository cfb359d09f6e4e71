"""XLIFF 2.1 export/import: schema validity, round trips, refusals, safe parsing."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import assert_one_line_error, make_project, po_path, run
from lxml import etree

from pipeline.catalog.catalog import Catalog, State
from pipeline.catalog.version import entry_version
from pipeline.config import load_config
from pipeline.errors import ExchangeError
from pipeline.exchange.codes import Code, align_target
from pipeline.exchange.xliff import (
    PIPELINE_NS,
    XLIFF_NS,
    export_xliff,
    import_xliff,
    load_schema,
)
from pipeline.exchange.xmlutil import XML_LANG, XML_SPACE
from pipeline.project import open_book
from pipeline.source.inline import encode
from pipeline.source.markdown import Document, md, parse_document

NS = {"x": XLIFF_NS}
ENTRY_VERSION = f"{{{PIPELINE_NS}}}entry-version"
UNIT_VERSION = f"{{{PIPELINE_NS}}}unit-version"
SOURCE = "content/en/book.md"
XLF = Path("book.es.xlf")

BOOK = """\
# The *big* house

See [the docs](https://example.com/docs "Docs") and run `ls -l` in 42 seconds.

We say "hello" to **everyone** here.

- Read the [Foo] guide first.
- A line with an ![icon](icon.png) inside.

| Name | Notes |
| ---- | ----- |
| Cell | Short *note* |

[Foo]: https://foo.example/
"""

HEADING = "The *big* house"
LINKED = 'See [the docs](https://example.com/docs "Docs") and run `ls -l` in 42 seconds.'
QUOTED = 'We say "hello" to **everyone** here.'
SHORTCUT = "Read the [Foo] guide first."
IMAGE = "A line with an ![icon](icon.png) inside."


def ids(doc: Document) -> dict[str, str]:
    """Segment id by source."""
    return {seg.source: seg.id for seg in doc.segments}


def make(tmp_path: Path, text: str = BOOK) -> tuple[Document, Catalog]:
    """A document and its catalogue: one machine, one reviewed, one needs-review entry."""
    doc = parse_document(text, SOURCE)
    catalog = Catalog(tmp_path / "book.po", lang="es", source_lang="en", book="book")
    catalog.merge(doc.segments, SOURCE)
    sid = ids(doc)
    catalog.set_machine(
        sid[LINKED],
        'Vea [los docs](https://example.com/docs "Docs") y ejecute `ls -l` en 42 segundos.',
        "apertium",
        "3.8.3",
        problems=["placeholder x2 moved"],
    )
    catalog.approve(sid[HEADING], "Ana", text="La casa *grande*", when="2024-05-01")
    catalog.set_translation(sid[SHORTCUT], "Lea primero la guía [Foo].", translator="Bob")
    return doc, catalog


def unit(root: etree._Element, sid: str) -> etree._Element:
    found = root.find(f".//x:unit[@id='{sid}']", NS)
    assert found is not None, sid
    return found


def segment(root: etree._Element, sid: str) -> etree._Element:
    found = unit(root, sid).find("x:segment", NS)
    assert found is not None
    return found


def target_of(root: etree._Element, sid: str) -> etree._Element:
    """The unit's target, created as a copy of the source when there is none."""
    seg = segment(root, sid)
    target = seg.find("x:target", NS)
    if target is None:
        source = seg.find("x:source", NS)
        assert source is not None
        target = copy.deepcopy(source)
        target.tag = f"{{{XLIFF_NS}}}target"
        seg.append(target)
    return target


def code(parent: etree._Element, name: str, code_id: str) -> etree._Element:
    found = parent.find(f".//x:{name}[@id='{code_id}']", NS)
    assert found is not None, (name, code_id)
    return found


# --------------------------------------------------------------------------- export


def test_the_schema_refuses_what_xliff_21_core_forbids() -> None:
    bogus = (
        f'<xliff xmlns="{XLIFF_NS}" version="2.1" srcLang="en"><file id="f"><unit id="u">'
        '<segment state="done"><source>a</source></segment></unit></file></xliff>'
    )
    assert not load_schema().validate(etree.fromstring(bogus))


def test_export_validates_against_the_xliff_21_schema(tmp_path: Path) -> None:
    doc, catalog = make(tmp_path)
    root = etree.fromstring(export_xliff(doc, catalog))
    schema = load_schema()
    assert schema.validate(root), schema.error_log


def test_export_is_deterministic(tmp_path: Path) -> None:
    doc, catalog = make(tmp_path)
    assert export_xliff(doc, catalog) == export_xliff(doc, catalog)


def test_export_has_languages_units_states_and_notes(tmp_path: Path) -> None:
    doc, catalog = make(tmp_path)
    data = export_xliff(doc, catalog)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    root = etree.fromstring(data)
    assert (root.get("version"), root.get("srcLang"), root.get("trgLang")) == ("2.1", "en", "es")
    files = root.findall("x:file", NS)
    assert [f.get("id") for f in files] == ["book"]
    assert [u.get("id") for u in root.iterfind(".//x:unit", NS)] == [s.id for s in doc.segments]

    sid = ids(doc)
    states = {
        s.id: (segment(root, s.id).get("state"), segment(root, s.id).get("subState"))
        for s in doc.segments
    }
    assert states[sid[HEADING]] == ("reviewed", "pipeline:reviewed")
    assert states[sid[LINKED]] == ("initial", "pipeline:machine")
    assert states[sid[SHORTCUT]] == ("translated", "pipeline:needs-review")
    assert states[sid[QUOTED]] == ("initial", "pipeline:new")
    assert segment(root, sid[QUOTED]).find("x:target", NS) is None

    def notes(segment_id: str) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for note in unit(root, segment_id).iterfind("x:notes/x:note", NS):
            found.setdefault(note.get("category", ""), []).append(note.text or "")
        return found

    linked = notes(sid[LINKED])
    assert linked["location"] == [f"{SOURCE}:3"]
    assert linked["kind"] == ["paragraph"]
    assert linked["engine"] == ["apertium 3.8.3"]
    assert linked["qa"] == ["placeholder x2 moved"]
    heading = notes(sid[HEADING])
    assert heading["reviewer"] == ["Ana"] and heading["reviewed-at"] == ["2024-05-01"]
    assert notes(sid[SHORTCUT])["translator"] == ["Bob"]


def test_inline_markup_is_pc_and_ph_with_the_same_ids_in_source_and_target(
    tmp_path: Path,
) -> None:
    doc, catalog = make(tmp_path)
    root = etree.fromstring(export_xliff(doc, catalog))
    sid = ids(doc)[LINKED]
    seg = segment(root, sid)
    source, target = seg.find("x:source", NS), seg.find("x:target", NS)
    assert source is not None and target is not None
    data = {d.get("id"): d.text for d in unit(root, sid).iterfind("x:originalData/x:data", NS)}

    link = code(source, "pc", "g1")
    assert link.get("type") == "link" and link.text == "the docs"
    assert data[link.get("dataRefStart")] == "["
    assert data[link.get("dataRefEnd")] == '](https://example.com/docs "Docs")'
    span = code(source, "ph", "x2")
    assert span.get("subType") == "pipeline:code" and data[span.get("dataRef")] == "`ls -l`"
    # Numbers are words for a translator: plain text, no placeholder.
    assert "42 seconds." in "".join(source.itertext())
    assert len(source) == 2

    assert code(target, "pc", "g1").text == "los docs"
    assert code(target, "ph", "x2").get("dataRef") == span.get("dataRef")
    emphasis = code(segment(root, ids(doc)[HEADING]), "pc", "g1")
    assert (emphasis.get("type"), emphasis.get("subType")) == ("fmt", "xlf:i")


def test_highlight_insertion_and_scripts_are_fmt_codes_and_come_back(tmp_path: Path) -> None:
    text = "==Back up first.== ^^New:^^ H~2~O at 10^4^ Pa."
    doc, catalog = make(tmp_path, BOOK + "\n" + text + "\n")
    root = etree.fromstring(export_xliff(doc, catalog))
    assert load_schema().validate(root)
    source = segment(root, ids(doc)[text]).find("x:source", NS)
    assert source is not None
    assert [
        (pc.get("type"), pc.get("subType"), pc.text) for pc in source.iter(f"{{{XLIFF_NS}}}pc")
    ] == [
        ("fmt", "pipeline:highlight", "Back up first."),
        ("fmt", "xlf:u", "New:"),
        ("fmt", "pipeline:subscript", "2"),
        ("fmt", "pipeline:superscript", "4"),
    ]
    # A translator's target with the codes where the source has them comes back
    # as Markdown with its markers.
    target = target_of(root, ids(doc)[text])
    pcs = list(target.iter(f"{{{XLIFF_NS}}}pc"))
    pcs[0].text, pcs[1].text = "Copia antes.", "Nuevo:"
    pcs[0].tail, pcs[1].tail, pcs[2].tail = " ", " H", "O a 10"
    seg = segment(root, ids(doc)[text])
    seg.set("state", "reviewed")
    import_xliff(etree.tostring(root), doc, catalog, path=XLF, reviewer="Eve")
    entry = catalog.entry(ids(doc)[text])
    assert entry is not None
    assert entry.translation == "==Copia antes.== ^^Nuevo:^^ H~2~O a 10^4^ Pa."


def test_characters_xml_cannot_hold_are_cp_elements(tmp_path: Path) -> None:
    doc, catalog = make(tmp_path, BOOK + "\nA bell \x07 rings here.\n")
    data = export_xliff(doc, catalog)
    root = etree.fromstring(data)
    cps = root.findall(".//x:source/x:cp", NS)
    assert [cp.get("hex") for cp in cps] == ["0007"]
    assert load_schema().validate(root)
    report = import_xliff(data, doc, catalog, path=XLF, reviewer="Eve")
    assert report.changed == 0 and not report.warnings


def test_align_target_matches_markup_by_kind_and_source() -> None:
    source = encode('Run `a`, then `b` and see [docs](u "t") *now*.')
    items, problems = align_target(source, 'Mira *ya* [docs](u "t"), ejecuta `b` y `a` **más**.')
    codes = [item for item in items if isinstance(item, Code)]
    got = [(c.id, c.kind, c.start) for c in codes]
    assert got == [
        ("g4", "em", "*"),
        ("g3", "link", "["),
        ("x2", "code_inline", "`b`"),
        ("x1", "code_inline", "`a`"),
        ("t1", "strong", "**"),
    ]
    assert problems == ["markup '**…**' of the translation is not in the source"]


def test_align_target_knows_images_by_where_they_point_not_by_their_description() -> None:
    doc = parse_document("![a map][m] ![the map] ![a map](b.png)\n\n[m]: a.png\n[the map]: c.png")
    source = encode(doc.segments[0].source, doc.env)
    items, problems = align_target(
        source, "![otro](b.png) ![un mapa][M] ![el mapa][the map]", doc.env
    )
    codes = [item for item in items if isinstance(item, Code)]
    assert [(c.id, c.end, c.children) for c in codes] == [
        ("x3", "](b.png)", ["otro"]),
        ("x1", "][M]", ["un mapa"]),
        ("x2", "][the map]", ["el mapa"]),
    ]
    assert problems == []


# --------------------------------------------------------------------------- import


def test_importing_an_untouched_export_changes_nothing(tmp_path: Path) -> None:
    doc, catalog = make(tmp_path)
    before = catalog.to_text()
    report = import_xliff(export_xliff(doc, catalog), doc, catalog, path=XLF, reviewer="Eve")
    assert report.changed == 0 and not report.skipped and not report.warnings
    assert len(report.unchanged) == len(doc.segments)
    assert catalog.to_text() == before


def test_round_trip_reviewed_target_restores_markup_from_the_source(tmp_path: Path) -> None:
    doc, catalog = make(tmp_path)
    sid = ids(doc)[LINKED]
    root = etree.fromstring(export_xliff(doc, catalog))
    target = target_of(root, sid)
    # The reviewer rewrites the words, keeps the codes, and approves.
    target.text = "Consulte "
    link = code(target, "pc", "g1")
    link.text = "la documentación"
    link.tail = " y ejecute "
    code(target, "ph", "x2").tail = " durante 42 segundos."
    segment(root, sid).set("state", "reviewed")

    report = import_xliff(
        etree.tostring(root), doc, catalog, path=XLF, reviewer="Eve", when="2024-06-02"
    )

    assert report.approved == (sid,) and not report.warnings
    entry = catalog.entry(sid)
    assert entry.translation == (
        'Consulte [la documentación](https://example.com/docs "Docs") '
        "y ejecute `ls -l` durante 42 segundos."
    )
    assert entry.state is State.REVIEWED
    assert (entry.reviewer, entry.reviewed_at) == ("Eve", "2024-06-02")


def test_round_trip_final_target_of_a_new_segment(tmp_path: Path) -> None:
    doc, catalog = make(tmp_path)
    sid = ids(doc)[QUOTED]
    root = etree.fromstring(export_xliff(doc, catalog))
    target = target_of(root, sid)  # a copy of the source, as CAT tools start
    target.text = 'Decimos "hola" a '
    code(target, "pc", "g1").text = "todos"
    code(target, "pc", "g1").tail = " aquí."
    segment(root, sid).set("state", "final")
    report = import_xliff(etree.tostring(root), doc, catalog, path=XLF, reviewer="Eve")
    assert report.approved == (sid,)
    assert catalog.translation(sid) == 'Decimos "hola" a **todos** aquí.'
    assert catalog.state(sid) is State.REVIEWED


def test_a_key_is_one_code_whose_words_a_cat_tool_cannot_change(tmp_path: Path) -> None:
    keys = "Press <kbd>Ctrl</kbd>+<kbd>Home</kbd> to go to the top."
    doc, catalog = make(tmp_path, BOOK + "\n" + keys + "\n")
    sid = ids(doc)[keys]
    root = etree.fromstring(export_xliff(doc, catalog))
    source = segment(root, sid).find("x:source", NS)
    assert source is not None and "Home" not in "".join(source.itertext())
    target = target_of(root, sid)  # a copy of the source, as CAT tools start
    target.text = "Pulse "
    code(target, "ph", "x1").tail = "+"
    code(target, "ph", "x2").tail = " para ir al principio."
    segment(root, sid).set("state", "reviewed")
    report = import_xliff(etree.tostring(root), doc, catalog, path=XLF, reviewer="Eve")
    assert report.approved == (sid,) and not report.warnings
    assert catalog.translation(sid) == (
        "Pulse <kbd>Ctrl</kbd>+<kbd>Home</kbd> para ir al principio."
    )


def test_translated_target_is_stored_for_review(tmp_path: Path) -> None:
    doc, catalog = make(tmp_path)
    sid = ids(doc)[IMAGE]
    root = etree.fromstring(export_xliff(doc, catalog))
    target = target_of(root, sid)
    # The image's description is text inside its code, for the translator.
    source = segment(root, sid).find("x:source", NS)
    assert source is not None
    image = code(source, "pc", "x1")
    assert (image.text, image.get("type")) == ("icon", "image")
    assert (image.get("dispStart"), image.get("dispEnd")) == ("![", "](icon.png)")
    target.text = "Una línea con un "
    code(target, "pc", "x1").text = "icono"
    code(target, "pc", "x1").tail = " dentro."
    segment(root, sid).set("state", "translated")
    report = import_xliff(etree.tostring(root), doc, catalog, path=XLF, reviewer="Eve")
    assert report.translated == (sid,) and report.approved == ()
    entry = catalog.entry(sid)
    assert entry.translation == "Una línea con un ![icono](icon.png) dentro."
    assert entry.state is State.NEEDS_REVIEW and entry.translator == "Eve"


def test_approving_an_untouched_machine_translation_keeps_its_text(tmp_path: Path) -> None:
    doc, catalog = make(tmp_path)
    sid = ids(doc)[LINKED]
    machine = catalog.translation(sid)
    root = etree.fromstring(export_xliff(doc, catalog))
    segment(root, sid).set("state", "reviewed")
    report = import_xliff(etree.tostring(root), doc, catalog, path=XLF, reviewer="Eve")
    assert report.approved == (sid,)
    assert catalog.translation(sid) == machine and catalog.state(sid) is State.REVIEWED


def test_initial_state_targets_are_not_applied(tmp_path: Path) -> None:
    doc, catalog = make(tmp_path)
    sid = ids(doc)[LINKED]
    before = catalog.to_text()
    root = etree.fromstring(export_xliff(doc, catalog))
    target_of(root, sid).text = "Otra cosa "
    report = import_xliff(etree.tostring(root), doc, catalog, path=XLF, reviewer="Eve")
    assert report.skipped == (sid,) and report.changed == 0
    assert any("initial" in w for w in report.warnings)
    assert catalog.to_text() == before


def test_a_lost_code_is_restored_and_the_unit_is_not_approved(tmp_path: Path) -> None:
    doc, catalog = make(tmp_path)
    sid = ids(doc)[LINKED]
    root = etree.fromstring(export_xliff(doc, catalog))
    target = target_of(root, sid)
    target.remove(code(target, "ph", "x2"))  # the translator deleted the code span
    segment(root, sid).set("state", "reviewed")
    report = import_xliff(etree.tostring(root), doc, catalog, path=XLF, reviewer="Eve")
    assert report.translated == (sid,) and report.approved == ()
    assert any(w.startswith(f"{sid}: placeholder x2") for w in report.warnings)
    assert "`ls -l`" in (catalog.translation(sid) or "")
    assert catalog.state(sid) is State.NEEDS_REVIEW


def test_words_typed_like_markdown_stay_words(tmp_path: Path) -> None:
    doc, catalog = make(tmp_path)
    sid = ids(doc)[QUOTED]
    root = etree.fromstring(export_xliff(doc, catalog))
    target = target_of(root, sid)
    target.text = "Decimos *hola* a "
    code(target, "pc", "g1").text = "todos"
    code(target, "pc", "g1").tail = " [aquí]."
    segment(root, sid).set("state", "translated")
    import_xliff(etree.tostring(root), doc, catalog, path=XLF, reviewer="Eve")
    assert catalog.translation(sid) == r"Decimos \*hola\* a **todos** \[aquí\]."


def test_the_reviewer_may_be_named_in_the_file(tmp_path: Path) -> None:
    doc, catalog = make(tmp_path)
    sid = ids(doc)[LINKED]
    root = etree.fromstring(export_xliff(doc, catalog))
    segment(root, sid).set("state", "reviewed")
    before = catalog.to_text()
    with pytest.raises(ExchangeError, match="no reviewer"):
        import_xliff(etree.tostring(root), doc, catalog, path=XLF, reviewer=None)
    assert catalog.to_text() == before
    notes = root.find("x:file/x:notes", NS)
    assert notes is not None
    note = etree.SubElement(notes, f"{{{XLIFF_NS}}}note", category="reviewer")
    note.text = "Rosa"
    import_xliff(etree.tostring(root), doc, catalog, path=XLF, reviewer=None)
    assert catalog.entry(sid).reviewer == "Rosa"


def test_a_segmented_unit_is_joined(tmp_path: Path) -> None:
    doc, catalog = make(tmp_path)
    sid = ids(doc)[QUOTED]
    root = etree.fromstring(export_xliff(doc, catalog))
    first = segment(root, sid)
    source = first.find("x:source", NS)
    assert source is not None
    # A CAT tool split the unit in two segments after "to ".
    strong = code(source, "pc", "g1")
    second = etree.SubElement(unit(root, sid), f"{{{XLIFF_NS}}}segment", state="reviewed")
    source2 = etree.SubElement(second, f"{{{XLIFF_NS}}}source")
    source2.append(strong)  # moves the <pc> and its tail
    first.set("state", "reviewed")
    target1 = etree.SubElement(first, f"{{{XLIFF_NS}}}target")
    target1.text = 'Decimos "hola" a '
    target2 = copy.deepcopy(source2)
    target2.tag = f"{{{XLIFF_NS}}}target"
    target2[0].text = "todos"
    target2[0].tail = " aquí."
    second.append(target2)
    assert load_schema().validate(root)
    report = import_xliff(etree.tostring(root), doc, catalog, path=XLF, reviewer="Eve")
    assert report.approved == (sid,)
    assert catalog.translation(sid) == 'Decimos "hola" a **todos** aquí.'


def without_versions(data: bytes) -> bytes:
    """An export as pipeline wrote it before units carried versions."""
    root = etree.fromstring(data)
    for found in root.iterfind(".//x:unit", NS):
        for name in (ENTRY_VERSION, UNIT_VERSION):
            del found.attrib[name]
    etree.cleanup_namespaces(root)
    return etree.tostring(root)


SPEC = Path(__file__).parent / "fixtures" / "commonmark-spec-0.31.2.json"


def test_commonmark_examples_export_valid_and_round_trip(tmp_path: Path) -> None:
    """Every spec example: valid XLIFF; re-importing it untouched is a no-op;
    approving its targets (identity translations) into a catalogue holding
    other text gives Markdown that renders as the source does."""
    schema = load_schema()
    for number, example in enumerate(json.loads(SPEC.read_text(encoding="utf-8")), 1):
        doc = parse_document(example["markdown"], SOURCE)
        if not doc.segments:
            continue
        catalog = Catalog(tmp_path / "a.po", lang="es", source_lang="en", book="book")
        other = Catalog(tmp_path / "b.po", lang="es", source_lang="en", book="book")
        catalog.merge(doc.segments, SOURCE)
        other.merge(doc.segments, SOURCE)
        for seg in doc.segments:
            catalog.approve(seg.id, "Ana", text=seg.source, when="2024-05-01")
            other.set_machine(seg.id, "otro texto", "identity", "1")
        data = export_xliff(doc, catalog)
        assert schema.validate(etree.fromstring(data)), (number, schema.error_log)
        before = catalog.to_text()
        report = import_xliff(data, doc, catalog, path=XLF, reviewer="Eve")
        assert report.changed == 0 and not report.warnings, number
        assert catalog.to_text() == before, number
        # Into another catalogue the file is stale (its entries changed since the
        # export) and untouched, so it would change nothing: imported as a file
        # without versions, whose units' targets are applied as before.
        report = import_xliff(without_versions(data), doc, other, path=XLF, reviewer="Eve")
        assert len(report.approved) == len(doc.segments) and not report.warnings, number
        for seg in doc.segments:
            want = md().renderInline(seg.source, dict(doc.env))
            got = md().renderInline(other.translation(seg.id) or "", dict(doc.env))
            assert got.split() == want.split(), (number, seg.source, other.translation(seg.id))


# --------------------------------------------------------------------------- refusals


def edited_file(doc: Document, catalog: Catalog) -> etree._Element:
    """An export with one valid, approved edit (so a refusal must undo nothing)."""
    root = etree.fromstring(export_xliff(doc, catalog))
    sid = ids(doc)[LINKED]
    target_of(root, sid).text = "Consulte "
    segment(root, sid).set("state", "reviewed")
    return root


def test_stale_import_is_refused_and_names_the_unit(tmp_path: Path) -> None:
    doc, catalog = make(tmp_path)
    data = etree.tostring(edited_file(doc, catalog))
    # After the export the author changes the quotes: same segment id, new source.
    curly = BOOK.replace('"hello"', "\u201chello\u201d")
    new_doc = parse_document(curly, SOURCE)
    sid = ids(doc)[QUOTED]
    assert ids(new_doc)[QUOTED.replace('"hello"', "\u201chello\u201d")] == sid
    catalog.merge(new_doc.segments, SOURCE)
    before = catalog.to_text()
    with pytest.raises(ExchangeError) as caught:
        import_xliff(data, new_doc, catalog, path=XLF, reviewer="Eve")
    assert sid in str(caught.value) and caught.value.ids == (sid,)
    assert "changed since the export" in str(caught.value)
    assert caught.value.path == str(XLF) and caught.value.line
    assert catalog.to_text() == before


def test_a_catalogue_not_merged_with_the_source_is_refused(tmp_path: Path) -> None:
    doc, catalog = make(tmp_path)
    data = etree.tostring(edited_file(doc, catalog))
    new_doc = parse_document(BOOK.replace('"hello"', "\u201chello\u201d"), SOURCE)
    before = catalog.to_text()
    with pytest.raises(ExchangeError, match="not up to date in the catalogue") as caught:
        import_xliff(data, new_doc, catalog, path=XLF, reviewer="Eve")
    assert caught.value.ids == (ids(doc)[QUOTED],)
    assert catalog.to_text() == before


def test_a_reworded_source_is_refused_as_not_in_the_source(tmp_path: Path) -> None:
    doc, catalog = make(tmp_path)
    data = etree.tostring(edited_file(doc, catalog))
    new_doc = parse_document(BOOK.replace("to **everyone**", "to **all of you**"), SOURCE)
    catalog.merge(new_doc.segments, SOURCE)
    before = catalog.to_text()
    with pytest.raises(ExchangeError) as caught:
        import_xliff(data, new_doc, catalog, path=XLF, reviewer="Eve")
    old_id = ids(doc)[QUOTED]
    assert old_id in str(caught.value) and caught.value.ids == (old_id,)
    assert catalog.to_text() == before


def test_a_source_edited_in_the_file_is_refused(tmp_path: Path) -> None:
    doc, catalog = make(tmp_path)
    root = edited_file(doc, catalog)
    sid = ids(doc)[IMAGE]
    source = segment(root, sid).find("x:source", NS)
    assert source is not None
    source.text = "A row with an "
    before = catalog.to_text()
    with pytest.raises(ExchangeError, match=sid):
        import_xliff(etree.tostring(root), doc, catalog, path=XLF, reviewer="Eve")
    assert catalog.to_text() == before


def test_unknown_unit_id_is_refused(tmp_path: Path) -> None:
    doc, catalog = make(tmp_path)
    root = edited_file(doc, catalog)
    unit(root, ids(doc)[IMAGE]).set("id", "s0000000000")
    before = catalog.to_text()
    with pytest.raises(ExchangeError) as caught:
        import_xliff(etree.tostring(root), doc, catalog, path=XLF, reviewer="Eve")
    assert "s0000000000" in str(caught.value) and caught.value.ids == ("s0000000000",)
    assert catalog.to_text() == before


def test_reviewed_without_target_refuses_the_whole_file(tmp_path: Path) -> None:
    doc, catalog = make(tmp_path)
    root = edited_file(doc, catalog)
    sid = ids(doc)[QUOTED]
    segment(root, sid).set("state", "reviewed")
    before = catalog.to_text()
    with pytest.raises(ExchangeError, match=sid):
        import_xliff(etree.tostring(root), doc, catalog, path=XLF, reviewer="Eve")
    assert catalog.to_text() == before


def test_malformed_xml_is_refused_with_its_line(tmp_path: Path) -> None:
    doc, catalog = make(tmp_path)
    data = export_xliff(doc, catalog)
    broken = data[: data.index(b"</unit>")] + b"<target>oops</unit>"
    with pytest.raises(ExchangeError, match="not well-formed") as caught:
        import_xliff(broken, doc, catalog, path=XLF, reviewer="Eve")
    assert caught.value.line and caught.value.line > 1
    with pytest.raises(ExchangeError, match="not well-formed"):
        import_xliff(b"", doc, catalog, path=XLF, reviewer="Eve")


def test_schema_invalid_file_is_refused(tmp_path: Path) -> None:
    doc, catalog = make(tmp_path)
    root = etree.fromstring(export_xliff(doc, catalog))
    segment(root, ids(doc)[LINKED]).set("state", "approved")
    with pytest.raises(ExchangeError, match=r"not valid XLIFF 2\.1") as caught:
        import_xliff(etree.tostring(root), doc, catalog, path=XLF, reviewer="Eve")
    assert caught.value.line


def test_other_languages_are_refused(tmp_path: Path) -> None:
    doc, catalog = make(tmp_path)
    root = edited_file(doc, catalog)
    root.set("trgLang", "fr")
    with pytest.raises(ExchangeError, match="target language is 'fr'"):
        import_xliff(etree.tostring(root), doc, catalog, path=XLF, reviewer="Eve")
    root.set("trgLang", "es-ES")
    root.set("srcLang", "de")
    with pytest.raises(ExchangeError, match="source language is 'de'"):
        import_xliff(etree.tostring(root), doc, catalog, path=XLF, reviewer="Eve")


@pytest.mark.parametrize(
    "document",
    [
        b'<xliff xmlns="urn:oasis:names:tc:xliff:document:1.2" version="1.2"/>',
        f'<xliff xmlns="{XLIFF_NS}" version="3.0" srcLang="en" trgLang="es"/>'.encode(),
        b"<html><body>not xliff</body></html>",
    ],
)
def test_other_formats_and_versions_are_refused(tmp_path: Path, document: bytes) -> None:
    doc, catalog = make(tmp_path)
    with pytest.raises(ExchangeError, match="XLIFF"):
        import_xliff(document, doc, catalog, path=XLF, reviewer="Eve")


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE xliff [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.1" srcLang="en" trgLang="es">
<file id="book"><unit id="u"><segment><source>&secret;</source></segment></unit></file>
</xliff>
"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.1" srcLang="en" trgLang="es">
<file id="book"><unit id="u"><segment><source>&lol9;</source></segment></unit></file>
</xliff>
"""


@pytest.mark.parametrize(
    "payload",
    [XXE, LAUGHS, XXE.decode("ascii").encode("utf-16")],
    ids=["xxe", "billion-laughs", "xxe-utf16"],
)
def test_dtds_and_entities_are_refused(tmp_path: Path, payload: bytes) -> None:
    doc, catalog = make(tmp_path)
    before = catalog.to_text()
    with pytest.raises(ExchangeError) as caught:
        import_xliff(payload, doc, catalog, path=XLF, reviewer="Eve")
    assert "root:" not in str(caught.value)  # /etc/passwd never read into the message
    assert catalog.to_text() == before


# --------------------------------------------------------------------------- stale files


def confirm(root: etree._Element, sid: str, state: str = "reviewed") -> None:
    """The translator confirms a unit as it is (its target unchanged)."""
    segment(root, sid).set("state", state)


def test_export_records_each_entrys_version(tmp_path: Path) -> None:
    doc, catalog = make(tmp_path)
    root = etree.fromstring(export_xliff(doc, catalog))
    sid = ids(doc)[LINKED]
    assert unit(root, sid).get(ENTRY_VERSION) == entry_version(catalog.entry(sid))
    assert unit(root, sid).get(UNIT_VERSION)
    assert root.nsmap == {None: XLIFF_NS, "pipeline": PIPELINE_NS}
    catalog.approve(sid, "Ana", when="2024-05-02")
    again = etree.fromstring(export_xliff(doc, catalog))
    assert unit(again, sid).get(ENTRY_VERSION) != unit(root, sid).get(ENTRY_VERSION)


def test_an_edited_unit_whose_entry_was_approved_since_is_refused(tmp_path: Path) -> None:
    """The issue's case: export; a reviewer corrects and approves an entry; the
    translator confirms that unit in the older file and imports it."""
    doc, catalog = make(tmp_path)
    sid, other = ids(doc)[LINKED], ids(doc)[QUOTED]
    root = etree.fromstring(export_xliff(doc, catalog))
    corrected = 'Consulte [la documentación](https://example.com/docs "Docs") y ejecute `ls -l`.'
    catalog.approve(sid, "Ana Ruiz <ana@example.org>", text=corrected, when="2026-12-05")
    confirm(root, sid)  # the machine translation, as exported
    target = target_of(root, other)  # and a valid edit elsewhere
    target.text = 'Decimos "hola" a '
    code(target, "pc", "g1").text = "todos"
    code(target, "pc", "g1").tail = " aquí."
    confirm(root, other, "final")
    data = etree.tostring(root)
    before = catalog.to_text()

    with pytest.raises(ExchangeError) as caught:
        import_xliff(data, doc, catalog, path=XLF, reviewer="Eve")
    message = str(caught.value)
    assert caught.value.ids == (sid,)
    assert f"{sid} (approved by Ana Ruiz <ana@example.org> on 2026-12-05" in message
    assert "after this file was exported" in message and "nothing was imported" in message
    assert "--skip-stale" in message and "translated" not in message
    assert caught.value.details[0].startswith(f"{sid} (line ")
    assert catalog.to_text() == before

    report = import_xliff(data, doc, catalog, path=XLF, reviewer="Eve", skip_stale=True)
    assert report.stale == (sid,) and report.approved == (other,)
    assert "1 stale" in str(report)
    [note] = [w for w in report.warnings if w.startswith(sid)]
    assert "not imported" in note and "Ana Ruiz" in note and "2026-12-05" in note
    assert not any("set the state" in w for w in report.warnings)
    entry = catalog.entry(sid)
    assert (entry.translation, entry.reviewer) == (corrected, "Ana Ruiz <ana@example.org>")
    assert catalog.translation(other) == 'Decimos "hola" a **todos** aquí.'


def test_confirming_what_the_catalogue_has_now_is_no_conflict(tmp_path: Path) -> None:
    doc, catalog = make(tmp_path)
    sid = ids(doc)[LINKED]
    root = etree.fromstring(export_xliff(doc, catalog))
    catalog.approve(sid, "Ana Ruiz", when="2026-12-05")  # the same machine text
    confirm(root, sid)
    before = catalog.to_text()
    report = import_xliff(etree.tostring(root), doc, catalog, path=XLF, reviewer="Eve")
    assert report.unchanged == tuple(s.id for s in doc.segments) and not report.warnings
    assert catalog.to_text() == before  # Ana's approval stays hers


def test_untouched_units_whose_entry_changed_are_left_alone(tmp_path: Path) -> None:
    doc, catalog = make(tmp_path)
    sid = ids(doc)
    data = export_xliff(doc, catalog)
    # After the export: Bob's translation (exported 'translated') is corrected and
    # approved, the machine translation is redone, the reviewed heading re-approved.
    catalog.approve(sid[SHORTCUT], "Ana Ruiz", text="Lea antes la guía [Foo].", when="2026-12-05")
    catalog.set_machine(sid[LINKED], "Mire [los docs](https://example.com/docs) `ls -l`", "e", "2")
    catalog.approve(sid[HEADING], "Rosa", text="La *gran* casa", when="2026-12-06")
    before = catalog.to_text()
    report = import_xliff(data, doc, catalog, path=XLF, reviewer="Eve")
    assert report.changed == 0 and not report.skipped and not report.stale
    assert not report.warnings
    assert catalog.to_text() == before


def test_an_initial_edit_of_a_changed_entry_is_not_applied_without_advice(tmp_path: Path) -> None:
    doc, catalog = make(tmp_path)
    sid = ids(doc)[LINKED]
    root = etree.fromstring(export_xliff(doc, catalog))
    catalog.approve(sid, "Ana Ruiz", text="Vea [la guía](https://example.com/docs) `ls -l`.")
    target_of(root, sid).text = "Otra cosa "  # edited, left 'initial'
    before = catalog.to_text()
    report = import_xliff(etree.tostring(root), doc, catalog, path=XLF, reviewer="Eve")
    assert report.skipped == (sid,) and not report.stale and report.changed == 0
    assert not any("set the state" in w or "'translated'" in w for w in report.warnings)
    assert catalog.to_text() == before


def test_a_file_without_versions_imports_as_before_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    doc, catalog = make(tmp_path)
    sid = ids(doc)[LINKED]
    root = etree.fromstring(without_versions(etree.tostring(edited_file(doc, catalog))))
    assert b"version" not in etree.tostring(root.find("x:file", NS))
    with caplog.at_level("WARNING", logger="pipeline.exchange.xliff"):
        report = import_xliff(etree.tostring(root), doc, catalog, path=XLF, reviewer="Eve")
    assert report.approved == (sid,)
    assert catalog.translation(sid) == (
        'Consulte [los docs](https://example.com/docs "Docs") y ejecute `ls -l` en 42 segundos.'
    )
    [record] = caplog.records
    assert "no catalogue version" in record.getMessage() and str(XLF) in record.getMessage()


def test_a_file_without_versions_still_refuses_a_changed_source(tmp_path: Path) -> None:
    doc, catalog = make(tmp_path)
    data = without_versions(etree.tostring(edited_file(doc, catalog)))
    new_doc = parse_document(BOOK.replace('"hello"', "\u201chello\u201d"), SOURCE)
    catalog.merge(new_doc.segments, SOURCE)
    with pytest.raises(ExchangeError, match="changed since the export"):
        import_xliff(data, new_doc, catalog, path=XLF, reviewer="Eve")


# --------------------------------------------------------------------------- other tools' additions

ITS = "http://www.w3.org/2005/11/its"
MDA = "urn:oasis:names:tc:xliff:metadata:2.0"
TOOL = "urn:example:cat-tool"


def test_attributes_xliff_allows_anywhere_are_accepted(tmp_path: Path) -> None:
    """xml:space, xml:lang and other namespaces' attributes, on any element, and
    extension elements where XLIFF 2 has room for them: never a refusal."""
    doc, catalog = make(tmp_path)
    sid = ids(doc)[LINKED]
    root = edited_file(doc, catalog)
    the_unit, seg = unit(root, sid), segment(root, sid)
    source, target = seg.find("x:source", NS), target_of(root, sid)
    assert source is not None
    seg.set(XML_SPACE, "preserve")  # as Translate Toolkit writes it
    for element in (seg, source, target, the_unit):
        element.set(XML_LANG, "es-ES" if element is target else "en")
    notes, original = the_unit.find("x:notes", NS), the_unit.find("x:originalData", NS)
    assert notes is not None and original is not None
    for element in (root, seg, target, code(target, "pc", "g1"), code(target, "ph", "x2"),
                    notes, notes[0], original, original[0], the_unit):  # fmt: skip
        element.set(f"{{{TOOL}}}edited", "yes")
    seg.set(f"{{{ITS}}}locQualityIssuesRef", "#q1")
    metadata = etree.Element(f"{{{MDA}}}metadata", nsmap={"mda": MDA})
    group = etree.SubElement(metadata, f"{{{MDA}}}metaGroup", category="tool")
    etree.SubElement(group, f"{{{MDA}}}meta", type="who").text = "Eve"
    the_unit.insert(0, metadata)
    file_el = root.find("x:file", NS)
    assert file_el is not None
    file_el.insert(0, etree.Element(f"{{{TOOL}}}settings"))

    report = import_xliff(etree.tostring(root), doc, catalog, path=XLF, reviewer="Eve")
    assert report.approved == (sid,) and not report.warnings
    assert load_schema().validate(root), load_schema().error_log  # the profile agrees


def test_elements_of_other_namespaces_inside_a_target_are_still_refused(tmp_path: Path) -> None:
    doc, catalog = make(tmp_path)
    root = edited_file(doc, catalog)
    etree.SubElement(target_of(root, ids(doc)[LINKED]), f"{{{TOOL}}}comment").text = "?"
    with pytest.raises(ExchangeError, match=r"not valid XLIFF 2\.1"):
        import_xliff(etree.tostring(root), doc, catalog, path=XLF, reviewer="Eve")


# --------------------------------------------------------------------------- through the CLI

CLI_BOOK = """\
# A *small* book

The first paragraph has no markup.

Read [the guide](https://example.com/guide) and run `make` twice.

We say **hello** here.

The last paragraph.
"""


@pytest.fixture
def cli_project(tmp_path: Path) -> Path:
    """A one-book project, machine-translated (pseudo engine)."""
    project = make_project(tmp_path / "project", {"book": CLI_BOOK})
    code, _, err = run("translate", project=project)
    assert code == 0, err
    return project


def cli_ids(project: Path) -> dict[str, str]:
    _found, doc, _catalog = open_book(load_config(project), "book", "es")
    return {seg.source: seg.id for seg in doc.segments}


def cli_catalog(project: Path) -> Catalog:
    return open_book(load_config(project), "book", "es")[2]


def test_the_stale_case_through_the_cli(cli_project: Path, tmp_path: Path) -> None:
    """Export; a reviewer corrects and approves a segment; the older export, with
    that unit confirmed, is refused (exit 1, naming the unit and the reviewer,
    the reviewer's text kept); with --skip-stale the rest is imported."""
    sid = cli_ids(cli_project)
    stale, plain = sid["The first paragraph has no markup."], sid["The last paragraph."]
    xlf = tmp_path / "book.es.xlf"
    assert run("review", "export", "-o", xlf, project=cli_project).code == 0

    catalog = cli_catalog(cli_project)
    catalog.approve(stale, "Ana Ruiz", text="El primer párrafo, corregido.", when="2026-12-05")
    catalog.save()
    code, _, err = run("review", "approve", plain, "-r", "Rosa Pérez", project=cli_project)
    assert code == 0, err  # approved as it is: the same text as in the file

    root = etree.parse(str(xlf)).getroot()
    confirm(root, stale)  # the translator confirms both, as exported
    confirm(root, plain)
    xlf.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    po = po_path(cli_project, "es", "book")
    before = po.read_bytes()

    result = run("review", "import", xlf, "-r", "Eve", project=cli_project)
    line = assert_one_line_error(result, stale, "Ana Ruiz", "2026-12-05", alone=False)
    assert "--skip-stale" in line and plain not in line
    assert "set the state" not in result.out + result.err and not result.out
    assert po.read_bytes() == before

    code, out, err = run("review", "import", xlf, "-r", "Eve", "--skip-stale", project=cli_project)
    assert code == 0, err
    assert "1 stale" in out and "0 approved" in out
    assert f"note: {stale}: not imported" in out and "Ana Ruiz" in out
    entry = cli_catalog(cli_project).entry(stale)
    assert (entry.translation, entry.reviewer) == ("El primer párrafo, corregido.", "Ana Ruiz")
    assert cli_catalog(cli_project).entry(plain).reviewer == "Rosa Pérez"


def test_skip_stale_applies_the_other_units(cli_project: Path, tmp_path: Path) -> None:
    sid = cli_ids(cli_project)
    stale, edited = sid["The first paragraph has no markup."], sid["The last paragraph."]
    xlf = tmp_path / "book.es.xlf"
    run("review", "export", "-o", xlf, project=cli_project)
    catalog = cli_catalog(cli_project)
    catalog.approve(stale, "Ana Ruiz", text="El primer párrafo, corregido.", when="2026-12-05")
    catalog.save()
    root = etree.parse(str(xlf)).getroot()
    confirm(root, stale)
    target_of(root, edited).text = "El último párrafo."
    confirm(root, edited)
    xlf.write_bytes(etree.tostring(root))

    assert run("review", "import", xlf, "-r", "Eve", project=cli_project).code == 1
    code, out, err = run("review", "import", xlf, "-r", "Eve", "--skip-stale", project=cli_project)
    assert code == 0, err
    assert "1 approved" in out and "1 stale" in out
    after = cli_catalog(cli_project)
    assert after.translation(edited) == "El último párrafo."
    assert after.entry(edited).reviewer == "Eve"
    assert after.translation(stale) == "El primer párrafo, corregido."


# --------------------------------------------------------------------------- Translate Toolkit


def _retext(element: Any, texts: Iterator[str]) -> None:
    """Replace, in order, each text of a Translate Toolkit rich string (its codes kept)."""
    for i, sub in enumerate(element.sub):
        if isinstance(sub, str):
            element.sub[i] = next(texts)
        else:
            _retext(sub, texts)


def test_translate_toolkit_round_trip(cli_project: Path, tmp_path: Path) -> None:
    """Export with pipeline; edit with Translate Toolkit's XLIFF 2 store (plain
    edits and edits around inline codes, which the toolkit keeps); save with the
    toolkit (it writes xml:space on <segment>); import: the edits are in the
    catalogue, in the states the toolkit set."""
    from translate.storage.xliff2 import Xliff2File

    sid = cli_ids(cli_project)
    plain = sid["The first paragraph has no markup."]
    linked = sid["Read [the guide](https://example.com/guide) and run `make` twice."]
    strong = sid["We say **hello** here."]
    heading = sid["A *small* book"]
    machine = cli_catalog(cli_project).translation(heading)
    xlf = tmp_path / "book.es.xlf"
    assert run("review", "export", "-o", xlf, project=cli_project).code == 0

    store = Xliff2File.parsefile(str(xlf))
    unit_plain = store.findid(plain)
    unit_plain.target = "El primer párrafo no tiene marcas."
    unit_plain.markapproved()

    unit_linked = store.findid(linked)
    rich = copy.deepcopy(unit_linked.rich_source)
    _retext(rich[0], iter(["Lea ", "la guía", " y ejecute ", " dos veces."]))
    unit_linked.rich_target = rich
    unit_linked.markapproved()

    unit_strong = store.findid(strong)
    rich = unit_strong.rich_target  # the machine translation's codes, new words
    _retext(rich[0], iter(["Decimos ", "hola", " aquí."]))
    unit_strong.rich_target = rich
    unit_strong.marktranslated()

    saved = bytes(store)
    assert b'<segment state="reviewed" subState="pipeline:machine" xml:space="preserve">' in saved
    assert b"pipeline:entry-version=" in saved  # the toolkit keeps pipeline's attributes
    xlf.write_bytes(saved)

    code, out, err = run("review", "import", xlf, "-r", "Eve", project=cli_project)
    assert code == 0, err
    assert "2 approved, 1 to review" in out and "note:" not in out
    catalog = cli_catalog(cli_project)
    assert catalog.translation(plain) == "El primer párrafo no tiene marcas."
    assert catalog.translation(linked) == (
        "Lea [la guía](https://example.com/guide) y ejecute `make` dos veces."
    )
    assert catalog.translation(strong) == "Decimos **hola** aquí."
    assert [catalog.state(s) for s in (plain, linked, strong, heading)] == [
        State.REVIEWED,
        State.REVIEWED,
        State.NEEDS_REVIEW,
        State.MACHINE,
    ]
    assert catalog.entry(linked).reviewer == "Eve" and catalog.entry(strong).translator == "Eve"
    assert catalog.translation(heading) == machine


def test_pipeline_never_imports_translate_toolkit() -> None:
    """Translate Toolkit is GPL: a test tool only, never a dependency of the library."""
    package = Path(__file__).resolve().parent.parent / "pipeline"
    pattern = re.compile(r"^\s*(from|import)\s+translate\b", re.MULTILINE)
    offenders = [p for p in package.rglob("*.py") if pattern.search(p.read_text("utf-8"))]
    assert offenders == []


def _remachine(catalog: Catalog, sid: str) -> None:
    catalog.set_machine(sid, "Vea `ls -l`.", "apertium", "3.9")


def _retranslate(catalog: Catalog, sid: str) -> None:
    catalog.set_translation(sid, "Vea `ls -l`, dijo Bob.", translator="Bob")


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (_remachine, "machine-translated again (apertium 3.9"),
        (_retranslate, "translation changed by Bob, to review"),
    ],
    ids=["machine", "person"],
)
def test_a_stale_unit_says_what_changed(
    tmp_path: Path, change: Callable[[Catalog, str], None], said: str
) -> None:
    doc, catalog = make(tmp_path)
    sid = ids(doc)[LINKED]
    data = etree.tostring(edited_file(doc, catalog))  # edits and approves that unit
    change(catalog, sid)
    with pytest.raises(ExchangeError) as caught:
        import_xliff(data, doc, catalog, path=XLF, reviewer="Eve")
    assert caught.value.ids == (sid,) and f"{sid} ({said}" in str(caught.value)
