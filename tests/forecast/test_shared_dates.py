"""What series sharing their dates share: the memos must never change an answer.

A fit or a forecast from warm memos (another series with the same dates
went first) is bit-identical to one from cold memos, and a history handed
over as arrays fits exactly as the same history as a frame.
"""

from __future__ import annotations

import threading
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dropcast_common.frequency import infer_one
from dropcast_common.params import Params
from dropcast_forecasting import memo
from dropcast_forecasting.calendar import inferred_frequency
from dropcast_forecasting.model import History, fit_prophet
from dropcast_forecasting.native import design
from dropcast_forecasting.series import SeriesOutcome, SeriesTask, forecast_series

PARAMS = Params(horizon=28, model="prophet")


def _task(make_series: Any, series_id: str, seed: int, periods: int = 3 * 365) -> SeriesTask:
    frame = make_series(series_id, periods=periods, seed=seed, level=100 + 50 * seed)
    return SeriesTask(
        series_id, frame["ds"].to_numpy(dtype="datetime64[ns]"), frame["y"].to_numpy()
    )


def _assert_same(one: SeriesOutcome, other: SeriesOutcome) -> None:
    assert one.forecast is not None
    assert other.forecast is not None
    for name, values in one.forecast.items():
        np.testing.assert_array_equal(values, other.forecast[name], err_msg=name)
    assert one.result.backtest == other.result.backtest
    assert one.carry is not None
    assert other.carry is not None
    assert one.carry.init is not None
    assert other.carry.init is not None
    for key, value in one.carry.init.items():
        np.testing.assert_array_equal(value, other.carry.init[key], err_msg=key)


def test_a_forecast_from_warm_memos_is_bit_identical_to_one_from_cold(make_series: Any) -> None:
    first, second = _task(make_series, "a", 1), _task(make_series, "b", 2)
    memo.clear_all()
    cold = forecast_series(second, PARAMS)
    memo.clear_all()
    forecast_series(first, PARAMS)  # the same dates: fills the memos for `second`
    warm = forecast_series(second, PARAMS)
    _assert_same(warm, cold)
    other = forecast_series(first, PARAMS).forecast
    assert other is not None
    assert warm.forecast is not None
    assert not np.array_equal(other["prediction"], warm.forecast["prediction"])


def test_series_with_other_dates_get_their_own_design(make_series: Any) -> None:
    long, short = _task(make_series, "a", 1), _task(make_series, "b", 1, periods=2 * 365)
    memo.clear_all()
    alone = forecast_series(short, PARAMS)
    forecast_series(long, PARAMS)
    _assert_same(forecast_series(short, PARAMS), alone)


def test_cached_arrays_are_read_only(make_series: Any) -> None:
    task = _task(make_series, "a", 1)
    ds = task.ds.view("int64")
    data = design.stan_data(design.layout(ds, task.y, PARAMS), ds, task.y)
    with pytest.raises(ValueError, match="read-only"):
        data.X[0, 0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        data.t[0] = 1.0


def test_vectorised_fourier_terms_are_prophets_column_by_column(make_series: Any) -> None:
    ds = make_series(periods=800)["ds"].to_numpy(dtype="datetime64[ns]").view("int64")
    seasons = (design.Seasonality("yearly", 365.25, 10), design.Seasonality("weekly", 7.0, 3))
    x_t = np.pi * 2 * (ds.astype("float64") / 1e9 / 86_400)
    columns = [
        f((i + 1) / season.period * x_t)
        for season in seasons
        for i in range(season.order)
        for f in (np.sin, np.cos)
    ]
    np.testing.assert_array_equal(design.seasonal_features(ds, seasons), np.column_stack(columns))


@pytest.mark.parametrize("regressors", [False, True])
def test_a_history_of_arrays_fits_as_the_same_history_as_a_frame(
    make_series: Any, regressors: bool
) -> None:
    frame = make_series(periods=400)[["ds", "y"]]
    params = PARAMS
    history = History(frame["ds"].to_numpy(dtype="datetime64[ns]"), frame["y"].to_numpy())
    if regressors:
        promo = (np.arange(len(frame)) % 30 < 3).astype("float64")
        frame = frame.assign(promo=promo)
        params = PARAMS.model_copy(update={"regressors": ["promo"]})
        history = History(history.ds, history.y, promo[:, None], ("promo",))
    pd.testing.assert_frame_equal(history.frame, frame)
    from_arrays, from_frame = fit_prophet(history, params), fit_prophet(frame, params)
    for key, value in from_frame.params.items():
        np.testing.assert_array_equal(from_arrays.params[key], value, err_msg=key)


def test_the_frequency_is_inferred_once_per_dates_and_as_for_a_frame() -> None:
    for freq in ("D", "MS", "W-MON", "h"):
        ds = pd.date_range("2020-01-06", periods=60, freq=freq).as_unit("ns").to_numpy()
        ds = np.delete(ds, [5, 17])  # gaps: the rows ingest dropped
        assert inferred_frequency(ds) == infer_one(pd.Series(ds)) is not None
        assert inferred_frequency(ds.copy()) == infer_one(pd.Series(ds))


def test_a_memo_keeps_the_most_recently_used_within_its_budget() -> None:
    made: list[str] = []

    def make(key: str, size: int) -> np.ndarray:
        made.append(key)
        return np.zeros(size, dtype="uint8")

    small = memo.Memo[np.ndarray](2, max_bytes=100)
    small.get("a", lambda: make("a", 10))
    small.get("b", lambda: make("b", 10))
    small.get("a", lambda: make("a", 10))  # a hit: "a" is now the most recent
    small.get("c", lambda: make("c", 10))  # evicts "b", the least recently used
    small.get("a", lambda: make("a", 10))
    small.get("b", lambda: make("b", 10))
    assert made == ["a", "b", "c", "b"]
    roomy = memo.Memo[np.ndarray](8, max_bytes=100)
    roomy.get("a", lambda: make("a", 60))
    roomy.get("b", lambda: make("b", 60))  # 120 bytes: "a" goes
    assert len(roomy) == 1
    assert len(roomy.get("huge", lambda: make("huge", 101))) == 101  # returned, never kept
    roomy.get("huge", lambda: make("huge", 101))
    roomy.get("b", lambda: make("b", 60))
    assert made[-3:] == ["b", "huge", "huge"]


def test_a_memo_shared_by_threads_returns_each_key_its_value() -> None:
    shared = memo.Memo[np.ndarray](4, max_bytes=4 * 80)
    wrong: list[int] = []

    def work(seed: int) -> None:
        rng = np.random.default_rng(seed)
        for key in rng.integers(0, 12, 2_000).tolist():
            if shared.get(key, partial(np.full, 10, key))[0] != key:
                wrong.append(key)

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
    assert len(shared) <= 4
