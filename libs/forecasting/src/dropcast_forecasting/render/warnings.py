"""The report's ``warnings``: what a person should know before trusting a forecast.

Each warning is one kind of problem, with the series it concerns. From the
forecast: a model that did worse than seasonal naive in its backtest, an
interval that did not cover what it claims, series too short to forecast
or to backtest. From reading the file (ingest's quality report passes
them through under ``warnings``): a silent timezone conversion, an
encoding guessed between close code pages, and whatever else ingest flags.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field

from dropcast_forecasting.results import SeriesResult

# Series named in one warning; the count says how many there are in all.
MAX_LISTED = 10
# An interval is badly calibrated when its backtest coverage is further from
# the width asked for than this many binomial standard deviations (the
# sampling noise of a holdout of that size), and than the slack: for one
# series, or for all backtests pooled.
COVERAGE_SIGMAS = 3.0
COVERAGE_SLACK = 0.1
POOLED_SLACK = 0.05
# Ingest's sentences are guesses made while reading the file.
READING_HINT = (
    "If the guess is wrong, set the matching parameter (encoding, dayfirst, date_column, …; "
    "see docs/parameters.md) and upload again."
)


class ReportWarning(BaseModel):
    """One kind of problem: a stable ``code``, a sentence for a person, the series concerned."""

    code: str = Field(description="Stable, machine-readable kind of warning.")
    message: str = Field(description="What happened and what it means, for a person.")
    hint: str = Field("", description="What to do about it.")
    count: int = Field(0, description="Series concerned (0: the whole file).")
    series: list[str] = Field(default_factory=list, description="The first series concerned.")
    details: dict[str, Any] = Field(default_factory=dict)


def forecast_warnings(
    series: Sequence[SeriesResult], interval_width: float, intervals: bool
) -> list[ReportWarning]:
    """Warnings from the per-series results: accuracy, calibration, length."""
    found = [
        _worse_than_naive(series),
        _miscalibrated(series, interval_width) if intervals else None,
        _skipped(series),
        _not_backtested(series),
    ]
    return [w for w in found if w is not None]


def input_warnings(quality: Mapping[str, Any]) -> list[ReportWarning]:
    """Warnings ingest recorded while reading: its quality report's ``warnings``.

    Each is a sentence (code ``reading``) or an object with at least a
    ``code`` and a ``message``. A manifest's quality report holds one quality
    report per input; their warnings are all passed on. A malformed entry is
    ignored rather than failing the report.
    """
    out = []
    for report in _input_reports(quality):
        out += [_from_ingest(item) for item in report.get("warnings") or []]
        out += _too_short_at_ingest(report)
    return [w for w in out if w is not None]


def _input_reports(quality: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if "columns" in quality or "warnings" in quality or "series" in quality:
        return [quality]
    return [v for v in quality.values() if isinstance(v, Mapping)]


def _from_ingest(item: Any) -> ReportWarning | None:
    if isinstance(item, str) and item.strip():
        return ReportWarning(code="reading", message=item.strip(), hint=READING_HINT)
    if not isinstance(item, Mapping) or not item.get("code") or not item.get("message"):
        return None
    known = {"code", "message", "hint", "count", "series", "details"}
    details = dict(item.get("details") or {})
    details.update({k: v for k, v in item.items() if k not in known})
    return ReportWarning(
        code=str(item["code"]),
        message=str(item["message"]),
        hint=str(item.get("hint") or ""),
        count=int(item.get("count") or 0),
        series=[str(s) for s in item.get("series") or []][:MAX_LISTED],
        details=details,
    )


def _too_short_at_ingest(report: Mapping[str, Any]) -> list[ReportWarning]:
    short = (report.get("series") or {}).get("too_short") or {}
    count = int(short.get("count") or 0)
    if not count:
        return []
    names = [str(s) for s in short.get("series") or []][:MAX_LISTED]
    return [
        ReportWarning(
            code="series_too_short",
            message=f"{_series_count(count)} left out, too few values to forecast: "
            f"{_listed(names, count)}.",
            hint="Give each series more history, or check that the id and date columns "
            "were read as you meant (see the quality report's columns).",
            count=count,
            series=names,
        )
    ]


def _worse_than_naive(series: Sequence[SeriesResult]) -> ReportWarning | None:
    """A model (other than seasonal naive itself) that lost to seasonal naive in its backtest.

    Lost: MASE above 1 (its holdout error exceeds seasonal naive's in-sample
    error), or a larger error than seasonal naive's forecast of the same holdout.
    """
    losers = []
    for result in series:
        bt = result.backtest
        if bt is None or result.method == "seasonal_naive":
            continue
        if (bt.mase is not None and bt.mase > 1) or bt.mae > bt.naive_mae:
            losers.append(result)
    if not losers:
        return None
    names = [r.series_id for r in losers]
    worst = max(losers, key=lambda r: _mase(r))
    bt = worst.backtest
    assert bt is not None
    mase = "n/a" if bt.mase is None else f"{bt.mase:.2f}"
    return ReportWarning(
        code="worse_than_seasonal_naive",
        message=f"{_series_count(len(losers), of=len(series))} forecast worse than seasonal "
        f"naive in the backtest (MASE above 1, or a larger holdout error than seasonal "
        f"naive): {_listed(names, len(losers))}. Worst: {worst.series_id}, MASE {mase}, "
        f"holdout MAE {bt.mae:.4g} against seasonal naive's {bt.naive_mae:.4g}.",
        hint="Treat these forecasts with care: repeating the last season did as well. "
        "More history, or the right frequency, often helps.",
        count=len(losers),
        series=names[:MAX_LISTED],
        details={"worst_mase": bt.mase, "worst_series": worst.series_id},
    )


def _mase(result: SeriesResult) -> float:
    bt = result.backtest
    if bt is None:
        return -math.inf
    if bt.mase is not None:
        return bt.mase
    return bt.mae / bt.naive_mae if bt.naive_mae > 0 else math.inf


def _miscalibrated(series: Sequence[SeriesResult], width: float) -> ReportWarning | None:
    """Intervals whose backtest coverage is far from the width asked for.

    Far: over all backtests together, or for one series, further than
    COVERAGE_SIGMAS binomial standard deviations (the noise of holdouts that
    size) and than the slack. Three deviations, not two: with hundreds of
    series, two would flag one in twenty by chance alone.
    """
    scored = [
        (r, r.backtest.coverage, r.backtest.holdout)
        for r in series
        if r.backtest is not None and r.backtest.coverage is not None and r.backtest.holdout > 0
    ]
    if not scored:
        return None
    values = sum(h for _, _, h in scored)
    overall = sum(c * h for _, c, h in scored) / values
    overall_off = _far(overall, width, values, POOLED_SLACK)
    off = [(r, c) for r, c, h in scored if _far(c, width, h, COVERAGE_SLACK)]
    if not overall_off and not off:
        return None
    names = [r.series_id for r, _ in off]
    low = sum(c < width for _, c in off)
    message = (
        f"Prediction intervals are badly calibrated: the {interval_name(width)} covered "
        f"{overall:.0%} of the values held out in {len(scored)} backtest(s)"
    )
    if off:
        worst, coverage = max(off, key=lambda item: abs(item[1] - width))
        message += (
            f"; {_series_count(len(off), of=len(series))} far off ({low} too narrow, "
            f"{len(off) - low} too wide): {_listed(names, len(off))}; worst "
            f"{worst.series_id}, {coverage:.0%} covered"
        )
    return ReportWarning(
        code="intervals_miscalibrated",
        message=message + ".",
        hint=f"Read the band as a rough range, not as a {interval_name(width)}.",
        count=len(off),
        series=names[:MAX_LISTED],
        details={
            "interval_width": width,
            "coverage": round(overall, 4),
            "too_narrow": low,
            "too_wide": len(off) - low,
        },
    )


def _far(coverage: float, width: float, values: int, slack: float) -> bool:
    noise = math.sqrt(width * (1 - width) / values)
    return abs(coverage - width) > max(slack, COVERAGE_SIGMAS * noise)


def interval_name(width: float) -> str:
    """``80 % interval``: how the chart's legend and the warnings name the band."""
    return f"{round(width * 100, 1):g} % interval"


def _skipped(series: Sequence[SeriesResult]) -> ReportWarning | None:
    skipped = [r for r in series if r.method == "skipped"]
    if not skipped:
        return None
    names = [r.series_id for r in skipped]
    reason = skipped[0].reason or "no reason recorded"
    return ReportWarning(
        code="series_skipped",
        message=f"{_series_count(len(skipped), of=len(series))} got no forecast: "
        f"{_listed(names, len(skipped))} ({names[0]}: {reason}).",
        hint="Each series' record in the report says why.",
        count=len(skipped),
        series=names[:MAX_LISTED],
    )


def _not_backtested(series: Sequence[SeriesResult]) -> ReportWarning | None:
    # No backtest at all, or (model choice) one on windows shorter than the
    # horizon: either way the accuracy a whole horizon ahead is not known.
    short = [
        r
        for r in series
        if r.method != "skipped"
        and "too short" in (r.backtest_note or "")
        and (r.backtest is None or "hold out a horizon" in (r.backtest_note or ""))
    ]
    if not short:
        return None
    names = [r.series_id for r in short]
    return ReportWarning(
        code="series_too_short",
        message=f"{_series_count(len(short), of=len(series))} too short to backtest a whole "
        f"horizon, accuracy unknown that far ahead: {_listed(names, len(short))} "
        f"({names[0]}: {short[0].backtest_note}).",
        hint="A backtest holds out one horizon: more history or a shorter horizon gives one.",
        count=len(short),
        series=names[:MAX_LISTED],
    )


def _series_count(count: int, of: int | None = None) -> str:
    """``2 of 12 series``, ``3 series``, or ``the series`` for a file's only one."""
    if of == 1 and count == 1:
        return "the series"
    return f"{count} of {of} series" if of is not None else f"{count} series"


def _listed(names: Iterable[str], count: int) -> str:
    shown = list(names)[:MAX_LISTED]
    more = count - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")
