"""The translate stage for one catalogue: machine-translate what is new.

Each segment is encoded (inline markup as placeholders), sent to the engine
through the machine-translation cache, decoded and checked, and stored as a
*machine* entry; entries a person wrote or approved are never touched.
"""

from __future__ import annotations

import logging

from .mt.base import Engine
from .mt.cache import MTCache, translate_with_cache
from .project import BookSession
from .report import Report, Reporter
from .source.inline import decode, encode

log = logging.getLogger(__name__)

__all__ = ["translate_catalog"]


def translate_catalog(
    session: BookSession,
    lang: str,
    engine: Engine,
    cache: MTCache,
    *,
    force: bool,
    reporter: Reporter,
    report: Report,
) -> None:
    """Fill the ``lang`` catalogue of ``session`` with machine translations of the
    segments that need one (with ``force``, of every unreviewed segment)."""
    doc, cat = session.doc, session.catalog(lang)
    todo = cat.needs_machine(force)
    if not todo:
        return
    with session.nesting_guard():
        encoded = {sid: encode(doc.segment(sid).source, doc.env) for sid in todo}
    reporter.phase(f"Translating {session.book.id} into {lang}", len(todo))
    outputs, sent = translate_with_cache(
        engine,
        cache,
        [encoded[sid].tagged for sid in todo],
        session.config.source_lang,
        lang,
        force=force,
        progress=reporter.advance,
    )
    report.sent += sent
    report.cached += len(todo) - min(sent, len(todo))
    for sid, output in zip(todo, outputs, strict=True):
        with session.nesting_guard(doc.segment(sid).line):
            text, problems = decode(
                output, encoded[sid], doc.env, block_start=doc.places[sid].prefix is not None
            )
        if problems:
            report.flagged += 1
            log.info("%s %s: %s", session.book.id, sid, "; ".join(problems))
        cat.set_machine(sid, text, engine.name, engine.version, problems)
