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
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from markdown_it.token import Token

from ..errors import ContentError
from ..mt import tagged
from .markdown import escape_closing_hashes, md, plain_text, private_env

__all__ = ["Atom", "Encoded", "Pair", "decode", "encode"]


@dataclass(slots=True)
class Atom:
    """Markup that is kept whole: code span, image, autolink, inline HTML, break."""

    pid: str
    """Placeholder id (``x3``)."""
    kind: str
    """Token kind (``code_inline``, ``image``, ``autolink``, ``html_inline``, ``hardbreak``…)."""
    src: str
    """Exact Markdown source of the element."""
    hint: str = ""
    """Words shown to the engine in its place (code, alt text). Only an image's
    is used in output: its translation becomes the image's description."""
    label: str = ""
    """An image's description as written (``![label](url)``)."""


@dataclass(slots=True)
class Pair:
    """Markup around translatable words: emphasis, strong, strikethrough, link."""

    pid: str
    """Placeholder id (``g1``)."""
    kind: str
    """``em``, ``strong``, ``s`` or ``link``."""
    open: str
    """Opening source (``*``, ``**``, ``[``)."""
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


def _span(token: Token, src: str) -> str:
    start, end = token.meta.get("span", (0, 0))
    return src[start:end]


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
        elif kind in {"em_open", "strong_open", "s_open", "link_open"}:
            opener = _span(tok, src) if kind == "link_open" else tok.markup
            pair = Pair(new_id("g"), kind[:-5], opener, "")
            out.append(pair)
            stack.append((pair, pair.children))
            open_tokens.append(tok)
        elif kind in {"em_close", "strong_close", "s_close", "link_close"} and len(stack) > 1:
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
        elif kind == "html_inline":
            out.append(Atom(new_id("x"), kind, tok.content))
        else:
            out.append(Atom(new_id("x"), kind, _span(tok, src) or tok.content))
        i += 1
    return root


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
    tokens = md().inline.parse(source, md(), private_env(env, source), [])
    ids = [0]
    tree = _protect_numbers(_tree(tokens, source, ids), ids)
    enc = Encoded("", tree, {}, {}, {})
    _walk(tree, None, enc)
    enc.tagged = tagged.write(_wire(tree))
    enc.html_allowed = frozenset(a.src for a in enc.atoms.values() if a.kind == "html_inline")
    return enc


# --------------------------------------------------------------------------- decoding


def _read(translated: str, known: set[str]) -> tuple[list[Node], list[str]]:
    """An engine's tagged output as a tree of text and placeholder refs, and the
    problems found: markup the source does not have is dropped (its words kept)."""
    root: list[Node] = []
    stack: list[list[Node]] = [root]
    problems: list[str] = []
    for item in tagged.parse(translated):
        out = stack[-1]
        if isinstance(item, tagged.Text):
            _add_text(out, item.text)
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
            else:
                problems.append(f"engine added markup <{item.tag}>")
                stack.append(out)
        elif len(stack) > 1:
            stack.pop()
        else:
            problems.append(f"stray </{item.tag}> from engine")
    return root, problems


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


def _hoist_from_atoms(nodes: list[Node], atoms: Mapping[str, Atom], moved: list[str]) -> list[Node]:
    """An atom's content is only a hint, but placeholders an engine put inside
    it are real: move them out, right after the atom (their ids go to ``moved``).
    An image keeps the words of its hint: the translation of its description."""
    out: list[Node] = []
    for node in nodes:
        if isinstance(node, Ref):
            node.children = _hoist_from_atoms(node.children, atoms, moved)
            if node.pid in atoms:
                nested = [c for c in node.children if isinstance(c, Ref)]
                words = atoms[node.pid].kind == "image"
                node.children = [c for c in node.children if words and isinstance(c, Text)]
                out.append(node)
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


_ALWAYS = re.compile(r"([\\`*_\[\]<>&~])")
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
            self.line_start = atom.kind == "hardbreak"
            if atom.kind == "image":
                return _translated_image(atom, node.children)
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
        if self.star:
            delim_open = delim_close = "*" * len(pair.open)
            if pair.kind == "s":
                delim_open = delim_close = pair.open
        return lead + delim_open + stripped + delim_close + trail


def _shape(nodes: list[Node], enc: Encoded, drop_emphasis: bool) -> list[str]:
    out: list[str] = []
    for node in nodes:
        if isinstance(node, Ref):
            atom = enc.atoms.get(node.pid)
            if atom is not None:
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
    tokens = md().inline.parse(markdown, md(), private_env(env, markdown), [])
    out: list[str] = []
    skip_to_close = False
    for tok in tokens:
        if skip_to_close:
            skip_to_close = tok.type != "link_close"
            continue
        if tok.type == "link_open" and tok.markup == "autolink":
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
) -> tuple[str, list[str]]:
    """Turn an engine's tagged output into inline Markdown.

    Returns the Markdown and the problems found (placeholders doubled,
    missing, re-nested, or markup that had to be simplified). The result is
    always valid Markdown holding every code span, image and link of the
    source. ``block_start`` says whether the text starts a line of its own
    (a paragraph: ``1.`` or ``-`` there must be escaped) or follows a marker
    (an ATX heading or a table cell).
    """
    env = env or {}
    known = set(enc.atoms) | set(enc.pairs)
    read, read_problems = _read(translated, known)
    moved: list[str] = []
    tree = _hoist_from_atoms(read, enc.atoms, moved)
    problems = list(dict.fromkeys(read_problems))
    if moved:
        problems.append(
            f"placeholder(s) {', '.join(moved)} put inside an atom by the engine; moved out"
        )

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

    present = _present(tree)
    missing = [pid for pid in [*enc.atoms, *enc.pairs] if pid not in present]
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
            return result, problems
    problems.append("markup of the translation does not match the source")
    return result, problems


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
    """Turn an engine's tagged output into inline Markdown (see :func:`_decode`).

    Raises :class:`~pipeline.errors.ContentError` for markup nested too deeply.
    """
    with _nesting_guard():
        return _decode(translated, enc, env, block_start=block_start)


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
