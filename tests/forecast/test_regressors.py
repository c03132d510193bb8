"""External regressors in the forecast: Prophet's design on arrays, the coefficients and
their intervals, and model=auto with only the models that take regressors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dropcast_common.errors import InputError
from dropcast_common.params import Params
from dropcast_forecasting.engine import run_forecast
from dropcast_forecasting.model import fit_prophet, predict_prophet, regressor_values
from dropcast_forecasting.native import design
from dropcast_forecasting.native import forecast as native
from dropcast_forecasting.native.agreement import cmdstan_fit
from dropcast_forecasting.native.stan import StanData
from dropcast_forecasting.regressors import effects
from dropcast_forecasting.render.report import build_report

PROMO_EFFECT = 5.0
PRICE_EFFECT = -2.0


def promo_series(seed: int = 3, days: int = 300, future: int = 14, sid: str = "s") -> pd.DataFrame:
    """A canonical table: y = base + 5 * promo - 2 * price + noise, future rows without y."""
    rng = np.random.default_rng(seed)
    n = days + future
    t = np.arange(n)
    promo = (rng.random(n) < 0.3).astype("float64")
    price = np.round(10 + rng.normal(0, 1, n), 2)
    base = 40 + 0.03 * t + 3 * np.sin(2 * np.pi * t / 7)
    y = base + PROMO_EFFECT * promo + PRICE_EFFECT * price + rng.normal(0, 1, n)
    y[days:] = np.nan
    ds = pd.date_range("2023-01-02", periods=n, freq="D").as_unit("ns")
    return pd.DataFrame({"series_id": sid, "ds": ds, "y": y, "price": price, "promo": promo})


def history_and_future(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    known = frame["y"].notna()
    return frame[known].reset_index(drop=True), frame[~known].reset_index(drop=True)


def prophets_stan_data(history: pd.DataFrame, params: Params) -> StanData:
    """The Stan data Prophet itself hands its backend for this history."""
    return cmdstan_fit(history, params)[1]


@pytest.mark.parametrize("mode", ["additive", "multiplicative"])
def test_the_array_design_standardises_regressors_as_prophet_does(mode: str) -> None:
    history, _ = history_and_future(promo_series())
    params = Params(regressors=("price", "promo"), regressor_mode=mode)
    theirs = prophets_stan_data(history, params)
    ds = history["ds"].to_numpy(dtype="datetime64[ns]").view("int64")
    y = history["y"].to_numpy()
    values = regressor_values(history, params)
    ours = design.stan_data(design.layout(ds, y, params, values), ds, y, values)
    # Means and deviations come from numpy here, from pandas in Prophet: equal to rounding.
    np.testing.assert_allclose(ours.X, theirs.X, rtol=0, atol=1e-12)
    for field in ("sigmas", "s_a", "s_m", "t", "y"):
        np.testing.assert_array_equal(getattr(ours, field), getattr(theirs, field), err_msg=field)
    promo = design.layout(ds, y, params, values).regressors[1]
    assert (promo.mu, promo.std) == (0.0, 1.0)  # a 0/1 column is not standardised


@pytest.mark.parametrize("mode", ["additive", "multiplicative"])
def test_native_forecasts_with_regressors_agree_with_cmdstans(mode: str) -> None:
    history, future = history_and_future(promo_series())
    dates = pd.DatetimeIndex(future["ds"])
    forecasts = {}
    for engine in ("native", "cmdstan"):
        params = Params(
            regressors=("price", "promo"),
            regressor_mode=mode,
            engine=engine,
            uncertainty_samples=0,
        )
        model = fit_prophet(history, params)
        assert isinstance(model, native.NativeFit) == (engine == "native")
        frame = predict_prophet(model, dates, params, regressor_values(future, params))
        forecasts[engine] = frame["prediction"].to_numpy()
    gap = np.abs(forecasts["native"] - forecasts["cmdstan"]) / np.abs(forecasts["cmdstan"])
    assert gap.max() < 0.005


@pytest.mark.parametrize(
    "country",
    [None, "US"],  # US holidays: the fit goes through Prophet itself, with the native backend
    ids=["array path", "through Prophet"],
)
def test_a_known_promo_effect_is_recovered_within_its_interval(country: str | None) -> None:
    """Acceptance 1 (regressor part): right sign, right size, inside its interval."""
    frame = promo_series()
    params = Params(model="prophet", regressors=("price", "promo"), holidays_country=country)
    run = run_forecast(frame, params, workers=1)
    (result,) = run.series
    found = {e.name: e for e in result.regressors}
    for name, truth in (("promo", PROMO_EFFECT), ("price", PRICE_EFFECT)):
        effect = found[name]
        assert effect.coef_lower is not None
        assert effect.coef_upper is not None
        assert effect.coef_lower <= truth <= effect.coef_upper, effect
        assert np.sign(effect.coef) == np.sign(truth)
        assert abs(effect.coef - truth) < 0.1 * abs(truth)
        assert effect.mode == "additive"
    # The horizon is the future rows, and the forecast follows their regressors:
    # it is as close to the noiseless truth as the noise (sd 1) allows.
    _, future = history_and_future(frame)
    forecast = run.forecast
    assert forecast["date"].tolist() == future["ds"].tolist()
    t = np.arange(300, 314)
    truth = (
        40
        + 0.03 * t
        + 3 * np.sin(2 * np.pi * t / 7)
        + PROMO_EFFECT * future["promo"].to_numpy()
        + PRICE_EFFECT * future["price"].to_numpy()
    )
    assert np.abs(forecast["prediction"].to_numpy() - truth).mean() < 0.5


def test_the_coefficient_interval_covers_the_truth_about_as_often_as_it_says() -> None:
    params = Params(regressors=("price", "promo"), uncertainty_samples=0, interval_width=0.8)
    covered = 0
    seeds = range(40)
    for seed in seeds:
        history, _ = history_and_future(promo_series(seed=seed, days=200))
        model = fit_prophet(history, params)
        promo = next(e for e in effects(model, history, params) if e.name == "promo")
        assert promo.coef_lower is not None
        assert promo.coef_upper is not None
        covered += promo.coef_lower <= PROMO_EFFECT <= promo.coef_upper
    assert 0.65 <= covered / len(seeds) <= 0.95


def test_cmdstan_fits_report_the_same_coefficients() -> None:
    history, _ = history_and_future(promo_series())
    found = {}
    for engine in ("native", "cmdstan"):
        params = Params(regressors=("price", "promo"), engine=engine, uncertainty_samples=0)
        found[engine] = effects(fit_prophet(history, params), history, params)
    for ours, theirs in zip(found["native"], found["cmdstan"], strict=True):
        assert ours.coef == pytest.approx(theirs.coef, rel=1e-3)
        assert ours.coef_upper == pytest.approx(theirs.coef_upper, rel=1e-3)


def test_model_auto_backtests_only_the_models_that_take_regressors() -> None:
    frame = pd.concat([promo_series(sid="a"), promo_series(seed=4, sid="b")], ignore_index=True)
    params = Params(regressors=("price", "promo"))
    run = run_forecast(frame, params, workers=1)
    for result in run.series:
        assert [c.model for c in result.candidates] == ["prophet", "arima"]
        assert result.method in ("prophet", "arima")
        promo = next(e for e in result.regressors if e.name == "promo")
        assert promo.coef == pytest.approx(PROMO_EFFECT, abs=0.5)
    report = build_report(series=run.series, params=params, source="x.csv")
    assert report.regressors is not None
    assert report.regressors.candidates == ["prophet", "arima"]
    assert set(report.regressors.excluded) == {"ets", "theta", "seasonal_naive", "combination"}
    assert all("no external regressors" in why for why in report.regressors.excluded.values())


def test_multiplicative_regressors_leave_arima_out_and_the_report_says_why() -> None:
    params = Params(regressors=("price", "promo"), regressor_mode="multiplicative")
    run = run_forecast(promo_series(), params, workers=1)
    (result,) = run.series
    assert [c.model for c in result.candidates] == ["prophet"]
    assert {e.mode for e in result.regressors} == {"multiplicative"}
    report = build_report(series=run.series, params=params, source="x.csv")
    assert report.regressors is not None
    assert "multiply" in report.regressors.excluded["arima"]


def test_arima_reports_its_exogenous_coefficients_without_an_interval() -> None:
    params = Params(model="arima", regressors=("price", "promo"))
    (result,) = run_forecast(promo_series(), params, workers=1).series
    assert result.method == "arima"
    found = {e.name: e for e in result.regressors}
    for name, truth in (("promo", PROMO_EFFECT), ("price", PRICE_EFFECT)):
        assert found[name].coef == pytest.approx(truth, rel=0.1)
        assert found[name].coef_lower is None  # statsforecast's var_coef is no covariance


@pytest.mark.parametrize("model", ["ets", "theta", "seasonal_naive", "combination"])
def test_a_model_that_takes_no_regressors_is_refused(model: str) -> None:
    params = Params(model=model, regressors=("promo",))
    with pytest.raises(InputError) as caught:
        run_forecast(promo_series(), params, workers=1)
    assert caught.value.code == "model_takes_no_regressors"
    assert "model=auto" in caught.value.hint


def test_a_series_too_short_for_the_regressors_is_reported_plainly() -> None:
    frame = pd.concat(
        [promo_series(sid="long"), promo_series(seed=5, days=8, future=3, sid="short")],
        ignore_index=True,
    )
    params = Params(regressors=("price", "promo"))
    run = run_forecast(frame, params, workers=1)
    short = next(r for r in run.series if r.series_id == "short")
    assert short.regressors == []
    assert "takes no regressors" in (short.reason or "")
    report = build_report(series=run.series, params=params, source="x.csv")
    assert report.regressors is not None
    assert list(report.regressors.without_regressors) == ["short"]
    warning = next(w for w in report.warnings if w.code == "regressors_unused")
    assert warning.series == ["short"]
