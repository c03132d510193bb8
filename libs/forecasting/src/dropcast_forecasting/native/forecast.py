"""Fit and predict Prophet's model on arrays: the native engine's fast path.

``fit`` is ``Prophet(...).fit`` for linear or flat growth with the built-in
seasonalities, and ``NativeFit.predict`` is ``Prophet.predict``: the same
trend, the same seasonal terms and, for the interval, the same simulation
of future trend changes and observation noise as Prophet's vectorised
sampler, equal in distribution (a test compares quantiles over many
seeds) and seeded from numpy's global generator as Prophet's are (or from
a private one in the state a given seed would put the global one in).
No DataFrame, no file, no subprocess per fit.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dropcast_common.params import Params
from dropcast_forecasting.native import design
from dropcast_forecasting.native.solver import Solution, solve
from dropcast_forecasting.native.stan import Point

_LEGACY = threading.local()  # one legacy generator per thread, re-seeded per prediction


def legacy_generator(seed: int) -> np.random.RandomState:
    """numpy's legacy generator in the state ``np.random.seed(seed)`` puts the global one in.

    The same draws as seeding the global generator, without touching it:
    saving and restoring the global state around a prediction cost more
    than the interval's arithmetic.
    """
    generator: np.random.RandomState | None = getattr(_LEGACY, "generator", None)
    if generator is None:
        generator = _LEGACY.generator = np.random.RandomState(0)
    generator.seed(seed)
    return generator


class NotConvergedError(RuntimeError):
    """The native solver did not reach the optimum; the caller fits with cmdstan instead."""


@dataclass
class Prediction:
    """Point forecast and interval bounds (NaN without uncertainty samples) at ``ds``."""

    ds: np.ndarray  # datetime64[ns]
    yhat: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


@dataclass
class NativeFit:
    """A fitted model: what Prophet keeps after ``fit``, as arrays."""

    layout: design.Layout
    point: Point
    interval_width: float
    uncertainty_samples: int
    history_step: float  # mean step of the scaled history times (Prophet's fallback for one date)
    started_warm: bool = False
    solution: Solution | None = None  # None for a constant series (Prophet does not fit one)
    params: dict[str, np.ndarray] = field(init=False)

    def __post_init__(self) -> None:
        self.params = self.point.as_params()  # Prophet's layout, read by warm starts

    def predict(
        self, ds: np.ndarray, regressors: np.ndarray | None = None, seed: int | None = None
    ) -> Prediction:
        """``Prophet.predict`` at the dates ``ds`` (ascending datetime64).

        ``regressors`` (dates, regressors): the regressors' values at ``ds``,
        needed when the model has regressors. The interval draws from numpy's
        global generator, or with ``seed`` as if it had just been seeded with
        ``seed`` (see :func:`legacy_generator`), leaving it as it was.
        """
        ds_ns = np.asarray(ds, dtype="datetime64[ns]").view("int64")
        lay, p = self.layout, self.point
        t = lay.t(ds_ns)
        X = lay.features(ds_ns, regressors)
        _, s_a, s_m = lay.indicators()
        expected = self._trend(t)
        trend = expected * lay.y_scale
        additive = (X @ (p.beta * s_a)) * lay.y_scale
        multiplicative = X @ (p.beta * s_m)
        yhat = trend * (1 + multiplicative) + additive
        nan = np.full(len(t), np.nan)
        if not self.uncertainty_samples:
            return Prediction(ds_ns.view("datetime64[ns]"), yhat, nan, nan.copy())
        samples = self._samples(t, expected, additive, multiplicative, seed)
        lower_p = 100 * (1.0 - self.interval_width) / 2
        upper_p = 100 * (1.0 + self.interval_width) / 2
        if np.isnan(samples).any():
            lower, upper = np.nanpercentile(samples, [lower_p, upper_p], axis=1)
        else:
            lower, upper = percentiles(samples, lower_p, upper_p)
        return Prediction(ds_ns.view("datetime64[ns]"), yhat, lower, upper)

    def components(
        self, ds: np.ndarray, regressors: np.ndarray | None = None
    ) -> dict[str, np.ndarray]:
        """``Prophet.predict``'s component columns at ``ds``, from the fitted point.

        trend, each seasonality by name (in y's units when additive, a
        fraction of the trend when multiplicative, as Prophet reports them),
        additive_terms, multiplicative_terms and yhat = trend * (1 +
        multiplicative_terms) + additive_terms: the same arithmetic as
        :meth:`predict`, one seasonality's columns of X at a time, then each
        external regressor's column (in y's units when additive, a fraction of
        the trend when multiplicative). ``regressors`` are their raw values at
        ``ds``, as :meth:`predict` takes them.
        """
        ds_ns = np.asarray(ds, dtype="datetime64[ns]").view("int64")
        lay, p = self.layout, self.point
        X = lay.features(ds_ns, regressors)
        _, s_a, s_m = lay.indicators()
        out = {"trend": self._trend(lay.t(ds_ns)) * lay.y_scale}
        column = 0
        for season in lay.seasonalities:
            width = 2 * season.order
            block = X[:, column : column + width] @ p.beta[column : column + width]
            out[season.name] = block if lay.multiplicative else block * lay.y_scale
            column += width
        for regressor in lay.regressors:
            effect = X[:, column] * p.beta[column]
            out[regressor.name] = effect if regressor.multiplicative else effect * lay.y_scale
            column += 1
        out["additive_terms"] = (X @ (p.beta * s_a)) * lay.y_scale
        out["multiplicative_terms"] = X @ (p.beta * s_m)
        out["yhat"] = out["trend"] * (1 + out["multiplicative_terms"]) + out["additive_terms"]
        return out

    def changepoints(self) -> tuple[np.ndarray, np.ndarray]:
        """The changepoint dates (datetime64[ns]) and their fitted rate changes (delta)."""
        lay = self.layout
        if not lay.has_changepoints:
            return np.array([], dtype="datetime64[ns]"), np.array([])
        stamps = (lay.changepoints_t * lay.t_scale + lay.start).round().astype("int64")
        return stamps.view("datetime64[ns]"), np.asarray(self.point.delta, dtype="float64")

    def noise_scale(self) -> float:
        """The observation noise's standard deviation in y's units (sigma_obs unscaled)."""
        return float(self.point.sigma_obs * self.layout.y_scale)

    def predictive_samples(
        self, ds: np.ndarray, regressors: np.ndarray | None = None
    ) -> np.ndarray:
        """Draws of y at ``ds``, (samples, dates): what Prophet's ``predictive_samples`` gives."""
        ds_ns = np.asarray(ds, dtype="datetime64[ns]").view("int64")
        t = self.layout.t(ds_ns)
        X = self.layout.features(ds_ns, regressors)
        _, s_a, s_m = self.layout.indicators()
        additive = (X @ (self.point.beta * s_a)) * self.layout.y_scale
        return self._samples(t, self._trend(t), additive, X @ (self.point.beta * s_m)).T

    def _samples(
        self,
        t: np.ndarray,
        expected: np.ndarray,
        additive: np.ndarray,
        multiplicative: np.ndarray,
        seed: int | None = None,
    ) -> np.ndarray:
        """``sample_model_vectorized``: simulated trends times seasonality, plus noise.

        Laid out (dates, draws), Prophet's transpose: the running sums over
        dates and each date's percentiles then run along contiguous memory,
        three times faster than across it (benchmark B1).
        """
        n, y_scale = self.uncertainty_samples, self.layout.y_scale
        # A generator seeded from numpy's global one, which the caller seeds
        # per series (Prophet samples from the global one): the same
        # distributions as Prophet's draws, several times faster to draw.
        source = np.random if seed is None else legacy_generator(seed)
        rng = np.random.default_rng(source.randint(0, 2**32, size=4, dtype=np.uint64))
        samples = self._trend_changes(t, n, rng)
        samples += expected[:, None]
        samples *= y_scale * (1 + multiplicative)[:, None]
        samples += additive[:, None]
        noise = rng.standard_normal(samples.shape)
        noise *= self.point.sigma_obs * y_scale
        samples += noise
        return samples

    def _trend(self, t: np.ndarray) -> np.ndarray:
        """``piecewise_linear`` / ``flat_trend`` on the scaled times."""
        p, cps = self.point, self.layout.changepoints_t
        if self.layout.growth == "flat":
            return p.m * np.ones_like(t)
        deltas_t = (cps[None, :] <= t[..., None]) * p.delta
        k_t = deltas_t.sum(axis=1) + p.k
        m_t = (deltas_t * -cps).sum(axis=1) + p.m
        trend: np.ndarray = k_t * t + m_t
        return trend

    def _trend_changes(self, t: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        """``_sample_uncertainty``: simulated future trend changes, (len(t), n), scaled.

        Prophet draws a Laplace shift for every future step and keeps those
        where a uniform draw falls below the change likelihood; drawing
        shifts only where a change happens is the same distribution with a
        few percent of the draws.
        """
        out = np.zeros((len(t), n))
        if t.max() <= 1 or self.layout.growth == "flat":
            return out  # no trend uncertainty in the history or flat growth
        in_future = t > 1
        future = t[in_future]
        length = len(future)
        step = np.diff(future).mean() if length > 1 else self.history_step
        likelihood = len(self.layout.changepoints_t) * step
        mean_delta = np.mean(np.abs(self.point.delta)) + 1e-8
        changes = rng.random((length, n)) < likelihood
        mat = np.zeros((length, n))
        mat[changes] = rng.laplace(0, mean_delta, int(np.count_nonzero(changes)))
        # Each step's shift averaged with the step before (Prophet's trapezoid).
        mat[1:] += mat[:-1].copy()
        mat *= 0.5 * step
        running_sum(mat)
        running_sum(mat)
        if length == len(t):
            return mat  # every date is in the future (a forecast's horizon)
        out[in_future] = mat
        return out


def running_sum(mat: np.ndarray) -> None:
    """``np.cumsum(mat, axis=0, out=mat)``, row by row: the same additions in the same order
    (hence the same values), a few times faster over a horizon's rows of draws."""
    for i in range(1, len(mat)):
        np.add(mat[i], mat[i - 1], out=mat[i])


def percentiles(
    samples: np.ndarray, lower_p: float, upper_p: float
) -> tuple[np.ndarray, np.ndarray]:
    """``np.percentile(samples, [lower_p, upper_p], axis=1)`` for samples without NaN.

    Reorders each row of ``samples`` in place (the draws are not needed after).

    Prophet makes two calls; numpy partitions each date's draws (Prophet's
    columns, our rows) across memory. One partition per row, along it, of
    just the four order statistics the default ("linear") method
    interpolates between, then numpy's own interpolation: the same values,
    in half the time.
    """
    n = samples.shape[1]
    virtual = (n - 1) * np.true_divide(np.array([lower_p, upper_p]), 100)
    below = np.floor(virtual).astype(np.intp)
    above = below + 1
    last = virtual >= n - 1  # numpy takes the largest draw there
    below[last], above[last] = n - 1, n - 1
    first = virtual < 0
    below[first], above[first] = 0, 0
    gamma = (virtual - below)[:, None]
    samples.partition(np.unique(np.concatenate([below, above])), axis=1)
    low, high = samples[:, below].T, samples[:, above].T
    # numpy's _lerp: from the nearer end, so that gamma = 1 gives ``high`` exactly.
    diff = high - low
    out = low + diff * gamma
    np.subtract(high, diff * (1 - gamma), out=out, where=gamma >= 0.5)
    return out[0], out[1]


def supports(params: Params) -> bool:
    """Whether the array path builds this model (else Prophet with the native backend)."""
    return params.growth in ("linear", "flat") and not (params.holidays_country or params.holidays)


def fit(
    ds: np.ndarray,
    y: np.ndarray,
    params: Params,
    *,
    init: Any = None,
    uncertainty_samples: int | None = None,
    regressors: np.ndarray | None = None,
) -> NativeFit:
    """Fit Prophet's model to the history ``ds`` (datetime64), ``y`` (float; NaN dropped).

    ``init`` is a warm start (Prophet's init dict): the convex solve starts
    there when it has this model's shape, and ends at the same optimum.
    ``regressors`` (rows, len(params.regressors)) are the history's regressor values.
    Raises ValueError for fewer than two values (as Prophet does) and
    :class:`NotConvergedError` when the solver does not reach the optimum.
    """
    ds_ns = np.asarray(ds, dtype="datetime64[ns]").view("int64")
    values = np.asarray(y, dtype="float64")
    keep = ~np.isnan(values)
    ds_ns, values = ds_ns[keep], values[keep]
    extra = None
    if regressors is not None:
        extra = np.asarray(regressors, dtype="float64").reshape(len(keep), -1)[keep]
    if len(values) < 2:
        raise ValueError("Dataframe has less than 2 non-NaN rows.")
    if np.isinf(values).any():
        raise ValueError("Found infinity in column y.")
    order = np.argsort(ds_ns, kind="mergesort")
    ds_ns, values = ds_ns[order], values[order]
    extra = extra[order] if extra is not None else None
    lay = design.layout(ds_ns, values, params, extra)
    data = design.stan_data(lay, ds_ns, values, extra)
    k, m = design.initial(data)
    default = Point(k, m, np.zeros(len(data.t_change)), np.zeros(data.X.shape[1]), 1.0)
    samples = params.uncertainty_samples if uncertainty_samples is None else uncertainty_samples
    step = float(np.diff(data.t).mean())
    if values.min() == values.max():
        # Prophet does not optimise a constant series: its start, with no noise.
        point = Point(default.k, default.m, default.delta, default.beta, 1e-9)
        return NativeFit(lay, _fold(point, lay), params.interval_width, samples, step)
    start = Point.from_mapping(init) if init is not None else None
    warm = start is not None and start.fits(data)
    solution = solve(data, start if warm and start is not None else default)
    if not solution.converged:
        raise NotConvergedError(
            f"{solution.method} solver stopped after {solution.iterations} iterations"
        )
    return NativeFit(
        lay, _fold(solution.point, lay), params.interval_width, samples, step, warm, solution
    )


def _fold(point: Point, lay: design.Layout) -> Point:
    """Without changepoints Prophet folds its dummy delta into k (``Prophet.fit``)."""
    if lay.has_changepoints:
        return point
    return Point(
        point.k + float(point.delta.sum()),
        point.m,
        np.zeros_like(point.delta),
        point.beta,
        point.sigma_obs,
    )
