"""Fit Prophet to each series of a canonical table and predict the horizon.

Pure: frames in, frames out, no network. The default model is the original
project's (Prophet with its defaults, horizon 28), so hyndsight reproduces
its published forecast.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd

from dropcast_common.params import Params

log = logging.getLogger("dropcast.forecast.model")

FORECAST_COLUMNS = ["series_id", "date", "prediction", "prediction_lower", "prediction_upper"]


@dataclass
class SeriesForecast:
    """The forecast of one series."""

    series_id: str
    frame: pd.DataFrame  # columns: date, prediction, prediction_lower, prediction_upper


def infer_frequency(ds: pd.Series) -> str:
    """The series' pandas frequency alias; daily when it can't be told."""
    values = pd.DatetimeIndex(ds.sort_values().unique())
    if len(values) >= 3:
        with pd.option_context("future.infer_freq_returns_offset", True):
            offset = pd.infer_freq(values)
        if offset is not None:
            return str(offset.freqstr)
    return "D"


def fit_predict(history: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Fit one series (columns ds, y) and predict ``params.horizon`` periods past its end."""
    from prophet import Prophet

    model = Prophet(
        growth=params.growth,
        interval_width=params.interval_width,
        uncertainty_samples=params.uncertainty_samples,
        seasonality_mode=params.seasonality_mode,
        yearly_seasonality=params.yearly_seasonality,
        weekly_seasonality=params.weekly_seasonality,
        daily_seasonality=params.daily_seasonality,
        changepoint_prior_scale=params.changepoint_prior_scale,
        seasonality_prior_scale=params.seasonality_prior_scale,
    )
    model.fit(history[["ds", "y"]])
    freq = params.frequency or infer_frequency(history["ds"])
    future = model.make_future_dataframe(periods=params.horizon, freq=freq, include_history=False)
    predicted = model.predict(future)
    return pd.DataFrame(
        {
            "date": predicted["ds"],
            "prediction": predicted["yhat"],
            "prediction_lower": predicted["yhat_lower"],
            "prediction_upper": predicted["yhat_upper"],
        }
    )


def forecast_table(canonical: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Forecast every series of a canonical table; columns FORECAST_COLUMNS."""
    parts = []
    for series_id, history in canonical.groupby("series_id", sort=True):
        predicted = fit_predict(history, params)
        predicted.insert(0, "series_id", str(series_id))
        parts.append(predicted)
    return pd.concat(parts, ignore_index=True)[FORECAST_COLUMNS]
