"""Yearly and coarser data never turn on yearly seasonality (it cannot be seen in them)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from dropcast_common.params import resolve
from dropcast_forecasting.model import fit_prophet


def _history(freq: str, periods: int) -> pd.DataFrame:
    ds = pd.date_range("1960-01-01", periods=periods, freq=freq)
    noise = np.random.default_rng(1).normal(0, 1, periods)
    return pd.DataFrame({"ds": ds, "y": np.linspace(10, 30, periods) + noise})


ENGINES = ["native", "cmdstan"]


def _seasonalities(model: Any) -> set[str]:
    """Seasonality names of a fit by either engine (Prophet's model or the native fit)."""
    if hasattr(model, "seasonalities"):
        return set(model.seasonalities)
    return {season.name for season in model.layout.seasonalities}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("freq", ["YS", "5YS", "YE"])
def test_yearly_or_coarser_history_fits_without_yearly_seasonality(freq: str, engine: str) -> None:
    model = fit_prophet(_history(freq, 12), resolve({"engine": engine}))
    assert "yearly" not in _seasonalities(model)


@pytest.mark.parametrize("engine", ENGINES)
def test_monthly_history_keeps_automatic_yearly_seasonality(engine: str) -> None:
    model = fit_prophet(_history("MS", 48), resolve({"engine": engine}))
    assert "yearly" in _seasonalities(model)


@pytest.mark.parametrize("engine", ENGINES)
def test_an_explicit_yearly_seasonality_is_kept_on_yearly_data(engine: str) -> None:
    params = resolve({"yearly_seasonality": "true", "engine": engine})
    model = fit_prophet(_history("YS", 12), params)
    assert "yearly" in _seasonalities(model)
