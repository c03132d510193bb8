"""Forecast one series: Prophet, or a fallback with the reason, plus its backtest.

This is what a worker runs. It never raises for a bad series: a series too
short for Prophet, or one Prophet fails on, gets a fallback forecast, and a
series with fewer than two values is skipped — the result says which and
why. Deterministic: Prophet's MAP fit is deterministic for a given input and
the interval sampling is seeded from the series id, so a series gives the
same numbers alone, in a batch, in any worker and in any order.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dropcast_common import frequency as frequencies
from dropcast_common.params import Params
from dropcast_forecasting.backtest import score
from dropcast_forecasting.calendar import (
    future_dates,
    season_length,
    without_impossible_seasonality,
)
from dropcast_forecasting.candidates import WARM_START_MIN_VALUES
from dropcast_forecasting.fallback import Fallback, fallback_forecast
from dropcast_forecasting.model import (
    engine_fallback,
    fit_prophet,
    predict_point,
    predict_prophet,
    started_warm,
    warm_start_init,
)
from dropcast_forecasting.results import Backtest, SeriesResult
from dropcast_forecasting.selection import select
from dropcast_forecasting.warmstart import Carried, history_digest, reusable_backtest

log = logging.getLogger("dropcast.forecast.series")

# Fewer values than this and there is nothing to forecast from.
MIN_OBSERVATIONS = 2
# Below this Prophet's trend and seasonality are not identifiable and its
# forecasts swing wildly; a seasonal naive or mean forecast is more honest.
MIN_PROPHET_OBSERVATIONS = 10
FRAME_COLUMNS = ["date", "prediction", "prediction_lower", "prediction_upper"]


@dataclass(frozen=True)
class SeriesTask:
    """One series to forecast: what a worker receives (small, cheap to pickle)."""

    series_id: str
    ds: np.ndarray  # datetime64[ns], ascending
    y: np.ndarray  # float64, NaN for a missing value
    frequency: str | None = None  # None: inferred from ds
    previous: Carried | None = None  # what the last upload of the same object left (warm start)


@dataclass
class SeriesOutcome:
    """The forecast frame (columns FRAME_COLUMNS; None when skipped) and its result record."""

    result: SeriesResult
    forecast: pd.DataFrame | None
    carry: Carried | None = None  # for the next upload (Prophet series only)


def series_seed(series_id: str) -> int:
    """A stable 32-bit seed from the series id (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.sha256(series_id.encode()).digest()[:4], "big")


@contextmanager
def seeded(series_id: str) -> Iterator[None]:
    """Seed numpy's global RNG (Prophet samples intervals from it), then restore it."""
    state = np.random.get_state()
    np.random.seed(series_seed(series_id))
    try:
        yield
    finally:
        np.random.set_state(state)


def forecast_series(task: SeriesTask, params: Params) -> SeriesOutcome:
    """Forecast ``task`` with ``params``; never raises for a bad series."""
    keep = ~np.isnan(task.y)
    history = pd.DataFrame({"ds": task.ds[keep], "y": task.y[keep]})
    n = len(history)
    info: dict[str, Any] = {"series_id": task.series_id, "observations": n}
    if n:
        info["start"] = str(history["ds"].iloc[0])
        info["end"] = str(history["ds"].iloc[-1])
    frequency = _frequency(task, history)
    if n < MIN_OBSERVATIONS or frequency is None:
        why = f"needs at least {MIN_OBSERVATIONS} values with distinct dates to forecast, has {n}"
        return SeriesOutcome(SeriesResult(method="skipped", reason=why, **info), None)
    info["frequency"] = frequency
    dates = future_dates(history["ds"].iloc[-1], frequency, params.horizon)
    m = season_length(frequency)
    params = without_impossible_seasonality(frequency, params)
    if params.model != "prophet":
        return _selected(task, history, dates, m, params, info)

    timings = {"fit": 0.0, "predict": 0.0}
    fallbacks: list[str] = []  # the native solver's, main fit then backtest refit
    frame: pd.DataFrame | None = None
    reason: str | None = None
    fitted: dict[str, Any] | None = None
    warm = False
    if n < MIN_PROPHET_OBSERVATIONS:
        reason = f"too short for Prophet: {n} values, needs {MIN_PROPHET_OBSERVATIONS}"
    else:
        try:
            frame, fitted, warm = _prophet(history, dates, params, task, timings, fallbacks)
        except Exception as exc:  # any Prophet/Stan failure is this series' problem only
            reason = f"Prophet failed: {_describe(exc)}"
    if frame is None:
        started = time.perf_counter()
        fb = fallback_forecast(
            history["y"].to_numpy(), m, len(dates), params.interval_width, _intervals(params)
        )
        frame = pd.DataFrame(dict(zip(FRAME_COLUMNS, (dates, *_bounds(fb)), strict=True)))
        timings["fit"] = time.perf_counter() - started
        method = fb.method
    else:
        method = "prophet"
    info["model"] = method

    started = time.perf_counter()
    ds, y = history["ds"].to_numpy(), history["y"].to_numpy()
    kept = reusable_backtest(task.previous, ds, y, frequency, params.horizon)
    backtest: Backtest | None
    if method == "prophet" and kept is not None:
        backtest, age = kept
        note = None
        backtest_observations = n - age
    else:
        backtest, note = _backtest(history, params, m, method, fitted, frame, fallbacks)
        age, backtest_observations = None, n
    result = SeriesResult(
        method=method,
        reason=reason,
        fit_seconds=timings["fit"],
        predict_seconds=timings["predict"],
        backtest_seconds=time.perf_counter() - started,
        backtest=backtest,
        backtest_note=note,
        backtest_age=age,
        warm_start=warm,
        engine_fallback="; ".join(fallbacks) or None,
        **info,
    )
    carry = None
    if fitted is not None:
        carry = Carried(
            fitted,
            n,
            history_digest(ds, y),
            frequency,
            backtest,
            backtest_observations if backtest is not None else None,
        )
    return SeriesOutcome(result, postprocess(frame, params), carry)


def _selected(
    task: SeriesTask,
    history: pd.DataFrame,
    dates: pd.DatetimeIndex,
    m: int,
    params: Params,
    info: dict[str, Any],
) -> SeriesOutcome:
    """``model`` other than prophet: the candidates' backtest decides (see selection)."""
    previous = task.previous.init if task.previous is not None else None
    with seeded(task.series_id):
        chosen = select(history, dates, m, params, previous)
    frame = pd.DataFrame(
        dict(
            zip(FRAME_COLUMNS, (dates, chosen.prediction, chosen.lower, chosen.upper), strict=True)
        )
    )
    result = SeriesResult(
        method=chosen.model,
        model=chosen.model,
        reason=chosen.reason,
        choice=chosen.choice,
        candidates=chosen.scores,
        interval_multiplier=chosen.multiplier,
        fit_seconds=chosen.seconds.get("fit", 0.0),
        backtest_seconds=chosen.seconds.get("backtest", 0.0),
        backtest=chosen.backtest,
        backtest_note=chosen.backtest_note,
        warm_start=False,
        **info,
    )
    carry = None
    if chosen.init is not None:
        seen = chosen.init_observations
        ds, y = history["ds"].to_numpy()[:seen], history["y"].to_numpy()[:seen]
        carry = Carried(chosen.init, seen, history_digest(ds, y), info["frequency"])
    return SeriesOutcome(result, postprocess(frame, params), carry)


def postprocess(frame: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Clip at zero (``non_negative``) and round to integers (``integer``), bounds included."""
    values = ["prediction", "prediction_lower", "prediction_upper"]
    if params.non_negative:
        frame[values] = frame[values].clip(lower=0)
    if params.integer:
        frame[values] = np.rint(frame[values])
    return frame


def _frequency(task: SeriesTask, history: pd.DataFrame) -> str | None:
    if task.frequency:
        return frequencies.canonical(task.frequency)
    return frequencies.infer_one(history["ds"])


def _prophet(
    history: pd.DataFrame,
    dates: pd.DatetimeIndex,
    params: Params,
    task: SeriesTask,
    timings: dict[str, float],
    fallbacks: list[str],
) -> tuple[pd.DataFrame, dict[str, Any], bool]:
    """The forecast, the fitted parameters (a warm start for the backtest refit and the
    next upload) and whether the fit started from the previous upload's parameters.
    Appends to ``fallbacks`` why cmdstan fitted it, if the native solver did not."""
    started = time.perf_counter()
    init = task.previous.init if task.previous is not None else None
    model, warm = _fit_from(history, params, init)
    if (why := engine_fallback(model)) is not None:
        fallbacks.append(why)
    fitted = time.perf_counter()
    with seeded(task.series_id):
        frame = predict_prophet(model, dates, params)
    timings["fit"] = fitted - started
    timings["predict"] = time.perf_counter() - fitted
    if not np.isfinite(frame["prediction"].to_numpy()).all():
        raise ValueError("the forecast holds non-finite values")
    return frame, warm_start_init(model), warm


def _fit_from(
    history: pd.DataFrame, params: Params, init: Mapping[str, Any] | None, **options: Any
) -> tuple[Any, bool]:
    """Fit starting from ``init`` when it fits the model, else cold; and whether it started warm.

    A start of another shape (automatic seasonality switched on or off
    between two uploads, or between a fit and its backtest) is a cold fit,
    and so is a start the optimiser fails from: never a failure.
    """
    if init is not None:
        try:
            model = fit_prophet(history, params, init=init, **options)
            return model, started_warm(model)
        except Exception:
            log.debug("warm start refused; fitting cold")
    return fit_prophet(history, params, **options), False


def _backtest(
    history: pd.DataFrame,
    params: Params,
    m: int,
    method: str,
    fitted: dict[str, Any] | None = None,
    forecast: pd.DataFrame | None = None,
    fallbacks: list[str] | None = None,
) -> tuple[Backtest | None, str | None]:
    """Refit on all but the last horizon and score the held-out values.

    Coverage reuses the forecast's interval: its offsets from the prediction
    at each step ahead, placed around the backtest's predictions. Sampling
    intervals in the refit itself would double its cost.
    """
    holdout = params.horizon
    needed = MIN_PROPHET_OBSERVATIONS if method == "prophet" else MIN_OBSERVATIONS
    if len(history) < holdout + needed:
        return None, (
            f"too short for a holdout of {holdout}: {len(history)} values, needs {holdout + needed}"
        )
    train = history.iloc[:-holdout]
    values = history["y"].to_numpy()
    train_y, actual = values[:-holdout], values[-holdout:]
    if method == "prophet":
        try:
            # Point forecasts only: the metrics don't use intervals, and
            # skipping the sampling halves the cost of the refit.
            model = _refit(train, params, fitted)
            if fallbacks is not None and (why := engine_fallback(model)) is not None:
                fallbacks.append(f"backtest refit: {why}")
            held_out = history["ds"].to_numpy(dtype="datetime64[ns]")[-holdout:]
            predicted = predict_point(model, held_out, params)
        except Exception as exc:  # the forecast stands; only its backtest is missing
            return None, f"backtest refit failed: {_describe(exc)}"
    else:
        fb = fallback_forecast(train_y, m, holdout, params.interval_width, intervals=False)
        predicted = fb.prediction
    predicted = _clipped_rounded(np.asarray(predicted, dtype="float64"), params)
    return score(train_y, actual, predicted, m, _interval_around(predicted, forecast)), None


def _clipped_rounded(values: np.ndarray, params: Params) -> np.ndarray:
    """:func:`postprocess` on one array of values (a backtest's point forecast)."""
    if params.non_negative:
        values = np.clip(values, 0, None)
    if params.integer:
        values = np.rint(values)
    return values


def _interval_around(
    predicted: np.ndarray, forecast: pd.DataFrame | None
) -> tuple[np.ndarray, np.ndarray] | None:
    if forecast is None or len(forecast) < len(predicted):
        return None
    steps = forecast.iloc[: len(predicted)]
    lower = steps["prediction_lower"].to_numpy(dtype="float64")
    upper = steps["prediction_upper"].to_numpy(dtype="float64")
    if np.isnan(lower).any() or np.isnan(upper).any():
        return None
    centre = steps["prediction"].to_numpy(dtype="float64")
    return predicted + (lower - centre), predicted + (upper - centre)


def _refit(train: pd.DataFrame, params: Params, fitted: dict[str, Any] | None) -> Any:
    """The backtest's fit, started from the full fit's parameters when that is safe.

    The optimum moves little when the last horizon is held out, so starting
    there saves most of the optimiser's iterations (benchmark B1). Only for
    histories long enough for L-BFGS, though: below that Prophet optimises
    with Newton, which from the full fit's optimum can crawl for minutes to
    a far worse one (see candidates.WARM_START_MIN_VALUES); those start
    cold, as Prophet would. Shapes differ when automatic seasonality
    switches with the shorter history: then Stan refuses the start and the
    refit starts cold.
    """
    start = fitted if len(train) >= WARM_START_MIN_VALUES else None
    return _fit_from(train, params, start, uncertainty_samples=0)[0]


def _bounds(fb: Fallback) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return fb.prediction, fb.lower, fb.upper


def _intervals(params: Params) -> bool:
    return params.uncertainty_samples > 0


def _describe(exc: BaseException) -> str:
    first_line = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first_line[:200]}"
