"""The translate stage for one catalogue: machine-translate what is new.

Each segment is encoded (inline markup as placeholders), sent to the engine
through the machine-translation cache, decoded and checked, and stored as a
*machine* entry; entries a person wrote or approved are never touched. The
words of each emphasis and link the engine emptied, doubled or dropped are
then translated alone, so that decoding can put the markup back on its words;
the target language's post-editing (Spanish ``¿``, capitals…) is applied to
the decoded text, and the words the engine did not know are recorded with the
entry.

A language with a pivot (``[languages.pt] via = "es"``) is translated from the
pivot's catalogue instead of the source: from the reviewed translation where
there is one, else from the machine one. Each entry records which (``via:``),
so when the pivot's text changes later, a machine translation made from it is
made again and a person's is marked as needing review.

The glossary is applied by the engine (:mod:`pipeline.mt.glossary`): its
terms are protected before the text is sent and put back as their target
after. Each machine entry records which glossary entries it was made with,
so a glossary change makes the machine entries it touches again (never a
person's). Through a pivot only the "never translate" entries apply (the
glossary's source terms are in the source language).

Before any of this, the translation memory (:mod:`pipeline.tm`) fills the
entries whose source a person already translated (in another book, or in an
imported TMX file): those never reach the engine.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable
from typing import TYPE_CHECKING

from .catalog import records
from .catalog.catalog import State
from .config import Config
from .lang import get as get_language
from .mt.base import Engine, check_pair
from .mt.cache import MTCache, translate_with_cache
from .mt.glossary import Protected, protect, restore
from .project import BookSession
from .qa.glossary import Glossary
from .report import Report, Reporter
from .source.inline import decode_output, edit_words, encode, spans_to_align
from .tm.memory import ENGINE as MEMORY_ENGINE

if TYPE_CHECKING:
    from .tm import Memory

log = logging.getLogger(__name__)

__all__ = ["engine_glossary", "pivot_texts", "routes", "translate_catalog"]


def pivot_texts(session: BookSession, lang: str) -> dict[str, tuple[str, str]] | None:
    """For a language made through a pivot: each segment's pivot text and the
    record of it (``es reviewed 1a2b3c…``), for the segments the pivot has
    translated; ``None`` for a language translated from the source."""
    via = session.config.pivot(lang)
    if via == session.config.source_lang:
        return None
    pivot = session.catalog(via)
    texts: dict[str, tuple[str, str]] = {}
    for seg in session.doc.segments:
        text = pivot.translation(seg.id)
        if not text:
            continue
        kind = "reviewed" if pivot.state(seg.id) is State.REVIEWED else "machine"
        texts[seg.id] = (text, f"{via} {kind} {records.digest(text)}")
    return texts


def _refresh(session: BookSession, lang: str, pivots: dict[str, tuple[str, str]]) -> list[str]:
    """Entries whose pivot text changed since they were made: the machine ones to
    translate again (returned), a person's ones marked as needing review."""
    cat = session.catalog(lang)
    again: list[str] = []
    for sid, (_text, record) in pivots.items():
        entry = cat.entry(sid)
        if entry.via is None or entry.via == record:
            continue
        if entry.state is State.MACHINE:
            again.append(sid)
        elif entry.state is State.REVIEWED:
            reason = f"the {record.split()[0]} text it was translated from changed"
            cat.pivot_changed(sid, record, reason)
            log.info("%s %s [%s]: %s", session.book.id, sid, lang, reason)
    return again


def _without_memory_matches(
    session: BookSession, lang: str, memory: Memory, todo: list[str]
) -> list[str]:
    """Pre-fill the entries the translation memory has (exact matches, as machine
    translations naming the memory); ``todo`` without them."""
    from .tm import fill_from_memory

    reused = set(fill_from_memory(session.catalog(lang), memory))
    if reused:
        log.info(
            "%s [%s]: %d segment(s) from the translation memory",
            session.book.id,
            lang,
            len(reused),
        )
    return [sid for sid in todo if sid not in reused]


def engine_glossary(session: BookSession, lang: str) -> Glossary:
    """The glossary entries the engine applies when translating into ``lang``:
    those for ``lang``, or through a pivot only the "never translate" ones."""
    config = session.config
    found = Glossary.find(config.content_dir, source_lang=config.source_lang).for_language(lang)
    return found if config.pivot(lang) == config.source_lang else found.kept_only()


def _glossary_changed(
    session: BookSession,
    lang: str,
    glossary: Glossary,
    pivots: dict[str, tuple[str, str]] | None,
) -> list[str]:
    """Machine entries whose recorded glossary entries differ from those that
    apply to their text now (a glossary change): to translate again."""
    cat, doc = session.catalog(lang), session.doc
    again: list[str] = []
    for sid in cat.ids():
        entry = cat.entry(sid)
        if entry.state is not State.MACHINE or (pivots is not None and sid not in pivots):
            continue
        if entry.engine and entry.engine.split(" ", 1)[0] == MEMORY_ENGINE:
            continue  # a reviewed translation from the memory, not the engine's
        text = pivots[sid][0] if pivots is not None else doc.segment(sid).source
        if entry.glossary is None and not glossary.matches(unicodedata.normalize("NFC", text)):
            continue  # quick: no term in the text, none recorded
        with session.nesting_guard(doc.segment(sid).line):
            now = protect(encode(text, doc.env).tagged, glossary, hint="source", lang=lang)
        if now.digest != entry.glossary:
            again.append(sid)
    return again


def translate_catalog(
    session: BookSession,
    lang: str,
    engine: Engine,
    cache: Callable[[], MTCache],
    *,
    force: bool,
    reporter: Reporter,
    report: Report,
    memory: Memory | None = None,
) -> None:
    """Fill the ``lang`` catalogue of ``session`` with machine translations of the
    segments that need one (with ``force``, of every unreviewed segment).

    ``cache`` opens the machine-translation cache when there is work to do; an
    engine that lacks the language pair fails here, before anything is sent.
    With a translation ``memory``, its exact matches come first (see
    :func:`pipeline.tm.fill_from_memory`) and are not sent to the engine."""
    doc, cat = session.doc, session.catalog(lang)
    todo = cat.needs_machine(force)
    if memory is not None:
        todo = _without_memory_matches(session, lang, memory, todo)
    pivots = pivot_texts(session, lang)
    if pivots is not None:
        stale = set(_refresh(session, lang, pivots))
        missing = [sid for sid in todo if sid not in pivots]
        if missing:
            log.warning(
                "%s [%s]: %d segment(s) wait for their %s translation",
                session.book.id,
                lang,
                len(missing),
                session.config.pivot(lang),
            )
        wanted = stale.union(todo)
        todo = [sid for sid in cat.ids() if sid in pivots and sid in wanted]
    glossary = engine_glossary(session, lang)
    if not force:
        changed = set(_glossary_changed(session, lang, glossary, pivots)).union(todo)
        todo = [sid for sid in cat.ids() if sid in changed]
    if not todo:
        return
    config = session.config
    check_pair(engine, config.pivot(lang), config.engine_code(lang))
    with session.nesting_guard():
        encoded = {
            sid: encode(pivots[sid][0] if pivots else doc.segment(sid).source, doc.env)
            for sid in todo
        }
    # The glossary, applied by the engine: terms protected here, restored below.
    terms: dict[str, Protected] = {
        sid: protect(encoded[sid].tagged, glossary, hint=engine.term_hint, lang=lang)
        for sid in todo
    }
    reporter.phase(f"Translating {session.book.id} into {lang}", len(todo))
    outputs, sent = translate_with_cache(
        engine,
        cache(),
        [terms[sid].tagged for sid in todo],
        config.pivot(lang),
        config.engine_code(lang),
        force=force,
        progress=reporter.advance,
        contexts=[terms[sid].key for sid in todo],
    )
    report.sent += sent
    report.cached += len(todo) - min(sent, len(todo))
    # The glossary's placeholders become the target terms before anything else.
    restored = {
        sid: restore(output, terms[sid], lang) for sid, output in zip(todo, outputs, strict=True)
    }
    spans = _translate_spans(
        engine,
        cache(),
        {sid: spans_to_align(restored[sid][0], encoded[sid]) for sid in todo},
        config.pivot(lang),
        config.engine_code(lang),
        force=force,
    )
    postedit = get_language(lang).postedit if engine.postedit else None
    for sid in todo:
        output, term_problems = restored[sid]
        block_start = doc.places[sid].prefix is not None
        with session.nesting_guard(doc.segment(sid).line):
            done = decode_output(
                output,
                encoded[sid],
                doc.env,
                block_start=block_start,
                span_translations=spans.get(sid),
            )
            text = done.text
            if postedit is not None:
                text = edit_words(text, postedit, doc.env, block_start=block_start)
        problems = [*term_problems, *done.problems]
        if problems:
            report.flagged += 1
            log.info("%s %s: %s", session.book.id, sid, "; ".join(problems))
        via = pivots[sid][1] if pivots else None
        cat.set_machine(
            sid,
            text,
            engine.name,
            engine.version,
            problems,
            via=via,
            glossary=terms[sid].digest,
            unknown=done.unknown,
        )


def _translate_spans(
    engine: Engine,
    cache: MTCache,
    wanted: dict[str, dict[str, str]],
    source: str,
    target: str,
    *,
    force: bool,
) -> dict[str, dict[str, str]]:
    """The engine's translation of the words of each emphasis and link in
    ``wanted`` (by segment, then placeholder id: the spans the engine's output
    emptied, doubled or dropped, see :func:`~pipeline.source.inline.spans_to_align`),
    translated alone: what decoding aligns to put the markup back on its words.
    Sent through the cache like the segments, in one batch; nothing is sent when
    the engine kept every span."""
    texts = list(dict.fromkeys(text for spans in wanted.values() for text in spans.values()))
    if not texts:
        return {}
    outputs, sent = translate_with_cache(engine, cache, texts, source, target, force=force)
    log.debug("%d span text(s) translated for alignment (%d sent)", len(texts), sent)
    found = dict(zip(texts, outputs, strict=True))
    return {sid: {pid: found[text] for pid, text in spans.items()} for sid, spans in wanted.items()}


def routes(config: Config) -> list[str]:
    """How each target language of a project is reached, one line each:
    ``en->es``, ``en->pt via es (engine es->pt)``."""
    lines = []
    for lang in config.translation_order(list(config.target_langs)):
        pivot, code = config.pivot(lang), config.engine_code(lang)
        hop = f"{pivot}->{code}"
        if pivot == config.source_lang:
            lines.append(hop if code == lang else f"{config.source_lang}->{lang} ({hop})")
        else:
            lines.append(f"{config.source_lang}->{lang} via {pivot} ({hop})")
    return lines
