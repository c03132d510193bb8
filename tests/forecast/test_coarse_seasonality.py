"""Yearly and coarser data never turn on yearly seasonality (it cannot be seen in them)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dropcast_common.params import resolve
from dropcast_forecasting.model import fit_prophet


def _history(freq: str, periods: int) -> pd.DataFrame:
    ds = pd.date_range("1960-01-01", periods=periods, freq=freq)
    noise = np.random.default_rng(1).normal(0, 1, periods)
    return pd.DataFrame({"ds": ds, "y": np.linspace(10, 30, periods) + noise})


@pytest.mark.parametrize("freq", ["YS", "5YS", "YE"])
def test_yearly_or_coarser_history_fits_without_yearly_seasonality(freq: str) -> None:
    model = fit_prophet(_history(freq, 12), resolve({}))
    assert "yearly" not in model.seasonalities


def test_monthly_history_keeps_automatic_yearly_seasonality() -> None:
    model = fit_prophet(_history("MS", 48), resolve({}))
    assert "yearly" in model.seasonalities


def test_an_explicit_yearly_seasonality_is_kept_on_yearly_data() -> None:
    model = fit_prophet(_history("YS", 12), resolve({"yearly_seasonality": "true"}))
    assert "yearly" in model.seasonalities
