"""The machine-translation cache: SQLite, so a rebuild translates only what is new.

One row per (engine, engine version, source language, target language, source
text, context) → machine output. A new engine version misses the cache, so its
output is never mixed with the old one's; so does a new
:attr:`~pipeline.mt.base.Engine.output_revision` (a change in how pipeline
drives the same engine), see :func:`cache_version`. The context is what else the output
depends on: the glossary entries applied to the text (``glossary 1a2b3c…``,
see :attr:`pipeline.mt.glossary.Protected.key`), empty when none, so a
glossary change misses the cache for the texts it touches. It is only a
cache: deleting the file loses nothing a person did, so a damaged file is
moved aside and rebuilt.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from ..errors import EngineError, OutputError
from .base import Engine

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 2
"""Stored in ``PRAGMA user_version``; a file of version 1 (no context column)
is migrated, one with another version rebuilt."""

QUERY_CHUNK = 500
"""Texts looked up per ``IN (…)`` query (SQLite limits bound parameters)."""

TRANSLATE_CHUNK = 1000
"""Texts sent to the engine per call in :func:`translate_with_cache`.

Apertium splits a chunk over one process per core (about 0.25 s to start,
then ~2.5 ms per paragraph): 1000 texts keep that start-up cost small while
the progress bar still moves every few seconds, and each finished chunk is
stored at once, so an interrupted run keeps its work. Two chunks are
translated at once (``ApertiumEngine.concurrent_calls``), so the end of one
call, when its pipeline drains, does not leave a core idle.
"""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS translation (
    engine TEXT NOT NULL,
    engine_version TEXT NOT NULL,
    source_lang TEXT NOT NULL,
    target_lang TEXT NOT NULL,
    source_text TEXT NOT NULL,
    target_text TEXT NOT NULL,
    created TEXT NOT NULL,
    context TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (engine, engine_version, source_lang, target_lang, source_text, context)
)
"""
_MIGRATE_V1 = (
    "ALTER TABLE translation RENAME TO translation_v1",
    _SCHEMA,
    "INSERT INTO translation (engine, engine_version, source_lang, target_lang, source_text, "
    "target_text, created) SELECT engine, engine_version, source_lang, target_lang, "
    "source_text, target_text, created FROM translation_v1",
    "DROP TABLE translation_v1",
    f"PRAGMA user_version = {SCHEMA_VERSION}",
)
"""Statements that turn a version 1 cache (no context column) into version 2, keeping its rows."""
# Error names (and extended names) meaning "damaged, or not a database at all".
_DAMAGED = ("SQLITE_NOTADB", "SQLITE_CORRUPT")
_T = TypeVar("_T")


_BUSY_WAIT = 30.0
"""Seconds to wait for another process holding the cache's lock."""


class MTCache:
    """An SQLite file mapping source texts to an engine's translations.

    Usable as a context manager; :meth:`close` is also safe to call twice.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        """The cache file; its parent directories are created."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._unwritable(exc) from exc
        self._conn: sqlite3.Connection | None = None
        self._guard(self._open)

    def get_many(
        self,
        engine: str,
        version: str,
        source: str,
        target: str,
        texts: Iterable[str],
        context: str = "",
    ) -> dict[str, str]:
        """Return ``{source text: translation}`` for the texts in the cache (hits
        only), made in ``context`` (see the module documentation)."""
        unique = list(dict.fromkeys(texts))

        def query() -> dict[str, str]:
            conn = self._connection()
            hits: dict[str, str] = {}
            for start in range(0, len(unique), QUERY_CHUNK):
                chunk = unique[start : start + QUERY_CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(
                    "SELECT source_text, target_text FROM translation WHERE engine = ? AND "
                    "engine_version = ? AND source_lang = ? AND target_lang = ? AND "
                    f"context = ? AND source_text IN ({marks})",
                    (engine, version, source, target, context, *chunk),
                )
                hits.update(rows)
            return hits

        return self._guard(query)

    def put_many(
        self,
        engine: str,
        version: str,
        source: str,
        target: str,
        pairs: Iterable[tuple[str, str]],
        context: str = "",
    ) -> None:
        """Store (source text, translation) pairs made in ``context``, replacing
        older entries for the same key."""
        created = datetime.now(UTC).isoformat(timespec="seconds")
        rows = [(engine, version, source, target, src, tgt, created, context) for src, tgt in pairs]
        if not rows:
            return

        def store() -> None:
            conn = self._connection()
            with conn:
                conn.executemany(
                    "INSERT OR REPLACE INTO translation VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows
                )

        self._guard(store)

    def close(self) -> None:
        """Close the database file."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> MTCache:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _connection(self) -> sqlite3.Connection:
        """The open connection; reopened if :meth:`close` was called."""
        if self._conn is None:
            self._open()
        assert self._conn is not None
        return self._conn

    def _open(self) -> None:
        """Connect, switch to WAL and create the table (reads the file, so damage shows)."""
        conn = sqlite3.connect(self.path, timeout=_BUSY_WAIT)
        try:
            found = conn.execute("PRAGMA user_version").fetchone()[0]
            if found == 1:
                _migrate_v1(conn)
                found = SCHEMA_VERSION
            if found not in (0, SCHEMA_VERSION):
                conn.close()
                logger.warning("MT cache %s has schema %s; rebuilding it", self.path, found)
                self._remove_files()
                conn = sqlite3.connect(self.path, timeout=_BUSY_WAIT)
            _while_busy(lambda: conn.execute("PRAGMA journal_mode = WAL"))
            conn.execute("PRAGMA synchronous = NORMAL")
            with conn:
                conn.execute(_SCHEMA)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    def _guard(self, action: Callable[[], _T]) -> _T:
        """Run ``action``; rebuild a damaged file once and retry; map other errors."""
        try:
            try:
                return action()
            except sqlite3.DatabaseError as exc:
                if not str(getattr(exc, "sqlite_errorname", "")).startswith(_DAMAGED):
                    raise
                logger.warning(
                    "MT cache %s is damaged (%s); moving it aside and starting a new one",
                    self.path,
                    exc,
                )
                self.close()
                self._move_aside()
                self._open()
                return action()
        except (sqlite3.OperationalError, OSError) as exc:
            raise self._unwritable(exc) from exc

    def _move_aside(self) -> None:
        """Rename the damaged file to ``<name>.corrupt`` (replacing an older one)."""
        aside = self.path.with_name(self.path.name + ".corrupt")
        with contextlib.suppress(FileNotFoundError):
            os.replace(self.path, aside)
        self._remove_files(main=False)

    def _remove_files(self, *, main: bool = True) -> None:
        """Delete the database file (if ``main``) and its WAL and shared-memory files."""
        names = [self.path.name] if main else []
        names += [self.path.name + "-wal", self.path.name + "-shm"]
        for name in names:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path.with_name(name))

    def _unwritable(self, exc: Exception) -> OutputError:
        """The error for a cache file that cannot be created, read or written."""
        reason = getattr(exc, "strerror", None) or str(exc)
        return OutputError(
            f"cannot use the MT cache: {reason}",
            path=self.path,
            hint="check that its directory is writable and no other run holds it; "
            "deleting the file is safe, it is only a cache",
        )


def _migrate_v1(conn: sqlite3.Connection) -> None:
    """Add the context column to a version 1 cache, keeping its rows (once,
    when two processes open it at the same time)."""
    level = conn.isolation_level
    conn.isolation_level = None  # transactions by hand: the DDL must be in one
    try:
        _while_busy(lambda: conn.execute("BEGIN IMMEDIATE"))
        try:
            if conn.execute("PRAGMA user_version").fetchone()[0] == 1:
                for statement in _MIGRATE_V1:
                    conn.execute(statement)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    finally:
        conn.isolation_level = level


def _while_busy(action: Callable[[], object], wait: float = _BUSY_WAIT) -> None:
    """Run ``action`` until SQLite stops saying the database is locked (for at
    most ``wait`` seconds). Switching to WAL takes an exclusive lock without
    calling the busy handler, so two processes opening a new cache at once
    (books built in parallel) would otherwise fail at once."""
    deadline = time.monotonic() + wait
    delay = 0.01
    while True:
        try:
            action()
            return
        except sqlite3.OperationalError as exc:
            busy = str(getattr(exc, "sqlite_errorname", "")).startswith("SQLITE_BUSY")
            if not busy or time.monotonic() >= deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


def cache_version(engine: Engine) -> str:
    """The engine version the cache files outputs under: :attr:`Engine.version`,
    followed by `` (output N)`` once the engine's output revision is past 1."""
    revision = engine.output_revision
    return engine.version if revision <= 1 else f"{engine.version} (output {revision})"


def translate_with_cache(
    engine: Engine,
    cache: MTCache | None,
    texts: Sequence[str],
    source: str,
    target: str,
    *,
    force: bool = False,
    progress: Callable[[int], None] | None = None,
    chunk_size: int = TRANSLATE_CHUNK,
    contexts: Sequence[str] | None = None,
) -> tuple[list[str], int]:
    """Translate ``texts``, sending the engine only what the cache lacks.

    Returns the translations (one per text, in order) and how many texts were
    sent to the engine. A text repeated in ``texts`` is sent once; with
    ``force`` every text is sent again and the cache entries replaced. Texts go
    to the engine in chunks of ``chunk_size`` (see :data:`TRANSLATE_CHUNK`);
    each chunk's results are stored as soon as it is done, and ``progress`` is
    called with the number of input texts each step completed (cache hits
    first), summing to ``len(texts)``. ``cache`` may be ``None`` (no caching).
    ``contexts`` gives each text's context, a part of its cache key (the
    glossary entries applied to it; see the module documentation): the same
    text in two contexts is sent twice.
    """
    version = cache_version(engine)
    keys = list(contexts) if contexts is not None else [""] * len(texts)
    if len(keys) != len(texts):
        raise ValueError(f"{len(keys)} contexts for {len(texts)} texts")
    counts: dict[tuple[str, str], int] = {}
    for pair in zip(texts, keys, strict=True):
        counts[pair] = counts.get(pair, 0) + 1
    found: dict[tuple[str, str], str] = {}
    if cache is not None and not force:
        for context in dict.fromkeys(keys):
            wanted = [text for text, key in counts if key == context]
            hits = cache.get_many(engine.name, version, source, target, wanted, context)
            found.update(((text, context), out) for text, out in hits.items())
    if progress is not None and found:
        progress(sum(counts[pair] for pair in found))
    missing = [pair for pair in counts if pair not in found]
    chunks = list(_chunks(missing, max(1, chunk_size)))
    texts_of = [[text for text, _ in chunk] for chunk in chunks]
    with _calls(engine, source, target, texts_of) as done:
        for chunk, results in zip(chunks, done, strict=True):
            if len(results) != len(chunk):
                raise EngineError(
                    f"engine {engine.name!r} returned {len(results)} translations "
                    f"for {len(chunk)} texts",
                    hint="this is a bug in the engine; please report it",
                )
            found.update(zip(chunk, results, strict=True))
            if cache is not None:
                by_context: dict[str, list[tuple[str, str]]] = {}
                for (text, context), result in zip(chunk, results, strict=True):
                    by_context.setdefault(context, []).append((text, result))
                for context, pairs in by_context.items():
                    cache.put_many(engine.name, version, source, target, pairs, context)
            if progress is not None:
                progress(sum(counts[pair] for pair in chunk))
    return [found[pair] for pair in zip(texts, keys, strict=True)], len(missing)


@contextlib.contextmanager
def _calls(
    engine: Engine, source: str, target: str, chunks: list[list[str]]
) -> Iterator[Iterator[list[str]]]:
    """The engine's results for ``chunks``, in order.

    An engine whose :attr:`~pipeline.mt.base.Engine.concurrent_calls` is more
    than 1 (Apertium: each call is a separate process) gets that many chunks at
    once, so that no core waits while one call finishes; the others get one
    chunk at a time.
    """
    calls = engine.concurrent_calls
    if calls <= 1 or len(chunks) <= 1:
        yield (engine.translate(chunk, source, target) for chunk in chunks)
        return
    pool = ThreadPoolExecutor(max_workers=calls, thread_name_prefix="mt")
    try:
        yield pool.map(lambda chunk: engine.translate(chunk, source, target), chunks)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _chunks(items: list[_T], size: int) -> Iterator[list[_T]]:
    """Yield consecutive slices of ``items`` of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
