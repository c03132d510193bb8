"""One entry point for a MAP fit of Prophet's model: pick the solver, check the answer.

``solve`` never guesses: it reports whether the solver converged, and the
callers fall back to cmdstan when it did not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from dropcast_forecasting.native import convex, gauss_newton, general, logistic
from dropcast_forecasting.native.stan import FLAT, LINEAR, LOGISTIC, Point, StanData, log_posterior
from dropcast_forecasting.native.threads import single_blas_thread

Method = Literal["convex", "lbfgs", "gauss-newton"]


@dataclass(frozen=True)
class Solution:
    """A solver's answer and how it got there."""

    point: Point
    converged: bool
    method: Method
    iterations: int
    log_posterior: float


def supported(data: StanData) -> bool:
    """Whether a native solver exists for this model: linear, flat and logistic growth."""
    return data.trend_indicator in (LINEAR, FLAT, LOGISTIC)


def solve(data: StanData, start: Point) -> Solution:
    """The MAP estimate of Prophet's model for ``data`` from ``start``.

    Exact (:mod:`.convex`) for linear or flat growth with additive terms;
    otherwise (multiplicative terms, logistic growth) proximal Gauss-Newton
    (:mod:`.gauss_newton`), and L-BFGS-B (:mod:`.general`) from its best
    point when it stops short.
    """
    if not supported(data):
        raise ValueError(f"no native solver for trend_indicator {data.trend_indicator}")
    single_blas_thread()
    method: Method
    if data.additive and data.trend_indicator != LOGISTIC:
        point, converged, iterations, lp = convex.solve(data, start)
        return Solution(point, converged and np.isfinite(lp), "convex", iterations, lp)
    if data.trend_indicator == LOGISTIC:
        jacobian_model, trend_model = logistic.jacobian_model(data), logistic.trend_model(data)
    else:
        jacobian_model = general.linear_jacobian_model(data)
        trend_model = general.piecewise_linear(data)
    point, converged, iterations = gauss_newton.solve(data, start, jacobian_model)
    method = "gauss-newton"
    if not converged:
        point, converged, more = general.solve(data, point, trend_model)
        method, iterations = "lbfgs", iterations + more
    if data.trend_indicator == FLAT:
        point = Point(0.0, point.m, np.zeros_like(point.delta), point.beta, point.sigma_obs)
    lp = log_posterior(data, point)
    return Solution(point, converged and np.isfinite(lp), method, iterations, lp)
