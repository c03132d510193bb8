"""One frequency module, one answer: ingest, the forecast calendar and Params agree.

Each test is one of the disagreements there used to be between
``dropcast_common.frequency`` and the forecasting calendar's own copy.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dropcast_common import frequency as frequencies
from dropcast_common.errors import InputError
from dropcast_common.params import resolve
from dropcast_forecasting import calendar
from dropcast_tables.normalise import normalise


def _frame(ds: pd.DatetimeIndex) -> pd.DataFrame:
    return pd.DataFrame({"series_id": "s", "ds": ds, "y": 1.0})


def test_a_fortnightly_series_is_14_days_for_ingest_and_for_the_calendar() -> None:
    ds = pd.date_range("2024-01-01", periods=12, freq="14D")
    assert frequencies.infer(_frame(ds)) == {"s": "14D"}
    assert frequencies.infer_one(ds) == "14D"
    assert list(calendar.future_dates(ds[-1], "14D", 2)) == list(
        pd.date_range(ds[-1], periods=3, freq="14D")[1:]
    )


def test_one_timestamp_has_no_frequency_in_either() -> None:
    ds = pd.DatetimeIndex(["2024-01-01"])
    assert frequencies.infer(_frame(ds)) == {}
    assert frequencies.infer_one(ds) is None


@pytest.mark.parametrize(("given", "spelled"), [("M", "ME"), ("H", "h"), ("W", "W-SUN")])
def test_a_legacy_alias_is_accepted_everywhere_and_spelled_one_way(
    tmp_path: Path, given: str, spelled: str
) -> None:
    params = resolve({"frequency": given})
    assert params.frequency == spelled
    assert frequencies.canonical(given) == spelled
    path = tmp_path / "a.csv"
    path.write_text("date,y\n2024-01-31,1\n2024-02-29,2\n2024-03-31,3\n")
    assert set(normalise(path, "a.csv", params).frequencies.values()) == {spelled}


def test_an_unknown_alias_is_refused_by_params_with_the_one_hint() -> None:
    with pytest.raises(InputError) as caught:
        resolve({"frequency": "fortnightly"})
    assert caught.value.details == {"parameter": "frequency", "value": "fortnightly"}
    with pytest.raises(InputError) as direct:
        frequencies.canonical("fortnightly")
    assert direct.value.hint == frequencies.HINT


@pytest.mark.parametrize(
    "freq", ["D", "B", "W-WED", "MS", "ME", "QS", "QE", "QS-FEB", "YS", "h", "15min", "7D"]
)
def test_every_calendar_gets_the_same_name_from_both(freq: str) -> None:
    ds = pd.date_range("2021-01-04", periods=30, freq=freq).delete([3, 7])
    assert frequencies.infer_one(ds) == frequencies.infer(_frame(ds))["s"]
