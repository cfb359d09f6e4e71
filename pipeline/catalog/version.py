"""The version of a catalogue entry: what tells that an entry changed.

The review page sends it with each save, and an XLIFF export records it in
each unit, so that a save or an import made against an older state of the
entry is noticed instead of overwriting newer work.
"""

from __future__ import annotations

import hashlib
import json

from .catalog import Entry

__all__ = ["entry_version"]


def entry_version(entry: Entry) -> str:
    """A short hash of everything a PO entry says except where it sits.

    Source, translation, state, previous source, provenance, QA problems,
    translator comments, approval, pipeline notes, pivot record and a merge
    conflict's other text all count;
    the line number and kind are left out, so that an edit elsewhere in the
    source (which moves lines) does not make every entry look changed.
    """
    data = [
        entry.id,
        entry.source,
        entry.translation,
        entry.state.value,
        entry.previous_source,
        entry.engine,
        list(entry.problems),
        list(entry.notes),
        entry.reviewer,
        entry.reviewed_at,
        entry.source_hash,
        entry.translator,
        list(entry.remarks),
        entry.via,
        entry.conflict,
    ]
    payload = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return hashlib.blake2b(payload, digest_size=8).hexdigest()
