"""Backtest metrics against hand computations."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dropcast_common.params import Params
from dropcast_forecasting import candidates, series
from dropcast_forecasting import model as model_module
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
    params = Params(horizon=2, model="prophet")  # the single-origin backtest of model=prophet
    run = run_forecast(canonical, params, workers=1)
    report = json.loads(build_report(series=run.series, params=params, source="s.csv").to_bytes())
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
    run = run_forecast(canonical, Params(horizon=7, model="prophet"), workers=1)
    result = run.series[0]
    assert result.method == "prophet"
    assert result.backtest is None
    assert result.backtest_note == "too short for a holdout of 7: 12 values, needs 17"


def quarterly(n: int) -> series.SeriesTask:
    rng = np.random.default_rng(44)
    t = np.arange(n)
    y = 3000 + 25 * t + np.tile([120.0, -80.0, 40.0, -60.0], n // 4 + 1)[:n] + rng.normal(0, 30, n)
    ds = pd.date_range("1990-01-01", periods=n, freq="QS").to_numpy()
    return series.SeriesTask("q", ds, y, "QS-JAN")


@pytest.fixture
def prophet_starts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, bool]]:
    """(values, warm?) of every Prophet fit; the real fit runs."""
    seen: list[tuple[int, bool]] = []
    real = model_module.fit_prophet  # what series calls, before the patch

    def recording(history: pd.DataFrame, params: Params, **options: Any) -> Any:
        seen.append((len(history), options.get("init") is not None))
        return real(history, params, **options)

    monkeypatch.setattr(series, "fit_prophet", recording)
    monkeypatch.setattr(candidates, "fit_prophet", recording)
    return seen


def test_short_series_backtests_never_start_newton_from_the_main_fit(
    prophet_starts: list[tuple[int, bool]],
) -> None:
    # The case behind this rule: a 44-value quarterly series whose backtest
    # refit, started from the main fit, took Newton 232 s to a far worse
    # optimum (log-probability -22.7 against +187.5 from a cold start).
    # Below 100 values Prophet optimises with Newton, so those fits start cold.
    for model in ("prophet", "auto"):
        prophet_starts.clear()
        outcome = series.forecast_series(quarterly(44), Params(horizon=8, model=model))
        assert outcome.result.backtest is not None
        assert len(prophet_starts) >= 2  # the forecast and at least one backtest fit
        assert all(not warm for _, warm in prophet_starts), (model, prophet_starts)


def test_long_series_backtests_keep_their_warm_start(
    prophet_starts: list[tuple[int, bool]],
) -> None:
    # L-BFGS from the full fit's optimum is safe and saves most iterations (B1).
    series.forecast_series(quarterly(160), Params(horizon=8, model="prophet"))
    assert prophet_starts == [(160, False), (152, True)]
