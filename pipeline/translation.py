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
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from .catalog import records
from .catalog.catalog import State
from .config import Config
from .lang import get as get_language
from .mt.base import Engine, check_pair
from .mt.cache import MTCache, translate_with_cache
from .project import BookSession
from .report import Report, Reporter
from .source.inline import decode_output, edit_words, encode, spans_to_align

log = logging.getLogger(__name__)

__all__ = ["pivot_texts", "routes", "translate_catalog"]


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


def translate_catalog(
    session: BookSession,
    lang: str,
    engine: Engine,
    cache: Callable[[], MTCache],
    *,
    force: bool,
    reporter: Reporter,
    report: Report,
) -> None:
    """Fill the ``lang`` catalogue of ``session`` with machine translations of the
    segments that need one (with ``force``, of every unreviewed segment).

    ``cache`` opens the machine-translation cache when there is work to do; an
    engine that lacks the language pair fails here, before anything is sent."""
    doc, cat = session.doc, session.catalog(lang)
    todo = cat.needs_machine(force)
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
    if not todo:
        return
    config = session.config
    check_pair(engine, config.pivot(lang), config.engine_code(lang))
    with session.nesting_guard():
        encoded = {
            sid: encode(pivots[sid][0] if pivots else doc.segment(sid).source, doc.env)
            for sid in todo
        }
    reporter.phase(f"Translating {session.book.id} into {lang}", len(todo))
    outputs, sent = translate_with_cache(
        engine,
        cache(),
        [encoded[sid].tagged for sid in todo],
        config.pivot(lang),
        config.engine_code(lang),
        force=force,
        progress=reporter.advance,
    )
    report.sent += sent
    report.cached += len(todo) - min(sent, len(todo))
    spans = _translate_spans(
        engine,
        cache(),
        {sid: spans_to_align(out, encoded[sid]) for sid, out in zip(todo, outputs, strict=True)},
        config.pivot(lang),
        config.engine_code(lang),
        force=force,
    )
    postedit = get_language(lang).postedit if getattr(engine, "postedit", True) else None
    for sid, output in zip(todo, outputs, strict=True):
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
        if done.problems:
            report.flagged += 1
            log.info("%s %s: %s", session.book.id, sid, "; ".join(done.problems))
        via = pivots[sid][1] if pivots else None
        cat.set_machine(
            sid, text, engine.name, engine.version, done.problems, via=via, unknown=done.unknown
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
