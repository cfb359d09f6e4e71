"""Atomic, change-aware file writing; asking safely whether a file is there."""

from __future__ import annotations

import contextlib
import glob
import hashlib
import logging
import os
import tempfile
from collections.abc import Callable, Collection
from pathlib import Path

from .errors import OutputError

log = logging.getLogger(__name__)


def is_file(path: Path) -> bool:
    """``path.is_file()``, false for names the system refuses (too long, NUL)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def write_atomic(path: Path, data: bytes | str) -> bool:
    """Write ``data`` to ``path`` atomically (temp file + rename).

    Returns ``False`` without touching the file when it already holds exactly
    ``data``, so unchanged outputs keep their modification time. Raises
    :class:`OutputError` when the directory cannot be created or written.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        if path.is_file() and path.read_bytes() == payload:
            return False
    except OSError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_leftovers(path)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OutputError(
            f"cannot write {path}: {exc.strerror or exc}",
            path=path,
            hint="check that the directory exists and is writable",
        ) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OutputError(
            f"cannot write {path}: {exc.strerror or exc}",
            path=path,
            hint="check free disk space and permissions",
        ) from exc
    return True


def kept(path: Path | None, make: Callable[[], bytes]) -> bytes:
    """Bytes kept in the cache file ``path`` between runs: the file's when it
    holds them whole (they are kept after their SHA-256 digest, checked on
    reading; a file read is touched, as used), else ``make()``'s, then kept
    there. Without a ``path``, or where it cannot be written, ``make()``'s."""
    if path is not None:
        try:
            stored = path.read_bytes()
            check, data = stored[:32], stored[32:]
            if hashlib.sha256(data).digest() == check:
                with contextlib.suppress(OSError):
                    path.touch()
                return data
        except OSError:
            pass
    data = make()
    if path is not None:
        try:
            write_atomic(path, hashlib.sha256(data).digest() + data)
        except OutputError:  # a cache that cannot be written is no cache
            log.debug("cannot keep %s in %s", path.name, path.parent)
    return data


def tree_stamp(folder: Path, suffixes: Collection[str]) -> str:
    """A checksum that changes when a file of ``folder`` (and below) with one
    of ``suffixes`` is added, removed or written: of each one's path, size
    and modification time, as make tells (nothing is read)."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.suffix in suffixes and path.is_file():
            stat = path.stat()
            digest.update(
                f"{path.relative_to(folder)}:{stat.st_size}:{stat.st_mtime_ns}\0".encode()
            )
    return digest.hexdigest()


def _remove_leftovers(path: Path) -> None:
    """Delete temp files a killed earlier write of ``path`` left behind."""
    for leftover in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        with contextlib.suppress(OSError):
            leftover.unlink()
