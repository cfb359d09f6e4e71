"""Put translations back into a document: the one way back.

:mod:`pipeline.source.markdown` takes a document apart into segments; this
module puts segments' texts back. :func:`translated_tokens` parses the
document's source afresh and replaces each segment's inline content by its
text, parsed as inline Markdown in the document's environment (so reference
links and footnotes still resolve); every other token stays as the source
made it. The editions (:mod:`pipeline.render.edition`) are built from what it
returns, and the round-trip tests check what it returns, so the path that is
tested is the path that ships.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .markdown import FILE_STARTS, Document, md

__all__ = ["Translated", "translated_tokens"]


@dataclass(slots=True)
class Translated:
    """A document's token stream with its segments' texts in place."""

    parser: MarkdownIt
    """The parser that made :attr:`tokens` (its renderer renders them)."""
    tokens: list[Token]
    """Block tokens of the document; a segment's ``inline`` token (at
    :attr:`Document.token_index`) holds the segment's text."""
    env: dict[str, Any]
    """markdown-it environment of this parse (link references, footnotes);
    rendering needs it."""
    shown: frozenset[str]
    """Ids of the segments shown in the text they were given (a text equal to
    the source counts); every other segment shows its source."""

    def render(self, tokens: Sequence[Token] | None = None) -> str:
        """HTML of ``tokens`` (a slice of :attr:`tokens`; all of them by default)."""
        chosen = self.tokens if tokens is None else list(tokens)
        return self.parser.renderer.render(chosen, self.parser.options, self.env)


def translated_tokens(
    doc: Document, texts: Mapping[str, str], *, doc_id: str | None = None
) -> Translated:
    """``doc`` with each segment's inline content replaced by its text in ``texts``.

    ``texts`` maps segment ids to inline Markdown; a segment without a text, or
    with a blank one, keeps its source. Every other text is parsed, even one
    equal to the source, so that what the round-trip tests check (the source
    given as its own translation) is the parse a real translation gets.
    Inline HTML that the segment's source does not have is shown as text,
    never as markup. ``doc_id`` is
    markdown-it's ``docId``: a prefix for footnote ids, so that two renderings
    of one document can share a page.
    """
    parser = md()
    tokens, env = _parsed(parser, doc)
    if doc_id is not None:
        env["docId"] = doc_id
    shown: set[str] = set()
    for seg in doc.segments:
        text = texts.get(seg.id)
        if text is None or not text.strip():
            continue
        shown.add(seg.id)
        inline = tokens[doc.token_index[seg.id]]
        allowed = {c.content for c in inline.children or [] if c.type == "html_inline"}
        notes = env.get("footnotes", {}).get("list", {})
        known = set(notes)
        children = _sanitise(parser.inline.parse(text, parser, env, []), allowed)
        _keep_inline_notes(inline.children or [], children, notes, known)
        inline.children = children
        inline.content = text
    _renumber_footnotes(tokens, parser, env)
    return Translated(parser, tokens, env, frozenset(shown))


_PARSES: dict[int, tuple[Document, str, bytes]] = {}
"""The last document parsed by :func:`_parsed`, its text and its parse, pickled."""


def _parsed(parser: MarkdownIt, doc: Document) -> tuple[list[Token], dict[str, Any]]:
    """A parse of ``doc``'s text of its own (tokens and environment), for the
    caller to change: an edition changes its tokens, and a build makes four
    editions of one document. The parse is made once and kept pickled; each
    caller gets a fresh copy (unpickling is several times quicker than
    parsing). A parse that cannot be pickled is made again for every caller.
    """
    kept = _PARSES.get(id(doc))
    if kept is not None and kept[0] is doc and kept[1] is doc.text:
        copy: tuple[list[Token], dict[str, Any]] = pickle.loads(kept[2])
        return copy
    env: dict[str, Any] = {FILE_STARTS: doc.env[FILE_STARTS]} if FILE_STARTS in doc.env else {}
    tokens = parser.parse(doc.text, env)
    try:
        blob = pickle.dumps((tokens, env), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # something in a token's meta that pickle cannot copy
        return tokens, env
    _PARSES.clear()  # one document at a time
    _PARSES[id(doc)] = (doc, doc.text, blob)
    return tokens, env


def _sanitise(children: list[Token], allowed: set[str]) -> list[Token]:
    """Prepare a translation's inline tokens for the renderer.

    Inline HTML that the source does not have is shown as text, not markup
    (a translation is text, whatever it contains), and escapes and entities
    become plain text as markdown-it's ``text_join`` core rule would do.
    """
    for child in children:
        if child.type == "html_inline" and child.content not in allowed:
            child.type = "text"
            child.tag = ""
        elif child.type == "text_special":
            child.type = "text"
    return children


def _keep_inline_notes(
    old: list[Token], new: list[Token], notes: dict[int, Any], known: set[int]
) -> None:
    """Point a translation's inline footnotes (``^[…]``) at the source's.

    Parsing the translation filed each of them as a new note, which the
    footnotes at the end of the edition (made from the source) do not have:
    the references take the source's notes, in order, and the new ones go.
    """
    inline_notes = [
        c.meta["id"]
        for c in old
        if c.type == "footnote_ref" and "tokens" in notes.get(c.meta["id"], {})
    ]
    for child in new:
        if child.type == "footnote_ref" and child.meta["id"] not in known and inline_notes:
            notes.pop(child.meta["id"], None)
            child.meta["id"] = inline_notes.pop(0)


def _renumber_footnotes(tokens: list[Token], parser: MarkdownIt, env: dict[str, Any]) -> None:
    """Number the references to each footnote again, in reading order, and give
    each footnote one back link per reference.

    Parsing a translation's inline text counts its footnote references on top
    of the source's (the translation would show ``[1:1]`` and link back to a
    reference that is no longer there); a translation may also hold fewer or
    more references than the source. The number of tokens stays the same, so
    the bilingual edition's rows still line up.
    """
    notes = env.get("footnotes", {}).get("list")
    if not notes:
        return
    counts: dict[int, int] = {}
    for token in tokens:
        for child in token.children or ():
            if child.type == "footnote_ref":
                number = child.meta["id"]
                child.meta["subId"] = counts.get(number, 0)
                counts[number] = child.meta["subId"] + 1
    for number, note in notes.items():
        note["count"] = counts.get(number, 0)
    # Each footnote's back links are a run of footnote_anchor tokens, one per
    # reference of the source (at least one). Where the count has changed, the
    # run's first token becomes the new back links (none for a note the
    # translation no longer refers to), the rest nothing.
    i = 0
    while i < len(tokens):
        if tokens[i].type != "footnote_anchor":
            i += 1
            continue
        number = tokens[i].meta["id"]
        end = i
        while end < len(tokens) and tokens[end].type == "footnote_anchor":
            end += 1
        wanted = counts.get(number, 0)
        if wanted != end - i:
            links = [tokens[i].copy(meta={**tokens[i].meta, "subId": n}) for n in range(wanted)]
            html = parser.renderer.render(links, parser.options, env)
            tokens[i] = Token("html_inline", "", 0, content=html)
            for j in range(i + 1, end):
                tokens[j] = Token("text", "", 0, content="")
        i = end
