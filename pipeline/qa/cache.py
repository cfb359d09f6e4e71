"""The findings of segments checked before, kept between runs.

QA reads every translated segment of a book on every build; a segment whose
source, translation and checking context (languages, glossary, style, the
document's link references, the checks and the pipeline's code) are the same
as last time has the same findings. They are kept in
``.pipeline-cache/qa/<book>.<lang>.json`` (safe to delete), one entry per
segment, and the file holds only the segments of the last run.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import OutputError
from ..fsutil import write_atomic
from ..stamps import code_stamp
from .checks import CHECKS_BY_ID, Check
from .finding import Finding

__all__ = ["FindingCache", "context_key"]

log = logging.getLogger(__name__)


def context_key(
    *,
    source_lang: str,
    target_lang: str,
    env: Mapping[str, Any] | None,
    glossary: Iterable[Any],
    style: Any,
    checks: Sequence[Check],
    skip: Iterable[str],
) -> str:
    """A checksum of what a segment's findings depend on besides its own texts.

    ``env`` counts by what a segment's parse reads of it: the link reference
    definitions and the footnote labels. The code counts by the size and time
    of the pipeline's files (:func:`~pipeline.stamps.code_stamp`).
    """
    notes = (env or {}).get("footnotes") or {}
    described = json.dumps(
        {
            "references": (env or {}).get("references", {}),
            "footnotes": notes.get("refs", {}),
        },
        sort_keys=True,
        default=repr,
    )
    text = "\0".join(
        [
            __version__,
            code_stamp(),
            source_lang,
            target_lang,
            described,
            repr(list(glossary)),
            repr(style),
            ",".join(c.id for c in checks),
            ",".join(sorted(skip)),
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()


class FindingCache:
    """The findings of one book's segments in one language, by segment key."""

    def __init__(self, path: Path, lang: str) -> None:
        self.path = path
        """The cache file."""
        self.lang = lang
        """The language of the translations checked."""
        self._old: dict[str, list[list[str]]] = {}
        self._new: dict[str, list[list[str]]] = {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict):
                self._old = data
        except (OSError, ValueError):
            pass

    @staticmethod
    def key(context: str, segment_id: str, source: str, target: str, skip: Iterable[str]) -> str:
        """The key of one segment's findings (``context``: :func:`context_key`)."""
        text = "\0".join([context, segment_id, source, target, ",".join(sorted(skip))])
        return hashlib.sha256(text.encode()).hexdigest()

    def get(self, key: str, segment_id: str) -> list[Finding] | None:
        """The findings kept under ``key``, ``None`` when there are none kept."""
        kept = self._old.get(key)
        if not isinstance(kept, list):
            return None
        findings: list[Finding] = []
        for item in kept:
            try:
                check_id, message = item
                chk = CHECKS_BY_ID[check_id]
            except (ValueError, TypeError, KeyError):
                return None
            findings.append(
                Finding(
                    lang=self.lang,
                    segment_id=segment_id,
                    severity=chk.severity,
                    check_id=chk.id,
                    title=chk.title,
                    message=str(message),
                )
            )
        self._new[key] = kept
        return findings

    def put(self, key: str, findings: Sequence[Finding]) -> None:
        """Keep ``findings`` under ``key``."""
        self._new[key] = [[f.check_id, f.message] for f in findings]

    def save(self) -> None:
        """Write the findings asked for or put since loading (only those), if
        they are not what the file holds already."""
        if self._new == self._old:
            return
        try:
            write_atomic(self.path, json.dumps(self._new, sort_keys=True, ensure_ascii=False))
        except OutputError:  # a cache that cannot be written is no cache
            log.debug("cannot keep QA findings in %s", self.path.parent)
