"""The engine end to end: reference forecast, determinism, parameters, bad series."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dropcast_common.errors import InputError
from dropcast_common.params import Params, resolve
from dropcast_forecasting import model as model_module
from dropcast_forecasting import series as series_module
from dropcast_forecasting.engine import FORECAST_COLUMNS, run_forecast
from dropcast_forecasting.model import fit_prophet, predict_prophet, warm_start_init


def test_hyndsight_reproduces_the_published_forecast(
    hyndsight_canonical: pd.DataFrame, hyndsight_seed: Path
) -> None:
    run = run_forecast(hyndsight_canonical, Params(model="prophet"))
    seed = pd.read_csv(hyndsight_seed, parse_dates=["date"])
    assert list(run.forecast["date"]) == list(seed["date"])
    mape = np.mean(np.abs(run.forecast["prediction"] - seed["prediction"]) / seed["prediction"])
    assert mape * 100 < 1.0
    assert list(run.forecast.columns) == FORECAST_COLUMNS
    lower = run.forecast["prediction_lower"]
    mid = run.forecast["prediction"]
    upper = run.forecast["prediction_upper"]
    assert (lower < mid).all()
    assert (mid < upper).all()


def test_the_default_backtests_every_candidate_on_hyndsight(
    hyndsight_canonical: pd.DataFrame, hyndsight_seed: Path
) -> None:
    run = run_forecast(hyndsight_canonical, Params(), workers=1)
    result = run.series[0]
    scored = {c.model: c for c in result.candidates}
    assert set(scored) == {"prophet", "ets", "theta", "seasonal_naive", "combination"}
    assert all(c.windows == 3 for c in scored.values())
    assert result.method in scored
    assert result.choice is not None
    # whichever model wins, its forecast stays close to the original's
    seed = pd.read_csv(hyndsight_seed, parse_dates=["date"])
    mape = np.mean(np.abs(run.forecast["prediction"] - seed["prediction"]) / seed["prediction"])
    assert mape * 100 < 25.0


def test_multi_series_equals_each_series_alone(make_series: Any, fresh_pool: None) -> None:
    parts = [
        make_series("a", periods=200, seed=1),
        make_series("b", periods=150, trend=-0.3, amplitude=25, seed=2),
        make_series("c", periods=90, freq="W-MON", start="2019-01-07", season=52, seed=3),
        make_series("d", periods=6, seed=4),  # a fallback, too
    ]
    together = run_forecast(pd.concat(parts, ignore_index=True), Params(horizon=10), workers=2)
    assert together.timings["workers"] == 2
    for part in parts:
        sid = part["series_id"].iloc[0]
        alone = run_forecast(part, Params(horizon=10), workers=1)
        mine = together.forecast[together.forecast["series_id"] == sid].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, alone.forecast, rtol=1e-9, atol=1e-9)
        result = next(r for r in together.series if r.series_id == sid)
        assert result.backtest == alone.series[0].backtest


def test_intervals_are_reproducible(make_series: Any) -> None:
    canonical = make_series(periods=100)
    first = run_forecast(canonical, Params(horizon=5), workers=1)
    np.random.seed(123)  # the caller's RNG state must neither matter nor be disturbed
    second = run_forecast(canonical, Params(horizon=5), workers=1)
    assert np.random.randint(1_000_000) == np.random.RandomState(123).randint(1_000_000)
    pd.testing.assert_frame_equal(first.forecast, second.forecast, rtol=0, atol=0)


def test_short_empty_and_failing_series_fall_back_or_are_skipped(
    make_series: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fit = model_module.fit_prophet  # what series calls, before the patch

    def flaky_fit(history: model_module.History, params: Params, **kwargs: Any) -> Any:
        if float(history.y[0]) > 5_000:  # the series "broken" below
            raise RuntimeError("Error evaluating the log probability at the initial value.\nmore")
        return real_fit(history, params, **kwargs)

    monkeypatch.setattr(series_module, "fit_prophet", flaky_fit)
    broken = make_series("broken", periods=60, level=10_000)
    empty = make_series("empty", periods=5).assign(y=np.nan)
    canonical = pd.concat(
        [make_series("good", periods=60), make_series("short", periods=4), broken, empty,
         make_series("single", periods=1)],
        ignore_index=True,
    )  # fmt: skip
    run = run_forecast(canonical, Params(horizon=7, model="prophet"), workers=1)
    by_id = {r.series_id: r for r in run.series}

    assert by_id["good"].method == "prophet"
    assert by_id["good"].reason is None
    assert by_id["short"].method == "mean"
    assert by_id["short"].reason == "too short for Prophet: 4 values, needs 10"
    assert by_id["broken"].method == "seasonal_naive"
    assert by_id["broken"].reason == (
        "Prophet failed: RuntimeError: Error evaluating the log probability at the initial value."
    )
    for skipped in ("empty", "single"):
        assert by_id[skipped].method == "skipped"
        assert "needs at least 2 values" in (by_id[skipped].reason or "")
    assert set(run.forecast["series_id"]) == {"good", "short", "broken"}
    assert run.forecast.groupby("series_id").size().eq(7).all()
    assert run.counts() == {"prophet": 1, "mean": 1, "seasonal_naive": 1, "skipped": 2}
    # The fallback repeats the last week of the broken series.
    tail = broken["y"].to_numpy()[-7:]
    got = run.forecast.loc[run.forecast["series_id"] == "broken", "prediction"].to_numpy()
    np.testing.assert_allclose(got, tail)


def test_logistic_growth_saturates_at_the_cap(make_series: Any) -> None:
    canonical = make_series(periods=120, level=20, trend=0.6, amplitude=1)
    params = resolve({"growth": "logistic", "cap": "100", "floor": "0", "horizon": "200"})
    run = run_forecast(canonical, params, workers=1)
    assert run.series[0].method == "prophet"
    # The trend saturates at the cap; the small weekly wave rides on top of it.
    assert 95 < run.forecast["prediction"].tail(30).mean() < 101
    assert run.forecast["prediction"].max() < 103
    linear = run_forecast(canonical, Params(horizon=200, model="prophet"), workers=1)
    assert linear.forecast["prediction"].max() > 150  # what the cap prevented


def test_non_negative_and_integer_output(make_series: Any) -> None:
    canonical = make_series(periods=80, level=30, trend=-0.5, amplitude=3)
    run = run_forecast(canonical, Params(horizon=40, non_negative=True, integer=True), workers=1)
    values = run.forecast[["prediction", "prediction_lower", "prediction_upper"]]
    assert (values.dtypes == "Int64").all()
    assert (values.to_numpy(dtype="float64") >= 0).all()
    assert (run.forecast["prediction"] == 0).any()  # the downward trend hit the floor


def test_intervals_off_leaves_bounds_empty(make_series: Any) -> None:
    run = run_forecast(make_series(periods=50), Params(horizon=3, uncertainty_samples=0), workers=1)
    assert run.forecast["prediction_lower"].isna().all()
    assert run.forecast["prediction"].notna().all()


def test_country_holidays_are_modelled(make_series: Any) -> None:
    history = make_series(periods=400, start="2022-01-01")[["ds", "y"]]
    model = fit_prophet(history, Params(holidays_country="us"), uncertainty_samples=0)
    assert "Christmas Day" in set(model.train_holiday_names)


def test_unknown_holiday_country_is_an_input_error(make_series: Any) -> None:
    with pytest.raises(InputError) as caught:
        run_forecast(make_series(), Params(holidays_country="XX"), workers=1)
    assert caught.value.code == "invalid_parameter"
    assert caught.value.details == {"parameter": "holidays_country", "value": "XX"}
    assert "ISO 3166" in caught.value.hint


def test_warm_start_converges_to_the_same_forecast(make_series: Any) -> None:
    history = make_series(periods=300)[["ds", "y"]]
    params = Params(uncertainty_samples=0)
    dates = pd.date_range(history["ds"].iloc[-1], periods=8, freq="D")[1:]
    cold = fit_prophet(history, params)
    longer = pd.concat([history, history.tail(1).assign(ds=dates[0], y=history["y"].iloc[-7])])
    warm = fit_prophet(longer, params, init=warm_start_init(cold))
    again = fit_prophet(longer, params)
    np.testing.assert_allclose(
        predict_prophet(warm, dates[1:], params)["prediction"],
        predict_prophet(again, dates[1:], params)["prediction"],
        rtol=0.01,
    )
