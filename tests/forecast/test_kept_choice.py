"""Model choice kept across re-uploads: a series that only grew a little refits its winner alone."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dropcast_common.params import Params, resolve
from dropcast_forecasting import candidates, rolling, warmstart
from dropcast_forecasting.series import SeriesOutcome, SeriesTask, forecast_series
from dropcast_forecasting.warmstart import Carried


def _task(frame: pd.DataFrame, previous: Carried | None = None) -> SeriesTask:
    return SeriesTask(
        series_id="y",
        ds=frame["ds"].to_numpy(dtype="datetime64[ns]"),
        y=frame["y"].to_numpy(dtype="float64"),
        previous=previous,
    )


@pytest.fixture
def fits(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, bool]]:
    """(candidate, values, backtest?) of every candidate fit; the real fits run."""
    seen: list[tuple[str, int, bool]] = []
    real = candidates.forecast

    def recording(candidate: Any, history: pd.DataFrame, *args: Any, **kwargs: Any) -> Any:
        seen.append((candidate, len(history), bool(kwargs.get("backtest"))))
        return real(candidate, history, *args, **kwargs)

    monkeypatch.setattr(candidates, "forecast", recording)  # the final fit's
    monkeypatch.setattr(rolling, "forecast", recording)  # the backtest windows'
    return seen


def _first(make_series: Any, params: Params, periods: int = 150) -> SeriesOutcome:
    first = forecast_series(_task(make_series(periods=periods)), params)
    assert first.carry is not None
    assert first.carry.choice is not None
    return first


@pytest.mark.parametrize("model", ["auto", "ets"])
def test_one_more_day_refits_only_the_chosen_model_in_its_form(
    make_series: Any, fits: list[tuple[str, int, bool]], model: str
) -> None:
    params = resolve({"model": model})
    first = _first(make_series, params)
    kept = first.carry.choice  # type: ignore[union-attr]
    assert kept is not None
    assert any(backtest for _, _, backtest in fits)  # the first upload backtested
    fits.clear()
    again = forecast_series(_task(make_series(periods=151), first.carry), params)
    # no backtest window was fitted again, by any candidate: only the winner, on all 151 values
    assert fits, "the winner is refitted"
    assert all(not backtest and n == 151 for _, n, backtest in fits), fits
    winner = first.result.model
    members = {"ets", "theta"} if winner == "combination" else {winner}
    assert {c for c, _, _ in fits} == members
    # the report says what it kept and since when
    assert again.result.model == winner
    assert again.result.backtest_age == 1
    assert again.result.candidates == first.result.candidates
    assert again.result.choice == first.result.choice
    assert again.result.backtest == first.result.backtest
    assert again.result.interval_multiplier == first.result.interval_multiplier
    # the statsforecast members kept their form
    for member, form in kept.forms.items():
        assert form, member
    # and the kept choice goes on to the next upload, still dated by its backtest
    assert again.carry is not None
    assert again.carry.choice == kept


def test_the_kept_forecast_matches_a_fresh_one_of_the_same_model(make_series: Any) -> None:
    params = resolve({"model": "ets"})
    first = _first(make_series, params)
    longer = make_series(periods=151)
    kept = forecast_series(_task(longer, first.carry), params)
    fresh = forecast_series(_task(longer), params)
    assert kept.forecast is not None
    assert fresh.forecast is not None
    np.testing.assert_allclose(kept.forecast["prediction"], fresh.forecast["prediction"], rtol=0.02)


def test_a_series_grown_by_a_quarter_of_the_horizon_is_backtested_afresh(
    make_series: Any, fits: list[tuple[str, int, bool]]
) -> None:
    params = resolve({})
    first = _first(make_series, params)
    fits.clear()
    later = forecast_series(_task(make_series(periods=157), first.carry), params)  # 7 of 28
    assert any(backtest for _, _, backtest in fits)
    assert later.result.backtest_age is None
    assert later.carry is not None
    assert later.carry.choice is not None
    assert later.carry.choice.observations == 157


def test_a_revised_history_is_backtested_afresh(
    make_series: Any, fits: list[tuple[str, int, bool]]
) -> None:
    params = resolve({})
    first = _first(make_series, params)
    fits.clear()
    revised = forecast_series(_task(make_series(periods=151, seed=1), first.carry), params)
    assert any(backtest for _, _, backtest in fits)
    assert revised.result.backtest_age is None


def test_the_kept_choice_round_trips_and_needs_the_same_settings(make_series: Any) -> None:
    params = resolve({})
    first = _first(make_series, params)
    carried = {"y": first.carry}
    data = warmstart.encode(carried, params)  # type: ignore[arg-type]
    back = warmstart.decode(data, params)["y"]
    assert back.choice == first.carry.choice  # type: ignore[union-attr]
    # another interval width: the calibration was for the old one
    assert warmstart.decode(data, resolve({"interval_width": "0.9"}))["y"].choice is None
    # another model setting: its choice would describe other candidates
    assert warmstart.decode(data, resolve({"model": "theta"}))["y"].choice is None
    # a damaged choice is dropped alone: the start stays
    document: dict[str, Any] = __import__("json").loads(data)
    document["series"]["y"]["choice"] = {"model": "ets"}
    damaged = warmstart.decode(__import__("json").dumps(document).encode(), params)["y"]
    assert damaged.choice is None
    assert damaged.init


def test_a_kept_choice_whose_refit_fails_is_backtested_afresh(
    make_series: Any, fits: list[tuple[str, int, bool]]
) -> None:
    params = resolve({"model": "ets"})
    first = _first(make_series, params)
    assert first.carry is not None
    assert first.carry.choice is not None
    broken = dataclasses.replace(
        first.carry,
        choice=first.carry.choice.model_copy(update={"forms": {"ets": {"components": "XXXX"}}}),
    )
    fits.clear()
    again = forecast_series(_task(make_series(periods=151), broken), params)
    assert any(backtest for _, _, backtest in fits)  # decided again on a fresh backtest
    assert again.result.model == "ets"
    assert again.result.backtest_age is None
