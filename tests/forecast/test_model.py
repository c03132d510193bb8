"""Prophet as dropcast configures it: the data Stan receives is exactly Prophet's."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from dropcast_common.params import Params, resolve
from dropcast_forecasting.model import build_prophet


@pytest.mark.parametrize(
    "params",
    [
        Params(),
        resolve(
            {
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
