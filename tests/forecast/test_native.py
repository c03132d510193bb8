"""The native engine is Prophet's model: same data, same density, an optimum at least as good.

Correctness is measured against cmdstan on a fixed sample (``native_cases``):
the native optimum's log posterior is at least cmdstan's, and forecasts
agree within 0.5 % (median) and 2 % (worst) unless the native optimum is
the better one, which the test prints.
"""

from __future__ import annotations

import logging
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pytest
from tests.forecast import native_cases

from dropcast_common.params import Params
from dropcast_forecasting.calendar import future_dates
from dropcast_forecasting.model import build_prophet, fit_prophet, predict_prophet
from dropcast_forecasting.native import agreement, design
from dropcast_forecasting.native import forecast as native
from dropcast_forecasting.native.solver import Solution
from dropcast_forecasting.native.stan import Point, StanData, log_posterior

SAMPLE = native_cases.sample()


@pytest.mark.parametrize(
    ("name", "history", "frequency", "params"), SAMPLE, ids=[c[0] for c in SAMPLE]
)
def test_the_array_path_builds_prophets_stan_data(
    name: str, history: pd.DataFrame, frequency: str, params: Params
) -> None:
    _, theirs = agreement.cmdstan_fit(history, params)
    ds = history["ds"].to_numpy(dtype="datetime64[ns]").view("int64")
    y = history["y"].to_numpy()
    ours = design.stan_data(design.layout(ds, y, params), ds, y)
    for field in ("t", "y", "cap", "t_change", "X", "sigmas", "s_a", "s_m"):
        np.testing.assert_array_equal(getattr(ours, field), getattr(theirs, field), err_msg=field)
    assert (ours.tau, ours.trend_indicator) == (theirs.tau, theirs.trend_indicator)


def test_the_log_posterior_is_cmdstans_lp(make_series: Any) -> None:
    history = make_series(periods=300)[["ds", "y"]]
    model, data = agreement.cmdstan_fit(history, Params(uncertainty_samples=0))
    lp = float(model.stan_backend.stan_fit.optimized_params_dict["lp__"])
    assert log_posterior(data, Point.from_mapping(model.params)) == pytest.approx(lp, abs=1e-3)


def test_native_optima_are_at_least_cmdstans_and_forecasts_agree() -> None:
    results = [agreement.compare(*case) for case in SAMPLE]
    native_cases.assert_agree(results)


def test_hyndsight_still_matches_the_original_forecast(
    hyndsight: Path, hyndsight_seed: Path
) -> None:
    history = pd.read_csv(hyndsight, parse_dates=["date"]).rename(columns={"date": "ds"})
    seed = pd.read_csv(hyndsight_seed)
    params = Params()
    model = fit_prophet(history, params)
    assert isinstance(model, native.NativeFit)
    dates = future_dates(history["ds"].iloc[-1], "D", len(seed))
    got = predict_prophet(model, dates, params)["prediction"].to_numpy()
    expected = seed["prediction"].to_numpy()
    assert np.mean(np.abs(got - expected) / np.abs(expected)) < 0.01


@pytest.mark.parametrize("growth", ["linear", "flat"])
def test_interval_draws_are_distributed_as_prophets(
    make_series: Any, growth: Literal["linear", "flat"]
) -> None:
    """Prophet sampling from the same optimum and the array path: the same distribution.

    Over 40 seeds x 500 draws each, at the first and last forecast date:
    quantiles agree within Monte Carlo error and a two-sample
    Kolmogorov-Smirnov test does not tell the samples apart.
    """
    from scipy.stats import ks_2samp

    # Little noise and a year ahead: the simulated trend changes dominate the spread.
    history = make_series(periods=400, noise=0.3)[["ds", "y"]]
    params = Params(uncertainty_samples=500, growth=growth)
    ours = fit_prophet(history, params)
    assert isinstance(ours, native.NativeFit)
    theirs = build_prophet(params)  # Prophet itself, the native solver as its backend
    theirs.fit(history.copy())
    dates = future_dates(history["ds"].iloc[-1], "D", 365)
    future = pd.DataFrame({"ds": dates})
    mine, prophets = [], []
    for seed in range(40):
        np.random.seed(seed)
        mine.append(ours.predictive_samples(np.asarray(dates)))
        np.random.seed(1000 + seed)
        prophets.append(theirs.predictive_samples(future)["yhat"].T)
    a, b = np.vstack(mine), np.vstack(prophets)
    np.random.seed(0)
    np.testing.assert_allclose(predict_prophet(ours, dates, params)["prediction"],
                               theirs.predict(future)["yhat"], rtol=1e-9)  # fmt: skip
    for column in (0, len(dates) - 1):
        q = [5, 10, 25, 50, 75, 90, 95]
        spread = np.percentile(b[:, column], 95) - np.percentile(b[:, column], 5)
        np.testing.assert_allclose(
            np.percentile(a[:, column], q), np.percentile(b[:, column], q), atol=0.03 * spread
        )
        assert ks_2samp(a[:, column], b[:, column]).pvalue > 0.001


def test_a_warm_start_is_a_starting_point_not_another_answer(make_series: Any) -> None:
    history = make_series(periods=500)[["ds", "y"]]
    params = Params(uncertainty_samples=0)
    cold = fit_prophet(history, params)
    far = {key: np.asarray(value) * 1.5 for key, value in cold.params.items()}
    warm = fit_prophet(history, params, init={k: v.reshape(-1) for k, v in far.items()})
    assert warm.started_warm
    assert not cold.started_warm
    assert warm.solution is not None
    assert cold.solution is not None
    assert warm.solution.log_posterior == pytest.approx(cold.solution.log_posterior, abs=1e-8)
    dates = future_dates(history["ds"].iloc[-1], "D", 28)
    np.testing.assert_allclose(
        predict_prophet(warm, dates, params)["prediction"],
        predict_prophet(cold, dates, params)["prediction"],
        rtol=1e-7,
    )


def test_a_solve_that_does_not_converge_is_fitted_by_cmdstan(
    make_series: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def stuck(data: StanData, start: Point) -> Solution:
        return Solution(start, False, "convex", 2000, float("nan"))

    monkeypatch.setattr(native, "solve", stuck)
    history = make_series(periods=200)[["ds", "y"]]
    with caplog.at_level(logging.WARNING, logger="dropcast.forecast.model"):
        model = fit_prophet(history, Params(uncertainty_samples=0))
    assert not isinstance(model, native.NativeFit)
    assert type(model.stan_backend).__name__ == "ArrayBackend"
    assert "did not converge" in caplog.text
    frame = predict_prophet(model, future_dates(history["ds"].iloc[-1], "D", 5), Params())
    assert np.isfinite(frame["prediction"]).all()


def test_logistic_growth_is_solved_natively_through_prophet(make_series: Any) -> None:
    history = make_series(periods=200)[["ds", "y"]]
    params = Params(growth="logistic", cap=400.0, uncertainty_samples=0)
    model = fit_prophet(history, params)
    assert not model.stan_backend.fell_back
    assert model.stan_backend.solution.method == "gauss-newton"
    frame = predict_prophet(model, future_dates(history["ds"].iloc[-1], "D", 5), params)
    assert np.isfinite(frame["prediction"]).all()
    assert (frame["prediction"] < 400.0 + 30).all()  # the cap plus a seasonal swing


def test_holidays_are_solved_natively_at_least_as_well_as_by_cmdstan(make_series: Any) -> None:
    history = make_series(periods=800, start="2021-01-01")[["ds", "y"]]
    params = Params(holidays_country="US", uncertainty_samples=0)
    reference, data = agreement.cmdstan_fit(history, params)
    model = fit_prophet(history, params)
    assert model.stan_backend.solution is not None
    assert not model.stan_backend.fell_back
    lp_native = log_posterior(data, Point.from_mapping(model.params))
    lp_cmdstan = log_posterior(data, Point.from_mapping(reference.params))
    assert lp_native >= lp_cmdstan - 1e-6 * abs(lp_cmdstan)


def test_a_native_fit_writes_no_file_and_starts_no_process(
    make_series: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def no_process(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a native fit started a process")

    monkeypatch.setattr(subprocess, "Popen", no_process)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    history = make_series(periods=400)[["ds", "y"]]
    for params in (Params(), Params(seasonality_mode="multiplicative")):
        model = fit_prophet(history, params)
        predict_prophet(model, future_dates(history["ds"].iloc[-1], "D", 28), params)
    assert list(tmp_path.iterdir()) == []


def test_constant_series_are_prophets_unfitted_start(make_series: Any) -> None:
    history = make_series(periods=50)[["ds", "y"]].assign(y=7.0)
    params = Params(uncertainty_samples=0)
    ours = fit_prophet(history, params)
    theirs = fit_prophet(history, params.model_copy(update={"engine": "cmdstan"}))
    dates = future_dates(history["ds"].iloc[-1], "D", 7)
    np.testing.assert_allclose(
        predict_prophet(ours, dates, params)["prediction"],
        predict_prophet(theirs, dates, params)["prediction"],
        rtol=1e-12,
    )


def test_a_native_solve_that_does_not_converge_falls_back_to_cmdstan_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dropcast_forecasting.native import solver
    from dropcast_forecasting.render.report import build_report
    from dropcast_forecasting.series import SeriesTask, forecast_series

    real = solver.solve

    def stalled(data: StanData, start: Point) -> Solution:
        found = real(data, start)
        return Solution(found.point, False, found.method, 2000, found.log_posterior)

    monkeypatch.setattr(native, "solve", stalled)
    ds = pd.date_range("2022-01-03", periods=150, freq="D")
    y = 100 + 0.2 * np.arange(150) + 10 * np.sin(2 * np.pi * np.arange(150) / 7)
    params = Params(horizon=14, model="prophet")
    task = SeriesTask("s", ds.to_numpy("datetime64[ns]"), y.astype("float64"), "D")
    outcome = forecast_series(task, params)

    result = outcome.result
    assert result.method == "prophet"  # still Prophet's model, fitted by cmdstan
    assert result.engine_fallback is not None
    assert "did not converge" in result.engine_fallback
    assert "backtest refit" in result.engine_fallback  # the refit fell back too, and says so
    assert outcome.forecast is not None
    assert np.isfinite(outcome.forecast["prediction"]).all()
    report = build_report(series=[result], params=params, source="gs://in/s.csv")
    assert report.summary.engine_fallbacks == 1


def test_a_converged_native_fit_records_no_fallback() -> None:
    from dropcast_forecasting.series import SeriesTask, forecast_series

    ds = pd.date_range("2022-01-03", periods=150, freq="D")
    y = 100 + 0.2 * np.arange(150) + 10 * np.sin(2 * np.pi * np.arange(150) / 7)
    y += np.random.default_rng(0).normal(0, 2, 150)  # an exact fit has no MAP to converge to
    task = SeriesTask("s", ds.to_numpy("datetime64[ns]"), y.astype("float64"), "D")
    assert forecast_series(task, Params(horizon=14, model="prophet")).result.engine_fallback is None
