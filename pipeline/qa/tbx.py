"""Reading a TBX glossary (``content/glossary.tbx``).

Both generations of TermBase eXchange are read, by element name (namespaces
ignored):

- TBX-Basic (TBX 2, ``<martif>``): ``termEntry`` → ``langSet xml:lang`` →
  ``tig`` (or ``ntig``/``termGrp``) → ``term``;
- TBX 3 core (``<tbx>``): ``conceptEntry`` (or ``termEntry``) → ``langSec
  xml:lang`` → ``termSec`` → ``term``.

Each entry gives one :class:`~pipeline.qa.glossary.GlossaryTerm` per source
term and target language, with the entry's first term in that language as the
target. The source language is the one given (the project's), else the
document's ``xml:lang``. A ``descrip``, ``definition`` or ``note`` of the
entry becomes the note.

Parsed with lxml safely: no entities resolved, no DTD loaded, no network, no
huge trees; a document type declaration with an internal subset is refused
(an external one, which TBX-Basic files name, is ignored).
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from ..errors import GlossaryError
from ..exchange.xmlutil import parse_untrusted
from ..lang import primary
from .terms import GlossaryTerm

__all__ = ["read_tbx"]

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_ENTRIES = {"termEntry", "conceptEntry"}
_LANGS = {"langSet", "langSec"}
_NOTES = {"descrip", "definition", "note"}
_HINT = "a TBX glossary is termEntry/langSec[@xml:lang]/termSec/term (TBX 3) or TBX-Basic"


def _name(element: etree._Element) -> str:
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _text(element: etree._Element) -> str:
    return " ".join("".join(element.itertext()).split())


def _parse(data: bytes, path: Path) -> etree._Element:
    return parse_untrusted(
        data,
        path,
        what="TBX",
        hint=_HINT,
        error=GlossaryError,
        malformed="malformed TBX",
        remove_comments=True,
    )


def read_tbx(data: bytes, path: Path, source_lang: str | None = None) -> list[GlossaryTerm]:
    """The glossary terms of a TBX document (see the module documentation).

    Raises :class:`~pipeline.errors.GlossaryError`, with the line where
    known, for a file that is not well-formed XML, not TBX, or whose source
    language cannot be told."""
    root = _parse(data, path)
    if _name(root) not in {"martif", "tbx"}:
        raise GlossaryError(
            f"not a TBX file: the root element is <{_name(root)}>",
            path=path,
            line=root.sourceline,
            hint=_HINT,
        )
    source = source_lang or root.get(_XML_LANG)
    if not source:
        raise GlossaryError(
            "cannot tell the TBX glossary's source language",
            path=path,
            line=root.sourceline,
            hint='set xml:lang="en" (the source language) on its root element',
        )
    terms: list[GlossaryTerm] = []
    for entry in root.iter():
        if _name(entry) in _ENTRIES:
            terms.extend(_entry_terms(entry, primary(source), path))
    return terms


def _entry_terms(entry: etree._Element, source: str, path: Path) -> list[GlossaryTerm]:
    by_lang: dict[str, list[str]] = {}
    note = ""
    for child in entry.iter():
        name = _name(child)
        if name in _NOTES and not note:
            note = _text(child)
        if name not in _LANGS:
            continue
        lang = child.get(_XML_LANG)
        if not lang:
            raise GlossaryError(
                f"<{name}> without xml:lang", path=path, line=child.sourceline, hint=_HINT
            )
        words = [_text(t) for t in child.iter() if _name(t) == "term"]
        by_lang.setdefault(lang, []).extend(w for w in words if w)
    sources = [w for lang, ws in by_lang.items() if primary(lang) == source for w in ws]
    out: list[GlossaryTerm] = []
    for lang, words in by_lang.items():
        if primary(lang) == source or not words:
            continue
        out.extend(GlossaryTerm(s, words[0], note, lang=lang) for s in sources)
    return out
