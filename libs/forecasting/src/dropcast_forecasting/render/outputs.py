"""Every file a finished job writes, rendered in one place for the service and the CLI.

``<stem>.csv``, ``<stem>.png``, ``<stem>.report.json`` and, with
``output_parquet``, ``<stem>.parquet``. The report comes last so that its
timings include the chart and its ``outputs`` list names the other files.
"""

from __future__ import annotations

import posixpath
import time
from dataclasses import dataclass

import pandas as pd

from dropcast_common.params import Params
from dropcast_forecasting.pool.parallel import render_chart_offloaded
from dropcast_forecasting.render.report import ForecastReport
from dropcast_forecasting.render.writer import to_csv, to_parquet


@dataclass(frozen=True)
class OutputFile:
    """One object to write: its name (the stem plus a suffix), bytes and content type."""

    name: str
    data: bytes
    content_type: str


def render_outputs(
    stem: str,
    canonical: pd.DataFrame,
    forecast: pd.DataFrame,
    report: ForecastReport,
    params: Params,
) -> list[OutputFile]:
    """The job's output files, named ``<stem>.<suffix>``, the report last."""
    files = [OutputFile(f"{stem}.csv", to_csv(forecast), "text/csv")]
    if params.output_parquet:
        files.append(
            OutputFile(f"{stem}.parquet", to_parquet(forecast), "application/vnd.apache.parquet")
        )
    started = time.perf_counter()
    title = posixpath.basename(stem)
    files.append(
        OutputFile(f"{stem}.png", render_chart_offloaded(canonical, forecast, title), "image/png")
    )
    timings = {**report.timings, "chart_seconds": time.perf_counter() - started}
    final = report.model_copy(
        update={"timings": timings, "outputs": [f.name for f in files] + [f"{stem}.report.json"]}
    )
    files.append(OutputFile(f"{stem}.report.json", final.to_bytes(), "application/json"))
    return files
