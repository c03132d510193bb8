"""One entry point for a MAP fit of Prophet's model: pick the solver, check the answer.

``solve`` never guesses: it reports whether the solver converged, and the
callers fall back to cmdstan when it did not.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np

from dropcast_forecasting.native import convex, general
from dropcast_forecasting.native.stan import FLAT, LINEAR, LOGISTIC, Point, StanData, log_posterior

Method = Literal["convex", "lbfgs"]


@dataclass(frozen=True)
class Solution:
    """A solver's answer and how it got there."""

    point: Point
    converged: bool
    method: Method
    iterations: int
    log_posterior: float


def supported(data: StanData) -> bool:
    """Whether a native solver exists for this model (not logistic growth yet)."""
    return data.trend_indicator in (LINEAR, FLAT)


def solve(data: StanData, start: Point) -> Solution:
    """The MAP estimate of Prophet's model for ``data`` from ``start``."""
    if data.trend_indicator == LOGISTIC:
        raise NotImplementedError("logistic growth is fitted by cmdstan")
    single_blas_thread()
    method: Method
    if data.additive:
        point, converged, iterations, lp = convex.solve(data, start)
        method = "convex"
    else:
        point, converged, iterations = general.solve(data, start)
        method = "lbfgs"
        if data.trend_indicator == FLAT:
            point = Point(0.0, point.m, np.zeros_like(point.delta), point.beta, point.sigma_obs)
        lp = log_posterior(data, point)
    return Solution(point, converged and np.isfinite(lp), method, iterations, lp)


@lru_cache(maxsize=1)
def single_blas_thread() -> None:
    """Limit this process's BLAS to one thread, once.

    The matrices here are a few dozen columns wide: a second BLAS thread
    saves nothing and, spinning while it waits for work, doubled and more
    the CPU time of a fit (measured). Pool workers are one per CPU already.
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
