"""Future dates continue each series on its own calendar."""

from __future__ import annotations

import pandas as pd
import pytest

from dropcast_common import frequency as frequencies
from dropcast_common.errors import InputError
from dropcast_common.params import Params, resolve
from dropcast_forecasting.calendar import future_dates, season_length
from dropcast_forecasting.engine import run_forecast

# (pandas frequency of the input, the frequency we must infer, first history date)
CALENDARS = [
    ("MS", "MS", "2015-01-01"),
    ("ME", "ME", "2015-01-31"),
    ("QS", "QS", "2010-01-01"),
    ("QE", "QE", "2010-03-31"),
    ("QS-FEB", "QS-FEB", "2010-02-01"),
    ("YS", "YS", "1990-01-01"),
    ("W-WED", "W-WED", "2020-01-01"),
    ("W-SUN", "W-SUN", "2020-01-05"),
    ("B", "B", "2023-01-02"),
    ("D", "D", "2023-01-01"),
    ("h", "h", "2023-03-01"),
    ("15min", "15min", "2023-03-01"),
]


@pytest.mark.parametrize(("freq", "expected", "start"), CALENDARS)
def test_inferred_despite_gaps(freq: str, expected: str, start: str) -> None:
    dates = pd.Series(pd.date_range(start, periods=40, freq=freq))
    with_gaps = dates.drop([3, 4, 17])  # missing rows are dropped by ingest, not filled
    assert frequencies.infer_one(with_gaps) == expected


@pytest.mark.parametrize(
    ("freq", "periods", "start"),
    [("MS", 36, "2015-01-01"), ("ME", 36, "2015-01-31"), ("QS", 24, "2010-01-01"),
     ("QE", 24, "2010-03-31"), ("W-WED", 80, "2020-01-01"), ("B", 120, "2023-01-02"),
     ("h", 24 * 14, "2023-03-01")],
)  # fmt: skip
def test_forecast_dates_stay_on_the_calendar(
    make_series: object, freq: str, periods: int, start: str
) -> None:
    canonical = make_series(freq=freq, periods=periods, start=start)  # type: ignore[operator]
    # Prophet's future dates are the ones under test (every other model uses the same dates)
    run = run_forecast(canonical, Params(horizon=6, model="prophet"), workers=1)
    last = canonical["ds"].iloc[-1]
    expected = pd.date_range(last, periods=7, freq=freq)[1:]
    assert list(run.forecast["date"]) == list(expected)
    assert run.series[0].method == "prophet"


def test_calendar_rules_by_example() -> None:
    def after(last: str, freq: str, n: int = 3) -> list[str]:
        return [d.strftime("%Y-%m-%d %a") for d in future_dates(pd.Timestamp(last), freq, n)]

    assert after("2024-01-31", "ME") == ["2024-02-29 Thu", "2024-03-31 Sun", "2024-04-30 Tue"]
    assert after("2024-01-01", "MS") == ["2024-02-01 Thu", "2024-03-01 Fri", "2024-04-01 Mon"]
    assert after("2024-03-08", "B") == ["2024-03-11 Mon", "2024-03-12 Tue", "2024-03-13 Wed"]
    assert after("2024-03-06", "W-WED") == ["2024-03-13 Wed", "2024-03-20 Wed", "2024-03-27 Wed"]
    assert after("2023-10-01", "QS-JAN", 2) == ["2024-01-01 Mon", "2024-04-01 Mon"]
    assert after("2023-12-31", "QE-DEC", 2) == ["2024-03-31 Sun", "2024-06-30 Sun"]


def test_business_days_are_not_mistaken_for_daily_with_gaps() -> None:
    weekdays = pd.Series(pd.date_range("2024-01-01", periods=30, freq="B"))
    assert frequencies.infer_one(weekdays) == "B"
    # Three weekdays only: no weekend was skipped, so nothing says "business days".
    assert frequencies.infer_one(weekdays.iloc[:3]) == "D"


def test_recorded_frequency_wins_over_inference(make_series: object) -> None:
    canonical = make_series(freq="D", periods=60)  # type: ignore[operator]
    run = run_forecast(canonical, Params(horizon=3), workers=1, frequencies={"y": "2D"})
    step = run.forecast["date"].diff().dropna().unique()
    assert list(step) == [pd.Timedelta(days=2)]
    assert run.series[0].frequency == "2D"


def test_legacy_aliases_are_understood() -> None:
    assert frequencies.canonical("M") == "ME"
    assert frequencies.canonical("Q-DEC") == "QE-DEC"
    assert frequencies.canonical("H") == "h"
    assert frequencies.canonical("W") == "W-SUN"


def test_unknown_frequency_parameter_is_an_input_error() -> None:
    # Refused where every parameter is checked, before either service runs.
    with pytest.raises(InputError) as caught:
        resolve({"frequency": "fortnightly"})
    assert caught.value.code == "invalid_parameter"
    assert caught.value.details["parameter"] == "frequency"
    assert "MS" in caught.value.hint


@pytest.mark.parametrize(
    ("freq", "m"), [("D", 7), ("B", 5), ("W-SUN", 52), ("MS", 12), ("QE", 4), ("YS", 1), ("h", 24)]
)
def test_season_lengths(freq: str, m: int) -> None:
    assert season_length(freq) == m
