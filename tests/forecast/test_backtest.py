"""Backtest metrics against hand computations."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from dropcast_common.params import Params
from dropcast_forecasting.backtest import mae, naive_scale, score, smape
from dropcast_forecasting.engine import run_forecast
from dropcast_forecasting.render.report import build_report


def test_metrics_by_hand() -> None:
    train = np.array([1.0, 2, 3, 4, 5, 6, 7, 8])
    actual = np.array([9.0, 10])
    predicted = np.array([8.0, 11])
    assert mae(actual, predicted) == 1.0
    # 100 * mean(2*1/(9+8), 2*1/(10+11))
    assert smape(actual, predicted) == pytest.approx(100 * (2 / 17 + 2 / 21) / 2)
    assert naive_scale(train, 1) == 1.0  # every step is +1
    assert naive_scale(train, 2) == 2.0
    result = score(train, actual, predicted, m=2)
    assert result.mase == pytest.approx(0.5)
    assert result.naive_mae == 2.0  # seasonal naive repeats [7, 8]: errors 2 and 2
    assert result.season_length == 2


def test_smape_counts_exact_zeros_as_perfect() -> None:
    assert smape(np.array([0.0, 4.0]), np.array([0.0, 2.0])) == pytest.approx(100 * (0 + 4 / 6) / 2)


def test_mase_is_none_for_a_constant_training_series() -> None:
    result = score(np.full(10, 3.0), np.array([3.0, 4.0]), np.array([3.0, 3.0]), m=7)
    assert result.mase is None
    assert result.mae == 0.5


def test_reported_backtest_matches_a_hand_computation() -> None:
    # 8 daily values: too short for Prophet. The forecast is seasonal naive
    # (more than a week of data); the backtest reruns the same procedure on
    # the first 6 values — less than a week, so the mean — and scores the last
    # 2 (horizon 2). MASE and the naive benchmark use lag 1 for the same reason.
    y = [10.0, 12, 11, 13, 12, 14, 15, 13]
    canonical = pd.DataFrame(
        {"series_id": "s", "ds": pd.date_range("2024-01-01", periods=8, freq="D"), "y": y}
    )
    run = run_forecast(canonical, Params(horizon=2), workers=1)
    report = json.loads(
        build_report(series=run.series, params=Params(horizon=2), source="s.csv").to_bytes()
    )
    entry = report["series"][0]
    assert entry["method"] == "seasonal_naive"
    backtest = entry["backtest"]
    # mean of the training part = 72 / 6 = 12; held out: 15 and 13
    assert backtest["holdout"] == 2
    assert backtest["mae"] == pytest.approx((3 + 1) / 2)
    assert backtest["smape"] == pytest.approx(100 * (2 * 3 / 27 + 2 * 1 / 25) / 2)
    # in-sample naive errors |2|,|1|,|2|,|1|,|2| → scale 1.6
    assert backtest["mase"] == pytest.approx(2.0 / 1.6)
    # naive: 14, 14 against 15, 13
    assert backtest["naive_mae"] == pytest.approx(1.0)
    assert backtest["season_length"] == 1
    assert report["summary"]["median_smape"] == pytest.approx(backtest["smape"])


def test_series_too_short_for_a_holdout_says_so() -> None:
    canonical = pd.DataFrame(
        {"series_id": "s", "ds": pd.date_range("2024-01-01", periods=12), "y": np.arange(12.0)}
    )
    run = run_forecast(canonical, Params(horizon=7), workers=1)
    result = run.series[0]
    assert result.method == "prophet"
    assert result.backtest is None
    assert result.backtest_note == "too short for a holdout of 7: 12 values, needs 17"
