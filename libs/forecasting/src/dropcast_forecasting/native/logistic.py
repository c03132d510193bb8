"""Prophet's logistic trend and its gradient, for the L-BFGS-B solve (:mod:`.general`).

The trend is ``cap * inv_logit(k_s * (t - m_s))`` with, in each segment
between changepoints, the rate ``k_s`` (k plus the deltas so far) and the
offset ``m_s`` that ``logistic_gamma``'s recursion moves at each changepoint
to keep the trend continuous. The gradient of a function of the trend with
respect to k, m and delta goes back through that recursion in reverse
(adjoint) order: one pass of S scalar steps, where forward accumulation
would carry an (S + 2)-vector through each.
"""

from __future__ import annotations

import numpy as np

from dropcast_forecasting.native.gauss_newton import Jacobian, JacobianModel
from dropcast_forecasting.native.general import Pullback, TrendModel
from dropcast_forecasting.native.stan import (
    StanData,
    inv_logit,
    logistic_offsets,
    segment_rates,
    segments,
)

_Evaluated = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _logistic(
    data: StanData, segment: np.ndarray, k: float, m: float, delta: np.ndarray
) -> _Evaluated:
    """The trend at (k, m, delta) and what its derivatives reuse: each segment's rate and
    offset, then per time its rate, time since its offset, logistic share and trend."""
    rates = segment_rates(k, delta)
    offsets = logistic_offsets(rates, m, data.t_change)
    rate, since = rates[segment], data.t - offsets[segment]
    share = inv_logit(rate * since)
    return rates, offsets, rate, since, share, data.cap * share


def trend_model(data: StanData) -> TrendModel:
    """For ``data``'s times and capacities: (k, m, delta) -> the trend and its pullback."""
    t, t_change = data.t, data.t_change
    segment = segments(t, t_change)
    n_segments = len(t_change) + 1

    def evaluate(k: float, m: float, delta: np.ndarray) -> tuple[np.ndarray, Pullback]:
        rates, offsets, rate, since, share, trend = _logistic(data, segment, k, m, delta)
        slope = trend * (1 - share)  # d trend / d (rate * since)

        def pullback(d_trend: np.ndarray) -> tuple[float, float, np.ndarray]:
            w = d_trend * slope
            d_rates = np.bincount(segment, w * since, n_segments)
            d_offsets = np.bincount(segment, -w * rate, n_segments)
            d_m = offset_adjoint(rates, offsets, t_change, d_rates, d_offsets)
            # rates[j] = k + delta[0] + ... + delta[j - 1]
            d_delta = np.cumsum(d_rates[::-1])[::-1][1:]
            return float(d_rates.sum()), d_m, d_delta

        return trend, pullback

    return evaluate


def offset_adjoint(
    rates: np.ndarray,
    offsets: np.ndarray,
    t_change: np.ndarray,
    d_rates: np.ndarray,
    d_offsets: np.ndarray,
) -> float:
    """Back through ``offsets[s + 1] = t_s - (rates[s] / rates[s + 1]) * (t_s - offsets[s])``.

    Adds each offset's dependence on the rates to ``d_rates`` (in place) and
    returns the derivative with respect to m (``offsets[0]``).
    """
    k_s, m_s, tc = rates.tolist(), offsets.tolist(), t_change.tolist()
    bar = d_offsets.tolist()
    for s in range(len(tc) - 1, -1, -1):
        ratio = k_s[s] / k_s[s + 1]
        bar[s] += ratio * bar[s + 1]
        d_ratio = -(tc[s] - m_s[s]) * bar[s + 1]
        d_rates[s] += d_ratio / k_s[s + 1]
        d_rates[s + 1] -= d_ratio * ratio / k_s[s + 1]
    return float(bar[0])


def jacobian_model(data: StanData) -> JacobianModel:
    """For ``data``'s times and capacities: (k, m, delta) -> the trend and its Jacobian (lazily).

    Columns k, m, then each delta. The offsets' derivatives go forward
    through the recursion (an (S + 1, S + 2) matrix: S <= 25), and each
    time's row is its segment's: d trend = slope * ((t - m_s) d k_s - k_s d m_s).
    """
    t, t_change = data.t, data.t_change
    S = len(t_change)
    segment = segments(t, t_change)
    # rates[j] = k + delta[0] + ... + delta[j - 1]: constant derivatives
    d_rates = np.zeros((S + 1, S + 2))
    d_rates[:, 0] = 1.0
    d_rates[:, 2:] = np.tril(np.ones((S + 1, S)), -1)

    def evaluate(k: float, m: float, delta: np.ndarray) -> tuple[np.ndarray, Jacobian]:
        rates, offsets, rate, since, share, trend = _logistic(data, segment, k, m, delta)

        def jacobian() -> np.ndarray:
            d_offsets = np.zeros((S + 1, S + 2))
            d_offsets[0, 1] = 1.0
            for s in range(S):
                ratio = rates[s] / rates[s + 1]
                d_ratio = (d_rates[s] - ratio * d_rates[s + 1]) / rates[s + 1]
                d_offsets[s + 1] = ratio * d_offsets[s] - (t_change[s] - offsets[s]) * d_ratio
            slope = trend * (1 - share)
            out: np.ndarray = slope[:, None] * (
                since[:, None] * d_rates[segment] - rate[:, None] * d_offsets[segment]
            )
            return out

        return trend, jacobian

    return evaluate
