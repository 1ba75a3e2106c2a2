"""Executors: where the runs of a replication set or a sweep are computed.

Every executor takes a top-level function and a list of tasks and yields ``(index, result)``
pairs as the runs finish, in whatever order they finish; callers key the results by index, so
the final table is the same whichever executor computed it. A run's result depends only on its
task (scenario and seed), never on the process, the machine or the order, hence results are
bit-identical across executors.

* :class:`SerialExecutor` — in this process, one run after the other.
* :class:`ProcessExecutor` — a ``concurrent.futures.ProcessPoolExecutor`` on the local cores
  (``spawn`` start method, so it behaves the same on every OS and never forks a threaded parent).
  If a worker process dies the pool breaks; the executor starts a new pool and resubmits only
  the tasks that had not finished.
* :class:`DaskExecutor` — a Dask distributed cluster: an existing scheduler (``tcp://host:8786``)
  or a ``LocalCluster`` of N worker processes started for the occasion. Dask's scheduler already
  reschedules the tasks of a worker that dies; ``retries`` adds retries for tasks that raise.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol, TypeVar

__all__ = [
    "DaskExecutor",
    "Executor",
    "ProcessExecutor",
    "SerialExecutor",
    "WorkerLost",
    "make_executor",
]

T = TypeVar("T")
R = TypeVar("R")


class WorkerLost(RuntimeError):
    """A task kept killing its worker process and was given up after the allowed attempts."""


class Executor(Protocol):
    """Runs ``fn`` over tasks and yields ``(index, result)`` as each run finishes."""

    name: str

    def imap_unordered(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[tuple[int, R]]:
        """Yield ``(i, fn(tasks[i]))`` for every task, in completion order."""
        ...

    def close(self) -> None:
        """Release processes or cluster connections."""
        ...


class SerialExecutor:
    """Run every task in this process, in order (the reference for every other executor)."""

    name = "serial"

    def imap_unordered(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[tuple[int, R]]:
        """Yield ``(i, fn(tasks[i]))`` in task order."""
        for i, task in enumerate(tasks):
            yield i, fn(task)

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ProcessExecutor:
    """Run tasks on local worker processes; a dead worker costs only the unfinished tasks.

    Args:
        workers: number of processes (default: all local cores).
        max_attempts: how many times a task may be submitted when pools keep breaking.
    """

    name = "processes"

    def __init__(self, workers: int | None = None, max_attempts: int = 3) -> None:
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.workers = workers or os.cpu_count() or 1
        self.max_attempts = max_attempts
        self.restarts = 0
        self._pool: ProcessPoolExecutor | None = None

    def _new_pool(self) -> ProcessPoolExecutor:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=multiprocessing.get_context("spawn")
        )
        return self._pool

    def imap_unordered(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[tuple[int, R]]:
        """Yield ``(i, fn(tasks[i]))`` as runs finish; resubmit what a dead worker took down.

        Raises:
            WorkerLost: if a task was submitted ``max_attempts`` times and never finished.
        """
        pool = self._pool or self._new_pool()
        attempts = dict.fromkeys(range(len(tasks)), 1)
        running: dict[Future[R], int] = {pool.submit(fn, t): i for i, t in enumerate(tasks)}
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            broken: list[int] = []
            for future in done:
                i = running.pop(future)
                try:
                    result = future.result()
                except BrokenProcessPool:
                    broken.append(i)
                    continue
                yield i, result
            if broken:
                # A worker died: the pool is unusable and every unfinished future fails with it.
                # Those tasks are resubmitted on a fresh pool; finished ones are kept.
                lost = sorted(broken + list(running.values()))
                running.clear()
                for i in lost:
                    attempts[i] += 1
                    if attempts[i] > self.max_attempts:
                        raise WorkerLost(
                            f"task {i} was lost with its worker {self.max_attempts} times"
                        )
                self.restarts += 1
                pool = self._new_pool()
                running = {pool.submit(fn, tasks[i]): i for i in lost}

    def close(self) -> None:
        """Shut the pool down."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> ProcessExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DaskExecutor:
    """Run tasks on a Dask distributed cluster.

    Args:
        scheduler: address of a running scheduler, e.g. ``tcp://10.0.0.5:8786``.
        local_workers: start a ``LocalCluster`` with this many single-threaded worker
            processes instead (used when ``scheduler`` is None).
        retries: extra attempts for a task that raises (a task whose worker dies is
            rescheduled by the scheduler itself).

    Raises:
        ImportError: if ``dask[distributed]`` is not installed.
    """

    name = "dask"

    def __init__(
        self, scheduler: str | None = None, local_workers: int | None = None, retries: int = 2
    ) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ImportError(
                "the Dask executor needs dask[distributed]: pip install 'fleetsim[dask]'"
            ) from None

        self.retries = retries
        self._cluster: Any = None
        self.client: Any
        if scheduler is not None:
            self.client = Client(scheduler)
        else:
            # One thread per worker: a simulation holds the GIL, threads would only queue.
            self._cluster = LocalCluster(
                n_workers=local_workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            self.client = Client(self._cluster)

    def imap_unordered(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[tuple[int, R]]:
        """Yield ``(i, fn(tasks[i]))`` as the cluster finishes them."""
        from distributed import as_completed

        futures = [self.client.submit(fn, task, pure=False, retries=self.retries) for task in tasks]
        index = {f.key: i for i, f in enumerate(futures)}
        for future in as_completed(futures):
            i = index[future.key]
            yield i, future.result()

    def close(self) -> None:
        """Close the client and, if this executor started it, the local cluster."""
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def make_executor(
    kind: str = "processes",
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    dask_local: int | None = None,
) -> SerialExecutor | ProcessExecutor | DaskExecutor:
    """Build an executor by name; a scheduler address or ``dask_local`` implies Dask.

    Args:
        kind: ``serial``, ``processes`` or ``dask``.
        workers: processes for ``processes`` (default: all cores).
        scheduler: Dask scheduler address.
        dask_local: worker processes of a Dask LocalCluster.

    Raises:
        ValueError: for an unknown kind.
    """
    if scheduler is not None or dask_local is not None or kind == "dask":
        return DaskExecutor(scheduler, dask_local)
    if kind == "serial":
        return SerialExecutor()
    if kind == "processes":
        return ProcessExecutor(workers)
    raise ValueError(f"unknown executor {kind!r}; use serial, processes or dask")
