"""XLIFF 2.1 export and import, for translators' CAT tools.

:func:`export_xliff` writes a book's segments as one XLIFF 2.1 document
(core only, valid against the OASIS schema shipped in ``pipeline/schemas``);
:func:`import_xliff` reads one back into the catalogue, all or nothing.

The document::

    <xliff version="2.1" srcLang="en" trgLang="es">
      <file id="book" original="content/en/book.md" canResegment="no">
        <unit id="s3f2a9c01de">                     segment id (msgctxt)
          <notes>…</notes>                          provenance, see below
          <originalData><data id="d1">*</data>…     the Markdown of each code
          <segment state="initial" subState="pipeline:machine">
            <source>The <pc id="g1" …>big</pc> house.</source>
            <target>La casa <pc id="g1" …>grande</pc>.</target>

States. Export: a new segment is ``initial`` without a target, a machine
translation ``initial`` with one, a person's translation waiting for review
``translated``, an approved one ``reviewed``. Import: ``initial`` is never
applied (a changed target is reported), ``translated`` stores the target as
a person's translation to review (:meth:`Catalog.set_translation`),
``reviewed`` and ``final`` approve it (:meth:`Catalog.approve`).

``subState="pipeline:<state>"`` carries the exact catalogue state. A unit
whose target is unchanged (compared as inline content, not as XML bytes) and
that asks for no more than the catalogue has is left alone, so importing a
file straight after exporting it changes nothing; an unchanged machine
translation marked ``translated`` or ``reviewed`` does become the person's.

Inline markup (see :func:`pipeline.source.inline.encode`): emphasis, strong,
strikethrough, links and images are ``<pc>`` (``type``/``subType``
``fmt``/``xlf:i``, ``fmt``/``xlf:b``, ``fmt``/``pipeline:strikethrough``,
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

The target carries the source's ids for the same markup (:func:`align_target`
matches them by kind and Markdown, in order); markup of the translation the
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

The import refuses, before changing anything (:class:`ExchangeError`): a file
that is not well-formed XML, has a DTD, is not XLIFF 2.0/2.1 or not valid
against the schema, is for other languages, has units the document does not
have (their source changed since the export, or they are from another book),
units whose source text or markup differs from the current source (a change
of whitespace only is tolerated), a unit marked reviewed without a target,
or approvals without a known reviewer.
"""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

from ..catalog.catalog import Catalog, Entry, State
from ..errors import ExchangeError
from ..lang import same_language
from ..source.inline import Atom, Encoded, Pair, Text, decode, encode
from ..source.markdown import Document
from ..source.segment import Segment

__all__ = [
    "SCHEMA_DIR",
    "XLIFF_NS",
    "Code",
    "ImportReport",
    "align_target",
    "export_xliff",
    "import_xliff",
    "load_schema",
    "parse_xml",
    "source_items",
]

XLIFF_NS = "urn:oasis:names:tc:xliff:document:2.0"
"""Namespace of XLIFF 2.x core (2.0 and 2.1 share it)."""

XML_NS = "http://www.w3.org/XML/1998/namespace"

SCHEMA_DIR = Path(__file__).parent.parent / "schemas"
"""pipeline's XLIFF 2.1 and TMX 1.4 profiles (and, in ``official/``, the OASIS
and LISA files when installed)."""

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
    "link": ("link", None),
    "image": ("image", None),
}
_ATOM_TYPES: dict[str, tuple[str, str | None]] = {
    "code_inline": ("other", "pipeline:code"),
    "image": ("image", None),
    "autolink": ("link", None),
    "html_inline": ("other", "pipeline:html"),
    "entity": ("other", "pipeline:entity"),
    "hardbreak": ("fmt", "xlf:lb"),
}
_INVALID_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NMTOKEN = re.compile(r"[\w.:-]+")
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_MAX_LISTED = 10


def _q(name: str) -> str:
    """Qualified name of an XLIFF core element."""
    return f"{{{XLIFF_NS}}}{name}"


# --------------------------------------------------------------------------- inline codes


@dataclass(slots=True)
class Code:
    """One inline code of a segment: a pair of delimiters, or an atom."""

    id: str
    """Placeholder id: the source's (``g1``, ``x2``), or ``t1``… for target
    markup the source does not have."""
    kind: str
    """Markup kind from :mod:`pipeline.source.inline` (``em``, ``link``, ``code_inline``…)."""
    start: str
    """Markdown of the opening delimiter, or of the whole atom."""
    end: str | None = None
    """Markdown of the closing delimiter; ``None`` for an atom."""
    children: list[Item] = field(default_factory=list)
    """What the delimiters enclose (pairs only)."""


Item = str | Code
"""Inline content: text, or a code."""


def _add_text(out: list[Item], text: str) -> None:
    if not text:
        return
    if out and isinstance(out[-1], str):
        out[-1] += text
    else:
        out.append(text)


def source_items(enc: Encoded) -> list[Item]:
    """A segment's encoded source as text and codes (numbers are text)."""
    return _items(enc.tree, lambda node, shown: node.pid)


def _items(nodes: Sequence[Any], pid_of: Callable[[Atom | Pair, str], str]) -> list[Item]:
    """An encoded tree as text and codes (numbers are text); ``pid_of`` gives
    each code its id, from the element and the Markdown it shows."""
    out: list[Item] = []
    for node in nodes:
        if isinstance(node, Text):
            _add_text(out, node.text)
        elif isinstance(node, Atom):
            if node.kind == "number":
                _add_text(out, node.src)
            else:
                out.append(_atom_code(pid_of(node, node.src), node))
        elif isinstance(node, Pair):
            pid = pid_of(node, node.open + "…" + node.close)
            children = _items(node.children, pid_of)
            out.append(Code(pid, node.kind, node.open, node.close, children))
    return out


def _image_parts(atom: Atom) -> tuple[str, str] | None:
    """An image's Markdown around its description (``![``, ``](url)``), or ``None``."""
    head = f"![{atom.label}]"
    if atom.kind != "image" or not atom.src.startswith(head):
        return None
    return "![", atom.src[len(head) - 1 :]


def _atom_code(pid: str, atom: Atom) -> Code:
    """The code of an atom; an image's description is text inside it, to translate."""
    parts = _image_parts(atom)
    if parts is None:
        return Code(pid, atom.kind, atom.src)
    words = " ".join(atom.hint.split())
    return Code(pid, atom.kind, parts[0], parts[1], [words] if words else [])


def _norm_label(label: str) -> str:
    return " ".join(label.split()).casefold()


def _match_key(node: Atom | Pair) -> tuple[str, str]:
    """What a target's markup must share with the source's to take its id."""
    if isinstance(node, Atom):
        parts = _image_parts(node)
        if parts is None:
            return (node.kind, node.src)
        # An image is known by where it points (its description may be translated).
        rest = parts[1][1:]
        if rest in ("", "[]"):
            rest = f"[{node.label}]"
        return ("image", "ref:" + _norm_label(rest[1:-1]) if rest.startswith("[") else rest)
    if node.kind != "link":
        return (node.kind, "")
    if node.label is not None:
        return ("link", "ref:" + _norm_label(node.label))
    close = node.close
    if close.startswith("][") and close.endswith("]") and len(close) > 3:
        return ("link", "ref:" + _norm_label(close[2:-1]))
    return ("link", close)


def align_target(
    source: Encoded, translation: str, env: Mapping[str, Any] | None = None
) -> tuple[list[Item], list[str]]:
    """A translation's inline Markdown as text and codes carrying the source's ids.

    Each element of the translation takes the id of the first unused element
    of the source with the same kind and Markdown (emphasis: same kind; link:
    same destination or reference label; code span, image, HTML: same
    source), so ``<pc id="g1">`` in the target is the ``g1`` of the source.
    Markup the source does not have gets an id ``t1``, ``t2``… and a problem.
    """
    queues: dict[tuple[str, str], list[str]] = {}

    def collect(nodes: Sequence[Any]) -> None:
        for node in nodes:
            if isinstance(node, Atom) and node.kind != "number":
                queues.setdefault(_match_key(node), []).append(node.pid)
            elif isinstance(node, Pair):
                queues.setdefault(_match_key(node), []).append(node.pid)
                collect(node.children)

    collect(source.tree)
    problems: list[str] = []
    fresh = [0]

    def take(node: Atom | Pair, shown: str) -> str:
        queue = queues.get(_match_key(node))
        if queue:
            return queue.pop(0)
        fresh[0] += 1
        problems.append(f"markup {shown!r} of the translation is not in the source")
        return f"t{fresh[0]}"

    target = encode(translation, env)
    return _items(target.tree, take), problems


def _without_numbers(enc: Encoded) -> Encoded:
    """The encoded source with its number placeholders turned back into text.

    XLIFF shows numbers as text, so :func:`~pipeline.source.inline.decode` must not
    expect (and append) them.
    """

    def strip(nodes: Sequence[Any]) -> list[Any]:
        out: list[Any] = []
        for node in nodes:
            if isinstance(node, Atom) and node.kind == "number":
                node = Text(node.src)
            elif isinstance(node, Pair):
                node = dataclasses.replace(node, children=strip(node.children))
            if isinstance(node, Text):
                if out and isinstance(out[-1], Text):
                    out[-1] = Text(out[-1].text + node.text)
                    continue
                node = Text(node.text)
            out.append(node)
        return out

    result = Encoded("", strip(enc.tree), {}, {}, {}, enc.html_allowed)

    def walk(nodes: Sequence[Any], parent: str | None) -> None:
        for node in nodes:
            if isinstance(node, Atom):
                result.atoms[node.pid] = node
                result.parents[node.pid] = parent
            elif isinstance(node, Pair):
                result.pairs[node.pid] = node
                result.parents[node.pid] = parent
                walk(node.children, node.pid)

    walk(result.tree, None)
    return result


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


def _clean(text: str) -> str:
    """Text fit for an attribute or a note: characters XML cannot hold become U+FFFD."""
    return _INVALID_XML.sub("\ufffd", text)


def _append_text(parent: etree._Element, text: str) -> None:
    """Append text to ``parent``'s content (characters XML cannot hold as ``<cp>``)."""
    pos = 0
    for match in _INVALID_XML.finditer(text):
        _append_plain(parent, text[pos : match.start()])
        code = ord(match.group())
        etree.SubElement(parent, _q("cp"), hex=f"{code:04X}" if code < 0x10000 else f"{code:06X}")
        pos = match.end()
    _append_plain(parent, text[pos:])


def _append_plain(parent: etree._Element, text: str) -> None:
    if not text:
        return
    if len(parent):
        last = parent[-1]
        last.tail = (last.tail or "") + text
    else:
        parent.text = (parent.text or "") + text


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
                    "disp": _clean(item.start),
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
                "dispStart": _clean(item.start),
                "dispEnd": _clean(item.end),
                "canCopy": "no",
                "canDelete": "no",
            },
        )
        _write_items(element, item.children, data)


def _language(code: str) -> str:
    """A language code as XML wants it (``es_ES`` → ``es-ES``)."""
    return code.strip().replace("_", "-")


def _file_id(book: str) -> str:
    return book if _NMTOKEN.fullmatch(book) else "book"


def _note(notes: etree._Element, category: str, text: str, applies_to: str | None) -> None:
    attributes = {"category": category}
    if applies_to:
        attributes["appliesTo"] = applies_to
    note = etree.SubElement(notes, _q("note"), attributes)
    note.text = _clean(text)


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
    source_el.set(f"{{{XML_NS}}}space", "preserve")
    _write_items(source_el, source, data)
    if target is not None:
        target_el = etree.SubElement(segment, _q("target"))
        target_el.set(f"{{{XML_NS}}}space", "preserve")
        _write_items(target_el, target, data)
    if data.content:
        original = etree.SubElement(unit, _q("originalData"))
        for data_id, markdown in data.content:
            data_el = etree.SubElement(original, _q("data"), id=data_id)
            data_el.set(f"{{{XML_NS}}}space", "preserve")
            _append_text(data_el, markdown)
    unit.append(segment)
    return unit


_STRUCTURE = {_q(n) for n in ("xliff", "file", "notes", "unit", "originalData", "segment")}


def _indent(element: etree._Element, level: int = 0) -> None:
    """Indent the structural elements only (never inside source, target, data or note)."""
    if element.tag not in _STRUCTURE or not len(element):
        return
    inner = "\n" + "  " * (level + 1)
    element.text = inner
    for child in element:
        _indent(child, level + 1)
        child.tail = inner
    element[-1].tail = "\n" + "  " * level


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
            "srcLang": _language(catalog.source_lang),
            "trgLang": _language(catalog.lang),
        },
        nsmap={None: XLIFF_NS},
    )
    file_el = etree.SubElement(
        root,
        _q("file"),
        {"id": _file_id(catalog.book), "original": _clean(location), "canResegment": "no"},
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
    _indent(root)
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        + etree.tostring(root, encoding="UTF-8", xml_declaration=False)
        + b"\n"
    )


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


def parse_xml(data: bytes, path: Path, what: str) -> etree._Element:
    """Parse an exchange file safely: no DTD, no entities, no network, no huge trees.

    Raises :class:`ExchangeError` (with the line) for anything else than a
    well-formed XML document without a document type declaration.
    """
    hint = f"give the {what} file exactly as the CAT tool wrote it"
    doctype = _DOCTYPE.search(data)
    if doctype:
        raise ExchangeError(
            "the file has a document type declaration (DTD), which is refused",
            path=path,
            line=data[: doctype.start()].count(b"\n") + 1,
            hint=f"remove the <!DOCTYPE …> declaration; {what} needs none",
        )
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ExchangeError(
            f"not well-formed XML: {exc.msg}",
            path=path,
            line=exc.lineno or None,
            hint=hint,
        ) from None
    except ValueError as exc:  # e.g. a str with an encoding declaration
        raise ExchangeError(f"not an XML file: {exc}", path=path, hint=hint) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise ExchangeError(
            "the file has a document type declaration (DTD), which is refused",
            path=path,
            hint=f"remove the <!DOCTYPE …> declaration; {what} needs none",
        )
    return root


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
    )


def _tagged(toks: Sequence[Tok], enc: Encoded) -> str:
    """XLIFF inline content as the tagged text :func:`~pipeline.source.inline.decode` reads."""
    parts: list[str] = []
    for tok in toks:
        kind = tok[0]
        if kind == "t":
            parts.append(html.escape(tok[1], quote=False))
            continue
        pid = html.escape(tok[1])
        if kind == "ph":
            atom = enc.atoms.get(tok[1])
            if atom is not None and atom.kind == "hardbreak":
                parts.append(f'<br id="{pid}">')
            else:
                parts.append(f'<span id="{pid}"></span>')
        elif kind == "pc":
            parts.append(f'<span id="{pid}">{_tagged(tok[4], enc)}</span>')
        elif kind == "sc":
            parts.append(f'<span id="{pid}">')
        elif kind == "ec":
            parts.append("</span>")
    return "".join(parts)


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
    warnings: tuple[str, ...] = ()
    """``id: problem`` lines: markup repaired on import, targets skipped."""

    @property
    def changed(self) -> int:
        """How many catalogue entries changed."""
        return len(self.approved) + len(self.translated)

    def __str__(self) -> str:
        return (
            f"{len(self.approved)} approved, {len(self.translated)} to review, "
            f"{len(self.unchanged)} unchanged, {len(self.skipped)} skipped"
        )


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
    if not schema.validate(root):
        error = schema.error_log.last_error
        raise ExchangeError(
            f"not valid XLIFF 2.1: {error.message if error else 'schema validation failed'}",
            path=path,
            line=error.line if error and error.line else None,
            hint="the CAT tool wrote an invalid file; export again and redo the edits",
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
) -> ImportReport:
    """Apply an XLIFF 2.x file's targets to the catalogue, all or nothing.

    ``doc`` is the current source, ``catalog`` its merged catalogue (the
    caller saves it afterwards); ``path`` names the file in messages.
    ``reviewer`` is who approved the units marked ``reviewed``/``final``
    (default: the file's ``<note category="reviewer">``); ``when`` the ISO
    date of the approval (default: today). Translations marked
    ``translated`` are recorded with the file's ``translator`` note, else
    ``reviewer``.

    Everything is checked before anything changes; any problem raises
    :class:`ExchangeError` and leaves the catalogue as it was: see the module
    documentation. Markup decode had to repair is a warning in the report,
    and such a unit is stored for review instead of approved.
    """
    root = parse_xml(data, path, "XLIFF")
    _check_document(root, catalog, path)
    segments = {seg.id: seg for seg in doc.segments}

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

    unknown = [u for u in units if u.id not in segments]
    unmerged = [
        u
        for u in units
        if u.id in segments
        and (u.id not in catalog or catalog.entry(u.id).source != segments[u.id].source)
    ]
    if unknown or unmerged:
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

    location = doc.path.as_posix()
    current: dict[str, _UnitIn] = {}
    stale: list[_UnitIn] = []
    for unit in units:
        seg = segments[unit.id]
        now = _read_unit(_export_unit(seg, catalog.entry(unit.id), doc.env, location))
        current[unit.id] = now
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

    actions: list[_Action] = []
    unchanged: list[str] = []
    skipped: list[str] = []
    warnings: list[str] = []
    no_target: list[_UnitIn] = []
    for unit in units:
        now = current[unit.id]
        state = catalog.state(unit.id)
        wants = _STATE_ORDER.get(unit.state, 0)
        same = (
            unit.target is not None
            and now.target is not None
            and _canon(unit.target, unit.has_data) == _canon(now.target, unit.has_data)
        )
        if unit.target is None or not _canon(unit.target, False):
            if wants >= _STATE_ORDER["reviewed"]:
                no_target.append(unit)
            elif wants == _STATE_ORDER["translated"]:
                skipped.append(unit.id)
                warnings.append(f"{unit.id}: marked translated without a target; not imported")
            else:
                unchanged.append(unit.id)
            continue
        if wants == _STATE_ORDER["initial"]:
            if same:
                unchanged.append(unit.id)
            else:
                skipped.append(unit.id)
                warnings.append(
                    f"{unit.id}: the target changed but its state is 'initial'; not imported "
                    "(set the state to 'translated' or 'reviewed')"
                )
            continue
        approve = wants >= _STATE_ORDER["reviewed"]
        if same:
            if state is State.REVIEWED or (state is State.NEEDS_REVIEW and not approve):
                unchanged.append(unit.id)
                continue
            text = None if approve else catalog.translation(unit.id)
            actions.append(_Action(unit.id, approve, text))
            continue
        seg = segments[unit.id]
        enc = _without_numbers(encode(seg.source, doc.env))
        markdown, problems = decode(
            _tagged(unit.target, enc),
            enc,
            doc.env,
            block_start=doc.places[unit.id].prefix is not None,
        )
        warnings.extend(f"{unit.id}: {problem}" for problem in problems)
        if not markdown.strip():
            skipped.append(unit.id)
            warnings.append(f"{unit.id}: the target is empty; not imported")
            continue
        if markdown == catalog.translation(unit.id) and (
            state is State.REVIEWED or (state is State.NEEDS_REVIEW and not approve)
        ):
            unchanged.append(unit.id)
            continue
        if approve and problems:
            warnings.append(f"{unit.id}: markup was repaired, so it is stored for review")
            approve = False
        actions.append(_Action(unit.id, approve, markdown))
    if no_target:
        raise ExchangeError(
            f"{len(no_target)} unit(s) are marked reviewed without a target: "
            f"{_listed([u.id for u in no_target])}",
            path=path,
            line=no_target[0].line,
            hint="give them a translation or set their state back; nothing was imported",
            ids=tuple(u.id for u in no_target),
        )

    who = reviewer or _file_note(root, "reviewer")
    if any(action.approve for action in actions) and not who:
        raise ExchangeError(
            "units are marked reviewed but no reviewer is named",
            path=path,
            hint="name the reviewer (--reviewer NAME) or add "
            '<note category="reviewer">NAME</note> to the file\'s notes; nothing was imported',
        )
    translator = _file_note(root, "translator") or reviewer

    approved: list[str] = []
    translated: list[str] = []
    for action in actions:
        if action.approve:
            assert who is not None
            catalog.approve(action.id, who, text=action.text, when=when)
            approved.append(action.id)
        else:
            assert action.text is not None
            catalog.set_translation(action.id, action.text, translator=translator)
            translated.append(action.id)
    return ImportReport(
        approved=tuple(approved),
        translated=tuple(translated),
        unchanged=tuple(unchanged),
        skipped=tuple(skipped),
        warnings=tuple(warnings),
    )
