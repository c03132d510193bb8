"""Issue 20's first acceptance point on one file: a level spike, a known promo effect.

The anomaly file flags the spike, the promo's coefficient has the right sign
and size (the truth inside its interval), and the components, a component
per regressor included, add up to the forecast, in both engines.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dropcast_common.params import resolve
from dropcast_forecasting.engine import run_forecast

PROMO_EFFECT = 5.0
DAYS, FUTURE, SPIKE = 300, 14, 200


def spiked_promo() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = DAYS + FUTURE
    t = np.arange(n)
    promo = (rng.random(n) < 0.3).astype("float64")
    y = 40 + 0.03 * t + 3 * np.sin(2 * np.pi * t / 7) + PROMO_EFFECT * promo
    y += rng.normal(0, 1, n)
    y[SPIKE] += 20  # a level spike of 20 noise scales
    y[DAYS:] = np.nan  # the future rows carry the promo's planned values only
    ds = pd.date_range("2023-01-02", periods=n, freq="D").as_unit("ns")
    return pd.DataFrame({"series_id": "s", "ds": ds, "y": y, "promo": promo})


@pytest.mark.parametrize("engine", ["native", "cmdstan"])
def test_spike_flagged_promo_recovered_and_components_add_up(engine: str) -> None:
    frame = spiked_promo()
    params = resolve(
        {
            "model": "prophet",
            "engine": engine,
            "regressors": "promo",
            "components": True,
            "anomalies": "flag",
        }
    )
    run = run_forecast(frame, params, workers=1)
    result = run.series[0]
    assert result.method == "prophet"

    anomalies = run.anomalies
    assert anomalies is not None
    assert frame["ds"][SPIKE] in set(anomalies["date"])

    (promo,) = result.regressors
    assert promo.name == "promo"
    assert promo.coef > 0
    assert promo.coef_lower is not None
    assert promo.coef_upper is not None
    assert promo.coef_lower <= PROMO_EFFECT <= promo.coef_upper
    assert abs(promo.coef - PROMO_EFFECT) < 0.1 * PROMO_EFFECT

    components = run.components
    assert components is not None
    assert len(components) == DAYS + FUTURE  # the future rows are the horizon, not history
    assert "promo" in components
    assert "weekly" in components
    # The named additive terms are the additive total; the total rebuilds yhat.
    named = components["weekly"] + components["promo"]
    assert np.abs(named - components["additive_terms"]).max() < 1e-6
    rebuilt = (
        components["trend"] * (1 + components["multiplicative_terms"])
        + components["additive_terms"]
    )
    assert np.abs(rebuilt - components["yhat"]).max() < 1e-6
    ahead = components["yhat"].to_numpy()[-FUTURE:]
    assert np.abs(ahead - run.forecast["prediction"].to_numpy()).max() < 1e-6
    # The promo's component is its coefficient times its value (0/1: not standardised).
    on = components["promo"].to_numpy()[frame["promo"].to_numpy() == 1]
    assert np.allclose(on, promo.coef, rtol=1e-6)
    assert "promo" not in result.seasonal_amplitude
