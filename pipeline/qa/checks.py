"""QA checks on translated segments, in the style of Translate Toolkit's pofilter.

Each check is a small function registered with an id, a one-line title and a
severity. It receives a :class:`Context` (the source and the translation, each
already analysed once) and returns one message per problem found. Messages
say what is wrong in one line, without the segment id or the check id, which
:class:`~pipeline.qa.finding.Finding` adds.

Errors are problems that break the published book (markup lost, a link or a
number that no longer says what the source says). Warnings are problems a
reviewer should look at; ``--strict`` makes them fail too (see
:meth:`~pipeline.qa.finding.Finding.fails`).

Everything works on the *words* of a segment: its inline Markdown with the
markup removed and every code span, image, autolink, inline HTML element,
footnote reference, bare URL and other protected text (a path, an e-mail
address: :mod:`pipeline.source.protect`) replaced by an object-replacement character,
so that nothing inside code or a URL is taken for a number, a question mark
or a term.

Language-only checks (``es-inverted-marks``) run only for the languages whose
:attr:`pipeline.lang.Language.checks` lists them, and take their data from the
language's module; the typographic style they expect is a
:class:`pipeline.lang.Style` (the language's default, or ``[qa.<lang>]`` in
pipeline.toml).

The checks are pure functions and cheap (one inline parse per side), with no I/O.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..lang import Style, es
from ..lang import get as get_language
from ..source.markdown import inline_tokens
from ..source.protect import find as find_protected
from .finding import Finding, Severity
from .glossary import EMPTY as EMPTY_GLOSSARY
from .glossary import Glossary
from .lost_words import lost_words_check

__all__ = [
    "CHECKS",
    "CHECKS_BY_ID",
    "Analysis",
    "Check",
    "Context",
    "Element",
    "analyse",
    "check_segment",
]


# --------------------------------------------------------------------------- analysis

_MASK = "\ufffc"
"""Stands for a piece of markup (code span, image, URL…) in :attr:`Analysis.words`."""

_ATOM_KINDS = frozenset({"code_inline", "image", "html_inline", "footnote_ref"})
_FORMAT_NAMES = {
    "strong": "bold",
    "em": "italics",
    "s": "strikethrough",
    "mark": "highlight",
    "ins": "insertion",
    "sup": "superscript",
    "sub": "subscript",
    "hardbreak": "line break",
}
_EMPHASIS = {f"{kind}_open": kind for kind in _FORMAT_NAMES if kind != "hardbreak"}
_BARE_URL = re.compile(
    r"(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>\"«»“”]*[^\s<>\"«»“”.,;:!?)\]'\u2019]"
)


@dataclass(frozen=True, slots=True)
class Element:
    """A piece of markup that a translation must keep: a code span, image,
    link, autolink, inline HTML element or footnote reference."""

    kind: str
    """``code_inline``, ``image``, ``link``, ``autolink``, ``html_inline`` or
    ``footnote_ref`` (the kinds of :class:`pipeline.source.inline.Atom` and
    :class:`pipeline.source.inline.Pair`)."""
    key: str
    """What must stay the same: the code, the HTML, the footnote label. Empty
    for links, autolinks and images, whose destinations the ``urls`` check
    compares (and whose alt text a translator may translate)."""
    shown: str
    """The element as written, for messages."""
    url: str | None = None
    """Destination of a link, autolink or image."""
    link: str | None = None
    """Destination of the link the element sits in, if any."""


@dataclass(frozen=True, slots=True)
class Analysis:
    """One side of a segment (source or translation), analysed once for all checks."""

    markdown: str
    """The inline Markdown as given."""
    words: str
    """The text a reader sees, markup removed, code/images/URLs/HTML replaced
    by U+FFFC."""
    plain: str
    """:attr:`words` without the replacements, whitespace collapsed."""
    elements: tuple[Element, ...]
    """Markup elements in reading order."""
    formatting: Counter[str]
    """How many ``em``, ``strong``, ``s`` and ``hardbreak`` the segment has."""
    urls: tuple[str, ...]
    """Every destination: links, autolinks, images and bare URLs in the text."""


def analyse(markdown: str, env: Mapping[str, Any] | None = None) -> Analysis:
    """Analyse one segment's inline Markdown (``env``: the document's
    markdown-it environment, for reference links and footnotes)."""
    tokens = inline_tokens(markdown, env)
    words: list[str] = []
    elements: list[Element] = []
    formatting: Counter[str] = Counter()
    urls: list[str] = []
    links: list[str] = []  # destinations of the open links (at most one in CommonMark)
    skip_autolink = False
    for tok in tokens:
        kind = tok.type
        if skip_autolink:
            skip_autolink = kind != "link_close"
            continue
        span = tok.meta.get("span")
        shown = markdown[span[0] : span[1]] if span else tok.content
        here = links[-1] if links else None
        if kind in {"text", "text_special"}:
            words.append(tok.content)
        elif kind == "softbreak":
            words.append("\n")
        elif kind == "hardbreak":
            words.append("\n")
            formatting["hardbreak"] += 1
        elif kind == "link_open" and tok.markup == "autolink":
            url = str(tok.attrs.get("href", ""))
            elements.append(Element("autolink", "", shown, url, here))
            urls.append(url)
            words.append(_MASK)
            skip_autolink = True
        elif kind == "link_open":
            url = str(tok.attrs.get("href", ""))
            elements.append(Element("link", "", f"[…]({url})", url, here))
            urls.append(url)
            links.append(url)
        elif kind == "link_close":
            if links:
                links.pop()
        elif kind in _EMPHASIS:
            formatting[_EMPHASIS[kind]] += 1
        elif kind in _ATOM_KINDS:
            url = None
            if kind == "code_inline":
                key = tok.content
            elif kind == "image":
                key = ""
                url = str(tok.attrs.get("src", ""))
                urls.append(url)
            elif kind == "footnote_ref":
                key = str((tok.meta or {}).get("label", ""))
                shown = f"[^{key}]"
            else:
                key = tok.content
            elements.append(Element(kind, key, shown, url, here))
            words.append(_MASK)
        elif not kind.endswith("_close"):
            words.append(_MASK)  # markup of a plugin: never words
    text = "".join(words)
    bare = [m.group() for m in _BARE_URL.finditer(text)]
    if bare:
        urls.extend(bare)
        text = _BARE_URL.sub(_MASK, text)
    for start, end in reversed(find_protected(text)):  # paths, e-mail addresses…
        text = text[:start] + _MASK + text[end:]
    plain = " ".join(text.replace(_MASK, " ").split())
    return Analysis(markdown, text, plain, tuple(elements), formatting, tuple(urls))


# --------------------------------------------------------------------------- registry


@dataclass(frozen=True, slots=True)
class Context:
    """What a check function sees."""

    segment_id: str
    """The segment being checked."""
    source: Analysis
    """The source side."""
    target: Analysis
    """The translation."""
    source_lang: str
    """Source language code (``en``)."""
    target_lang: str
    """Target language code (``es``, ``es-VE``)."""
    glossary: Glossary
    """Terms to use (possibly empty)."""
    style: Style
    """Typographic conventions of the target language."""


@dataclass(frozen=True, slots=True)
class Check:
    """A QA check: a function from a :class:`Context` to messages."""

    id: str
    """Stable id, used in output and to skip a check (``placeholders``)."""
    title: str
    """What the check looks for, in one line."""
    severity: Severity
    """Severity of every finding of this check."""
    func: Callable[[Context], list[str]] = field(repr=False)
    """The check itself: one message per problem, none when all is well."""
    language_only: bool = False
    """Runs only for the target languages whose :attr:`pipeline.lang.Language.checks`
    lists :attr:`id`; otherwise for every language."""
    typographic: bool = False
    """Checks what an edition's typographic conventions set by themselves (the
    quotation marks): moot when the build sets the language's conventions."""

    def applies_to(self, target_lang: str) -> bool:
        """Whether the check runs for translations into ``target_lang``."""
        return not self.language_only or self.id in get_language(target_lang).checks


_REGISTRY: list[Check] = []
_CheckFunc = Callable[[Context], list[str]]


def _check(
    id: str,
    title: str,
    severity: Severity,
    *,
    language_only: bool = False,
    typographic: bool = False,
) -> Callable[[_CheckFunc], _CheckFunc]:
    """Register the decorated function as a check."""

    def register(func: _CheckFunc) -> _CheckFunc:
        _REGISTRY.append(Check(id, title, severity, func, language_only, typographic))
        return func

    return register


def _snippet(text: str, start: int, end: int | None = None, width: int = 50) -> str:
    """A short quote of ``text`` around ``start:end``, for a message."""
    end = start + 1 if end is None else end
    left = max(0, start - width // 2)
    right = min(len(text), end + width // 2)
    piece = " ".join(text[left:right].replace(_MASK, "…").split())
    return ("…" if left else "") + piece + ("…" if right < len(text) else "")


def _quote(text: str, width: int = 60) -> str:
    """``text`` (a sentence) as a short quote, keeping its end."""
    text = " ".join(text.replace(_MASK, "…").split())
    return "“" + (text if len(text) <= width else "…" + text[-width:]) + "”"


# --------------------------------------------------------------------------- markup

_KIND_NAMES = {
    "code_inline": "code span",
    "image": "image",
    "link": "link",
    "autolink": "autolink",
    "html_inline": "inline HTML",
    "footnote_ref": "footnote reference",
}


def _count(n: int, name: str) -> str:
    return f"{n} {name}" + ("" if n == 1 else "s")


@_check("placeholders", "Markup missing, added or re-nested", Severity.ERROR)
def _placeholders(ctx: Context) -> list[str]:
    """Code spans, links, images, autolinks, inline HTML and footnote
    references must all be in the translation, as often as in the source and
    inside the same links."""
    src = Counter((e.kind, e.key) for e in ctx.source.elements)
    tgt = Counter((e.kind, e.key) for e in ctx.target.elements)
    if not src and not tgt:
        return []
    out: list[str] = []
    shown = {(e.kind, e.key): e.shown for e in (*ctx.target.elements, *ctx.source.elements)}
    for ident in dict.fromkeys([*src, *tgt]):
        kind, key = ident
        a, b = src[ident], tgt[ident]
        if a == b:
            continue
        name = _KIND_NAMES[kind]
        if not key:
            out.append(f"{_count(a, name)} in the source, {b} in the translation")
        elif b == 0:
            out.append(f"{name} {shown[ident]} missing from the translation")
        elif a == 0:
            out.append(f"{name} {shown[ident]} is not in the source")
        else:
            out.append(f"{name} {shown[ident]}: {a} in the source, {b} in the translation")
    # Nesting: an element must sit in the same link as in the source. When the
    # links' destinations differ (the urls check reports that), compare only
    # whether it sits in a link at all.
    same_links = Counter(e.url for e in ctx.source.elements if e.kind == "link") == Counter(
        e.url for e in ctx.target.elements if e.kind == "link"
    )
    for ident in src:
        kind, key = ident
        if kind == "link" or src[ident] != tgt[ident]:
            continue
        where_src = _places(ctx.source.elements, ident, same_links)
        where_tgt = _places(ctx.target.elements, ident, same_links)
        if where_src == where_tgt:
            continue
        what = f"{_KIND_NAMES[kind]} {shown[ident]}" if key else _KIND_NAMES[kind]
        inside_src = src[ident] - where_src[None]
        inside_tgt = tgt[ident] - where_tgt[None]
        if inside_src > inside_tgt:
            out.append(f"{what} is inside a link in the source but not in the translation")
        elif inside_src < inside_tgt:
            out.append(f"{what} is inside a link in the translation but not in the source")
        else:
            out.append(f"{what} is inside a different link than in the source")
    return out


def _places(
    elements: Iterable[Element], ident: tuple[str, str], by_url: bool
) -> Counter[str | None]:
    """Where the elements ``ident`` sit: in no link (``None``), or in which link."""
    return Counter(
        None if e.link is None else e.link if by_url else "link"
        for e in elements
        if (e.kind, e.key) == ident
    )


@_check("formatting", "Emphasis or line breaks differ from the source", Severity.WARNING)
def _formatting(ctx: Context) -> list[str]:
    """Bold, italics, strikethrough, highlight, insertion, superscript,
    subscript and hard line breaks: as many as in the source. Added italics
    are fine: Spanish style italicises foreign words and titles that the
    source leaves in roman."""
    out: list[str] = []
    for kind, name in _FORMAT_NAMES.items():
        a, b = ctx.source.formatting[kind], ctx.target.formatting[kind]
        if a != b and not (kind == "em" and b > a):
            out.append(f"{name}: {a} in the source, {b} in the translation")
    return out


@_check("urls", "URLs differ from the source", Severity.ERROR)
def _urls(ctx: Context) -> list[str]:
    """Link, autolink and image destinations and bare URLs must be the source's."""
    if ctx.source.urls == ctx.target.urls:
        return []
    missing = list((Counter(ctx.source.urls) - Counter(ctx.target.urls)).elements())
    added = list((Counter(ctx.target.urls) - Counter(ctx.source.urls)).elements())
    out = [f"URL changed: {a} → {b}" for a, b in zip(missing, added, strict=False)]
    out += [f"URL missing from the translation: {a}" for a in missing[len(added) :]]
    out += [f"URL not in the source: {b}" for b in added[len(missing) :]]
    return out


# --------------------------------------------------------------------------- numbers

_NUMBER = re.compile(
    r"(?<!\w)(?:\d{1,3}(?:[ \u00a0\u202f\u2009]\d{3})+(?!\d)(?:[.,]\d+)?|\d+(?:[.,]\d+)*)"
)
_GROUPING = {".": re.compile(r"[, \u00a0\u202f\u2009]"), ",": re.compile(r"[. \u00a0\u202f\u2009]")}


def _read_number(token: str, decimal: str) -> str | None:
    """The value of ``token`` with ``decimal`` as decimal mark (the other mark
    and spaces group thousands), as a canonical string; ``None`` if it cannot
    be read that way."""
    if token.count(decimal) > 1:
        return None
    whole, _, fraction = token.partition(decimal)
    if fraction and not fraction.isdigit():
        return None
    groups = _GROUPING[decimal].split(whole)
    if len(groups) > 1 and (len(groups[0]) > 3 or any(len(g) != 3 for g in groups[1:])):
        return None
    digits = "".join(groups).lstrip("0") or "0"
    return digits + ("." + fraction if fraction else "")


def _number_values(token: str) -> frozenset[str]:
    """Every value ``token`` can stand for in English or Spanish notation:
    ``1,000`` is a thousand (en) or one (es), ``1 000,5`` and ``1.000,5``
    are ``1000.5``."""
    values = {v for v in (_read_number(token, "."), _read_number(token, ",")) if v is not None}
    return frozenset(values) if values else frozenset({token})


def _numbers_in(words: str) -> list[tuple[str, frozenset[str]]]:
    return [(m.group(), _number_values(m.group())) for m in _NUMBER.finditer(words)]


_ROMAN_WORD = re.compile(r"\b[IVXLCDM]+\b")
_ROMAN_VALID = re.compile(r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
_ROMAN_DIGITS = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def _romans_in(words: str) -> list[str]:
    """The values of the Roman numerals in ``words`` (``XXI`` → ``21``)."""
    out: list[str] = []
    for m in _ROMAN_WORD.finditer(words):
        if not _ROMAN_VALID.fullmatch(m.group()):
            continue
        digits = [_ROMAN_DIGITS[c] for c in m.group()]
        value = sum(-d if d < nxt else d for d, nxt in zip(digits, [*digits[1:], 0], strict=True))
        out.append(str(value))
    return out


def _unmatched(
    numbers: list[tuple[str, frozenset[str]]], others: list[tuple[str, frozenset[str]]]
) -> tuple[list[str], list[int]]:
    """Match each number with one of ``others`` holding the same value (in
    either notation); return the numbers left over and the indices of
    ``others`` left over."""
    used = [False] * len(others)
    left: list[str] = []
    for token, values in numbers:
        for j, (_, other) in enumerate(others):
            if not used[j] and values & other:
                used[j] = True
                break
        else:
            left.append(token)
    return left, [j for j, u in enumerate(used) if not u]


def _drop_romans(tokens: list[str], words: str) -> list[str]:
    """``tokens`` without those that a Roman numeral in ``words`` stands for
    (``21st century`` → ``siglo XXI``)."""
    romans = Counter(_romans_in(words)) if tokens else Counter()
    out: list[str] = []
    for token in tokens:
        match = next((v for v in _number_values(token) if romans[v] > 0), None)
        if match is None:
            out.append(token)
        else:
            romans[match] -= 1
    return out


@_check("numbers", "Numbers differ from the source", Severity.ERROR)
def _numbers(ctx: Context) -> list[str]:
    """The numbers in the words (not in code or URLs) must be the source's,
    in English or Spanish notation; a Roman numeral may stand for one
    (``21st century``, ``siglo XXI``). Numbers written as words are not
    checked."""
    src = _numbers_in(ctx.source.words)
    tgt = _numbers_in(ctx.target.words)
    if not src and not tgt:
        return []
    missing, left = _unmatched(src, tgt)
    missing = _drop_romans(missing, ctx.target.words)
    added = _drop_romans([tgt[j][0] for j in left], ctx.source.words)
    out: list[str] = []
    if missing:
        out.append("missing from the translation: " + ", ".join(missing))
    if added:
        out.append("not in the source: " + ", ".join(added))
    return out


# --------------------------------------------------------------------------- words

_WORD = re.compile(r"[^\W\d_]+")


@_check("untranslated", "Translation is the same as the source", Severity.WARNING)
def _untranslated(ctx: Context) -> list[str]:
    """The words equal the source's (ignoring case, spacing, punctuation and
    numbers). Only segments of three words or more, one of them a lowercase
    word of three letters or more, so that a name (``Tren de Aragua``,
    ``Ignacio De León``) may stay as it is."""
    words = _WORD.findall(ctx.source.plain)
    if len(words) < 3 or not any(w.islower() and len(w) >= 3 for w in words):
        return []
    target = _WORD.findall(ctx.target.plain)
    if len(target) != len(words) or any(
        a.casefold() != b.casefold() for a, b in zip(words, target, strict=True)
    ):
        return []
    return ["the translation is identical to the source"]


@_check("length-ratio", "Translation much longer or shorter than the source", Severity.WARNING)
def _length_ratio(ctx: Context) -> list[str]:
    """Length of the words (characters) compared with the source's."""
    style = ctx.style
    a, b = len(ctx.source.plain), len(ctx.target.plain)
    if a < style.min_length or a == 0:
        return []
    ratio = b / a
    if style.min_length_ratio <= ratio <= style.max_length_ratio:
        return []
    return [
        f"the translation is {ratio:.2f} times the length of the source "
        f"(expected {style.min_length_ratio:g} to {style.max_length_ratio:g})"
    ]


@_check("glossary", "Glossary term not used", Severity.WARNING)
def _glossary(ctx: Context) -> list[str]:
    """Every glossary term in the source must be translated with its target
    term (case-insensitive; plural ``-s``/``-es`` allowed)."""
    glossary = ctx.glossary
    if not glossary:
        return []
    out: list[str] = []
    for group in glossary.groups_in(ctx.source.words):
        if any(glossary.target_used(term, ctx.target.words) for term in group):
            continue
        wanted = " or ".join(f"“{t.target}”" for t in group)
        notes = "; ".join(t.note for t in group if t.note)
        note = f" ({notes})" if notes else ""
        out.append(f"“{group[0].source}” should be translated as {wanted}{note}")
    return out


# --------------------------------------------------------------------------- typography

_SPACE_BEFORE = re.compile(r"(?<=\S)[ \t\u00a0\u202f]+([,.;:?!)\]»”])")
_SPACE_AFTER = re.compile(r"([¿¡(\[«“])[ \t\u00a0\u202f]+(?=\S)")


@_check(
    "space-before-punct",
    "Space before punctuation or after an opening mark",
    Severity.WARNING,
)
def _space_before_punct(ctx: Context) -> list[str]:
    """No space before ``, . ; : ? ! ) ] » ”`` nor after ``¿ ¡ ( [ « “``
    (except where :attr:`Style.nbsp_before` asks for one)."""
    words = ctx.target.words
    out: list[str] = []
    for m in _SPACE_BEFORE.finditer(words):
        mark = m.group(1)
        if mark in ctx.style.nbsp_before:
            continue
        if mark == "." and words[m.end() : m.end() + 1] in {".", *"0123456789"}:
            continue  # an ellipsis "...", or a decimal ".5"
        out.append(f"space before “{mark}”: {_snippet(words, m.start(), m.end())}")
    for m in _SPACE_AFTER.finditer(words):
        out.append(f"space after “{m.group(1)}”: {_snippet(words, m.start(), m.end())}")
    return out


_NBSP = "\u00a0\u202f"


@_check("nbsp", "No-break space missing where the style requires one", Severity.WARNING)
def _nbsp(ctx: Context) -> list[str]:
    """Before each character of :attr:`Style.nbsp_before` (``50 %``)."""
    words = ctx.target.words
    out: list[str] = []
    for mark in ctx.style.nbsp_before:
        at = words.find(mark)
        while at >= 0:
            before = words[at - 1] if at else _NBSP
            if before not in _NBSP:
                problem = "a normal space" if before.isspace() else "no space"
                out.append(
                    f"{problem} before “{mark}” where a no-break space is required: "
                    + _snippet(words, at)
                )
            at = words.find(mark, at + 1)
    return out


_CLOSING = es.INVERTED_MARKS
_OPENING = {closing: opening for opening, closing in _CLOSING.items()}
_WORD_BEFORE = re.compile(r"(\w+)\W*$")
_MARKS = re.compile("[" + re.escape("".join(_CLOSING) + "".join(_OPENING)) + ".…]")


def _sentence_ends(text: str, i: int) -> bool:
    """Whether the stop (``.`` or ``…``) at ``text[i]`` ends a sentence: it is
    followed by the end, or by a space and a capital (or an opening mark), and
    does not end an abbreviation, an initial or a number."""
    j = i + 1
    while j < len(text) and text[j] in ".…":
        j += 1
    while j < len(text) and text[j] in "»”\u2019)\"'":
        j += 1
    rest = text[j:]
    if rest and not rest[0].isspace():
        return False
    rest = rest.lstrip()
    if rest and not (rest[0].isupper() or rest[0] in '¿¡«“"(\u2014\u2013-'):
        return False
    m = _WORD_BEFORE.search(text, max(0, i - 20), i)
    if m:
        word = m.group(1)
        if (
            len(word) == 1
            or word.isdigit()
            or word.casefold() in es.QA_ABBREVIATIONS
            or (word.isupper() and len(word) <= 2)
        ):
            return False
    return True


@_check(
    "es-inverted-marks",
    "Unpaired Spanish question or exclamation marks (¿? ¡!)",
    Severity.WARNING,
    language_only=True,
)
def _es_inverted_marks(ctx: Context) -> list[str]:
    """In each sentence, every ``?`` closes a ``¿`` and every ``!`` a ``¡``
    opened before it, and every ``¿``/``¡`` is closed (the marks:
    :data:`pipeline.lang.es.INVERTED_MARKS`)."""
    text = ctx.target.words
    out: list[str] = []
    open_at: dict[str, list[int]] = {mark: [] for mark in _CLOSING}
    start = 0

    def unclosed(until: int) -> None:
        for mark, places in open_at.items():
            for at in places:
                closing = _CLOSING[mark]
                out.append(f"“{mark}” without a closing “{closing}”: {_quote(text[at:until])}")
            places.clear()

    for m in _MARKS.finditer(text):
        i, ch = m.start(), m.group()
        if ch in open_at:
            open_at[ch].append(i)
        elif ch in _OPENING:
            places = open_at[_OPENING[ch]]
            if text[i - 1 : i] == "(" and text[i + 1 : i + 2] == ")":
                continue  # "(?)", "(!)": doubt or irony, closing mark only
            if places:
                places.pop()
            else:
                out.append(
                    f"“{ch}” without an opening “{_OPENING[ch]}”: {_quote(text[start : i + 1])}"
                )
            if not any(open_at.values()):
                start = i + 1
        elif ch in ".…" and _sentence_ends(text, i):
            unclosed(i + 1)
            start = i + 1
    unclosed(len(text))
    return out


_ANGLE_OR_CURLY = re.compile("[«»“]")


@_check(
    "es-quotes",
    "Quotation marks not in the book's style",
    Severity.WARNING,
    language_only=True,
    typographic=True,
)
def _quote_style(ctx: Context) -> list[str]:
    """Straight ``"`` where the book uses «» or “”; “” outside «» when the
    book uses «» (they are second-level quotes then); «» when it uses “”
    (:attr:`pipeline.lang.Style.quotes`)."""
    words = ctx.target.words
    style = ctx.style.quotes
    out: list[str] = []
    if style != '""':
        at = words.find('"')
        if at >= 0:
            out.append(f"straight quotes where the book uses {style}: {_snippet(words, at)}")
    if style == "«»":
        depth = 0
        for m in _ANGLE_OR_CURLY.finditer(words) if "“" in words else ():
            ch = m.group()
            if ch == "«":
                depth += 1
            elif ch == "»":
                depth = max(0, depth - 1)
            elif depth == 0:
                out.append(f"“” outside «» where the book uses «»: {_snippet(words, m.start())}")
                break
    else:
        wrong = "«»" if style == "“”" else "«»“”"
        at = next((i for i, ch in enumerate(words) if ch in wrong), -1)
        if at >= 0:
            out.append(f"{words[at]} where the book uses {style}: {_snippet(words, at)}")
    return out


_check(
    "pt-quotes",
    "Quotation marks not in the book's style",
    Severity.WARNING,
    language_only=True,
    typographic=True,
)(_quote_style)


_check("lost-words", "Words lost next to code, a URL or a number", Severity.WARNING)(
    lost_words_check
)


CHECKS: tuple[Check, ...] = tuple(_REGISTRY)
"""Every check, in the order they run and are reported."""

CHECKS_BY_ID: Mapping[str, Check] = MappingProxyType({c.id: c for c in CHECKS})
"""The checks by id (to validate ``--skip`` options and PO flags)."""


def check_segment(
    segment_id: str,
    source: str,
    target: str,
    *,
    source_lang: str,
    target_lang: str,
    env: Mapping[str, Any] | None = None,
    glossary: Glossary | None = None,
    style: Style | None = None,
    skip: Collection[str] = (),
    checks: Sequence[Check] = CHECKS,
) -> list[Finding]:
    """Run the QA checks on one segment's translation.

    ``source`` and ``target`` are inline Markdown; ``env`` is the document's
    markdown-it environment (reference links, footnotes). An empty ``target``
    (no translation yet) gives no findings: that is the catalogue's state
    ``new``, not a QA problem. ``skip`` holds ids of checks not to run (a
    reviewer's decision that a warning is a false alarm); unknown ids are
    ignored, so validate them against :data:`CHECKS_BY_ID` where users type
    them. ``style`` defaults to the target language's
    (:attr:`pipeline.lang.Language.style`). Findings come in the order of
    ``checks``, with no book or location (:func:`pipeline.qa.gate.run_qa`
    adds them).
    """
    if not target.strip():
        return []
    ctx = Context(
        segment_id,
        analyse(source, env),
        analyse(target, env),
        source_lang,
        target_lang,
        glossary if glossary is not None else EMPTY_GLOSSARY,
        style if style is not None else get_language(target_lang).style,
    )
    findings: list[Finding] = []
    for chk in checks:
        if chk.id in skip or not chk.applies_to(target_lang):
            continue
        for message in chk.func(ctx):
            findings.append(
                Finding(
                    lang=target_lang,
                    segment_id=segment_id,
                    severity=chk.severity,
                    check_id=chk.id,
                    title=chk.title,
                    message=message,
                )
            )
    return findings
