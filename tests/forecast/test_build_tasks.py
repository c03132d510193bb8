"""The engine's tasks: one per series, by id, each by date, whatever order the table is in.

A sorted canonical table is sliced (its fast path), any other is grouped and
sorted: both must give the same tasks, and a task must own its arrays.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dropcast_common.params import Params
from dropcast_forecasting.engine import build_tasks
from dropcast_forecasting.series import SeriesTask

PARAMS = Params(horizon=3, regressors=["price"])


def _canonical() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    parts = []
    for sid, periods in (("b", 12), ("a", 9), ("c", 15)):
        ds = pd.date_range("2024-01-01", periods=periods, freq="D").as_unit("ns")
        y = rng.normal(100, 5, periods)
        y[2] = np.nan
        parts.append(
            pd.DataFrame({"series_id": sid, "ds": ds, "y": y, "price": rng.random(periods)})
        )
    frame = pd.concat(parts, ignore_index=True)
    frame["series_id"] = frame["series_id"].astype(str)
    return frame


def _as_tuples(tasks: list[SeriesTask]) -> list[tuple[object, ...]]:
    return [
        (t.series_id, t.ds.tolist(), np.nan_to_num(t.y, nan=-1).tolist(), t.regressors.tolist())  # type: ignore[union-attr]
        for t in tasks
    ]


def test_a_sorted_and_a_shuffled_table_give_the_same_tasks() -> None:
    frame = _canonical()
    ordered = frame.sort_values(["series_id", "ds"], ignore_index=True)
    shuffled = frame.sample(frac=1.0, random_state=3, ignore_index=True)

    from_sorted = build_tasks(ordered, PARAMS, {"a": "D"}, {})
    from_shuffled = build_tasks(shuffled, PARAMS, {"a": "D"}, {})

    assert [t.series_id for t in from_sorted] == ["a", "b", "c"]
    assert _as_tuples(from_sorted) == _as_tuples(from_shuffled)
    assert [len(t.ds) for t in from_sorted] == [9, 12, 15]
    assert all(np.all(np.diff(t.ds) > np.timedelta64(0)) for t in from_sorted)
    assert [t.frequency for t in from_sorted] == ["D", None, None]
    assert from_sorted[0].ds.dtype == np.dtype("datetime64[ns]")
    assert from_sorted[0].y.dtype == np.dtype("float64")


def test_a_task_owns_its_arrays() -> None:
    ordered = _canonical().sort_values(["series_id", "ds"], ignore_index=True)
    before = ordered.copy()
    tasks = build_tasks(ordered, PARAMS, {}, {})
    for task in tasks:
        task.y[:] = 0.0
        task.regressors[:] = 0.0  # type: ignore[index]
    pd.testing.assert_frame_equal(ordered, before)
