"""Where replications run: in this process, in local worker processes, or on a Dask cluster.

Every executor takes the same picklable tasks and the same module-level function and yields results as
they finish; the experiment code does not know which one it has. Results never depend on the executor:
a replication's random numbers come from (root seed, replication) only, and outputs are assembled in
replication order, whatever order replications finish in.

Local worker processes are started with the ``spawn`` method (the same on Linux, macOS and Windows, and
safe with threads). A Dask cluster's workers must see the output directory (a shared filesystem) and be
able to import this package.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, Protocol


class ExecutorError(RuntimeError):
    """The executor itself could not be used (e.g. no Dask scheduler at the address): a user error."""


class Executor(Protocol):
    name: str
    workers: int
    supports_progress_queue: bool

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[Any, Any]]:
        """Yield (task, result) as tasks finish; result is the function's return or the exception raised."""
        ...

    def close(self) -> None: ...


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class WorkerCrash(RuntimeError):
    """A worker process died (killed, out of memory) while running a task."""


class LocalExecutor:
    """Serial in this process when ``workers == 1``, else a pool of spawned worker processes."""

    supports_progress_queue = True

    def __init__(self, workers: int | None = None) -> None:
        self.workers = default_workers() if workers is None else max(1, int(workers))
        self.name = "serial" if self.workers == 1 else f"processes({self.workers})"
        self._pool: ProcessPoolExecutor | None = None

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[Any, Any]]:
        if self.workers == 1 or len(tasks) <= 1:
            for task in tasks:
                try:
                    result = fn(task)
                except Exception as exc:  # reported per task; KeyboardInterrupt still stops the run
                    result = exc
                yield task, result
            return
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(os.getpid(),),
            )
        pending: dict[Future, Any] = {self._pool.submit(fn, task): task for task in tasks}
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    task = pending.pop(future)
                    try:
                        result = future.result()
                    except Exception as exc:
                        result = exc if not _is_broken_pool(exc) else WorkerCrash(f"worker process died: {exc}")
                    yield task, result
        except BaseException:  # Ctrl-C in the parent: stop the workers now rather than wait for them
            self.abort()
            raise
        finally:
            for future in pending:
                future.cancel()

    def abort(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        processes = list((getattr(pool, "_processes", None) or {}).values())  # no public way to stop a running task
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=5)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


PARENT_POLL_SECONDS = 0.5
EXIT_PARENT_GONE = 3


def _init_worker(parent: int) -> None:
    """Set up a local worker process: it ignores Ctrl-C and exits when its parent has gone.

    Ctrl-C is left to the parent, which stops the workers (otherwise each would print a traceback). If the
    parent is killed outright (SIGKILL, out of memory) nothing stops the workers, which would finish their
    replication and then wait for more work for ever: a watcher thread ends the worker at once instead.
    What it leaves is a replication without ``stats.json``, which ``run --resume`` runs again.
    """
    import signal
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent,), name="exit-with-parent", daemon=True).start()


def _exit_with_parent(parent: int, interval: float = PARENT_POLL_SECONDS) -> None:
    """Poll the parent's pid: a process whose parent dies is adopted by another, so ``getppid`` changes."""
    import time

    while os.getppid() == parent:
        time.sleep(interval)
    os._exit(EXIT_PARENT_GONE)


def _is_broken_pool(exc: BaseException) -> bool:
    from concurrent.futures.process import BrokenProcessPool

    return isinstance(exc, BrokenProcessPool)


class DaskExecutor:
    """Send tasks to a Dask distributed scheduler (``tcp://host:8786``) or an existing ``Client``."""

    supports_progress_queue = False

    def __init__(self, address: Any) -> None:
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise ExecutorError("--scheduler needs the 'distributed' package: pip install distributed") from exc
        if isinstance(address, Client):
            self.client, self._own = address, False
        else:
            try:
                self.client, self._own = Client(address, timeout="10s"), True
            except (OSError, TimeoutError, ValueError) as exc:
                raise ExecutorError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        self.workers = max(1, sum(self.client.nthreads().values()))
        self.name = f"dask({self.client.scheduler.address})"

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[Any, Any]]:
        from distributed import as_completed

        futures = {self.client.submit(fn, task, pure=False): task for task in tasks}
        try:
            for future in as_completed(list(futures)):
                task = futures[future]
                try:
                    result = future.result()
                except Exception as exc:
                    result = exc
                yield task, result
        finally:
            for future in futures:
                future.cancel()

    def abort(self) -> None:
        self.close()

    def close(self) -> None:
        if self._own:
            self._own = False  # closed once, however many times it is asked
            self.client.close()


def make_executor(workers: int | None = None, scheduler: str | None = None) -> Executor:
    if scheduler:
        return DaskExecutor(scheduler)
    return LocalExecutor(workers)


def describe_exception(exc: BaseException) -> tuple[str, str]:
    """(one-line message, full traceback text) of an exception from any executor."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    cause = exc.__cause__
    if cause is not None and type(cause).__name__ == "_RemoteTraceback":
        text = str(cause) + "\n" + text
    return f"{type(exc).__name__}: {exc}", text
