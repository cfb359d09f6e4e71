"""Log records of worker processes, shown by the process that started them.

A worker never prints: :func:`worker_logging` (a process pool's initializer)
sends its records to a queue, and :func:`records_relogged` hands each one to
the logger of the same name in the parent, while the workers run. The
parent's levels, handlers and format then decide what is shown, as if the
work had been done there: ``--quiet`` hides a worker's warnings, ``-v`` shows
its details, a progress display is not torn by a worker's line, and a test
that captures the parent's logs captures the workers' too. A worker that
starts workers of its own (a book's worker laying out PDF parts) relays their
records the same way, one queue further.
"""

from __future__ import annotations

import logging
import logging.handlers
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

__all__ = ["records_relogged", "relay_level", "relayed_pool", "worker_logging"]


def relay_level() -> int:
    """The level a worker sends records from: the lowest this process shows
    of pipeline's own (the parent filters each record again by its logger)."""
    return logging.getLogger("pipeline").getEffectiveLevel()


def worker_logging(queue: Any, level: int) -> None:
    """In a worker: send every log record at ``level`` or above to ``queue``,
    nothing to stderr."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(logging.handlers.QueueHandler(queue))
    root.setLevel(level)


class _Relog(logging.Handler):
    """Hands a worker's record to the logger of the same name in this process."""

    def emit(self, record: logging.LogRecord) -> None:
        logger = logging.getLogger(record.name)
        if logger.isEnabledFor(record.levelno):
            logger.handle(record)


@contextmanager
def records_relogged(queue: Any) -> Iterator[None]:
    """While the workers run, log the records they put on ``queue`` here; every
    record is handled by the time this exits."""
    listener = logging.handlers.QueueListener(queue, _Relog())
    listener.start()
    try:
        yield
    finally:
        listener.stop()
        queue.close()
        queue.join_thread()


@contextmanager
def relayed_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A pool of up to ``workers`` processes whose records are shown here.
    They are started with ``spawn``: this process may run a progress thread,
    which must not be forked."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    queue: Any = context.Queue()
    with (
        records_relogged(queue),
        ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=worker_logging,
            initargs=(queue, relay_level()),
        ) as pool,
    ):
        yield pool
