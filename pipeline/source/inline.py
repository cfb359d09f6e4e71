"""Inline Markdown ↔ tagged text for engines, with placeholder repair.

:func:`encode` turns a segment's inline Markdown into *tagged text* (see
:mod:`pipeline.mt.tagged`): words stay words, markup becomes numbered spans.
:func:`decode` turns an engine's tagged output back into inline Markdown.
The markup itself (emphasis delimiters, ``[``/``](url "title")``, code
spans, images, autolinks, inline HTML) is always taken from the source,
byte for byte; only the words come from the engine.

Engines move, duplicate and drop placeholders. :func:`decode` repairs what
it can (duplicates of one element are merged, lost code spans and links are
appended at the end so nothing is lost) and reports every repair as a
problem, so the segment is flagged for review instead of published silently.
Given the engine's translation of each span's words (:func:`span_texts`),
:func:`decode_output` first puts emphasis and links the engine emptied,
moved, doubled or dropped back onto those words, found in the translation;
every protected number comes back exactly once. It also returns the words
the engine marked as unknown (``<mark>``).

:func:`edit_words` applies an edit of the words only (a language's
post-editing of machine output) and writes the markup back unchanged.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from markdown_it.token import Token

from ..errors import ContentError
from ..mt import tagged
from . import marks, protect
from .htmlscan import names, scan
from .markdown import escape_closing_hashes, inline_tokens, plain_text

__all__ = [
    "WORD_KINDS",
    "Atom",
    "Decoded",
    "Encoded",
    "Pair",
    "decode",
    "decode_output",
    "edit_words",
    "encode",
    "span_texts",
    "spans_to_align",
]


@dataclass(slots=True)
class Atom:
    """Markup that is kept whole: code span, image, autolink, inline HTML, break."""

    pid: str
    """Placeholder id (``x3``)."""
    kind: str
    """Token kind (``code_inline``, ``image``, ``autolink``, ``html_inline``, ``hardbreak``…),
    or ``html_code`` for a whole :data:`CODE_ELEMENTS` element (``<kbd>Home</kbd>``)."""
    src: str
    """Exact Markdown source of the element."""
    hint: str = ""
    """Words shown to the engine in its place (code, alt text). Only an image's
    is used in output: its translation becomes the image's description."""
    label: str = ""
    """An image's description as written (``![label](url)``)."""


@dataclass(slots=True)
class Pair:
    """Markup around translatable words: emphasis, strong, strikethrough, link,
    highlight, insertion, superscript and subscript (:mod:`pipeline.source.marks`)."""

    pid: str
    """Placeholder id (``g1``)."""
    kind: str
    """``em``, ``strong``, ``s``, ``link``, ``mark``, ``ins``, ``sup`` or ``sub``."""
    open: str
    """Opening source (``*``, ``**``, ``[``, ``==``)."""
    close: str
    """Closing source (``*``, ``](url "title")``, ``][ref]``)."""
    label: str | None = None
    """For shortcut and collapsed reference links: the label to use when the
    link text changes (``[texto][label]``)."""
    source_inner: str = ""
    """The link text as written in the source."""
    children: list[Node] = field(default_factory=list)
    """Content in the source (used when the engine lost the element)."""


@dataclass(slots=True)
class Text:
    """Words."""

    text: str


@dataclass(slots=True)
class Ref:
    """An occurrence of a placeholder in a tree being decoded."""

    pid: str
    children: list[Node] = field(default_factory=list)


Node = Text | Atom | Pair | Ref


@dataclass(slots=True)
class Encoded:
    """A segment ready for an engine."""

    tagged: str
    """The tagged text sent to the engine."""
    tree: list[Node]
    """The source as a tree of text and placeholders."""
    atoms: dict[str, Atom]
    """Atomic placeholders by id."""
    pairs: dict[str, Pair]
    """Paired placeholders by id."""
    parents: dict[str, str | None]
    """The id of the pair each placeholder sits in, in the source."""
    html_allowed: frozenset[str] = frozenset()
    """Inline HTML that the source contains (and a translation may therefore use)."""


@dataclass(slots=True)
class Decoded:
    """An engine's output made inline Markdown again (see :func:`decode_output`)."""

    text: str
    """The translation, inline Markdown."""
    problems: list[str]
    """What could not be repaired or was repaired by a guess (``qa`` records)."""
    unknown: list[str]
    """Words the engine marked as unknown to it, in order, each once."""


def _span(token: Token, src: str) -> str:
    start, end = token.meta.get("span", (0, 0))
    return src[start:end]


_PAIR_KINDS = frozenset({"em", "strong", "s", "link", *marks.KINDS})
"""The kinds of :class:`Pair`: markdown-it's ``<kind>_open`` and ``<kind>_close``."""
_PAIR_OPEN = frozenset(f"{kind}_open" for kind in _PAIR_KINDS)
_PAIR_CLOSE = frozenset(f"{kind}_close" for kind in _PAIR_KINDS)


def _tree(tokens: list[Token], src: str, ids: list[int]) -> list[Node]:
    root: list[Node] = []
    stack: list[tuple[Pair | None, list[Node]]] = [(None, root)]
    open_tokens: list[Token] = []

    def new_id(prefix: str) -> str:
        ids[0] += 1
        return f"{prefix}{ids[0]}"

    i = 0
    while i < len(tokens):
        tok = tokens[i]
        out = stack[-1][1]
        kind = tok.type
        if kind == "text_special" and tok.info == "entity" and not tok.content.isprintable():
            # An entity for a space or control character: keep it as written.
            out.append(Atom(new_id("x"), "entity", tok.markup, ""))
        elif kind in {"text", "text_special"}:
            if tok.content:
                if out and isinstance(out[-1], Text):
                    out[-1].text += tok.content
                else:
                    out.append(Text(tok.content))
        elif kind == "softbreak":
            out.append(Text("\n"))
        elif kind == "hardbreak":
            out.append(Atom(new_id("x"), "hardbreak", "\\\n"))
        elif kind == "link_open" and tok.markup == "autolink":
            hint = ""
            j = i + 1
            while j < len(tokens) and tokens[j].type != "link_close":
                hint += tokens[j].content
                j += 1
            out.append(Atom(new_id("x"), "autolink", _span(tok, src), hint))
            i = j
        elif kind in _PAIR_OPEN:
            opener = _span(tok, src) if kind == "link_open" else tok.markup
            pair = Pair(new_id("g"), kind[:-5], opener, "")
            out.append(pair)
            stack.append((pair, pair.children))
            open_tokens.append(tok)
        elif kind in _PAIR_CLOSE and len(stack) > 1:
            popped, _ = stack.pop()
            opened = open_tokens.pop()
            assert popped is not None
            pair = popped
            if kind == "link_close":
                pair.close = _span(tok, src)
                start = opened.meta["span"][1]
                end = tok.meta["span"][0]
                pair.source_inner = src[start:end]
                if pair.close in {"]", "][]"}:
                    pair.label = pair.source_inner
            else:
                pair.close = tok.markup
        elif kind == "image":
            out.append(Atom(new_id("x"), kind, _span(tok, src), plain_text(tok), tok.content))
        elif kind == "code_inline":
            out.append(Atom(new_id("x"), kind, _span(tok, src), tok.content))
        elif kind == "html_inline" and (end := _code_element_end(tokens, i)) is not None:
            # <kbd>Home</kbd>: the whole element, its words not prose
            whole = src[tok.meta["span"][0] : tokens[end].meta["span"][1]]
            out.append(Atom(new_id("x"), "html_code", whole))
            i = end
        elif kind == "html_inline":
            out.append(Atom(new_id("x"), kind, tok.content))
        else:
            out.append(Atom(new_id("x"), kind, _span(tok, src) or tok.content))
        i += 1
    return root


CODE_ELEMENTS = frozenset(names("code kbd samp var tt math"))
"""Inline HTML elements whose words are not prose: code, keys (Apertium makes
``<kbd>Home</kbd>`` "Casa" and ``<kbd>Shift</kbd>`` "Turno"), a program's
output, variables, formulas. Such an element is one atom (kind ``html_code``),
sent to the engine empty and kept as written."""


def _tag(token: Token) -> tuple[str, str] | None:
    """``("start", name)`` or ``("end", name)`` for an ``html_inline`` token
    that is one start or end tag (a self-closing tag is neither)."""
    if token.type != "html_inline":
        return None
    pieces = scan(token.content)
    if len(pieces) != 1 or pieces[0].kind not in {"start", "end"} or pieces[0].closed:
        return None
    return pieces[0].kind, pieces[0].tag


def _code_element_end(tokens: list[Token], first: int) -> int | None:
    """Where the :data:`CODE_ELEMENTS` element that ``tokens[first]`` opens
    ends: the index of its end tag, when the element closes within these
    tokens and the markup inside it (emphasis, links) opens and closes there."""
    tag = _tag(tokens[first])
    if tag is None or tag[0] != "start" or tag[1] not in CODE_ELEMENTS:
        return None
    depth = 0  # of the element's own name, nested (<kbd><kbd>Ctrl</kbd>+…</kbd>)
    nesting = 0  # of markdown-it's other markup inside it
    for index in range(first, len(tokens)):
        token = tokens[index]
        nesting += token.nesting
        if nesting < 0:
            return None
        here = _tag(token)
        if here is None or here[1] != tag[1]:
            continue
        depth += 1 if here[0] == "start" else -1
        if depth == 0:
            spans = "span" in tokens[first].meta and "span" in token.meta
            return index if nesting == 0 and spans else None
    return None


_NUMBER = re.compile(r"(?<!\w)\d+(?:[.,:]\d+)*(?!\w)|^[IVXLCDM]+(?=\.\s)")


def _protect_numbers(nodes: list[Node], ids: list[int], at_start: bool = True) -> list[Node]:
    """Split numbers (and a leading roman section number) out of the words, as
    atoms, so that an engine cannot change them."""
    out: list[Node] = []
    for index, node in enumerate(nodes):
        if isinstance(node, Pair):
            node.children = _protect_numbers(node.children, ids, at_start and index == 0)
        if not isinstance(node, Text):
            out.append(node)
            continue
        pos = 0
        text = node.text
        for m in _NUMBER.finditer(text):
            if m.group().isalpha() and not (at_start and index == 0 and m.start() == 0):
                continue
            if m.start() > pos:
                out.append(Text(text[pos : m.start()]))
            ids[0] += 1
            out.append(Atom(f"x{ids[0]}", "number", m.group(), m.group()))
            pos = m.end()
        if pos < len(text):
            out.append(Text(text[pos:]))
    return out


WORD_KINDS = frozenset({"number", "protected"})
"""Atoms that are words as written, not markup: protected numbers and
protected text (URLs, paths… see :mod:`pipeline.source.protect`). The engine
cannot change them; outside the engine (exchange formats, the written
translation) they are text."""

_OPAQUE = frozenset({"code_inline", "html_code", "autolink", "protected"})
"""Atoms sent to the engine without their words (an empty placeholder): an
engine that reorders words would otherwise move words of the sentence into
the placeholder, where they are lost ("The `String` Type" became "El
`String` de Serie", the words "Tipo de" put where the code span was)."""


def _protect_text(nodes: list[Node], ids: list[int]) -> list[Node]:
    """Split URLs, e-mail addresses, paths and repository names out of the
    words, as atoms (:mod:`pipeline.source.protect`)."""
    out: list[Node] = []
    for node in nodes:
        if isinstance(node, Pair):
            node.children = _protect_text(node.children, ids)
        if not isinstance(node, Text):
            out.append(node)
            continue
        pos = 0
        for start, end in protect.find(node.text):
            if start > pos:
                out.append(Text(node.text[pos:start]))
            ids[0] += 1
            out.append(Atom(f"x{ids[0]}", "protected", node.text[start:end]))
            pos = end
        if pos < len(node.text):
            out.append(Text(node.text[pos:]))
    return out


def _walk(nodes: list[Node], parent: str | None, into: Encoded) -> None:
    for node in nodes:
        if isinstance(node, Atom):
            into.atoms[node.pid] = node
            into.parents[node.pid] = parent
        elif isinstance(node, Pair):
            into.pairs[node.pid] = node
            into.parents[node.pid] = parent
            _walk(node.children, node.pid, into)


def _wire(nodes: list[Node]) -> list[tagged.Item]:
    """A tree as the items of tagged text (hints on one line)."""
    items: list[tagged.Item] = []
    for node in nodes:
        if isinstance(node, Text):
            items.append(tagged.Text(node.text))
        elif isinstance(node, Atom):
            if node.kind == "hardbreak":
                items.append(tagged.Break(node.pid))
            elif node.kind in _OPAQUE:
                items.append(tagged.Atom(node.pid))
            else:
                items.append(tagged.Atom(node.pid, " ".join(node.hint.split())))
        elif isinstance(node, Pair):
            items.append(tagged.Open(node.pid))
            items.extend(_wire(node.children))
            items.append(tagged.Close(node.pid))
    return items


def _encode(source: str, env: Mapping[str, Any] | None = None) -> Encoded:
    """Encode a segment's inline Markdown as tagged text for an engine.

    ``env`` is the document's markdown-it environment (reference links).
    """
    tokens = inline_tokens(source, env)
    ids = [0]
    tree = _protect_numbers(_protect_text(_tree(tokens, source, ids), ids), ids)
    enc = Encoded("", tree, {}, {}, {})
    _walk(tree, None, enc)
    enc.tagged = tagged.write(_wire(tree))
    enc.html_allowed = frozenset(
        a.src for a in enc.atoms.values() if a.kind in {"html_inline", "html_code"}
    )
    return enc


# --------------------------------------------------------------------------- decoding


def _read(translated: str, known: set[str]) -> tuple[list[Node], list[str], list[str]]:
    """An engine's tagged output as a tree of text and placeholder refs, the
    problems found (markup the source does not have is dropped, its words kept)
    and the words the engine marked as unknown (``<mark>…</mark>``, kept as words)."""
    root: list[Node] = []
    stack: list[list[Node]] = [root]
    kinds: list[str] = []  # what each element on the stack (after the root) is
    problems: list[str] = []
    unknown: list[str] = []
    marked: list[list[str]] = []  # words of the <mark> elements open
    for item in tagged.parse(translated):
        out = stack[-1]
        if isinstance(item, tagged.Text):
            _add_text(out, item.text)
            for words in marked:
                words.append(item.text)
        elif isinstance(item, tagged.Break):
            if item.id in known:
                out.append(Ref(item.id))
            else:
                problems.append("engine added a line break")
        elif isinstance(item, tagged.Atom):
            if item.id in known:
                out.append(Ref(item.id, [Text(item.hint)] if item.hint else []))
            else:
                problems.append(f"engine added markup <{tagged.SPAN}>")
                _add_text(out, item.hint)
        elif isinstance(item, tagged.Open):
            if item.id in known:
                ref = Ref(item.id)
                out.append(ref)
                stack.append(ref.children)
                kinds.append("ref")
            elif item.tag == tagged.UNKNOWN and not item.id:
                stack.append(out)
                kinds.append("unknown")
                marked.append([])
            else:
                problems.append(f"engine added markup <{item.tag}>")
                stack.append(out)
                kinds.append("foreign")
        elif len(stack) > 1:
            stack.pop()
            if kinds.pop() == "unknown":
                word = " ".join("".join(marked.pop()).split())
                if word:
                    unknown.append(word)
        else:
            problems.append(f"stray </{item.tag}> from engine")
    return root, problems, list(dict.fromkeys(unknown))


def _add_text(out: list[Node], text: str) -> None:
    """Append words to ``out``, joining them to the words before."""
    if not text:
        return
    if out and isinstance(out[-1], Text):
        out[-1].text += text
    else:
        out.append(Text(text))


def _occurrences(nodes: list[Node], pid: str, parent: list[Node] | None = None) -> list[list[Node]]:
    """The lists that directly hold a Ref with this id (one entry per occurrence)."""
    found: list[list[Node]] = []
    for node in nodes:
        if isinstance(node, Ref):
            if node.pid == pid:
                found.append(nodes)
            found.extend(_occurrences(node.children, pid, nodes))
    return found


def _merge_pair(nodes: list[Node], pid: str) -> bool:
    """Merge sibling occurrences of one pair into one spanning them all.

    Returns False when the occurrences are not siblings (then nothing changes).
    """
    homes = _occurrences(nodes, pid)
    if len(homes) < 2:
        return True
    home = homes[0]
    if any(h is not home for h in homes):
        return False
    idx = [i for i, n in enumerate(home) if isinstance(n, Ref) and n.pid == pid]
    first, last = idx[0], idx[-1]
    merged = Ref(pid)
    for node in home[first : last + 1]:
        if isinstance(node, Ref) and node.pid == pid:
            merged.children.extend(node.children)
        else:
            merged.children.append(node)
    home[first : last + 1] = [merged]
    return True


def _unwrap_later(nodes: list[Node], pid: str, seen: list[bool]) -> list[Node]:
    """Keep the first occurrence of a placeholder; unwrap (pairs) or drop (atoms) the rest."""
    out: list[Node] = []
    for node in nodes:
        if isinstance(node, Ref):
            if node.pid == pid:
                if seen[0]:
                    out.extend(_unwrap_later(node.children, pid, seen))
                    continue
                seen[0] = True
            node.children = _unwrap_later(node.children, pid, seen)
        out.append(node)
    return out


def _hoist_from_atoms(
    nodes: list[Node], atoms: Mapping[str, Atom], moved: list[str], kept: list[str]
) -> list[Node]:
    """An atom's content is only a hint, but placeholders an engine put inside
    it are real: move them out, right after the atom (their ids go to ``moved``).
    An image keeps the words of its hint: the translation of its description.
    An atom sent empty (a code span, a URL…) holds no words of its own, so
    words the engine put inside it are the sentence's: they go right after it
    (and go to ``kept``), never lost."""
    out: list[Node] = []
    for node in nodes:
        if isinstance(node, Ref):
            node.children = _hoist_from_atoms(node.children, atoms, moved, kept)
            if node.pid in atoms:
                nested = [c for c in node.children if isinstance(c, Ref)]
                words = atoms[node.pid].kind == "image"
                spilled = ""
                if atoms[node.pid].kind in _OPAQUE:  # sent empty: any words are the sentence's
                    spilled = " ".join(_plain_output_nodes(node.children)).strip()
                node.children = [c for c in node.children if words and isinstance(c, Text)]
                out.append(node)
                if spilled:
                    kept.append(spilled)
                    out.append(Text(" " + spilled))
                for inner in nested:
                    moved.append(inner.pid)
                    out.extend([Text(" "), inner])
                continue
        out.append(node)
    return out


def _doubled(nodes: list[Node]) -> set[str]:
    """Ids of the placeholders that occur more than once in a tree."""
    seen: set[str] = set()
    twice: set[str] = set()
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if isinstance(node, Ref):
            (twice if node.pid in seen else seen).add(node.pid)
            stack.extend(node.children)
    return twice


def _present(nodes: list[Node]) -> set[str]:
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, Ref):
            found.add(node.pid)
            found |= _present(node.children)
    return found


def _parents(nodes: list[Node], parent: str | None, into: dict[str, str | None]) -> None:
    for node in nodes:
        if isinstance(node, Ref):
            into[node.pid] = parent
            _parents(node.children, node.pid, into)


def _as_refs(nodes: list[Node], skip: set[str]) -> list[Node]:
    """A source subtree as decoded nodes (for re-inserting a lost element)."""
    out: list[Node] = []
    for node in nodes:
        if isinstance(node, Text):
            out.append(Text(node.text))
        elif isinstance(node, Atom):
            if node.pid not in skip:
                out.append(Ref(node.pid))
        elif isinstance(node, Pair):
            children = _as_refs(node.children, skip)
            if node.pid in skip:
                out.extend(children)
            else:
                out.append(Ref(node.pid, children))
    return out


_ALWAYS = re.compile(r"([\\`*_\[\]<>&~^]|=(?==)|(?<==)=)")
_LINE_START = re.compile(r"^([#>+=:-]|\d{1,9}(?=[.)]))")


def _escape_text(text: str, at_line_start: bool) -> str:
    """Backslash-escape words so they cannot turn into Markdown markup."""
    out = _ALWAYS.sub(r"\\\1", text)
    if at_line_start:
        out = out.lstrip(" \t")
        m = _LINE_START.match(out)
        if m:
            end = m.end()
            out = out[:end] + "\\" + out[end:] if out[:end].isdigit() else "\\" + out
    return out


_PROTECTED_ESCAPE = re.compile(
    r"[`*\[\]<>^]|\\(?=[!-/:-@\[-`{-~]|$)|&(?=#?\w+;)|(?<![^\W_])_|_(?![^\W_])"
    r"|~(?=\S*~)|=(?==)|(?<==)="
)


def _escape_protected(text: str, at_line_start: bool) -> str:
    """Protected text (a URL, a path) as Markdown: escaped only where it could
    make markup, so ``~/hello_world`` stays as written (an underscore inside a
    word never does, nor a tilde with no other after it before a space)."""
    if at_line_start and _LINE_START.match(text):
        return _escape_text(text, True)
    return _PROTECTED_ESCAPE.sub(lambda m: "\\" + m.group(), text)


def _translated_image(atom: Atom, children: list[Node]) -> str:
    """An image with the engine's words for its description (``![texto](url)``).

    The description of ``![alt](url)`` and ``![alt][ref]`` is only words, so
    it takes the translation; a shortcut or collapsed reference (``![alt]``,
    ``![alt][]``), whose description is also its label, keeps the label as an
    explicit reference. Without new words from the engine, the description
    stays as written.
    """
    label = atom.label
    head = f"![{label}]"
    if not atom.src.startswith(head):
        return atom.src
    rest = atom.src[len(head) :]
    if rest in ("", "[]"):
        # Explicit, so that a "(" or "[" the engine puts right after it cannot
        # turn it into another image.
        rest = f"[{label}]"
    words = " ".join("".join(c.text for c in children if isinstance(c, Text)).split())
    if not words or words == " ".join(atom.hint.split()):
        return head + rest
    return f"![{_escape_text(words, False)}]{rest}"


class _Writer:
    """Serialises a decoded tree back to inline Markdown."""

    def __init__(self, enc: Encoded, star: bool, drop_emphasis: bool) -> None:
        self.enc = enc
        self.star = star
        self.drop_emphasis = drop_emphasis
        self.line_start = True

    def text(self, text: str) -> str:
        parts = text.split("\n")
        out: list[str] = []
        for n, part in enumerate(parts):
            if n:
                out[-1] = out[-1].rstrip(" \t")
                out.append("\n")
                self.line_start = True
            escaped = _escape_text(part, self.line_start)
            if escaped:
                self.line_start = False
            out.append(escaped)
        return "".join(out)

    def nodes(self, nodes: list[Node]) -> str:
        out: list[str] = []
        for node in nodes:
            piece = self.node(node)
            if (
                isinstance(node, Ref)
                and node.pid in self.enc.pairs
                and self.enc.pairs[node.pid].kind == "link"
                and out
                and out[-1].endswith("!")
                and not out[-1].endswith("\\!")
            ):
                out[-1] = out[-1][:-1] + "\\!"  # "!" before "[" would make an image
            if out and out[-1].endswith("`") and piece.startswith("`"):
                out.append(" ")  # two code spans must not merge into one backtick run
            out.append(piece)
        return "".join(out)

    def node(self, node: Node) -> str:
        if isinstance(node, Text):
            return self.text(node.text)
        assert isinstance(node, Ref)
        atom = self.enc.atoms.get(node.pid)
        if atom is not None:
            at_line_start = self.line_start
            self.line_start = atom.kind == "hardbreak"
            if atom.kind == "image":
                return _translated_image(atom, node.children)
            if atom.kind == "protected":
                return _escape_protected(atom.src, at_line_start)
            return atom.src
        pair = self.enc.pairs[node.pid]
        if pair.kind == "link":
            at_start = self.line_start
            self.line_start = False
            inner = self.nodes(node.children)
            if at_start and not inner:
                self.line_start = True
            close = pair.close
            if pair.label is not None and inner != pair.source_inner:
                close = "][" + pair.label + "]"
            return pair.open + inner + close
        inner = self.nodes(node.children)
        stripped = inner.strip(" \t\n")
        if not stripped or self.drop_emphasis:
            return inner
        lead = inner[: len(inner) - len(inner.lstrip(" \t\n"))]
        trail = inner[len(inner.rstrip(" \t\n")) :]
        delim_open, delim_close = pair.open, pair.close
        if self.star and pair.kind in {"em", "strong"}:
            delim_open = delim_close = "*" * len(pair.open)
        if pair.kind in marks.UNSPACED:
            # x^a\ b^: a space inside is escaped; a line break cannot be there
            if any(space in stripped for space in "\t\n"):
                return inner
            stripped = stripped.replace(" ", "\\ ")
        return lead + delim_open + stripped + delim_close + trail


def _shape(nodes: list[Node], enc: Encoded, drop_emphasis: bool) -> list[str]:
    out: list[str] = []
    for node in nodes:
        if isinstance(node, Ref):
            atom = enc.atoms.get(node.pid)
            if atom is not None:
                if atom.kind != "protected":  # written as text
                    out.append(atom.kind)
                continue
            pair = enc.pairs[node.pid]
            if pair.kind != "link" and (drop_emphasis or not _has_text(node.children)):
                out.extend(_shape(node.children, enc, drop_emphasis))
                continue
            out.append(pair.kind + "(")
            out.extend(_shape(node.children, enc, drop_emphasis))
            out.append(")")
    return out


def _has_text(nodes: list[Node]) -> bool:
    for node in nodes:
        if isinstance(node, Text) and node.text.strip():
            return True
        if isinstance(node, Ref) and (node.children and _has_text(node.children)):
            return True
        if isinstance(node, Ref) and not node.children:
            return True
    return False


def _parsed_shape(markdown: str, env: Mapping[str, Any]) -> list[str]:
    tokens = inline_tokens(markdown, env)
    out: list[str] = []
    skip_to_close = False
    skip_to = -1
    for index, tok in enumerate(tokens):
        if skip_to_close:
            skip_to_close = tok.type != "link_close"
            continue
        if index <= skip_to:
            continue
        if tok.type == "html_inline" and (end := _code_element_end(tokens, index)) is not None:
            out.append("html_code")
            skip_to = end
        elif tok.type == "link_open" and tok.markup == "autolink":
            out.append("autolink")
            skip_to_close = True
        elif tok.type.endswith("_open"):
            out.append(tok.type[:-5] + "(")
        elif tok.type.endswith("_close"):
            out.append(")")
        elif tok.type == "text_special" and tok.info == "entity" and not tok.content.isprintable():
            out.append("entity")
        elif tok.type not in {"text", "text_special", "softbreak"}:
            out.append(tok.type)
    return out


def _decode(
    translated: str,
    enc: Encoded,
    env: Mapping[str, Any] | None = None,
    *,
    block_start: bool = True,
    span_translations: Mapping[str, str] | None = None,
) -> Decoded:
    """Turn an engine's tagged output into inline Markdown.

    Returns the Markdown, the problems found (placeholders doubled, missing,
    re-nested, or markup that had to be simplified) and the words the engine
    did not know. The result is always valid Markdown holding every code span,
    image and link of the source, and every number once. ``block_start`` says
    whether the text starts a line of its own (a paragraph: ``1.`` or ``-``
    there must be escaped) or follows a marker (an ATX heading or a table
    cell). ``span_translations`` (see :func:`span_texts`) lets emphasis and
    links the engine emptied, moved or dropped go back onto their words.
    """
    env = env or {}
    known = set(enc.atoms) | set(enc.pairs)
    read, read_problems, unknown = _read(translated, known)
    moved: list[str] = []
    spilled: list[str] = []
    hollow = _hollow_numbers(read, enc.atoms)
    tree = _hoist_from_atoms(read, enc.atoms, moved, spilled)
    problems = list(dict.fromkeys(read_problems))
    if moved:
        problems.append(
            f"placeholder(s) {', '.join(moved)} put inside an atom by the engine; moved out"
        )
    if spilled:
        words = ", ".join(f"“{w}”" for w in spilled)
        problems.append(f"words {words} put inside code or a URL by the engine; kept after it")
    tree = _reattach(tree, enc, span_translations or {}, problems)

    doubled = _doubled(tree)  # one walk: decoding stays linear in the segment's size
    for pid in enc.pairs:
        if pid in doubled:
            if _merge_pair(tree, pid):
                problems.append(f"placeholder {pid} doubled by the engine; merged")
            else:
                tree = _unwrap_later(tree, pid, [False])
                problems.append(f"placeholder {pid} doubled by the engine; kept the first")
    for pid in enc.atoms:
        if pid in doubled:
            tree = _unwrap_later(tree, pid, [False])
            problems.append(f"placeholder {pid} doubled by the engine; kept the first")

    tree, as_text = _fix_numbers(tree, enc, hollow, problems)
    present = _present(tree)
    kept = present | as_text
    missing = [pid for pid in [*enc.atoms, *enc.pairs] if pid not in kept]
    appended: set[str] = set()
    for pid in missing:
        if pid in appended:
            continue
        if pid in enc.atoms:
            tree.extend([Text(" "), Ref(pid)])
            appended.add(pid)
            problems.append(f"placeholder {pid} ({enc.atoms[pid].kind}) missing; appended")
        elif enc.pairs[pid].kind == "link":
            pair = enc.pairs[pid]
            skip = present | appended
            node = Ref(pid, _as_refs(pair.children, skip))
            appended |= _present([node])
            tree.extend([Text(" "), node])
            problems.append(f"placeholder {pid} (link) missing; appended with its source text")
        else:
            problems.append(f"placeholder {pid} ({enc.pairs[pid].kind}) missing")

    now: dict[str, str | None] = {}
    _parents(tree, None, now)
    for pid, parent in now.items():
        if pid in enc.parents and enc.parents[pid] != parent and pid not in appended:
            problems.append(f"placeholder {pid} re-nested by the engine")
            break

    tree = _numbers_as_text(tree, enc)

    # Strip leading/trailing whitespace of the whole segment.
    if tree and isinstance(tree[0], Text):
        tree[0].text = tree[0].text.lstrip(" \t\n")
    if tree and isinstance(tree[-1], Text):
        tree[-1].text = tree[-1].text.rstrip(" \t\n")

    attempts = ((False, False), (True, False), (True, True))
    result = ""
    for star, drop in attempts:
        writer = _Writer(enc, star, drop)
        writer.line_start = block_start
        result = writer.nodes(tree).strip(" \t\n")
        result = escape_closing_hashes(result)
        if _parsed_shape(result, env) == _shape(tree, enc, drop):
            if drop:
                problems.append("emphasis could not be placed in the translation; dropped")
            return Decoded(result, problems, unknown)
    problems.append("markup of the translation does not match the source")
    return Decoded(result, problems, unknown)


def encode(source: str, env: Mapping[str, Any] | None = None) -> Encoded:
    """Encode a segment's inline Markdown as tagged text for an engine.

    ``env`` is the document's markdown-it environment (reference links).
    Raises :class:`~pipeline.errors.ContentError` for markup nested too deeply.
    """
    with _nesting_guard():
        return _encode(source, env)


def decode(
    translated: str,
    enc: Encoded,
    env: Mapping[str, Any] | None = None,
    *,
    block_start: bool = True,
) -> tuple[str, list[str]]:
    """Turn an engine's tagged output into inline Markdown and its problems
    (see :func:`_decode`; :func:`decode_output` also gives the unknown words).

    Raises :class:`~pipeline.errors.ContentError` for markup nested too deeply.
    """
    with _nesting_guard():
        done = _decode(translated, enc, env, block_start=block_start)
    return done.text, done.problems


def decode_output(
    translated: str,
    enc: Encoded,
    env: Mapping[str, Any] | None = None,
    *,
    block_start: bool = True,
    span_translations: Mapping[str, str] | None = None,
) -> Decoded:
    """Turn an engine's tagged output into inline Markdown, repairing markup by
    alignment with ``span_translations`` (the engine's translations of
    :func:`span_texts`, by placeholder id); see :func:`_decode`.

    Raises :class:`~pipeline.errors.ContentError` for markup nested too deeply.
    """
    with _nesting_guard():
        return _decode(
            translated, enc, env, block_start=block_start, span_translations=span_translations
        )


@contextmanager
def _nesting_guard() -> Iterator[None]:
    try:
        yield
    except RecursionError:
        raise ContentError(
            "inline markup nested too deeply to translate",
            hint="simplify the emphasis and links of this paragraph",
        ) from None


def _numbers_as_text(nodes: list[Node], enc: Encoded) -> list[Node]:
    """Protected numbers are words again once the engine is done."""
    out: list[Node] = []
    for node in nodes:
        if isinstance(node, Ref):
            atom = enc.atoms.get(node.pid)
            if atom is not None and atom.kind == "number":
                node = Text(atom.src)
            else:
                node.children = _numbers_as_text(node.children, enc)
        if isinstance(node, Text) and out and isinstance(out[-1], Text):
            out[-1] = Text(out[-1].text + node.text)
        else:
            out.append(node)
    return out


# --------------------------------------------------------------------------- repair by alignment
#
# Apertium moves a word out of its span and leaves the span empty ("No creen
# <g1></g1> en"), or moves a number out of its atom and writes it elsewhere
# ("una empresa <x1></x1> de Fortune 500"). The engine's own translation of a
# span's words, made separately (span_texts), finds the words again.

_WORD = re.compile(r"[^\W_]+")
_SHORT = 3
"""Words this long or shorter (articles, prepositions) must match exactly and
never count as a span's content word."""


def _plain(nodes: list[Node]) -> str:
    """The words of a source subtree: text, numbers as written, other atoms as a space."""
    out: list[str] = []
    for node in nodes:
        if isinstance(node, Text):
            out.append(node.text)
        elif isinstance(node, Atom):
            out.append(node.src if node.kind == "number" else " ")
        elif isinstance(node, Pair):
            out.append(_plain(node.children))
    return "".join(out)


def span_texts(enc: Encoded) -> dict[str, str]:
    """The words of each emphasis, strikethrough and link of a segment, as tagged
    text to translate on its own (by placeholder id): the engine's translation
    of them finds them again in its translation of the segment (see
    :func:`decode_output`). Spans without letters, or holding every word of
    the segment, are left out."""
    whole = " ".join(_plain(enc.tree).split())
    out: dict[str, str] = {}
    for pid, pair in enc.pairs.items():
        words = " ".join(_plain(pair.children).split())
        if words != whole and any(ch.isalpha() for ch in words):
            out[pid] = tagged.escape(words)
    return out


def spans_to_align(translated: str, enc: Encoded) -> dict[str, str]:
    """The spans of :func:`span_texts` that an engine's output emptied, doubled,
    dropped, or left holding short words (three letters or fewer) other than
    its own: the ones :func:`decode_output` can repair given the engine's
    translation of their words. Empty when the engine kept every span on words
    of its own, as it mostly does."""
    texts = span_texts(enc)
    if not texts:
        return {}
    read, _problems, _unknown = _read(translated, set(enc.atoms) | set(enc.pairs))
    index = _index_refs(read)
    wanted: dict[str, str] = {}
    for pid, text in texts.items():
        refs = index.get(pid, [])
        if len(refs) == 1:
            content = _words_in(refs[0].children, enc.atoms)
            own = [_fold(w) for w in _WORD.findall(_plain(enc.pairs[pid].children))]
            if content and (any(len(w) > _SHORT for w in content) or content == own):
                continue
        wanted[pid] = text
    return wanted


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _same_word(a: str, b: str) -> bool:
    """Whether two folded words are one word, allowing another ending to the
    same stem (``cree``/``creen``, ``piloto``/``pilotos``)."""
    if a == b:
        return True
    if min(len(a), len(b)) <= _SHORT:
        return False
    common = next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )
    return common > _SHORT and common >= max(len(a), len(b)) - 3


def _translated_words(output: str) -> list[str]:
    """The folded words of an engine's translation of a span's words."""
    text = "".join(item.text for item in tagged.parse(output) if isinstance(item, tagged.Text))
    return [_fold(w) for w in _WORD.findall(text) if any(ch.isalpha() for ch in w)]


@dataclass(slots=True)
class _Spot:
    """A Text node of a decoded tree, where it sits and what encloses it."""

    home: list[Node]
    node: Text
    start: int
    """Offset of its first character in the tree's text (an atom counts one)."""
    owners: tuple[str, ...]
    """Ids of the pairs it sits in, outermost first."""


def _layout(nodes: list[Node], atoms: Mapping[str, Atom]) -> tuple[list[_Spot], dict[int, int]]:
    """The tree's Text nodes in reading order, and where each Ref starts (by ``id()``)."""
    spots: list[_Spot] = []
    starts: dict[int, int] = {}
    pos = 0

    def walk(level: list[Node], owners: tuple[str, ...]) -> None:
        nonlocal pos
        for node in level:
            if isinstance(node, Text):
                spots.append(_Spot(level, node, pos, owners))
                pos += len(node.text)
            elif isinstance(node, Ref):
                starts[id(node)] = pos
                if node.pid in atoms:
                    pos += 1
                else:
                    walk(node.children, (*owners, node.pid))

    walk(nodes, ())
    return spots, starts


def _matches(words: list[str], spots: list[_Spot]) -> list[tuple[_Spot, int, int]]:
    """Where ``words`` occur as consecutive words of one Text node: (spot, start, end)."""
    found: list[tuple[_Spot, int, int]] = []
    n = len(words)
    for spot in spots:
        toks = [(m.start(), m.end(), _fold(m.group())) for m in _WORD.finditer(spot.node.text)]
        for i in range(len(toks) - n + 1):
            if all(_same_word(toks[i + j][2], words[j]) for j in range(n)):
                found.append((spot, toks[i][0], toks[i + n - 1][1]))
    return found


def _find_words(
    words: list[str], spots: list[_Spot], near: float, parent: str | None
) -> tuple[_Spot, int, int] | None:
    """The occurrence of a span's translated words nearest to ``near``, one in
    the span's own parent first; without a leading article when not found whole."""
    variants = [words]
    if len(words) > 1 and len(words[0]) <= _SHORT:
        variants.append(words[1:])
    for variant in variants:
        found = _matches(variant, spots)
        if found:
            return min(
                found,
                key=lambda f: (
                    (f[0].owners[-1] if f[0].owners else None) != parent,
                    abs(f[0].start + f[1] - near),
                ),
            )
    return None


def _wrap(spot: _Spot, start: int, end: int, ref: Ref) -> None:
    """Put ``ref`` around characters ``start:end`` of a Text node."""
    text = spot.node.text
    ref.children = [Text(text[start:end])]
    pieces: list[Node] = [Text(text[:start])] if start else []
    pieces.append(ref)
    if end < len(text):
        pieces.append(Text(text[end:]))
    index = next(i for i, n in enumerate(spot.home) if n is spot.node)
    spot.home[index : index + 1] = pieces


def _unwrap(nodes: list[Node], ref: Ref) -> bool:
    """Replace ``ref`` (found by identity) by its children; the spaces of an
    emptied span do not double the space around it."""
    for i, node in enumerate(nodes):
        if node is ref:
            nodes[i : i + 1] = ref.children
            _join_texts(nodes)
            return True
        if isinstance(node, Ref) and _unwrap(node.children, ref):
            return True
    return False


def _join_texts(nodes: list[Node]) -> None:
    """Join neighbouring Text nodes; one space where two meet."""
    i = 0
    while i < len(nodes):
        node = nodes[i]
        if isinstance(node, Text) and not node.text:
            del nodes[i]
            continue
        prev = nodes[i - 1] if i else None
        if isinstance(node, Text) and isinstance(prev, Text):
            left, right = prev.text, node.text
            if left[-1:] in (" ", "\n") and right[:1] == " ":
                right = right[1:]
            elif left[-1:] == " " and right[:1] == "\n":
                left = left[:-1]
            nodes[i - 1] = Text(left + right)
            del nodes[i]
            continue
        i += 1


def _words_in(nodes: list[Node], atoms: Mapping[str, Atom]) -> list[str]:
    out: list[str] = []
    for node in nodes:
        if isinstance(node, Text):
            out.extend(_fold(w) for w in _WORD.findall(node.text) if any(c.isalpha() for c in w))
        elif isinstance(node, Ref) and node.pid not in atoms:
            out.extend(_words_in(node.children, atoms))
    return out


def _source_position(enc: Encoded, pid: str) -> float:
    """Where a pair starts in the source, as a fraction of the source's length."""
    offset = [0, -1]

    def walk(nodes: list[Node]) -> None:
        for node in nodes:
            if isinstance(node, Pair) and node.pid == pid:
                offset[1] = offset[0]
            if isinstance(node, Text):
                offset[0] += len(node.text)
            elif isinstance(node, Atom):
                offset[0] += 1
            elif isinstance(node, Pair):
                walk(node.children)

    walk(enc.tree)
    return max(offset[1], 0) / max(offset[0], 1)


def _reattach(
    tree: list[Node], enc: Encoded, translations: Mapping[str, str], problems: list[str]
) -> list[Node]:
    """Put each emphasis or link back onto its words, found by the engine's own
    translation of them: when the engine emptied it (its words moved out), left
    only a short word in it (moved), doubled it, or dropped it.

    A span whose words cannot be found stays as the engine left it (the later
    steps merge, append or flag it), except an emptied one: emphasis is then
    dropped, a link gets the engine's words for its text, and both are noted.
    """
    # Ref objects survive the changes below (only their places change), so one
    # index serves the whole loop; the tree is walked again only for a repair.
    index = _index_refs(tree)
    for pid, pair in enc.pairs.items():
        output = translations.get(pid)
        words = _translated_words(output) if output else []
        refs = index.get(pid, [])
        parent = enc.parents.get(pid)
        if len(refs) > 1:
            # Doubled: keep the one holding the words, unwrap the others.
            holding = [r for r in refs if words and _holds(r, words, enc.atoms)]
            if len(holding) == 1:
                for ref in refs:
                    if ref is not holding[0]:
                        _unwrap(tree, ref)
            continue
        if refs:
            ref = refs[0]
            content = _words_in(ref.children, enc.atoms)
            if content and (
                not words or any(len(w) > _SHORT for w in content) or _holds(ref, words, enc.atoms)
            ):
                continue  # the span holds words of its own: the engine placed it
            if not content and not (_emptied(ref) and _has_letters(pair.children)):
                continue  # no words in the source either (a link around an image…)
            found = None
            if words:
                spots, starts = _layout(tree, enc.atoms)
                outside = [s for s in spots if pid not in s.owners]
                found = _find_words(words, outside, starts[id(ref)], parent)
            if found is not None:
                _wrap(*found, Ref(pid))
                _unwrap(tree, ref)
                continue
            if content:
                continue  # a short word only, and the span's words are nowhere else
            if pair.kind == "link":
                fill = " ".join(_plain_output(output).split())
                keep = _present(tree)
                ref.children = [Text(fill)] if fill else _as_refs(pair.children, keep)
                problems.append(
                    f"placeholder {pid} (link) emptied by the engine; "
                    "its words were not found, so the link holds "
                    + ("the engine's words for them" if fill else "its source words")
                )
            else:
                _unwrap(tree, ref)
                problems.append(
                    f"placeholder {pid} ({pair.kind}) emptied by the engine; "
                    "its words were not found, so the emphasis was dropped"
                )
            continue
        if not words:
            continue
        spots, starts = _layout(tree, enc.atoms)
        total = sum(len(s.node.text) for s in spots) + 1
        found = _find_words(words, spots, _source_position(enc, pid) * total, parent)
        if found is not None:
            _wrap(*found, Ref(pid))
    return tree


def _index_refs(
    nodes: list[Node], into: dict[str, list[Ref]] | None = None
) -> dict[str, list[Ref]]:
    """Every Ref of a tree by placeholder id, in reading order."""
    found: dict[str, list[Ref]] = {} if into is None else into
    for node in nodes:
        if isinstance(node, Ref):
            found.setdefault(node.pid, []).append(node)
            _index_refs(node.children, found)
    return found


def _emptied(ref: Ref) -> bool:
    """Whether a span holds nothing but spaces."""
    return all(isinstance(c, Text) and not c.text.strip() for c in ref.children)


def _has_letters(nodes: list[Node]) -> bool:
    return any(ch.isalpha() for ch in _plain(nodes))


def _holds(ref: Ref, words: list[str], atoms: Mapping[str, Atom]) -> bool:
    content = _words_in(ref.children, atoms)
    return any(_same_word(a, b) for a in content for b in words)


def _plain_output(output: str | None) -> str:
    if not output:
        return ""
    return "".join(item.text for item in tagged.parse(output) if isinstance(item, tagged.Text))


# --------------------------------------------------------------------------- numbers


def _hollow_numbers(nodes: list[Node], atoms: Mapping[str, Atom]) -> set[int]:
    """The number atoms the engine emptied (``id()`` of their Refs, as read)."""
    found: set[int] = set()
    for node in nodes:
        if isinstance(node, Ref):
            atom = atoms.get(node.pid)
            if atom is not None and atom.kind == "number":
                if not "".join(_plain_output_nodes(node.children)).strip():
                    found.add(id(node))
            else:
                found |= _hollow_numbers(node.children, atoms)
    return found


def _fix_numbers(
    tree: list[Node], enc: Encoded, hollow: set[int], problems: list[str]
) -> tuple[list[Node], set[str]]:
    """Every protected number exactly as often as the source has it.

    An engine may move a number out of its atom, leaving the atom empty, and
    write it elsewhere as text ("una empresa <x1></x1> de Fortune 500"): the
    empty atom goes and the text stays. A number written twice keeps its first
    occurrence. A number dropped is put back next to a neighbouring word of the
    source that the engine copied (a name), else left to be appended.

    Returns the tree and the ids of numbers present as text only."""
    by_value: dict[str, list[str]] = {}
    for pid, atom in enc.atoms.items():
        if atom.kind == "number" and any(ch.isdigit() for ch in atom.src):
            by_value.setdefault(atom.src, []).append(pid)
    as_text: set[str] = set()
    if not by_value:
        return tree, as_text

    def survey() -> tuple[
        dict[str, list[Ref]], dict[int, int], dict[str, list[tuple[_Spot, int, int]]]
    ]:
        index = _index_refs(tree)
        spots, starts = _layout(tree, enc.atoms)
        texts: dict[str, list[tuple[_Spot, int, int]]] = {}
        for spot in spots:
            for m in _NUMBER.finditer(spot.node.text):
                if m.group() in by_value:
                    texts.setdefault(m.group(), []).append((spot, m.start(), m.end()))
        return index, starts, texts

    index, starts, texts_of = survey()  # once; again only after a change
    for value, pids in by_value.items():
        refs = [r for pid in pids for r in index.get(pid, [])]
        texts = texts_of.get(value, [])
        extra = len(refs) + len(texts) - len(pids)
        if extra == 0:
            present = {r.pid for r in refs}
            as_text |= {pid for pid in pids if pid not in present}
            continue
        if extra > 0:
            empty = [r for r in refs if id(r) in hollow]
            drop_refs = empty[:extra]
            extra -= len(drop_refs)
            dropped = {id(r) for r in drop_refs}
            order = sorted(
                [("ref", starts[id(r)], r) for r in refs if id(r) not in dropped]
                + [("text", spot.start + a, (spot, a, b)) for spot, a, b in texts],
                key=lambda o: o[1],
            )
            drop_later = order[len(order) - extra :] if extra > 0 else []
            if drop_later:
                problems.append(f"number {value} doubled by the engine; kept the first")
            for ref in drop_refs:
                _unwrap(tree, ref)
            for kind, _, what in reversed(drop_later):
                if kind == "ref":
                    assert isinstance(what, Ref)
                    _unwrap(tree, what)
                    dropped.add(id(what))
                else:
                    assert isinstance(what, tuple)
                    _cut(*what)
            left = {r.pid for r in refs if id(r) not in dropped}
            as_text |= {pid for pid in pids if pid not in left}
        else:
            present = {r.pid for r in refs}
            absent = [pid for pid in pids if pid not in present]
            as_text |= set(absent[: len(texts)])
            for pid in absent[len(texts) :]:
                _put_back(tree, enc, pid)  # else appended, and flagged, afterwards
        index, starts, texts_of = survey()
    return tree, as_text


def _plain_output_nodes(nodes: list[Node]) -> list[str]:
    return [n.text for n in nodes if isinstance(n, Text)]


def _cut(spot: _Spot, start: int, end: int) -> None:
    """Delete characters ``start:end`` of a Text node, and one space beside them."""
    text = spot.node.text
    left, right = text[:start], text[end:]
    if left.endswith(" ") and (right.startswith(" ") or not right):
        left = left[:-1]
    elif not left and right.startswith(" "):
        right = right[1:]
    spot.node.text = left + right


def _neighbours(enc: Encoded, pid: str) -> tuple[str | None, str | None]:
    """The source's words right before and right after an atom."""
    flat: list[str | None] = []  # words; None for the atom itself

    def walk(nodes: list[Node]) -> None:
        for node in nodes:
            if isinstance(node, Text):
                flat.extend(_WORD.findall(node.text))
            elif isinstance(node, Atom):
                if node.pid == pid:
                    flat.append(None)
                elif node.kind == "number":
                    flat.append(node.src)
            elif isinstance(node, Pair):
                walk(node.children)

    walk(enc.tree)
    at = flat.index(None)
    before = flat[at - 1] if at > 0 else None
    after = flat[at + 1] if at + 1 < len(flat) else None
    return before, after


def _put_back(tree: list[Node], enc: Encoded, pid: str) -> bool:
    """Put a dropped number back beside a neighbouring source word that occurs
    once, unchanged, in the translation (a name the engine copied)."""
    before, after = _neighbours(enc, pid)
    spots, _starts = _layout(tree, enc.atoms)
    spots = [s for s in spots if not any(o in enc.atoms for o in s.owners)]
    for word, side in ((before, "after"), (after, "before")):
        if not word or not any(ch.isalpha() for ch in word):
            continue
        found = [
            (spot, m)
            for spot in spots
            for m in _WORD.finditer(spot.node.text)
            if _fold(m.group()) == _fold(word)
        ]
        if len(found) != 1:
            continue
        spot, m = found[0]
        text = spot.node.text
        cut = m.end() if side == "after" else m.start()
        head, tail = text[:cut], text[cut:]
        pieces: list[Node] = (
            [Text(head + " "), Ref(pid), Text(tail)]
            if side == "after"
            else [Text(head), Ref(pid), Text(" " + tail)]
        )
        index = next(i for i, n in enumerate(spot.home) if n is spot.node)
        spot.home[index : index + 1] = [p for p in pieces if not isinstance(p, Text) or p.text]
        return True
    return False


# --------------------------------------------------------------------------- editing words

_OBJECT = "\ufffc"
"""Stands for a piece of markup kept whole (code span, image, line break…) in
the text :func:`edit_words` hands to an edit."""


def edit_words(
    markdown: str,
    edit: Callable[[str], str],
    env: Mapping[str, Any] | None = None,
    *,
    block_start: bool = True,
) -> str:
    """Apply an edit of words to a segment's inline Markdown, markup untouched.

    ``edit`` receives the segment's text: its words, numbers as written, and
    U+FFFC for each code span, image, autolink, inline HTML or line break;
    emphasis and link boundaries are invisible to it. It returns the edited
    text. The change is mapped back onto the words between the markup (an
    insertion joins the word after it, else the one before) and the Markdown
    written again, its markup taken from ``markdown`` byte for byte. An edit
    that changes a number or a U+FFFC, or whose result would not keep the
    markup, is not applied: ``markdown`` is returned as it was.
    """
    with _nesting_guard():
        enc = _encode(markdown, env)
        items = tagged.parse(enc.tagged)
        chars: list[str] = []
        owner: list[int] = []  # item index of each character; -1 for fixed ones
        for index, item in enumerate(items):
            if isinstance(item, tagged.Text):
                chars.extend(item.text)
                owner.extend([index] * len(item.text))
            elif isinstance(item, tagged.Atom) and enc.atoms[item.id].kind == "number":
                chars.extend(enc.atoms[item.id].src)
                owner.extend([-1] * len(enc.atoms[item.id].src))
            elif isinstance(item, tagged.Atom | tagged.Break):
                chars.append(_OBJECT)
                owner.append(-1)
        plain = "".join(chars)
        edited = edit(plain)
        if edited == plain:
            return markdown
        texts = _map_edit(plain, edited, owner, items)
        if texts is None:
            return markdown
        new_items = [
            tagged.Text(texts[i]) if isinstance(item, tagged.Text) else item
            for i, item in enumerate(items)
        ]
        done = _decode(tagged.write(new_items), enc, env, block_start=block_start)
    if done.problems:
        return markdown
    return done.text


def _map_edit(
    plain: str, edited: str, owner: list[int], items: list[tagged.Item]
) -> dict[int, str] | None:
    """The new text of each Text item after ``plain`` became ``edited``; ``None``
    when the edit touches a fixed character or inserts where no text is."""
    texts: dict[int, list[str]] = {
        i: [] for i, item in enumerate(items) if isinstance(item, tagged.Text)
    }
    opcodes: list[tuple[str, int, int, int, int]] | None = _local_opcodes(plain, edited)
    if opcodes is None:
        if len(plain) > _DIFF_LIMIT:
            return None
        matcher = difflib.SequenceMatcher(None, plain, edited, autojunk=False)
        opcodes = [(op, i1, i2, j1, j2) for op, i1, i2, j1, j2 in matcher.get_opcodes()]
    for op, i1, i2, j1, j2 in _refined(opcodes, plain, edited):
        if op == "equal":
            for k in range(i1, i2):
                if owner[k] >= 0:
                    texts[owner[k]].append(plain[k])
            continue
        if any(owner[k] < 0 for k in range(i1, i2)):
            return None
        new = edited[j1:j2]
        if not new:
            continue
        if i2 > i1:
            target = owner[i1]
        elif i1 < len(plain) and owner[i1] >= 0:
            target = owner[i1]  # an insertion joins the word after it
        elif i1 > 0 and owner[i1 - 1] >= 0:
            target = owner[i1 - 1]
        else:
            return None
        texts[target].append(new)
    return {i: "".join(parts) for i, parts in texts.items()}


def _refined(
    opcodes: list[tuple[str, int, int, int, int]], a: str, b: str
) -> list[tuple[str, int, int, int, int]]:
    """``opcodes`` with each change of more than one character split into the
    smallest changes (two nearby edits found as one region come apart, so each
    goes to the words it touches)."""
    out: list[tuple[str, int, int, int, int]] = []
    for op, i1, i2, j1, j2 in opcodes:
        if op == "equal" or max(i2 - i1, j2 - j1) <= 1:
            out.append((op, i1, i2, j1, j2))
            continue
        inner = difflib.SequenceMatcher(None, a[i1:i2], b[j1:j2], autojunk=False)
        out.extend(
            (sub, i1 + x1, i1 + x2, j1 + y1, j1 + y2) for sub, x1, x2, y1, y2 in inner.get_opcodes()
        )
    return out


_DIFF_LIMIT = 5000
"""Longest text whose edit is aligned by :mod:`difflib` when the local
alignment fails (difflib is quadratic in the worst case)."""


def _local_opcodes(
    a: str, b: str, reach: int = 24, anchor: int = 8
) -> list[tuple[str, int, int, int, int]] | None:
    """``difflib``-style opcodes turning ``a`` into ``b`` for an edit made of
    small, local changes (a mark inserted, a letter's case, a space dropped), in
    linear time: after each difference, the shortest skip in ``a`` and ``b``
    (at most ``reach`` characters in all) after which ``anchor`` characters
    agree again. ``None`` when no such skip is found."""
    ops: list[tuple[str, int, int, int, int]] = []
    i = j = 0
    n, m = len(a), len(b)
    while True:
        i0, j0 = i, j
        while i < n and j < m and a[i] == b[j]:
            i += 1
            j += 1
        if i > i0:
            ops.append(("equal", i0, i, j0, j))
        if i == n and j == m:
            return ops
        found: tuple[int, int] | None = None
        for total in range(1, reach + 1):
            for di in range(total + 1):
                dj = total - di
                if i + di > n or j + dj > m:
                    continue
                size = min(anchor, n - i - di, m - j - dj)
                at_ends = i + di + size == n and j + dj + size == m
                if (size == anchor or at_ends) and a[i + di : i + di + size] == b[
                    j + dj : j + dj + size
                ]:
                    found = (di, dj)
                    break
            if found is not None:
                break
        if found is None:
            return None
        di, dj = found
        op = "replace" if di and dj else ("delete" if di else "insert")
        ops.append((op, i, i + di, j, j + dj))
        i += di
        j += dj
