"""The native interval's shortcuts compute exactly what numpy's general routines do and
draw exactly what the seeded global generator would."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from dropcast_common.params import Params
from dropcast_forecasting.calendar import future_dates
from dropcast_forecasting.model import fit_prophet
from dropcast_forecasting.native import forecast as native
from dropcast_forecasting.native.forecast import percentiles, running_sum


@pytest.mark.parametrize("draws", [1, 2, 3, 10, 999, 1000])
@pytest.mark.parametrize("width", [0.0, 0.5, 0.8, 0.95, 1.0])
def test_interval_bounds_are_numpys_percentiles(draws: int, width: float) -> None:
    rng = np.random.default_rng(draws)
    samples = rng.standard_normal((7, draws)) * 100
    samples[3] = np.round(samples[3])  # ties
    samples[4] = 5.0  # a date without spread
    lower_p, upper_p = 100 * (1.0 - width) / 2, 100 * (1.0 + width) / 2
    expected = np.percentile(samples, [lower_p, upper_p], axis=1)
    lower, upper = percentiles(samples.copy(), lower_p, upper_p)
    np.testing.assert_array_equal(lower, expected[0])
    np.testing.assert_array_equal(upper, expected[1])


def test_running_sums_are_numpys_cumsum() -> None:
    mat = np.random.default_rng(0).laplace(0, 1e-3, (28, 1000))
    expected = np.cumsum(np.cumsum(mat, axis=0), axis=0)
    running_sum(mat)
    running_sum(mat)
    np.testing.assert_array_equal(mat, expected)


def test_a_seeded_prediction_draws_as_from_the_seeded_global_generator(make_series: Any) -> None:
    history = make_series(periods=400)[["ds", "y"]]
    model = fit_prophet(history, Params(uncertainty_samples=200))
    assert isinstance(model, native.NativeFit)
    dates = future_dates(history["ds"].iloc[-1], "D", 28).to_numpy()
    np.random.seed(7)
    expected = model.predict(dates)
    np.random.seed(99)
    seeded = model.predict(dates, seed=7)
    np.testing.assert_array_equal(seeded.lower, expected.lower)
    np.testing.assert_array_equal(seeded.upper, expected.upper)
    assert np.random.random() == np.random.RandomState(99).random()  # the global one untouched
    assert not np.array_equal(model.predict(dates, seed=8).lower, expected.lower)
