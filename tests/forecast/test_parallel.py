"""The warm pool: private scratch per worker, reuse, and a dead worker is transient."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import cmdstanpy
import numpy as np
import pandas as pd
import pytest

from dropcast_common.errors import TransientError
from dropcast_common.params import Params
from dropcast_forecasting.engine import build_tasks, run_forecast
from dropcast_forecasting.pool import parallel
from dropcast_forecasting.pool.worker import scratch_dirs


def test_each_worker_has_its_own_cmdstan_scratch(fresh_pool: None) -> None:
    pool = parallel.get_pool(2)
    root = Path(parallel.pool_scratch() or "")
    seen = dict(f.result() for f in [pool.submit(scratch_dirs) for _ in range(16)])
    for pid, dirs in seen.items():
        assert pid != os.getpid()
        assert len(set(dirs)) == 1, "every cmdstanpy module must point at the same place"
        assert Path(dirs[0]).parent == root
        assert Path(dirs[0]).is_dir()
        assert dirs[0] != cmdstanpy._TMPDIR
    assert len({dirs[0] for dirs in seen.values()}) == len(seen)
    assert parallel.get_pool(2) is pool  # warm: reused, not rebuilt
    parallel.shutdown_pool()
    assert not root.exists()


def test_a_dead_worker_is_a_transient_error_and_the_pool_recovers(
    make_series: Any, fresh_pool: None
) -> None:
    canonical = pd.concat([make_series("a", periods=30), make_series("b", periods=30)])
    tasks = build_tasks(canonical, Params(horizon=3), {}, {})
    pool = parallel.get_pool(2)
    with pytest.raises(BaseException):  # noqa: B017, PT011 - the pool reports it in its own way
        pool.submit(os._exit, 1).result()
    with pytest.raises(TransientError, match="worker died"):
        parallel.map_series(tasks, Params(horizon=3), 2)
    outcomes = parallel.map_series(tasks, Params(horizon=3), 2)
    assert [o.result.series_id for o in outcomes] == ["a", "b"]


def test_a_threaded_process_gets_workers_from_a_fork_server(
    make_series: Any, fresh_pool: None
) -> None:
    # The service runs requests on threads; forking it could copy a held lock.
    release = threading.Event()
    busy = threading.Thread(target=release.wait, daemon=True)
    busy.start()
    try:
        canonical = pd.concat([make_series("a", periods=40), make_series("b", periods=40)])
        tasks = build_tasks(canonical, Params(horizon=3), {}, {})
        pooled = parallel.map_series(tasks, Params(horizon=3), 2)
        pool = parallel.get_pool(2)
        parents = {pool.submit(os.getppid).result() for _ in range(4)}
        assert os.getpid() not in parents  # the fork server's children, not ours
    finally:
        release.set()
        busy.join()
    alone = parallel.map_series(tasks, Params(horizon=3), 1)
    for mine, theirs in zip(pooled, alone, strict=True):
        assert mine.forecast is not None
        assert theirs.forecast is not None
        assert mine.forecast.keys() == theirs.forecast.keys()
        np.testing.assert_array_equal(mine.forecast["date"], theirs.forecast["date"])
        for name in ("prediction", "prediction_lower", "prediction_upper"):
            np.testing.assert_allclose(
                mine.forecast[name], theirs.forecast[name], rtol=1e-9, atol=1e-9
            )


def test_a_small_batch_reuses_the_warm_pool(make_series: Any, fresh_pool: None) -> None:
    big = pd.concat([make_series(s, periods=30) for s in "abcd"])
    small = pd.concat([make_series(s, periods=30) for s in "ab"])
    run_forecast(big, Params(horizon=2), workers=3)
    pool = parallel.get_pool(3)
    run = run_forecast(small, Params(horizon=2), workers=3)
    assert parallel.get_pool(3) is pool
    assert run.timings["workers"] == 2  # what the batch could use, not the pool's size


def test_a_pooled_run_reports_the_largest_workers_peak_memory(
    make_series: Any, fresh_pool: None
) -> None:
    canonical = pd.concat([make_series("a", periods=60), make_series("b", periods=60)])
    run = run_forecast(canonical, Params(horizon=3, model="prophet"), workers=2)
    peaks = parallel.worker_peak_rss_mib()
    assert len(peaks) == 2  # one figure per worker, read from outside it
    assert run.timings["worker_peak_rss_mib"] == max(peaks.values())
    # A worker holds an interpreter, numpy and pandas: tens of MiB, never gigabytes.
    assert 20 < run.timings["worker_peak_rss_mib"] < 2048
