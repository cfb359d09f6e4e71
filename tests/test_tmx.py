"""TMX 1.4b export: reviewed pairs only, valid against the TMX 1.4b profile DTD, inline codes."""

from __future__ import annotations

import json
from pathlib import Path

from lxml import etree

from pipeline.catalog.catalog import Catalog
from pipeline.exchange.tmx import TMX_DOCTYPE, export_tmx
from pipeline.exchange.xmlutil import SCHEMA_DIR
from pipeline.source.markdown import Document, parse_document

SOURCE = "content/en/book.md"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

BOOK = """\
# The *big* house

See [the docs](https://example.com/docs) and run `ls -l` in 42 seconds.

We say hello to everyone here.

A line with an ![icon](icon.png) inside.
"""

HEADING = "The *big* house"
LINKED = "See [the docs](https://example.com/docs) and run `ls -l` in 42 seconds."
PLAIN = "We say hello to everyone here."
IMAGE = "A line with an ![icon](icon.png) inside."


def make(tmp_path: Path) -> tuple[Document, Catalog, dict[str, str]]:
    """Two reviewed entries, one machine, one a person's waiting for review, one new."""
    doc = parse_document(BOOK, SOURCE)
    catalog = Catalog(tmp_path / "book.po", lang="es", source_lang="en", book="book")
    catalog.merge(doc.segments, SOURCE)
    sid = {seg.source: seg.id for seg in doc.segments}
    catalog.approve(sid[HEADING], "Ana", text="La casa *grande*", when="2024-05-01")
    catalog.set_machine(
        sid[LINKED],
        "Vea [los docs](https://example.com/docs) y ejecute `ls -l` en 42 segundos.",
        "apertium",
        "3.8.3",
    )
    catalog.approve(
        sid[LINKED],
        "Eve",
        text="Consulte `ls -l` en [la documentación](https://example.com/docs) **ya**.",
        when="2024-06-02",
    )
    catalog.set_machine(sid[PLAIN], "Decimos hola a todos aquí.", "apertium", "3.8.3")
    catalog.set_translation(sid[IMAGE], "Una línea con un ![icon](icon.png) dentro.")
    return doc, catalog, sid


def dtd() -> etree.DTD:
    return etree.DTD(str(SCHEMA_DIR / "tmx14_profile.dtd"))


def test_only_reviewed_pairs_are_exported(tmp_path: Path) -> None:
    doc, catalog, sid = make(tmp_path)
    root = etree.fromstring(export_tmx(doc, catalog, source_lang="en", target_lang="es"))
    assert [tu.get("tuid") for tu in root.iter("tu")] == [sid[HEADING], sid[LINKED]]


def test_export_is_valid_tmx_14_with_the_right_header_and_languages(tmp_path: Path) -> None:
    doc, catalog, sid = make(tmp_path)
    data = export_tmx(doc, catalog, source_lang="en", target_lang="es")
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n' + TMX_DOCTYPE.encode())
    root = etree.fromstring(data)
    validator = dtd()
    assert validator.validate(root), validator.error_log
    assert root.get("version") == "1.4"
    header = root.find("header")
    assert header is not None
    assert {k: header.get(k) for k in ("creationtool", "segtype", "o-tmf", "srclang")} == {
        "creationtool": "pipeline",
        "segtype": "paragraph",
        "o-tmf": "PO",
        "srclang": "en",
    }
    assert header.get("adminlang") == "en" and header.get("creationtoolversion")
    for tu in root.iter("tu"):
        assert [tuv.get(XML_LANG) for tuv in tu.iter("tuv")] == ["en", "es"]
    heading = root.find(f"body/tu[@tuid='{sid[HEADING]}']")
    assert heading is not None
    assert (heading.get("changeid"), heading.get("changedate")) == ("Ana", "20240501T000000Z")
    prop = heading.find("prop")
    assert prop is not None and (prop.get("type"), prop.text) == ("x-kind", "heading")


def test_languages_default_to_the_catalogue_and_are_written_as_xml_wants(tmp_path: Path) -> None:
    doc, catalog, _sid = make(tmp_path)
    root = etree.fromstring(export_tmx(doc, catalog, target_lang="es_MX"))
    header = root.find("header")
    assert header is not None and header.get("srclang") == "en"
    assert {tuv.get(XML_LANG) for tuv in root.iter("tuv")} == {"en", "es-MX"}


def test_inline_markup_is_kept_as_tmx_codes_paired_across_languages(tmp_path: Path) -> None:
    doc, catalog, sid = make(tmp_path)
    root = etree.fromstring(export_tmx(doc, catalog))
    tu = root.find(f"body/tu[@tuid='{sid[LINKED]}']")
    assert tu is not None
    source, target = (tuv.find("seg") for tuv in tu.iter("tuv"))
    assert source is not None and target is not None

    def codes(seg: etree._Element) -> list[tuple[str, str | None, str | None, str | None]]:
        return [(c.tag, c.get("i"), c.get("x"), c.text) for c in seg]

    assert codes(source) == [
        ("bpt", "1", "1", "["),
        ("ept", "1", None, "](https://example.com/docs)"),
        ("ph", None, "2", "`ls -l`"),
    ]
    # Reordered in the translation, same x; markup only the translation has: no x.
    assert codes(target) == [
        ("ph", None, "2", "`ls -l`"),
        ("bpt", "1", "1", "["),
        ("ept", "1", None, "](https://example.com/docs)"),
        ("bpt", "3", None, "**"),
        ("ept", "3", None, "**"),
    ]
    assert "".join(source.itertext()).endswith("in 42 seconds.")  # numbers are text
    assert "".join(target.itertext()) == (
        "Consulte `ls -l` en [la documentación](https://example.com/docs) **ya**."
    )


def test_export_is_deterministic_and_empty_when_nothing_is_reviewed(tmp_path: Path) -> None:
    doc, catalog, _sid = make(tmp_path)
    assert export_tmx(doc, catalog) == export_tmx(doc, catalog)
    empty = Catalog(tmp_path / "other.po", lang="es", source_lang="en", book="book")
    empty.merge(doc.segments, SOURCE)
    root = etree.fromstring(export_tmx(doc, empty))
    assert dtd().validate(root)
    assert root.find("body/tu") is None


def test_commonmark_examples_give_valid_tmx(tmp_path: Path) -> None:
    spec = Path(__file__).parent / "fixtures" / "commonmark-spec-0.31.2.json"
    validator = dtd()
    for number, example in enumerate(json.loads(spec.read_text(encoding="utf-8")), 1):
        doc = parse_document(example["markdown"], SOURCE)
        catalog = Catalog(tmp_path / "a.po", lang="es", source_lang="en", book="book")
        catalog.merge(doc.segments, SOURCE)
        for seg in doc.segments:
            catalog.approve(seg.id, "Ana", text=seg.source, when="2024-05-01")
        root = etree.fromstring(export_tmx(doc, catalog))
        assert validator.validate(root), (number, validator.error_log)
        assert len(root.findall("body/tu")) == len(doc.segments)


def test_highlight_insertion_and_scripts_are_paired_codes(tmp_path: Path) -> None:
    doc = parse_document("==Back up first.== ^^New:^^ H~2~O at 10^4^ Pa.\n", SOURCE)
    catalog = Catalog(tmp_path / "book.po", lang="es", source_lang="en", book="book")
    catalog.merge(doc.segments, SOURCE)
    sid = doc.segments[0].id
    catalog.approve(
        sid, "Ana", text="==Copia antes.== ^^Nuevo:^^ H~2~O a 10^4^ Pa.", when="2024-05-01"
    )
    root = etree.fromstring(export_tmx(doc, catalog))
    seg = root.find(f"body/tu[@tuid='{sid}']/tuv/seg")
    assert seg is not None
    assert [(c.get("type"), c.text) for c in seg.iter("bpt")] == [
        ("x-highlight", "=="),
        ("ulined", "^^"),
        ("x-subscript", "~"),
        ("x-superscript", "^"),
    ]
