"""The data and parameters of Prophet's Stan program, and its log density.

The density is the program's ``model`` block as cmdstan's optimiser sees it
(Stan drops the constants of ``~`` statements; no Jacobian for
``sigma_obs``'s lower bound in a MAP fit), so :func:`log_posterior` equals
cmdstan's ``lp__`` for the same point and two optima compare directly.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Prophet's trend_indicator values.
LINEAR, LOGISTIC, FLAT = 0, 1, 2
# Prior scales fixed in the Stan program: k, m ~ normal(0, 5); sigma_obs ~ normal(0, 0.5).
K_M_SCALE = 5.0
SIGMA_SCALE = 0.5


@dataclass(frozen=True)
class StanData:
    """What Prophet hands its Stan program (``ModelInputData``), as float arrays."""

    t: np.ndarray  # (T,) time scaled to [0, 1]
    y: np.ndarray  # (T,) y scaled by y_scale (minus the floor)
    cap: np.ndarray  # (T,) scaled capacity (logistic growth), zeros otherwise
    t_change: np.ndarray  # (S,) changepoint times
    X: np.ndarray  # (T, K) seasonality, holiday and regressor features
    sigmas: np.ndarray  # (K,) prior scales of beta
    s_a: np.ndarray  # (K,) 1 for additive features
    s_m: np.ndarray  # (K,) 1 for multiplicative features
    tau: float  # changepoint prior scale
    trend_indicator: int
    # Equal for two StanData whose t, t_change, X, sigmas, s_a and s_m are equal (the same
    # dates and layout; see design.Layout.dates_key): what depends on those alone, such as
    # the convex solver's Gram matrix, is then computed once. None: not shared.
    dates_key: Hashable | None = field(default=None, compare=False, repr=False)

    @property
    def additive(self) -> bool:
        """Whether no feature is multiplicative (the mean is then linear in the parameters)."""
        return not np.any(self.s_m)

    @classmethod
    def from_prophet(cls, data: Mapping[str, Any]) -> StanData:
        """From the ``stan_data`` dict Prophet passes its backend."""
        X = data["X"]
        X = np.asarray(X.to_numpy() if hasattr(X, "to_numpy") else X, dtype="float64")

        def vector(key: str) -> np.ndarray:
            return np.asarray(data[key], dtype="float64").reshape(-1)

        return cls(
            t=vector("t"),
            y=vector("y"),
            cap=vector("cap"),
            t_change=vector("t_change"),
            X=X.reshape(len(vector("t")), -1),
            sigmas=vector("sigmas"),
            s_a=vector("s_a"),
            s_m=vector("s_m"),
            tau=float(data["tau"]),
            trend_indicator=int(data["trend_indicator"]),
        )


@dataclass(frozen=True)
class Point:
    """Values of the Stan program's parameters."""

    k: float
    m: float
    delta: np.ndarray  # (S,)
    beta: np.ndarray  # (K,)
    sigma_obs: float

    @classmethod
    def from_mapping(cls, init: Mapping[str, Any]) -> Point:
        """From Prophet's init or params dict (scalars or arrays of one draw)."""

        def scalar(key: str) -> float:
            return float(np.asarray(init[key], dtype="float64").reshape(-1)[0])

        return cls(
            k=scalar("k"),
            m=scalar("m"),
            delta=np.asarray(init["delta"], dtype="float64").reshape(-1),
            beta=np.asarray(init["beta"], dtype="float64").reshape(-1),
            sigma_obs=scalar("sigma_obs"),
        )

    def fits(self, data: StanData) -> bool:
        """Whether this point has the shape of ``data``'s parameters (a valid start)."""
        return self.delta.shape == data.t_change.shape and self.beta.shape == (data.X.shape[1],)

    def as_params(self) -> dict[str, np.ndarray]:
        """Prophet's ``params`` layout: each parameter an array of one draw."""
        return {
            "k": np.array([[self.k]]),
            "m": np.array([[self.m]]),
            "delta": self.delta.reshape(1, -1).copy(),
            "sigma_obs": np.array([[self.sigma_obs]]),
            "beta": self.beta.reshape(1, -1).copy(),
        }


def changepoint_matrix(t: np.ndarray, t_change: np.ndarray) -> np.ndarray:
    """Stan's ``A``: 1 where time ``t[i]`` is at or past changepoint ``j``."""
    return (t[:, None] >= t_change[None, :]).astype("float64")


def inv_logit(z: np.ndarray) -> np.ndarray:
    """Stan's ``inv_logit`` without overflow: exp of minus |z| only, on either side of 0."""
    e = np.exp(-np.abs(z))
    out: np.ndarray = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    return out


def segment_rates(k: float, delta: np.ndarray) -> np.ndarray:
    """The growth rate in each of the S + 1 segments between changepoints (``k_s``)."""
    return np.concatenate(([k], k + np.cumsum(delta)))


def logistic_offsets(rates: np.ndarray, m: float, t_change: np.ndarray) -> np.ndarray:
    """The logistic trend's offset in each segment: m plus ``logistic_gamma``'s running sum.

    At changepoint s the rate goes from ``rates[s]`` to ``rates[s + 1]``; the
    offset moves so that ``rate * (t_change[s] - offset)``, hence the trend,
    is the same on both sides (the program's recursion, in its order). A
    rate of exactly 0 has no such offset: NaN from there on, as in Stan.
    """
    offsets = [m]
    previous = m
    k_s = rates.tolist()
    for s, t_s in enumerate(t_change.tolist()):
        if k_s[s + 1] == 0:
            return np.array(offsets + [np.nan] * (len(k_s) - len(offsets)))
        previous = previous + (t_s - previous) * (1 - k_s[s] / k_s[s + 1])
        offsets.append(previous)
    return np.array(offsets)


def segments(t: np.ndarray, t_change: np.ndarray) -> np.ndarray:
    """The segment of each time: how many changepoints are at or before it (a row sum of A)."""
    return np.searchsorted(t_change, t, side="right")


def trend(data: StanData, point: Point) -> np.ndarray:
    """The scaled trend at the data's times (the program's transformed parameter)."""
    if data.trend_indicator == FLAT:
        return np.full(len(data.t), point.m)
    out: np.ndarray
    if data.trend_indicator == LINEAR:
        A = changepoint_matrix(data.t, data.t_change)
        out = (point.k + A @ point.delta) * data.t + (point.m + A @ (-data.t_change * point.delta))
        return out
    rates = segment_rates(point.k, point.delta)
    segment = segments(data.t, data.t_change)
    offsets = logistic_offsets(rates, point.m, data.t_change)
    out = data.cap * inv_logit(rates[segment] * (data.t - offsets[segment]))
    return out


def log_posterior(data: StanData, point: Point) -> float:
    """The program's log density at ``point``, as cmdstan reports it (``lp__``).

    Raises ValueError for a point of another model's shape: numpy would
    broadcast a one-column beta over every feature and return a number.
    """
    if not point.fits(data):
        raise ValueError(
            f"a point with {len(point.delta)} deltas and {len(point.beta)} betas is not one of "
            f"this model ({len(data.t_change)} changepoints, {data.X.shape[1]} features)"
        )
    mean = trend(data, point) * (1 + data.X @ (point.beta * data.s_m)) + data.X @ (
        point.beta * data.s_a
    )
    residual = data.y - mean
    sigma = point.sigma_obs
    return float(
        -(residual @ residual) / (2 * sigma**2)
        - len(data.y) * np.log(sigma)
        - (point.k**2 + point.m**2) / (2 * K_M_SCALE**2)
        - np.abs(point.delta).sum() / data.tau
        - np.sum(point.beta**2 / (2 * data.sigmas**2))
        - sigma**2 / (2 * SIGMA_SCALE**2)
    )
