"""The per-series mode behind frequency inference, against a plain Counter."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from dropcast_common.frequency import _mode

rows = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c"]), st.one_of(st.none(), st.sampled_from([1, 2, 3, 7]))
    ),
    max_size=40,
)


def reference(pairs: list[tuple[str, int | None]]) -> dict[str, int]:
    counts: dict[str, Counter[int]] = {}
    for sid, value in pairs:
        if value is not None:
            counts.setdefault(sid, Counter())[value] += 1
    return {sid: min(c, key=lambda v: (-c[v], v)) for sid, c in counts.items()}


@settings(max_examples=200, deadline=None)
@given(rows, st.booleans(), st.booleans())
def test_mode_is_the_most_common_value_smallest_on_ties(
    pairs: list[tuple[str, int | None]], timedeltas: bool, categorical: bool
) -> None:
    sid = pd.Series([p[0] for p in pairs], dtype="category" if categorical else object)
    raw = pd.Series([np.nan if p[1] is None else float(p[1]) for p in pairs], dtype="float64")
    values = pd.to_timedelta(raw, unit="D") if timedeltas else raw
    got = _mode(sid, values)
    expected = reference(pairs)
    assert {str(k) for k in got.index} == set(expected)
    for key, value in got.items():
        number = value / pd.Timedelta(days=1) if timedeltas else value
        assert number == expected[str(key)]
