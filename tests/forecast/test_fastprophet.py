"""dropcast's faster Prophet forecasts exactly as Prophet does."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from dropcast_common.params import resolve
from dropcast_forecasting import fastprophet
from dropcast_forecasting.model import fit_prophet, predict_prophet
from dropcast_forecasting.quiet import import_prophet


def _plain_prophet(history: pd.DataFrame, params: Any, dates: pd.DatetimeIndex) -> pd.DataFrame:
    prophet = import_prophet()
    model = prophet.Prophet(
        seasonality_mode=params.seasonality_mode, uncertainty_samples=params.uncertainty_samples
    )
    if params.holidays_country:
        model.add_country_holidays(country_name=params.holidays_country)
    model.fit(history[["ds", "y"]])
    np.random.seed(3)
    forecast: pd.DataFrame = model.predict(pd.DataFrame({"ds": dates}))
    return forecast


@pytest.mark.parametrize(
    ("periods", "settings"),
    [
        (120, {}),  # weekly seasonality only
        (800, {}),  # yearly too: another shape, another cached matrix
        (800, {"holidays_country": "US", "seasonality_mode": "multiplicative"}),
    ],
)
def test_forecasts_equal_prophets_own(
    make_series: Any, periods: int, settings: dict[str, str]
) -> None:
    params = resolve({"engine": "cmdstan", "uncertainty_samples": "200", **settings})
    history = make_series(periods=periods, start="2021-01-04")
    dates = pd.date_range(history["ds"].iloc[-1], periods=15, freq="D")[1:]
    expected = _plain_prophet(history, params, dates)
    for _ in range(2):  # the second time from the cache
        model = fit_prophet(history, params)
        assert isinstance(model, fastprophet.prophet_class())
        np.random.seed(3)
        got = predict_prophet(model, dates, params)
        np.testing.assert_array_equal(got["prediction"], expected["yhat"])
        np.testing.assert_array_equal(got["prediction_lower"], expected["yhat_lower"])
        np.testing.assert_array_equal(got["prediction_upper"], expected["yhat_upper"])


def test_one_matrix_per_shape_and_callers_get_their_own_copy(make_series: Any) -> None:
    fastprophet._matrices.clear()
    params = resolve({"engine": "cmdstan", "uncertainty_samples": "0"})
    first = fit_prophet(make_series(periods=120, seed=1), params)
    fit_prophet(make_series(periods=130, seed=2), params)
    assert len(fastprophet._matrices) == 1
    first.train_component_cols.iloc[0, 0] = 99  # a caller scribbling on its copy
    ((matrix, _),) = fastprophet._matrices.values()
    assert 99 not in matrix.to_numpy()
    fit_prophet(make_series(periods=800, seed=3), params)  # yearly seasonality switches on
    assert len(fastprophet._matrices) == 2


@pytest.mark.parametrize("tz", [None, "Europe/Berlin"])
def test_fourier_features_equal_prophets_own(tz: str | None) -> None:
    prophet = import_prophet()
    dates = pd.Series(pd.date_range("1969-12-25 06:30", periods=500, freq="7h", tz=tz))
    fast: Any = fastprophet.prophet_class()  # a subclass of the untyped prophet.Prophet
    for period, order in ((7, 3), (365.25, 10), (1, 4)):
        np.testing.assert_array_equal(
            fast.fourier_series(dates, period, order),
            prophet.Prophet.fourier_series(dates, period, order),
        )
    with pytest.raises(ValueError, match="series_order"):
        fast.fourier_series(dates, 7, 0)
