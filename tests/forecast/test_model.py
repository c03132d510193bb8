"""Prophet as dropcast configures it: the data Stan receives is exactly Prophet's,
and each engine fits the model it is asked to."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from dropcast_common.params import Params, resolve
from dropcast_forecasting.model import build_prophet


@pytest.mark.parametrize(
    "params",
    [
        Params(engine="cmdstan"),
        resolve(
            {
                "engine": "cmdstan",
                "growth": "logistic",
                "cap": "300",
                "floor": "10",
                "seasonality_mode": "multiplicative",
                "holidays_country": "DE",
            }
        ),
    ],
)
def test_array_backend_hands_stan_the_same_data_as_prophet(
    make_series: Any, params: Params
) -> None:
    from prophet.models import CmdStanPyBackend

    history = make_series(periods=400, start="2021-01-01")[["ds", "y"]]
    if params.growth == "logistic":
        history = history.assign(cap=params.cap, floor=params.floor)
    model = build_prophet(params, uncertainty_samples=0)
    seen: list[tuple[dict[str, Any], dict[str, Any]]] = []
    ours = model.stan_backend.prepare_data

    def record(init: dict[str, Any], data: dict[str, Any]) -> Any:
        seen.append((init, data))
        return ours(init, data)

    model.stan_backend.prepare_data = record
    model.fit(history)
    init, data = seen[0]
    expected = CmdStanPyBackend.prepare_data(init, data)
    got = ours(init, data)
    for theirs, mine in zip(expected, got, strict=True):
        assert set(theirs) == set(mine)
        for key, value in theirs.items():
            assert np.asarray(mine[key]).tolist() == value, key


def test_engines_dispatch_and_report_warm_starts(make_series: Any) -> None:
    from dropcast_forecasting.model import fit_prophet, started_warm, warm_start_init
    from dropcast_forecasting.native.forecast import NativeFit

    history = make_series(periods=200)[["ds", "y"]]
    native = fit_prophet(history, Params(uncertainty_samples=0))
    assert isinstance(native, NativeFit)
    assert not started_warm(native)
    again = fit_prophet(history, Params(uncertainty_samples=0), init=warm_start_init(native))
    assert isinstance(again, NativeFit)
    assert started_warm(again)
    cmdstan = fit_prophet(history, Params(engine="cmdstan", uncertainty_samples=0))
    assert not isinstance(cmdstan, NativeFit)
    assert type(cmdstan.stan_backend).__name__ == "ArrayBackend"
    # Holidays: Prophet prepares the data, the native solver fits it in process.
    holidays = fit_prophet(history, Params(holidays_country="FR", uncertainty_samples=0))
    assert type(holidays.stan_backend).__name__ == "NativeBackend"
    assert holidays.stan_backend.solution is not None
    assert not holidays.stan_backend.fell_back
