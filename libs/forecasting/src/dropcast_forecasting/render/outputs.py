"""Every file a finished job writes, rendered in one place for the service and the CLI.

``<stem>.csv``, ``<stem>.png``, ``<stem>.report.json`` and, with
``output_parquet``, ``<stem>.parquet``; with ``components=true``
``<stem>.components.csv`` (``.parquet`` above :data:`COMPONENTS_CSV_MAX_ROWS`
rows), with ``anomalies`` on ``<stem>.anomalies.csv``. The report comes last so that its
timings include the chart and its ``outputs`` list names the other files.
"""

from __future__ import annotations

import posixpath
import time
from dataclasses import dataclass

import pandas as pd

from dropcast_common.params import Params
from dropcast_forecasting.pool.parallel import render_chart_offloaded
from dropcast_forecasting.render.chart import ChartOptions
from dropcast_forecasting.render.report import ForecastReport, value_label
from dropcast_forecasting.render.writer import table_to_csv, to_csv, to_parquet

# Above this many rows the components go to Parquet: a CSV of a million rows
# of a dozen floats is over 100 MB, which spreadsheets cannot open anyway.
COMPONENTS_CSV_MAX_ROWS = 200_000
_PARQUET = "application/vnd.apache.parquet"


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
    *,
    components: pd.DataFrame | None = None,
    anomalies: pd.DataFrame | None = None,
) -> list[OutputFile]:
    """The job's output files, named ``<stem>.<suffix>``, the report last.

    ``components`` and ``anomalies`` are the run's (see ForecastRun), written
    when the parameters ask for them.
    """
    files = [OutputFile(f"{stem}.csv", to_csv(forecast), "text/csv")]
    if params.output_parquet:
        files.append(OutputFile(f"{stem}.parquet", to_parquet(forecast), _PARQUET))
    if params.components and components is not None:
        if len(components) > COMPONENTS_CSV_MAX_ROWS:
            files.append(OutputFile(f"{stem}.components.parquet", to_parquet(components), _PARQUET))
        else:
            files.append(OutputFile(f"{stem}.components.csv", table_to_csv(components), "text/csv"))
    if params.anomalies != "off" and anomalies is not None:
        files.append(OutputFile(f"{stem}.anomalies.csv", table_to_csv(anomalies), "text/csv"))
    started = time.perf_counter()
    title = posixpath.basename(stem)
    options = chart_options(canonical, report, params, components, anomalies)
    png = render_chart_offloaded(canonical, forecast, title, options)
    files.append(OutputFile(f"{stem}.png", png, "image/png"))
    timings = {**report.timings, "chart_seconds": time.perf_counter() - started}
    final = report.model_copy(
        update={"timings": timings, "outputs": [f.name for f in files] + [f"{stem}.report.json"]}
    )
    files.append(OutputFile(f"{stem}.report.json", final.to_bytes(), "application/json"))
    return files


def chart_options(
    canonical: pd.DataFrame,
    report: ForecastReport,
    params: Params,
    components: pd.DataFrame | None = None,
    anomalies: pd.DataFrame | None = None,
) -> ChartOptions:
    """The chart's labels, history window and marks, from the report and the parameters."""
    frequencies = {r.series_id: r.frequency for r in report.series if r.frequency}
    ids = canonical["series_id"].unique()
    if len(ids) == 1 and len(report.series) == 1 and report.series[0].frequency:
        # The report names a lone series after its column; the table still calls it y.
        frequencies[str(ids[0])] = report.series[0].frequency
    return ChartOptions(
        value_label=value_label(report.quality),
        interval_width=params.interval_width,
        history=params.chart_history,
        frequencies=frequencies,
        anomalies=anomalies if params.anomalies != "off" else None,
        components=components if params.chart == "components" else None,
    )
