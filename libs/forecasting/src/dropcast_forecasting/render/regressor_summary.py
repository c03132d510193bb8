"""The report's ``regressors`` section: what the external regressors did, file-wide.

Each series' own coefficients are in its record (``series[].regressors``);
this says which regressors and mode were used, where the horizon came from,
which models were candidates and which were left out because they take no
regressors, and which series' forecasts came from a model that used none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field

from dropcast_common.params import Params
from dropcast_forecasting.candidates import AUTO_CANDIDATES
from dropcast_forecasting.render.warnings import ReportWarning
from dropcast_forecasting.results import SeriesResult
from dropcast_forecasting.selection import candidates_for

# Series listed by name in a warning; the regressors section lists every one.
_LISTED = 20
_NO_REGRESSORS = "takes no external regressors"
_NOT_MULTIPLICATIVE = "adds exogenous regressors; it can't multiply the trend by them"


class RegressorSummary(BaseModel):
    """External regressors across the file."""

    names: list[str]
    mode: str = Field(description="additive or multiplicative (regressor_mode).")
    horizon_from: str | None = Field(
        None, description="'parameter' (horizon) or 'future rows' (their count per series)."
    )
    candidates: list[str] = Field(description="The models backtested for each series.")
    excluded: dict[str, str] = Field(
        default_factory=dict,
        description="Models model=auto would otherwise backtest, left out, and why.",
    )
    without_regressors: dict[str, str] = Field(
        default_factory=dict,
        description="Series whose forecast used no regressor (a fallback or a skip), and why.",
    )


def regressor_summary(
    series: Sequence[SeriesResult], params: Params, quality: Mapping[str, Any]
) -> RegressorSummary | None:
    """The section, or None for a file forecast without regressors."""
    names = list(params.regressors or ())
    if not names:
        return None
    wanted = list(candidates_for(params))
    excluded: dict[str, str] = {}
    if params.model == "auto":
        for model in (*AUTO_CANDIDATES, "arima", "combination"):
            if model not in wanted:
                additive_only = model == "arima" and params.regressor_mode == "multiplicative"
                excluded[model] = _NOT_MULTIPLICATIVE if additive_only else _NO_REGRESSORS
    found = quality.get("regressors")
    horizon_from = found.get("horizon_from") if isinstance(found, Mapping) else None
    return RegressorSummary(
        names=names,
        mode=params.regressor_mode,
        horizon_from=horizon_from,
        candidates=wanted,
        excluded=excluded,
        without_regressors={
            r.series_id: r.reason or f"{r.method} gave no coefficients"
            for r in series
            if not r.regressors
        },
    )


def regressor_warning(summary: RegressorSummary | None) -> list[ReportWarning]:
    """``regressors_unused``: series whose forecast had to do without the regressors."""
    if summary is None or not summary.without_regressors:
        return []
    names = list(summary.without_regressors)
    first = names[0]
    return [
        ReportWarning(
            code="regressors_unused",
            message=f"{len(names)} series' forecast(s) use none of the regressors "
            f"{', '.join(summary.names)}: {', '.join(names[:5])}"
            f"{' …' if len(names) > 5 else ''} ({first}: {summary.without_regressors[first]}).",
            hint="Those series are too short for (or failed) every model that takes "
            "regressors; give them more history, or read their forecast as one without them.",
            count=len(names),
            series=names[:_LISTED],
        )
    ]
