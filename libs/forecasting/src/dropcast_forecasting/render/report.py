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
from dropcast_common.table import DEFAULT_SERIES_ID
from dropcast_forecasting.explain import wanted
from dropcast_forecasting.model import versions as model_versions
from dropcast_forecasting.render.regressor_summary import (
    RegressorSummary,
    regressor_summary,
    regressor_warning,
)
from dropcast_forecasting.render.warnings import ReportWarning, forecast_warnings, input_warnings
from dropcast_forecasting.results import SeriesResult

_EXPLAINED = ("prophet", "skipped")


class Lineage(BaseModel):
    """Where the forecast came from and what produced it."""

    source: str = Field(description="The input object (gs://bucket/name) or local path.")
    generation: int | None = Field(None, description="The input object's generation.")
    job_id: str = ""
    parameters: dict[str, Any] = Field(
        description="Every parameter as used: defaults included, and what was found in the "
        "file (columns, delimiter, encoding, frequency, …) where none was given."
    )
    found_in_file: list[str] = Field(
        default_factory=list, description="The parameters whose value was found in the file."
    )
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
    engine_fallbacks: int = Field(
        0,
        description="Series whose Prophet fit the native solver did not converge on, "
        "fitted by cmdstan instead (each names why: engine_fallback).",
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
    anomalies: int | None = Field(
        None, description="History points flagged as anomalies over all series (anomalies on)."
    )
    anomalies_excluded: int = Field(
        0, description="Anomalies set to missing before the final fits (anomalies=exclude)."
    )
    unexplained: list[str] = Field(
        default_factory=list,
        description="Series whose model gave no components or no in-sample interval "
        "(their notes say why).",
    )


class ForecastReport(BaseModel):
    """``<name>.report.json``.

    Its ``warnings`` come first for a person to read: what to know before
    trusting the forecast (see :mod:`dropcast_forecasting.render.warnings`).
    """

    kind: Literal["dropcast.report"] = "dropcast.report"
    version: Literal[1] = 1
    created: str = Field(default_factory=lambda: datetime.now(UTC).isoformat())
    lineage: Lineage
    summary: Summary
    warnings: list[ReportWarning] = Field(
        default_factory=list, description="What to know before trusting the forecast."
    )
    series: list[SeriesResult]
    regressors: RegressorSummary | None = Field(
        None, description="External regressors across the file (each series' are in its record)."
    )
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
    """Assemble the report from the per-series results (of one or many shards).

    A file's only series, which ingest names ``y``, is named after its value
    column here (``orders``), as the person who wrote the file knows it.
    """
    quality = dict(quality or {})
    ordered = _named_after_column(sorted(series, key=lambda r: r.series_id), quality)
    parameters, found = resolved_parameters(params, quality)
    backtests = [r.backtest for r in ordered if r.backtest is not None]
    regressors = regressor_summary(ordered, params, quality)
    mases = [b.mase for b in backtests if b.mase is not None]
    return ForecastReport(
        lineage=Lineage(
            source=source,
            generation=generation,
            job_id=job_id,
            parameters=parameters,
            found_in_file=found,
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
            engine_fallbacks=sum(r.engine_fallback is not None for r in ordered),
            median_smape=statistics.median(b.smape for b in backtests) if backtests else None,
            median_mase=statistics.median(mases) if mases else None,
            wins=_wins(ordered),
            backtest_coverage=_coverage(ordered),
            anomalies=sum(r.anomalies or 0 for r in ordered) if params.anomalies != "off" else None,
            anomalies_excluded=sum(r.anomalies_excluded for r in ordered),
            # Only Prophet decomposes; the other models' notes say what they lack.
            unexplained=[
                r.series_id for r in ordered if wanted(params) and r.method not in _EXPLAINED
            ],
        ),
        series=ordered,
        regressors=regressors,
        quality=dict(quality or {}),
        timings=dict(timings or {}),
        outputs=list(outputs),
        warnings=[
            *input_warnings(quality),
            *forecast_warnings(ordered, params.interval_width, params.uncertainty_samples > 0),
            *regressor_warning(regressors),
        ],
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


def format_warnings(report: ForecastReport | Mapping[str, Any]) -> list[str]:
    """The report's warnings as terminal lines: ``warning [code]: message``, then its hint.

    Takes the report or its JSON (as ``dropcast submit`` downloads it).
    """
    data = report.model_dump(mode="json") if isinstance(report, ForecastReport) else report
    lines = []
    for item in data.get("warnings") or []:
        lines.append(f"warning [{item.get('code', '')}]: {item.get('message', '')}")
        if item.get("hint"):
            lines.append(f"  hint: {item['hint']}")
    return lines


def value_columns(quality: Mapping[str, Any]) -> list[str]:
    """The value column(s) ingest read, from its quality report (empty when unknown)."""
    columns = quality.get("columns")
    values = columns.get("values") if isinstance(columns, Mapping) else None
    return [str(v) for v in values] if isinstance(values, list) else []


def value_label(quality: Mapping[str, Any]) -> str | None:
    """The value axis' label: the value column's name, when every series comes from one."""
    values = value_columns(quality)
    return values[0] if len(values) == 1 else None


def resolved_parameters(
    params: Params, quality: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Every parameter as used, and the names whose value was found in the file.

    A parameter left unset (``null``) that reading settled — the columns, the
    layout, the dialect, one frequency for every series — is reported as
    settled, so the report says what the forecast was made from.
    """
    given = params.model_dump(mode="json")
    columns = _section(quality, "columns")
    dialect = _section(quality, "format")
    counts = _section(_section(quality, "frequency"), "counts")
    dates = list(columns.get("date") or [])
    found_values: dict[str, Any] = {
        "date_column": dates[0] if len(dates) == 1 else ",".join(dates) or None,
        "value_columns": columns.get("values") or None,
        "id_columns": columns.get("ids") if "ids" in columns else None,
        "layout": columns.get("layout"),
        "delimiter": dialect.get("delimiter"),
        "encoding": dialect.get("encoding"),
        "decimal": dialect.get("decimal"),
        "header": dialect.get("header"),
        "frequency": next(iter(counts)) if len(counts) == 1 else None,
    }
    date_format = str(columns.get("date_format") or "")
    if date_format in ("day/month/year", "month/day/year"):
        found_values["dayfirst"] = date_format == "day/month/year"
    found = []
    for name, value in found_values.items():
        unset = given.get(name) is None or (name == "layout" and given[name] == "auto")
        if unset and value is not None:
            given[name] = value
            found.append(name)
    return given, found


def _section(report: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """A part of the quality report, empty when absent (an older or a manifest's report)."""
    value = report.get(name)
    return value if isinstance(value, Mapping) else {}


def _named_after_column(
    series: list[SeriesResult], quality: Mapping[str, Any]
) -> list[SeriesResult]:
    label = value_label(quality)
    if len(series) != 1 or series[0].series_id != DEFAULT_SERIES_ID or not label:
        return series
    return [series[0].model_copy(update={"series_id": label})]
