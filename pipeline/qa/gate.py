"""QA over a book's catalogues, and the gate a final edition must pass.

:func:`run_qa` runs the checks of :mod:`pipeline.qa.checks` on every
translated segment of one catalogue; :func:`final_gate` refuses a final build
while anything is unreviewed or fails QA.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from ..catalog.catalog import Catalog, State
from ..errors import PublishError
from ..lang import get as get_language
from ..project import BookSession
from .cache import FindingCache, context_key
from .checks import CHECKS, check_segment
from .finding import Finding
from .glossary import Glossary

__all__ = ["Finding", "final_gate", "run_qa"]  # Finding: re-exported from .finding


def run_qa(session: BookSession, cat: Catalog) -> list[Finding]:
    """Run the QA checks on every translated segment of one catalogue.

    A ``# qa-skip: numbers, urls`` comment on an entry silences those checks
    for it (a reviewer's decision that a finding is a false alarm). The
    typographic style expected is the project's for the language
    (``[qa.<lang>]``, :meth:`pipeline.config.Config.qa_style`). With the
    ``native`` typography the renderer sets the target language's quotation
    marks itself (where the language has conventions), so the quotes the
    translation uses are not checked. Findings of segments checked before in
    the same context are read from :mod:`pipeline.qa.cache`.
    """
    config, doc = session.config, session.doc
    glossary = Glossary.find(config.content_dir, source_lang=config.source_lang)
    glossary = glossary.for_language(cat.lang)
    style = config.qa_style(cat.lang)
    always_skip: set[str] = set()
    if config.typography == "native" and get_language(cat.lang).typography is not None:
        always_skip = {c.id for c in CHECKS if c.typographic}
    # What every segment is checked against; the cache's key covers all of it.
    settings: dict[str, Any] = {
        "source_lang": config.source_lang,
        "target_lang": cat.lang,
        "env": doc.env,
        "glossary": glossary,
        "style": style,
    }
    context = context_key(**settings, checks=CHECKS, skip=always_skip)
    kept = FindingCache(
        config.cache_path.parent / "qa" / f"{session.book.id}.{cat.lang}.json", cat.lang
    )
    found: list[Finding] = []
    for seg in doc.segments:
        target = cat.translation(seg.id)
        if target is None:
            continue
        skip = set(always_skip)
        for note in cat.entry(seg.id).notes:
            key, _, value = note.partition(":")
            if key.strip() == "qa-skip":
                skip.update(v.strip() for v in value.split(",") if v.strip())
        key = FindingCache.key(context, seg.id, seg.source, target, skip)
        findings = kept.get(key, seg.id)
        if findings is None:
            with session.nesting_guard(seg.line):
                findings = check_segment(seg.id, seg.source, target, **settings, skip=skip)
            kept.put(key, findings)
        where = session.location(seg.line)
        found.extend(dataclasses.replace(f, book=session.book.id, location=where) for f in findings)
    kept.save()
    return found


def final_gate(sessions: Sequence[BookSession], langs: Sequence[str], strict: bool) -> None:
    """Refuse a final build while anything is unreviewed or fails QA (errors;
    with ``strict`` warnings too), listing the first problems."""
    blocking: list[str] = []
    unreviewed = 0
    failing = 0
    for session in sessions:
        for lang in langs:
            cat = session.catalog(lang)
            for seg in session.doc.segments:
                state = cat.state(seg.id)
                if state is not State.REVIEWED:
                    unreviewed += 1
                    blocking.append(
                        f"{session.location(seg.line)}: [{lang}] {seg.id} is {state.value}"
                    )
            for finding in run_qa(session, cat):
                if finding.fails(strict=strict):
                    failing += 1
                    blocking.append(str(finding))
    if blocking:
        shown = blocking[:20]
        if len(blocking) > len(shown):
            shown.append(f"… and {len(blocking) - len(shown)} more")
        raise PublishError(
            f"cannot build a final edition: {unreviewed} segment(s) not reviewed, "
            f"{failing} QA problem(s)",
            path=sessions[0].config.path if sessions else None,
            hint="review them (pipeline review list), or build a draft without --final",
            details=shown,
        )
