"""Fixtures for the forecast engine: small canonical tables on known calendars."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dropcast_forecasting.pool import parallel

SeriesFactory = Callable[..., pd.DataFrame]


def _series(
    series_id: str = "y",
    *,
    freq: str = "D",
    periods: int = 120,
    start: str = "2022-01-03",
    level: float = 100.0,
    trend: float = 0.2,
    season: int = 7,
    amplitude: float = 10.0,
    noise: float = 2.0,
    seed: int = 0,
) -> pd.DataFrame:
    """A canonical frame (series_id, ds, y): level + trend + a seasonal wave + noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(periods)
    y = (
        level
        + trend * t
        + amplitude * np.sin(2 * np.pi * t / season)
        + rng.normal(0, noise, periods)
    )
    ds = pd.date_range(start, periods=periods, freq=freq)
    return pd.DataFrame({"series_id": series_id, "ds": ds.as_unit("ns"), "y": y.astype("float64")})


@pytest.fixture
def make_series() -> SeriesFactory:
    """Build one synthetic series as a canonical frame."""
    return _series


@pytest.fixture(scope="session")
def hyndsight_canonical(hyndsight: Path) -> pd.DataFrame:
    """hyndsight.csv as the canonical table ingest hands to forecast."""
    raw = pd.read_csv(hyndsight)
    return pd.DataFrame(
        {"series_id": "y", "ds": pd.to_datetime(raw["date"]), "y": raw["y"].astype("float64")}
    )


@pytest.fixture
def fresh_pool() -> Iterator[None]:
    """No warm pool before or after the test (so it sees its own workers start)."""
    parallel.shutdown_pool()
    yield
    parallel.shutdown_pool()
