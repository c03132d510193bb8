"""Simple forecasts for series Prophet can't or shouldn't fit.

Seasonal naive (repeat the last season) when the series holds more than one
season, otherwise the mean. Intervals use the normal approximation of
Hyndman & Athanasopoulos, *Forecasting: Principles and Practice* §5.5: the
residual spread, widening with the number of seasons ahead (seasonal naive)
or by ``sqrt(1 + 1/T)`` (mean).
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from dropcast_forecasting.results import Method


@dataclass(frozen=True)
class Fallback:
    """A fallback forecast: point values and interval bounds (NaN when unavailable)."""

    method: Method
    prediction: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def seasonal_naive_values(y: np.ndarray, m: int, horizon: int) -> np.ndarray:
    """Each future step repeats the value one season earlier (``m == 1``: the last value)."""
    last_season = y[len(y) - m :]
    return np.asarray(last_season[np.arange(horizon) % m], dtype="float64")


def fallback_forecast(
    y: np.ndarray, m: int, horizon: int, interval_width: float, intervals: bool = True
) -> Fallback:
    """Seasonal naive when ``y`` has more than one season of lag ``m``, else the mean."""
    z = NormalDist().inv_cdf(0.5 + interval_width / 2)
    steps = np.arange(1, horizon + 1)
    if len(y) > m:
        prediction = seasonal_naive_values(y, m, horizon)
        residuals = y[m:] - y[:-m]
        sigma = float(np.sqrt(np.mean(residuals**2)))
        spread = sigma * np.sqrt((steps - 1) // m + 1)
        method: Method = "seasonal_naive"
    else:
        prediction = np.full(horizon, float(np.mean(y)))
        sigma = float(np.std(y, ddof=1)) if len(y) > 1 else float("nan")
        spread = np.full(horizon, sigma * np.sqrt(1 + 1 / len(y)))
        method = "mean"
    if not intervals:
        spread = np.full(horizon, np.nan)
    return Fallback(method, prediction, prediction - z * spread, prediction + z * spread)
