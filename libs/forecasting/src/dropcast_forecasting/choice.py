"""The rule that picks a series' model from its backtest.

Lowest mean MASE over the windows wins (mean sMAPE when a candidate's MASE
is undefined: a constant training series has no naive error to scale by).
MASE, not sMAPE, because it is defined at zero and compares series of any
level. Prophet wins a tie: within ``TIE`` of the best, it is kept, being
the model users of this product expect.
"""

from __future__ import annotations

from collections.abc import Sequence

from dropcast_forecasting.results import CandidateScore

# Relative difference within which two backtest scores are a tie.
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

    best = min(scored, key=value)
    preferred = next((s for s in scored if s.model == PREFERRED), None)
    windows = best.windows
    if (
        preferred is not None
        and preferred is not best
        and value(preferred) <= value(best) * (1 + TIE)
    ):
        return preferred.model, (
            f"prophet ties the best ({best.model}) on mean {metric.upper()} over {windows} "
            f"backtest window(s): {value(preferred):.3g} against {value(best):.3g}"
        )
    runner_up = min((s for s in scored if s is not best), key=value, default=None)
    versus = f", next {runner_up.model} {value(runner_up):.3g}" if runner_up else ""
    return best.model, (
        f"lowest mean {metric.upper()} over {windows} backtest window(s): {value(best):.3g}{versus}"
    )
