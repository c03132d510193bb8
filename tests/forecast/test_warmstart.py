"""Warm starts kept between uploads: what is stored comes back usable, and bad data never hurts."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dropcast_common.params import resolve
from dropcast_forecast import warmstart
from dropcast_forecast.model import fit_prophet, predict_prophet, warm_start_init

PARAMS = resolve()


def _init(k: float = 0.1, size: int = 25) -> dict[str, Any]:
    return {
        "k": k,
        "m": 0.5,
        "sigma_obs": 0.05,
        "delta": np.linspace(-0.01, 0.01, size),
        "beta": np.arange(6, dtype="float64") / 10,
    }


def test_round_trip_gives_back_every_series() -> None:
    inits = {"a": _init(0.1), "b": _init(0.2)}
    back = warmstart.decode(warmstart.encode(inits, PARAMS), PARAMS)
    assert sorted(back) == ["a", "b"]
    for series_id, init in inits.items():
        assert back[series_id]["k"] == init["k"]
        np.testing.assert_array_equal(back[series_id]["delta"], init["delta"])
        np.testing.assert_array_equal(back[series_id]["beta"], init["beta"])
        assert isinstance(back[series_id]["delta"], np.ndarray)


def test_only_the_requested_series_are_returned() -> None:
    stored = warmstart.encode({"a": _init(), "b": _init(), "c": _init()}, PARAMS)
    assert sorted(warmstart.decode(stored, PARAMS, ["b", "c", "not-stored"])) == ["b", "c"]


def test_a_fitted_model_round_trips_into_a_fit(make_series: Any) -> None:
    history = make_series(periods=120)
    model = fit_prophet(history, PARAMS)
    stored = warmstart.encode({"y": warm_start_init(model)}, PARAMS)
    init = warmstart.decode(stored, PARAMS)["y"]
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
    stored = warmstart.encode({"a": _init()}, PARAMS)
    other = resolve({"yearly_seasonality": "true"})
    assert warmstart.decode(stored, other) == {}
    # A parameter that only moves the optimum keeps the starting point valid.
    assert warmstart.decode(stored, resolve({"changepoint_prior_scale": "0.5"}))


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
    document = json.loads(warmstart.encode({"good": _init()}, PARAMS))
    good = document["series"]["good"]
    document["series"].update(
        {
            "text": {**good, "k": "0.1"},
            "flag": {**good, "m": True},
            "short": {key: value for key, value in good.items() if key != "beta"},
            "nested": {**good, "delta": [[0.1]]},
            "not-a-record": [1, 2, 3],
        }
    )
    back = warmstart.decode(json.dumps(document).encode(), PARAMS)
    assert sorted(back) == ["good"]


def test_non_finite_fits_are_not_stored() -> None:
    bad = _init()
    bad["delta"][3] = np.nan
    stored = json.loads(warmstart.encode({"bad": bad, "ok": _init()}, PARAMS))
    assert sorted(stored["series"]) == ["ok"]


def test_object_is_keyed_by_the_output_stem() -> None:
    assert warmstart.object_name("sales/daily") == "warmstart/sales/daily.json"
