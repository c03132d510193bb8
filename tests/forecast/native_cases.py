"""A fixed sample of series and settings on which the native engine is compared with cmdstan.

Shared by the correctness tests and the bench's full-set comparison: each
case is a history, a frequency and the parameters that shape its model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dropcast_bench.data import series_values
from dropcast_common.params import Params
from dropcast_forecasting.calendar import future_dates
from dropcast_forecasting.model import build_prophet, fit_prophet, predict_prophet
from dropcast_forecasting.native import forecast as native
from dropcast_forecasting.native.stan import Point, StanData, log_posterior


@dataclass(frozen=True)
class Comparison:
    """One series fitted by both engines: the two optima and the two forecasts."""

    name: str
    lp_native: float
    lp_cmdstan: float
    difference: float  # mean |native - cmdstan| / mean |cmdstan| over the horizon

    @property
    def native_better(self) -> bool:
        """Whether the native optimum has the higher log posterior (beyond rounding)."""
        return self.lp_native > self.lp_cmdstan + 1e-6 * abs(self.lp_cmdstan)


def cmdstan_fit(history: pd.DataFrame, params: Params) -> tuple[Any, StanData]:
    """Prophet fitted by cmdstan, and the Stan data it handed cmdstan."""
    model = build_prophet(params.model_copy(update={"engine": "cmdstan"}))
    seen: list[dict[str, Any]] = []
    fit = model.stan_backend.fit

    def record(init: dict[str, Any], data: dict[str, Any], **kwargs: Any) -> Any:
        seen.append(data)
        return fit(init, data, **kwargs)

    model.stan_backend.fit = record
    model.fit(history[["ds", "y"]].copy())
    return model, StanData.from_prophet(seen[0])


def compare(name: str, history: pd.DataFrame, frequency: str, params: Params) -> Comparison:
    """Fit ``history`` with both engines and compare optima and forecasts."""
    model, data = cmdstan_fit(history, params)
    mine = fit_prophet(history, params)
    assert isinstance(mine, native.NativeFit)
    dates = future_dates(history["ds"].iloc[-1], frequency, params.horizon)
    theirs = predict_prophet(model, dates, params)["prediction"].to_numpy()
    ours = predict_prophet(mine, dates, params)["prediction"].to_numpy()
    lp_native = log_posterior(data, Point.from_mapping(mine.params))
    lp_cmdstan = log_posterior(data, Point.from_mapping(model.params))
    difference = float(np.mean(np.abs(ours - theirs)) / np.mean(np.abs(theirs)))
    return Comparison(name, lp_native, lp_cmdstan, difference)


def frame(ds: pd.DatetimeIndex, y: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"ds": ds.as_unit("ns"), "y": np.asarray(y, dtype="float64")})


def sample() -> list[tuple[str, pd.DataFrame, str, Params]]:
    """The fixed sample: B1's kind of series, short monthly and weekly ones, hourly, settings."""
    quiet = Params(uncertainty_samples=0)
    cases: list[tuple[str, pd.DataFrame, str, Params]] = []
    daily = pd.date_range("2021-01-01", periods=3 * 365, freq="D")
    for i, values in enumerate(series_values(6, 3 * 365, seed=1)):
        cases.append((f"b1-{i}", frame(daily, values), "D", quiet))
    rng = np.random.default_rng(7)
    months = pd.date_range("2012-01-01", periods=72, freq="MS")
    t = np.arange(72)
    monthly = 200 + 1.5 * t + 25 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 6, 72)
    cases.append(
        ("monthly-72", frame(months, monthly), "MS", quiet.model_copy(update={"horizon": 12}))
    )
    weeks = pd.date_range("2020-01-05", periods=160, freq="W-SUN")
    weekly = 50 + 0.1 * np.arange(160) + 5 * np.sin(2 * np.pi * np.arange(160) / 52.18)
    weekly = weekly + rng.normal(0, 1, 160)
    cases.append(
        ("weekly-160", frame(weeks, weekly), "W-SUN", quiet.model_copy(update={"horizon": 8}))
    )
    hours = pd.date_range("2024-03-01", periods=24 * 21, freq="h")
    hourly = (
        10 + 3 * np.sin(2 * np.pi * np.arange(len(hours)) / 24) + rng.normal(0, 0.5, len(hours))
    )
    cases.append(
        ("hourly-21d", frame(hours, hourly), "h", quiet.model_copy(update={"horizon": 48}))
    )
    b1 = frame(daily, series_values(1, 3 * 365, seed=11)[0])
    cases.append(("flat", b1, "D", quiet.model_copy(update={"growth": "flat"})))
    cases.append(
        ("multiplicative", b1, "D", quiet.model_copy(update={"seasonality_mode": "multiplicative"}))
    )
    cases.append(("flexible", b1, "D", quiet.model_copy(update={"changepoint_prior_scale": 0.5})))
    return cases
