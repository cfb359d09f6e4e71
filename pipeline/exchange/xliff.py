"""XLIFF 2.1 export and import, for translators' CAT tools.

:func:`export_xliff` writes a book's segments as one XLIFF 2.1 document
(XLIFF core and two attributes of pipeline's own on each unit, valid against the
schema profile shipped in ``pipeline/schemas``);
:func:`import_xliff` reads one back into the catalogue, all or nothing.

The document::

    <xliff version="2.1" srcLang="en" trgLang="es" xmlns:pipeline="urn:x-pipeline:xliff">
      <file id="book" original="content/en/book.md" canResegment="no">
        <unit id="s3f2a9c01de"                      segment id (msgctxt)
              pipeline:entry-version="…"            the catalogue entry's version
              pipeline:unit-version="…">            the state and target exported
          <notes>…</notes>                          provenance, see below
          <originalData><data id="d1">*</data>…     the Markdown of each code
          <segment state="initial" subState="pipeline:machine">
            <source>The <pc id="g1" …>big</pc> house.</source>
            <target>La casa <pc id="g1" …>grande</pc>.</target>

States. Export: a new segment is ``initial`` without a target, a machine
translation ``initial`` with one, a person's translation waiting for review
``translated``, an approved one ``reviewed``. Import: ``initial`` is never
applied (a target the translator changed is reported), ``translated`` stores the target as
a person's translation to review (:meth:`Catalog.set_translation`),
``reviewed`` and ``final`` approve it (:meth:`Catalog.approve`).

``subState="pipeline:<state>"`` carries the exact catalogue state. A unit
whose target is unchanged (compared as inline content, not as XML bytes) and
that asks for no more than the catalogue has is left alone, so importing a
file straight after exporting it changes nothing; an unchanged machine
translation marked ``translated`` or ``reviewed`` does become the person's.

Inline markup (the codes of :mod:`pipeline.exchange.codes`, built from
:func:`pipeline.source.inline.encode`'s output as TMX's are): emphasis, strong,
strikethrough, highlight, insertion, superscript, subscript, links and images
are ``<pc>`` (``type``/``subType`` ``fmt``/``xlf:i``, ``fmt``/``xlf:b``,
``fmt``/``pipeline:strikethrough``, ``fmt``/``pipeline:highlight``,
``fmt``/``xlf:u``, ``fmt``/``pipeline:superscript``, ``fmt``/``pipeline:subscript``,
``link``, ``image``: an image's description is its text, to translate, and a
target image is matched to the source's by where it points); code spans,
autolinks, inline HTML, entities and hard breaks are ``<ph>``
(``other``/``pipeline:code``, ``link``, ``other``/``pipeline:html``,
``other``/``pipeline:entity``, ``fmt``/``xlf:lb``). Each code keeps the id
:func:`~pipeline.source.inline.encode` gave it, its Markdown is in ``<originalData>``
(``dataRef*``) and in ``disp*`` so a CAT tool can show it, and it is marked
``canCopy="no" canDelete="no"`` since the pipeline restores every code of
the source. Numbers, which the engines see as placeholders, are plain text:
translators handle numbers. Characters XML cannot hold are ``<cp hex>``.

The target carries the source's ids for the same markup
(:func:`~pipeline.exchange.codes.align_target` matches them by kind and
Markdown, in order); markup of the translation the
source lacks gets ids ``t1``, ``t2``… and a note. On import the markup is
always taken from the source (:func:`pipeline.source.inline.decode`): the target
only says where it goes, and what decode had to repair becomes a warning of
the :class:`ImportReport` (and such a unit is stored to review, not approved).

Notes (``<note category=…>``): ``location`` (file:line), ``kind``,
``pipeline-state``, ``engine``, ``translator``, ``reviewer``, ``reviewed-at``,
``qa`` (one per problem), ``previous-source``, ``comment`` (a person's PO
comment) and ``export`` (markup the source lacks). They are information for
the translator; import reads none of them back — except a file-level
``<note category="reviewer">`` (and ``translator``), which names who reviewed
the file when the caller does not say.

Versions. ``pipeline:entry-version`` is the catalogue entry's
:func:`~pipeline.catalog.version.entry_version` at the export,
``pipeline:unit-version`` a hash of the unit's state and target as exported
(:func:`_unit_version`). On import a unit whose entry has another version now
is *stale*: left alone if the translator did not touch it (its unit version
still matches), and otherwise, if it would change the entry, refused with
the others (naming who changed the entry, when) — or, with ``skip_stale``,
not applied and listed. A file without versions (an older pipeline's) is
checked against the source only, with a logged warning.

Other tools' additions. Attributes of other namespaces (``xml:space``,
``xml:lang``, modules', tools' own) are accepted on every element (Translate
Toolkit writes ``xml:space`` on ``<segment>``, where the core schema has no
room for it) and ignored; elements of other namespaces are accepted where
XLIFF 2 allows extensions (``<file>``, ``<group>``, ``<unit>``) and ignored.

The import refuses, before changing anything (:class:`ExchangeError`): a file
that is not well-formed XML, has a DTD, is not XLIFF 2.0/2.1 or not valid
against the schema, is for other languages, has units the document does not
have (their source changed since the export, or they are from another book),
units whose source text or markup differs from the current source (a change
of whitespace only is tolerated), a unit marked reviewed without a target,
edited units whose catalogue entry changed since the export (unless
``skip_stale``), or approvals without a known reviewer.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from copy import deepcopy
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

from ..catalog.catalog import Catalog, Entry, State
from ..catalog.version import entry_version
from ..errors import ExchangeError
from ..lang import same_language
from ..mt import tagged
from ..source.inline import Encoded, decode, encode
from ..source.markdown import Document
from ..source.segment import Segment
from .codes import Code, Item, align_target, source_items, without_numbers
from .xmlutil import (
    INVALID_XML,
    SCHEMA_DIR,
    XML_SPACE,
    append_text,
    clean,
    indent,
    language,
    parse_xml,
    to_bytes,
)

__all__ = [
    "PIPELINE_NS",
    "XLIFF_NS",
    "ImportReport",
    "export_xliff",
    "import_xliff",
    "load_schema",
]

XLIFF_NS = "urn:oasis:names:tc:xliff:document:2.0"
"""Namespace of XLIFF 2.x core (2.0 and 2.1 share it)."""

PIPELINE_NS = "urn:x-pipeline:xliff"
"""Namespace of pipeline's attributes on ``<unit>`` (``pipeline:entry-version``,
``pipeline:unit-version``), an XLIFF 2 extension."""

_ENTRY_VERSION = f"{{{PIPELINE_NS}}}entry-version"
_UNIT_VERSION = f"{{{PIPELINE_NS}}}unit-version"
_NSMAP = {None: XLIFF_NS, "pipeline": PIPELINE_NS}

log = logging.getLogger(__name__)

_SUPPORTED_VERSIONS = ("2.0", "2.1")
_STATE_ORDER = {"initial": 0, "translated": 1, "reviewed": 2, "final": 3}
_EXPORTED_STATE = {
    State.NEW: "initial",
    State.MACHINE: "initial",
    State.NEEDS_REVIEW: "translated",
    State.REVIEWED: "reviewed",
}
_PAIR_TYPES: dict[str, tuple[str, str | None]] = {
    "em": ("fmt", "xlf:i"),
    "strong": ("fmt", "xlf:b"),
    "s": ("fmt", "pipeline:strikethrough"),
    "mark": ("fmt", "pipeline:highlight"),
    "ins": ("fmt", "xlf:u"),
    "sup": ("fmt", "pipeline:superscript"),
    "sub": ("fmt", "pipeline:subscript"),
    "link": ("link", None),
    "image": ("image", None),
}
_ATOM_TYPES: dict[str, tuple[str, str | None]] = {
    "code_inline": ("other", "pipeline:code"),
    "image": ("image", None),
    "autolink": ("link", None),
    "html_inline": ("other", "pipeline:html"),
    "html_code": ("other", "pipeline:html"),
    "entity": ("other", "pipeline:entity"),
    "hardbreak": ("fmt", "xlf:lb"),
}
_NMTOKEN = re.compile(r"[\w.:-]+")
_MAX_LISTED = 10


def _q(name: str) -> str:
    """Qualified name of an XLIFF core element."""
    return f"{{{XLIFF_NS}}}{name}"


# --------------------------------------------------------------------------- writing


class _Data:
    """The ``<originalData>`` of one unit: the Markdown of each code end."""

    def __init__(self) -> None:
        self.ids: dict[tuple[str, str], str] = {}
        self.content: list[tuple[str, str]] = []

    def ref(self, code_id: str, part: str, markdown: str) -> str:
        key = (code_id, part)
        if key not in self.ids:
            data_id = f"d{len(self.content) + 1}"
            self.ids[key] = data_id
            self.content.append((data_id, markdown))
        return self.ids[key]


def _append_text(parent: etree._Element, text: str) -> None:
    """Append text to ``parent``'s content (characters XML cannot hold as ``<cp>``)."""
    pos = 0
    for match in INVALID_XML.finditer(text):
        append_text(parent, text[pos : match.start()])
        code = ord(match.group())
        etree.SubElement(parent, _q("cp"), hex=f"{code:04X}" if code < 0x10000 else f"{code:06X}")
        pos = match.end()
    append_text(parent, text[pos:])


def _code_attributes(code: Code) -> dict[str, str]:
    table = _PAIR_TYPES if code.end is not None else _ATOM_TYPES
    kind, sub = table.get(code.kind, ("other", None))
    if code.kind not in table and re.fullmatch(r"[A-Za-z0-9_-]+", code.kind):
        sub = f"pipeline:{code.kind}"
    attributes = {"type": kind}
    if sub:
        attributes["subType"] = sub
    return attributes


def _write_items(parent: etree._Element, items: Sequence[Item], data: _Data) -> None:
    for item in items:
        if isinstance(item, str):
            _append_text(parent, item)
            continue
        if item.end is None:
            etree.SubElement(
                parent,
                _q("ph"),
                {
                    "id": item.id,
                    "dataRef": data.ref(item.id, "", item.start),
                    **_code_attributes(item),
                    "disp": clean(item.start),
                    "canCopy": "no",
                    "canDelete": "no",
                },
            )
            continue
        element = etree.SubElement(
            parent,
            _q("pc"),
            {
                "id": item.id,
                "dataRefStart": data.ref(item.id, "start", item.start),
                "dataRefEnd": data.ref(item.id, "end", item.end),
                **_code_attributes(item),
                "dispStart": clean(item.start),
                "dispEnd": clean(item.end),
                "canCopy": "no",
                "canDelete": "no",
            },
        )
        _write_items(element, item.children, data)


def _file_id(book: str) -> str:
    return book if _NMTOKEN.fullmatch(book) else "book"


def _note(notes: etree._Element, category: str, text: str, applies_to: str | None) -> None:
    attributes = {"category": category}
    if applies_to:
        attributes["appliesTo"] = applies_to
    note = etree.SubElement(notes, _q("note"), attributes)
    note.text = clean(text)


def _unit_notes(
    seg: Segment, entry: Entry | None, location: str, problems: Sequence[str]
) -> list[tuple[str, str, str | None]]:
    notes: list[tuple[str, str, str | None]] = [
        ("location", f"{location}:{seg.line}", "source"),
        ("kind", seg.kind, "source"),
    ]
    if entry is None:
        return notes
    notes.append(("pipeline-state", entry.state.value, None))
    if entry.previous_source is not None:
        notes.append(("previous-source", entry.previous_source, "source"))
    if entry.engine:
        notes.append(("engine", entry.engine, "target"))
    if entry.translator:
        notes.append(("translator", entry.translator, "target"))
    if entry.reviewer:
        notes.append(("reviewer", entry.reviewer, "target"))
    if entry.reviewed_at:
        notes.append(("reviewed-at", entry.reviewed_at, "target"))
    notes.extend(("qa", problem, "target") for problem in entry.problems)
    notes.extend(("comment", text, None) for text in entry.notes if text.strip())
    notes.extend(("export", problem, "target") for problem in problems)
    return notes


def _export_unit(
    seg: Segment, entry: Entry | None, env: Mapping[str, Any], location: str
) -> etree._Element:
    """The ``<unit>`` of one segment, with its catalogue entry (if any)."""
    enc = encode(seg.source, env)
    source = source_items(enc)
    target: list[Item] | None = None
    problems: list[str] = []
    if entry is not None and entry.translation:
        target, problems = align_target(enc, entry.translation, env)
    state = _EXPORTED_STATE[entry.state] if entry is not None else "initial"

    unit = etree.Element(_q("unit"), id=seg.id)
    notes = etree.SubElement(unit, _q("notes"))
    for category, text, applies_to in _unit_notes(seg, entry, location, problems):
        _note(notes, category, text, applies_to)
    data = _Data()
    segment = etree.Element(_q("segment"), state=state)
    if entry is not None:
        segment.set("subState", f"pipeline:{entry.state.value}")
    source_el = etree.SubElement(segment, _q("source"))
    source_el.set(XML_SPACE, "preserve")
    _write_items(source_el, source, data)
    if target is not None:
        target_el = etree.SubElement(segment, _q("target"))
        target_el.set(XML_SPACE, "preserve")
        _write_items(target_el, target, data)
    if data.content:
        original = etree.SubElement(unit, _q("originalData"))
        for data_id, markdown in data.content:
            data_el = etree.SubElement(original, _q("data"), id=data_id)
            data_el.set(XML_SPACE, "preserve")
            _append_text(data_el, markdown)
    unit.append(segment)
    if entry is not None:
        unit.set(_ENTRY_VERSION, entry_version(entry))
        unit.set(_UNIT_VERSION, _unit_version(_read_unit(unit)))
    return unit


_STRUCTURE = {_q(n) for n in ("xliff", "file", "notes", "unit", "originalData", "segment")}


def _structural(element: etree._Element) -> bool:
    """Whether an element is indented inside (never source, target, data or note)."""
    return element.tag in _STRUCTURE


def export_xliff(doc: Document, catalog: Catalog, *, source_file: str | None = None) -> bytes:
    """The document's segments and their translations as an XLIFF 2.1 document.

    One ``<file>`` (id: the book id) with one ``<unit>`` per segment, in
    reading order; see the module documentation for states, notes and
    inline codes. ``source_file`` is the path written in ``location`` notes
    and ``original`` (default: the document's path). The output is
    deterministic and valid against the XLIFF 2.1 core schema.
    """
    location = source_file if source_file is not None else doc.path.as_posix()
    root = etree.Element(
        _q("xliff"),
        {
            "version": "2.1",
            "srcLang": language(catalog.source_lang),
            "trgLang": language(catalog.lang),
        },
        nsmap=_NSMAP,
    )
    file_el = etree.SubElement(
        root,
        _q("file"),
        {"id": _file_id(catalog.book), "original": clean(location), "canResegment": "no"},
    )
    notes = etree.SubElement(file_el, _q("notes"))
    _note(
        notes,
        "pipeline",
        "Set a segment's state to 'translated' to submit its target for review, or to "
        "'reviewed' or 'final' to approve it; targets left 'initial' are not imported. "
        "Keep the codes: the Markdown of each is restored from the source.",
        None,
    )
    for seg in doc.segments:
        entry = catalog.entry(seg.id) if seg.id in catalog else None
        file_el.append(_export_unit(seg, entry, doc.env, location))
    etree.cleanup_namespaces(root, top_nsmap=_NSMAP)
    indent(root, _structural)
    return to_bytes(root)


# --------------------------------------------------------------------------- reading


class _NoNetwork(etree.Resolver):
    """Resolves the schemas' imports to the copies in the package; refuses anything else."""

    def resolve(self, system_url: str | None, public_id: str | None, context: Any) -> Any:
        if system_url and system_url.endswith("xml.xsd"):
            return self.resolve_filename(str(SCHEMA_DIR / "official" / "xml.xsd"), context)
        if system_url and SCHEMA_DIR.resolve() in Path(system_url).resolve().parents:
            return None
        return self.resolve_string("", context)


@cache
def load_schema() -> etree.XMLSchema:
    """The XLIFF 2.1 schema that exports and imports are validated against, offline.

    When the OASIS core schema is installed as ``schemas/official/xliff_core_2.1.xsd``
    (with the W3C ``xml.xsd`` beside it) it is used; otherwise pipeline's own
    profile, ``schemas/xliff21_profile.xsd``, written from the specification
    for the elements and attributes of the core namespace. Nothing is fetched.
    """
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_NoNetwork())
    official = SCHEMA_DIR / "official" / "xliff_core_2.1.xsd"
    path = official if official.is_file() else SCHEMA_DIR / "xliff21_profile.xsd"
    tree = etree.parse(str(path), parser)
    return etree.XMLSchema(tree)


Tok = tuple[Any, ...]
"""Inline content read from XLIFF: ``("t", text)``, ``("ph", id, data)``,
``("pc", id, data_start, data_end, children)``, ``("sc", id, data)``,
``("ec", start_ref, data)``."""


def _local(element: etree._Element) -> str | None:
    tag = element.tag
    if not isinstance(tag, str) or not tag.startswith(f"{{{XLIFF_NS}}}"):
        return None
    return tag[len(XLIFF_NS) + 2 :]


def _char(hex_value: str) -> str:
    try:
        return chr(int(hex_value, 16))
    except (ValueError, OverflowError):
        return "\ufffd"


def _read_inline(element: etree._Element, data: Mapping[str, str]) -> list[Tok]:
    """The inline content of ``<source>``/``<target>`` (``<mrk>`` is transparent)."""
    out: list[Tok] = []
    if element.text:
        out.append(("t", element.text))
    for child in element:
        name = _local(child)
        if name == "cp":
            out.append(("t", _char(child.get("hex", ""))))
        elif name == "ph":
            out.append(("ph", child.get("id", ""), data.get(child.get("dataRef", ""))))
        elif name == "pc":
            out.append(
                (
                    "pc",
                    child.get("id", ""),
                    data.get(child.get("dataRefStart", "")),
                    data.get(child.get("dataRefEnd", "")),
                    tuple(_read_inline(child, data)),
                )
            )
        elif name == "sc":
            out.append(("sc", child.get("id", ""), data.get(child.get("dataRef", ""))))
        elif name == "ec":
            ref = child.get("startRef") or child.get("id", "")
            out.append(("ec", ref, data.get(child.get("dataRef", ""))))
        elif name == "mrk":
            out.extend(_read_inline(child, data))
        if child.tail:
            out.append(("t", child.tail))
    return out


def _text_of(element: etree._Element) -> str:
    """Text content of ``<data>`` or ``<note>`` (``<cp>`` decoded)."""
    parts = [element.text or ""]
    for child in element:
        if _local(child) == "cp":
            parts.append(_char(child.get("hex", "")))
        parts.append(child.tail or "")
    return "".join(parts)


def _canon(toks: Sequence[Tok], with_data: bool) -> str:
    """Inline content for comparison: whitespace runs are one space, codes are
    compared by element, id and (``with_data``) their original data."""

    def render(items: Sequence[Tok]) -> Iterator[str]:
        for tok in items:
            kind = tok[0]
            if kind == "t":
                yield tok[1].replace("\0", "\ufffd")
            elif kind == "pc":
                ends = f"|{tok[2]}|{tok[3]}" if with_data else ""
                yield f"\0pc|{tok[1]}{ends}\0"
                yield from render(tok[4])
                yield "\0/pc\0"
            else:
                yield f"\0{kind}|{tok[1]}" + (f"|{tok[2]}" if with_data else "") + "\0"

    return " ".join("".join(render(toks)).split())


@dataclass(slots=True)
class _UnitIn:
    """One unit as read from a file."""

    id: str
    line: int | None
    state: str
    source: list[Tok]
    target: list[Tok] | None
    has_data: bool
    entry_version: str | None = None
    """The catalogue entry's version when the file was exported (``None``: a file
    exported before versions were recorded)."""
    unit_version: str | None = None
    """:func:`_unit_version` of the unit as exported."""
    exported: dict[str, str] = field(default_factory=dict)
    """The unit's notes as exported (``pipeline-state``, ``reviewer``…), first of each."""


def _unit_version(unit: _UnitIn) -> str:
    """A short hash of what a translator edits in a unit: its state and target
    (compared as inline content, as :func:`_canon` does)."""
    target = "\0none" if unit.target is None else _canon(unit.target, False)
    payload = f"{unit.state}\n{target}".encode()
    return hashlib.blake2b(payload, digest_size=8).hexdigest()


def _unit_notes_in(unit: etree._Element) -> dict[str, str]:
    notes: dict[str, str] = {}
    for notes_el in unit.iterchildren(_q("notes")):
        for note in notes_el.iterchildren(_q("note")):
            category = note.get("category")
            if category and category not in notes:
                notes[category] = " ".join(_text_of(note).split())
    return notes


def _read_unit(unit: etree._Element) -> _UnitIn:
    """Read a unit, joining its segments and ignorables in document order."""
    data: dict[str, str] = {}
    has_data = False
    for original in unit.iterchildren(_q("originalData")):
        has_data = True
        for data_el in original.iterchildren(_q("data")):
            data[data_el.get("id", "")] = _text_of(data_el)
    source: list[Tok] = []
    target: list[Tok] | None = []
    state = None
    for part in unit:
        name = _local(part)
        if name not in {"segment", "ignorable"}:
            continue
        source_el = part.find(_q("source"))
        target_el = part.find(_q("target"))
        part_source = _read_inline(source_el, data) if source_el is not None else []
        source.extend(part_source)
        if target is not None:
            if target_el is not None:
                target.extend(_read_inline(target_el, data))
            elif name == "ignorable":
                target.extend(part_source)
            else:
                target = None
        if name == "segment":
            value = part.get("state", "initial")
            if state is None or _STATE_ORDER.get(value, 0) < _STATE_ORDER.get(state, 0):
                state = value
    return _UnitIn(
        id=unit.get("id", ""),
        line=unit.sourceline,
        state=state or "initial",
        source=source,
        target=target,
        has_data=has_data,
        entry_version=unit.get(_ENTRY_VERSION),
        unit_version=unit.get(_UNIT_VERSION),
        exported=_unit_notes_in(unit),
    )


def _wire(toks: Sequence[Tok], enc: Encoded) -> list[tagged.Item]:
    """XLIFF inline content as the tagged text :func:`~pipeline.source.inline.decode`
    reads: a ``<ph>`` is an empty atom (a hard break a ``<br>``), a ``<pc>`` a
    span, ``<sc>``/``<ec>`` its two tags."""
    items: list[tagged.Item] = []
    for tok in toks:
        kind = tok[0]
        if kind == "t":
            items.append(tagged.Text(tok[1]))
        elif kind == "ph":
            atom = enc.atoms.get(tok[1])
            hard_break = atom is not None and atom.kind == "hardbreak"
            items.append(tagged.Break(tok[1]) if hard_break else tagged.Atom(tok[1]))
        elif kind == "pc":
            items.extend([tagged.Open(tok[1]), *_wire(tok[4], enc), tagged.Close(tok[1])])
        elif kind == "sc":
            items.append(tagged.Open(tok[1]))
        elif kind == "ec":
            items.append(tagged.Close())
    return items


# --------------------------------------------------------------------------- import


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What :func:`import_xliff` did to the catalogue (which the caller saves)."""

    approved: tuple[str, ...] = ()
    """Units approved (state ``reviewed``/``final``)."""
    translated: tuple[str, ...] = ()
    """Units stored as a person's translation waiting for review."""
    unchanged: tuple[str, ...] = ()
    """Units that asked for nothing the catalogue does not have already."""
    skipped: tuple[str, ...] = ()
    """Units with a new target that was not applied (state ``initial``, empty target)."""
    stale: tuple[str, ...] = ()
    """Units edited in the file whose catalogue entry changed since the export,
    not applied (only with ``skip_stale``; otherwise they refuse the import)."""
    warnings: tuple[str, ...] = ()
    """``id: problem`` lines: markup repaired on import, targets skipped, stale units."""

    @property
    def changed(self) -> int:
        """How many catalogue entries changed."""
        return len(self.approved) + len(self.translated)

    def __str__(self) -> str:
        text = (
            f"{len(self.approved)} approved, {len(self.translated)} to review, "
            f"{len(self.unchanged)} unchanged, {len(self.skipped)} skipped"
        )
        if self.stale:
            text += f", {len(self.stale)} stale (not applied)"
        return text


@dataclass(slots=True)
class _Action:
    id: str
    approve: bool
    text: str | None
    """New translation; ``None`` keeps the catalogue's."""


def _listed(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:_MAX_LISTED])
    if len(ids) > _MAX_LISTED:
        shown += f" and {len(ids) - _MAX_LISTED} more"
    return shown


def _file_note(root: etree._Element, category: str) -> str | None:
    for file_el in root.iterchildren(_q("file")):
        for notes in file_el.iterchildren(_q("notes")):
            for note in notes.iterchildren(_q("note")):
                text = " ".join(_text_of(note).split())
                if note.get("category") == category and text:
                    return text
    return None


def _without_foreign_attributes(root: etree._Element) -> etree._Element:
    """A copy of the document without the attributes of other namespaces than
    XLIFF core's (``xml:space``, ``xml:lang``, modules', tools' own).

    XLIFF 2 lets tools add such attributes, and some put them where the core
    schema has no room for them (Translate Toolkit writes ``xml:space`` on
    ``<segment>``); they never change what pipeline reads, so they are not
    validated. Elements of other namespaces stay: the schema accepts them where
    XLIFF 2 allows extensions and refuses them anywhere else.
    """
    bare = deepcopy(root)
    for element in bare.iter(etree.Element):
        for name in [n for n in element.attrib if n.startswith("{")]:
            if not name.startswith(f"{{{XLIFF_NS}}}"):
                del element.attrib[name]
    return bare


def _check_document(root: etree._Element, catalog: Catalog, path: Path) -> None:
    """Namespace, version, schema and languages; raises :class:`ExchangeError`."""
    tag = root.tag if isinstance(root.tag, str) else ""
    namespace = tag[1:].split("}")[0] if tag.startswith("{") else ""
    if tag.rsplit("}", 1)[-1] != "xliff" or not namespace.startswith("urn:oasis:names:tc:xliff"):
        raise ExchangeError(
            "not an XLIFF document",
            path=path,
            line=root.sourceline,
            hint="give an XLIFF 2.1 file (pipeline exports one)",
        )
    version = root.get("version", "")
    if namespace != XLIFF_NS or version not in _SUPPORTED_VERSIONS:
        raise ExchangeError(
            f"XLIFF version {version or '?'} is not supported (only 2.0 and 2.1)",
            path=path,
            line=root.sourceline,
            hint="save the file as XLIFF 2.1 in the CAT tool, or start from a new export",
        )
    schema = load_schema()
    if not schema.validate(_without_foreign_attributes(root)):
        error = schema.error_log.last_error
        raise ExchangeError(
            f"not valid XLIFF 2.1: {error.message if error else 'schema validation failed'}",
            path=path,
            line=error.line if error and error.line else None,
            hint="the CAT tool wrote something XLIFF 2.1 does not allow there; correct that "
            "line, or save the file again as XLIFF 2.1; nothing was imported",
        )
    src, trg = root.get("srcLang", ""), root.get("trgLang", "")
    if not same_language(src, catalog.source_lang):
        raise ExchangeError(
            f"the file's source language is {src!r}, the book's is {catalog.source_lang!r}",
            path=path,
            line=root.sourceline,
            hint="import the file for this book's source language",
        )
    if not trg or not same_language(trg, catalog.lang):
        raise ExchangeError(
            f"the file's target language is {trg or 'missing'!r}, expected {catalog.lang!r}",
            path=path,
            line=root.sourceline,
            hint=f"import it into the catalogue for {trg or 'its language'}",
        )


def import_xliff(
    data: bytes,
    doc: Document,
    catalog: Catalog,
    *,
    path: Path,
    reviewer: str | None = None,
    when: str | None = None,
    skip_stale: bool = False,
) -> ImportReport:
    """Apply an XLIFF 2.x file's targets to the catalogue, all or nothing.

    ``doc`` is the current source, ``catalog`` its merged catalogue (the
    caller saves it afterwards); ``path`` names the file in messages.
    ``reviewer`` is who approved the units marked ``reviewed``/``final``
    (default: the file's ``<note category="reviewer">``); ``when`` the ISO
    date of the approval (default: today). Translations marked
    ``translated`` are recorded with the file's ``translator`` note, else
    ``reviewer``.

    Stale units: the export records each catalogue entry's version
    (:func:`~pipeline.catalog.version.entry_version`) and what each unit said
    (``pipeline:entry-version``, ``pipeline:unit-version``). A unit the
    translator did not touch whose entry changed since is left alone; one that
    was edited and would change an entry that changed since refuses the import
    (naming each unit and who changed its entry, when), unless ``skip_stale``:
    then the other units are applied and the stale ones listed in the report.
    A file without versions (exported by an older pipeline) is checked
    against the source only, as before, with a logged warning.

    Everything is checked before anything changes (:func:`_validate`, then
    :func:`_plan`); any problem raises :class:`ExchangeError` and leaves the
    catalogue as it was: see the module documentation. Markup decode had to
    repair is a warning in the report, and such a unit is stored for review
    instead of approved. Only then does :func:`_apply` change the catalogue.
    """
    root = parse_xml(data, path, "XLIFF")
    units = _validate(root, doc, catalog, path)
    plan = _plan(units, doc, catalog, path)
    if plan.stale and not skip_stale:
        raise _stale_refused(plan.stale, path)
    who = reviewer or _file_note(root, "reviewer")
    if any(action.approve for action in plan.actions) and not who:
        raise ExchangeError(
            "units are marked reviewed but no reviewer is named",
            path=path,
            hint="name the reviewer (--reviewer NAME) or add "
            '<note category="reviewer">NAME</note> to the file\'s notes; nothing was imported',
        )
    translator = _file_note(root, "translator") or reviewer
    if plan.unversioned:
        log.warning(
            "%s: %d unit(s) carry no catalogue version (exported by an older pipeline): "
            "only their source was checked, so a change made in the catalogue since the "
            "export cannot be told from an edit in the file; export again to have it checked",
            path,
            plan.unversioned,
        )
    return _apply(plan, catalog, reviewer=who, translator=translator, when=when)


# --------------------------------------------------------------------------- import: validate


@dataclass(slots=True)
class _Checked:
    """A unit of the file, and the same unit as the current source exports it."""

    unit: _UnitIn
    now: _UnitIn


def _validate(root: etree._Element, doc: Document, catalog: Catalog, path: Path) -> list[_Checked]:
    """The file's units, each with its current export, once the document and
    every unit are known to fit ``doc`` and ``catalog``; raises :class:`ExchangeError`."""
    _check_document(root, catalog, path)
    units = _read_units(root, path)
    _check_known(units, doc, catalog, path)
    return _check_sources(units, doc, catalog, path)


def _read_units(root: etree._Element, path: Path) -> list[_UnitIn]:
    """Every unit of the file, in order; refuses a unit id that appears twice."""
    units: list[_UnitIn] = []
    seen: dict[str, int | None] = {}
    duplicates: list[str] = []
    for unit_el in root.iter(_q("unit")):
        unit = _read_unit(unit_el)
        if unit.id in seen:
            duplicates.append(unit.id)
        seen[unit.id] = unit.line
        units.append(unit)
    if duplicates:
        raise ExchangeError(
            f"units appear twice: {_listed(duplicates)}",
            path=path,
            line=seen[duplicates[0]],
            hint="keep one unit per segment (export again)",
            ids=tuple(duplicates),
        )
    return units


def _check_known(units: list[_UnitIn], doc: Document, catalog: Catalog, path: Path) -> None:
    """Refuse units the document does not have, or the catalogue has with another source."""
    segments = {seg.id: seg for seg in doc.segments}
    unknown = [u for u in units if u.id not in segments]
    unmerged = [
        u
        for u in units
        if u.id in segments
        and (u.id not in catalog or catalog.entry(u.id).source != segments[u.id].source)
    ]
    if not unknown and not unmerged:
        return
    first = (unknown or unmerged)[0]
    ids = tuple(u.id for u in [*unknown, *unmerged])
    if unknown:
        message = f"{len(unknown)} unit(s) are not in the current source: "
        message += _listed([u.id for u in unknown])
    else:
        message = f"{len(unmerged)} unit(s) are not up to date in the catalogue: "
        message += _listed([u.id for u in unmerged])
    raise ExchangeError(
        message,
        path=path,
        line=first.line,
        hint=(
            "their source text changed since the export, or the file is for another "
            "book; export again and redo the edits; nothing was imported"
            if unknown
            else "update the catalogue (pipeline translate) first; nothing was imported"
        ),
        details=[f"{u.id} (line {u.line})" for u in [*unknown, *unmerged]],
        ids=ids,
    )


def _check_sources(
    units: list[_UnitIn], doc: Document, catalog: Catalog, path: Path
) -> list[_Checked]:
    """Pair each unit with its current export; refuse units whose source differs."""
    segments = {seg.id: seg for seg in doc.segments}
    location = doc.path.as_posix()
    checked: list[_Checked] = []
    stale: list[_UnitIn] = []
    for unit in units:
        seg = segments[unit.id]
        now = _read_unit(_export_unit(seg, catalog.entry(unit.id), doc.env, location))
        checked.append(_Checked(unit, now))
        if _canon(unit.source, unit.has_data) != _canon(now.source, unit.has_data):
            stale.append(unit)
    if stale:
        raise ExchangeError(
            f"the source of {len(stale)} unit(s) changed since the export: "
            f"{_listed([u.id for u in stale])}",
            path=path,
            line=stale[0].line,
            hint="export again and redo the edits on the new source; nothing was imported",
            details=[f"{u.id} (line {u.line})" for u in stale],
            ids=tuple(u.id for u in stale),
        )
    return checked


# --------------------------------------------------------------------------- import: plan


@dataclass(slots=True)
class _Plan:
    """What an import will do, decided before anything changes."""

    actions: list[_Action] = field(default_factory=list)
    """Catalogue changes, in file order."""
    unchanged: list[str] = field(default_factory=list)
    """Units that ask for nothing new."""
    skipped: list[str] = field(default_factory=list)
    """Units with a new target that is not applied."""
    warnings: list[str] = field(default_factory=list)
    """``id: problem`` lines for the report."""
    stale: list[tuple[_UnitIn, str]] = field(default_factory=list)
    """Edited units whose catalogue entry changed since the export, and how it changed."""
    unversioned: int = 0
    """Units exported without a catalogue version (an older pipeline's file)."""


def _plan(checked: list[_Checked], doc: Document, catalog: Catalog, path: Path) -> _Plan:
    """Decide what each unit asks for (:func:`_plan_unit`, :func:`_plan_stale`);
    refuse units marked reviewed without a target."""
    plan = _Plan()
    no_target: list[_UnitIn] = []
    for item in checked:
        unit = item.unit
        if unit.entry_version is None:
            plan.unversioned += 1
            ok = _plan_unit(item, doc, catalog, plan, known_current=False)
        elif unit.entry_version == entry_version(catalog.entry(unit.id)):
            ok = _plan_unit(item, doc, catalog, plan, known_current=True)
        else:
            ok = _plan_stale(item, doc, catalog, plan)
        if not ok:
            no_target.append(unit)
    if no_target:
        raise ExchangeError(
            f"{len(no_target)} unit(s) are marked reviewed without a target: "
            f"{_listed([u.id for u in no_target])}",
            path=path,
            line=no_target[0].line,
            hint="give them a translation or set their state back; nothing was imported",
            ids=tuple(u.id for u in no_target),
        )
    return plan


def _plan_stale(item: _Checked, doc: Document, catalog: Catalog, plan: _Plan) -> bool:
    """Plan a unit whose catalogue entry changed since the export: an untouched
    unit asks for nothing; an edited one that would change the entry is stale
    (``plan.stale``), whatever it asks for is not applied; False as
    :func:`_plan_unit`."""
    unit = item.unit
    if unit.unit_version is not None and _unit_version(unit) == unit.unit_version:
        plan.unchanged.append(unit.id)
        return True
    trial = _Plan()
    if not _plan_unit(item, doc, catalog, trial, known_current=False):
        return False
    if trial.actions:
        plan.stale.append((unit, _what_changed(catalog.entry(unit.id), unit)))
        return True
    plan.unchanged.extend(trial.unchanged)
    plan.skipped.extend(trial.skipped)
    plan.warnings.extend(trial.warnings)
    return True


def _same_note(exported: Mapping[str, str], category: str, value: str | None) -> bool:
    return exported.get(category, "") == " ".join(clean(value or "").split())


def _what_changed(entry: Entry, unit: _UnitIn) -> str:
    """How a catalogue entry changed since ``unit`` was exported, from what it
    holds now and the unit's notes (``approved by Ana Ruiz on 2026-12-05``)."""
    was = unit.exported
    same_state = was.get("pipeline-state") == entry.state.value
    if entry.state is State.REVIEWED:
        what = f"approved by {entry.reviewer or 'someone'}"
        if entry.reviewed_at:
            what += f" on {entry.reviewed_at}"
        if (
            same_state
            and _same_note(was, "reviewer", entry.reviewer)
            and _same_note(was, "reviewed-at", entry.reviewed_at)
        ):
            what = f"edited in the catalogue (now {what})"
    elif entry.state is State.NEEDS_REVIEW:
        who = f" by {entry.translator}" if entry.translator else ""
        what = f"translation changed{who}, to review"
        if same_state and _same_note(was, "translator", entry.translator):
            what = f"edited in the catalogue (now a translation{who} to review)"
    elif entry.state is State.MACHINE:
        what = f"machine-translated again ({entry.engine or 'unknown engine'})"
        if same_state and _same_note(was, "engine", entry.engine):
            what = "edited in the catalogue (now a machine translation)"
    else:
        what = "translation removed from the catalogue"
    if entry.translation and entry.state is not State.NEW:
        flat = " ".join(entry.translation.split())
        what += f': "{flat if len(flat) <= 60 else flat[:59] + "…"}"'
    return what


def _stale_refused(stale: Sequence[tuple[_UnitIn, str]], path: Path) -> ExchangeError:
    return ExchangeError(
        f"{len(stale)} unit(s) were changed in the catalogue after this file was exported: "
        + _listed([f"{unit.id} ({what})" for unit, what in stale]),
        path=path,
        line=stale[0][0].line,
        hint="nothing was imported; export again to work on the current translations, or "
        "import the other units with --skip-stale",
        details=[f"{unit.id} (line {unit.line}): {what}" for unit, what in stale],
        ids=tuple(unit.id for unit, _ in stale),
    )


def _plan_unit(
    item: _Checked, doc: Document, catalog: Catalog, plan: _Plan, *, known_current: bool
) -> bool:
    """Add what one unit asks for to ``plan``; False for a unit marked reviewed
    without a target (which refuses the file). ``known_current``: the entry is
    known not to have changed since the export, so a target that differs from
    the catalogue's is the translator's edit."""
    unit, now = item.unit, item.now
    wants = _STATE_ORDER.get(unit.state, 0)
    if unit.target is None or not _canon(unit.target, False):
        if wants >= _STATE_ORDER["reviewed"]:
            return False
        if wants == _STATE_ORDER["translated"]:
            plan.skipped.append(unit.id)
            plan.warnings.append(f"{unit.id}: marked translated without a target; not imported")
        else:
            plan.unchanged.append(unit.id)
        return True
    same = now.target is not None and _canon(unit.target, unit.has_data) == _canon(
        now.target, unit.has_data
    )
    if wants == _STATE_ORDER["initial"]:
        if same:
            plan.unchanged.append(unit.id)
        elif known_current:
            plan.skipped.append(unit.id)
            plan.warnings.append(
                f"{unit.id}: the target changed but its state is 'initial'; not imported "
                "(set the state to 'translated' or 'reviewed')"
            )
        else:
            plan.skipped.append(unit.id)
            plan.warnings.append(
                f"{unit.id}: the target differs from the catalogue's and its state is "
                "'initial'; not imported"
            )
        return True
    approve = wants >= _STATE_ORDER["reviewed"]
    state = catalog.state(unit.id)
    if same:
        if state is State.REVIEWED or (state is State.NEEDS_REVIEW and not approve):
            plan.unchanged.append(unit.id)
        else:
            text = None if approve else catalog.translation(unit.id)
            plan.actions.append(_Action(unit.id, approve, text))
        return True
    enc = without_numbers(encode(doc.segment(unit.id).source, doc.env))
    markdown, problems = decode(
        tagged.write(_wire(unit.target, enc)),
        enc,
        doc.env,
        block_start=doc.places[unit.id].prefix is not None,
    )
    plan.warnings.extend(f"{unit.id}: {problem}" for problem in problems)
    if not markdown.strip():
        plan.skipped.append(unit.id)
        plan.warnings.append(f"{unit.id}: the target is empty; not imported")
    elif markdown == catalog.translation(unit.id) and (
        state is State.REVIEWED or (state is State.NEEDS_REVIEW and not approve)
    ):
        plan.unchanged.append(unit.id)
    else:
        if approve and problems:
            plan.warnings.append(f"{unit.id}: markup was repaired, so it is stored for review")
            approve = False
        plan.actions.append(_Action(unit.id, approve, markdown))
    return True


# --------------------------------------------------------------------------- import: apply


def _apply(
    plan: _Plan, catalog: Catalog, *, reviewer: str | None, translator: str | None, when: str | None
) -> ImportReport:
    """Make the planned changes to the catalogue; ``reviewer`` is set when any
    action approves."""
    approved: list[str] = []
    translated: list[str] = []
    for action in plan.actions:
        if action.approve:
            assert reviewer is not None
            catalog.approve(action.id, reviewer, text=action.text, when=when)
            approved.append(action.id)
        else:
            assert action.text is not None
            catalog.set_translation(action.id, action.text, translator=translator)
            translated.append(action.id)
    stale = [
        f"{unit.id}: not imported, changed in the catalogue after this file was exported: {what}"
        for unit, what in plan.stale
    ]
    return ImportReport(
        approved=tuple(approved),
        translated=tuple(translated),
        unchanged=tuple(plan.unchanged),
        skipped=tuple(plan.skipped),
        stale=tuple(unit.id for unit, _ in plan.stale),
        warnings=(*plan.warnings, *stale),
    )
