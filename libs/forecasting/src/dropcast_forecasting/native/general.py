"""MAP by L-BFGS-B with analytic gradients, for what is not convex (multiplicative terms,
logistic growth) where :mod:`.gauss_newton` stops short; and the linear trends' models.

The Laplace prior on the changepoint deltas is not differentiable at zero;
writing delta = u - v with u, v >= 0 makes the objective smooth under
bounds, which L-BFGS-B handles exactly (the optimum has u * v = 0).
sigma_obs keeps its lower bound. Gradients are written out by hand from
the mean ``trend * (1 + X_m beta) + X_a beta``; the trend is a
:data:`TrendModel`, which gives its value and its pullback (the gradient of
a function of the trend with respect to k, m and delta):
:func:`piecewise_linear` here, the logistic one in :mod:`.logistic`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dropcast_forecasting.native.convex import best_sigma2
from dropcast_forecasting.native.gauss_newton import Jacobian, JacobianModel
from dropcast_forecasting.native.stan import FLAT, K_M_SCALE, SIGMA_SCALE, Point, StanData
from dropcast_forecasting.native.threads import single_blas_thread

# d(objective)/d(trend) -> d/dk, d/dm, d/d(delta)
Pullback = Callable[[np.ndarray], tuple[float, float, np.ndarray]]
# (k, m, delta) -> the trend at the data's times and its pullback there
TrendModel = Callable[[float, float, np.ndarray], tuple[np.ndarray, Pullback]]

_SIGMA_FLOOR = 1e-10
_RESTARTS = 4
# Tighter than scipy's defaults: at those, the search stopped short of cmdstan's optimum.
_OPTIONS = {"maxiter": 10_000, "ftol": 1e-15, "gtol": 1e-10, "maxcor": 30}


def ramps(data: StanData) -> np.ndarray:
    """(T, S): the ramp each changepoint adds to a linear trend, t - t_change once past it."""
    t = data.t
    after = t[:, None] >= data.t_change[None, :]
    out: np.ndarray = np.where(after, t[:, None] - data.t_change[None, :], 0.0)
    return out


def linear_jacobian_model(data: StanData) -> JacobianModel:
    """Linear or flat growth for :mod:`.gauss_newton`: the trend and its (constant) Jacobian."""
    trend_model = piecewise_linear(data)
    t = data.t
    jacobian = np.column_stack([t, np.ones_like(t), ramps(data)])
    if data.trend_indicator == FLAT:
        jacobian[:, [0, *range(2, jacobian.shape[1])]] = 0.0  # m alone moves a flat trend

    def evaluate(k: float, m: float, delta: np.ndarray) -> tuple[np.ndarray, Jacobian]:
        return trend_model(k, m, delta)[0], lambda: jacobian

    return evaluate


def piecewise_linear(data: StanData) -> TrendModel:
    """Linear growth (``linear_trend``), or flat growth (``flat_trend``: m alone)."""
    t = data.t
    S = len(data.t_change)
    changes = ramps(data)

    if data.trend_indicator == FLAT:

        def flat(_k: float, m: float, _delta: np.ndarray) -> tuple[np.ndarray, Pullback]:
            return np.full(len(t), m), lambda d: (0.0, float(d.sum()), np.zeros(S))

        return flat

    def linear(k: float, m: float, delta: np.ndarray) -> tuple[np.ndarray, Pullback]:
        def pullback(d: np.ndarray) -> tuple[float, float, np.ndarray]:
            return float(d @ t), float(d.sum()), changes.T @ d

        return k * t + m + changes @ delta, pullback

    return linear


def objective(
    data: StanData, trend_model: TrendModel
) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """Minus the log posterior and its gradient, in the variables (k, m, u, v, beta, sigma)."""
    S = len(data.t_change)
    T = len(data.y)
    y = data.y
    X_a = data.X * data.s_a[None, :]
    X_m = data.X * data.s_m[None, :]
    inv_var_beta = 1 / data.sigmas**2
    lam = 1 / data.tau
    km_precision = 1 / K_M_SCALE**2
    sigma_precision = 1 / SIGMA_SCALE**2

    def value_and_gradient(x: np.ndarray) -> tuple[float, np.ndarray]:
        k, m, delta, beta, sigma = split(x, S)
        trend, pullback = trend_model(k, m, delta)
        multiplier = 1 + X_m @ beta
        residual = y - (trend * multiplier + X_a @ beta)
        rss = residual @ residual
        value = (
            rss / (2 * sigma**2)
            + T * np.log(sigma)
            + km_precision * (k * k + m * m) / 2
            + lam * (x[2 : 2 + 2 * S].sum())
            + np.sum(inv_var_beta * beta**2) / 2
            + sigma_precision * sigma**2 / 2
        )
        if not np.isfinite(value):
            # A logistic rate through zero sends an offset to infinity: a wall
            # the line search backs off from, not a direction.
            return np.inf, np.zeros_like(x)
        d_mean = -residual / sigma**2
        d_k, d_m, d_delta = pullback(d_mean * multiplier)
        grad = np.empty_like(x)
        grad[0] = d_k + km_precision * k
        grad[1] = d_m + km_precision * m
        grad[2 : 2 + S] = d_delta + lam
        grad[2 + S : 2 + 2 * S] = -d_delta + lam
        grad[2 + 2 * S : -1] = X_m.T @ (d_mean * trend) + X_a.T @ d_mean + inv_var_beta * beta
        grad[-1] = -rss / sigma**3 + T / sigma + sigma_precision * sigma
        return float(value), grad

    return value_and_gradient


def in_units(
    fun: Callable[[np.ndarray], tuple[float, np.ndarray]], z: np.ndarray, unit: np.ndarray
) -> tuple[float, np.ndarray]:
    """``fun`` and its gradient in the variables z = x / unit."""
    value, gradient = fun(z * unit)
    return value, gradient * unit


def start_sigma(data: StanData, trend_model: TrendModel, x: np.ndarray) -> float:
    """The best noise scale for the start's residuals (Prophet's start guesses 1)."""
    k, m, delta, beta, _ = split(x, len(data.t_change))
    residual = data.y - mean(data, trend_model(k, m, delta)[0], beta)
    return max(float(np.sqrt(best_sigma2(float(residual @ residual), len(data.y)))), _SIGMA_FLOOR)


def mean(data: StanData, trend: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """The likelihood's mean, ``trend * (1 + X_m beta) + X_a beta``."""
    out: np.ndarray = trend * (1 + data.X @ (beta * data.s_m)) + data.X @ (beta * data.s_a)
    return out


def units(data: StanData, trend_model: TrendModel, x: np.ndarray) -> np.ndarray:
    """Each variable's unit for L-BFGS-B: one over the root of its Gauss-Newton curvature at x.

    L-BFGS-B is not invariant to the variables' units, and here they differ
    by orders of magnitude (a rate, a noise scale, Fourier coefficients);
    in these units the diagonal of the curvature is 1, which halved the
    iterations on the logistic sample (measured). The trend's columns of
    the Jacobian come from forward differences: S + 2 trend evaluations.
    """
    S = len(data.t_change)
    k, m, delta, beta, sigma = split(x, S)
    trend, _ = trend_model(k, m, delta)
    multiplier = 1 + data.X @ (beta * data.s_m)
    trend_params = np.concatenate([[k, m], delta])
    norms = np.empty(S + 2)
    for i in range(S + 2):
        step = 1e-7 * max(1.0, abs(trend_params[i]))
        bumped = trend_params.copy()
        bumped[i] += step
        column = (trend_model(bumped[0], bumped[1], bumped[2:])[0] - trend) / step * multiplier
        norms[i] = column @ column
    beta_columns = data.X * (data.s_m * trend[:, None] + data.s_a)
    data_curvature = np.concatenate([norms, norms[2:], np.sum(beta_columns**2, axis=0)]) / sigma**2
    prior = np.concatenate([np.full(2, 1 / K_M_SCALE**2), np.zeros(2 * S), 1 / data.sigmas**2])
    curvature = np.append(data_curvature + prior, 2 * len(data.y) / sigma**2)
    return np.where(curvature > 0, 1 / np.sqrt(np.where(curvature > 0, curvature, 1.0)), 1.0)


def split(x: np.ndarray, S: int) -> tuple[float, float, np.ndarray, np.ndarray, float]:
    """k, m, delta = u - v, beta and sigma from the solver's variables."""
    return x[0], x[1], x[2 : 2 + S] - x[2 + S : 2 + 2 * S], x[2 + 2 * S : -1], x[-1]


def solve(data: StanData, start: Point, trend_model: TrendModel) -> tuple[Point, bool, int]:
    """The MAP point from ``start``, whether L-BFGS-B converged, and its iterations."""
    # Imported here: scipy.optimize costs more to import than a hundred convex fits,
    # and only these models need it.
    from scipy.optimize import Bounds, minimize

    single_blas_thread("scipy.optimize")
    S, K = len(data.t_change), data.X.shape[1]
    flat = data.trend_indicator == FLAT
    x0 = np.concatenate(
        [
            [0.0 if flat else start.k, start.m],
            np.maximum(start.delta, 0),
            np.maximum(-start.delta, 0),
            start.beta,
            [max(start.sigma_obs, 1e-3)],
        ]
    )
    if flat:
        x0[2 : 2 + 2 * S] = 0.0
    lower = np.concatenate([np.full(2, -np.inf), np.zeros(2 * S), np.full(K, -np.inf)])
    lower = np.append(lower, _SIGMA_FLOOR)
    fun = objective(data, trend_model)
    x0[-1] = start_sigma(data, trend_model, x0)
    # Restarts from the last point drop a curvature model that can stall the
    # search on this non-convex surface; one that gains nothing confirms the end,
    # and so does one whose first line search finds no decrease at all.
    iterations, converged, value = 0, False, np.inf
    for _ in range(_RESTARTS):
        unit = units(data, trend_model, x0)
        result = minimize(
            lambda z, unit=unit: in_units(fun, z, unit),
            x0 / unit,
            jac=True,
            method="L-BFGS-B",
            bounds=Bounds(lower / unit, np.inf),
            options=_OPTIONS,
        )
        iterations += int(result.nit)
        gained = value - float(result.fun)
        stalled = gained <= 1e-9 * max(1.0, abs(float(result.fun)))
        if gained > 0:
            x0, value = result.x * unit, float(result.fun)
        if not result.success:
            converged = converged and stalled
            break
        converged = True
        if stalled:
            break
    k, m, delta, beta, sigma = split(x0, S)
    point = Point(float(k), float(m), np.asarray(delta), np.asarray(beta), float(sigma))
    return point, converged, iterations
