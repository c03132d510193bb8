"""Canonical Parquet: sorted by (series_id, ds) whether or not the frame came in order."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from dropcast_common import table


def _frame(ids: list[str], days: list[int], dtype: str = "str") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "series_id": pd.Series(ids, dtype=dtype),
            "ds": pd.Timestamp("2024-01-01") + pd.to_timedelta(days, "D"),
            "y": np.arange(len(ids), dtype="float64"),
        }
    )


@pytest.mark.parametrize("dtype", ["str", "category", "object", "string[pyarrow]"])
def test_out_of_order_rows_are_sorted(dtype: str) -> None:
    frame = _frame(["b", "a", "b", "a"], [1, 2, 0, 1], dtype)
    assert not table.is_ordered(frame)
    back = table.from_parquet(table.to_parquet(frame))
    assert list(back["series_id"]) == ["a", "a", "b", "b"]
    assert list(back["ds"].dt.day) == [2, 3, 1, 2]
    assert list(back["y"]) == [3.0, 1.0, 2.0, 0.0]  # values travel with their rows


@pytest.mark.parametrize("dtype", ["str", "category", "object", "string[pyarrow]"])
def test_an_ordered_frame_round_trips_unchanged(dtype: str) -> None:
    frame = _frame(["a", "a", "b", "b", "é"], [0, 1, 0, 5, 0], dtype)
    assert table.is_ordered(frame)
    back = table.from_parquet(table.to_parquet(frame))
    expected = frame.assign(series_id=frame["series_id"].astype(str))
    pd.testing.assert_frame_equal(back, expected, check_dtype=False)


def test_ids_compare_as_strings_and_dates_within_a_series() -> None:
    assert not table.is_ordered(_frame(["a", "a"], [1, 0]))  # dates backwards
    assert table.is_ordered(_frame(["a", "b"], [1, 0]))  # new series: dates start over
    assert not table.is_ordered(_frame(["s2", "s10"], [0, 0]))  # "s10" < "s2" as strings
    assert table.is_ordered(_frame([], []))
    assert table.is_ordered(_frame(["x"], [0]))


def test_row_groups_hold_a_million_rows_each() -> None:
    n = table.ROW_GROUP + 10
    frame = pd.DataFrame(
        {
            "series_id": np.repeat(["a", "b"], [table.ROW_GROUP, 10]),
            "ds": pd.Timestamp("2000-01-01")
            + pd.to_timedelta(np.r_[np.arange(table.ROW_GROUP), np.arange(10)], "min"),
            "y": np.ones(n),
        }
    )
    data = table.to_parquet(frame)
    assert pq.ParquetFile(io.BytesIO(data)).num_row_groups == 2
    assert len(table.from_parquet(data)) == n


def test_an_empty_frame_writes_a_readable_file() -> None:
    back = table.from_parquet(table.to_parquet(_frame([], [])))
    assert list(back.columns) == table.COLUMNS
    assert back.empty
