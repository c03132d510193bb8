"""Prophet's preprocessing on numpy arrays: scales, changepoints, seasonalities, features.

Each function is the array form of one step of ``Prophet.fit`` and
``Prophet.predict`` (named in its docstring), with Prophet's arithmetic in
Prophet's order, so the Stan data it builds is bit-identical to Prophet's
(a test compares them) without a DataFrame per step. It covers linear and
flat growth with the built-in seasonalities; holidays (and logistic
growth) go through Prophet itself with the native backend. External
regressors are columns after the seasonalities', standardised as Prophet's
``add_regressor(standardize="auto")`` does.

What depends on the dates alone — the changepoints, the seasonalities
switched on, scaled time and the seasonal features — is kept per worker
for the last few distinct dates (:mod:`dropcast_forecasting.memo`): the
series of a file mostly share their dates, and then each is one
computation per file, not per fit. A cached value is the very array a
miss computes (read-only), so a hit gives bit-identical fits.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from dropcast_common.params import Params, Toggle
from dropcast_forecasting.memo import Memo, dates_key, frozen
from dropcast_forecasting.native.stan import FLAT, LINEAR, StanData

NS_PER_DAY = 86_400 * 10**9
N_CHANGEPOINTS = 25  # Prophet's defaults
CHANGEPOINT_RANGE = 0.8
# name, period in days, Fourier order (Prophet's defaults for its built-in seasonalities)
_BUILT_IN = (("yearly", 365.25, 10), ("weekly", 7.0, 3), ("daily", 1.0, 4))
# A file's histories, their backtest splits and their horizons: a few distinct dates
# at a time. The largest entry (a few years of daily features) is a few hundred KB.
_ARRAYS: Memo[np.ndarray] = Memo(32)  # scaled times and seasonal features
_CALENDARS: Memo[tuple[np.ndarray, bool, tuple[Seasonality, ...]]] = Memo(8)  # see layout


@dataclass(frozen=True)
class Seasonality:
    """One Fourier seasonality: its period in days and order."""

    name: str
    period: float
    order: int


@dataclass(frozen=True)
class Regressor:
    """One external regressor column: how it is standardised, combined and shrunk."""

    name: str
    mu: float
    std: float
    multiplicative: bool
    prior_scale: float


# Prophet's prior scale for a regressor added without one (``holidays_prior_scale``).
REGRESSOR_PRIOR_SCALE = 10.0


@dataclass(frozen=True)
class Layout:
    """What a fit fixes from its history and every prediction reuses."""

    growth: str  # "linear" or "flat"
    multiplicative: bool
    start: int  # first date, ns since the epoch
    t_scale: float  # last minus first date, ns
    y_scale: float
    changepoints_t: np.ndarray  # (S,); Prophet's dummy [0] when there are none
    has_changepoints: bool
    seasonalities: tuple[Seasonality, ...]
    prior_scale: float
    changepoint_prior_scale: float
    regressors: tuple[Regressor, ...] = ()

    def t(self, ds_ns: np.ndarray) -> np.ndarray:
        """Scaled time (``setup_dataframe``'s ``t``); read-only, shared by equal dates."""
        key = ("t", dates_key(ds_ns), self.start, self.t_scale)
        return _ARRAYS.get(key, lambda: frozen(self._scaled(ds_ns)))

    def _scaled(self, ds_ns: np.ndarray) -> np.ndarray:
        return (ds_ns - self.start).astype("float64") / self.t_scale

    def stan_data_key(self, ds_ns: np.ndarray) -> Hashable | None:
        """What identifies :func:`stan_data`'s date-only arrays for ``ds_ns`` under this layout:
        equal keys, equal t, changepoints and features (None with regressors: their
        values are in the features)."""
        if self.regressors:
            return None
        shape = (self.growth, self.multiplicative, self.prior_scale, self.changepoint_prior_scale)
        return ("data", dates_key(ds_ns), self.start, self.t_scale, self.seasonalities, shape)

    def features(self, ds_ns: np.ndarray, regressors: np.ndarray | None = None) -> np.ndarray:
        """The feature matrix X (``make_all_seasonality_features``), Prophet's columns in order.

        ``regressors`` (rows, regressors) holds the raw regressor values at ``ds_ns``,
        in the layout's order; they come after the seasonal terms, as in Prophet.
        """
        seasonal = self._seasonal(ds_ns)
        if not self.regressors:
            return seasonal if seasonal is not None else np.zeros((len(ds_ns), 1))
        if regressors is None:
            raise ValueError("this model has regressors: their values at the dates are needed")
        values = np.asarray(regressors, dtype="float64").reshape(len(ds_ns), -1)
        mu = np.array([r.mu for r in self.regressors])
        std = np.array([r.std for r in self.regressors])
        standardised = (values - mu) / std
        return standardised if seasonal is None else np.hstack([seasonal, standardised])

    def _seasonal(self, ds_ns: np.ndarray) -> np.ndarray | None:
        if not self.seasonalities:
            return None  # Prophet's placeholder column "zeros" when nothing else is there
        key = ("seasonal", dates_key(ds_ns), self.seasonalities)
        return _ARRAYS.get(key, lambda: frozen(seasonal_features(ds_ns, self.seasonalities)))

    def indicators(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Prior scales, additive and multiplicative indicators per feature column (read-only)."""
        return self._indicators

    @cached_property
    def _indicators(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # Read by every fit and prediction of this layout: built once.
        width = sum(2 * s.order for s in self.seasonalities)
        if width == 0 and not self.regressors:
            return frozen(np.ones(1)), frozen(np.zeros(1)), frozen(np.zeros(1))
        on, off = np.ones(width), np.zeros(width)
        sigmas = np.full(width, self.prior_scale)
        s_a, s_m = (off, on) if self.multiplicative else (on, off)
        extra = self.regressors
        sigmas = np.concatenate([sigmas, [r.prior_scale for r in extra]])
        s_m = np.concatenate([s_m, [float(r.multiplicative) for r in extra]])
        s_a = np.concatenate([s_a, [float(not r.multiplicative) for r in extra]])
        return frozen(sigmas), frozen(s_a), frozen(s_m)


def seasonal_features(ds_ns: np.ndarray, seasonalities: tuple[Seasonality, ...]) -> np.ndarray:
    """Each seasonality's sin and cos columns, order by order (``fourier_series``).

    Prophet computes one column at a time as ``(i + 1) / period * x_t``; the
    same products over all orders at once, then one sin and one cos over
    the lot, give the same values for a fraction of the calls.
    """
    days = ds_ns.astype("float64") / 1e9 / 86_400  # total_seconds() / (24 * 60 * 60)
    x_t = np.pi * 2 * days
    width = sum(2 * season.order for season in seasonalities)
    out = np.empty((len(ds_ns), width))
    column = 0
    for season in seasonalities:
        frequencies = np.arange(1, season.order + 1) / season.period  # (i + 1) / period
        angles = frequencies[:, None] * x_t[None, :]  # (orders, dates): each row contiguous
        block = out[:, column : column + 2 * season.order]
        block[:, 0::2] = np.sin(angles).T
        block[:, 1::2] = np.cos(angles).T
        column += 2 * season.order
    return out


def layout(
    ds_ns: np.ndarray, y: np.ndarray, params: Params, regressors: np.ndarray | None = None
) -> Layout:
    """Fix scales, seasonalities and changepoints from a sorted history (``preprocess``).

    ``regressors`` (rows, len(params.regressors)): the history's regressor values.
    """
    if params.growth not in ("linear", "flat"):
        raise ValueError(f"the array path does not build {params.growth} growth")
    start, end = int(ds_ns[0]), int(ds_ns[-1])
    y_scale = float(np.abs(y).max())  # scaling="absmax", floor 0
    if y_scale == 0:
        y_scale = 1.0
    t_scale = float(end - start)
    toggles = (params.yearly_seasonality, params.weekly_seasonality, params.daily_seasonality)
    changepoints_t, has, seasons = _CALENDARS.get(
        (dates_key(ds_ns), toggles), lambda: _calendar(ds_ns, start, t_scale, params)
    )
    return Layout(
        growth=params.growth,
        multiplicative=params.seasonality_mode == "multiplicative",
        start=start,
        t_scale=t_scale,
        y_scale=y_scale,
        changepoints_t=changepoints_t,
        has_changepoints=has,
        seasonalities=seasons,
        prior_scale=params.seasonality_prior_scale,
        changepoint_prior_scale=params.changepoint_prior_scale,
        regressors=_regressors(params, regressors),
    )


def _regressors(params: Params, values: np.ndarray | None) -> tuple[Regressor, ...]:
    """``initialize_scales`` for extra regressors, with ``standardize="auto"``.

    A 0/1 column (or one with a single value) is left as it is; any other is
    centred on its mean and divided by its sample standard deviation
    (pandas' ``std``, ddof 1), computed over the history.
    """
    names = params.regressors or ()
    if not names:
        return ()
    if values is None:
        raise ValueError("the model has regressors but no values were given for them")
    matrix = np.asarray(values, dtype="float64").reshape(-1, len(names))
    multiplicative = params.regressor_mode == "multiplicative"
    out = []
    for j, name in enumerate(names):
        column = matrix[:, j]
        unique = np.unique(column)
        mu, std = 0.0, 1.0
        if len(unique) >= 2 and not (len(unique) == 2 and set(unique.tolist()) == {0.0, 1.0}):
            mu, std = float(column.mean()), float(column.std(ddof=1))
        out.append(Regressor(name, mu, std, multiplicative, REGRESSOR_PRIOR_SCALE))
    return tuple(out)


def stan_data(
    lay: Layout, ds_ns: np.ndarray, y: np.ndarray, regressors: np.ndarray | None = None
) -> StanData:
    """The Stan program's data for the history (``Prophet.fit``'s ``dat``)."""
    sigmas, s_a, s_m = lay.indicators()
    return StanData(
        dates_key=lay.stan_data_key(ds_ns),
        t=lay.t(ds_ns),
        y=y / lay.y_scale,  # (y - floor) / y_scale with floor 0
        cap=np.zeros(len(y)),
        t_change=lay.changepoints_t,
        X=lay.features(ds_ns, regressors),
        sigmas=sigmas,
        s_a=s_a,
        s_m=s_m,
        tau=lay.changepoint_prior_scale,
        trend_indicator=LINEAR if lay.growth == "linear" else FLAT,
    )


def initial(data: StanData) -> tuple[float, float]:
    """Prophet's start for k and m (``linear_growth_init`` / ``flat_growth_init``)."""
    if data.trend_indicator == FLAT:
        return 0.0, float(data.y.mean())
    span = data.t[-1] - data.t[0]
    k = (data.y[-1] - data.y[0]) / span
    return float(k), float(data.y[0] - k * data.t[0])


def _calendar(
    ds_ns: np.ndarray, start: int, t_scale: float, params: Params
) -> tuple[np.ndarray, bool, tuple[Seasonality, ...]]:
    """The changepoints and the seasonalities switched on: the dates' part of a layout."""
    changepoints_t, has = _changepoints(ds_ns, start, t_scale)
    return frozen(changepoints_t), has, _seasonalities(ds_ns, params)


def _changepoints(ds_ns: np.ndarray, start: int, t_scale: float) -> tuple[np.ndarray, bool]:
    """``set_changepoints``: 25 candidates evenly over the first 80 % of the history."""
    hist_size = int(np.floor(len(ds_ns) * CHANGEPOINT_RANGE))
    n = N_CHANGEPOINTS
    if n + 1 > hist_size:
        n = hist_size - 1
    if n <= 0:
        return np.array([0.0]), False
    indexes = np.linspace(0, hist_size - 1, n + 1).round().astype(int)[1:]
    return np.sort((ds_ns[indexes] - start).astype("float64") / t_scale), True


def _seasonalities(ds_ns: np.ndarray, params: Params) -> tuple[Seasonality, ...]:
    """``set_auto_seasonalities``: which built-in seasonalities the history switches on."""
    span = int(ds_ns[-1] - ds_ns[0])
    steps = np.diff(ds_ns)
    steps = steps[steps != 0]
    min_step = int(steps.min()) if len(steps) else 0
    disabled = {
        "yearly": span < 730 * NS_PER_DAY,
        "weekly": span < 14 * NS_PER_DAY or min_step >= 7 * NS_PER_DAY,
        "daily": span < 2 * NS_PER_DAY or min_step >= NS_PER_DAY,
    }
    toggles: dict[str, Toggle] = {
        "yearly": params.yearly_seasonality,
        "weekly": params.weekly_seasonality,
        "daily": params.daily_seasonality,
    }
    out = []
    for name, period, default_order in _BUILT_IN:
        toggle = toggles[name]
        on = (not disabled[name]) if toggle == "auto" else bool(toggle)
        if on:
            out.append(Seasonality(name, period, default_order))
    return tuple(out)
