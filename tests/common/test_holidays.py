"""A custom holidays table is refused with its own code, the row, and how to fix it."""

from __future__ import annotations

import pytest

from dropcast_common.errors import InputError
from dropcast_common.holidays import parse_csv
from dropcast_common.params import resolve


def refusal(rows: object) -> InputError:
    with pytest.raises(InputError) as caught:
        resolve({"holidays": rows})
    return caught.value


def test_inline_rows_are_validated_into_the_parameters() -> None:
    params = resolve({"holidays": [{"name": "promo", "date": "2024-03-01", "lower_window": -1}]})
    (row,) = params.holiday_rows()
    assert (row.name, str(row.date), row.lower_window, row.upper_window) == (
        "promo",
        "2024-03-01",
        -1,
        0,
    )


def test_a_bad_date_names_its_row() -> None:
    err = refusal([{"name": "a", "date": "2024-01-01"}, {"name": "b", "date": "2024-02-30"}])
    assert err.code == "invalid_holidays"
    assert "row 2" in err.message
    assert "2024-02-30" in err.message
    assert "YYYY-MM-DD" in err.hint
    assert err.details["line"] == 2


def test_windows_of_the_wrong_sign_are_refused() -> None:
    err = refusal([{"name": "a", "date": "2024-01-01", "lower_window": 2}])
    assert err.code == "invalid_holidays"
    assert "lower_window is 2" in err.message
    assert "0 or negative" in err.hint
    err = refusal([{"name": "a", "date": "2024-01-01", "upper_window": -1}])
    assert "upper_window is -1" in err.message


def test_a_csv_without_a_date_column_is_refused_with_an_example_header() -> None:
    with pytest.raises(InputError) as caught:
        parse_csv(b"name,day\npromo,2024-01-01\n", "_data/holidays.csv")
    assert caught.value.code == "invalid_holidays"
    assert "no date column" in caught.value.message
    assert "name,date,lower_window" in caught.value.hint


def test_a_csv_bad_date_names_the_file_line() -> None:
    data = b"name,date,upper_window\npromo,2024-01-01,1\nsale,01/02/2024,0\n"
    with pytest.raises(InputError) as caught:
        parse_csv(data, "h.csv")
    assert caught.value.details["line"] == 3
    rows = parse_csv(b"name,date,series\npromo,2024-01-01,\nsale,2024-02-01,b\n", "h.csv")
    assert [r.series for r in rows] == [None, "b"]


def test_a_name_prophet_uses_is_refused() -> None:
    err = refusal([{"name": "weekly", "date": "2024-01-01"}])
    assert err.code == "invalid_holidays"
    assert "Rename" in err.hint


def test_a_table_named_but_not_read_is_refused_before_any_fit() -> None:
    params = resolve({"holidays": "_data/holidays.csv"})
    with pytest.raises(InputError) as caught:
        params.holiday_rows()
    assert caught.value.code == "invalid_holidays"
