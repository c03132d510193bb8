"""The forecast engine's public entry point: a canonical table in, forecasts out.

Used by the service's handler and by ``dropcast forecast`` alike, so both
produce the same numbers. Pure: no network, no files outside the workers'
scratch space.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dropcast_common import frequency as frequencies
from dropcast_common.errors import InputError
from dropcast_common.params import Params
from dropcast_common.table import is_ordered
from dropcast_forecasting.explain import components_wanted
from dropcast_forecasting.model import check_holidays_country
from dropcast_forecasting.pool import parallel
from dropcast_forecasting.pool.cpus import available_cpus
from dropcast_forecasting.results import SeriesResult
from dropcast_forecasting.selection import takes_regressors
from dropcast_forecasting.series import FRAME_COLUMNS, SeriesOutcome, SeriesTask
from dropcast_forecasting.warmstart import Carried

log = logging.getLogger("dropcast.forecast.engine")

# ``model`` says which model each row comes from (multi-series CSVs show it).
FORECAST_COLUMNS = ["series_id", *FRAME_COLUMNS, "model"]
VALUE_COLUMNS = FRAME_COLUMNS[1:]


@dataclass
class ForecastRun:
    """The forecasts of a batch of series and what happened to each."""

    forecast: pd.DataFrame  # FORECAST_COLUMNS, sorted by series_id, date
    series: list[SeriesResult]
    timings: dict[str, float] = field(default_factory=dict)
    # What each Prophet series carries to the next upload (see warmstart).
    carried: dict[str, Carried] = field(default_factory=dict)
    # series_id first, then explain's columns; None unless asked for (components, anomalies).
    components: pd.DataFrame | None = None
    anomalies: pd.DataFrame | None = None

    def counts(self) -> dict[str, int]:
        """Series per method: prophet, ets, theta, seasonal_naive, ..., mean, skipped."""
        out: dict[str, int] = {}
        for result in self.series:
            out[result.method] = out.get(result.method, 0) + 1
        return out


def check_params(params: Params) -> None:
    """Raise InputError for model parameters that can only be checked here (not in Params)."""
    if params.frequency:
        frequencies.canonical(params.frequency)
    if params.holidays_country:
        check_holidays_country(params.holidays_country)
    if params.regressors and params.model != "auto" and not takes_regressors(params.model, params):
        raise InputError(
            "model_takes_no_regressors",
            f"model={params.model} can't forecast with the regressors "
            f"{', '.join(params.regressors)} (regressor_mode={params.regressor_mode})",
            "Use model=auto or model=prophet with regressors (model=arima for additive "
            "ones), or leave regressors out to use this model.",
            {"parameter": "model", "value": params.model},
        )
    params.holiday_rows()  # a table still named, not read, is refused before any fit


def run_forecast(
    canonical: pd.DataFrame,
    params: Params,
    *,
    workers: int | None = None,
    frequencies: Mapping[str, str | None] | None = None,
    previous: Mapping[str, Carried] | None = None,
) -> ForecastRun:
    """Forecast every series of a canonical table (series_id, ds, y).

    ``workers`` defaults to the CPUs the container may use. ``frequencies``
    are per-series frequencies ingest recorded (``params.frequency``
    overrides them; missing ones are inferred). ``previous`` is what the
    last upload of the same object left per series id (warm starts, kept
    backtests: see :mod:`dropcast_forecasting.warmstart`).
    Raises InputError for parameters the data can't honour; a bad series
    never raises, it falls back or is skipped with the reason in its result.
    """
    started = time.perf_counter()
    check_params(params)
    tasks = build_tasks(canonical, params, frequencies or {}, previous or {})
    pool_size = max(1, workers if workers is not None else available_cpus())
    count = max(1, min(pool_size, len(tasks)))  # workers this batch can keep busy
    outcomes = parallel.map_series(tasks, params, pool_size)

    forecast = _combine([o for o in outcomes if o.forecast is not None], params)
    results = [outcome.result for outcome in outcomes]
    carried = {o.result.series_id: o.carry for o in outcomes if o.carry is not None}
    wall = time.perf_counter() - started
    timings = {
        "forecast_seconds": wall,
        "fit_seconds": sum(r.fit_seconds for r in results),
        "predict_seconds": sum(r.predict_seconds for r in results),
        "backtest_seconds": sum(r.backtest_seconds for r in results),
        "workers": float(count),
    }
    # Memory per worker (acceptance of issue 18): the largest warm worker's peak.
    peaks = parallel.worker_peak_rss_mib()
    if peaks:
        timings["worker_peak_rss_mib"] = max(peaks.values())
    run = ForecastRun(forecast, results, timings, carried)
    if components_wanted(params):
        run.components = _stack([(o.result.series_id, o.components) for o in outcomes])
    if params.anomalies != "off":
        run.anomalies = _stack([(o.result.series_id, o.anomalies) for o in outcomes])
    counts = run.counts()
    log.info(
        "forecast %d series on %d worker(s) in %.2fs: %d prophet, %d other, %d skipped",
        len(results),
        count,
        wall,
        counts.get("prophet", 0),
        len(results) - counts.get("prophet", 0) - counts.get("skipped", 0),
        counts.get("skipped", 0),
        extra={"series": len(results), "workers": count, "methods": counts},
    )
    return run


def build_tasks(
    canonical: pd.DataFrame,
    params: Params,
    frequencies: Mapping[str, str | None],
    previous: Mapping[str, Carried],
) -> list[SeriesTask]:
    """One task per series, in series_id order; compact numpy arrays, cheap to send to a worker."""
    names = list(params.regressors or ())
    return [
        SeriesTask(
            series_id=sid,
            ds=ds,
            y=y,
            frequency=params.frequency or _valid_frequency(frequencies.get(sid)),
            previous=previous.get(sid),
            regressors=regressors,
        )
        for sid, ds, y, regressors in _series_arrays(canonical, names)
    ]


SeriesArrays = tuple[str, np.ndarray, np.ndarray, np.ndarray | None]


def _series_arrays(canonical: pd.DataFrame, names: list[str]) -> list[SeriesArrays]:
    """Each series' id, dates, values and regressors, by series_id, each by date.

    A canonical table comes sorted (ingest and normalise sort it): its
    columns then become arrays once and each series is a slice of them,
    instead of a frame per series (a fifth of a millisecond each, 0.05 CPU-s
    for B1's 200 series). Any other table is grouped and sorted here.
    """
    ids = canonical["series_id"]
    codes, uniques = pd.factorize(ids)
    if len(codes) and codes.min() >= 0 and is_ordered(canonical):
        # Copies: a task owns its arrays (an in-process fit must not write into the table).
        ds = canonical["ds"].to_numpy(dtype="datetime64[ns]", copy=True)
        y = canonical["y"].to_numpy(dtype="float64", na_value=np.nan, copy=True)
        extra = canonical[names].to_numpy(dtype="float64", copy=True) if names else None
        starts = [0, *(np.flatnonzero(np.diff(codes)) + 1).tolist(), len(codes)]
        return [
            (
                str(sid),
                ds[low:high],
                y[low:high],
                None if extra is None else extra[low:high],
            )
            for sid, low, high in zip(uniques, starts[:-1], starts[1:], strict=True)
        ]
    out: list[SeriesArrays] = []
    for series_id, group in canonical.groupby("series_id", sort=True):
        ordered = group if group["ds"].is_monotonic_increasing else group.sort_values("ds")
        out.append(
            (
                str(series_id),
                ordered["ds"].to_numpy(dtype="datetime64[ns]"),
                ordered["y"].to_numpy(dtype="float64", na_value=np.nan),
                ordered[names].to_numpy(dtype="float64") if names else None,
            )
        )
    return out


def _valid_frequency(freq: str | None) -> str | None:
    """A frequency ingest recorded, or None (infer it) when it isn't one we can use."""
    if not freq:
        return None
    try:
        return frequencies.canonical(freq)
    except InputError:
        log.warning("ignoring unusable recorded frequency %r; inferring it", freq)
        return None


def _stack(parts: list[tuple[str, Mapping[str, np.ndarray] | pd.DataFrame | None]]) -> pd.DataFrame:
    """Per-series frames as one, ``series_id`` first; series of other models add no rows
    and columns one series lacks (a seasonality it has not) are empty.

    Column by column on the arrays: a components table is a thousand rows
    per series, and a frame per series to concatenate cost a millisecond each.
    """
    present = [(sid, _columns(frame)) for sid, frame in parts if frame is not None]
    present = [(sid, frame) for sid, frame in present if _rows(frame)]
    columns: list[str] = []
    for _, frame in present:
        columns += [c for c in frame if c not in columns]
    if not present:
        return pd.DataFrame(
            {"series_id": pd.Series(dtype=str), "date": pd.Series(dtype="datetime64[ns]")}
        )
    # The ids as a categorical: a thousand repeats of each id cost a string
    # each otherwise (a tenth of a CPU-second for B1's 200 series).
    codes = np.repeat(np.arange(len(present)), [_rows(frame) for _, frame in present])
    names = [sid for sid, _ in present]
    data: dict[str, Any] = {"series_id": pd.Categorical.from_codes(codes, pd.Index(names))}
    for column in columns:
        pieces = [
            frame[column] if column in frame else np.full(_rows(frame), np.nan)
            for _, frame in present
        ]
        data[column] = np.concatenate(pieces)
    return pd.DataFrame(data)


def _columns(frame: Mapping[str, np.ndarray] | pd.DataFrame) -> dict[str, np.ndarray]:
    if isinstance(frame, pd.DataFrame):
        return {str(name): frame[name].to_numpy() for name in frame.columns}
    return dict(frame)


def _rows(columns: Mapping[str, np.ndarray]) -> int:
    return len(next(iter(columns.values()))) if columns else 0


def _combine(outcomes: list[SeriesOutcome], params: Params) -> pd.DataFrame:
    """One frame of every series' forecast rows, column by column.

    Concatenating the columns' arrays once costs a tenth of giving each of
    a few hundred frames its id and model columns and concatenating frames.
    """
    if not outcomes:
        empty = pd.DataFrame({name: pd.Series(dtype="float64") for name in FORECAST_COLUMNS})
        empty["series_id"] = empty["series_id"].astype(str)
        empty["model"] = empty["model"].astype(str)
        empty["date"] = pd.Series(dtype="datetime64[ns]")
        return empty
    frames = [o.forecast for o in outcomes if o.forecast is not None]
    lengths = [len(frame["date"]) for frame in frames]
    columns: dict[str, object] = {
        "series_id": np.repeat([o.result.series_id for o in outcomes], lengths)
    }
    for name in FRAME_COLUMNS:
        columns[name] = np.concatenate([frame[name] for frame in frames])
    columns["model"] = np.repeat([o.result.method for o in outcomes], lengths)
    forecast = pd.DataFrame(columns)[FORECAST_COLUMNS]
    if params.integer:
        # Nullable integers print as 12, not 12.0, and keep missing bounds empty.
        forecast[VALUE_COLUMNS] = forecast[VALUE_COLUMNS].astype("Int64")
    return forecast
