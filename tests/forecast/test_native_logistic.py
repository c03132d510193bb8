"""Logistic growth in the native engine: Prophet's density, its gradient, cmdstan's optima
(and, for every non-convex model, Gauss-Newton handing an unfinished solve to L-BFGS-B).

Correctness is measured against cmdstan on a fixed sample
(``native_cases.logistic_sample``): the native optimum's log posterior is at
least cmdstan's, and forecasts agree within 0.5 % (median) and 2 % (worst)
unless the native optimum is the better one, which the test prints.
"""

from __future__ import annotations

import numpy as np
import pytest
from tests.forecast import native_cases

from dropcast_forecasting.native import agreement, gauss_newton, general, logistic, solver
from dropcast_forecasting.native.stan import LOGISTIC, Point, StanData, log_posterior, trend

SAMPLE = native_cases.logistic_sample()


def stan_data(name: str) -> StanData:
    """The Stan data Prophet builds for one case of the sample (fitted by cmdstan)."""
    _, history, _, params = next(case for case in SAMPLE if case[0] == name)
    return agreement.cmdstan_fit(history, params)[1]


def test_the_log_posterior_is_cmdstans_lp_for_logistic_growth() -> None:
    for name in ("logistic-floor", "logistic-multiplicative"):
        _, history, _, params = next(case for case in SAMPLE if case[0] == name)
        model, data = agreement.cmdstan_fit(history, params)
        assert data.trend_indicator == LOGISTIC
        lp = float(model.stan_backend.stan_fit.optimized_params_dict["lp__"])
        assert log_posterior(data, Point.from_mapping(model.params)) == pytest.approx(lp, abs=1e-3)


@pytest.mark.parametrize("name", ["logistic-floor", "logistic-multiplicative"])
def test_the_logistic_gradient_is_the_objectives_derivative(name: str) -> None:
    """The analytic gradient against central differences, at a point with every delta nonzero."""
    data = stan_data(name)
    n_changes, n_features = len(data.t_change), data.X.shape[1]
    rng = np.random.default_rng(3)
    fun = general.objective(data, logistic.trend_model(data))
    delta = rng.choice([-1.0, 1.0], n_changes) * rng.uniform(0.05, 0.5, n_changes)
    beta = np.asarray(rng.normal(0, 0.05, n_features))
    x = np.concatenate([[3.0, 0.3], np.maximum(delta, 0), np.maximum(-delta, 0), beta, [0.2]])
    value, gradient = fun(x)
    assert np.isfinite(value)
    numeric = np.empty_like(x)
    for i in range(len(x)):
        h = 1e-6 * max(1.0, abs(x[i]))
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        numeric[i] = (fun(up)[0] - fun(down)[0]) / (2 * h)
    np.testing.assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-4 * np.abs(numeric).max())
    # With u * v = 0 the objective is minus the program's log density, term for term.
    assert value == pytest.approx(
        -log_posterior(data, Point(3.0, 0.3, delta, beta, 0.2)), rel=1e-12
    )


def test_a_rate_of_zero_is_a_wall_for_the_solvers_not_a_crash() -> None:
    data = stan_data("logistic-floor")
    n_changes, n_features = len(data.t_change), data.X.shape[1]
    delta = np.zeros(n_changes)
    delta[3] = -0.5  # the rate from the fourth changepoint on: 0.5 - 0.5
    point = Point(0.5, 0.3, delta, np.zeros(n_features), 0.1)
    assert np.isnan(log_posterior(data, point))
    x = np.concatenate([[0.5, 0.3], np.zeros(n_changes), -delta, np.zeros(n_features), [0.1]])
    value, gradient = general.objective(data, logistic.trend_model(data))(x)
    assert value == np.inf
    assert not gradient.any()


@pytest.mark.parametrize("name", ["logistic-floor", "logistic-monthly-saturating"])
def test_the_logistic_jacobian_is_the_trends_derivative(name: str) -> None:
    """Forward accumulation through the offsets against central differences of the trend."""
    data = stan_data(name)
    n_changes = len(data.t_change)
    rng = np.random.default_rng(5)
    delta = rng.choice([-1.0, 1.0], n_changes) * rng.uniform(0.05, 0.5, n_changes)
    params = np.concatenate([[3.0, 0.3], delta])
    point = Point(3.0, 0.3, delta, np.zeros(data.X.shape[1]), 1.0)
    evaluate = logistic.jacobian_model(data)
    value, lazy = evaluate(3.0, 0.3, delta)
    jacobian = lazy()
    np.testing.assert_allclose(value, trend(data, point), rtol=1e-12)
    numeric = np.empty_like(jacobian)
    for i in range(len(params)):
        up, down = params.copy(), params.copy()
        up[i] += 1e-6
        down[i] -= 1e-6
        upper = evaluate(up[0], up[1], up[2:])[0]
        lower = evaluate(down[0], down[1], down[2:])[0]
        numeric[:, i] = (upper - lower) / 2e-6
    np.testing.assert_allclose(jacobian, numeric, rtol=1e-5, atol=1e-6 * np.abs(numeric).max())


@pytest.mark.parametrize("growth", ["logistic", "linear"])
def test_a_gauss_newton_solve_that_stops_short_is_finished_by_lbfgs(
    growth: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if growth == "logistic":
        data = stan_data("logistic-multiplicative")
    else:
        _, history, _, params = next(c for c in native_cases.sample() if c[0] == "multiplicative")
        data = agreement.cmdstan_fit(history, params)[1]
        assert not data.additive
    start = Point(1.0, 0.5, np.zeros(len(data.t_change)), np.zeros(data.X.shape[1]), 1.0)
    full = solver.solve(data, start)
    assert full.method == "gauss-newton"
    assert full.converged
    monkeypatch.setattr(gauss_newton, "_MAX_STEPS", 2)
    finished = solver.solve(data, start)
    assert finished.method == "lbfgs"
    assert finished.converged
    assert finished.log_posterior == pytest.approx(full.log_posterior, abs=1e-4)


def test_native_logistic_optima_are_at_least_cmdstans_and_forecasts_agree() -> None:
    results = [agreement.compare(*case) for case in SAMPLE]
    native_cases.assert_agree(results)


def test_a_logistic_warm_start_ends_at_the_cold_optimum() -> None:
    from dropcast_forecasting.model import fit_prophet, warm_start_init

    _, history, _, params = next(case for case in SAMPLE if case[0] == "logistic-daily-saturating")
    cold = fit_prophet(history, params)
    init = {key: np.asarray(value) * 1.2 for key, value in warm_start_init(cold).items()}
    warm = fit_prophet(history, params, init=init)
    assert warm.stan_backend.started_warm
    assert not warm.stan_backend.fell_back
    assert warm.stan_backend.solution.log_posterior == pytest.approx(
        cold.stan_backend.solution.log_posterior, abs=1e-4
    )


def test_a_logistic_solve_that_does_not_converge_is_fitted_by_cmdstan_and_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dropcast_forecasting.native import backend
    from dropcast_forecasting.series import SeriesTask, forecast_series

    def stalled(data: StanData, start: Point) -> solver.Solution:
        found = solver.solve(data, start)
        return solver.Solution(found.point, False, found.method, 10_000, found.log_posterior)

    _, history, _, params = next(case for case in SAMPLE if case[0] == "logistic-floor")
    task = SeriesTask("s", history["ds"].to_numpy("datetime64[ns]"), history["y"].to_numpy(), "D")
    params = params.model_copy(update={"model": "prophet", "horizon": 14})
    assert forecast_series(task, params).result.engine_fallback is None
    monkeypatch.setattr(backend, "solve", stalled)
    outcome = forecast_series(task, params)
    why = outcome.result.engine_fallback
    assert why is not None
    assert "gauss-newton solver stopped after 10000 iterations" in why
    assert "backtest refit" in why
    assert outcome.forecast is not None
    assert np.isfinite(outcome.forecast["prediction"]).all()
