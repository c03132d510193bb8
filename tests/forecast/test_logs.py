"""Quiet logs: no cmdstanpy or Prophet chatter, one line of our own per batch."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from dropcast_common.logs import setup_logging
from dropcast_common.params import Params
from dropcast_forecasting.engine import run_forecast
from dropcast_forecasting.pool import parallel


@pytest.fixture
def service_logging(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """The service's logging setup, with pytest's capture handler kept; restored after."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    setup_logging("text", "INFO")
    root.addHandler(caplog.handler)
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


@pytest.mark.parametrize("workers", [1, 2])
def test_one_line_per_batch_and_no_stan_chatter(
    workers: int,
    make_series: Any,
    fresh_pool: None,
    service_logging: None,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    canonical = pd.concat([make_series("a", periods=60), make_series("b", periods=60, seed=2)])
    with caplog.at_level(logging.DEBUG):
        run_forecast(canonical, Params(horizon=5), workers=workers)
    ours = [r for r in caplog.records if r.name.startswith("dropcast")]
    assert [r.levelno for r in ours] == [logging.INFO]
    assert "forecast 2 series on" in ours[0].getMessage()
    chatter = [r for r in caplog.records if r.name.startswith(("cmdstanpy", "prophet"))]
    assert chatter == []
    out, err = capfd.readouterr()
    assert "cmdstanpy" not in out + err
    assert "Chain [1]" not in out + err


@pytest.fixture
def unconfigured_logging() -> Iterator[logging.Logger]:
    """A verbose root logger and cmdstanpy's one-time logger setup not yet run."""
    import cmdstanpy.utils

    root, stan = logging.getLogger(), logging.getLogger("cmdstanpy")
    saved = (list(root.handlers), list(stan.handlers), stan.level, root.level)
    root.setLevel(logging.DEBUG)
    stan.handlers.clear()
    stan.setLevel(logging.NOTSET)
    cmdstanpy.utils.get_logger.cache_clear()
    yield stan
    root.handlers[:], stan.handlers[:] = saved[0], saved[1]
    stan.setLevel(saved[2])
    root.setLevel(saved[3])


def test_workers_keep_stan_quiet(fresh_pool: None, unconfigured_logging: logging.Logger) -> None:
    # A worker's records never reach the parent's capture: ask the workers themselves.
    # Left alone, cmdstanpy would log every optimiser run at INFO in each worker.
    pool = parallel.get_pool(2)
    stan = unconfigured_logging
    levels = {pool.submit(stan.getEffectiveLevel).result() for _ in range(8)}
    assert levels == {logging.WARNING}
