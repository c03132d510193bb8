"""The ``<name>.report.json``: where a forecast came from and how far to trust it.

Lineage (input object and generation, job id, parameters, versions of
dropcast, Prophet and cmdstan), one record per series (the model used and
why it was chosen, every candidate's backtest scores, fallback or skip
reason, fit times, backtest metrics), the ingest quality report as ingest
wrote it, and timings. The summary counts how often each model won.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Literal

from pydantic import BaseModel, Field

from dropcast_common.params import Params
from dropcast_forecasting.model import versions as model_versions
from dropcast_forecasting.results import SeriesResult


class Lineage(BaseModel):
    """Where the forecast came from and what produced it."""

    source: str = Field(description="The input object (gs://bucket/name) or local path.")
    generation: int | None = Field(None, description="The input object's generation.")
    job_id: str = ""
    parameters: dict[str, Any] = Field(description="Every parameter, defaults included.")
    versions: dict[str, str] = Field(
        description="dropcast, Prophet, cmdstan, cmdstanpy, statsforecast."
    )


class Summary(BaseModel):
    """Counts per outcome and the typical backtest accuracy."""

    series: int
    prophet: int
    fallback: int
    skipped: int
    backtested: int
    warm_started: int = Field(
        0, description="Series whose fit started from the previous upload's parameters."
    )
    backtests_kept: int = Field(
        0, description="Backtests kept from an earlier upload of the same object."
    )
    median_smape: float | None = Field(None, description="Median sMAPE (%) over backtests.")
    median_mase: float | None = Field(None, description="Median MASE over backtests.")
    wins: dict[str, int] = Field(
        default_factory=dict, description="Series per model the forecast came from."
    )
    backtest_coverage: float | None = Field(
        None,
        description="Mean held-out coverage of the chosen models' calibrated intervals "
        "on their backtest windows (series with two windows or more).",
    )


class ForecastReport(BaseModel):
    """``<name>.report.json``."""

    kind: Literal["dropcast.report"] = "dropcast.report"
    version: Literal[1] = 1
    created: str = Field(default_factory=lambda: datetime.now(UTC).isoformat())
    lineage: Lineage
    summary: Summary
    series: list[SeriesResult]
    quality: dict[str, Any] = Field(default_factory=dict, description="Ingest's quality report.")
    timings: dict[str, float] = Field(default_factory=dict, description="Seconds per stage.")
    outputs: list[str] = Field(default_factory=list, description="Objects written with it.")

    def to_bytes(self) -> bytes:
        """Pretty JSON, as users open it in a browser or editor."""
        return self.model_dump_json(indent=2).encode()


def build_report(
    *,
    series: Sequence[SeriesResult],
    params: Params,
    source: str,
    generation: int | None = None,
    job_id: str = "",
    quality: Mapping[str, Any] | None = None,
    timings: Mapping[str, float] | None = None,
    outputs: Sequence[str] = (),
) -> ForecastReport:
    """Assemble the report from the per-series results (of one or many shards)."""
    ordered = sorted(series, key=lambda r: r.series_id)
    backtests = [r.backtest for r in ordered if r.backtest is not None]
    mases = [b.mase for b in backtests if b.mase is not None]
    return ForecastReport(
        lineage=Lineage(
            source=source,
            generation=generation,
            job_id=job_id,
            parameters=params.model_dump(mode="json"),
            versions={
                "dropcast": _dropcast_version(),
                **model_versions(),
                "statsforecast": version("statsforecast"),
            },
        ),
        summary=Summary(
            series=len(ordered),
            prophet=sum(r.method == "prophet" for r in ordered),
            # A fallback is a simple forecast that had a reason (too short, a
            # model failed), not a seasonal naive that won its backtest.
            fallback=sum(
                r.method in ("seasonal_naive", "mean") and r.reason is not None for r in ordered
            ),
            skipped=sum(r.method == "skipped" for r in ordered),
            backtested=len(backtests),
            warm_started=sum(r.warm_start for r in ordered),
            backtests_kept=sum(r.backtest_age is not None for r in ordered),
            median_smape=statistics.median(b.smape for b in backtests) if backtests else None,
            median_mase=statistics.median(mases) if mases else None,
            wins=_wins(ordered),
            backtest_coverage=_coverage(ordered),
        ),
        series=ordered,
        quality=dict(quality or {}),
        timings=dict(timings or {}),
        outputs=list(outputs),
    )


def _wins(results: Sequence[SeriesResult]) -> dict[str, int]:
    wins: dict[str, int] = {}
    for r in results:
        if r.method != "skipped":
            wins[r.method] = wins.get(r.method, 0) + 1
    return dict(sorted(wins.items()))


def _coverage(results: Sequence[SeriesResult]) -> float | None:
    covered = [
        c.coverage
        for r in results
        for c in r.candidates
        if c.model == r.method and c.coverage is not None
    ]
    return statistics.fmean(covered) if covered else None


def _dropcast_version() -> str:
    try:
        return version("dropcast-forecast")
    except PackageNotFoundError:
        return "unknown"
