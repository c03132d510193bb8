"""``dropcast forecast``: the same normalise and forecast code, in one process."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from dropcast_common import holidays, naming
from dropcast_common.errors import InputError
from dropcast_common.params import Params, from_pairs, resolve
from dropcast_common.reports import ErrorReport
from dropcast_common.safety import safe_local_path
from dropcast_forecasting.engine import run_forecast
from dropcast_forecasting.render.outputs import render_outputs
from dropcast_forecasting.render.report import build_report, format_warnings
from dropcast_tables.normalise import normalise


@dataclass
class OneShotResult:
    """What a one-shot run wrote."""

    ok: bool
    outputs: list[Path]
    error: ErrorReport | None = None

    @property
    def warnings(self) -> list[str]:
        """The written report's warnings, as lines for the terminal (none without a report)."""
        reports = [p for p in self.outputs if p.name.endswith(".report.json")]
        return format_warnings(json.loads(reports[0].read_bytes())) if reports else []


def with_local_holidays(params: Params, source: Path) -> Params:
    """``params`` with a holidays table named by path replaced by its rows.

    A relative path is relative to the working directory, then to the input's folder.
    """
    if not isinstance(params.holidays, str):
        return params
    named = Path(params.holidays).expanduser()
    path = next((p for p in (named, source.parent / named) if p.is_file()), None)
    if path is None:
        raise InputError(
            holidays.CODE,
            f"the holidays table {params.holidays} is not a file",
            "Give the path of a CSV with the columns name,date[,lower_window,upper_window,series] "
            "(relative to this directory or to the input's).",
            {"source": params.holidays},
        )
    rows = holidays.parse_csv(path.read_bytes(), str(path))
    return params.model_copy(update={"holidays": rows})


def run(source: Path, outdir: Path, param_pairs: list[str]) -> OneShotResult:
    """Forecast ``source`` into ``outdir``: ``<stem>.csv``, ``<stem>.png``, ``<stem>.report.json``.

    Errors become ``<stem>.error.json``, as the service writes them; a
    success removes the error report an earlier run left, as the service
    does, so the folder never holds a forecast and a rejection of one file.
    """
    outdir.mkdir(parents=True, exist_ok=True)
    stem = Path(naming.output_stem(source.name)).name
    try:
        params = with_local_holidays(resolve(from_pairs(param_pairs)), source)
        name = Path(params.output_name).name if params.output_name else stem
        if safe_local_path(outdir, f"{name}.csv").resolve() == source.resolve():
            raise InputError(
                "output_overwrites_input",
                f"the forecast {outdir / (name + '.csv')} would overwrite the input {source}",
                "Choose another output directory with -o DIR (the default is ./forecasts).",
                {"input": str(source), "output_dir": str(outdir)},
            )
        started = time.perf_counter()
        normalised = normalise(source, source.name, params)
        normalise_seconds = time.perf_counter() - started
        run_ = run_forecast(normalised.frame, params, frequencies=normalised.frequencies)
    except InputError as err:
        rejected = ErrorReport.from_error(err, source=str(source))
        path = safe_local_path(outdir, f"{stem}.error.json")
        path.write_bytes(rejected.to_bytes())
        return OneShotResult(False, [path], rejected)
    report = build_report(
        series=run_.series,
        params=params,
        source=str(source),
        quality=normalised.quality,
        timings={"normalise_seconds": normalise_seconds, **run_.timings},
    )
    written = []
    outputs = render_outputs(
        name,
        normalised.frame,
        run_.forecast,
        report,
        params,
        components=run_.components,
        anomalies=run_.anomalies,
    )
    for output in outputs:
        path = safe_local_path(outdir, output.name)
        path.write_bytes(output.data)
        written.append(path)
    for stale in {f"{stem}.error.json", f"{name}.error.json"}:
        safe_local_path(outdir, stale).unlink(missing_ok=True)
    return OneShotResult(True, written)
