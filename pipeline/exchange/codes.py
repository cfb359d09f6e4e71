"""Inline codes: a segment's markup as the exchange formats show it.

XLIFF and TMX both write a segment as text and *codes* built from its encoded
source (:func:`pipeline.source.inline.encode`): a :class:`Code` is a pair of
delimiters around content (emphasis, strong, strikethrough, link, an image
and its description) or an atom (code span, autolink, inline HTML, entity,
hard break), and holds the Markdown it stands for. Numbers, which the engines
see as placeholders, are text: translators handle numbers.

A code keeps the id the encoder gave it (``g1``, ``x2``). A translation's
codes take the ids of the source's (:func:`align_target`); markup only the
translation has gets ``t1``, ``t2``…
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..source.inline import WORD_KINDS, Atom, Encoded, Pair, Text, encode

__all__ = [
    "Code",
    "Item",
    "align_target",
    "highest_number",
    "source_items",
    "source_number",
    "without_numbers",
]


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


def source_items(enc: Encoded) -> list[Item]:
    """A segment's encoded source as text and codes (numbers are text)."""
    return _items(enc.tree, lambda node, shown: node.pid)


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
            if isinstance(node, Atom) and node.kind not in WORD_KINDS:
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


def source_number(code_id: str) -> int | None:
    """The number of a source placeholder id (``g3`` → 3); ``None`` for target-only ids."""
    if code_id[:1] in {"g", "x"} and code_id[1:].isdigit():
        return int(code_id[1:])
    return None


def highest_number(items: Sequence[Item]) -> int:
    """The highest :func:`source_number` among the codes of ``items`` (0 if none)."""
    best = 0
    for item in items:
        if isinstance(item, Code):
            best = max(best, source_number(item.id) or 0, highest_number(item.children))
    return best


def without_numbers(enc: Encoded) -> Encoded:
    """The encoded source with its number placeholders turned back into text.

    The exchange formats show numbers as text, so
    :func:`~pipeline.source.inline.decode` must not expect (and append) them
    when it reads a translation back.
    """

    def strip(nodes: Sequence[Any]) -> list[Any]:
        out: list[Any] = []
        for node in nodes:
            if isinstance(node, Atom) and node.kind in WORD_KINDS:
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


# --------------------------------------------------------------------------- building


def _add_text(out: list[Item], text: str) -> None:
    if not text:
        return
    if out and isinstance(out[-1], str):
        out[-1] += text
    else:
        out.append(text)


def _items(nodes: Sequence[Any], pid_of: Callable[[Atom | Pair, str], str]) -> list[Item]:
    """An encoded tree as text and codes (numbers are text); ``pid_of`` gives
    each code its id, from the element and the Markdown it shows."""
    out: list[Item] = []
    for node in nodes:
        if isinstance(node, Text):
            _add_text(out, node.text)
        elif isinstance(node, Atom):
            if node.kind in WORD_KINDS:
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
