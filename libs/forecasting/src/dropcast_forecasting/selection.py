"""Forecast one series with the candidate its rolling-origin backtest shows best.

``model=auto`` backtests every candidate (:data:`~dropcast_forecasting.candidates.AUTO_CANDIDATES`
and their combination) on the same windows, picks one by the rule in
:mod:`dropcast_forecasting.choice`, refits it on the whole history and
calibrates its interval from its backtest errors. A model named in
``model`` is backtested alone, for its scores and its calibration. A series
too short for every candidate gets the simple forecast that fits, and the
reason.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from dropcast_common.params import Params
from dropcast_forecasting import calibration, candidates, choice, rolling
from dropcast_forecasting.candidates import AUTO_CANDIDATES, COMBINED, Candidate, Forecast
from dropcast_forecasting.fallback import fallback_forecast
from dropcast_forecasting.results import Backtest, CandidateScore
from dropcast_forecasting.warmstart import KeptChoice, history_digest

# The final fit keeps the form a backtest chose when its first origin saw this
# share of the history or more (see select).
FORM_REUSE_SHARE = 0.9


@dataclass
class Selected:
    """The chosen forecast and everything the series' result records about it."""

    model: str
    prediction: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    reason: str | None = None  # why no backtested candidate was used
    choice: str | None = None
    scores: list[CandidateScore] = field(default_factory=list)
    backtest: Backtest | None = None
    backtest_note: str | None = None
    multiplier: float | None = None
    init: Mapping[str, Any] | None = None  # Prophet's last fit, for the next upload
    init_observations: int = 0  # the values that fit saw (the first ones of the history)
    seconds: dict[str, float] = field(default_factory=dict)
    kept: KeptChoice | None = None  # the choice and its backtest, for the next upload
    backtest_age: int | None = None  # set when the choice was kept from an earlier upload


def candidates_for(params: Params) -> tuple[Candidate, ...]:
    """What ``params.model`` backtests: every candidate for ``auto``, else the one named.

    A logistic trend or country holidays are structure only Prophet has: a
    user who asks for them gets Prophet alone (still backtested, calibrated).
    """
    model = params.model
    if model == "auto" and (params.growth == "logistic" or params.holidays_country):
        return ("prophet",)
    if model == "auto":
        return (*AUTO_CANDIDATES, "combination")
    if model == "combination":
        return (*COMBINED, "combination")
    return (model,)


def select(
    history: pd.DataFrame,
    dates: pd.DatetimeIndex,
    m: int,
    params: Params,
    previous_init: Mapping[str, Any] | None = None,
    kept: tuple[KeptChoice, int] | None = None,
    previous_observations: int = 0,
) -> Selected:
    """Backtest, choose, refit and calibrate; never raises for a bad series.

    With ``kept`` (an earlier upload's choice that still describes the
    series, and its age) the backtest is not run again: only the chosen
    model is refitted, in the form it had, and calibrated as before.
    ``previous_init`` is the earlier upload's Prophet fit, of the first
    ``previous_observations`` values.
    """
    if kept is not None:
        reused = _reuse(kept[0], history, dates, m, params, previous_init, previous_observations)
        if reused is not None:
            reused.backtest_age = kept[1]
            return reused
    started = time.perf_counter()
    wanted = candidates_for(params)
    if params.model == "auto" and candidates.multi_seasonal_sub_daily(history, m):
        wanted = (*wanted, "mstl")
    windows = rolling.plan(len(history), len(dates), m, wanted)
    failures: dict[str, str] = {}
    trials = rolling.run(history, windows, m, params, failures, previous_init)
    summaries: dict[str, tuple[CandidateScore, list[Backtest], list[np.ndarray]]] = {
        t.candidate: rolling.summarise(t, history, windows, m, params.interval_width)
        for t in trials
    }
    scores = [summaries[c][0] for c in wanted if c in summaries]
    scores += [CandidateScore(model=c, note=windows.note) for c in wanted if c not in summaries]
    decided = _decide(params.model, scores)
    backtest_seconds = time.perf_counter() - started

    started = time.perf_counter()
    if decided is None:
        selected = _simplest(history, dates, m, params, windows.note or "no candidate fitted")
        selected.scores = scores
    else:
        winner, why = decided
        inits: dict[str, Any] = {
            t.candidate: t.init for t in trials if t.failure is None and t.windows
        }
        # Under model=auto, on long series, the form each statsforecast
        # candidate chose at its first origin, which then saw nearly all the
        # values the final fit sees (on short ones the held-out windows are a
        # large share of the history, and choosing the form again pays: M3's
        # yearly series). A model asked for by name is that library's own
        # call, its full search on the whole history.
        reuse_forms = (
            params.model == "auto"
            and bool(windows.origins)
            and windows.origins[0] >= FORM_REUSE_SHARE * len(history)
        )
        forms: dict[str, Any] = {
            t.candidate: t.windows[0].fitted
            for t in trials
            if reuse_forms and t.failure is None and t.windows and t.windows[0].fitted is not None
        }
        try:
            final, init, final_forms = _final(winner, history, dates, m, params, inits, forms)
        except Exception as exc:  # the backtest fitted, the whole history did not
            selected = _simplest(history, dates, m, params, f"{winner} failed: {exc}")
            selected.scores = scores
        else:
            _, backtests, per_window = summaries[winner]
            q = calibration.multiplier(np.concatenate(per_window), params.interval_width)
            if final.own_interval:
                # Calibration only widens a model's own interval: the chosen
                # model's backtest errors are its luckiest (it was chosen on
                # them), so narrowing on them undercovers (benchmark: 75 %
                # against 81 % for an 80 % interval).
                q = max(1.0, q if q is not None else 1.0)
            spread = final.spread * (q if q is not None else 1.0)
            selected = Selected(
                winner,
                final.prediction,
                final.prediction - spread,
                final.prediction + spread,
                choice=why,
                scores=scores,
                backtest=rolling.mean_backtest(backtests).model_copy(
                    # The series' backtest reports the chosen model's calibrated
                    # coverage; without intervals there is none to report.
                    update={
                        "coverage": summaries[winner][0].coverage
                        if params.uncertainty_samples
                        else None
                    }
                ),
                backtest_note=windows.note,
                multiplier=q,
                init=init,
            )
            selected.kept = KeptChoice(
                model=winner,
                choice=why,
                scores=scores,
                backtest=selected.backtest,
                backtest_note=windows.note,
                multiplier=q,
                forms=final_forms,
                observations=len(history),
                digest=history_digest(history["ds"].to_numpy(), history["y"].to_numpy()),
            )
    if selected.init is not None:
        selected.init_observations = len(history)
    else:
        # Prophet not refitted: its last backtest window still gives the next
        # upload a start (a fit of the first values of the same history).
        prophet = next((t for t in trials if t.candidate == "prophet" and t.init), None)
        if prophet is not None:
            selected.init = prophet.init
            selected.init_observations = windows.origins[-1]
    if params.uncertainty_samples == 0:  # intervals off, as with Prophet
        selected.lower = selected.upper = np.full(len(dates), np.nan)
    selected.seconds = {"backtest": backtest_seconds, "fit": time.perf_counter() - started}
    return selected


def _reuse(
    kept: KeptChoice,
    history: pd.DataFrame,
    dates: pd.DatetimeIndex,
    m: int,
    params: Params,
    previous_init: Mapping[str, Any] | None,
    previous_observations: int,
) -> Selected | None:
    """The kept choice refitted on the grown history, or None when that refit fails."""
    started = time.perf_counter()
    # Members of a combination are the forms kept; Prophet starts where it ended.
    inits: dict[str, Any] = dict.fromkeys(kept.forms)
    if kept.model == "prophet":
        inits["prophet"] = previous_init
    forms = {member: SimpleNamespace(model_=form) for member, form in kept.forms.items()}
    try:
        final, init, _ = _final(kept.model, history, dates, m, params, inits, forms)
    except Exception:  # refit from scratch: a fresh backtest decides again
        return None
    q = kept.multiplier
    spread = final.spread * (q if q is not None else 1.0)
    selected = Selected(
        kept.model,
        final.prediction,
        final.prediction - spread,
        final.prediction + spread,
        choice=kept.choice,
        scores=list(kept.scores),
        backtest=kept.backtest,
        backtest_note=kept.backtest_note,
        multiplier=q,
        init=init,
        kept=kept,
    )
    selected.init_observations = len(history)
    if init is None and previous_init is not None:  # Prophet not refitted: its start carries on
        selected.init, selected.init_observations = previous_init, previous_observations
    if params.uncertainty_samples == 0:
        selected.lower = selected.upper = np.full(len(dates), np.nan)
    selected.seconds = {"backtest": 0.0, "fit": time.perf_counter() - started}
    return selected


def _decide(model: str, scores: list[CandidateScore]) -> tuple[str, str] | None:
    if model == "auto":
        return choice.choose(scores)
    named = next((s for s in scores if s.model == model and s.windows > 0), None)
    if named is None:
        return None
    return model, f"model={model} was asked for"


def _final(
    winner: str,
    history: pd.DataFrame,
    dates: pd.DatetimeIndex,
    m: int,
    params: Params,
    inits: Mapping[str, Any],
    forms: Mapping[str, Any],
) -> tuple[Forecast, Mapping[str, Any] | None, dict[str, dict[str, str]]]:
    """The winner refitted on the whole history, Prophet's parameters and the forms fitted.

    Prophet starts warm from its last window; a statsforecast model keeps
    the form its backtest chose and estimates its parameters anew.
    """
    members: tuple[Candidate, ...] = COMBINED if winner == "combination" else (winner,)  # type: ignore[assignment]
    fitted: dict[str, Forecast] = {}
    for member in members:
        if winner == "combination" and member not in inits:
            continue  # a member that failed its backtest is not in the combination
        fitted[member] = candidates.forecast(
            member, history, dates, m, params, init=inits.get(member), like=forms.get(member)
        )
    final = candidates.combine(list(fitted.values())) if winner == "combination" else fitted[winner]
    prophet = fitted.get("prophet")
    final_forms: dict[str, dict[str, str]] = {
        member: candidates.form_of(f.fitted)
        for member, f in fitted.items()
        if member in candidates.SEARCHED and f.fitted is not None
    }
    return final, prophet.init if prophet is not None else None, final_forms


def _simplest(
    history: pd.DataFrame, dates: pd.DatetimeIndex, m: int, params: Params, why: str
) -> Selected:
    """Seasonal naive or the mean, for a series no candidate could be backtested on."""
    y = history["y"].to_numpy(dtype="float64")
    fb = fallback_forecast(y, m, len(dates), params.interval_width, params.uncertainty_samples > 0)
    return Selected(fb.method, fb.prediction, fb.lower, fb.upper, reason=why, backtest_note=why)
