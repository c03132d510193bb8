"""Warm starts kept between uploads: what is stored comes back usable, and bad data never hurts."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dropcast_common.params import resolve
from dropcast_forecasting import warmstart
from dropcast_forecasting.model import fit_prophet, predict_prophet, warm_start_init
from dropcast_forecasting.results import Backtest
from dropcast_forecasting.warmstart import Carried, extends, history_digest, reusable_backtest

PARAMS = resolve()
BACKTEST = Backtest(holdout=28, mae=1.5, smape=2.0, mase=0.8, naive_mae=2.0, season_length=7)
DS = pd.date_range("2024-01-01", periods=100, freq="D").to_numpy()
Y = np.linspace(1.0, 2.0, 100)


def _init(k: float = 0.1, size: int = 25) -> dict[str, Any]:
    return {
        "k": k,
        "m": 0.5,
        "sigma_obs": 0.05,
        "delta": np.linspace(-0.01, 0.01, size),
        "beta": np.arange(6, dtype="float64") / 10,
    }


def _carried(
    init: dict[str, Any] | None = None, n: int = 90, backtest_n: int | None = 88
) -> Carried:
    return Carried(
        init or _init(),
        n,
        history_digest(DS[:n], Y[:n]),
        "D",
        BACKTEST if backtest_n is not None else None,
        backtest_n,
    )


def test_round_trip_gives_back_every_series() -> None:
    carried = {"a": _carried(_init(0.1)), "b": _carried(_init(0.2), backtest_n=None)}
    back = warmstart.decode(warmstart.encode(carried, PARAMS), PARAMS)
    assert sorted(back) == ["a", "b"]
    for series_id, record in carried.items():
        got = back[series_id]
        assert got.init is not None
        assert record.init is not None
        assert got.init["k"] == record.init["k"]
        np.testing.assert_array_equal(got.init["delta"], record.init["delta"])
        np.testing.assert_array_equal(got.init["beta"], record.init["beta"])
        assert isinstance(got.init["delta"], np.ndarray)
        assert (got.observations, got.digest, got.frequency) == (90, record.digest, "D")
        assert (got.backtest, got.backtest_observations) == (
            record.backtest,
            record.backtest_observations,
        )


def test_only_the_requested_series_are_returned() -> None:
    stored = warmstart.encode({"a": _carried(), "b": _carried(), "c": _carried()}, PARAMS)
    assert sorted(warmstart.decode(stored, PARAMS, ["b", "c", "not-stored"])) == ["b", "c"]


def test_parts_merge_into_one_document() -> None:
    first = warmstart.encode({"a": _carried()}, PARAMS)
    second = warmstart.encode({"b": _carried(), "c": _carried()}, PARAMS)
    merged = warmstart.merge([first, second])
    assert sorted(warmstart.decode(merged, PARAMS)) == ["a", "b", "c"]
    assert warmstart.merge([]) is None


def test_a_fitted_model_round_trips_into_a_fit(make_series: Any) -> None:
    history = make_series(periods=120)
    model = fit_prophet(history, PARAMS)
    record = Carried(warm_start_init(model), 120, "0" * 64, "D")
    init = warmstart.decode(warmstart.encode({"y": record}, PARAMS), PARAMS)["y"].init
    longer = make_series(periods=121)
    warm = fit_prophet(longer, PARAMS, init=init)
    cold = fit_prophet(longer, PARAMS)
    dates = pd.date_range(longer["ds"].iloc[-1], periods=8, freq="D")[1:]
    np.testing.assert_allclose(
        predict_prophet(warm, dates, PARAMS)["prediction"],
        predict_prophet(cold, dates, PARAMS)["prediction"],
        rtol=0.01,
    )


def test_inits_fitted_under_another_model_are_ignored() -> None:
    stored = warmstart.encode({"a": _carried()}, PARAMS)
    assert warmstart.decode(stored, resolve({"yearly_seasonality": "true"})) == {}


@pytest.mark.parametrize(
    "change",
    [
        {"changepoint_prior_scale": "0.5"},
        {"horizon": "14"},
        {"integer": "true"},
        {"engine": "cmdstan"},
    ],
)
def test_backtests_scored_under_other_parameters_are_dropped_but_the_start_kept(
    change: dict[str, str],
) -> None:
    stored = warmstart.encode({"a": _carried()}, PARAMS)
    back = warmstart.decode(stored, resolve(change))["a"]
    assert back.init is not None
    assert back.init["k"] == 0.1  # only moves the optimum: still a good start
    assert back.backtest is None
    assert back.backtest_observations is None


def test_interval_settings_keep_the_backtest() -> None:
    stored = warmstart.encode({"a": _carried()}, PARAMS)
    other = resolve({"uncertainty_samples": "0", "interval_width": "0.9"})
    assert warmstart.decode(stored, other)["a"].backtest == BACKTEST


@pytest.mark.parametrize(
    "data",
    [
        None,
        b"",
        b"not json",
        b"\xff\xfe",
        b"[]",
        json.dumps({"kind": "something else"}).encode(),
        json.dumps({"kind": warmstart.KIND, "version": 99}).encode(),
    ],
)
def test_missing_or_foreign_data_means_a_cold_fit(data: bytes | None) -> None:
    assert warmstart.decode(data, PARAMS) == {}


def test_malformed_series_are_skipped_and_the_rest_kept() -> None:
    document = json.loads(warmstart.encode({"good": _carried()}, PARAMS))
    good = document["series"]["good"]
    init = good["init"]
    document["series"].update(
        {
            "text": {**good, "init": {**init, "k": "0.1"}},
            "flag": {**good, "init": {**init, "m": True}},
            "short": {**good, "init": {k: v for k, v in init.items() if k != "beta"}},
            "nested": {**good, "init": {**init, "delta": [[0.1]]}},
            "no-count": {**good, "observations": "90"},
            "zero-count": {**good, "observations": 0},
            "bad-digest": {**good, "digest": "abc"},
            "not-a-record": [1, 2, 3],
        }
    )
    back = warmstart.decode(json.dumps(document).encode(), PARAMS)
    assert sorted(back) == ["good"]


def test_a_malformed_backtest_is_dropped_and_the_start_kept() -> None:
    document = json.loads(warmstart.encode({"a": _carried(), "b": _carried()}, PARAMS))
    document["series"]["a"]["backtest"] = {"mae": "lots"}
    document["series"]["b"]["backtest_observations"] = 91  # more than the fit saw
    back = warmstart.decode(json.dumps(document).encode(), PARAMS)
    assert sorted(back) == ["a", "b"]
    assert back["a"].backtest is None
    assert back["b"].backtest is None


def test_non_finite_fits_are_not_stored() -> None:
    bad = _init()
    bad["delta"][3] = np.nan
    stored = json.loads(warmstart.encode({"bad": _carried(bad), "ok": _carried()}, PARAMS))
    assert sorted(stored["series"]) == ["ok"]


def test_object_is_keyed_by_a_digest_of_the_source() -> None:
    name = warmstart.object_name("in", "sales/daily.csv")
    assert name == warmstart.object_name("in", "sales/daily.csv")
    assert name.startswith("warmstart/")
    assert name.endswith(".json")
    assert "sales" not in name  # any object name gives a short, safe staging name
    assert name != warmstart.object_name("in", "sales/weekly.csv")
    assert name != warmstart.object_name("other", "sales/daily.csv")


def test_a_history_extends_itself_with_values_appended_only() -> None:
    carried = _carried(n=90)
    assert extends(carried, DS, Y)
    assert extends(carried, DS[:90], Y[:90])
    assert not extends(carried, DS[:89], Y[:89])  # shorter
    revised = Y.copy()
    revised[10] += 1e-9
    assert not extends(carried, DS, revised)  # an earlier value changed
    assert not extends(carried, DS + np.timedelta64(1, "D"), Y)  # other dates


def test_a_backtest_is_kept_for_fewer_new_values_than_a_quarter_of_the_horizon() -> None:
    carried = _carried(n=90, backtest_n=88)
    assert reusable_backtest(carried, DS[:90], Y[:90], "D", 28) == (BACKTEST, 2)
    assert reusable_backtest(carried, DS[:94], Y[:94], "D", 28) == (BACKTEST, 6)
    assert reusable_backtest(carried, DS[:95], Y[:95], "D", 28) is None  # 7 new: 4 * 7 >= 28
    assert reusable_backtest(carried, DS[:89], Y[:89], "D", 12) is None  # shorter than the fit
    assert reusable_backtest(carried, DS[:90], Y[:90], "D", 8) is None  # 2 new: 4 * 2 >= 8
    assert reusable_backtest(carried, DS[:90], Y[:90], "W-SUN", 28) is None
    assert reusable_backtest(_carried(backtest_n=None), DS, Y, "D", 28) is None
    assert reusable_backtest(None, DS, Y, "D", 28) is None


# --- the engine: a series forecast again with one more day -----------------------------------


def _forecast(frame: pd.DataFrame, params: Any, previous: Carried | None = None) -> Any:
    from dropcast_forecasting.series import SeriesTask, forecast_series

    task = SeriesTask(
        series_id="y",
        ds=frame["ds"].to_numpy(dtype="datetime64[ns]"),
        y=frame["y"].to_numpy(dtype="float64"),
        previous=previous,
    )
    return forecast_series(task, params)


def test_one_more_day_starts_warm_and_keeps_the_backtest(make_series: Any) -> None:
    params = resolve({"uncertainty_samples": "0", "model": "prophet"})
    first = _forecast(make_series(periods=150), params)
    assert first.carry is not None
    assert not first.result.warm_start
    assert first.result.backtest is not None
    assert first.result.backtest_age is None

    longer = make_series(periods=151)
    warm = _forecast(longer, params, first.carry)
    cold = _forecast(longer, params)
    assert warm.result.warm_start
    assert warm.result.backtest == first.result.backtest
    assert warm.result.backtest_age == 1
    assert warm.forecast is not None
    assert cold.forecast is not None
    np.testing.assert_allclose(warm.forecast["prediction"], cold.forecast["prediction"], rtol=0.01)
    # What it carries on: the new fit, and the kept backtest with the length it was computed at.
    assert warm.carry is not None
    assert warm.carry.observations == 151
    assert warm.carry.backtest_observations == 150


def test_the_backtest_is_computed_afresh_once_the_series_grew_enough(make_series: Any) -> None:
    params = resolve({"uncertainty_samples": "0", "model": "prophet"})
    first = _forecast(make_series(periods=150), params)
    later = _forecast(make_series(periods=157), params, first.carry)  # 7 new, horizon 28
    assert later.result.warm_start
    assert later.result.backtest_age is None
    assert later.result.backtest is not None
    assert later.result.backtest != first.result.backtest
    assert later.carry is not None
    assert later.carry.backtest_observations == 157


def test_a_revised_history_gets_a_fresh_backtest(make_series: Any) -> None:
    params = resolve({"uncertainty_samples": "0", "model": "prophet"})
    first = _forecast(make_series(periods=150), params)
    revised = make_series(periods=151, seed=1)  # every earlier value differs
    again = _forecast(revised, params, first.carry)
    assert again.result.warm_start  # still a fine place to start from
    assert again.result.backtest_age is None


def test_a_start_of_another_shape_is_a_cold_fit(make_series: Any) -> None:
    params = resolve({"uncertainty_samples": "0", "model": "prophet"})
    history = make_series(periods=150)
    first = _forecast(history, params)
    assert first.carry is not None
    wrong = {**first.carry.init, "beta": np.zeros(3)}  # as if seasonality had switched
    stale = Carried(wrong, 10_000, "0" * 64, "D")
    again = _forecast(history, params, stale)
    assert not again.result.warm_start
    assert again.forecast is not None
    assert first.forecast is not None
    np.testing.assert_allclose(again.forecast["prediction"], first.forecast["prediction"])
