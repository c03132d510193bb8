"""How far the native engine is from cmdstan on one series: optima and forecasts.

The measurement behind the correctness claims, shared by the test suite
(a fixed sample) and benchmark B1 (every series of its file).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dropcast_common.params import Params
from dropcast_forecasting.calendar import future_dates
from dropcast_forecasting.model import (
    build_prophet,
    fit_prophet,
    fitted_params,
    predict_prophet,
    with_bounds,
)
from dropcast_forecasting.native.forecast import NativeFit
from dropcast_forecasting.native.stan import Point, StanData, log_posterior


@dataclass(frozen=True)
class Agreement:
    """One series fitted by both engines: the two optima and the two forecasts."""

    name: str
    lp_native: float
    lp_cmdstan: float
    difference: float  # mean |native - cmdstan| / mean |cmdstan| over the horizon
    native: bool  # False: the native solve fell back to cmdstan

    @property
    def native_better(self) -> bool:
        """Whether the native optimum has the higher log posterior (beyond rounding)."""
        return self.lp_native > self.lp_cmdstan + 1e-6 * abs(self.lp_cmdstan)

    @property
    def native_worse(self) -> bool:
        """Whether the native optimum is below cmdstan's (beyond rounding)."""
        return self.lp_native < self.lp_cmdstan - 1e-6 * abs(self.lp_cmdstan)


def cmdstan_fit(history: pd.DataFrame, params: Params) -> tuple[Any, StanData]:
    """Prophet fitted by cmdstan, and the Stan data it handed cmdstan.

    The model is the one :func:`fit_prophet` fits (its seasonality rule
    applied), so the two engines' optima compare on the same posterior.
    """
    params = fitted_params(history["ds"].to_numpy(dtype="datetime64[ns]"), params)
    model = build_prophet(params.model_copy(update={"engine": "cmdstan"}))
    seen: list[dict[str, Any]] = []
    fit = model.stan_backend.fit

    def record(init: dict[str, Any], data: dict[str, Any], **kwargs: Any) -> Any:
        seen.append(data)
        return fit(init, data, **kwargs)

    model.stan_backend.fit = record
    model.fit(with_bounds(history[["ds", "y", *(params.regressors or ())]].copy(), params))
    return model, StanData.from_prophet(seen[0])


def compare(name: str, history: pd.DataFrame, frequency: str, params: Params) -> Agreement:
    """Fit ``history`` (ds, y) with both engines and compare optima and point forecasts."""
    model, data = cmdstan_fit(history, params)
    mine = fit_prophet(history, params.model_copy(update={"engine": "native"}))
    dates = future_dates(history["ds"].iloc[-1], frequency, params.horizon)
    theirs = predict_prophet(model, dates, params)["prediction"].to_numpy()
    ours = predict_prophet(mine, dates, params)["prediction"].to_numpy()
    lp_native = log_posterior(data, Point.from_mapping(mine.params))
    lp_cmdstan = log_posterior(data, Point.from_mapping(model.params))
    difference = float(np.mean(np.abs(ours - theirs)) / np.mean(np.abs(theirs)))
    native = isinstance(mine, NativeFit) or not mine.stan_backend.fell_back
    return Agreement(name, lp_native, lp_cmdstan, difference, native)
