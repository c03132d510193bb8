"""MAP by L-BFGS-B with analytic gradients, for what is not convex (multiplicative terms).

The Laplace prior on the changepoint deltas is not differentiable at zero;
writing delta = u - v with u, v >= 0 makes the objective smooth under
bounds, which L-BFGS-B handles exactly (the optimum has u * v = 0).
sigma_obs keeps its lower bound. Gradients are written out by hand from
the mean ``trend * (1 + X_m beta) + X_a beta``.
"""

from __future__ import annotations

import numpy as np

from dropcast_forecasting.native.stan import (
    FLAT,
    K_M_SCALE,
    LINEAR,
    SIGMA_SCALE,
    Point,
    StanData,
)

_SIGMA_FLOOR = 1e-10
_RESTARTS = 4
# Tighter than scipy's defaults: at those, the search stopped short of cmdstan's optimum.
_OPTIONS = {"maxiter": 10_000, "ftol": 1e-15, "gtol": 1e-10, "maxcor": 30}


def solve(data: StanData, start: Point) -> tuple[Point, bool, int]:
    """The MAP point from ``start``, whether L-BFGS-B converged, and its iterations."""
    # Imported here: scipy.optimize costs more to import than a hundred convex fits,
    # and only multiplicative models need it.
    from scipy.optimize import minimize

    if data.trend_indicator not in (LINEAR, FLAT):
        raise NotImplementedError("the native solver has no gradient for logistic growth")
    S, K, T = len(data.t_change), data.X.shape[1], len(data.y)
    t, y = data.t, data.y
    after = data.t[:, None] >= data.t_change[None, :]
    changes = np.where(after, t[:, None] - data.t_change[None, :], 0.0)
    X_a = data.X * data.s_a[None, :]
    X_m = data.X * data.s_m[None, :]
    flat = data.trend_indicator == FLAT
    inv_var_beta = 1 / data.sigmas**2
    lam = 1 / data.tau
    km_precision = 1 / K_M_SCALE**2
    sigma_precision = 1 / SIGMA_SCALE**2

    def split(x: np.ndarray) -> tuple[float, float, np.ndarray, np.ndarray, float]:
        return x[0], x[1], x[2 : 2 + S] - x[2 + S : 2 + 2 * S], x[2 + 2 * S : -1], x[-1]

    def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
        k, m, delta, beta, sigma = split(x)
        trend = np.full(T, m) if flat else (k * t + m + changes @ delta)
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
        d_mean = -residual / sigma**2
        d_trend = d_mean * multiplier
        grad = np.empty_like(x)
        grad[0] = (0.0 if flat else d_trend @ t) + km_precision * k
        grad[1] = d_trend.sum() + km_precision * m
        d_delta = np.zeros(S) if flat else changes.T @ d_trend
        grad[2 : 2 + S] = d_delta + lam
        grad[2 + S : 2 + 2 * S] = -d_delta + lam
        grad[2 + 2 * S : -1] = X_m.T @ (d_mean * trend) + X_a.T @ d_mean + inv_var_beta * beta
        grad[-1] = -rss / sigma**3 + T / sigma + sigma_precision * sigma
        return float(value), grad

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
    bounds = [(None, None)] * 2 + [(0.0, None)] * (2 * S) + [(None, None)] * K
    bounds.append((_SIGMA_FLOOR, None))
    # Restarts from the last point drop a curvature model that can stall the
    # search on this non-convex surface; one that gains nothing confirms the end.
    iterations, success, value = 0, False, np.inf
    for _ in range(_RESTARTS):
        result = minimize(
            objective, x0, jac=True, method="L-BFGS-B", bounds=bounds, options=_OPTIONS
        )
        iterations += int(result.nit)
        success = bool(result.success)
        gained = value - float(result.fun)
        x0, value = result.x, float(result.fun)
        if not success or gained <= 1e-9 * max(1.0, abs(value)):
            break
    k, m, delta, beta, sigma = split(x0)
    point = Point(float(k), float(m), np.asarray(delta), np.asarray(beta), float(sigma))
    return point, success, iterations
