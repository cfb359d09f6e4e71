"""The glossary, applied by the engine: :func:`protect` before, :func:`restore` after.

Every glossary term found in the words of a segment's tagged text (its
:class:`~pipeline.mt.tagged.Text` items, never markup or code) is replaced by
an atomic placeholder of its own, ``<span id="xt1">…</span>`` (ids
:data:`TERM_PREFIX` ``xt``, apart from the encoder's ``x``/``g`` ids), so the
engine cannot translate it word by word. After the engine, :func:`restore`
puts the term's target in the placeholder's place, whatever the engine did
with the hint:

- a "never translate" entry (target = source: ``Rust``, ``Tren de Aragua``)
  gives back the words exactly as the source wrote them;
- otherwise the glossary's target, in the plural where the source had the
  plural (the entry's ``plural`` column, else :func:`pipeline.lang.plurals.plural`),
  in capitals where the source was in capitals, and with a capital first
  letter where it now starts the text or a sentence (a glossary target is
  otherwise written as the glossary writes it: ``narcosocialismo``).

Why an atomic ``<span>``: Apertium's ``-f html`` keeps a ``<span id>`` and
moves it with its words when Spanish reorders them (``{1}`` or ``⟦1⟧``
survive too, but pin the word order, and ``<x/>`` breaks the sentence), and
the argos engine already carries atoms through; every engine already has to
return them. What the engine is shown inside (the hint) is the engine's
choice, :attr:`~pipeline.mt.base.Engine.term_hint`: ``source`` (the words as
written, so a rule-based engine analyses the sentence exactly as it would
without the glossary: agreement, plural, word order; what it makes of the
words inside is thrown away) or ``target`` (the target term, which a neural
model copies in place, as it copies numbers and names).

Pure functions on strings; no I/O.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..lang import get as get_language
from ..lang.plurals import plural
from ..qa.glossary import Glossary, GlossaryTerm, TermMatch
from . import tagged

__all__ = [
    "TERM_PREFIX",
    "Protected",
    "ProtectedTerm",
    "entries_digest",
    "is_term",
    "protect",
    "restore",
    "starts_sentence",
]

TERM_PREFIX = "xt"
"""Start of the ids of glossary placeholders (atomic: they start with ``x``)."""

_OPENING = "¿¡\"'“\u2018«\u2039([{—\u2013-"
_CLOSING = "\"'”\u2019»\u203a)]}"
_SENTENCE_END = ".!?…"


def is_term(pid: str) -> bool:
    """Whether a placeholder id is a glossary term's (``xt1``)."""
    return pid.startswith(TERM_PREFIX)


@dataclass(frozen=True, slots=True)
class ProtectedTerm:
    """One glossary term taken out of a segment."""

    match: TermMatch
    """Where it was and how the source wrote it."""
    target: str
    """What replaces it (the target, in the plural and capitals as the source
    had them); without the capital a sentence start gives it."""
    at_start: bool
    """Whether it started the text or a sentence in the source."""


@dataclass(frozen=True, slots=True)
class Protected:
    """A segment's tagged text with its glossary terms protected."""

    tagged: str
    """The text to send to the engine."""
    terms: dict[str, ProtectedTerm] = field(default_factory=dict)
    """The protected terms by placeholder id."""
    digest: str | None = None
    """Checksum of the glossary entries used (source, target, plural), ``None``
    when none was; part of the cache key and recorded with the translation."""

    @property
    def key(self) -> str:
        """The digest as a cache key part (empty when no term was used)."""
        return f"glossary {self.digest}" if self.digest else ""


def entries_digest(terms: Iterable[GlossaryTerm]) -> str | None:
    """A checksum of glossary entries (source, target, plural; order and
    repeats do not count), ``None`` for none."""
    lines = sorted({f"{t.source}\x1f{t.target}\x1f{t.plural}" for t in terms})
    if not lines:
        return None
    return hashlib.sha256("\x1e".join(lines).encode("utf-8")).hexdigest()[:12]


def _target_form(match: TermMatch, lang: str) -> str:
    term = match.term
    if term.keep:
        return " ".join(match.text.split())
    form = term.target
    if match.plural:
        form = term.plural or plural(lang, term.target)
    letters = [ch for ch in match.text if ch.isalpha()]
    source_upper = [ch for ch in term.source if ch.isalpha()]
    shouted = len(letters) > 1 and all(ch.isupper() for ch in letters)
    if shouted and not all(ch.isupper() for ch in source_upper):
        form = form.upper()
    return form


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


_WORD_BEFORE = re.compile(r"(\w+)\W*$")


def starts_sentence(before: str, lang: str) -> bool:
    """Whether words written right after ``before`` start the text or a sentence:
    nothing but opening marks before them, or a full stop, question or
    exclamation mark and a space (not after an abbreviation or an initial)."""
    text = before.rstrip(" \t\n\u00a0" + _OPENING)
    if not text:
        return True
    core = text.rstrip(_CLOSING)
    if text == before or not core or core[-1] not in _SENTENCE_END:
        return False
    word = _WORD_BEFORE.search(core[:-1])
    if core[-1] == "." and word is not None:
        language = get_language(lang)
        known = word.group(1).lower()
        if known in language.titles or known in language.abbreviations:
            return False
        if len(known) == 1 and word.group(1).isupper():
            return False  # an initial: "J. Smith"
    return True


def protect(text: str, glossary: Glossary, *, hint: str, lang: str) -> Protected:
    """``text`` (tagged text, as :func:`pipeline.source.inline.encode` makes
    it) with each glossary term in its words replaced by a placeholder whose
    hint is the term as written (``hint="source"``) or its target
    (``hint="target"``); ``lang`` is the target language (plural rules)."""
    if not glossary:
        return Protected(text)
    items = tagged.parse(text)
    out: list[tagged.Item] = []
    terms: dict[str, ProtectedTerm] = {}
    before = ""
    for item in items:
        if not isinstance(item, tagged.Text):
            out.append(item)
            if isinstance(item, tagged.Atom):
                before += item.hint or "x"
            continue
        words = unicodedata.normalize("NFC", item.text)
        pos = 0
        for match in glossary.matches(words):
            if match.start > pos:
                out.append(tagged.Text(words[pos : match.start]))
            pid = f"{TERM_PREFIX}{len(terms) + 1}"
            at_start = starts_sentence(before + words[: match.start], lang)
            form = _target_form(match, lang)
            terms[pid] = ProtectedTerm(match, form, at_start)
            shown = " ".join(match.text.split()) if hint == "source" else form
            if hint != "source" and at_start:
                shown = _capitalised(shown)
            out.append(tagged.Atom(pid, shown))
            pos = match.end
        if pos < len(words):
            out.append(tagged.Text(words[pos:]))
        before += words
    if not terms:
        return Protected(text)
    digest = entries_digest(t.match.term for t in terms.values())
    return Protected(tagged.write(out), terms, digest)


def restore(output: str, protected: Protected, lang: str) -> tuple[str, list[str]]:
    """An engine's output with each glossary placeholder replaced by its term
    (see the module documentation), and the problems found: a term the engine
    dropped or doubled. Other placeholders are left for
    :func:`pipeline.source.inline.decode`."""
    if not protected.terms:
        return output, []
    out: list[tagged.Item] = []
    before = ""
    seen: set[str] = set()
    problems: list[str] = []
    skipping: str | None = None
    depth = 0
    for item in tagged.parse(output):
        if skipping is not None:
            # An engine put markup inside a term's placeholder: keep the markup, drop its words.
            if isinstance(item, tagged.Open):
                depth += 1
            elif isinstance(item, tagged.Close):
                if depth == 0 and item.id == skipping:
                    skipping = None
                    continue
                depth -= 1
            if not isinstance(item, tagged.Text):
                out.append(item)
            continue
        pid = item.id if isinstance(item, tagged.Atom | tagged.Open) else ""
        if pid in protected.terms:
            if isinstance(item, tagged.Open):
                skipping, depth = pid, 0
            if pid in seen:
                problems.append(
                    f"glossary term “{protected.terms[pid].target}” doubled by "
                    "the engine; kept the first"
                )
                continue
            seen.add(pid)
            form = protected.terms[pid].target
            if starts_sentence(before, lang) and not protected.terms[pid].match.term.keep:
                form = _capitalised(form)
            out.append(tagged.Text(form))
            before += form
            continue
        out.append(item)
        if isinstance(item, tagged.Text):
            before += item.text
        elif isinstance(item, tagged.Atom):
            before += item.hint or "x"
    for pid, term in protected.terms.items():
        if pid not in seen:
            problems.append(f"glossary term “{term.target}” dropped by the engine")
    return tagged.write(out), problems
