"""The frequency of each series, as a pandas offset alias, and the gaps it implies.

Inferred from the most common step between consecutive timestamps of a
series, then named the way pandas (and so Prophet's
``make_future_dataframe``) understands it: ``min``, ``h``, ``D``, ``B``
(weekdays only), ``W-SUN`` (weekly, anchored on the weekday seen),
``MS``/``ME`` (monthly on the first or last day), ``QS``/``QE`` and
``YS``/``YE`` (with their anchor month when it is not the default).
``params.frequency`` overrides the inference for every series.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from dropcast_common.errors import InputError

_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAY = pd.Timedelta(days=1)


def validate(alias: str) -> str:
    """A user-given frequency, checked to be a pandas offset alias."""
    try:
        to_offset(alias)
    except (ValueError, TypeError) as exc:
        raise InputError(
            "invalid_parameter",
            f"parameter 'frequency' has an invalid value {alias!r}",
            "Set frequency to a pandas offset alias such as min, 15min, h, D, B, W-SUN, MS, "
            "ME, QS, YS — or leave it unset to infer it.",
            {"parameter": "frequency", "value": alias},
        ) from exc
    return alias


def infer(frame: pd.DataFrame) -> dict[str, str]:
    """Frequency alias per series of a canonical frame (sorted, one row per timestamp)."""
    ds = frame["ds"]
    sid = frame["series_id"]
    steps = ds.groupby(sid, sort=False, observed=True).diff()
    months = (ds.dt.year * 12 + ds.dt.month).groupby(sid, sort=False, observed=True).diff()
    per_series = pd.DataFrame(
        {
            "step": _mode(sid, steps),
            "month_step": _mode(sid, months),
            "month_start": (ds.dt.day == 1).groupby(sid, sort=False, observed=True).all(),
            "month_end": ds.dt.is_month_end.groupby(sid, sort=False, observed=True).all(),
            "weekend": (ds.dt.day_of_week >= 5).groupby(sid, sort=False, observed=True).any(),
            "skips_weekend": (steps == 3 * _DAY).groupby(sid, sort=False, observed=True).any(),
            "first": ds.groupby(sid, sort=False, observed=True).first(),
        }
    )
    return {str(k): _name(row) for k, row in per_series.iterrows()}


def _mode(sid: pd.Series, values: pd.Series) -> pd.Series:
    """The most common value per series (the smallest on a tie), indexed by series id.

    On integer codes with NumPy: counting (series, value) pairs with pandas
    built a frame of every row and was the peak of ingest's memory and 40 %
    of its time on long files (benchmark B2).
    """
    keep = values.notna().to_numpy()
    codes, uniques = pd.factorize(sid[keep], sort=False)
    kept = values[keep].to_numpy()
    is_timedelta = kept.dtype.kind == "m"
    if not len(kept):  # no series has two timestamps: no step to count
        return pd.Series(kept if is_timedelta else kept.astype("float64"), name="v")
    raw = kept.view("int64") if is_timedelta else kept.astype("int64")
    order = np.lexsort((raw, codes))
    code_sorted, raw_sorted = codes[order], raw[order]
    starts = np.flatnonzero(
        np.r_[True, (code_sorted[1:] != code_sorted[:-1]) | (raw_sorted[1:] != raw_sorted[:-1])]
    )
    run_code, run_value = code_sorted[starts], raw_sorted[starts]
    run_length = np.diff(np.r_[starts, len(code_sorted)])
    # Per series: the longest run first, then the smallest value.
    best = np.lexsort((run_value, -run_length, run_code))
    first = best[np.r_[True, run_code[best][1:] != run_code[best][:-1]]]
    chosen = run_value[first]
    # Back to the input's own unit (pandas 3 keeps µs or ns as it was given).
    result = chosen.view(kept.dtype) if is_timedelta else chosen.astype("float64")
    return pd.Series(result, index=pd.Index(uniques[run_code[first]], name="sid"), name="v")


def _name(row: pd.Series) -> str:
    step = row["step"]
    if pd.isna(step):
        return "D"
    month_step = row["month_step"]
    first: pd.Timestamp = row["first"]
    if step >= pd.Timedelta(days=28) and (row["month_start"] or row["month_end"]):
        m = int(month_step)
        start = bool(row["month_start"])
        if m == 1:
            return "MS" if start else "ME"
        if m == 3:
            if start:
                anchor = _MONTHS[(first.month - 1) % 3]
                return "QS" if anchor == "JAN" else f"QS-{anchor}"
            anchor = _MONTHS[(first.month - 1) % 3 + 9]
            return "QE" if anchor == "DEC" else f"QE-{anchor}"
        if m == 12:
            anchor = _MONTHS[first.month - 1]
            if start:
                return "YS" if anchor == "JAN" else f"YS-{anchor}"
            return "YE" if anchor == "DEC" else f"YE-{anchor}"
        return f"{m}MS" if start else f"{m}ME"
    if step % _DAY == pd.Timedelta(0):
        days = int(step / _DAY)
        if days == 7:
            return f"W-{_WEEKDAYS[first.weekday()]}"
        if days == 1:
            # Weekdays only is business days once the data has stepped over a weekend.
            return "B" if row["skips_weekend"] and not row["weekend"] else "D"
        return f"{days}D"
    seconds = int(step.total_seconds())
    if seconds % 3600 == 0:
        return "h" if seconds == 3600 else f"{seconds // 3600}h"
    if seconds % 60 == 0:
        return "min" if seconds == 60 else f"{seconds // 60}min"
    return "s" if seconds == 1 else f"{seconds}s"


def gaps(frame: pd.DataFrame, frequencies: dict[str, str]) -> dict[str, Any]:
    """Missing periods per series, given each series' frequency (for the quality report)."""
    spans = frame.groupby("series_id", sort=False, observed=True)["ds"].agg(
        ["first", "last", "count"]
    )
    expected_cache: dict[tuple[pd.Timestamp, pd.Timestamp, str], int] = {}
    missing: dict[str, int] = {}
    for sid, first, last, count in spans.itertuples():
        freq = frequencies[str(sid)]
        key = (first, last, freq)
        if key not in expected_cache:
            expected_cache[key] = len(pd.date_range(first, last, freq=freq))
        absent = expected_cache[key] - int(count)
        if absent > 0:
            missing[str(sid)] = absent
    worst = sorted(missing.items(), key=lambda kv: -kv[1])[:10]
    return {
        "series_with_gaps": len(missing),
        "missing_periods": int(sum(missing.values())),
        "worst": [{"series_id": s, "missing_periods": n} for s, n in worst],
    }
