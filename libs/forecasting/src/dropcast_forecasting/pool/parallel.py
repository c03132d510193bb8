"""Fit many series on every CPU the container has: a warm process pool.

One pool per process, created on first use and reused by later requests
(workers keep Prophet imported); series go to workers in small batches so a
few long series don't leave a CPU idle. Workers are forked when the process
has a single thread (the CLI: instant start-up) and come from a fork server
otherwise (the service: forking a process with running threads can inherit
held locks). Workers die with the process that owns the pool, even one killed
outright (worker.die_with). A worker that dies breaks the pool; the request fails with a
TransientError so Pub/Sub retries it, and the next request gets a new pool.
"""

from __future__ import annotations

import atexit
import math
import multiprocessing
import os
import shutil
import tempfile
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from dropcast_common.errors import TransientError
from dropcast_common.params import Params
from dropcast_forecasting.series import SeriesOutcome, SeriesTask, forecast_series

if TYPE_CHECKING:
    from dropcast_forecasting.render.chart import ChartOptions

# Batches per worker: enough to balance uneven series, few enough that the
# per-batch round trip stays negligible next to a fit.
BATCHES_PER_WORKER = 4

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_pool_workers = 0
_pool_scratch: str | None = None
# In the service every request runs in the warm pool, even one series: many
# concurrent one-series jobs in request threads would share one interpreter
# lock and leave the other CPUs idle (benchmark B4).
_always_pool = False


def always_use_pool(enabled: bool = True) -> None:
    """Send every batch (and chart) to the warm pool, however small: the service's mode."""
    global _always_pool
    _always_pool = enabled


def map_series(tasks: Sequence[SeriesTask], params: Params, workers: int) -> list[SeriesOutcome]:
    """Forecast every task, in task order, on up to ``workers`` processes.

    The warm pool keeps ``workers`` processes whatever the batch size, so a
    small request after a big one reuses it instead of rebuilding it.
    """
    if not tasks:
        return []
    if not _always_pool and (workers <= 1 or len(tasks) <= 1):
        from dropcast_forecasting.quiet import prepare_engine

        prepare_engine(params)
        return [forecast_series(task, params) for task in tasks]
    from dropcast_forecasting.pool.worker import run_batch
    from dropcast_forecasting.quiet import prepare_engine

    if _context().get_start_method() == "fork":
        # Forked workers inherit what this process imported: import it once
        # here rather than once per worker (nothing, for the native engine
        # under model=prophet).
        prepare_engine(params)
    pool = get_pool(workers)
    busy = min(workers, len(tasks))
    size = max(1, math.ceil(len(tasks) / (busy * BATCHES_PER_WORKER)))
    batches = [list(tasks[i : i + size]) for i in range(0, len(tasks), size)]
    try:
        futures = [pool.submit(run_batch, batch, params) for batch in batches]
        if not _always_pool:
            # The CLI renders its chart here once the forecasts are in; import
            # Matplotlib (a third of a CPU-second) while this process only
            # waits. The workers are forked by now, so no thread is copied.
            threading.Thread(target=_import_chart, name="import-chart", daemon=True).start()
        return [outcome for future in futures for outcome in future.result()]
    except BrokenProcessPool as exc:
        shutdown_pool()
        raise TransientError(f"a forecast worker died ({exc}); the request can be retried") from exc


def worker_peak_rss_mib() -> dict[int, float]:
    """Peak resident memory (MiB) of each warm pool worker so far, by pid (Linux's VmHWM).

    Read from /proc by this process, so the workers need no message for it;
    empty without a pool or where /proc is missing.
    """
    with _lock:
        processes = dict(getattr(_pool, "_processes", None) or {})
    peaks: dict[int, float] = {}
    for pid in processes:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peaks[pid] = int(line.split()[1]) / 1024
    return peaks


def _import_chart() -> None:
    import dropcast_forecasting.render.chart  # noqa: F401 - imported for later
    from dropcast_forecasting.render.agg import agg_classes

    agg_classes()


def render_chart_offloaded(
    canonical: pd.DataFrame,
    forecast: pd.DataFrame,
    title: str,
    options: ChartOptions | None = None,
) -> bytes:
    """Render the chart in a pool worker in the service's mode, else in this thread."""
    from dropcast_forecasting.render.chart import render_chart

    if not _always_pool:
        return render_chart(canonical, forecast, title=title, options=options)
    with _lock:
        workers = _pool_workers
    pool = get_pool(workers or 1)
    try:
        return pool.submit(render_chart, canonical, forecast, title=title, options=options).result()
    except BrokenProcessPool as exc:
        shutdown_pool()
        raise TransientError(f"a forecast worker died ({exc}); the request can be retried") from exc


def get_pool(workers: int) -> ProcessPoolExecutor:
    """The process's warm pool of ``workers`` processes (replaced if its size differs)."""
    global _pool, _pool_workers, _pool_scratch
    with _lock:
        if _pool is not None and _pool_workers == workers:
            return _pool
        _shutdown_locked()
        from dropcast_forecasting.pool import worker

        _pool_scratch = tempfile.mkdtemp(prefix="dropcast-pool-")
        _pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=_context(),
            initializer=worker.init_worker,
            # Workers die with this process, even when it is killed outright.
            initargs=(_pool_scratch, os.getpid()),
        )
        _pool_workers = workers
        return _pool


def warm_up(workers: int) -> None:
    """Start the pool's workers now (e.g. at service start-up) instead of on the first request."""
    from dropcast_forecasting.pool.worker import scratch_dirs

    pool = get_pool(workers)
    for future in [pool.submit(scratch_dirs) for _ in range(workers)]:
        future.result()


def pool_scratch() -> str | None:
    """The directory holding the warm pool's per-worker scratch directories."""
    return _pool_scratch


def shutdown_pool() -> None:
    """Stop the warm pool's workers and remove their scratch space."""
    with _lock:
        _shutdown_locked()


def _shutdown_locked() -> None:
    global _pool, _pool_workers, _pool_scratch
    if _pool is not None:
        _pool.shutdown(wait=True, cancel_futures=True)
    if _pool_scratch is not None:
        shutil.rmtree(_pool_scratch, ignore_errors=True)
    _pool, _pool_workers, _pool_scratch = None, 0, None


def _context() -> BaseContext:
    if threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["dropcast_forecasting.pool.preload"])
    return context


atexit.register(shutdown_pool)
