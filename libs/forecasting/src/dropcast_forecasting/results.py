"""What happened to each series: the records the report and the shard parts carry.

Plain pydantic models, so a forecast shard can stage its results as JSON
and the shard that assembles the job can merge them into one report.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Method = Literal[
    "prophet", "ets", "theta", "arima", "mstl", "seasonal_naive", "combination", "mean", "skipped"
]


class Backtest(BaseModel):
    """Accuracy on a holdout of the last ``holdout`` observations, refitted without them."""

    model_config = ConfigDict(frozen=True)

    holdout: int = Field(description="Observations held out (one horizon).")
    mae: float = Field(description="Mean absolute error.")
    smape: float = Field(description="Symmetric MAPE in percent (0 to 200).")
    mase: float | None = Field(
        description="MAE scaled by the in-sample MAE of the seasonal naive method "
        "(below 1 beats it); None when that scale is zero."
    )
    naive_mae: float = Field(
        description="MAE of the seasonal naive forecast of the same holdout, for comparison."
    )
    season_length: int = Field(description="Lag of the seasonal naive method.")
    coverage: float | None = Field(
        None,
        description="Share of the held-out values inside the forecast's interval, its width "
        "at each step ahead placed around the backtest's prediction; None without intervals.",
    )


class CandidateScore(BaseModel):
    """One candidate's rolling-origin backtest: means over the windows."""

    model_config = ConfigDict(frozen=True)

    model: str
    windows: int = Field(0, description="Backtest windows scored (0: the candidate failed).")
    mae: float | None = None
    smape: float | None = Field(None, description="Symmetric MAPE in percent (0 to 200).")
    mase: float | None = Field(None, description="MAE over the seasonal naive scale.")
    coverage: float | None = Field(
        None,
        description="Share of held-out values inside the calibrated interval, each window "
        "calibrated on the others (None with one window).",
    )
    note: str | None = Field(None, description="Why the candidate has no scores.")


class SeriesResult(BaseModel):
    """How one series was forecast, how long it took and how accurate it was."""

    model_config = ConfigDict(frozen=True)

    series_id: str
    method: Method
    reason: str | None = Field(None, description="Why a fallback was used or the series skipped.")
    frequency: str | None = None
    observations: int = 0
    start: str | None = None
    end: str | None = None
    fit_seconds: float = 0.0
    predict_seconds: float = 0.0
    backtest_seconds: float = 0.0
    backtest: Backtest | None = None
    backtest_note: str | None = Field(None, description="Why there is no backtest.")
    backtest_age: int | None = Field(
        None,
        description="Set when the backtest is kept from an earlier upload of the same object: "
        "the values the series gained since (fewer than a quarter of the horizon).",
    )
    warm_start: bool = Field(
        False, description="The fit started from the previous upload's fitted parameters."
    )
    model: str | None = Field(
        None, description="The model the forecast comes from (= method unless skipped)."
    )
    choice: str | None = Field(None, description="Why this model was chosen.")
    candidates: list[CandidateScore] = Field(
        default_factory=list, description="Every candidate's backtest scores (model=auto)."
    )
    interval_multiplier: float | None = Field(
        None, description="Calibration factor applied to the model's own interval spread."
    )
