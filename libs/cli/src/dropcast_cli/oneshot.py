"""``dropcast forecast``: the same normalise and forecast code, in one process."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dropcast_common import naming
from dropcast_common.errors import InputError
from dropcast_common.params import from_pairs, resolve
from dropcast_common.reports import ErrorReport
from dropcast_common.safety import safe_local_path
from dropcast_forecast.model import forecast_table
from dropcast_forecast.writer import to_csv
from dropcast_ingest.normalise import normalise


@dataclass
class OneShotResult:
    """What a one-shot run wrote."""

    ok: bool
    outputs: list[Path]
    error: ErrorReport | None = None


def run(source: Path, outdir: Path, param_pairs: list[str]) -> OneShotResult:
    """Normalise and forecast ``source`` into ``outdir``; errors become ``<stem>.error.json``."""
    outdir.mkdir(parents=True, exist_ok=True)
    stem = Path(naming.output_stem(source.name)).name
    try:
        params = resolve(from_pairs(param_pairs))
        normalised = normalise(source, source.name, params)
        forecast = forecast_table(normalised.frame, params)
    except InputError as err:
        report = ErrorReport.from_error(err, source=str(source))
        path = safe_local_path(outdir, stem, ".error.json")
        path.write_bytes(report.to_bytes())
        return OneShotResult(False, [path], report)
    name = Path(params.output_name).name if params.output_name else stem
    path = safe_local_path(outdir, name, ".csv")
    path.write_bytes(to_csv(forecast))
    return OneShotResult(True, [path])
