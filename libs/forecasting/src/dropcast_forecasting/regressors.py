"""External regressors after the fit: each one's coefficient and its interval.

The coefficient is Prophet's ``utilities.regressor_coefficients``: the
change in the prediction per unit of the regressor (additive mode), or the
proportional change of the trend (multiplicative mode): ``beta * y_scale /
std`` or ``beta / std``. Prophet gives an interval only from MCMC draws;
dropcast fits the MAP, so the interval here is the Gaussian (Laplace)
approximation of the posterior at the optimum: the observation model's
Gauss-Newton curvature in the trend's slope and offset and every feature
weight, plus their normal priors, with the changepoints held where the
fit put them. At ``interval_width``, like the forecast's.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from dropcast_common.params import Params
from dropcast_forecasting.native import design
from dropcast_forecasting.native import forecast as native
from dropcast_forecasting.native.stan import (
    FLAT,
    K_M_SCALE,
    LINEAR,
    LOGISTIC,
    Point,
    StanData,
    trend,
)
from dropcast_forecasting.results import RegressorEffect


def effects(model: Any, history: pd.DataFrame, params: Params) -> list[RegressorEffect]:
    """The regressors' coefficients of a Prophet fit (native or Prophet's own) on ``history``."""
    names = list(params.regressors or ())
    if not names:
        return []
    if isinstance(model, native.NativeFit):
        data, point, scales, y_scale = _native_parts(model, history, params)
    else:
        data, point, scales, y_scale = _prophet_parts(model)
    width = data.X.shape[1]
    first = width - len(names)  # regressors are the last feature columns
    try:
        sd = _beta_sd(data, point)
    except (ValueError, FloatingPointError, np.linalg.LinAlgError):
        sd = None  # the coefficients stand without their interval
    z = NormalDist().inv_cdf((1 + params.interval_width) / 2)
    out = []
    for j, (name, (std, standardised)) in enumerate(zip(names, scales, strict=True)):
        column = first + j
        multiplicative = bool(data.s_m[column])
        unit = (1.0 if multiplicative else y_scale) / std
        coef = float(point.beta[column]) * unit
        half = z * sd[column] * abs(unit) if sd is not None else None
        out.append(
            RegressorEffect(
                name=name,
                mode="multiplicative" if multiplicative else "additive",
                coef=coef,
                coef_lower=coef - half if half is not None else None,
                coef_upper=coef + half if half is not None else None,
                standardised=standardised,
            )
        )
    return out


def _native_parts(
    model: native.NativeFit, history: pd.DataFrame, params: Params
) -> tuple[StanData, Point, list[tuple[float, bool]], float]:
    lay = model.layout
    known = history[history["y"].notna()].sort_values("ds", kind="stable")
    ds_ns = known["ds"].to_numpy(dtype="datetime64[ns]").view("int64")
    values = known[list(params.regressors or ())].to_numpy(dtype="float64")
    data = design.stan_data(lay, ds_ns, known["y"].to_numpy(dtype="float64"), values)
    scales = [(r.std, (r.mu, r.std) != (0.0, 1.0)) for r in lay.regressors]
    return data, model.point, scales, lay.y_scale


def _prophet_parts(model: Any) -> tuple[StanData, Point, list[tuple[float, bool]], float]:
    history = model.history
    features, prior_scales, columns, _ = model.make_all_seasonality_features(history)
    features_x = features.to_numpy(dtype="float64")
    growth = {"linear": LINEAR, "flat": FLAT}.get(model.growth, LOGISTIC)
    cap = history["cap_scaled"] if "cap_scaled" in history else np.zeros(len(history))
    data = StanData(
        t=history["t"].to_numpy(dtype="float64"),
        y=history["y_scaled"].to_numpy(dtype="float64"),
        cap=np.asarray(cap, dtype="float64"),
        t_change=np.asarray(model.changepoints_t, dtype="float64").reshape(-1),
        X=features_x,
        sigmas=np.asarray(prior_scales, dtype="float64"),
        s_a=columns["additive_terms"].to_numpy(dtype="float64"),
        s_m=columns["multiplicative_terms"].to_numpy(dtype="float64"),
        tau=float(model.changepoint_prior_scale),
        trend_indicator=growth,
    )
    scales = []
    for props in model.extra_regressors.values():
        std = float(props["std"])
        scales.append((std, (float(props["mu"]), std) != (0.0, 1.0)))
    return data, Point.from_mapping(model.params), scales, float(model.y_scale)


def _beta_sd(data: StanData, point: Point) -> np.ndarray | None:
    """Posterior standard deviations of the feature weights (Laplace, changepoints fixed)."""
    level = trend(data, point)
    multiplicative = data.X @ (point.beta * data.s_m)
    # d mean / d beta: the additive columns as they are, the multiplicative ones times the trend.
    jac_beta = data.X * (data.s_a + data.s_m * level[:, None])
    slope = data.t if data.trend_indicator == LINEAR else np.zeros_like(data.t)
    offset = np.zeros_like(data.t) if data.trend_indicator == LOGISTIC else np.ones_like(data.t)
    # A logistic trend's slope and offset enter non-linearly: held fixed, like the changepoints.
    jac_trend = np.column_stack([slope, offset]) * (1 + multiplicative)[:, None]
    jacobian = np.hstack([jac_trend, jac_beta])
    priors = np.concatenate([[K_M_SCALE**-2, K_M_SCALE**-2], data.sigmas**-2.0])
    if data.trend_indicator != LINEAR:
        priors[:2] = 1.0  # slope (and a logistic offset) held fixed: dummies, decoupled
    precision = jacobian.T @ jacobian / point.sigma_obs**2 + np.diag(priors)
    try:
        covariance = np.linalg.inv(precision)
    except np.linalg.LinAlgError:
        return None
    variances = np.diag(covariance)[2:]
    if not np.isfinite(variances).all() or (variances < 0).any():
        return None
    sd: np.ndarray = np.sqrt(variances)
    return sd


def arima_effects(model: Any, params: Params) -> list[RegressorEffect]:
    """AutoARIMA's exogenous coefficients (``ex_1``, ...), without an interval.

    statsforecast's ``var_coef`` is not the coefficients' covariance (for a
    plain regression on a 0/1 column its standard error came out at half the
    least-squares one, and far below it with an MA term), so no interval is
    given rather than a wrong one.
    """
    fitted = getattr(model, "model_", None) or {}
    coef: dict[str, float] = dict(fitted.get("coef", {}))
    return [
        RegressorEffect(
            name=name, mode="additive", coef=float(coef[f"ex_{j + 1}"]), standardised=False
        )
        for j, name in enumerate(params.regressors or ())
        if f"ex_{j + 1}" in coef
    ]
