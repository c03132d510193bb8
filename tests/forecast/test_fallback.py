"""Fallback forecasts and their intervals, by hand."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pytest

from dropcast_forecasting.fallback import fallback_forecast


def test_seasonal_naive_repeats_the_last_season_with_widening_intervals() -> None:
    y = np.array([1.0, 2, 3, 1, 2, 3, 1, 2, 4])
    fb = fallback_forecast(y, m=3, horizon=5, interval_width=0.8)
    assert fb.method == "seasonal_naive"
    np.testing.assert_allclose(fb.prediction, [1, 2, 4, 1, 2])
    sigma = np.sqrt(1 / 6)  # seasonal differences: 0,0,0,0,0,1
    z = NormalDist().inv_cdf(0.9)
    widths = np.array([1, 1, 1, np.sqrt(2), np.sqrt(2)]) * sigma * z
    np.testing.assert_allclose(fb.upper - fb.prediction, widths)
    np.testing.assert_allclose(fb.prediction - fb.lower, widths)


def test_mean_when_there_is_no_full_season() -> None:
    y = np.array([4.0, 6, 8])
    fb = fallback_forecast(y, m=7, horizon=2, interval_width=0.95)
    assert fb.method == "mean"
    np.testing.assert_allclose(fb.prediction, [6, 6])
    half = NormalDist().inv_cdf(0.975) * 2.0 * np.sqrt(1 + 1 / 3)  # sd 2
    np.testing.assert_allclose(fb.upper, 6 + half)


def test_no_intervals_when_turned_off() -> None:
    fb = fallback_forecast(np.arange(20.0), m=7, horizon=3, interval_width=0.8, intervals=False)
    assert np.isnan(fb.lower).all()
    assert np.isnan(fb.upper).all()
    assert fb.prediction == pytest.approx([13, 14, 15])
