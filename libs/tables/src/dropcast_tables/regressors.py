"""External regressors (``regressors=price,promo``): checked where the file's lines are known.

A regressor is a column of the same file, read beside the values. Its
future values come as rows past each series' last value, with the value
cell empty (BigQuery ML's ARIMA_PLUS_XREG takes them the same way). The
rule for the horizon: the ``horizon`` parameter when it is given, else
the number of future rows each series has. Every row of the history (an
empty value inside it included) and every step of the horizon must hold
every regressor; a regressor with one value over a series' history can't
be estimated. Each failure is its own error code, with the rows named.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from dropcast_common import frequency
from dropcast_common.errors import InputError
from dropcast_common.params import Params

# Empty regressor cells whose line is remembered for the error (a bad file has few or many).
_MAX_REMEMBERED = 10_000
_LISTED = 5
# The row-number column of a join (a name no file column is checked against, hence odd).
_ROW = "__dropcast_row__"


@dataclass
class RegressorLog:
    """Where empty regressor cells are: (series, date) → the file's line or data row."""

    places: dict[tuple[str, np.datetime64], str] = field(default_factory=dict)

    def add(self, series: str, stamp: np.datetime64, place: str) -> None:
        """Remember one empty cell's place (the first few thousand only)."""
        if len(self.places) < _MAX_REMEMBERED:
            self.places.setdefault((series, stamp), place)

    def place(self, series: str, stamp: Any) -> str | None:
        """The line of an empty cell, if it was remembered."""
        return self.places.get((series, np.datetime64(pd.Timestamp(stamp), "ns")))


def future_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows past their series' last value: the regressors' future values (any row order)."""
    ids = frame["series_id"]
    if isinstance(ids.dtype, pd.CategoricalDtype):
        codes = ids.cat.codes.to_numpy().astype("int64")
        count = len(ids.cat.categories)
    else:
        codes_, uniques = pd.factorize(ids)
        codes, count = codes_.astype("int64"), len(uniques)
    stamps = frame["ds"].to_numpy(dtype="datetime64[ns]").view("int64")
    valued = ~np.isnan(frame["y"].to_numpy(dtype="float64", na_value=np.nan))
    last = np.full(max(count, 1), np.iinfo("int64").min)
    np.maximum.at(last, codes[valued], stamps[valued])
    future: np.ndarray = stamps > last[codes]
    return future


def check_history(
    frame: pd.DataFrame, regressors: Sequence[str], name: str, log_: RegressorLog
) -> None:
    """Refuse history rows (an empty value inside the history included) without a regressor."""
    history = ~future_rows(frame)
    for column in regressors:
        empty = history & np.isnan(frame[column].to_numpy(dtype="float64"))
        if not empty.any():
            continue
        rows = frame.loc[empty, ["series_id", "ds"]].head(_LISTED)
        listed = _rows(rows, log_)
        raise InputError(
            "missing_regressor_values",
            f"{name} has {int(empty.sum())} history row(s) without a value of regressor "
            f"{column!r}: {', '.join(r['where'] for r in listed)}",
            f"Give every row up to each series' last value a {column} value (rows with an "
            "empty value still need it), or leave the column out of regressors.",
            {"column": column, "count": int(empty.sum()), "rows": listed},
        )


def check_future(
    frame: pd.DataFrame,
    params: Params,
    frequencies: dict[str, str],
    name: str,
    log_: RegressorLog,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Apply the horizon rule; refuse missing future values and constant regressors.

    Returns the frame with each series' future rows cut to its horizon, and
    what the quality report says about the regressors.
    """
    regressors = list(params.regressors or ())
    explicit = "horizon" in params.model_fields_set
    frame = frame.reset_index(drop=True)
    future = future_rows(frame)
    ahead = frame[future]
    lasts = frame[~future].groupby("series_id", sort=True, observed=True)["ds"].max()
    counts = ahead.groupby("series_id", sort=True, observed=True).size()
    counts = counts[counts > 0]
    counts = counts[counts.index.isin(lasts.index)]
    horizons = pd.Series(params.horizon if explicit else counts.to_numpy(), index=counts.index)
    wanted = _expected(lasts[counts.index], horizons, frequencies)
    # Each expected step joined to the future row at its date, if any (by row number).
    rows = pd.DataFrame(
        {
            "series_id": ahead["series_id"].astype(str).to_numpy(),
            "ds": ahead["ds"].to_numpy(),
            _ROW: np.flatnonzero(future),
        }
    )
    found = wanted.merge(rows, on=["series_id", "ds"], how="left")
    missing = found[_ROW].isna().to_numpy()
    at = found[_ROW].fillna(0).to_numpy(dtype="int64")
    cells = {c: frame[c].to_numpy(dtype="float64")[at] for c in regressors}
    empty = {c: ~missing & np.isnan(values) for c, values in cells.items()}
    if missing.any() or any(e.any() for e in empty.values()):
        bad_rows = np.logical_or.reduce([missing, *empty.values()])
        bad = str(found["series_id"].to_numpy()[bad_rows][0])
        mine = (found["series_id"] == bad).to_numpy()
        stamps = found["ds"].to_numpy()
        gaps = [pd.Timestamp(d) for d in stamps[mine & missing]]
        blanks = [
            (pd.Timestamp(stamps[i]), column)
            for i in np.flatnonzero(mine & ~missing)
            for column in regressors
            if empty[column][i]
        ]
        raise _missing_future(name, bad, int(horizons[bad]), explicit, gaps, blanks, log_)
    kept = [np.flatnonzero(~future), at]
    horizons_out = {str(k): int(v) for k, v in horizons.items()}
    without = sorted(set(map(str, lasts.index)) - set(horizons_out))
    if without:
        raise InputError(
            "missing_future_regressors",
            f"{name} has no future rows for series {', '.join(map(repr, without[:_LISTED]))}: "
            "a forecast with regressors needs their values over the horizon",
            "Add one row per future period after each series' last value, with the value "
            f"empty and every regressor ({', '.join(regressors)}) filled in. If one of "
            "these is an input column rather than a series, add it to regressors or name "
            "the column(s) to forecast with value_columns.",
            {"series": without[:20], "regressors": regressors},
        )
    frame = frame.iloc[np.sort(np.concatenate(kept))].reset_index(drop=True)
    _refuse_constant(frame, regressors, name)
    return frame, {
        "names": regressors,
        "mode": params.regressor_mode,
        "horizon_from": "parameter" if explicit else "future rows",
        "horizons": dict(sorted(horizons_out.items())),
    }


def _expected(lasts: pd.Series, horizons: pd.Series, frequencies: dict[str, str]) -> pd.DataFrame:
    """(series_id, ds) of every horizon step of every series, in order.

    Series that end on the same date at the same frequency (most files) share
    one calendar: ``date_range`` runs once per distinct pair, as the forecast's
    ``future_dates`` does it (the same dates, by the same rule).
    """
    ids = [str(s) for s in lasts.index]
    keys = pd.DataFrame(
        {
            "series_id": ids,
            "last": lasts.to_numpy(),
            "freq": [frequencies.get(s) for s in ids],
            "h": horizons.to_numpy(dtype="int64"),
        }
    )
    parts = []
    for (last, freq), group in keys.groupby(["last", "freq"], sort=False, dropna=False):
        known = freq if isinstance(freq, str) else None
        steps = _steps(cast(pd.Timestamp, last), known, int(group["h"].max()))
        for h, same in group.groupby("h", sort=False):
            dates = np.asarray(steps[: cast(int, h)], dtype="datetime64[ns]")
            parts.append(
                pd.DataFrame(
                    {
                        "series_id": np.repeat(same["series_id"].to_numpy(), len(dates)),
                        "ds": np.tile(dates, len(same)),
                    }
                )
            )
    if not parts:
        return pd.DataFrame(
            {"series_id": pd.Series([], dtype=object), "ds": pd.Series([], dtype="datetime64[ns]")}
        )
    return pd.concat(parts, ignore_index=True)


def _steps(last: pd.Timestamp, freq: str | None, h: int) -> list[pd.Timestamp]:
    if freq is None:
        return []
    offset = frequency.to_offset_or_error(freq)
    dates = pd.date_range(start=last, periods=h + 1, freq=offset)
    return list(dates[dates > last][:h])


def _missing_future(
    name: str,
    series: str,
    h: int,
    explicit: bool,
    missing: list[pd.Timestamp],
    empty: list[tuple[pd.Timestamp, str]],
    log_: RegressorLog,
) -> InputError:
    source = f"horizon={h}" if explicit else f"its {h} future row(s)"
    shown = [f"{d.isoformat()} (no row)" for d in missing[:_LISTED]]
    for stamp, column in empty[: _LISTED - len(shown)]:
        where = log_.place(series, stamp)
        shown.append(f"{stamp.isoformat()} ({column} empty{', ' + where if where else ''})")
    return InputError(
        "missing_future_regressors",
        f"series {series!r} of {name} lacks future regressor values for {source}: "
        f"{', '.join(shown)}",
        "Give each series one row per period of the horizon after its last value, with the "
        "value empty and every regressor filled in; or set horizon to the periods you have.",
        {
            "series_id": series,
            "horizon": h,
            "missing_dates": [d.isoformat() for d in missing[:20]],
            "empty_cells": [{"ds": d.isoformat(), "column": c} for d, c in empty[:20]],
        },
    )


def _refuse_constant(frame: pd.DataFrame, regressors: list[str], name: str) -> None:
    """A regressor with one value over a history can't be told from the trend's level."""
    history = frame[frame["y"].notna()]
    for column in regressors:
        spread = history.groupby("series_id", sort=True, observed=True)[column].nunique()
        flat = [str(s) for s in spread.index[spread.to_numpy() < 2]]
        if not flat:
            continue
        across = len(flat) == len(spread)
        value = float(history[column].iloc[0])
        where = (
            f"has the one value {value:g} in every history row of every series"
            if across and history[column].nunique() < 2
            else f"is constant over the history of series {', '.join(map(repr, flat[:_LISTED]))}"
        )
        raise InputError(
            "constant_regressor",
            f"regressor {column!r} of {name} {where}: its effect can't be estimated",
            f"Leave {column} out of regressors, or give it values that vary over each "
            "series' history (a regressor constant in the past tells nothing about its effect).",
            {"column": column, "series": flat[:20]},
        )


def _rows(rows: pd.DataFrame, log_: RegressorLog) -> list[dict[str, Any]]:
    out = []
    for sid, stamp in zip(rows["series_id"], rows["ds"], strict=True):
        place = log_.place(str(sid), stamp)
        where = f"series {str(sid)!r} at {pd.Timestamp(stamp).isoformat()}"
        out.append(
            {
                "series_id": str(sid),
                "ds": pd.Timestamp(stamp).isoformat(),
                "where": f"{where} ({place})" if place else where,
            }
        )
    return out
