"""Accuracy metrics on a holdout: MAE, sMAPE and MASE against seasonal naive.

Definitions (Hyndman & Koehler 2006):

- MAE = mean |y - ŷ|
- sMAPE = 100 · mean(2 |y - ŷ| / (|y| + |ŷ|)), a term with y = ŷ = 0 counts 0
- MASE = MAE / mean_t |y_t - y_{t-m}| over the training data, i.e. the error
  relative to the in-sample one-step seasonal naive forecast; below 1 the
  model beats it. With a training series no longer than one season, m = 1.
"""

from __future__ import annotations

import numpy as np

from dropcast_forecasting.fallback import seasonal_naive_values
from dropcast_forecasting.results import Backtest


def mae(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Mean absolute error."""
    return float(np.mean(np.abs(actual - predicted)))


def smape(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Symmetric mean absolute percentage error, in percent (0 to 200)."""
    denominator = np.abs(actual) + np.abs(predicted)
    error = 2 * np.abs(actual - predicted)
    terms = np.divide(error, denominator, out=np.zeros_like(error), where=denominator > 0)
    return float(100 * np.mean(terms))


def naive_scale(train: np.ndarray, m: int) -> float:
    """In-sample MAE of the seasonal naive method with lag ``m`` (the MASE denominator)."""
    lag = m if len(train) > m else 1
    if len(train) <= lag:
        return 0.0
    return float(np.mean(np.abs(train[lag:] - train[:-lag])))


def score(
    train: np.ndarray,
    actual: np.ndarray,
    predicted: np.ndarray,
    m: int,
    bounds: tuple[np.ndarray, np.ndarray] | None = None,
) -> Backtest:
    """Metrics of ``predicted`` against the held-out ``actual``, given the training values.

    With ``bounds`` (lower, upper), also the share of ``actual`` inside them.
    """
    lag = m if len(train) > m else 1
    scale = naive_scale(train, lag)
    model_mae = mae(actual, predicted)
    naive = seasonal_naive_values(train, lag, len(actual))
    return Backtest(
        holdout=len(actual),
        mae=model_mae,
        smape=smape(actual, predicted),
        mase=model_mae / scale if scale > 0 else None,
        naive_mae=mae(actual, naive),
        season_length=lag,
        coverage=None if bounds is None else coverage(actual, *bounds),
    )


def coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """Share of ``actual`` within [lower, upper]."""
    return float(np.mean((actual >= lower) & (actual <= upper)))
