"""The glossary: terms to translate consistently (``content/glossary.csv``
or ``content/glossary.tbx``).

A UTF-8 CSV file with a header row ``source,target,note`` (and optionally a
``plural`` column: the target's plural where the language's rules would get
it wrong), or a TBX file (TBX-Basic / TBX 3 core: ``termEntry`` →
``langSec xml:lang`` → ``termSec`` → ``term``). A row whose target is its
source (``Rust,Rust``) means "never translate".

The engine applies it (:mod:`pipeline.mt.glossary`), the ``glossary`` QA
check (:mod:`pipeline.qa.checks`) and the review page's hints use it. The only
I/O is :meth:`Glossary.load` and :meth:`Glossary.find`.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import GlossaryError
from ..lang import primary
from .terms import GlossaryTerm, term_key

__all__ = ["EMPTY", "FILES", "Glossary", "GlossaryTerm", "TermMatch", "glossary_path"]

FILES = ("glossary.csv", "glossary.tbx")
"""The names a project's glossary may have, in its content directory (one of them)."""


@dataclass(frozen=True, slots=True)
class TermMatch:
    """One occurrence of a glossary term in a text (see :meth:`Glossary.matches`)."""

    start: int
    """Where it starts in the text (in characters)."""
    end: int
    """Where it ends."""
    text: str
    """The words as written (``narco-states``)."""
    term: GlossaryTerm
    """The entry (the first of the rows that share its source term)."""
    plural: bool
    """Whether the text is the term's plural (``-s``/``-es`` added)."""


_GLOSSARY_COLUMNS = ("source", "target", "note", "plural")
_GLOSSARY_HINT = "the glossary is a UTF-8 CSV file with a header row source,target,note"
_PLURAL = "(?:e?s)?"


def _term_pattern(term: str, plural_each_word: bool) -> str:
    words = [re.escape(w) for w in unicodedata.normalize("NFC", term).split()]
    if plural_each_word:
        return r"\s+".join(w + _PLURAL for w in words)
    return r"\s+".join(words) + _PLURAL


class Glossary:
    """Terms to translate consistently (``content/glossary.csv``).

    Several rows may share a source term: any of their targets is then
    accepted.
    """

    __slots__ = ("_groups", "_source_re", "_target_re", "terms")

    def __init__(self, terms: Iterable[GlossaryTerm] = ()) -> None:
        self.terms: tuple[GlossaryTerm, ...] = tuple(terms)
        """The terms, in file order."""
        grouped: dict[str, list[GlossaryTerm]] = {}
        for term in self.terms:
            grouped.setdefault(term_key(term.source), []).append(term)
        # Longest first, so that "drug routes" wins over "drug" where both match.
        keys = sorted(grouped, key=lambda k: (-len(k), k))
        self._groups: tuple[tuple[GlossaryTerm, ...], ...] = tuple(tuple(grouped[k]) for k in keys)
        self._source_re: re.Pattern[str] | None = None
        if keys:
            alternatives = "|".join(
                f"({_term_pattern(g[0].source, False)})(?!\\w)" for g in self._groups
            )
            self._source_re = re.compile(f"(?<!\\w)(?:{alternatives})", re.IGNORECASE)
        self._target_re: dict[str, re.Pattern[str]] = {}

    def __len__(self) -> int:
        return len(self.terms)

    def __bool__(self) -> bool:
        return bool(self.terms)

    def __iter__(self) -> Iterator[GlossaryTerm]:
        return iter(self.terms)

    def __repr__(self) -> str:
        return f"Glossary({len(self.terms)} terms)"

    @classmethod
    def find(cls, content_dir: Path | str, *, source_lang: str | None = None) -> Glossary:
        """The project's glossary: ``glossary.csv`` or ``glossary.tbx`` in its
        content directory (see :func:`glossary_path`); empty when there is none.

        Raises :class:`~pipeline.errors.GlossaryError` when both exist, or
        when the file is malformed."""
        path = glossary_path(content_dir)
        return cls.load(path, source_lang=source_lang) if path is not None else cls()

    @classmethod
    def load(cls, path: Path | str, *, source_lang: str | None = None) -> Glossary:
        """Read a glossary: a CSV file (UTF-8, header ``source,target,note``;
        the note and plural columns are optional), or a TBX file (its name
        ends in ``.tbx``; ``source_lang`` says which of its languages is the
        source, by default its ``xml:lang``). A missing file gives an empty
        glossary.

        Raises :class:`~pipeline.errors.GlossaryError`, naming the file and
        line, when the file cannot be read or a row is malformed.
        """
        path = Path(path)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return cls()
        except OSError as exc:
            raise GlossaryError(
                f"cannot read the glossary: {exc.strerror or exc}",
                path=path,
                hint="check that it is a readable file",
            ) from exc
        if path.suffix.casefold() == ".tbx":
            from .tbx import read_tbx

            return cls(read_tbx(data, path, source_lang))
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise GlossaryError(
                "the glossary is not UTF-8",
                path=path,
                line=data[: exc.start].count(b"\n") + 1,
                hint="save it as UTF-8 (CSV UTF-8 in a spreadsheet)",
            ) from exc
        return cls(_read_terms(text, path))

    def for_language(self, lang: str) -> Glossary:
        """The entries that apply to translations into ``lang``: those for
        that language (a TBX glossary's) and those for every language (a CSV
        glossary's)."""
        code = primary(lang)
        return Glossary(t for t in self.terms if not t.lang or primary(t.lang) == code)

    def kept_only(self) -> Glossary:
        """The "never translate" entries only (see :attr:`GlossaryTerm.keep`)."""
        return Glossary(t for t in self.terms if t.keep)

    def matches(self, text: str) -> list[TermMatch]:
        """Every occurrence of a term in ``text``, in order, without overlaps
        (case-insensitive whole words, longest terms first; an English plural
        ``-s``/``-es`` also matches). Positions are in ``text``, which should
        be NFC-normalised (:func:`unicodedata.normalize`)."""
        if self._source_re is None:
            return []
        found: list[TermMatch] = []
        for m in self._source_re.finditer(text):
            assert m.lastindex is not None
            group = self._groups[m.lastindex - 1]
            written = m.group()
            key = term_key(group[0].source)
            plural = term_key(written) != key
            found.append(TermMatch(m.start(), m.end(), written, group[0], plural))
        return found

    def groups_in(self, text: str) -> list[tuple[GlossaryTerm, ...]]:
        """The terms found in ``text``, grouped by source term, in order of
        first appearance (case-insensitive whole words, longest terms first;
        an English plural ``-s``/``-es`` also matches)."""
        if self._source_re is None:
            return []
        seen: dict[int, None] = {}
        for m in self._source_re.finditer(unicodedata.normalize("NFC", text)):
            assert m.lastindex is not None
            seen.setdefault(m.lastindex - 1, None)
        return [self._groups[i] for i in seen]

    def terms_in(self, text: str) -> list[GlossaryTerm]:
        """The terms whose source occurs in ``text`` (see :meth:`groups_in`),
        for checks and for hints in the review page."""
        return [term for group in self.groups_in(text) for term in group]

    def target_used(self, term: GlossaryTerm, text: str) -> bool:
        """Whether ``text`` uses the term's translation (case-insensitive whole
        words; each word may take a Spanish plural ``-s``/``-es``)."""
        pattern = self._target_re.get(term.target)
        if pattern is None:
            body = _term_pattern(term.target, True)
            pattern = re.compile(f"(?<!\\w){body}(?!\\w)", re.IGNORECASE)
            self._target_re[term.target] = pattern
        return pattern.search(unicodedata.normalize("NFC", text)) is not None


def _read_terms(text: str, path: Path) -> list[GlossaryTerm]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    terms: list[GlossaryTerm] = []
    columns: dict[str, int] | None = None
    width = 0
    line = 1
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                line = reader.line_num + 1
                continue
            if columns is None:
                columns, width = _glossary_header(row, path, line), len(row)
            else:
                terms.append(_glossary_row(row, columns, width, path, line))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise GlossaryError(
            f"malformed CSV: {exc}", path=path, line=reader.line_num, hint=_GLOSSARY_HINT
        ) from exc
    return terms


def _glossary_header(row: list[str], path: Path, line: int) -> dict[str, int]:
    names = [cell.strip().casefold() for cell in row]
    for name in names:
        if name not in _GLOSSARY_COLUMNS:
            raise GlossaryError(
                f"unknown column {name!r} in the header", path=path, line=line, hint=_GLOSSARY_HINT
            )
    if len(set(names)) != len(names):
        raise GlossaryError("a column appears twice", path=path, line=line, hint=_GLOSSARY_HINT)
    for required in ("source", "target"):
        if required not in names:
            raise GlossaryError(
                f"the header has no {required!r} column", path=path, line=line, hint=_GLOSSARY_HINT
            )
    return {name: i for i, name in enumerate(names)}


def _glossary_row(
    row: list[str], columns: dict[str, int], width: int, path: Path, line: int
) -> GlossaryTerm:
    if len(row) > width:
        raise GlossaryError(
            f"{len(row)} fields where the header has {width}",
            path=path,
            line=line,
            hint="quote a term that contains a comma",
        )

    def cell(name: str) -> str:
        index = columns.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""

    source, target = cell("source"), cell("target")
    for name, value in (("source", source), ("target", target)):
        if not value:
            raise GlossaryError(
                f"the {name} term is empty", path=path, line=line, hint=_GLOSSARY_HINT
            )
    return GlossaryTerm(source, target, cell("note"), cell("plural"))


def glossary_path(content_dir: Path | str) -> Path | None:
    """The project's glossary file (one of :data:`FILES` in ``content_dir``),
    ``None`` when there is none.

    Raises :class:`~pipeline.errors.GlossaryError` when there are two."""
    found = [Path(content_dir) / name for name in FILES if (Path(content_dir) / name).is_file()]
    if len(found) > 1:
        raise GlossaryError(
            f"two glossaries: {' and '.join(p.name for p in found)}",
            path=content_dir,
            hint="keep one of them (the engine and QA read a single glossary)",
        )
    return found[0] if found else None


EMPTY = Glossary()
"""A glossary with no terms."""
