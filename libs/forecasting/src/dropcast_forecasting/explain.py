"""Explain one series' forecast: its components, and the history points it calls anomalous.

Components are what Prophet's ``predict`` reports beside ``yhat`` (trend,
each seasonality, holidays, regressors, and the additive/multiplicative
split), over the history and the horizon, with ``yhat = trend * (1 +
multiplicative_terms) + additive_terms``. The native engine computes them
from the fitted point and its design matrix (no second prediction); a
model Prophet itself built (holidays, logistic growth) gives them through
its own ``predict``. The statistical candidates have no such decomposition:
the series' result says so.

Anomalies are history points outside the in-sample interval of width
``anomaly_probability``. For a Prophet MAP fit that interval is exact, not
sampled: in the history Prophet simulates no trend change, so its samples
are the fitted mean plus normal noise of scale ``sigma_obs``. The score is
the probability mass of that normal closer to the mean than the point
(above ``anomaly_probability`` exactly when the point is outside). The
statistical candidates give their fitted values and intervals
(statsforecast's ``predict_in_sample``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from dropcast_common.params import Params
from dropcast_forecasting.native import forecast as native
from dropcast_forecasting.results import ChangePoint

ANOMALY_COLUMNS = ["date", "value", "expected", "lower", "upper", "score"]
# A changepoint is reported when its rate change is at least this, in
# Prophet's scaled units: the threshold of Prophet's add_changepoints_to_plot.
MATERIAL_DELTA = 0.01
LEADING = ["date", "actual"]
TRAILING = ["additive_terms", "multiplicative_terms", "yhat"]


@dataclass
class Explanation:
    """What one series' model says about its history and horizon."""

    # LEADING, trend, named terms, TRAILING: columns as arrays, not a frame (a
    # frame per series cost a millisecond to build and more to send back from
    # a pool worker; the engine stacks the arrays once).
    components: dict[str, np.ndarray] | None = None
    anomalies: pd.DataFrame | None = None  # ANOMALY_COLUMNS, only the anomalous points
    seasonal_amplitude: dict[str, float] = field(default_factory=dict)
    changepoints: list[ChangePoint] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def wanted(params: Params) -> bool:
    """Whether the parameters ask for components or anomalies at all."""
    return components_wanted(params) or params.anomalies != "off"


def components_wanted(params: Params) -> bool:
    """Components are computed for their file or for the chart's components panel."""
    return params.components or params.chart == "components"


def explain_prophet(
    model: Any,
    ds: np.ndarray,
    y: np.ndarray,
    future: np.ndarray,
    params: Params,
    regressors: np.ndarray | None = None,
) -> Explanation:
    """Components and anomalies of a fitted Prophet (either engine) over ``ds`` and ``future``.

    ``ds``, ``y``: the whole history (NaN for missing or excluded values);
    ``future``: the forecast's dates; ``regressors`` (history and future
    dates, regressors): the external regressors' values at both, when the
    model has them.
    """
    dates = np.concatenate([ds, future]).astype("datetime64[ns]")
    if isinstance(model, native.NativeFit):
        terms = model.components(dates, regressors)
        stamps, deltas = model.changepoints()
        sigma = model.noise_scale()
    else:
        terms = _prophet_terms(model, dates, params, regressors)
        stamps = np.asarray(model.changepoints, dtype="datetime64[ns]")
        deltas = np.asarray(model.params["delta"], dtype="float64").reshape(-1)[: len(stamps)]
        sigma = float(np.asarray(model.params["sigma_obs"]).reshape(-1)[0] * model.y_scale)
    n = len(ds)
    out = Explanation()
    if components_wanted(params):
        actual = np.concatenate([y, np.full(len(future), np.nan)])
        out.components = {"date": dates, "actual": actual, **terms}
    # Seasonalities only: holidays and the external regressors' effects are
    # components too, but no season has an amplitude there.
    not_seasons = {"trend", "holidays", *TRAILING, *(params.regressors or ())}
    out.seasonal_amplitude = {k: _amplitude(terms[k][:n]) for k in terms if k not in not_seasons}
    out.changepoints = [
        ChangePoint(date=str(pd.Timestamp(stamp)), delta=round(float(delta), 6))
        for stamp, delta in zip(stamps, deltas, strict=True)
        if abs(delta) >= MATERIAL_DELTA
    ]
    if params.anomalies != "off":
        expected = terms["yhat"][:n]
        half = NormalDist().inv_cdf((1 + params.anomaly_probability) / 2) * sigma
        out.anomalies = _outside(ds, y, expected, expected - half, expected + half, sigma)
    return out


def explain_statistical(
    model_name: str, fitted: Any, ds: np.ndarray, y: np.ndarray, m: int, params: Params
) -> Explanation:
    """Anomalies from a fitted statsforecast model's in-sample interval; no components.

    The model was fitted on the last values of the history (see
    ``candidates.stats_history``); its first season is its start-up, not a fit.
    """
    out = Explanation()
    if components_wanted(params):
        out.notes.append(
            f"{model_name} has no components: only Prophet's fit decomposes into trend, "
            "seasonalities and holidays (set model=prophet for them)"
        )
    if params.anomalies == "off":
        return out
    percent = round(params.anomaly_probability * 100, 6)
    # statsforecast names its columns after the level as given: 99, not 99.0.
    level: int | float = int(percent) if percent.is_integer() else percent
    try:
        inner = fitted.predict_in_sample(level=[level])
    except Exception as exc:  # a model without in-sample intervals
        out.notes.append(f"{model_name} gives no in-sample interval ({type(exc).__name__})")
        return out
    key = str(level)
    fit = np.asarray(inner["fitted"], dtype="float64")
    lower = np.asarray(inner[f"fitted-lo-{key}"], dtype="float64")
    upper = np.asarray(inner[f"fitted-hi-{key}"], dtype="float64")
    seen = len(fit)
    ds_seen, y_seen = _observed(ds, y)
    ds_seen, y_seen = ds_seen[-seen:], y_seen[-seen:]
    start = min(max(m, 1), seen)
    z = NormalDist().inv_cdf((1 + params.anomaly_probability) / 2)
    sigma = (upper - lower) / (2 * z)
    out.anomalies = _outside(
        ds_seen[start:], y_seen[start:], fit[start:], lower[start:], upper[start:], sigma[start:]
    )
    return out


def no_explanation(model_name: str, params: Params) -> Explanation:
    """For a model with neither components nor an in-sample interval (fallbacks, combinations)."""
    out = Explanation()
    asked = [
        what
        for what, on in (
            ("components", components_wanted(params)),
            ("in-sample interval for anomalies", params.anomalies != "off"),
        )
        if on
    ]
    if asked:
        out.notes.append(
            f"{model_name} gives no {' and no '.join(asked)}: it is not one fitted model "
            "(set model=prophet for them)"
        )
    return out


def _prophet_terms(
    model: Any, dates: np.ndarray, params: Params, regressors: np.ndarray | None
) -> dict[str, np.ndarray]:
    """The component columns of Prophet's own ``predict`` (no interval sampling)."""
    frame = pd.DataFrame({"ds": dates})
    if params.growth == "logistic":
        frame["cap"] = params.cap
        if params.floor is not None:
            frame["floor"] = params.floor
    if regressors is not None:
        values = np.asarray(regressors, dtype="float64").reshape(len(dates), -1)
        for j, name in enumerate(params.regressors or ()):
            frame[name] = values[:, j]
    samples = model.uncertainty_samples
    model.uncertainty_samples = 0  # point components only: sampling is most of predict's cost
    try:
        predicted = model.predict(frame)
    finally:
        model.uncertainty_samples = samples
    names = ["trend", *model.seasonalities]
    if "holidays" in predicted:
        names.append("holidays")
    names += list(model.extra_regressors)
    return {name: predicted[name].to_numpy(dtype="float64") for name in [*names, *TRAILING]}


def _amplitude(values: np.ndarray) -> float:
    """Half the peak-to-peak range of a component over the history."""
    finite = values[np.isfinite(values)]
    return round(float(finite.max() - finite.min()) / 2, 6) if len(finite) else 0.0


def _observed(ds: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = ~np.isnan(y)
    return ds[keep], y[keep]


def _outside(
    ds: np.ndarray,
    y: np.ndarray,
    expected: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    sigma: np.ndarray | float,
) -> pd.DataFrame:
    residual = np.abs(y - expected)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(np.asarray(sigma) > 0, residual / sigma, np.where(residual > 0, np.inf, 0.0))
    # scipy.special imported here, not with the module: every forecast imports
    # this module, and scipy's import (0.15 CPU-s) only pays where anomalies are on.
    from scipy.special import ndtr

    score = 2 * ndtr(z) - 1
    flagged = ~np.isnan(y) & ~np.isnan(expected) & ((y < lower) | (y > upper))
    return pd.DataFrame(
        {
            "date": ds[flagged].astype("datetime64[ns]"),
            "value": y[flagged],
            "expected": expected[flagged],
            "lower": lower[flagged],
            "upper": upper[flagged],
            "score": np.round(score[flagged], 6),
        }
    )
