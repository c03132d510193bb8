"""Model choice per series: rolling-origin windows, the choice rule, calibration, short series."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from dropcast_common.params import Params
from dropcast_forecasting import calibration, candidates, rolling
from dropcast_forecasting.calendar import without_impossible_seasonality
from dropcast_forecasting.choice import choose
from dropcast_forecasting.engine import run_forecast
from dropcast_forecasting.results import CandidateScore
from dropcast_forecasting.series import SeriesTask, forecast_series


def score(model: str, mase: float | None, smape: float = 10.0, windows: int = 3) -> CandidateScore:
    return CandidateScore(model=model, windows=windows, mae=1.0, smape=smape, mase=mase)


def test_autoets_stands_unless_a_challenger_beats_it_by_its_margin() -> None:
    # a single model 20 % better is not enough (it needs 50 %)
    assert choose([score("ets", 1.0), score("theta", 0.8)])[0] == "ets"  # type: ignore[index]
    assert choose([score("ets", 1.0), score("theta", 0.45)])[0] == "theta"  # type: ignore[index]
    # the combination needs 10 %
    winner, why = choose([score("ets", 1.0), score("combination", 0.85)]) or ("", "")
    assert winner == "combination"
    assert "10%" in why
    kept, why = choose([score("ets", 1.0), score("combination", 0.95)]) or ("", "")
    assert kept == "ets"
    assert "margin" in why


def test_prophet_wins_a_tie_among_challengers() -> None:
    scores = [score("ets", 1.0), score("theta", 0.400), score("prophet", 0.402)]
    assert choose(scores)[0] == "prophet"  # type: ignore[index]
    scores = [score("ets", 1.0), score("theta", 0.40), score("prophet", 0.45)]
    assert choose(scores)[0] == "theta"  # type: ignore[index]


def test_without_autoets_the_lowest_score_wins() -> None:
    assert choose([score("theta", 0.9), score("prophet", 1.2)])[0] == "theta"  # type: ignore[index]


def test_smape_decides_when_a_mase_is_undefined() -> None:
    scores = [score("ets", None, smape=10.0), score("theta", 0.1, smape=4.0)]
    assert choose(scores)[0] == "theta"  # type: ignore[index]


def test_no_scored_candidate_no_choice() -> None:
    assert choose([CandidateScore(model="ets", note="failed")]) is None


def test_windows_are_the_same_for_every_candidate_and_do_not_overlap() -> None:
    plan = rolling.plan(120, 12, 12, ("prophet", "ets", "theta", "seasonal_naive", "combination"))
    assert plan.length == 12
    assert plan.origins == (84, 96, 108)
    assert set(plan.eligible) == {"prophet", "ets", "theta", "seasonal_naive", "combination"}


def test_prophet_needs_two_seasons_of_training_data() -> None:
    # 12 quarterly values, horizon 4: 8 left to train on, Prophet needs 10.
    plan = rolling.plan(12, 4, 4, ("prophet", "ets", "theta", "seasonal_naive"))
    assert "prophet" not in plan.eligible
    assert "ets" in plan.eligible
    assert plan.note is not None
    assert "prophet needs 10" in plan.note


def test_a_series_too_short_for_a_whole_horizon_holds_out_what_it_can() -> None:
    plan = rolling.plan(9, 28, 7, ("ets", "seasonal_naive"))
    assert plan.length == 1  # ets needs 9 - 1 = 8 training values
    assert plan.origins == (8,)
    assert plan.note is not None


def test_conformal_multiplier_covers_the_asked_share() -> None:
    rng = np.random.default_rng(0)
    pooled = np.abs(rng.normal(size=2000))
    q = calibration.multiplier(pooled, 0.8)
    assert q is not None
    assert np.mean(pooled <= q) == pytest.approx(0.8, abs=0.01)
    assert calibration.multiplier(np.array([0.5, 2.0]), 0.8) == 2.0  # too few: the largest
    assert calibration.multiplier(np.array([]), 0.8) is None


def test_held_out_coverage_calibrates_each_window_on_the_others() -> None:
    windows = [np.array([0.1, 0.2]), np.array([0.1, 0.2]), np.array([5.0, 5.0])]
    # windows 1 and 2 are covered by the others' quantile; window 3 is not
    assert calibration.held_out_coverage(windows, 0.8) == pytest.approx(4 / 6)
    assert calibration.held_out_coverage(windows[:1], 0.8) is None


def test_yearly_and_coarser_data_never_turn_on_yearly_seasonality() -> None:
    for freq in ("YS-JAN", "YE-DEC", "2YS-JAN"):
        assert without_impossible_seasonality(freq, Params()).yearly_seasonality is False
    for freq in ("QS-JAN", "MS", "W-SUN", "D", "h"):
        assert without_impossible_seasonality(freq, Params()).yearly_seasonality == "auto"
    # a user's explicit choice stands
    forced = Params(yearly_seasonality=True)
    assert without_impossible_seasonality("YS-JAN", forced).yearly_seasonality is True


def monthly(n: int, seed: int = 0) -> SeriesTask:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 100 + 0.5 * t + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 2, n)
    ds = pd.date_range("2010-01-01", periods=n, freq="MS").to_numpy()
    return SeriesTask("m", ds, y.astype("float64"), "MS")


def test_auto_scores_every_candidate_and_says_why_it_chose() -> None:
    outcome = forecast_series(monthly(72), Params(horizon=6))
    result = outcome.result
    names = {c.model for c in result.candidates}
    assert names == {"prophet", "ets", "theta", "seasonal_naive", "combination"}
    assert all(c.windows == 3 for c in result.candidates)
    assert all(c.mase is not None and c.smape is not None for c in result.candidates)
    assert result.method == result.model
    assert result.method in names
    assert result.choice is not None
    assert "backtest window" in result.choice
    chosen = next(c for c in result.candidates if c.model == result.method)
    ets = next(c for c in result.candidates if c.model == "ets")
    assert chosen.mase is not None
    assert ets.mase is not None
    assert chosen.mase <= ets.mase
    assert chosen.coverage is not None
    assert result.interval_multiplier is not None
    assert outcome.forecast is not None
    frame = outcome.forecast
    assert (frame["prediction_lower"] < frame["prediction"]).all()
    assert (frame["prediction"] < frame["prediction_upper"]).all()


def test_a_named_model_is_used_and_backtested_alone() -> None:
    result = forecast_series(monthly(60), Params(horizon=6, model="theta")).result
    assert result.method == "theta"
    assert [c.model for c in result.candidates] == ["theta"]
    assert result.candidates[0].windows > 0


def test_model_prophet_keeps_the_single_model_path() -> None:
    result = forecast_series(monthly(60), Params(horizon=6, model="prophet")).result
    assert result.method == "prophet"
    assert result.candidates == []


def test_a_series_too_short_for_every_candidate_gets_the_simplest_forecast_and_why() -> None:
    ds = pd.date_range("2020-01-01", periods=3, freq="D").to_numpy()
    result = forecast_series(SeriesTask("s", ds, np.array([1.0, 2.0, 3.0])), Params()).result
    assert result.method == "mean"
    assert result.reason is not None
    assert "too short" in result.reason


def test_twelve_quarters_never_go_to_prophet() -> None:
    rng = np.random.default_rng(3)
    y = 50 + np.tile([5.0, -3.0, 2.0, -4.0], 3) + rng.normal(0, 1, 12)
    ds = pd.date_range("2015-01-01", periods=12, freq="QS").to_numpy()
    result = forecast_series(SeriesTask("q", ds, y, "QS-JAN"), Params(horizon=4)).result
    assert result.method != "prophet"
    prophet = next(c for c in result.candidates if c.model == "prophet")
    assert prophet.windows == 0


def test_multi_series_csv_rows_say_their_model(make_series: Any) -> None:
    canonical = pd.concat([make_series("a", periods=60), make_series("b", periods=5)])
    run = run_forecast(canonical, Params(horizon=3), workers=1)
    models = run.forecast.groupby("series_id")["model"].first().to_dict()
    assert models == {r.series_id: r.method for r in run.series}
    assert models["b"] in ("seasonal_naive", "mean", "ets", "theta")


def test_statsforecast_candidates_return_a_positive_spread() -> None:
    task = monthly(48)
    history = pd.DataFrame({"ds": task.ds, "y": task.y})
    dates = pd.date_range("2014-01-01", periods=5, freq="MS")
    for name in ("ets", "theta", "seasonal_naive", "arima"):
        result = candidates.forecast(name, history, dates, 12, Params(interval_width=0.9))
        assert result.prediction.shape == (5,)
        assert (result.spread > 0).all()


def _recorded_searches(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, bool]]:
    """(candidate, values, full search?) of every statsforecast fit; the real fits run."""
    seen: list[tuple[str, int, bool]] = []
    real = candidates._statsforecast_model

    class Recording:
        def __init__(self, candidate: str, model: Any, full: bool) -> None:
            self.candidate, self.model, self.full = candidate, model, full

        def fit(self, y: np.ndarray) -> Any:
            seen.append((self.candidate, len(y), self.full))
            return self.model.fit(y=y)

    def recording(candidate: Any, m: int, like: Any = None, *rest: Any) -> Recording:
        return Recording(candidate, real(candidate, m, like, *rest), like is None)

    monkeypatch.setattr(candidates, "_statsforecast_model", recording)
    return seen


def _daily(n: int) -> SeriesTask:
    rng = np.random.default_rng(7)
    t = np.arange(n)
    y = 100 + 0.05 * t + 8 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 2, n)
    ds = pd.date_range("2021-01-01", periods=n, freq="D").to_numpy()
    return SeriesTask("d", ds, y, "D")


def test_auto_searches_long_histories_on_recent_values_and_fits_the_form_to_the_window(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = _recorded_searches(monkeypatch)
    forecast_series(_daily(3 * 365), Params(horizon=28))
    window, recent = candidates.stats_history(7), candidates.search_history(7)
    for candidate in ("ets", "theta"):
        fits = [(n, full) for c, n, full in seen if c == candidate]
        # every full search (all forms) sees only the recent values ...
        assert {n for n, full in fits if full} == {recent}, (candidate, fits)
        # ... and the form it found is fitted to the whole window, at the
        # first origin and again for the final forecast (never a second search)
        assert [full for n, full in fits if n == window] == [False, False], (candidate, fits)


def test_a_named_model_and_short_histories_get_the_librarys_full_search(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = _recorded_searches(monkeypatch)
    forecast_series(_daily(3 * 365), Params(horizon=28, model="ets"))
    assert seen
    assert all(full and n == candidates.stats_history(7) for _, n, full in seen), seen
    seen.clear()
    # a history within the window: every value takes part in each search
    # (the first origin's, and the final fit's on the whole history)
    forecast_series(_daily(200), Params(horizon=28))
    searched = {(c, n) for c, n, full in seen if full and c in ("ets", "theta")}
    assert searched >= {("ets", 200 - 3 * 28), ("theta", 200 - 3 * 28), ("ets", 200)}, seen
    assert all(n in (200 - 3 * 28, 200) for _, n in searched), seen


def test_mstl_is_a_named_candidate_with_every_season_the_history_holds() -> None:
    # hourly values with a daily and a weekly cycle: MSTL decomposes both
    n = 24 * 7 * 4
    t = np.arange(n)
    rng = np.random.default_rng(3)
    y = 50 + 10 * np.sin(2 * np.pi * t / 24) + 6 * np.sin(2 * np.pi * t / 168) + rng.normal(0, 1, n)
    ds = pd.date_range("2025-01-06", periods=n, freq="h")
    frame = pd.DataFrame({"ds": ds, "y": y})
    assert candidates._mstl_seasons(frame, 24) == (24, 168)
    assert candidates._mstl_seasons(frame.iloc[: 24 * 10], 24) == (24,)  # under two weeks
    daily = pd.DataFrame({"ds": pd.date_range("2020-01-01", periods=800, freq="D"), "y": 1.0})
    assert candidates._mstl_seasons(daily, 7) == (7, 365)
    outcome = forecast_series(
        SeriesTask("h", ds.to_numpy(), y, "h"), Params(horizon=48, model="mstl")
    )
    assert outcome.result.method == "mstl"
    assert outcome.result.backtest is not None
    # both cycles are in the forecast: it beats repeating yesterday by a wide margin
    assert outcome.result.backtest.mase is not None
    assert outcome.result.backtest.mase < 0.5


def test_auto_backtests_mstl_on_sub_daily_data_with_two_weeks_and_never_on_daily() -> None:
    hourly = pd.DataFrame({"ds": pd.date_range("2025-01-06", periods=24 * 14, freq="h"), "y": 1.0})
    assert candidates.multi_seasonal_sub_daily(hourly, 24)
    assert not candidates.multi_seasonal_sub_daily(hourly.iloc[:-1], 24)  # under two weeks
    daily = pd.DataFrame({"ds": pd.date_range("2020-01-01", periods=1095, freq="D"), "y": 1.0})
    assert not candidates.multi_seasonal_sub_daily(daily, 7)  # MSTL costs 6x AutoETS there
    n = 24 * 7 * 4
    t = np.arange(n)
    y = 50 + 10 * np.sin(2 * np.pi * t / 24) + 6 * np.sin(2 * np.pi * t / 168)
    y = y + np.random.default_rng(5).normal(0, 1, n)
    ds = pd.date_range("2025-01-06", periods=n, freq="h").to_numpy()
    outcome = forecast_series(SeriesTask("h", ds, y, "h"), Params(horizon=48))
    scored = {c.model for c in outcome.result.candidates if c.windows}
    assert "mstl" in scored, outcome.result.candidates
