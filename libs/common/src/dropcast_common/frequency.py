"""The frequency of each series, as a pandas offset alias, and the gaps it implies.

Inferred from the most common step between consecutive timestamps of a
series, then named the way pandas (and so Prophet's
``make_future_dataframe``) understands it: ``min``, ``h``, ``D``, ``B``
(weekdays only), ``W-SUN`` (weekly, anchored on the weekday seen),
``MS``/``ME`` (monthly on the first or last day), ``QS``/``QE`` and
``YS``/``YE`` (with their anchor month when it is not the default).
``params.frequency`` overrides the inference for every series.

The one home of the idea: ``Params`` validates a user's alias with
:func:`canonical`, ingest infers with :func:`infer`, and the forecast
calendar with :func:`infer_one` (the same answer for one series).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset
from pandas.tseries.offsets import BaseOffset

from dropcast_common.errors import InputError

_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAY = pd.Timedelta(days=1)
_DAY_NS = 86_400 * 10**9


# Aliases pandas has retired, still common in user input and older tools.
_LEGACY = {"M": "ME", "Q": "QE", "A": "YE", "Y": "YE", "H": "h", "T": "min", "S": "s", "L": "ms"}
_LEGACY_RE = re.compile(r"^(\d*)([A-Za-z]+)(-[A-Za-z]{3})?$")
HINT = (
    "Set frequency to a pandas offset alias: D (daily), B (business days), W-SUN (weekly on "
    "Sundays), MS or ME (month start or end), QS or QE, YS or YE, h (hourly), min, 15min — "
    "or leave it unset to infer it."
)


def to_offset_or_error(alias: str) -> BaseOffset:
    """The pandas offset of a frequency alias; legacy spellings (``M``, ``H``) accepted.

    Raises InputError(``invalid_parameter``) naming the alias, so a user who
    set ``frequency`` by hand learns what to write instead.
    """
    text = alias.strip()
    match = _LEGACY_RE.match(text)
    if match and match.group(2) in _LEGACY:
        text = f"{match.group(1)}{_LEGACY[match.group(2)]}{match.group(3) or ''}"
    try:
        offset = to_offset(text)
    except (ValueError, TypeError) as exc:
        raise InputError(
            "invalid_parameter",
            f"parameter 'frequency' has an invalid value {alias!r}",
            HINT,
            {"parameter": "frequency", "value": alias},
        ) from exc
    return offset


def canonical(alias: str) -> str:
    """A user-given frequency checked and spelled the one way (``M`` → ``ME``, ``W`` → ``W-SUN``).

    The one validator: ``Params``, ingest and the forecast calendar all use it.
    """
    return str(to_offset_or_error(alias).freqstr)


def infer_one(ds: pd.Series | pd.DatetimeIndex) -> str | None:
    """The frequency of one series' timestamps (None below two distinct ones).

    The same answer :func:`infer` gives that series inside a frame: the
    forecast service infers with it what ingest did not record.
    """
    # On the int64 nanoseconds directly: a frame per call cost more than the
    # inference itself, and the forecast asks once per fit (benchmark B1).
    stamps = np.unique(np.asarray(ds, dtype="datetime64[ns]").view("int64"))
    if len(stamps) < 2:
        return None
    one = _Series(["s"], stamps, np.zeros(1, dtype=np.int64), np.array([len(stamps)]))
    return dict(_named_keys(one)).get("s")


# Series are measured this many rows at a time (whole series each time), so
# the temporaries stay small whatever the size of the frame.
_CHUNK_ROWS = 1 << 20


@dataclass(frozen=True)
class _Series:
    """The rows of a frame grouped by series, each series' rows contiguous.

    ``stamps`` are nanoseconds since the epoch, in the frame's row order
    within each series; series come in order of first appearance.
    """

    names: list[str]
    stamps: np.ndarray
    starts: np.ndarray
    sizes: np.ndarray

    @classmethod
    def of(cls, frame: pd.DataFrame) -> _Series:
        """The series of a frame; rows without a series id belong to none."""
        ids = frame["series_id"]
        stamps = frame["ds"].to_numpy(dtype="datetime64[ns]").view("int64")
        codes = None
        if isinstance(ids.dtype, pd.CategoricalDtype):
            # The canonical frame: small integer codes, usually in order already.
            codes, categories = ids.cat.codes.to_numpy(), ids.cat.categories
            if not _ordered(codes):
                codes = None
        if codes is None:
            # Codes in order of first appearance, then the rows grouped by them.
            codes, categories = pd.factorize(ids, sort=False)
        if len(codes) and int(codes.min()) < 0:
            stamps, codes = stamps[codes >= 0], codes[codes >= 0]
        if not _ordered(codes):
            order = np.argsort(codes, kind="stable")
            codes, stamps = codes[order], stamps[order]
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else codes
        sizes = np.diff(np.r_[starts, len(codes)])
        names = [str(c) for c in pd.Index(categories).take(codes[starts])]
        return cls(names, stamps, starts, sizes)

    def parts(self, rows: int) -> Iterator[_Series]:
        """The series in runs of about ``rows`` rows (whole series, at least one each)."""
        ends = self.starts + self.sizes
        first = 0
        while first < len(self.starts):
            last = max(first + 1, int(np.searchsorted(ends, self.starts[first] + rows, "right")))
            low, high = int(self.starts[first]), int(ends[last - 1])
            yield _Series(
                self.names[first:last],
                self.stamps[low:high],
                self.starts[first:last] - low,
                self.sizes[first:last],
            )
            first = last

    def spread(self, per_series: np.ndarray) -> np.ndarray:
        """A value per series repeated over the series' rows."""
        return np.repeat(per_series, self.sizes)


def _ordered(codes: np.ndarray) -> bool:
    return bool((codes[1:] >= codes[:-1]).all())


class _Key(NamedTuple):
    """What the name of a series depends on: series with equal keys get the same name."""

    step: int | None  # nanoseconds, the most common; None below two timestamps
    month_step: int | None  # months, only for a series that starts or ends months
    month_start: bool
    month_end: bool
    weekend: bool  # has a Saturday or Sunday
    skips_weekend: bool  # steps three days at least once
    weekday: int  # of the first timestamp, Monday 0
    month: int  # of the first timestamp, January 1


def infer(frame: pd.DataFrame) -> dict[str, str]:
    """Frequency alias per series of a canonical frame (sorted, one row per timestamp).

    A series with a single timestamp has none and is left out.

    On NumPy arrays, a run of whole series at a time, never a frame of every
    row's step: most series step evenly, so their smallest step is their
    step, and only the others are counted value by value.
    """
    out: dict[str, str] = {}
    for part in _Series.of(frame).parts(_CHUNK_ROWS):
        out.update(_named_keys(part))
    return out


def _named_keys(part: _Series) -> Iterator[tuple[str, str]]:
    """Each series of ``part`` with its frequency (series of one timestamp left out)."""
    named: dict[_Key, str | None] = {}
    for sid, key in _keys(part):
        if key not in named:
            named[key] = _name(key)
        name = named[key]
        if name is not None:  # one timestamp has no frequency
            yield sid, name


def _keys(part: _Series) -> Iterator[tuple[str, _Key]]:
    """Each series of ``part`` with its key."""
    stamps, starts = part.stamps, part.starts
    # A row's step is from the row before it, when that row is of the same series.
    inside = np.ones(len(stamps), dtype=bool)
    inside[starts] = False
    steps = np.empty_like(stamps)
    steps[0] = 0
    np.subtract(stamps[1:], stamps[:-1], out=steps[1:])
    step, has_step = _modes(part, steps, inside)
    day = stamps // _DAY_NS
    weekend = np.logical_or.reduceat((day + 3) % 7 >= 5, starts)
    skips_weekend = np.logical_or.reduceat(inside & (steps == _DAY_NS * 3), starts)
    # Only a series of a month or more can be named by month starts or ends, so
    # only its rows go through the calendar.
    long_step = has_step & (step >= 28 * _DAY_NS)
    month_start, month_end, month_index = _calendar(part, day, long_step)
    monthly = long_step & (month_start | month_end)
    month_step = np.zeros(len(starts), dtype="int64")
    if monthly.any():
        month_steps = np.empty_like(month_index)
        month_steps[0] = 0
        np.subtract(month_index[1:], month_index[:-1], out=month_steps[1:])
        month_step, _ = _modes(part, month_steps, inside & part.spread(monthly))
    first_day = stamps[starts] // _DAY_NS
    first_month = first_day.view("datetime64[D]").astype("datetime64[M]").view("int64") % 12 + 1
    columns = zip(
        [s if h else None for s, h in zip(step.tolist(), has_step.tolist(), strict=True)],
        [m if h else None for m, h in zip(month_step.tolist(), monthly.tolist(), strict=True)],
        (month_start & monthly).tolist(),
        (month_end & monthly).tolist(),
        weekend.tolist(),
        skips_weekend.tolist(),
        ((first_day + 3) % 7).tolist(),
        first_month.tolist(),
        strict=True,
    )
    for sid, values in zip(part.names, columns, strict=True):
        yield sid, _Key(*values)


def _calendar(
    part: _Series, day: np.ndarray, chosen: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For the ``chosen`` series: whether every date starts / ends a month, and each
    row's month index (year * 12 + month, up to a constant; 0 for other series)."""
    month_start = np.zeros(len(chosen), dtype=bool)
    month_end = np.zeros(len(chosen), dtype=bool)
    if not chosen.any():
        return month_start, month_end, np.zeros(0, dtype="int64")
    rows = part.spread(chosen)
    dates = day[rows].view("datetime64[D]")
    month = dates.astype("datetime64[M]")
    starts = np.r_[0, np.cumsum(part.sizes[chosen])[:-1]]
    month_start[chosen] = np.logical_and.reduceat(dates == month, starts)
    month_end[chosen] = np.logical_and.reduceat(
        (dates + 1).astype("datetime64[M]") != month, starts
    )
    month_index = np.zeros(len(day), dtype="int64")
    month_index[rows] = month.view("int64")
    return month_start, month_end, month_index


def _modes(part: _Series, values: np.ndarray, use: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per series: the most common of its ``values`` where ``use`` (the smallest on a tie).

    Returns the modes and whether a series had any value. A series whose
    values are all equal (the usual case) is settled by its minimum and
    maximum; only the others are sorted and counted.
    """
    present = np.logical_or.reduceat(use, part.starts)
    big = np.iinfo(np.int64)
    lo = np.minimum.reduceat(np.where(use, values, big.max), part.starts)
    hi = np.maximum.reduceat(np.where(use, values, big.min), part.starts)
    modes = np.where(present, lo, 0)
    mixed = present & (lo != hi)
    if mixed.any():
        rows = use & part.spread(mixed)
        codes = part.spread(np.arange(len(part.starts)))[rows]
        chosen_code, chosen = _counted_modes(codes, values[rows])
        modes[chosen_code] = chosen
    return modes, present


def _counted_modes(codes: np.ndarray, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The modes of ``raw`` per code (the smallest value on a tie): (codes, modes)."""
    order = np.lexsort((raw, codes))
    code_sorted, raw_sorted = codes[order], raw[order]
    starts = np.flatnonzero(
        np.r_[True, (code_sorted[1:] != code_sorted[:-1]) | (raw_sorted[1:] != raw_sorted[:-1])]
    )
    run_code, run_value = code_sorted[starts], raw_sorted[starts]
    run_length = np.diff(np.r_[starts, len(code_sorted)])
    # Per code: the longest run first, then the smallest value.
    best = np.lexsort((run_value, -run_length, run_code))
    first = best[np.r_[True, run_code[best][1:] != run_code[best][:-1]]]
    return run_code[first], run_value[first]


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
    run_code, chosen = _counted_modes(codes, raw)
    # Back to the input's own unit (pandas 3 keeps µs or ns as it was given).
    result = chosen.view(kept.dtype) if is_timedelta else chosen.astype("float64")
    return pd.Series(result, index=pd.Index(uniques[run_code], name="sid"), name="v")


def _name(key: _Key) -> str | None:
    if key.step is None:
        return None
    step = pd.Timedelta(key.step)
    if key.month_step is not None:
        m = key.month_step
        start = key.month_start
        if m == 1:
            return "MS" if start else "ME"
        if m == 3:
            if start:
                anchor = _MONTHS[(key.month - 1) % 3]
                return "QS" if anchor == "JAN" else f"QS-{anchor}"
            anchor = _MONTHS[(key.month - 1) % 3 + 9]
            return "QE" if anchor == "DEC" else f"QE-{anchor}"
        if m == 12:
            anchor = _MONTHS[key.month - 1]
            if start:
                return "YS" if anchor == "JAN" else f"YS-{anchor}"
            return "YE" if anchor == "DEC" else f"YE-{anchor}"
        return f"{m}MS" if start else f"{m}ME"
    if step % _DAY == pd.Timedelta(0):
        days = int(step / _DAY)
        if days == 7:
            return f"W-{_WEEKDAYS[key.weekday]}"
        if days == 1:
            # Weekdays only is business days once the data has stepped over a weekend.
            return "B" if key.skips_weekend and not key.weekend else "D"
        return f"{days}D"
    seconds = int(step.total_seconds())
    if seconds % 3600 == 0:
        return "h" if seconds == 3600 else f"{seconds // 3600}h"
    if seconds % 60 == 0:
        return "min" if seconds == 60 else f"{seconds // 60}min"
    return "s" if seconds == 1 else f"{seconds}s"


def gaps(frame: pd.DataFrame, frequencies: dict[str, str]) -> dict[str, Any]:
    """Missing periods per series, given each series' frequency (for the quality report)."""
    groups = _Series.of(frame)
    first = groups.stamps[groups.starts].tolist() if groups.names else []
    last = groups.stamps[groups.starts + groups.sizes - 1].tolist() if groups.names else []
    expected_cache: dict[tuple[int, int, str], int] = {}
    missing: dict[str, int] = {}
    for sid, start, end, count in zip(
        groups.names, first, last, groups.sizes.tolist(), strict=True
    ):
        freq = frequencies.get(sid)
        if freq is None:
            continue
        key = (start, end, freq)
        if key not in expected_cache:
            expected_cache[key] = len(
                pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq=freq)
            )
        absent = expected_cache[key] - count
        if absent > 0:
            missing[sid] = absent
    worst = sorted(missing.items(), key=lambda kv: -kv[1])[:10]
    return {
        "series_with_gaps": len(missing),
        "missing_periods": int(sum(missing.values())),
        "worst": [{"series_id": s, "missing_periods": n} for s, n in worst],
    }
