"""One writer at a time: a cross-process lock per PO catalogue.

Every writer of ``content/<lang>/<book>.po`` — a build, ``pipeline review
approve`` and ``import``, the review page — holds :func:`catalog_lock` while
it reads the file it is about to change and writes it back, so that no writer
works from a copy another has replaced in between (see
:meth:`pipeline.catalog.catalog.Catalog.save`).

The lock is ``flock(2)`` on a lock file next to the catalogue
(``content/es/book.po.lock``). The kernel releases it when its holder exits,
killed or not, so a crashed writer never leaves a lock that blocks; the file
is removed when the lock is released and, while held, says who holds it (the
command, process id, host and start time) for the message another writer
shows when it gives up waiting. Within a process the lock is re-entrant for
the thread holding it and excludes the other threads (the review page serves
requests in threads).
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import fcntl
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import CatalogError

__all__ = ["DEFAULT_TIMEOUT", "TIMEOUT_ENV", "CatalogLocked", "catalog_lock", "lock_path"]

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0
"""Seconds a writer waits for the lock before giving up."""

TIMEOUT_ENV = "PIPELINE_LOCK_TIMEOUT"
"""Environment variable that overrides :data:`DEFAULT_TIMEOUT` (seconds)."""

_POLL = 0.02
"""Seconds between two attempts at the lock file."""


class CatalogLocked(CatalogError):
    """Another writer held the catalogue's lock for longer than the timeout."""

    def __init__(self, path: Path, holder: str, timeout: float) -> None:
        super().__init__(
            f"locked by {holder} for more than {timeout:g} s",
            path=path,
            hint="wait for it to finish and run this again; the lock goes away when it exits",
        )
        self.holder = holder
        """Who holds the lock, as its lock file describes them."""


def lock_path(catalog: Path) -> Path:
    """The lock file of the catalogue ``catalog`` (``book.po`` → ``book.po.lock``)."""
    return catalog.with_name(catalog.name + ".lock")


def default_timeout() -> float:
    """:data:`DEFAULT_TIMEOUT`, or the seconds in ``$PIPELINE_LOCK_TIMEOUT``."""
    value = os.environ.get(TIMEOUT_ENV, "").strip()
    if value:
        try:
            seconds = float(value)
        except ValueError:
            log.warning("ignoring %s=%r: not a number of seconds", TIMEOUT_ENV, value)
        else:
            if seconds >= 0:
                return seconds
    return DEFAULT_TIMEOUT


@contextlib.contextmanager
def catalog_lock(
    catalog: Path, *, timeout: float | None = None, purpose: str | None = None
) -> Iterator[None]:
    """Hold the lock of the catalogue ``catalog`` for the ``with`` block.

    Waits up to ``timeout`` seconds (default :func:`default_timeout`), then
    raises :class:`CatalogLocked` naming the holder. ``purpose`` describes
    this writer to others (default: the command line of this process).
    Re-entrant: a thread that holds the lock may take it again. Raises
    :class:`~pipeline.errors.CatalogError` when the lock file cannot be
    created.
    """
    wait = default_timeout() if timeout is None else timeout
    held = _process_lock(lock_path(catalog))
    held.acquire(catalog, wait, purpose)
    try:
        yield
    finally:
        held.release()


@dataclass(slots=True)
class _ProcessLock:
    """This process's hold on one lock file: a thread lock, then the file lock."""

    path: Path
    thread: threading.RLock
    depth: int = 0
    fd: int | None = None
    holder: str = ""

    def acquire(self, catalog: Path, timeout: float, purpose: str | None) -> None:
        deadline = time.monotonic() + timeout
        if not self.thread.acquire(timeout=max(timeout, 0.0)):
            raise CatalogLocked(catalog, self.holder or "another thread", timeout)
        try:
            if self.depth == 0:
                self.fd = self._lock_file(catalog, deadline, timeout)
                self.holder = _describe(purpose)
                _write_holder(self.fd, self.holder)
        except BaseException:
            self.thread.release()
            raise
        self.depth += 1

    def release(self) -> None:
        self.depth -= 1
        try:
            if self.depth == 0 and self.fd is not None:
                fd, self.fd, self.holder = self.fd, None, ""
                # Unlinked while still locked: whoever opened this file meanwhile sees,
                # once it has the lock, that the path no longer leads to it and retries.
                with contextlib.suppress(OSError):
                    os.unlink(self.path)
                os.close(fd)
        finally:
            self.thread.release()

    def _lock_file(self, catalog: Path, deadline: float, timeout: float) -> int:
        """Open and ``flock`` the lock file, polling until ``deadline``."""
        while True:
            fd = _open(self.path, catalog)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    os.close(fd)
                    raise CatalogError(
                        f"cannot lock the catalogue: {exc.strerror or exc}",
                        path=catalog,
                        hint=f"check that {self.path.parent} is writable",
                    ) from exc
                holder = _read_holder(fd)
                os.close(fd)
                if time.monotonic() >= deadline:
                    raise CatalogLocked(catalog, holder, timeout) from None
                time.sleep(_POLL)
                continue
            if _same_file(fd, self.path):
                return fd
            os.close(fd)  # the holder released and removed it meanwhile: take the new one


_registry_guard = threading.Lock()
_registry: dict[str, _ProcessLock] = {}


def _process_lock(path: Path) -> _ProcessLock:
    """The one :class:`_ProcessLock` of this process for the lock file ``path``."""
    key = os.path.join(os.path.realpath(path.parent), path.name)
    with _registry_guard:
        found = _registry.get(key)
        if found is None:
            found = _registry[key] = _ProcessLock(Path(key), threading.RLock())
        return found


def _open(path: Path, catalog: Path) -> int:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise CatalogError(
            f"cannot create the lock file {path.name}: {exc.strerror or exc}",
            path=catalog,
            hint=f"check that {path.parent} is writable",
        ) from exc


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (mine.st_dev, mine.st_ino) == (on_disk.st_dev, on_disk.st_ino)


def _describe(purpose: str | None) -> str:
    """``pipeline build (pid 4242 on host, since 2024-05-01T10:00:00+02:00)``."""
    what = " ".join((purpose or _command()).split())[:120]
    since = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    return f"{what} (pid {os.getpid()} on {socket.gethostname()}, since {since})"


def _command() -> str:
    """This process's command line, ``pipeline`` for ``python -m pipeline``."""
    argv = list(sys.argv) or ["python"]
    program = Path(argv[0]).name
    if program in ("__main__.py", "pipeline", "") or argv[0].endswith("pipeline/__main__.py"):
        program = "pipeline"
    return " ".join([program, *argv[1:]])


def _write_holder(fd: int, holder: str) -> None:
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
        os.pwrite(fd, (holder + "\n").encode("utf-8"), 0)


def _read_holder(fd: int) -> str:
    try:
        data = os.pread(fd, 1000, 0)
    except OSError:
        data = b""
    text = " ".join(data.decode("utf-8", "replace").split())
    return text or "another process (starting up)"
