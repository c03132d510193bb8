"""Prophet, minus two costs that are pure overhead: same numbers, less CPU.

Both were found profiling a fit, prediction and backtest (benchmark B1), and
both give bit-identical results to Prophet's own code (tests compare them):

- **The seasonal component matrix, built once per model shape.** Prophet
  rebuilds the matrix saying which feature column belongs to which seasonal
  component (a ``pandas.crosstab``) three times per fit and prediction and
  twice per backtest. It depends only on the model's shape (feature
  columns, seasonality modes, holidays, regressors), the same for every
  series fitted with the same parameters, yet it was about a third of a
  fit-and-predict's CPU time. One copy per shape is kept in each process
  and callers get copies; Prophet's own check against the trained matrix
  still runs on every call.
- **Fourier features on numpy arrays.** Prophet computes each sine and
  cosine column on a pandas Series, paying pandas' per-operation overhead
  twenty times per seasonality (about 14 % of the CPU); the same
  operations on the underlying array give the same numbers.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from dropcast_forecasting.quiet import import_prophet

# Shapes seen by one process: one per distinct parameter set and seasonality
# outcome, so a handful; the bound only guards against a pathological run.
_MAX_SHAPES = 256
_matrices: dict[tuple[Any, ...], tuple[pd.DataFrame, dict[str, list[str]]]] = {}


@lru_cache(maxsize=1)
def prophet_class() -> type:
    """``prophet.Prophet`` with the two overheads above removed."""
    prophet = import_prophet()

    class FastProphet(prophet.Prophet):  # type: ignore[misc, name-defined]
        @staticmethod
        def fourier_series(dates: pd.Series, period: float, series_order: int) -> np.ndarray:
            if not (series_order >= 1):
                raise ValueError("series_order must be >= 1")
            # Prophet's own arithmetic, in its order, on the array instead of a Series.
            epoch = pd.Timestamp("1970-01-01", tz=dates.dt.tz)
            t = ((dates - epoch).dt.total_seconds() / (24 * 60 * 60)).to_numpy(dtype="float64")
            x_t = np.pi * 2 * t
            features = np.empty((dates.shape[0], 2 * series_order))
            for i in range(series_order):
                c = (i + 1) / period * x_t
                features[:, 2 * i] = np.sin(c)
                features[:, 2 * i + 1] = np.cos(c)
            return features

        def regressor_column_matrix(
            self, seasonal_features: pd.DataFrame, modes: dict[str, list[str]]
        ) -> tuple[pd.DataFrame, dict[str, list[str]]]:
            key = _shape(self, seasonal_features, modes)
            cached = _matrices.get(key)
            if cached is None:
                cached = _build(self, seasonal_features, modes)
                if len(_matrices) >= _MAX_SHAPES:
                    _matrices.clear()
                _matrices[key] = cached
            matrix, final_modes = cached
            # Prophet extends the caller's lists in place and returns them.
            for mode, names in final_modes.items():
                modes[mode] = list(names)
            component_cols = matrix.copy()
            if self.train_component_cols is not None:  # the check Prophet makes
                component_cols = component_cols[self.train_component_cols.columns]
                if not component_cols.equals(self.train_component_cols):
                    raise Exception("A bug occurred in constructing regressors.")
            return component_cols, modes

    return FastProphet


def _shape(model: Any, features: pd.DataFrame, modes: dict[str, list[str]]) -> tuple[Any, ...]:
    """Everything Prophet's matrix depends on."""
    holidays = model.train_holiday_names
    return (
        tuple(features.columns),
        None if holidays is None else tuple(holidays),
        tuple((mode, tuple(names)) for mode, names in sorted(modes.items())),
        model.holidays_mode,
        tuple((name, props["mode"]) for name, props in model.extra_regressors.items()),
    )


def _build(
    model: Any, features: pd.DataFrame, modes: dict[str, list[str]]
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Prophet's own matrix for this shape, before its check against a trained one."""
    trained = model.train_component_cols
    model.train_component_cols = None
    try:
        original = import_prophet().Prophet.regressor_column_matrix
        matrix, final_modes = original(
            model, features, {mode: list(names) for mode, names in modes.items()}
        )
    finally:
        model.train_component_cols = trained
    return matrix, {mode: list(names) for mode, names in final_modes.items()}
