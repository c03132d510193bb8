"""The calendar a series lives on: its frequency, its future dates, its season.

Future dates continue each series at its own frequency: month starts stay
month starts, month ends stay month ends, weeks keep their weekday,
business days skip weekends. The frequency comes from the user
(``params.frequency``), from what ingest recorded, or is inferred from the
dates themselves by ``dropcast_common.frequency`` — the same code ingest
uses, robust to the gaps (missing rows are dropped, not filled) that defeat
``pandas.infer_freq``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from pandas.tseries import offsets

from dropcast_common import frequency as frequencies
from dropcast_common.params import Params
from dropcast_forecasting.memo import Memo, dates_key

_DAY = pd.Timedelta(days=1)
# Inferred frequencies by dates: a file's series mostly share theirs.
_FREQUENCIES: Memo[str | None] = Memo(8)


def inferred_frequency(ds: np.ndarray) -> str | None:
    """:func:`dropcast_common.frequency.infer_one` of the dates ``ds``, once per distinct dates."""
    return _FREQUENCIES.get(dates_key(ds), lambda: frequencies.infer_one(pd.DatetimeIndex(ds)))


# The horizon's dates are the same for every series that ends on the same day.
@lru_cache(maxsize=64)
def future_dates(last: pd.Timestamp, freq: str, horizon: int) -> pd.DatetimeIndex:
    """The ``horizon`` timestamps after ``last`` on the calendar of ``freq``."""
    offset = frequencies.to_offset_or_error(freq)
    # date_range rolls a start that is off the calendar forward; one extra
    # period covers the case where ``last`` itself is the first element.
    dates = pd.date_range(start=last, periods=horizon + 1, freq=offset)
    return dates[dates > last][:horizon]


@lru_cache(maxsize=64)
def season_length(freq: str) -> int:
    """Observations per seasonal cycle: the lag of the seasonal naive method.

    Daily → 7 (a week), business days → 5, weekly → 52, monthly → 12,
    quarterly → 4, yearly → 1, sub-daily → one day's worth of periods.
    """
    offset = frequencies.to_offset_or_error(freq)
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


def seasonalities(freq: str) -> tuple[int, ...]:
    """Every seasonal cycle MSTL looks for, shortest first: a week and a year for daily data,
    a day and a week for sub-daily data, else the one :func:`season_length`."""
    m = season_length(freq)
    offset = frequencies.to_offset_or_error(freq)
    if isinstance(offset, offsets.Day) and offset.n == 1:
        return (7, 365)
    if isinstance(offset, offsets.Tick) and m > 1:
        return (m, 7 * m)
    return (m,)


def without_impossible_seasonality(freq: str, params: Params) -> Params:
    """``params`` with Prophet's yearly seasonality off for yearly and coarser data.

    Prophet's ``auto`` turns yearly seasonality on once the history spans
    two years; with one value a year (or fewer) there is no within-year
    pattern to fit, and the Fourier terms only alias onto the trend.
    """
    if params.yearly_seasonality == "auto" and _yearly_or_coarser(freq):
        return params.model_copy(update={"yearly_seasonality": False})
    return params


@lru_cache(maxsize=64)
def _yearly_or_coarser(freq: str) -> bool:
    """Whether a step of ``freq`` spans a year or more (asked once per series: cached)."""
    offset = frequencies.to_offset_or_error(freq)
    first = pd.Timestamp("2001-01-01") + offset  # on the calendar, then one step further
    return bool((first + offset) - first >= pd.Timedelta(days=365))
