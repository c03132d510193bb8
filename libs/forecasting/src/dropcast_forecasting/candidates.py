"""The models a series can be forecast with, each behind one function: history in, forecast out.

Prophet goes through :mod:`dropcast_forecasting.model` (so a faster Prophet
behind it speeds this up too); the others are Nixtla's statsforecast
(well-kept implementations of ETS, Theta, ARIMA and seasonal naive, not
hand-written ones). Every candidate returns point forecasts and a
*spread*: the half-width of its own interval at the width asked for, or a
stand-in where the model has none without sampling (Prophet). The spread
only gives each horizon step its shape; :mod:`dropcast_forecasting.calibration`
scales it to the coverage the backtest shows.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from dropcast_common import frequency as frequencies
from dropcast_common.params import Params
from dropcast_forecasting.backtest import naive_scale
from dropcast_forecasting.calendar import seasonalities
from dropcast_forecasting.model import (
    fit_prophet,
    predict_prophet,
    regressor_values,
    warm_start_init,
)
from dropcast_forecasting.regressors import arima_effects, effects
from dropcast_forecasting.results import RegressorEffect

log = logging.getLogger("dropcast.forecast.candidates")

Candidate = Literal["prophet", "ets", "theta", "arima", "mstl", "seasonal_naive", "combination"]
# What ``model=auto`` backtests, in the order ties are broken (Prophet first:
# the model this product is built around wins a tie). AutoARIMA is left out:
# a fit costs about seven times AutoETS's (1.0 s against 0.14 s, 60 monthly
# values), and its accuracy has not been benchmarked.
AUTO_CANDIDATES: tuple[Candidate, ...] = ("prophet", "ets", "theta", "seasonal_naive")
# The combination's members: the mean of their forecasts, step by step (the
# benchmark's best combination; adding Prophet made it worse).
COMBINED: tuple[Candidate, ...] = ("ets", "theta")
# The candidates whose fit searches a family of forms (see search_history).
SEARCHED: tuple[Candidate, ...] = ("ets", "theta")
# Prophet's Stan program picks Newton below this many values (and L-BFGS
# from there). Newton started from another fit's optimum can crawl to a far
# worse one (a 44-value quarterly series: 232 s, log-probability -22.7
# against +187.5 from Prophet's own start), so only L-BFGS fits start warm.
WARM_START_MIN_VALUES = 100
# How cmdstan optimises a backtest fit (any engine: the native one hands
# cmdstan what it cannot solve): see backtest_fit.
NEWTON_ITERATIONS = 200
LBFGS_ITERATIONS = 2000


@dataclass(frozen=True)
class Forecast:
    """One candidate's forecast of ``len(prediction)`` steps."""

    prediction: np.ndarray
    spread: np.ndarray  # half-width per step (NaN: none)
    init: Mapping[str, Any] | None = None  # Prophet's fitted parameters (a warm start)
    fitted: Any = None  # the fitted statsforecast model, to carry to later windows
    own_interval: bool = True  # the spread is the model's own interval (not a stand-in)
    effects: tuple[RegressorEffect, ...] = ()  # the external regressors' coefficients
    model: Any = None  # the fitted model itself, for its components and anomalies (explain)


def backtest_fit(values: int) -> dict[str, Any]:
    """Prophet's ``fit`` options for a backtest fit of ``values`` values: capped, no fallback.

    Prophet optimises fewer than 100 values with Newton (more with L-BFGS,
    falling back to Newton when that fails), up to 10,000 iterations. On
    M3's N0970 (36 quarterly values) Newton crawled along a ridge where the
    noise scale shrinks towards zero: 43 s to its cap here, 232 s once when
    started from the main fit's optimum. Capped at 200 iterations it stops
    in 0.4 s with a forecast as good (mean error 39 against 42 at 400). A
    backtest only scores the model, so its fits keep Prophet's algorithm
    under a cap, keep the point the cap leaves, and never fall back to
    Newton; the forecast's own fit stays Prophet's.
    """
    newton = values < WARM_START_MIN_VALUES
    return {
        "iter": NEWTON_ITERATIONS if newton else LBFGS_ITERATIONS,
        "require_converged": False,
        "newton_fallback": False,
    }


def min_train(candidate: Candidate, m: int) -> int:
    """Fewest training values a candidate needs for a forecast worth scoring.

    Prophet: two full seasons (its seasonalities and trend are otherwise
    not identifiable; 12-value quarterly series scored MASE 4.34 with
    Prophet against 1.57 with seasonal naive) and never fewer than 10.
    """
    if candidate == "prophet":
        return max(10, 2 * m)
    if candidate == "seasonal_naive":
        return m + 1 if m > 1 else 2
    if candidate in ("arima", "mstl"):
        return max(10, 2 * m)
    return max(6, m + 2)


def forecast(
    candidate: Candidate,
    history: pd.DataFrame,
    dates: pd.DatetimeIndex,
    m: int,
    params: Params,
    *,
    init: Mapping[str, Any] | None = None,
    fitted: Any = None,
    like: Any = None,
    future: np.ndarray | None = None,
    backtest: bool = False,
) -> Forecast:
    """Fit ``candidate`` to ``history`` (ds, y) and forecast it at ``dates``.

    ``init`` is a warm start for Prophet; ``fitted`` a statsforecast model
    fitted to an earlier part of the same history, whose estimated
    parameters are then applied to this one without estimating them again
    (statsforecast's ``forward``); ``like`` such a model whose *form* (ETS's
    error, trend and season types; Theta's variant) this fit keeps while it
    estimates the parameters anew. ``future`` holds the external regressors'
    values at ``dates`` (Prophet and AutoARIMA take them; see
    :func:`~dropcast_forecasting.selection.regressor_candidates`); ``backtest``
    marks a fit that only scores the model (Prophet then optimises as
    :func:`backtest_fit` says). Raises whatever the model raises; the caller
    drops a candidate that fails.
    """
    h = len(dates)
    if candidate == "prophet":
        options = backtest_fit(len(history)) if backtest else {}
        return _prophet(history, dates, m, params, init, options, future)
    whole = history["y"].to_numpy(dtype="float64")
    seasons = _mstl_seasons(history, m) if candidate == "mstl" else ()
    # MSTL needs two of its longest cycle (two years of daily data) to see it.
    y = whole[-max(stats_history(m), 3 * max(seasons, default=0)) :]
    past = regressor_values(history, params)
    exogenous: dict[str, Any] = {}
    if past is not None and future is not None:
        exogenous = {"X": past[-len(y) :]}
    level = _level(params.interval_width)
    with warnings.catch_warnings():
        # statsforecast divides by zero degrees of freedom on its tiniest
        # models and says so; those models lose on their scores anyway.
        warnings.simplefilter("ignore", RuntimeWarning)
        if fitted is not None:
            model = fitted
            ahead = {"X_future": future} if exogenous else {}
            out = model.forward(y=y, h=h, level=[level], **exogenous, **ahead)
        else:
            if (
                params.model == "auto"
                and like is None
                and candidate in SEARCHED
                and len(whole) > len(y)
                and not exogenous
            ):
                # A history longer than the window: the form from the recent
                # values, its parameters from the whole window (a model asked
                # for by name gets the library's own full search).
                like = _statsforecast_model(candidate, m).fit(y=y[-search_history(m) :])
            model = _statsforecast_model(candidate, m, like, seasons).fit(y=y, **exogenous)
            out = model.predict(h=h, level=[level], **({"X": future} if exogenous else {}))
    key = str(level)
    prediction = np.asarray(out["mean"], dtype="float64")
    spread = (np.asarray(out[f"hi-{key}"]) - np.asarray(out[f"lo-{key}"])) / 2
    if not np.isfinite(prediction).all():
        raise ValueError(f"{candidate} forecast holds non-finite values")
    # Seasonal naive has no parameters to carry (nor a ``forward``): it refits, for free.
    carried = model if hasattr(model, "forward") else None
    found = tuple(arima_effects(model, params)) if exogenous else ()
    return Forecast(
        prediction,
        np.asarray(spread, dtype="float64"),
        fitted=carried,
        effects=found,
        model=model,
    )


def stats_history(m: int) -> int:
    """The most recent values the statsforecast candidates fit on: 20 seasons, at least 240.

    Their cost grows with the history (AutoETS took 0.5 s of CPU on three
    years of daily data, AutoTheta as much, against 0.1 s for a warm
    Prophet refit), while exponential smoothing and Theta weigh recent
    values far above old ones: twenty seasons are plenty to estimate from.
    Every competition series of the accuracy benchmark but a few Tourism
    monthly ones is shorter than this.
    """
    return max(240, 20 * m)


def search_history(m: int) -> int:
    """The most recent values AutoETS and AutoTheta choose their form on: 10 seasons, at least 120.

    The search fits every form (AutoETS up to thirty, AutoTheta four) and its
    cost grows with the values; on a longer history only the form found here
    is fitted to all :func:`stats_history` values. Only histories longer
    than that window search this way (three years of daily data, benchmark
    B1: AutoETS 131 ms against 73, AutoTheta 75 against 37); on shorter
    ones the search on every value pays (searching M3's 126-value monthly
    series on their last 120 lost the default its MASE lead over AutoETS,
    1.677 against 1.675).
    """
    return max(120, 10 * m)


def combine(members: list[Forecast]) -> Forecast:
    """The mean of the members' forecasts and spreads, step by step."""
    return Forecast(
        np.mean(np.stack([f.prediction for f in members]), axis=0),
        np.mean(np.stack([f.spread for f in members]), axis=0),
        own_interval=all(f.own_interval for f in members),
    )


def _prophet(
    history: pd.DataFrame,
    dates: pd.DatetimeIndex,
    m: int,
    params: Params,
    init: Mapping[str, Any] | None,
    options: Mapping[str, Any],
    future: np.ndarray | None = None,
) -> Forecast:
    # No interval sampling: calibration from the backtest gives the interval,
    # and skipping the samples is most of a prediction's cost.
    start = init if init is not None and len(history) >= WARM_START_MIN_VALUES else None
    try:
        model = fit_prophet(history, params, init=start, uncertainty_samples=0, **options)
    except Exception:
        if start is None:
            raise
        log.debug("warm start refused; fitting cold")
        model = fit_prophet(history, params, uncertainty_samples=0, **options)
    frame = predict_prophet(model, dates, params, future)
    prediction = frame["prediction"].to_numpy(dtype="float64")
    if not np.isfinite(prediction).all():
        raise ValueError("the Prophet forecast holds non-finite values")
    spread = naive_spread(history["y"].to_numpy(), m, len(dates))
    found = tuple(effects(model, history, params))
    return Forecast(
        prediction, spread, _init(model), own_interval=False, effects=found, model=model
    )


def naive_spread(y: np.ndarray, m: int, h: int) -> np.ndarray:
    """A model-free interval shape: the seasonal naive error scale, growing as √step."""
    scale = naive_scale(y, m) or float(np.std(y)) or 1.0
    return scale * np.sqrt(np.arange(1, h + 1, dtype="float64"))


def _init(model: Any) -> Mapping[str, Any] | None:
    try:
        return warm_start_init(model)
    except Exception:  # a Prophet without Stan parameters (another engine) has no warm start
        return None


def multi_seasonal_sub_daily(history: pd.DataFrame, m: int) -> bool:
    """Whether ``model=auto`` backtests MSTL too: sub-daily data holding two of each cycle.

    On Taylor's half-hourly electricity demand (a daily and a weekly cycle;
    ``nox -s accuracy -- --dataset taylor``, four weekly origins) MSTL scored
    sMAPE 2.08 and MASE 0.32 against 4.54 and 0.65 for the default without
    it (Prophet) and 44.8 and 5.95 for AutoETS. Daily data with a yearly
    cycle is left out: there MSTL cost 810 ms per series on three years
    (benchmark B1's data) against 136 ms for AutoETS, and no real daily
    series with a holdout was at hand to show it earns that.
    """
    if m <= 1 or len(history) < 2 * 7 * m:
        return False
    ds = history["ds"]
    if ds.iloc[-1] - ds.iloc[-2] >= pd.Timedelta(days=1):
        return False  # not sub-daily; spares the frequency inference (4 ms a series)
    freq = frequencies.infer_one(ds)
    # A day and a week of periods: the cycles of sub-daily data (daily data's are 7 and 365).
    return freq is not None and seasonalities(freq) == (m, 7 * m)


def _mstl_seasons(history: pd.DataFrame, m: int) -> tuple[int, ...]:
    """The cycles MSTL decomposes ``history`` into: those it holds two of (at least ``m``)."""
    freq = frequencies.infer_one(history["ds"])
    every = seasonalities(freq) if freq is not None else (m,)
    return tuple(s for s in every if s > 1 and 2 * s <= len(history)) or (m,)


def _statsforecast_model(
    candidate: Candidate, m: int, like: Any = None, seasons: tuple[int, ...] = ()
) -> Any:
    """A statsforecast model; with ``like`` (a fitted one), restricted to its form.

    AutoETS searches up to thirty forms (error, trend, damping, season) and
    AutoTheta four variants, each a full optimisation: 85 % of a default
    forecast's CPU on daily data. The final fit on the whole history keeps
    the form its backtest chose on nearly the same values and estimates
    only that form's parameters.
    """
    from statsforecast.models import MSTL, AutoARIMA, AutoETS, AutoTheta, SeasonalNaive

    form = getattr(like, "model_", None) or {}
    if candidate == "ets":
        components = str(form.get("components", ""))
        if len(components) == 4:
            return AutoETS(season_length=m, model=components[:3], damped=components[3] == "D")
        return AutoETS(season_length=m)
    if candidate == "theta":
        if form.get("modeltype"):
            return AutoTheta(
                season_length=m,
                model=str(form["modeltype"]),
                decomposition_type=str(form.get("decomposition_type", "multiplicative")),
            )
        return AutoTheta(season_length=m)
    if candidate == "arima":
        return AutoARIMA(season_length=m)
    if candidate == "mstl":
        # statsforecast's default: the seasonally adjusted rest by a non-seasonal AutoETS.
        return MSTL(season_length=list(seasons or (m,)), trend_forecaster=AutoETS(model="ZZN"))
    if candidate == "seasonal_naive":
        return SeasonalNaive(season_length=m)
    raise ValueError(f"not a statsforecast candidate: {candidate}")


def form_of(fitted: Any) -> dict[str, str]:
    """The form of a fitted AutoETS or AutoTheta, as :func:`_statsforecast_model` reads it back."""
    model = getattr(fitted, "model_", None) or {}
    keys = ("components", "modeltype", "decomposition_type")
    return {key: str(model[key]) for key in keys if isinstance(model.get(key), str)}


def _level(width: float) -> int | float:
    """The level statsforecast takes (percent), whole when it is: its columns are named by it."""
    level = round(width * 100, 6)
    return int(level) if math.isclose(level, round(level)) else level


def warm_up() -> None:
    """Import statsforecast and run each candidate once, so the first real series pays nothing.

    Called where a process is prepared ahead of traffic (a pool worker's
    start, the image build).
    """
    y = np.sin(np.arange(36) * np.pi / 6) + np.arange(36) / 10 + 5
    for candidate in ("ets", "theta", "seasonal_naive"):
        _statsforecast_model(candidate, 12).forecast(y=y, h=3, level=[80])
