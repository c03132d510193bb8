"""The rule that picks a series' model from its backtest.

A backtest of a few windows is a noisy judge: on the M3 benchmark, simply
taking the lowest backtest score lost to AutoETS alone (mean MASE 1.81
against 1.68), because a candidate that is worse on the whole often wins
a short backtest by luck. So the rule starts from the model the benchmark
supports, and a challenger must beat it clearly on the same windows:

1. AutoETS is the incumbent (the best single model on the benchmark).
2. The combination (mean of AutoETS and AutoTheta) replaces it when its
   mean backtest MASE is at least ``COMBINATION_MARGIN`` lower.
3. Any other candidate (Prophet, AutoTheta, seasonal naive) replaces it
   only when at least ``SINGLE_MARGIN`` lower: each is worse than AutoETS
   on the benchmark as a whole.
4. Among challengers that clear their margin the lowest score wins, and
   Prophet wins a tie (within ``TIE``): it is the model this product is
   built around.

Scores are mean MASE over the windows (mean sMAPE when a candidate's MASE
is undefined: a constant training series has no naive error to scale by).
Without AutoETS among the scored candidates (a named set, or a failure),
the lowest score wins.
"""

from __future__ import annotations

from collections.abc import Sequence

from dropcast_forecasting.results import CandidateScore

INCUMBENT = "ets"
COMBINATION_MARGIN = 0.10
SINGLE_MARGIN = 0.50
TIE = 0.01
PREFERRED = "prophet"


def choose(scores: Sequence[CandidateScore]) -> tuple[str, str] | None:
    """The winner among scored candidates and why, or None when none was scored."""
    scored = [s for s in scores if s.windows > 0]
    if not scored:
        return None
    metric = "mase" if all(s.mase is not None for s in scored) else "smape"

    def value(s: CandidateScore) -> float:
        x = s.mase if metric == "mase" else s.smape
        return float("inf") if x is None else x

    windows = scored[0].windows
    label = f"mean {metric.upper()} over {windows} backtest window(s)"
    incumbent = next((s for s in scored if s.model == INCUMBENT), None)
    if incumbent is None:
        best = min(scored, key=value)
        return best.model, f"lowest {label}: {value(best):.3g}"

    def margin(s: CandidateScore) -> float:
        return COMBINATION_MARGIN if s.model == "combination" else SINGLE_MARGIN

    challengers = [
        s for s in scored
        if s is not incumbent and value(s) <= value(incumbent) * (1 - margin(s))
    ]  # fmt: skip
    if not challengers:
        return incumbent.model, (
            f"{incumbent.model} {value(incumbent):.3g} on {label}; no other candidate "
            f"beat it by the margin ({COMBINATION_MARGIN:.0%} for the combination, "
            f"{SINGLE_MARGIN:.0%} for a single model)"
        )
    best = min(challengers, key=value)
    preferred = next((s for s in challengers if s.model == PREFERRED), None)
    if preferred is not None and value(preferred) <= value(best) * (1 + TIE):
        best = preferred
    return best.model, (
        f"{best.model} {value(best):.3g} against {incumbent.model} {value(incumbent):.3g} "
        f"on {label}: better by more than the {margin(best):.0%} margin"
    )
