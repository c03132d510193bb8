"""Exact MAP for linear and flat growth with additive terms: a lasso inside a 1-d search.

With every feature additive and the trend linear (or flat), the mean is
``Z @ theta`` for theta = (k, m, delta, beta) and a fixed design ``Z``, so for
a fixed noise scale sigma the negative log density is

    |y - Z theta|^2 / (2 sigma^2) + theta' D theta / 2 + |delta|_1 / tau

(D: the Normal priors' precisions): a strictly convex lasso, solved exactly
by feature-sign search (Lee, Battle, Raina & Ng, NIPS 2006) on the Gram
matrix ``Z'Z``, a few dozen columns square, so each step costs microseconds
whatever the series' length. For a fixed theta the best sigma has a closed
form (a quadratic in sigma^2). Alternating the two exact minimisations
descends monotonically to the joint optimum; a handful of rounds suffice.

``Z`` and ``Z'Z`` depend on the dates alone: fits of data with the same
``dates_key`` (series sharing their dates) share them, and each fit
then costs ``Z'y`` and the search.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dropcast_forecasting.memo import Memo, frozen
from dropcast_forecasting.native.stan import FLAT, K_M_SCALE, SIGMA_SCALE, Point, StanData

# Relative change of sigma^2 at which the alternation has converged: below about
# 1e-11 the residual sum of squares, from the Gram matrix, is rounding noise.
_SIGMA_TOLERANCE = 1e-9
# Where a near-exact fit leaves the Gram matrix's RSS a few digits only, the
# alternation ends in a 2-cycle a little above _SIGMA_TOLERANCE (M3 N0955: 2.9e-9
# for ever). A change below this that no longer shrinks is that rounding floor:
# in exact arithmetic the alternation converges linearly, each change smaller.
_SIGMA_NOISE = 1e-6
_MAX_ROUNDS = 500
_MAX_STEPS = 2000
# An exact fit has no MAP (the density grows without bound as sigma -> 0): more
# coefficients than values (a short series with yearly terms and changepoints) can
# interpolate the data. sigma stops at 1e-5 of the scaled data, below the rounding
# of a value given to five significant digits; the coefficients there approach the
# limit of the MAP path (the interpolant of least penalty). Lower, G / sigma^2 of a
# rank-deficient design (condition 1e20 for M3 N1150: 16 values, 33 coefficients)
# leaves the feature-sign solve no digits: at 1e-12 four of M3's 400 quarterly fits
# and backtest refits still cycled, at 1e-11 and 1e-10 none (nor of 400 monthly).
_SIGMA2_FLOOR = 1e-10
# A zero coefficient is optimal while |gradient| <= lambda; this slack absorbs rounding.
_KKT_SLACK = 1e-9
# (Z, Z'Z) by StanData.dates_key: a file's history and backtest dates, a few at a time.
_DESIGNS: Memo[tuple[np.ndarray, np.ndarray]] = Memo(8)


@dataclass(frozen=True)
class Gram:
    """Sufficient statistics of the least-squares part: Z'Z, Z'y, y'y, T."""

    G: np.ndarray
    b: np.ndarray
    yy: float
    T: int
    precision: np.ndarray  # prior precision per coefficient (0 for the lasso's deltas)
    lasso: np.ndarray  # bool mask of the deltas
    lam: float  # 1 / tau


def design(data: StanData) -> np.ndarray:
    """``Z``: columns for k, m, each delta, then the additive features."""
    t, tc = data.t, data.t_change
    S, K = len(tc), data.X.shape[1]
    Z = np.zeros((len(t), 2 + S + K))
    Z[:, 1] = 1.0
    if data.trend_indicator != FLAT:  # flat: k and delta appear in the priors only
        Z[:, 0] = t
        # A[i, j] * (t[i] - tc[j]) with A = (t >= tc): the ramp that starts at tc[j].
        np.maximum(t[:, None] - tc[None, :], 0.0, out=Z[:, 2 : 2 + S])
    np.multiply(data.X, data.s_a[None, :], out=Z[:, 2 + S :])
    return Z


def gram(data: StanData) -> Gram:
    """The statistics the solve needs: Z'y per fit, Z'Z once per distinct dates."""
    if data.dates_key is None:
        Z, G = _design_and_gram(data)
    else:
        Z, G = _DESIGNS.get(data.dates_key, lambda: _design_and_gram(data))
    S = len(data.t_change)
    precision = np.concatenate(
        [np.full(2, 1 / K_M_SCALE**2), np.zeros(S), 1 / np.asarray(data.sigmas) ** 2]
    )
    lasso = np.zeros(Z.shape[1], dtype=bool)
    lasso[2 : 2 + S] = True
    return Gram(
        G, Z.T @ data.y, float(data.y @ data.y), len(data.y), precision, lasso, 1 / data.tau
    )


def _design_and_gram(data: StanData) -> tuple[np.ndarray, np.ndarray]:
    Z = design(data)
    return frozen(Z), frozen(Z.T @ Z)


def best_sigma2(residual_ss: float, T: int) -> float:
    """argmin over s2 of T/2 log s2 + R/(2 s2) + s2/(2 * 0.5^2): 4 s2^2 + T s2 - R = 0."""
    a = 1 / (2 * SIGMA_SCALE**2)  # the prior's coefficient on s2 (2.0)
    r = max(residual_ss, 0.0)
    return max(float((-T + np.sqrt(T * T + 8 * a * r)) / (4 * a)), _SIGMA2_FLOOR)


def solve(data: StanData, start: Point) -> tuple[Point, bool, int, float]:
    """The MAP point from ``start``, whether it converged, the feature-sign steps taken
    and the log posterior there (:func:`~dropcast_forecasting.native.stan.log_posterior`,
    from the Gram matrix instead of the data)."""
    g = gram(data)
    S = len(data.t_change)
    theta = np.concatenate([[start.k, start.m], start.delta, start.beta])
    if data.trend_indicator == FLAT:
        theta[0] = 0.0
        theta[2 : 2 + S] = 0.0
    s2 = max(start.sigma_obs**2, _SIGMA2_FLOOR) if np.isfinite(start.sigma_obs) else 1.0
    steps = 0
    converged = False
    last_change = np.inf
    prior = np.diag(g.precision)
    for _ in range(_MAX_ROUNDS):
        H = g.G / s2 + prior
        theta, used, ok = feature_sign(H, g.b / s2, g.lam, g.lasso, theta, _MAX_STEPS - steps)
        steps += used
        if not ok:
            break
        residual_ss = g.yy - 2 * g.b @ theta + theta @ g.G @ theta
        new_s2 = best_sigma2(residual_ss, g.T)
        change = abs(new_s2 - s2)
        s2 = new_s2
        if change <= _SIGMA_TOLERANCE * s2 or (
            change <= _SIGMA_NOISE * s2 and change >= last_change
        ):
            converged = True
            break
        last_change = change
    residual_ss = max(g.yy - 2 * g.b @ theta + theta @ g.G @ theta, 0.0)
    lp = float(
        -residual_ss / (2 * s2)
        - g.T * np.log(s2) / 2
        - g.precision @ (theta * theta) / 2
        - g.lam * np.abs(theta[g.lasso]).sum()
        - s2 / (2 * SIGMA_SCALE**2)
    )
    point = Point(
        k=float(theta[0]),
        m=float(theta[1]),
        delta=theta[2 : 2 + S].copy(),
        beta=theta[2 + S :].copy(),
        sigma_obs=float(np.sqrt(s2)),
    )
    return point, converged, steps, lp


def feature_sign(
    H: np.ndarray, c: np.ndarray, lam: float, lasso: np.ndarray, theta: np.ndarray, max_steps: int
) -> tuple[np.ndarray, int, bool]:
    """argmin 1/2 x'Hx - c'x + lam |x[lasso]|_1, from ``theta``; (x, steps, converged).

    Keeps an active set (every unpenalised coefficient and the nonzero
    penalised ones) with a sign per penalised one; on that set the problem
    is a linear solve. A step whose solution flips a sign moves only to the
    best point on the way (a discrete line search over the zero crossings)
    and drops the coefficient that reached zero. Once consistent, the zero
    coefficient that most violates optimality joins; none left: optimal.
    """
    x = theta.copy()
    free = ~lasso
    sign = np.sign(x) * lasso
    active = free | (sign != 0)
    steps = 0

    def objective(v: np.ndarray) -> float:
        return float(0.5 * v @ H @ v - c @ v + lam * np.abs(v[lasso]).sum())

    while steps < max_steps:
        while steps < max_steps:  # feature-sign steps until the signs agree
            steps += 1
            F = np.flatnonzero(active)
            signs = sign[F]
            rhs = c[F] - lam * signs
            system = H.take(F, axis=0).take(F, axis=1)  # H[np.ix_(F, F)], at a fifth of the cost
            try:
                new = np.linalg.solve(system, rhs)
            except np.linalg.LinAlgError:
                new = np.linalg.lstsq(system, rhs, rcond=None)[0]
            penalised = lasso[F]
            wrong = penalised & (np.sign(new) != signs)
            if not wrong.any():  # the usual step once the signs have settled
                x[F] = new
                break
            current = x[F]
            candidates = [new]
            for j in np.flatnonzero(wrong & (current != 0)):
                a = current[j] / (current[j] - new[j])
                point = current + a * (new - current)
                point[j] = 0.0
                candidates.append(point)
            trial = x.copy()
            values = []
            for point in candidates:
                trial[F] = point
                values.append(objective(trial))
            best = candidates[int(np.argmin(values))]
            x[F] = np.where(penalised & (np.abs(best) < 1e-15), 0.0, best)
            # A new coefficient whose solution has the wrong sign and no better
            # point on the way stays at zero with its sign reset.
            x[F] = np.where(penalised & (np.sign(x[F]) != signs), 0.0, x[F])
            sign = np.sign(x) * lasso
            active = free | (sign != 0)
        gradient = H @ x - c
        violation = lasso & (x == 0) & (np.abs(gradient) > lam * (1 + _KKT_SLACK))
        if not violation.any():
            return x, steps, True
        worst = np.flatnonzero(violation)[np.argmax(np.abs(gradient[violation]))]
        active[worst] = True
        sign[worst] = -np.sign(gradient[worst])
    return x, steps, False
