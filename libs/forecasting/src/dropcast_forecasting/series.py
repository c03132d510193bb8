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
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from dropcast_common import frequency as frequencies
from dropcast_common.holidays import for_series
from dropcast_common.params import Params
from dropcast_forecasting.backtest import score
from dropcast_forecasting.calendar import (
    future_dates,
    inferred_frequency,
    season_length,
    without_impossible_seasonality,
)
from dropcast_forecasting.candidates import WARM_START_MIN_VALUES, backtest_fit
from dropcast_forecasting.explain import (
    Explanation,
    explain_prophet,
    explain_statistical,
    no_explanation,
    wanted,
)
from dropcast_forecasting.fallback import Fallback, fallback_forecast
from dropcast_forecasting.model import (
    History,
    engine_fallback,
    fit_prophet,
    global_seed,
    predict_columns,
    predict_point,
    started_warm,
    warm_start_init,
)
from dropcast_forecasting.regressors import effects
from dropcast_forecasting.results import Backtest, RegressorEffect, SeriesResult
from dropcast_forecasting.selection import select
from dropcast_forecasting.warmstart import (
    Carried,
    history_digest,
    reusable_backtest,
    reusable_choice,
)

log = logging.getLogger("dropcast.forecast.series")

# Fewer values than this and there is nothing to forecast from.
MIN_OBSERVATIONS = 2
# Below this Prophet's trend and seasonality are not identifiable and its
# forecasts swing wildly; a seasonal naive or mean forecast is more honest.
MIN_PROPHET_OBSERVATIONS = 10
FRAME_COLUMNS = ["date", "prediction", "prediction_lower", "prediction_upper"]
_VALUE_COLUMNS = FRAME_COLUMNS[1:]
# One series' forecast: an array per FRAME_COLUMNS name (datetime64[ns] dates, float values).
Forecast = dict[str, np.ndarray]


@dataclass(frozen=True)
class SeriesTask:
    """One series to forecast: what a worker receives (small, cheap to pickle)."""

    series_id: str
    ds: np.ndarray  # datetime64[ns], ascending
    y: np.ndarray  # float64, NaN for a missing value
    frequency: str | None = None  # None: inferred from ds
    previous: Carried | None = None  # what the last upload of the same object left (warm start)
    # (rows, len(params.regressors)) beside ds: the external regressors, whose rows
    # past the last value of y are their future values (and set the horizon).
    regressors: np.ndarray | None = None


@dataclass
class SeriesOutcome:
    """The forecast (an array per FRAME_COLUMNS name; None when skipped) and its result record.

    Arrays, not a frame: the engine concatenates every series' columns
    anyway, and a frame per series cost more than its native fit.
    """

    result: SeriesResult
    forecast: Forecast | None
    carry: Carried | None = None  # for the next upload (Prophet series only)
    components: dict[str, np.ndarray] | None = None  # explain.Explanation.components
    anomalies: pd.DataFrame | None = None  # explain.ANOMALY_COLUMNS (anomalies on)


def series_seed(series_id: str) -> int:
    """A stable 32-bit seed from the series id (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.sha256(series_id.encode()).digest()[:4], "big")


def seeded(series_id: str) -> AbstractContextManager[None]:
    """Seed numpy's global RNG from the series id (Prophet samples from it), then restore it."""
    return global_seed(series_seed(series_id))


def forecast_series(task: SeriesTask, params: Params) -> SeriesOutcome:
    """Forecast ``task`` with ``params``; never raises for a bad series.

    Custom holidays narrow to the series' own rows first. With
    ``anomalies=exclude`` the anomalies of a first fit are set to missing
    (Prophet and the candidates fit around gaps) and the series is
    forecast again; the anomalies listed are the first fit's.
    """
    params, own = _own_holidays(task.series_id, params)
    outcome = _forecast_series(task, params)
    flagged = outcome.anomalies
    if params.anomalies == "exclude" and flagged is not None and len(flagged):
        y = task.y.copy()
        y[np.isin(task.ds, flagged["date"].to_numpy(dtype="datetime64[ns]"))] = np.nan
        outcome = _forecast_series(replace(task, y=y), params)
        outcome.anomalies = flagged
        update: dict[str, Any] = {"anomalies": len(flagged), "anomalies_excluded": len(flagged)}
        outcome.result = outcome.result.model_copy(update=update)
    if own:
        notes = list(outcome.result.notes)
        if params.model == "auto":
            notes.append(
                f"custom holidays ({own} rows): only Prophet was a candidate, the one model "
                "here that takes a holidays table"
            )
        outcome.result = outcome.result.model_copy(update={"holidays": own, "notes": notes})
    return outcome


def _own_holidays(series_id: str, params: Params) -> tuple[Params, int]:
    """``params`` with only the custom holidays that apply to ``series_id``, and how many."""
    rows = params.holiday_rows()
    if not rows:
        return params, 0
    own = for_series(rows, series_id)
    return params.model_copy(update={"holidays": own or None}), len(own)


def _forecast_series(task: SeriesTask, params: Params) -> SeriesOutcome:
    keep = ~np.isnan(task.y)
    history = History(task.ds[keep], task.y[keep])
    future: np.ndarray | None = None
    if task.regressors is not None and params.regressors:
        history, future, params = _with_regressors(task, keep, params)
    n = len(history)
    info: dict[str, Any] = {"series_id": task.series_id, "observations": n}
    if n:
        info["start"] = str(pd.Timestamp(history.ds[0]))
        info["end"] = str(pd.Timestamp(history.ds[-1]))
    frequency = _frequency(task, history.ds)
    if n < MIN_OBSERVATIONS or frequency is None or (future is not None and not len(future)):
        why = f"needs at least {MIN_OBSERVATIONS} values with distinct dates to forecast, has {n}"
        if future is not None and not len(future):
            why = "has no future rows with the regressors' values to forecast with"
        return SeriesOutcome(SeriesResult(method="skipped", reason=why, **info), None)
    info["frequency"] = frequency
    if future is not None:
        dates = pd.DatetimeIndex(task.ds[len(task.ds) - len(future) :])
    else:
        dates = future_dates(pd.Timestamp(history.ds[-1]), frequency, params.horizon)
    m = season_length(frequency)
    params = without_impossible_seasonality(frequency, params)
    if params.model != "prophet":
        return _selected(task, history, dates, m, params, info, future)

    timings = {"fit": 0.0, "predict": 0.0}
    fallbacks: list[str] = []  # the native solver's, main fit then backtest refit
    frame: Forecast | None = None
    reason: str | None = None
    fitted: dict[str, Any] | None = None
    prophet: Any = None
    warm = False
    found: list[RegressorEffect] = []
    if n < MIN_PROPHET_OBSERVATIONS:
        reason = f"too short for Prophet: {n} values, needs {MIN_PROPHET_OBSERVATIONS}"
    else:
        try:
            frame, prophet, warm, found = _prophet(
                history, dates, params, task, timings, fallbacks, future
            )
            fitted = warm_start_init(prophet)
        except Exception as exc:  # any Prophet/Stan failure is this series' problem only
            reason = f"Prophet failed: {_describe(exc)}"
    if reason and params.regressors:
        reason += "; its fallback forecast takes no regressors"
    if frame is None:
        started = time.perf_counter()
        fb = fallback_forecast(history.y, m, len(dates), params.interval_width, _intervals(params))
        frame = _columns(dates, *_bounds(fb))
        timings["fit"] = time.perf_counter() - started
        method = fb.method
    else:
        method = "prophet"
    info["model"] = method

    started = time.perf_counter()
    ds, y = history.ds, history.y
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
        regressors=found,
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
    explained = _explain(task, dates, m, params, method, prophet)
    return _with_explanation(SeriesOutcome(result, postprocess(frame, params), carry), explained)


def _selected(
    task: SeriesTask,
    history: History,
    dates: pd.DatetimeIndex,
    m: int,
    params: Params,
    info: dict[str, Any],
    future: np.ndarray | None = None,
) -> SeriesOutcome:
    """``model`` other than prophet: the candidates' backtest decides (see selection).

    An earlier upload's choice is kept while the series only grew a little
    (warmstart.reusable_choice), as a Prophet backtest is.
    """
    carried = task.previous
    ds, y = history.ds, history.y
    kept = reusable_choice(carried, ds, y, info["frequency"], params.horizon)
    with seeded(task.series_id):
        chosen = select(
            history.frame,
            dates,
            m,
            params,
            carried.init if carried is not None else None,
            future,
            kept,
            carried.observations if carried is not None else 0,
        )
    frame = _columns(dates, chosen.prediction, chosen.lower, chosen.upper)
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
        backtest_age=chosen.backtest_age,
        warm_start=False,
        regressors=chosen.effects,
        **info,
    )
    carry = None
    if chosen.init is not None or chosen.kept is not None:
        seen = chosen.init_observations if chosen.init is not None else len(history)
        digest = history_digest(ds[:seen], y[:seen])
        carry = Carried(chosen.init, seen, digest, info["frequency"], choice=chosen.kept)
    explained = _explain(task, dates, m, params, chosen.model, chosen.fitted)
    return _with_explanation(SeriesOutcome(result, postprocess(frame, params), carry), explained)


def _explain(
    task: SeriesTask,
    dates: pd.DatetimeIndex,
    m: int,
    params: Params,
    method: str,
    fitted: Any,
) -> Explanation | None:
    """Components and anomalies of the model the forecast came from, when asked for."""
    if not wanted(params):
        return None
    if fitted is None:
        return no_explanation(method, params)
    ds, y, regressors = _explained_history(task, len(dates), params)
    if method == "prophet":
        future = np.asarray(dates, dtype="datetime64[ns]")
        return explain_prophet(fitted, ds, y, future, params, regressors)
    return explain_statistical(method, fitted, ds, y, m, params)


def _explained_history(
    task: SeriesTask, horizon: int, params: Params
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The history's dates and values, and the regressors' values over history and horizon.

    With regressors the task's arrays run on past the last target value
    (the future rows that carry the regressors' values): those rows are the
    horizon, not history.
    """
    if task.regressors is None or not params.regressors:
        return task.ds, task.y, None
    observed = np.flatnonzero(~np.isnan(task.y))
    end = int(observed[-1]) + 1 if len(observed) else len(task.y)
    values = np.asarray(task.regressors, dtype="float64").reshape(len(task.ds), -1)
    return task.ds[:end], task.y[:end], values[: end + horizon]


def _with_explanation(outcome: SeriesOutcome, explained: Explanation | None) -> SeriesOutcome:
    if explained is None:
        return outcome
    outcome.components = explained.components
    outcome.anomalies = explained.anomalies
    outcome.result = outcome.result.model_copy(
        update={
            "seasonal_amplitude": explained.seasonal_amplitude,
            "changepoints": explained.changepoints,
            "anomalies": None if explained.anomalies is None else len(explained.anomalies),
            "notes": [*outcome.result.notes, *explained.notes],
        }
    )
    return outcome


def _with_regressors(
    task: SeriesTask, keep: np.ndarray, params: Params
) -> tuple[History, np.ndarray, Params]:
    """The history with its regressor columns, the future regressor rows, and the params
    whose horizon is the number of those rows (ingest cut them to the horizon rule)."""
    assert task.regressors is not None
    values = np.asarray(task.regressors, dtype="float64").reshape(len(task.ds), -1)
    last = int(np.flatnonzero(keep)[-1]) if keep.any() else len(keep) - 1
    history = History(task.ds[keep], task.y[keep], values[keep], tuple(params.regressors or ()))
    future = values[last + 1 :]
    horizon = len(future) if len(future) else params.horizon
    return history, future, params.model_copy(update={"horizon": horizon})


def _columns(
    dates: pd.DatetimeIndex, prediction: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> Forecast:
    return dict(
        zip(
            FRAME_COLUMNS,
            (np.asarray(dates, dtype="datetime64[ns]"), prediction, lower, upper),
            strict=True,
        )
    )


def postprocess(forecast: Forecast, params: Params) -> Forecast:
    """Clip at zero (``non_negative``) and round to integers (``integer``), bounds included."""
    for name in _VALUE_COLUMNS:
        forecast[name] = _clipped_rounded(np.asarray(forecast[name], dtype="float64"), params)
    return forecast


def _frequency(task: SeriesTask, ds: np.ndarray) -> str | None:
    if task.frequency:
        return frequencies.canonical(task.frequency)
    return inferred_frequency(ds)


def _prophet(
    history: History,
    dates: pd.DatetimeIndex,
    params: Params,
    task: SeriesTask,
    timings: dict[str, float],
    fallbacks: list[str],
    future: np.ndarray | None = None,
) -> tuple[Forecast, Any, bool, list[RegressorEffect]]:
    """The forecast, the fitted model (its parameters warm-start the backtest refit and
    the next upload), whether the fit started from the previous upload's parameters, and
    the regressors' effects. Appends to ``fallbacks`` why cmdstan fitted it, if the
    native solver did not."""
    started = time.perf_counter()
    init = task.previous.init if task.previous is not None else None
    model, warm = _fit_from(history, params, init)
    if (why := engine_fallback(model)) is not None:
        fallbacks.append(why)
    fitted = time.perf_counter()
    frame = predict_columns(model, dates, params, future, seed=series_seed(task.series_id))
    timings["fit"] = fitted - started
    timings["predict"] = time.perf_counter() - fitted
    if not np.isfinite(frame["prediction"]).all():
        raise ValueError("the forecast holds non-finite values")
    found = effects(model, history.frame, params) if params.regressors else []
    return frame, model, warm, found


def _fit_from(
    history: History, params: Params, init: Mapping[str, Any] | None, **options: Any
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
    history: History,
    params: Params,
    m: int,
    method: str,
    fitted: dict[str, Any] | None = None,
    forecast: Forecast | None = None,
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
    train = history.rows(slice(None, -holdout))
    train_y, actual = train.y, history.y[-holdout:]
    if method == "prophet":
        try:
            # Point forecasts only: the metrics don't use intervals, and
            # skipping the sampling halves the cost of the refit.
            model = _refit(train, params, fitted)
            if fallbacks is not None and (why := engine_fallback(model)) is not None:
                fallbacks.append(f"backtest refit: {why}")
            held_out = history.rows(slice(-holdout, None))
            predicted = predict_point(model, held_out.ds, params, held_out.regressors)
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
    predicted: np.ndarray, forecast: Forecast | None
) -> tuple[np.ndarray, np.ndarray] | None:
    steps = len(predicted)
    if forecast is None or len(forecast["date"]) < steps:
        return None
    lower = np.asarray(forecast["prediction_lower"][:steps], dtype="float64")
    upper = np.asarray(forecast["prediction_upper"][:steps], dtype="float64")
    if np.isnan(lower).any() or np.isnan(upper).any():
        return None
    centre = np.asarray(forecast["prediction"][:steps], dtype="float64")
    return predicted + (lower - centre), predicted + (upper - centre)


def _refit(train: History, params: Params, fitted: dict[str, Any] | None) -> Any:
    """The backtest's fit, started from the full fit's parameters when that is safe.

    The optimum moves little when the last horizon is held out, so starting
    there saves most of the optimiser's iterations (benchmark B1). Only for
    histories long enough for L-BFGS, though: below that Prophet optimises
    with Newton, which from the full fit's optimum can crawl for minutes to
    a far worse one (see candidates.WARM_START_MIN_VALUES); those start
    cold, as Prophet would. On cmdstan it optimises as
    candidates.backtest_fit says: capped, never Newton's fallback. Shapes
    differ when automatic seasonality switches with the shorter history:
    then Stan refuses the start and the refit starts cold.
    """
    start = fitted if len(train) >= WARM_START_MIN_VALUES else None
    return _fit_from(train, params, start, uncertainty_samples=0, **backtest_fit(len(train)))[0]


def _bounds(fb: Fallback) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return fb.prediction, fb.lower, fb.upper


def _intervals(params: Params) -> bool:
    return params.uncertainty_samples > 0


def _describe(exc: BaseException) -> str:
    first_line = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first_line[:200]}"
