"""Where replications run: in this process, in a process pool, or on a Dask cluster.

Every executor maps a picklable function over argument tuples and yields
``(index, result)`` pairs as tasks finish, in whatever order they finish. Callers
put results back in task order, so the outcome never depends on the executor.

Workers of a process pool ignore Ctrl-C: the main process handles it, stops
handing out work and waits for the replications under way to end. They die with
their parent, so a ``kill -9`` of the main process leaves no worker behind.
"""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.connection
import multiprocessing.forkserver
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any

from sim.experiments.errors import ExperimentError

Task = tuple
"""Positional arguments of one call."""

WORKER_MODULES = ("sim.experiments.tasks",)
"""What a replication needs imported (the engine, the analysis, pandas, SimPy): about
0.6 s of imports that workers load once, before the first task, not each for itself."""


class Executor:
    """Base of the executors: a context manager that maps a function over tasks.

    Attributes
    ----------
    description : str
        Where tasks run, for manifests (``"serial"``, ``"process pool, 2 jobs"`` …).
    """

    description = "serial"

    def map_unordered(
        self, fn: Callable[..., Any], tasks: Sequence[Task]
    ) -> Iterator[tuple[int, Any]]:
        """Yield ``(index, fn(*tasks[index]))`` for every task, in any order."""
        raise NotImplementedError

    def share(self, value: Any) -> Any:
        """``value`` as a task argument that reaches each worker once, not with every task.

        Pools send it with the tasks (a route plan pickles to tens of kB); Dask
        scatters it to every worker once.
        """
        return value

    def close(self) -> None:
        """Release workers and connections."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class SerialExecutor(Executor):
    """Run tasks one after another in this process."""

    def map_unordered(
        self, fn: Callable[..., Any], tasks: Sequence[Task]
    ) -> Iterator[tuple[int, Any]]:
        """Yield ``(index, fn(*task))`` for each task, in order."""
        for index, task in enumerate(tasks):
            yield index, fn(*task)


def _die_with_parent() -> None:
    """End this worker as soon as the process that started it has gone, even by ``kill -9``.

    A killed parent never shuts its pool down, and the workers would otherwise wait on
    their task queue forever. ``prctl(PR_SET_PDEATHSIG)`` cannot do this here: with the
    fork server the worker's parent is the server, which the workers themselves keep
    alive. multiprocessing gives every child a sentinel instead: a pipe from the
    starting process that reaches end-of-file only when that process has ended.
    """
    parent = multiprocessing.parent_process()
    if parent is not None and parent.sentinel is not None:
        watch = threading.Thread(
            target=_exit_when_gone, args=(parent.sentinel,), name="parent-watch", daemon=True
        )
        watch.start()


def _exit_when_gone(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])  # ready only at end-of-file
    os._exit(1)


def _start_worker() -> None:
    # Workers ignore Ctrl-C: the main process handles it (see the module docstring).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    # The modules loaded so far (by the fork server) live as long as the worker: the
    # garbage collector need not walk them in every full collection (as the command
    # does for itself: sim.cli.memory.modules_loading).
    gc.freeze()


def start_fork_server():
    """The context pools start their workers with: a fork server where there is one.

    Forking a process that runs threads (tqdm, Dask) can deadlock; a fork server
    forks from a clean single-threaded process instead. It imports
    :data:`WORKER_MODULES` once and every worker is forked with them loaded. It is
    started here, so it imports while this process goes on (the CLI calls this as
    soon as it has read ``--jobs``); a fork server already running keeps what it loaded.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(WORKER_MODULES))
    multiprocessing.forkserver.ensure_running()
    return context


class PoolExecutor(Executor):
    """Run tasks on ``jobs`` worker processes of this machine.

    Parameters
    ----------
    jobs : int
        Worker processes (at least 1).
    """

    def __init__(self, jobs: int) -> None:
        if jobs < 1:
            raise ExperimentError(f"jobs must be at least 1, got {jobs}")
        self.jobs = jobs
        self.description = f"process pool, {jobs} jobs"
        self._pool: ProcessPoolExecutor | None = None
        self._context = start_fork_server()

    def map_unordered(
        self, fn: Callable[..., Any], tasks: Sequence[Task]
    ) -> Iterator[tuple[int, Any]]:
        """Submit every task; yield ``(index, result)`` as each finishes."""
        if not tasks:
            return
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.jobs, mp_context=self._context, initializer=_start_worker
            )
        pending = {self._pool.submit(fn, *task): index for index, task in enumerate(tasks)}
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=pending.__getitem__):
                    index = pending.pop(future)
                    yield index, future.result()
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        """Stop the workers (after the tasks under way, if any)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskExecutor(Executor):
    """Run tasks on a Dask cluster.

    Parameters
    ----------
    address : str or distributed.Client
        A scheduler address such as ``tcp://10.0.0.5:8786``; ``"local"`` to start a
        ``LocalCluster`` on this machine (closed again by :meth:`close`); or an
        existing ``distributed.Client``, used as is and left open.
    workers : int, optional
        Worker processes of a local cluster (default: one per CPU core).

    Notes
    -----
    Workers of a remote cluster need ruralsim installed (the same version).
    """

    def __init__(self, address: Any, workers: int | None = None) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - the dask extra is installed in tests
            raise ExperimentError(
                "--dask needs Dask: pip install 'ruralsim[dask]' (dask[distributed])"
            ) from None
        self._cluster = None
        self._own_client = True
        if isinstance(address, Client):
            self.client = address
            self._own_client = False
            self.description = f"dask {address.scheduler.address}"
        elif address == "local":
            workers = workers or os.cpu_count() or 1
            self._cluster = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            )
            self.client = Client(self._cluster)
            self.description = f"dask local cluster, {workers} workers"
        else:
            try:
                self.client = Client(str(address), timeout="10s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise ExperimentError(
                    f"cannot connect to the Dask scheduler at {address!r}: {exc}"
                ) from None
            self.description = f"dask {address}"

    def share(self, value: Any) -> Any:
        """A future of ``value``, sent to every worker once; tasks may take it as an argument."""
        return self.client.scatter(value, broadcast=True, hash=False)

    def map_unordered(
        self, fn: Callable[..., Any], tasks: Sequence[Task]
    ) -> Iterator[tuple[int, Any]]:
        """Submit every task to the cluster; yield ``(index, result)`` as each finishes."""
        from distributed import as_completed

        if not tasks:
            return
        futures = [self.client.submit(fn, *task, pure=False) for task in tasks]
        index = {future.key: i for i, future in enumerate(futures)}
        # Only unfinished tasks are held on to: the cluster frees a result once no future
        # refers to it, so a region of many counties does not pile them up on the workers.
        pending, finished = set(futures), as_completed(futures)
        del futures
        try:
            for future in finished:
                pending.discard(future)
                number, result = index[future.key], future.result()
                del future
                yield number, result
        finally:
            self.client.cancel([f for f in pending if not f.done()])

    def close(self) -> None:
        """Close the client and the local cluster this executor started."""
        if self._own_client:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


def make_executor(jobs: int | None = None, dask: Any = None) -> Executor:
    """The executor for ``--jobs`` and ``--dask``.

    Parameters
    ----------
    jobs : int, optional
        Worker processes; 1 or None runs serially. With ``dask="local"`` it is the
        number of Dask workers.
    dask : str or distributed.Client, optional
        ``"local"``, a scheduler address, or a client (see :class:`DaskExecutor`).

    Returns
    -------
    Executor
        A context manager with ``map_unordered`` and ``description``.
    """
    if jobs is not None and jobs < 1:
        raise ExperimentError(f"jobs must be at least 1, got {jobs}")
    if dask is not None:
        if jobs not in (None, 1) and dask != "local":
            raise ExperimentError(
                "--jobs sets the workers of --dask local; a running cluster has its own"
            )
        return DaskExecutor(dask, workers=jobs)
    if jobs is None or jobs == 1:
        return SerialExecutor()
    return PoolExecutor(jobs)
