"""Calls spread over worker processes, results handed back as each one finishes: joblib over loky
processes on this machine, or over a Dask cluster.

The sweep of the BH comparison (Yan et al., CIKM 2021, arXiv 2109.02471; :mod:`.runner`) is a
list of independent runs, so it spreads over workers with no change to a run: :func:`map_unordered`
gives each pending run to a worker and yields the records in the order they finish. The driver
(the process that calls it) alone holds the results folder's lock and writes the records, so
workers need no shared file system.

Backends (``joblib.parallel_config``; the engines do the work, this module only picks one):

* ``"loky"`` — ``workers`` processes on this machine (joblib's default backend), reused between
  calls. A loky worker outlives a driver killed with SIGKILL (it waits for work until its idle
  timeout, minutes later), so each worker here also watches its parent, the driver, from the
  moment it starts (a loky initializer, :func:`_start_watchdog`) and exits within a second of
  the driver's end;
* ``"dask"`` — a Dask cluster (the ``distributed`` extra: ``pip install -e .[distributed]``):
  the scheduler at ``scheduler="HOST:PORT"`` (``dask scheduler`` on one machine, ``dask worker
  HOST:PORT --nthreads 1`` on each of the others, with bhlib installed), or without one a
  ``distributed.LocalCluster`` of ``workers`` one-thread processes on 127.0.0.1, started and
  stopped here (its processes end with a killed driver by themselves). A remote cluster's workers
  keep running when the driver dies; the driver's runs in flight are dropped with its client.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from typing import Any

from joblib import Parallel, delayed, parallel_config

from .._checks import check_choice, check_int, check_str

__all__ = ["BACKENDS", "map_unordered"]

BACKENDS = ("loky", "dask")


def _watch(driver: int) -> None:
    """End this process as soon as its parent is no longer ``driver`` (the driver died)."""
    while os.getppid() == driver:
        time.sleep(0.5)
    os._exit(1)


def _start_watchdog(driver: int) -> None:
    """In a new loky worker: a daemon thread that ends the process with ``driver``."""
    threading.Thread(target=_watch, args=(driver,), daemon=True, name="bhlib-driver").start()


def _dask_client(stack: ExitStack, workers: int, scheduler: str | None) -> Any:
    """A ``distributed.Client`` of the scheduler, or of a LocalCluster closed with ``stack``."""
    try:  # the optional extra, imported only when asked for
        from distributed import Client, LocalCluster
    except ImportError as err:
        raise ImportError("backend 'dask' needs the distributed extra: "
                          ".venv/bin/pip install -e '.[distributed]'") from err
    if scheduler is not None:
        return stack.enter_context(Client(scheduler, timeout=30))
    cluster = stack.enter_context(LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None, silence_logs=logging.ERROR))
    return stack.enter_context(Client(cluster))


def map_unordered(fn: Callable[..., Any], calls: Iterable[tuple], *, workers: int,
                  backend: str = "loky", scheduler: str | None = None) -> Iterator[Any]:
    """``fn(*args)`` for every ``args`` of ``calls`` on worker processes, yielded as they finish.

    Args:
        fn: a picklable function (defined at the top of a module).
        calls: the argument tuples, dispatched in this order.
        workers: loky processes, or the LocalCluster's size (with a scheduler: ignored, every
            worker of the cluster takes calls).
        backend: ``"loky"`` or ``"dask"``.
        scheduler: ``"HOST:PORT"`` of a running Dask scheduler (backend ``"dask"`` only).

    An exception in ``fn`` is raised here (the other calls are cancelled).

    Example:
        >>> sorted(map_unordered(pow, [(2, 3), (3, 2)], workers=2))
        [8, 9]
    """
    check_choice(backend, "backend", BACKENDS)
    workers = check_int(workers, "workers", low=1)
    if scheduler is not None:
        check_str(scheduler, "scheduler")
        if backend != "dask":
            raise ValueError(f"scheduler is a Dask scheduler's address: it needs backend 'dask', "
                             f"got backend {backend!r}")
    with ExitStack() as stack:
        if backend == "dask":
            _dask_client(stack, workers, scheduler)
            stack.enter_context(parallel_config(backend="dask"))
            n_jobs = -1 if scheduler is not None else workers
        else:
            stack.enter_context(parallel_config(
                backend="loky", inner_max_num_threads=1, initializer=_start_watchdog,
                initargs=(os.getpid(),)))
            n_jobs = workers
        run = Parallel(n_jobs=n_jobs, return_as="generator_unordered", pre_dispatch="n_jobs")
        yield from run(delayed(fn)(*args) for args in calls)
