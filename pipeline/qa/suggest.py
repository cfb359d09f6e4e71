"""Candidate glossary terms: names the engine would otherwise mangle.

:func:`suggest_terms` reads the words of every segment (the tagged text's
words, never code or markup; headings, whose words are capitalised as a
title, are left out) and collects *names*: runs of capitalised words, joined
by a few lower-case connectors (``Cartel of the Suns``, ``No Starch
Press``), that do not start a sentence. Each distinct name is then sent to the
engine alone; a name is suggested when the engine changes it (``Rust`` →
``Enmohece``), or when it has several words and occurs more than once. Names
the glossary already has are left out.

The publisher decides: ``pipeline glossary suggest`` lists them, most frequent
first, with where each was first seen.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from ..lang.base import words
from ..mt import tagged
from ..mt.base import Engine
from ..mt.glossary import starts_sentence
from ..project import BookSession
from ..source.inline import encode
from .glossary import Glossary

__all__ = ["Suggestion", "find_names", "suggest_terms"]

_WORD = re.compile("\\w+(?:[-\u2019'.&]\\w+)*")
_CONNECTORS = words("of the de del la las los da do dos das du des von van")
_MAX_WORDS = 6
_POSSESSIVE = re.compile("['\u2019]s$")


@dataclass(slots=True)
class Suggestion:
    """A candidate glossary term."""

    name: str
    """The name as written (its most common spelling)."""
    count: int
    """How often it occurs."""
    first: str
    """Where it is first seen: ``content/en/book.md:12``."""
    translated: str = ""
    """What the engine makes of it alone (empty before :func:`suggest_terms` asks)."""

    @property
    def changed(self) -> bool:
        """Whether the engine changes the name."""
        return bool(self.translated) and self.translated != self.name


def _is_name_word(word: str) -> bool:
    return word[:1].isupper() and not word.isdigit() and word not in {"I"}


def find_names(text: str, lang: str) -> list[tuple[int, str]]:
    """The names in plain words (see the module documentation): each with
    its position in ``text``."""
    found: list[tuple[int, str]] = []
    words = list(_WORD.finditer(text))
    index = 0
    while index < len(words):
        word = words[index]
        if not _is_name_word(word.group()):
            index += 1
            continue
        run = [word]
        j = index + 1
        while j < len(words) and len(run) < _MAX_WORDS:
            gap = text[run[-1].end() : words[j].start()]
            if gap != " ":
                break
            candidate = words[j].group()
            if _is_name_word(candidate) or candidate.lower() in _CONNECTORS:
                run.append(words[j])
                j += 1
                continue
            break
        while run and run[-1].group().lower() in _CONNECTORS:
            run.pop()
        index = j
        if not run:
            continue
        before = text[: run[0].start()]
        if starts_sentence(before, lang) or before.rstrip().endswith(":"):
            run = run[1:]  # a capital there tells nothing
            while run and run[0].group().lower() in _CONNECTORS:
                run = run[1:]
        if not run or not _is_name_word(run[0].group()):
            continue
        name = _POSSESSIVE.sub("", text[run[0].start() : run[-1].end()])
        found.append((run[0].start(), name))
    return found


def _words(source: str, session: BookSession) -> str:
    """A segment's words, as the engine sees them: markup and code out (each
    stands for a word), soft and hard line breaks kept as newlines."""
    parts: list[str] = []
    for item in tagged.parse(encode(source, session.doc.env).tagged):
        if isinstance(item, tagged.Text):
            parts.append(item.text)
        elif isinstance(item, tagged.Atom):
            parts.append(item.hint if item.hint.isdigit() else "\u2063")
        elif isinstance(item, tagged.Break):
            parts.append("\n")
    return unicodedata.normalize("NFC", "".join(parts))


def suggest_terms(
    sessions: Sequence[BookSession],
    glossary: Glossary,
    engine: Engine,
    source: str,
    target: str,
) -> list[Suggestion]:
    """Candidate glossary terms in the books of ``sessions``, most frequent
    first (then alphabetically); the engine is asked (``source`` → ``target``)
    what it makes of each name."""
    found: dict[str, Suggestion] = {}
    spellings: dict[str, dict[str, int]] = {}
    for session in sessions:
        for seg in session.doc.segments:
            if seg.kind == "heading":
                continue
            with session.nesting_guard(seg.line):
                plain = _words(seg.source, session)
            for at, name in find_names(plain, source):
                if glossary.matches(name):
                    continue
                key = " ".join(name.split()).casefold()
                spellings.setdefault(key, {})
                spellings[key][name] = spellings[key].get(name, 0) + 1
                if key in found:
                    found[key].count += 1
                    continue
                line = seg.line + plain.count("\n", 0, at)
                found[key] = Suggestion(" ".join(name.split()), 1, session.location(line))
    for key, suggestion in found.items():
        suggestion.name = " ".join(max(spellings[key], key=spellings[key].__getitem__).split())
    names = [s.name for s in found.values()]
    if names:
        # Each name as a sentence of its own: without a full stop, Apertium reads
        # the names of one batch as one sentence and moves words between them.
        outputs = engine.translate([tagged.escape(n) + "." for n in names], source, target)
        for suggestion, output in zip(found.values(), outputs, strict=True):
            pieces = [i.text for i in tagged.parse(output) if isinstance(i, tagged.Text)]
            said = " ".join("".join(pieces).split())
            stop = said.rfind(".")  # the full stop added (some engines wrap the text)
            suggestion.translated = said[:stop] + said[stop + 1 :] if stop >= 0 else said
    kept = [s for s in found.values() if s.changed or (" " in s.name and s.count > 1)]
    return sorted(kept, key=lambda s: (-s.count, s.name.casefold()))
