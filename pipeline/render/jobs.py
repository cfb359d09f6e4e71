"""Lay out the slow formats (the PDFs) on every core, longest first.

WeasyPrint is single-threaded, so each file goes to a worker process of its
own; the caller gets each file's bytes, in this process, as soon as it is done
(to write it atomically and report progress). Workers of whole files are
started with ``spawn``, as the parent may run a progress thread, which must
not be forked; workers of PDF parts are forked from a forkserver that has
imported WeasyPrint once (:func:`part_pool`).

The workers' log records (WeasyPrint's warnings about the book, re-logged by
the renderers) come back to this process's loggers, so they are shown, counted
and captured as if the files had been laid out here; a worker never prints.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..worklog import records_relogged, relay_level, relayed_pool, worker_logging
from .registry import RenderContext, get

if TYPE_CHECKING:
    from .model import Edition

__all__ = [
    "PartPool",
    "RenderJob",
    "default_workers",
    "part_pool",
    "render_job",
    "report_pages",
    "run_jobs",
]


@dataclass(frozen=True, slots=True)
class RenderJob:
    """One file to lay out: ``edition`` in format ``fmt``, to be written to ``path``."""

    fmt: str
    """The format (a name of :func:`pipeline.render.registry.formats`)."""
    path: Path
    """Where the caller writes the file; :func:`run_jobs` does not write it."""
    edition: Edition
    """The edition to lay out."""
    html: str
    """The edition's HTML (:func:`pipeline.render.registry.render_html`)."""
    context: RenderContext
    """Base folder, date and layout options."""


def default_workers() -> int:
    """Worker processes by default: the number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def render_job(job: RenderJob) -> bytes:
    """The bytes of ``job``'s file, laid out in this process."""
    return get(job.fmt).render(job.edition, job.html, job.context)


def run_jobs(
    jobs: Sequence[RenderJob], *, workers: int, done: Callable[[RenderJob, bytes], None]
) -> None:
    """Lay out ``jobs`` and call ``done(job, data)`` in this process as each one finishes.

    With ``workers`` at most 1 (or a single job) the jobs run here, in order.
    Otherwise up to ``workers`` processes lay them out, the longest HTML first
    (the bilingual edition), so the shorter ones fill the other cores; the
    order of the ``done`` calls is then the order the jobs finish in. The
    bytes do not depend on ``workers``. The first error (a
    :class:`~pipeline.errors.RenderError`, or an exception of ``done``)
    cancels the jobs not yet started and is raised once the running ones end.
    """
    workers = min(workers, len(jobs))
    if workers <= 1:
        for job in jobs:
            done(job, render_job(job))
        return
    from concurrent.futures import as_completed

    ordered = sorted(jobs, key=lambda job: len(job.html), reverse=True)
    with relayed_pool(workers) as pool:
        futures = {pool.submit(render_job, job): job for job in ordered}
        try:
            for future in as_completed(futures):
                done(futures[future], future.result())
        except BaseException:
            for future in futures:
                future.cancel()
            raise


class PartPool:
    """Lays out parts of PDF editions (:mod:`pipeline.render.pdf_chapters`) in
    worker processes, or here.

    The processes are started only when two tasks or more wait at once: a
    rebuild that lays out one chapter of one edition does it in this process,
    as :func:`run_jobs` does with a single job.
    """

    def __init__(
        self,
        start: Callable[[], tuple[Any, Any]] | None = None,
        *,
        always: bool = False,
        workers: int = 1,
    ) -> None:
        self._start = start
        self._always = always
        self._workers = max(1, workers)
        self._executor: Any = None
        self._counts: Any = None
        self._waiting: list[tuple[int, int, Any, Callable[..., Any], tuple[Any, ...]]] = []
        self._submitted = 0
        self._pending: set[Any] = set()
        self._done: list[Any] = []
        self._real: list[Any] = []

    def submit(self, function: Callable[..., Any], *args: Any, priority: int = 0) -> Any:
        """Queue ``function(*args)`` (laying out or joining parts); returns its future.

        A task goes to a worker process only when one is free, the lowest
        ``priority`` first (then the first submitted): a task submitted later
        for the edition whose PDF takes longest does not wait behind the
        others' queued tasks."""
        from concurrent.futures import Future

        future: Future[Any] = Future()
        self._waiting.append((priority, self._submitted, future, function, args))
        self._submitted += 1
        return future

    def _dispatch(self) -> None:
        """Run what waits: here if it is one task and nothing else runs, else in
        processes, as many as there are free workers."""
        if not self._waiting:
            return
        self._waiting.sort(key=lambda item: (item[0], item[1]))
        if self._executor is None and (
            self._start is None or (len(self._waiting) == 1 and not self._always)
        ):
            waiting, self._waiting = self._waiting, []
            for _priority, _order, future, function, args in waiting:
                try:
                    future.set_result(function(*args))
                except BaseException as exc:
                    future.set_exception(exc)
                self._done.append(future)
            return
        if self._executor is None and self._start is not None:
            self._executor, self._counts = self._start()
        ended = {future for future in self._pending if future.done()}
        self._pending -= ended
        self._done.extend(ended)
        free = self._workers - len(self._pending)
        chosen, self._waiting = self._waiting[: max(0, free)], self._waiting[max(0, free) :]
        for _priority, _order, future, function, args in chosen:
            real = self._executor.submit(function, *args)
            self._real.append(real)
            real.add_done_callback(_copy_to(future))
            self._pending.add(future)

    def warm_up(self, count: int) -> None:
        """Start ``count`` worker processes now, each importing WeasyPrint, so
        that the first parts find them ready (a worker takes about a second and
        a half of CPU to start)."""
        if self._executor is None and self._start is not None:
            self._executor, self._counts = self._start()
        if self._executor is not None:
            for _ in range(count):
                self._executor.submit(_warm)

    def busy(self) -> bool:
        """Whether a part is being laid out, waits, or waits to be collected."""
        return bool(self._waiting or self._pending or self._done)

    def reports(self) -> list[tuple[str, int]]:
        """Page counts the workers reported since the last call: ``(key, pages)``."""
        import queue

        out: list[tuple[str, int]] = []
        while self._counts is not None:
            try:
                out.append(self._counts.get_nowait())
            except queue.Empty:
                break
        return out

    def finished(self, timeout: float = 0.05) -> list[Any]:
        """The futures done since the last call (waiting up to ``timeout`` seconds for one)."""
        from concurrent.futures import FIRST_COMPLETED, wait

        self._dispatch()
        if self._pending and not self._done:
            done, _ = wait(self._pending, timeout=timeout, return_when=FIRST_COMPLETED)
            self._pending -= done
            self._done.extend(done)
        out, self._done = self._done, []
        return out

    def cancel(self) -> None:
        """Cancel the parts not started yet."""
        self._waiting = []
        for future in self._real:
            future.cancel()


def _copy_to(target: Any) -> Callable[[Any], None]:
    """A callback giving ``target`` the outcome of the future it is called with."""

    def copy(source: Any) -> None:
        if target.done():
            return
        if source.cancelled():
            target.cancel()
        elif source.exception() is not None:
            target.set_exception(source.exception())
        else:
            target.set_result(source.result())

    return copy


@contextmanager
def part_pool(workers: int, *, always: bool = False) -> Iterator[PartPool]:
    """A :class:`PartPool` of up to ``workers`` processes (none when at most 1,
    unless ``always``: then every task goes to a process, even a lone one).

    Workers report each part's page count as soon as its layout is done, and
    their log records come back here, as :func:`run_jobs` has them.
    """
    workers = max(1, workers)
    if workers <= 1 and not always:
        yield PartPool()
        return
    from concurrent.futures import ProcessPoolExecutor

    context = _part_context()
    level = relay_level()
    with ExitStack() as stack:

        def start() -> tuple[Any, Any]:
            queue: Any = context.Queue()
            counts: Any = context.Queue()
            stack.enter_context(records_relogged(queue))
            executor = stack.enter_context(
                ProcessPoolExecutor(
                    max_workers=workers,
                    mp_context=context,
                    initializer=_part_worker,
                    initargs=(queue, level, counts),
                )
            )
            return executor, counts

        pool = PartPool(start, always=always, workers=workers)
        try:
            yield pool
        except BaseException:
            pool.cancel()
            raise


_PRELOAD = f"{__package__}.preload"
"""The module a part worker imports before its first part (by name: it imports
the part layout, which imports this module)."""


def _part_context() -> Any:
    """How part workers are started: forked from a server process that has
    imported WeasyPrint once (each spawned worker would import it again, about
    a second and a half of CPU), or spawned where there is no forkserver. The
    server is a fresh interpreter, so this process's threads are never forked."""
    import multiprocessing

    try:
        context = multiprocessing.get_context("forkserver")
    except ValueError:  # pragma: no cover - not on POSIX
        return multiprocessing.get_context("spawn")
    context.set_forkserver_preload([_PRELOAD])
    return context


def _warm() -> None:
    """In a part worker: import what laying out a part needs, as the forkserver
    does (:mod:`pipeline.render.preload`; a worker forked from it has it already)."""
    import importlib

    importlib.import_module(_PRELOAD)


_counts: Any = None
"""In a part worker: the queue :func:`report_pages` puts page counts on."""


def report_pages(key: str, pages: int) -> None:
    """In a part worker: tell the parent that the part ``key`` has ``pages`` pages
    (before it is drawn, so the parts after it can start). Does nothing elsewhere."""
    if _counts is not None:
        _counts.put((key, pages))


def _part_worker(queue: Any, level: int, counts: Any) -> None:
    """In a part worker: logging relayed (:func:`~pipeline.worklog.worker_logging`),
    page counts to ``counts``."""
    global _counts
    worker_logging(queue, level)
    _counts = counts
