"""Property: a table written in any supported dialect sniffs back to the same canonical table."""

from __future__ import annotations

import csv
import gzip
import io
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dropcast_common.params import resolve
from dropcast_common.table import DEFAULT_SERIES_ID
from dropcast_tables.normalise import normalise

FREQS = {"D": "%Y-%m-%d", "h": "%Y-%m-%dT%H:%M:%S", "MS": "%Y-%m-%d"}


@st.composite
def tables(draw: st.DrawFn) -> pd.DataFrame:
    """A canonical table: 1-3 series of 3-40 evenly spaced, 2-decimal values."""
    freq = draw(st.sampled_from(sorted(FREQS)))
    count = draw(st.integers(1, 3))
    start = pd.Timestamp("2001-01-01") + pd.Timedelta(days=draw(st.integers(0, 7000)))
    if freq == "MS":
        start = start.replace(day=1)
    length = draw(st.integers(3, 40))
    ds = pd.date_range(start, periods=length, freq=freq)
    cents = st.integers(-(10**7), 10**7)
    frames = [
        pd.DataFrame(
            {
                "series_id": f"s{k}" if count > 1 else DEFAULT_SERIES_ID,
                "ds": ds,
                "y": [draw(cents) / 100 for _ in range(length)],
            }
        )
        for k in range(count)
    ]
    frame = pd.concat(frames, ignore_index=True)
    frame.attrs["freq"] = freq
    return frame


@st.composite
def dialects(draw: st.DrawFn) -> dict[str, object]:
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    return {
        "delimiter": delimiter,
        "decimal": draw(st.sampled_from([".", ","])) if delimiter != "," else ".",
        "encoding": draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"])),
        "header": draw(st.booleans()),
        "layout": draw(st.sampled_from(["wide", "long"])),
        "quoting": draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC])),
        "newline": draw(st.sampled_from(["\n", "\r\n"])),
        "date_style": draw(st.sampled_from(["iso", "zulu", "slashes", "dayfirst"])),
        "container": draw(st.sampled_from(["plain", "gzip", "parquet"])),
    }


def _dates(ds: pd.Series[pd.Timestamp], style: str, freq: str) -> pd.Series[str]:
    if freq == "h" or style == "zulu":
        text = ds.dt.strftime("%Y-%m-%dT%H:%M:%S")
        return text + "Z" if style == "zulu" else text
    layout = {"iso": "%Y-%m-%d", "slashes": "%Y/%m/%d", "dayfirst": "%d.%m.%Y"}[style]
    return ds.dt.strftime(layout)


def _write(frame: pd.DataFrame, d: dict[str, object]) -> tuple[str, bytes]:
    freq = str(frame.attrs["freq"])
    dates = _dates(frame["ds"], str(d["date_style"]), freq)
    if d["layout"] == "long":
        out = pd.DataFrame({"series": frame["series_id"], "date": dates, "value": frame["y"]})
    else:
        out = (
            frame.assign(date=dates)
            .pivot(index="date", columns="series_id", values="y")
            .reset_index()
            .rename_axis(columns=None)
        )
    if d["container"] == "parquet":
        sink = io.BytesIO()
        pq.write_table(pa.Table.from_pandas(out, preserve_index=False), sink)
        return "t.parquet", sink.getvalue()
    if d["decimal"] == ",":
        for column in out.columns:
            if out[column].dtype == "float64":
                out[column] = out[column].map(lambda v: repr(v).replace(".", ","))
    text = out.to_csv(
        sep=str(d["delimiter"]),
        index=False,
        header=bool(d["header"]),
        quoting=int(d["quoting"]),  # type: ignore[call-overload]
        lineterminator=str(d["newline"]),
    )
    data = text.encode(str(d["encoding"]))
    if d["container"] == "gzip":
        return "t.csv.gz", gzip.compress(data, mtime=0)
    return "t.csv", data


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=tables(), dialect=dialects())
def test_any_dialect_reads_back_to_the_same_table(
    frame: pd.DataFrame, dialect: dict[str, object]
) -> None:
    multi = frame["series_id"].nunique() > 1
    if dialect["container"] == "parquet":
        dialect["header"] = True
    if not dialect["header"] and multi and dialect["layout"] == "wide":
        # Without a header a wide file's series have no names to keep.
        dialect["header"] = True
    name, data = _write(frame, dialect)
    params = {"dayfirst": "true"} if dialect["date_style"] == "dayfirst" else {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        result = normalise(path, name, resolve(params))
    # A long file's one series keeps the name in its id column ("y" here).
    got = result.frame.reset_index(drop=True)
    want = frame.sort_values(["series_id", "ds"], ignore_index=True)
    pd.testing.assert_frame_equal(got, want.astype({"series_id": "str"}), check_dtype=False)
    assert set(result.frequencies.values()) == {str(frame.attrs["freq"])}
