"""Ingest's fast paths (benchmark B2), each against the plain computation it stands for.

Every shortcut must give exactly what the general path gives: frequency
inference on NumPy arrays against a per-series pandas reference, the
sniffer's record count against a full CSV parse, plain numbers and ISO
dates read by Arrow's casts against the cleaning and ``strptime`` paths,
the chunked order check against a whole-frame one.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Generator, Iterable
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from unittest.mock import patch

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dropcast_common import frequency
from dropcast_common.params import resolve
from dropcast_tables import dates, numbers, quality, sniff
from dropcast_tables import normalise as normalise_module
from dropcast_tables.limits import Limits
from dropcast_tables.normalise import normalise

FREQUENCIES = ["D", "B", "3D", "W-WED", "MS", "ME", "QS-FEB", "YS", "YE", "h", "5min"]


if TYPE_CHECKING:
    from _typeshed import SupportsRichComparison

T = TypeVar("T", bound="SupportsRichComparison")


def _most_common(values: Iterable[T]) -> T:
    counts = Counter(values)
    return min(counts, key=lambda v: (-counts[v], v))


def reference_infer(frame: pd.DataFrame) -> dict[str, str]:
    """The frequency of each series, one series at a time with pandas."""
    out = {}
    for sid, group in frame.groupby("series_id", sort=False, observed=True):
        ds = group["ds"]
        steps = ds.diff().dropna()
        if steps.empty:
            continue  # one timestamp: no frequency
        months = (ds.dt.year * 12 + ds.dt.month).diff().dropna()
        step = pd.Timedelta(_most_common(steps))
        month_start = bool((ds.dt.day == 1).all())
        month_end = bool(ds.dt.is_month_end.all())
        monthly = step >= pd.Timedelta(days=28) and (month_start or month_end)
        name = frequency._name(
            frequency._Key(
                step.value,
                int(_most_common(months)) if monthly else None,
                month_start and monthly,
                month_end and monthly,
                bool((ds.dt.day_of_week >= 5).any()),
                bool((steps == pd.Timedelta(days=3)).any()),
                ds.iloc[0].weekday(),
                ds.iloc[0].month,
            )
        )
        assert name is not None  # two timestamps or more always have one
        out[str(sid)] = name
    return out


@st.composite
def canonical_frames(draw: st.DrawFn) -> pd.DataFrame:
    """1-4 series of any frequency, some rows missing, in order or shuffled."""
    parts = []
    for k in range(draw(st.integers(1, 4))):
        freq = draw(st.sampled_from(FREQUENCIES))
        start = pd.Timestamp("1950-01-01") + pd.Timedelta(days=draw(st.integers(0, 60_000)))
        ds = pd.date_range(start, periods=draw(st.integers(1, 30)), freq=freq)
        kept = draw(st.lists(st.booleans(), min_size=len(ds), max_size=len(ds)))
        ds = ds[np.array(kept) | (np.arange(len(ds)) == 0)]
        parts.append(pd.DataFrame({"series_id": f"s{k}", "ds": ds, "y": 1.0}))
    frame = pd.concat(parts, ignore_index=True)
    if draw(st.booleans()):
        frame = frame.sample(frac=1, random_state=draw(st.integers(0, 99))).reset_index(drop=True)
    if draw(st.booleans()):
        frame = frame.astype({"series_id": "category"})
    return frame.astype({"ds": "datetime64[ns]"})


@settings(max_examples=300, deadline=None)
@given(canonical_frames(), st.sampled_from([1, 5, 1 << 20]))
def test_infer_names_every_series_as_a_per_series_reference(
    frame: pd.DataFrame, chunk_rows: int
) -> None:
    with patch.object(frequency, "_CHUNK_ROWS", chunk_rows):
        got = frequency.infer(frame)
    expected = reference_infer(frame)
    assert list(got.items()) == list(expected.items())


@settings(max_examples=100, deadline=None)
@given(canonical_frames())
def test_gaps_count_the_periods_each_series_misses(frame: pd.DataFrame) -> None:
    freqs = frequency.infer(frame)
    missing = {}
    for sid, group in frame.groupby("series_id", sort=False, observed=True):
        if str(sid) not in freqs:
            continue  # one timestamp: no frequency, so no gaps either
        first, last = group["ds"].iloc[0], group["ds"].iloc[-1]
        expected = len(pd.date_range(first, last, freq=freqs[str(sid)]))
        if expected > len(group):
            missing[str(sid)] = expected - len(group)
    report = frequency.gaps(frame, freqs)
    assert report["series_with_gaps"] == len(missing)
    assert report["missing_periods"] == sum(missing.values())
    assert {w["series_id"]: w["missing_periods"] for w in report["worst"]} == missing


def test_infer_of_a_long_frame_takes_it_a_run_of_series_at_a_time() -> None:
    days = pd.date_range("2021-01-01", periods=50, freq="D")
    frame = pd.DataFrame(
        {
            "series_id": pd.Categorical(np.repeat([f"s{k:02d}" for k in range(40)], 50)),
            "ds": np.tile(days.to_numpy(), 40),
        }
    )
    with patch.object(frequency, "_CHUNK_ROWS", 120):
        assert frequency.infer(frame) == dict.fromkeys(frame["series_id"].cat.categories, "D")


def _parsed_records(body: list[str], delimiter: str) -> list[list[str]]:
    rows = csv.reader(io.StringIO("\n".join(body)), delimiter=delimiter)
    return [[c.strip() for c in row] for row in rows if any(c.strip() for c in row)]


odd_lines = st.sampled_from(["", "   ", ",,", " ; ;", "\t\t", "|", 'x,"a\nb",1', '"q";1'])


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from([",", ";", "\t", "|"]),
    st.integers(sniff.SAMPLE_ROWS - 3, sniff.SAMPLE_ROWS + 40),
    st.lists(st.tuples(st.integers(0, sniff.SAMPLE_ROWS + 40), odd_lines), max_size=4),
)
def test_sample_records_are_counted_as_a_full_parse_counts_them(
    delimiter: str, rows: int, odd: list[tuple[int, str]]
) -> None:
    body = [delimiter.join([f"s{i % 7}", f"2024-01-{1 + i % 28:02d}", str(i)]) for i in range(rows)]
    for at, line in sorted(odd, reverse=True):
        body[at:at] = line.split("\n")
    body = "\n".join(body).split("\n")
    nonblank = sum(1 for line in body if line.strip())
    longest = max(map(len, body))
    records, total = sniff._records(body, delimiter, longest, nonblank)
    everything = _parsed_records(body, delimiter)
    assert total == len(everything)
    assert records == everything[: sniff.SAMPLE_ROWS + 1]


def test_a_quoted_newline_after_the_sample_rows_is_still_seen(tmp_path: Path) -> None:
    lines = [f"s{i % 3},2024-01-{1 + i % 28:02d},{i}" for i in range(3 * sniff.SAMPLE_ROWS)]
    lines[2 * sniff.SAMPLE_ROWS] = 's1,2024-01-02,"1\n2"'
    path = tmp_path / "late.csv"
    path.write_text("id,date,value\n" + "\n".join(lines) + "\n")
    found = sniff.sniff(path, path.name, resolve(), Limits())
    assert found.dialect.newlines_in_values
    assert len(found.rows) == sniff.SAMPLE_ROWS


numbers_as_written = st.one_of(
    st.floats(allow_nan=False).map(repr),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda x: f"{x:.3e}"),
    st.integers(-(10**12), 10**12).map(str),
    st.integers(0, 10**6).map(lambda n: f"+{n}.{n % 7}"),
    st.sampled_from(["inf", "-inf", "nan", "-0", ".5", "5.", "1,234.5", " 7 ", "1 000", "$3"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), numbers_as_written), max_size=20))
def test_numbers_read_directly_are_the_numbers_cleaning_gives(cells: list[str | None]) -> None:
    values = pa.array(cells, pa.string())
    got, bad = numbers.to_float(values, numbers.NumberFormat("."))
    text = pc.utf8_trim_whitespace(values)
    text = pc.replace_substring_regex(text, numbers._GROUPING, "")
    cleaned = pc.cast(pc.replace_substring(text, ",", ""), pa.float64())
    expected = cleaned.to_numpy(zero_copy_only=False).astype("float64")
    assert np.array_equal(got, expected, equal_nan=True)
    assert np.array_equal(np.signbit(got), np.signbit(expected))
    assert not bad.any()


NOT_PLAIN = ["2021-02-30", "2021-1-5", " 2021-01-05"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.dates(pd.Timestamp("1600-01-01").date(), pd.Timestamp("2400-12-31").date()).map(str),
            st.sampled_from(NOT_PLAIN),
        ),
        max_size=12,
    )
)
def test_plain_iso_dates_are_read_as_strptime_reads_them(cells: list[str | None]) -> None:
    values = pa.array(cells, pa.string())
    fast = dates._plain_dates(values)
    stamps = pc.strptime(
        pc.utf8_trim_whitespace(values), format="%Y-%m-%d", unit="ns", error_is_null=True
    )
    if stamps.null_count == values.null_count:
        expected = np.asarray(stamps.to_numpy(zero_copy_only=False), dtype="datetime64[ns]")
        assert fast is None or np.array_equal(fast, expected, equal_nan=True)
    else:
        assert fast is None
    if all(c is None or (c not in NOT_PLAIN and "1677-09-22" <= c <= "2262-04-11") for c in cells):
        assert fast is not None  # every cell plain and in range: the cast reads them all
    if fast is not None:
        assert np.array_equal(dates.parse_array(values, dates.DateFormat("iso")), fast, True)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 3)), max_size=12))
def test_order_is_checked_a_run_at_a_time_as_on_the_whole(rows: list[tuple[int, int]]) -> None:
    codes = np.array([r[0] for r in rows], dtype=np.int8)
    stamps = np.array([r[1] for r in rows], dtype="int64").astype("datetime64[D]")
    frame = pd.DataFrame(
        {
            "series_id": pd.Categorical.from_codes(codes, pd.Index(["a", "b", "c"])),
            "ds": stamps.astype("datetime64[ns]"),
        }
    )
    step = np.diff(codes)
    expected = bool((step >= 0).all() and (np.diff(stamps)[step == 0] >= np.timedelta64(0)).all())
    with patch.object(quality, "_CHUNK_ROWS", 3):
        assert quality._is_sorted(frame) == expected


def test_shuffled_rows_give_the_table_sorted_rows_give(tmp_path: Path) -> None:
    days = pd.date_range("2023-01-02", periods=60, freq="D")
    rows = [f"s{k},{d:%Y-%m-%d},{k * 100 + i}" for k in range(5) for i, d in enumerate(days)]
    shuffled = [rows[i] for i in np.random.default_rng(3).permutation(len(rows))]
    results = []
    for name, body in (("sorted.csv", rows), ("shuffled.csv", shuffled)):
        path = tmp_path / name
        path.write_text("id,date,value\n" + "\n".join(body) + "\n")
        results.append(normalise(path, name, resolve()))
    pd.testing.assert_frame_equal(results[0].frame, results[1].frame)
    assert (
        results[0].frequencies
        == results[1].frequencies
        == dict.fromkeys([f"s{k}" for k in range(5)], "D")
    )
    frame = results[0].frame
    assert frame["series_id"].dtype == "str"
    assert isinstance(frame["series_id"].array, pd.arrays.ArrowStringArray)
    assert list(frame["series_id"].unique()) == [f"s{k}" for k in range(5)]


def test_ids_are_trimmed_once_per_block_and_dropped_series_do_not_count(tmp_path: Path) -> None:
    days = pd.date_range("2023-01-02", periods=40, freq="D")
    rows = [f"{sid},{d:%Y-%m-%d},{i}" for i, d in enumerate(days) for sid in (" a", "a ", "b")]
    rows += [f"z,,{i}" for i in range(30)]  # a series whose every row has no date
    path = tmp_path / "ids.csv"
    path.write_text("id,date,value\n" + "\n".join(rows) + "\n")
    limits = Limits(max_series=2)
    result = normalise(path, path.name, resolve({"duplicates": "sum"}), limits)
    assert list(result.frame["series_id"].unique()) == ["a", "b"]
    assert result.quality["duplicates"]["count"] == 40
    assert result.frame.loc[result.frame["series_id"] == "a", "y"].tolist() == [
        2.0 * i for i in range(40)
    ]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["b", "a", "c ", "B", "é", "10", "9"]), max_size=30))
def test_categories_are_sorted_as_reorder_categories_sorts_them(names: list[str]) -> None:
    ids = pd.Series(names, dtype="category")
    ids = ids.cat.reorder_categories(list(reversed(ids.cat.categories)))
    expected = ids.cat.reorder_categories(sorted(ids.cat.categories))
    pd.testing.assert_series_equal(normalise_module._sorted_categories(ids), expected)


def test_collected_blocks_are_let_go_as_they_are_joined() -> None:
    parts = [np.arange(k, k + 3, dtype="float64") for k in range(0, 12, 3)]
    joined = normalise_module._drain(parts, np.dtype("float64"))
    assert parts == []
    assert np.array_equal(joined, np.arange(12, dtype="float64"))


def test_the_block_read_ahead_stops_with_its_caller() -> None:
    read: list[int] = []
    closed: list[bool] = []

    def blocks() -> Generator[pa.RecordBatch, None, None]:
        try:
            for k in range(10):
                read.append(k)
                yield pa.record_batch({"k": [k]})
        finally:
            closed.append(True)

    with closing(normalise_module._prefetched(blocks())) as ahead:
        assert next(ahead).column(0).to_pylist() == [0]
        assert next(ahead).column(0).to_pylist() == [1]
    assert read == [0, 1, 2]  # one block ahead, no more
    assert closed == [True]


def test_an_error_while_reading_ahead_reaches_the_caller() -> None:
    def blocks() -> Generator[pa.RecordBatch, None, None]:
        yield pa.record_batch({"k": [0]})
        raise ValueError("bad block")

    with closing(normalise_module._prefetched(blocks())) as ahead:
        assert next(ahead).num_rows == 1
        with pytest.raises(ValueError, match="bad block"):
            next(ahead)


@pytest.mark.parametrize("layout", ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"])
def test_an_impossible_day_is_reported_never_rolled_into_the_next_month(
    tmp_path: Path, layout: str
) -> None:
    good = pd.date_range("2021-02-01 10:00", periods=28, freq="D").strftime(layout)
    bad = layout.replace("%Y", "2021").replace("%m", "02").replace("%d", "30")
    bad = bad.replace("%H", "10").replace("%M", "00").replace("%S", "00")
    source = tmp_path / "feb.csv"
    source.write_text("date,y\n" + "".join(f"{d},{k}\n" for k, d in enumerate([*good, bad])))
    result = normalise(source, source.name, resolve())
    assert result.frame["ds"].max() < pd.Timestamp("2021-03-01")  # no 2 March from 30 February
    unreadable = result.quality["dates"]["unparseable"]
    assert unreadable["count"] == 1
    assert unreadable["examples"][0]["value"] == bad
