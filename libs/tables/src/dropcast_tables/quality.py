"""Data quality: what was found in a file and what was done about it.

Runs on the collected canonical rows: duplicate timestamps (combined as
``params.duplicates`` says), missing values (``params.fill_missing``),
series too short to fit (dropped and listed). The :class:`QualityLog`
gathers counts while the file streams so the report can say where the
first problem of each kind was (line, column, value).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dropcast_common.errors import InputError
from dropcast_common.params import Params
from dropcast_common.table import regressor_columns
from dropcast_tables.regressors import future_rows

# Prophet needs at least two dated values to fit a series.
MIN_POINTS = 2
MAX_LISTED = 20
# Rows checked at a time for order.
_CHUNK_ROWS = 1 << 20


@dataclass
class Problem:
    """Cells of one kind that could not be used: how many, and the first few."""

    count: int = 0
    examples: list[dict[str, Any]] = field(default_factory=list)

    def add(self, count: int, examples: list[dict[str, Any]]) -> None:
        """Record ``count`` more cells; keep the first examples only."""
        self.count += count
        self.examples.extend(examples[: max(0, 5 - len(self.examples))])

    def report(self) -> dict[str, Any]:
        """As JSON."""
        return {"count": self.count, "examples": self.examples}


@dataclass
class QualityLog:
    """Problems found while reading, before cleaning."""

    rows_read: int = 0
    rows_used: int = 0
    missing_dates: Problem = field(default_factory=Problem)
    bad_dates: Problem = field(default_factory=Problem)
    missing_ids: Problem = field(default_factory=Problem)
    non_numeric: Problem = field(default_factory=Problem)


def clean(frame: pd.DataFrame, params: Params, name: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Apply the duplicate and missing-value policies and drop too-short series.

    ``frame`` has the canonical columns; the result is sorted by series_id, ds
    with one row per timestamp. Raises InputError when nothing usable is left.
    """
    report: dict[str, Any] = {}
    actions: list[str] = []
    if not _is_sorted(frame):
        frame = frame.sort_values(["series_id", "ds"], kind="stable", ignore_index=True)
    frame, report["duplicates"] = _duplicates(frame, params, name, actions)
    if frame.empty or frame["y"].isna().all():
        raise InputError(
            "all_values_missing",
            f"{name} has no values: every value cell is empty or not a number",
            "Fill in the value column with numbers (empty cells and NA are allowed "
            "for some rows, not all).",
            {"rows": len(frame)},
        )
    # With regressors, the rows past a series' last value carry its future
    # regressor values: they are not missing values, and they stay.
    future = future_rows(frame) if regressor_columns(frame) else np.zeros(len(frame), bool)
    ahead = frame[future]
    frame = frame[~future].reset_index(drop=True) if future.any() else frame
    frame, report["missing_values"] = _missing(frame, params, actions)
    frame, report["too_short"] = _too_short(frame, name, actions)
    if len(ahead):
        ahead = ahead[ahead["series_id"].isin(frame["series_id"].unique())]
        frame = pd.concat([frame, ahead], ignore_index=True)
        frame = frame.sort_values(["series_id", "ds"], kind="stable", ignore_index=True)
    report["actions"] = actions
    return frame, report


def _is_sorted(frame: pd.DataFrame) -> bool:
    """Whether rows already come by series, then time (most exports do): no sort, no copy."""
    ids = frame["series_id"]
    if (
        not isinstance(ids.dtype, pd.CategoricalDtype)
        or not ids.cat.categories.is_monotonic_increasing
    ):
        return False
    codes = ids.cat.codes.to_numpy()
    stamps = frame["ds"].to_numpy()
    # A million rows at a time (each run overlapping the next by one row):
    # the differences of a whole long file would cost more than the frame's ds.
    for low in range(0, max(len(codes) - 1, 0), _CHUNK_ROWS):
        step = np.diff(codes[low : low + _CHUNK_ROWS + 1])
        if not (step >= 0).all():
            return False
        later = np.diff(stamps[low : low + _CHUNK_ROWS + 1])[step == 0]
        if not (later >= np.timedelta64(0)).all():
            return False
    return True


def _repeats(frame: pd.DataFrame) -> np.ndarray:
    """Rows that repeat the previous row's series and timestamp (the frame is sorted)."""
    ids = frame["series_id"]
    codes = ids.cat.codes.to_numpy() if isinstance(ids.dtype, pd.CategoricalDtype) else None
    if codes is None:
        return frame.duplicated(["series_id", "ds"], keep="first").to_numpy()
    stamps = frame["ds"].to_numpy()
    same = (codes[1:] == codes[:-1]) & (stamps[1:] == stamps[:-1])
    return np.concatenate([[False], same])


def _duplicates(
    frame: pd.DataFrame, params: Params, name: str, actions: list[str]
) -> tuple[pd.DataFrame, dict[str, Any]]:
    extra = _repeats(frame)
    count = int(extra.sum())
    info: dict[str, Any] = {"count": count, "resolved_by": params.duplicates if count else None}
    if not count:
        return frame, info
    first = frame.iloc[int(np.flatnonzero(extra)[0])]
    example = {"series_id": str(first["series_id"]), "ds": first["ds"].isoformat()}
    info["example"] = example
    if params.duplicates == "error":
        raise InputError(
            "duplicate_timestamps",
            f"{name} has {count} rows that repeat a timestamp of their series "
            f"(first: series {example['series_id']!r} at {example['ds']})",
            "Keep one row per series and timestamp, or set duplicates=mean, sum or last "
            "to combine them.",
            {"count": count, **example},
        )
    if params.duplicates == "last":
        frame = frame.drop_duplicates(["series_id", "ds"], keep="last", ignore_index=True)
    else:
        groups = frame.groupby(["series_id", "ds"], sort=True, observed=True)
        grouped = groups["y"]
        y = grouped.mean() if params.duplicates == "mean" else grouped.sum(min_count=1)
        # Regressors are levels (a price, a promotion flag): a mean, never a sum.
        means = [groups[c].mean() for c in regressor_columns(frame)]
        frame = (pd.concat([y, *means], axis=1) if means else y).reset_index()
    actions.append(f"combined {count} duplicate timestamp rows by {params.duplicates}")
    return frame, info


def _missing(
    frame: pd.DataFrame, params: Params, actions: list[str]
) -> tuple[pd.DataFrame, dict[str, Any]]:
    gaps = frame["y"].isna()
    count = int(gaps.sum())
    info: dict[str, Any] = {"count": count, "resolved_by": params.fill_missing if count else None}
    if not count:
        return frame, info
    if params.fill_missing == "zero":
        frame = frame.assign(y=frame["y"].fillna(0.0))
    elif params.fill_missing == "interpolate":
        filled = frame.groupby("series_id", sort=False, observed=True)["y"].transform(
            lambda s: s.interpolate(limit_area="inside")
        )
        frame = frame.assign(y=filled)
    frame = frame[frame["y"].notna()].reset_index(drop=True)
    actions.append(f"{params.fill_missing}: {count} missing values")
    return frame, info


def _sizes(frame: pd.DataFrame) -> pd.Series:
    """Rows per series in order of first appearance: a count of codes when they are in order."""
    ids = frame["series_id"]
    if isinstance(ids.dtype, pd.CategoricalDtype):
        codes = ids.cat.codes.to_numpy()
        if len(codes) and codes[0] >= 0 and bool((codes[1:] >= codes[:-1]).all()):
            counts = np.bincount(codes, minlength=len(ids.cat.categories))
            used = np.flatnonzero(counts)
            return pd.Series(counts[used], index=ids.cat.categories[used])
    return frame.groupby("series_id", sort=False, observed=True).size()


def _too_short(
    frame: pd.DataFrame, name: str, actions: list[str]
) -> tuple[pd.DataFrame, dict[str, Any]]:
    sizes = _sizes(frame)
    short = sizes[sizes < MIN_POINTS]
    info: dict[str, Any] = {
        "count": len(short),
        "series": [str(s) for s in short.index[:MAX_LISTED]],
    }
    if len(short) == len(sizes):
        raise InputError(
            "too_few_rows",
            f"{name} has fewer than {MIN_POINTS} dated values in every series "
            f"(largest series: {int(sizes.max()) if len(sizes) else 0} value(s))",
            f"Provide at least {MIN_POINTS} dated rows with values per series — more is "
            "better: a year of data lets the model learn yearly seasonality.",
            {"min_points": MIN_POINTS, "largest_series": int(sizes.max()) if len(sizes) else 0},
        )
    if len(short):
        frame = frame[~frame["series_id"].isin(short.index)].reset_index(drop=True)
        actions.append(f"dropped {len(short)} series with fewer than {MIN_POINTS} values")
    return frame, info
