"""Phases 2-4 over a run's files: the per-file phase (load, classify, evaluate; and reading the context files'
object records for the workspace) in a process pool when the input is large enough to pay for it, else in this
process. Results come back in the files' order either way, so every later phase, and so every report, is
byte-identical to a serial run's.

The workers are forked from this process (`fork` start method), so the Engine (the compiled policies) and the config
reach them as they are, at no cost: no pickling, no second load of the policies. A platform without `fork` lints
serially. Standard input is read here, by this process, and its outcome takes its place in the order.

Nothing hangs and nothing is left behind: a worker that dies (killed, out of memory) ends the run with
WorkerStoppedError (an internal error, exit 3); an error a file raises in a worker is raised here as it would be in a
serial run; Ctrl-C, SIGTERM or any other exception stops the workers at once. Workers ignore SIGINT so only this
process sees Ctrl-C, and take SIGTERM's default action so stopping them is immediate.
"""

from __future__ import annotations

import gc
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO, NamedTuple, TypeVar

from gitops_tools import collector, interrupts
from gitops_tools.config import Config
from gitops_tools.discovery import SourceFile
from gitops_tools.engine import Engine
from gitops_tools.model import ObjectRecord
from gitops_tools.pipeline.evaluate import FileOutcome, collect_file, evaluate_file

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

# `--jobs auto` forks workers only from this many files on. Measured on the 2-core dev machine with the benchmark
# corpus (5 KB files, 5 documents each): starting and stopping two workers costs 25-70 ms (forking, the first result,
# the shutdown), and a file costs about 3 ms to evaluate, so two workers break even at about 25-50 files (25 files:
# 0.11 s pooled, 0.12 s serial, in-process). The threshold leaves a margin for a busy machine, where two workers get
# less than two cores: there, 200 files took 1.1 s pooled and 0.9 s serial.
AUTO_MIN_FILES = 100
CHUNK_FILES = 8  # files per task at most: fewer round trips, yet small enough that workers finish together
Result = TypeVar("Result")


class WorkerStoppedError(RuntimeError):
    """A worker process ended without an answer: a bug or the machine (killed, out of memory), never the input."""


class _Task(NamedTuple):
    """What every worker needs, inherited through fork: never pickled."""

    engine: Engine
    config: Config


_task: _Task | None = None  # set once in each worker process by the pool's initializer; never in the parent


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the platform says, else all of them)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def worker_count(jobs: int | None, files: int, cores: int) -> int:
    """How many processes read `files` files: `jobs` (None: auto), never more than there are files.

    Auto is one per core, and one (serial) below AUTO_MIN_FILES files or on one core."""
    if jobs is None:
        jobs = cores if files >= AUTO_MIN_FILES else 1
    return max(1, min(jobs, files))


def chunk_size(files: int, workers: int) -> int:
    """Files per task: up to CHUNK_FILES (fewer round trips), but at least four tasks a worker so they end together."""
    return max(1, min(CHUNK_FILES, files // (workers * 4)))


class Pool:
    """`workers` processes (1: this one) for one run's per-file work; a context manager that stops them on exit."""

    def __init__(self, engine: Engine, config: Config, workers: int) -> None:
        self.engine, self.config = engine, config
        self.workers = workers if workers > 1 and _can_fork() else 1
        self._executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> Pool:
        if self.workers > 1:
            from concurrent.futures import ProcessPoolExecutor
            from multiprocessing import get_context

            self._executor = ProcessPoolExecutor(self.workers, mp_context=get_context("fork"),
                                                 initializer=_start_worker, initargs=(_Task(self.engine, self.config),))
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._executor is not None:
            if error is None:
                self._executor.shutdown(wait=True)
            else:
                _stop(self._executor)

    def outcomes(self, sources: Sequence[SourceFile], stdin: BinaryIO | None) -> Iterator[FileOutcome]:
        """Each source's FileOutcome, in order."""
        if self._executor is None:
            return (_evaluate(self.engine, source, self.config, stdin) for source in sources)
        return self._merged(self._executor, sources, stdin)

    def records(self, context: Sequence[SourceFile]) -> Iterator[tuple[ObjectRecord, ...]]:
        """Each context file's object records, in order: read for the workspace, never evaluated."""
        if self._executor is None:
            return (_collect(self.engine, source, self.config) for source in context)
        return _pooled(self._executor, _collect_in_worker, context, chunk_size(len(context), self.workers))

    def _merged(self, executor: ProcessPoolExecutor, sources: Sequence[SourceFile],
                stdin: BinaryIO | None) -> Iterator[FileOutcome]:
        """The workers' outcomes with standard input's, evaluated here at its place."""
        files = [source for source in sources if source.path is not None]
        pooled = _pooled(executor, _evaluate_in_worker, files, chunk_size(len(files), self.workers))
        for source in sources:
            yield next(pooled) if source.path is not None else _evaluate(self.engine, source, self.config, stdin)


def _pooled(executor: ProcessPoolExecutor, work: Callable[[SourceFile], Result], files: Sequence[SourceFile],
            chunk: int) -> Iterator[Result]:
    from concurrent.futures.process import BrokenProcessPool

    try:
        with interrupts.held():  # the first task forks the workers; one lost in a fork would let the run go on
            results = executor.map(work, files, chunksize=chunk)
        yield from results
    except BrokenProcessPool as err:
        raise WorkerStoppedError("a lint worker process stopped without an answer (killed, or out of memory?); "
                                 "`--jobs 1` lints in one process") from err


def _can_fork() -> bool:
    from multiprocessing import get_all_start_methods

    return "fork" in get_all_start_methods()


def _stop(executor: ProcessPoolExecutor) -> None:
    """End the workers now, not after their current files: an interrupted run must not linger."""
    processes = list((executor._processes or {}).values())  # the executor has no public way before Python 3.14
    for process in processes:
        process.terminate()
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.join(timeout=5)


def _evaluate(engine: Engine, source: SourceFile, config: Config, stdin: BinaryIO | None) -> FileOutcome:
    with collector.paused():  # the file's trees are freed inside the pause: the collector never walks them
        return evaluate_file(engine, source, config, stdin)


def _collect(engine: Engine, source: SourceFile, config: Config) -> tuple[ObjectRecord, ...]:
    with collector.paused():
        return collect_file(engine, source, config)


def _start_worker(task: _Task) -> None:
    """In each new worker: keep the inherited task, leave Ctrl-C to the parent, die at once when stopped."""
    global _task  # the worker's own copy of what the parent built; no worker state besides it
    _task = task
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's handler raises, which a worker would swallow
    signal.pthread_sigmask(signal.SIG_UNBLOCK, interrupts.HELD_SIGNALS)  # forked while the parent held them
    gc.freeze()  # the inherited objects stay shared with the parent: the collector never writes to their pages


def _worker_task() -> _Task:
    if _task is None:
        raise WorkerStoppedError("a lint worker started without its task")
    return _task


def _evaluate_in_worker(source: SourceFile) -> FileOutcome:
    task = _worker_task()
    return _evaluate(task.engine, source, task.config, None)


def _collect_in_worker(source: SourceFile) -> tuple[ObjectRecord, ...]:
    task = _worker_task()
    return _collect(task.engine, source, task.config)

