"""External regressors in the reading core: kept through normalisation and the Parquet
shards with their future rows, and each kind of bad regressor refused with its own code."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dropcast_common import table
from dropcast_common.errors import InputError
from dropcast_common.params import resolve
from dropcast_tables.normalise import normalise

HEADER = "id,date,sales,price,promo\n"


def write(tmp_path: Path, text: str, name: str = "x.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def long_file(days: int = 6, future: int = 2, ids: tuple[str, ...] = ("a", "b")) -> str:
    lines = [HEADER]
    for sid in ids:
        for i in range(days + future):
            value = "" if i >= days else str(10 + i + (3 if i % 2 else 0))
            lines.append(f"{sid},2024-01-{i + 1:02d},{value},{1 + i / 10:.1f},{i % 2}\n")
    return "".join(lines)


def refused(path: Path, **params: str) -> InputError:
    with pytest.raises(InputError) as caught:
        normalise(path, path.name, resolve({"regressors": "price,promo", **params}))
    return caught.value


def test_long_file_keeps_regressors_and_future_rows_through_the_shards(tmp_path: Path) -> None:
    path = write(tmp_path, long_file())
    result = normalise(path, "x.csv", resolve({"regressors": "price,promo"}))
    frame = result.frame
    assert list(frame.columns) == ["series_id", "ds", "y", "price", "promo"]
    a = frame[frame["series_id"] == "a"]
    assert a["y"].isna().tolist() == [False] * 6 + [True] * 2  # the future rows stay
    assert a["price"].tolist() == pytest.approx([1 + i / 10 for i in range(8)])
    assert result.quality["regressors"]["horizons"] == {"a": 2, "b": 2}
    assert result.quality["regressors"]["horizon_from"] == "future rows"
    assert result.quality["columns"]["regressors"] == ["price", "promo"]
    assert result.quality["columns"]["values"] == ["sales"]  # a regressor is no series
    back = table.from_parquet(table.to_parquet(frame))
    pd.testing.assert_frame_equal(
        back.reset_index(drop=True), frame.astype({"series_id": str}).reset_index(drop=True)
    )


def test_wide_file_shares_its_regressor_between_series(tmp_path: Path) -> None:
    rows = [f"2024-01-{i + 1:02d},{10 + i},{20 - i},{i % 2}\n" for i in range(6)]
    rows.append("2024-01-07,,,1\n")
    path = write(tmp_path, "date,a,b,promo\n" + "".join(rows))
    frame = normalise(path, "x.csv", resolve({"regressors": "promo"})).frame
    assert sorted(frame["series_id"].unique()) == ["a", "b"]
    for _, group in frame.groupby("series_id"):
        assert group["promo"].tolist() == [0, 1, 0, 1, 0, 1, 1]
        assert np.isnan(group["y"].iloc[-1])


def test_horizon_parameter_cuts_the_future_rows_to_it(tmp_path: Path) -> None:
    path = write(tmp_path, long_file(future=3))
    result = normalise(path, "x.csv", resolve({"regressors": "price,promo", "horizon": "2"}))
    assert result.quality["regressors"]["horizons"] == {"a": 2, "b": 2}
    assert result.quality["regressors"]["horizon_from"] == "parameter"
    assert int(result.frame["y"].isna().sum()) == 4


def test_a_horizon_beyond_the_future_rows_is_refused_naming_series_and_dates(
    tmp_path: Path,
) -> None:
    error = refused(write(tmp_path, long_file(future=2)), horizon="3")
    assert error.code == "missing_future_regressors"
    assert error.details["series_id"] == "a"
    assert error.details["missing_dates"] == ["2024-01-09T00:00:00"]
    assert "horizon" in error.hint


def test_an_empty_future_regressor_cell_is_refused_with_its_line(tmp_path: Path) -> None:
    text = long_file().replace("a,2024-01-08,,1.7,1", "a,2024-01-08,,,1")
    error = refused(write(tmp_path, text))
    assert error.code == "missing_future_regressors"
    assert error.details["empty_cells"] == [{"ds": "2024-01-08T00:00:00", "column": "price"}]
    assert "line 9" in error.message  # header is line 1; a's eighth row is line 9


def test_a_series_without_future_rows_is_refused(tmp_path: Path) -> None:
    text = long_file().replace("b,2024-01-07,,1.6,0\n", "").replace("b,2024-01-08,,1.7,1\n", "")
    error = refused(write(tmp_path, text))
    assert error.code == "missing_future_regressors"
    assert error.details["series"] == ["b"]


def test_history_rows_need_their_regressors_even_without_a_value(tmp_path: Path) -> None:
    # Line 4: a's third day has no sales and no price; it is inside the history.
    text = long_file().replace("a,2024-01-03,12,1.2,0", "a,2024-01-03,,,0")
    error = refused(write(tmp_path, text))
    assert error.code == "missing_regressor_values"
    assert error.details["rows"][0]["series_id"] == "a"
    assert "line 4" in error.message


def test_a_text_regressor_cell_is_refused_with_its_line(tmp_path: Path) -> None:
    text = long_file().replace("a,2024-01-05,14,1.4,0", "a,2024-01-05,14,cheap,0")
    error = refused(write(tmp_path, text))
    assert error.code == "non_numeric_regressor"
    assert (error.details["line"], error.details["value"]) == (6, "cheap")


def test_a_regressor_constant_across_the_file_is_refused(tmp_path: Path) -> None:
    lines = long_file().splitlines(keepends=True)
    flat = [lines[0]] + [
        ",".join([*ln.split(",")[:3], "2.0", ln.split(",")[4]]) for ln in lines[1:]
    ]
    error = refused(write(tmp_path, "".join(flat)))
    assert error.code == "constant_regressor"
    assert error.details["column"] == "price"
    assert "every history row" in error.message
    assert "out of regressors" in error.hint


def test_a_regressor_constant_over_one_series_history_is_refused(tmp_path: Path) -> None:
    lines = long_file().splitlines(keepends=True)
    out = [lines[0]]
    for ln in lines[1:]:
        parts = ln.split(",")
        if parts[0] == "b" and parts[2]:
            parts[4] = "1\n"
        out.append(",".join(parts))
    error = refused(write(tmp_path, "".join(out)))
    assert error.code == "constant_regressor"
    assert (error.details["column"], error.details["series"]) == ("promo", ["b"])


def test_a_regressor_named_as_a_value_column_is_refused(tmp_path: Path) -> None:
    error = refused(write(tmp_path, long_file()), value_columns="sales,price")
    assert error.code == "regressor_role_conflict"


def test_an_unknown_regressor_column_names_the_columns_there_are(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        normalise(write(tmp_path, long_file()), "x.csv", resolve({"regressors": "discount"}))
    assert caught.value.code == "unknown_column"
    assert caught.value.details["missing"] == ["discount"]


def test_a_reserved_regressor_name_is_an_invalid_parameter() -> None:
    with pytest.raises(InputError) as caught:
        resolve({"regressors": "price,trend"})
    assert caught.value.code == "invalid_parameter"
    assert "trend" in caught.value.hint


def test_without_regressors_the_table_is_as_before(tmp_path: Path) -> None:
    frame = normalise(write(tmp_path, long_file()), "x.csv", resolve({})).frame
    assert list(frame.columns) == ["series_id", "ds", "y"]
    assert not frame["y"].isna().any()  # empty values dropped, as ever


def test_each_series_has_its_own_calendar_and_horizon(tmp_path: Path) -> None:
    """Monthly series ending on different months, with different numbers of future rows."""
    lines = [HEADER]
    months = pd.date_range("2020-01-01", periods=30, freq="MS")
    for sid, last, future in (("a", 24, 2), ("b", 20, 5)):
        for i in range(last + future):
            value = "" if i >= last else str(100 + i * (i % 3))
            lines.append(f"{sid},{months[i].date()},{value},{2 + i / 10:.1f},{i % 2}\n")
    result = normalise(
        write(tmp_path, "".join(lines)), "x.csv", resolve({"regressors": "price,promo"})
    )
    assert result.quality["regressors"]["horizons"] == {"a": 2, "b": 5}
    future_rows = result.frame[result.frame["y"].isna()]
    assert future_rows.groupby("series_id")["ds"].min().dt.strftime("%Y-%m").to_dict() == {
        "a": "2022-01",
        "b": "2021-09",
    }
