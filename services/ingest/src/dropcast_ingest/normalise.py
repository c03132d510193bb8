"""Turn an uploaded file into the canonical table (series_id, ds, y).

Pure: takes a local file and parameters, returns a frame and a quality
report, raises InputError for anything the user must fix. No network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from dropcast_common.errors import InputError
from dropcast_common.params import Params
from dropcast_common.table import COLUMNS, DEFAULT_SERIES_ID
from dropcast_ingest.limits import Limits


@dataclass
class Normalised:
    """The canonical frame of one input and what was found on the way."""

    frame: pd.DataFrame
    quality: dict[str, Any] = field(default_factory=dict)

    @property
    def series_count(self) -> int:
        """Distinct series in the frame."""
        return int(self.frame["series_id"].nunique())


def normalise(path: Path, name: str, params: Params, limits: Limits | None = None) -> Normalised:
    """Read ``path`` (uploaded as ``name``) into the canonical table."""
    limits = limits or Limits()
    if path.stat().st_size == 0:
        raise InputError(
            "empty_file",
            f"{name} is empty",
            "Upload a CSV with a header row and at least two dated rows.",
        )
    raw = pd.read_csv(path)
    date_col = params.date_column or _find_date_column(raw, name)
    values = [c for c in raw.columns if c != date_col]
    if not values:
        raise InputError(
            "no_value_column",
            f"{name} has no value column",
            "Add a numeric column next to the date column.",
        )
    value_col = values[0]
    frame = pd.DataFrame(
        {
            "series_id": DEFAULT_SERIES_ID,
            "ds": pd.to_datetime(raw[date_col]),
            "y": pd.to_numeric(raw[value_col], errors="coerce").astype("float64"),
        }
    )
    frame = frame.dropna(subset=["y"]).sort_values(["series_id", "ds"]).reset_index(drop=True)
    return Normalised(frame[COLUMNS], {"rows_in": len(raw), "rows_out": len(frame)})


def _find_date_column(raw: pd.DataFrame, name: str) -> str:
    for col in raw.columns:
        if str(col).lower() in {"date", "ds", "time", "timestamp"}:
            return str(col)
    raise InputError(
        "no_date_column",
        f"{name} has no date column",
        "Name the date column 'date' or set the date_column parameter.",
    )
