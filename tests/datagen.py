"""Synthetic inputs for pipeline and delivery tests: seeded, so every run is the same."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def daily_series(days: int, seed: int, start: str = "2022-01-01") -> pd.DataFrame:
    """One daily series with trend, weekly season and noise (columns date, y)."""
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    y = 100 + 0.05 * t + 10 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 2, days)
    dates = pd.date_range(start, periods=days, freq="D")
    return pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "y": y.round(3)})


def long_file(path: Path, series: int, days: int, seed: int = 0) -> Path:
    """A long-format CSV (id,date,value) with ``series`` daily series of ``days`` days."""
    frames = []
    for k in range(series):
        frame = daily_series(days, seed + k)
        frame.insert(0, "id", f"s{k:05d}")
        frames.append(frame.rename(columns={"y": "value"}))
    pd.concat(frames).to_csv(path, index=False)
    return path
