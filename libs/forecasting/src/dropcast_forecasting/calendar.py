"""The calendar a series lives on: its frequency, its future dates, its season.

Future dates continue each series at its own frequency: month starts stay
month starts, month ends stay month ends, weeks keep their weekday,
business days skip weekends. The frequency comes from the user
(``params.frequency``), from what ingest recorded, or is inferred here from
the dates themselves — robustly, because series have gaps (missing rows are
dropped, not filled) that defeat ``pandas.infer_freq``.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pandas as pd
from pandas.tseries import offsets
from pandas.tseries.frequencies import to_offset

from dropcast_common.errors import InputError
from dropcast_common.params import Params

DEFAULT_FREQUENCY = "D"

# Aliases pandas has retired, still common in user input and older tools.
_LEGACY = {"M": "ME", "Q": "QE", "A": "YE", "Y": "YE", "H": "h", "T": "min", "S": "s", "L": "ms"}
_LEGACY_RE = re.compile(r"^(\d*)([A-Za-z]+)(-[A-Za-z]{3})?$")
_WEEKDAYS = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_DAY = pd.Timedelta(days=1)


def to_frequency_offset(freq: str) -> offsets.BaseOffset:
    """Parse a pandas frequency alias (legacy spellings such as ``M`` or ``H`` accepted).

    Raises InputError(``invalid_parameter``) naming the alias, so a user who
    set ``frequency`` by hand learns what to write instead.
    """
    text = freq.strip()
    match = _LEGACY_RE.match(text)
    if match and match.group(2) in _LEGACY:
        text = f"{match.group(1)}{_LEGACY[match.group(2)]}{match.group(3) or ''}"
    try:
        offset = to_offset(text)
    except ValueError as exc:
        raise InputError(
            "invalid_parameter",
            f"frequency {freq!r} is not a frequency dropcast understands",
            "Use a pandas alias: D (daily), B (business days), W-SUN (weekly on Sundays), "
            "MS or ME (month start or end), QS or QE, YS or YE, h (hourly), min, 15min.",
            {"parameter": "frequency", "value": freq},
        ) from exc
    if offset is None:  # pragma: no cover - to_offset only returns None for None input
        raise ValueError(freq)
    return offset


def normalise_frequency(freq: str) -> str:
    """The canonical spelling of a frequency alias (``M`` → ``ME``, ``W`` → ``W-SUN``)."""
    return str(to_frequency_offset(freq).freqstr)


def infer_frequency(ds: pd.Series | pd.DatetimeIndex) -> str | None:
    """The frequency of a series' timestamps, or None with fewer than two distinct dates.

    Calendar patterns are checked before plain steps, so that monthly data
    (28 to 31 days apart) is ``MS``/``ME`` rather than "about 30 days", and
    weekday-only data with Friday-to-Monday jumps is ``B`` rather than ``D``
    with gaps. The step is the most common difference, so gaps don't
    mislead it.
    """
    # Nanoseconds whatever the input's unit, so integer steps compare as Timedeltas.
    stamps = pd.DatetimeIndex(pd.unique(pd.DatetimeIndex(ds))).as_unit("ns").sort_values()
    if len(stamps) < 2:
        return None
    if bool((stamps == stamps.normalize()).all()):
        monthly = _monthly_frequency(stamps)
        if monthly:
            return monthly
        weekly = _weekly_frequency(stamps)
        if weekly:
            return weekly
        if _is_business_daily(stamps):
            return "B"
    step = _most_common_step(stamps)
    if step % _DAY == pd.Timedelta(0):
        days = step // _DAY
        return "D" if days == 1 else f"{days}D"
    return str(to_offset(step).freqstr)


def future_dates(last: pd.Timestamp, freq: str, horizon: int) -> pd.DatetimeIndex:
    """The ``horizon`` timestamps after ``last`` on the calendar of ``freq``."""
    offset = to_frequency_offset(freq)
    # date_range rolls a start that is off the calendar forward; one extra
    # period covers the case where ``last`` itself is the first element.
    dates = pd.date_range(start=last, periods=horizon + 1, freq=offset)
    return dates[dates > last][:horizon]


def season_length(freq: str) -> int:
    """Observations per seasonal cycle: the lag of the seasonal naive method.

    Daily → 7 (a week), business days → 5, weekly → 52, monthly → 12,
    quarterly → 4, yearly → 1, sub-daily → one day's worth of periods.
    """
    offset = to_frequency_offset(freq)
    if isinstance(offset, offsets.BusinessDay):
        return 5
    if isinstance(offset, offsets.Day):  # a calendar day, no longer a Tick in pandas 3
        return 7 if offset.n == 1 else 1
    if isinstance(offset, offsets.Week):
        return 52 if offset.n == 1 else 1
    monthly = (
        offsets.MonthBegin
        | offsets.MonthEnd
        | offsets.BusinessMonthBegin
        | offsets.BusinessMonthEnd
    )
    if isinstance(offset, monthly):
        return 12 // offset.n if 12 % offset.n == 0 else 1
    if isinstance(offset, offsets.QuarterBegin | offsets.QuarterEnd):
        return 4 if offset.n == 1 else 1
    if isinstance(offset, offsets.YearBegin | offsets.YearEnd):
        return 1
    if isinstance(offset, offsets.Tick):
        step = pd.Timedelta(offset)
        if step < _DAY and _DAY % step == pd.Timedelta(0):
            return int(_DAY // step)
    return 1


def without_impossible_seasonality(freq: str, params: Params) -> Params:
    """``params`` with Prophet's yearly seasonality off for yearly and coarser data.

    Prophet's ``auto`` turns yearly seasonality on once the history spans
    two years; with one value a year (or fewer) there is no within-year
    pattern to fit, and the Fourier terms only alias onto the trend.
    """
    if params.yearly_seasonality != "auto":
        return params
    offset = to_frequency_offset(freq)
    first = pd.Timestamp("2001-01-01") + offset  # on the calendar, then one step further
    if (first + offset) - first >= pd.Timedelta(days=365):
        return params.model_copy(update={"yearly_seasonality": False})
    return params


def _most_common_step(stamps: pd.DatetimeIndex) -> pd.Timedelta:
    diffs = np.diff(stamps.asi8)
    values, counts = np.unique(diffs, return_counts=True)
    # Ties go to the smallest step: a gap is never shorter than the step.
    return pd.Timedelta(int(values[int(np.argmax(counts))]), unit="ns")


def _monthly_frequency(stamps: pd.DatetimeIndex) -> str | None:
    if bool((stamps.day == 1).all()):
        kind = "S"
    elif bool(stamps.is_month_end.all()):
        kind = "E"
    else:
        return None
    months = np.asarray(stamps.year * 12 + stamps.month)
    step = Counter(np.diff(months).tolist()).most_common(1)[0][0]
    if step == 12 and len(set(stamps.month)) == 1:
        return f"Y{kind}-{_MONTHS[stamps[0].month - 1]}"
    if step == 3 and len({m % 3 for m in stamps.month}) == 1:
        return f"Q{kind}-{_quarter_anchor(int(stamps[0].month), kind)}"
    if step <= 0:
        return None
    return f"M{kind}" if step == 1 else f"{step}M{kind}"


def _quarter_anchor(month: int, kind: str) -> str:
    """pandas names quarters by a month: QS-JAN starts Jan/Apr/Jul/Oct, QE-DEC ends Mar/…/Dec."""
    if kind == "S":
        return _MONTHS[(month - 1) % 3]
    return _MONTHS[9 + (month - 1) % 3]


def _weekly_frequency(stamps: pd.DatetimeIndex) -> str | None:
    if len(set(stamps.day_of_week)) != 1:
        return None
    weeks = _most_common_step(stamps) // pd.Timedelta(days=7)
    if weeks < 1:
        return None
    anchor = _WEEKDAYS[int(stamps[0].day_of_week)]
    return f"W-{anchor}" if weeks == 1 else f"{weeks}W-{anchor}"


def _is_business_daily(stamps: pd.DatetimeIndex) -> bool:
    weekdays = np.asarray(stamps.day_of_week)
    if (weekdays >= 5).any() or _most_common_step(stamps) != _DAY:
        return False
    # Only weekdays, and the data spans at least one weekend it skipped.
    return bool(stamps[-1] - stamps[0] >= pd.Timedelta(days=7))
