"""Fuzz the sniffer and normaliser: random bytes and mutated real files.

The property is the ingest contract: ``normalise`` either returns the
canonical table or raises InputError (which becomes an error report).
Any other exception is a crash that would turn into a 500 and a Pub/Sub
retry loop. The same inputs pushed through the ingest app must never get
a 5xx.
"""

from __future__ import annotations

import gzip
import io
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from dropcast_common.errors import InputError
from dropcast_common.params import Params
from dropcast_common.table import COLUMNS
from dropcast_common.testing import InMemoryBlobStore, RecordingPublisher, storage_push_body
from dropcast_ingest.bootstrap import IngestDeps
from dropcast_ingest.config import IngestSettings
from dropcast_ingest.main import create_app
from dropcast_tables.limits import Limits
from dropcast_tables.normalise import normalise

pytestmark = pytest.mark.fuzz

# Small caps keep each example fast; the guardrails themselves are fuzzed too.
LIMITS = Limits(
    max_bytes=256 * 1024,
    max_decompressed_bytes=512 * 1024,
    max_rows=20_000,
    max_columns=200,
    max_series=500,
    max_line_bytes=16 * 1024,
)
SEEDS = [
    b"date,y\n2014-04-30,1157\n2014-05-01,1118\n2014-05-02,1310\n2014-05-03,874\n",
    b"store,date,sales\na,2024-01-01,1\na,2024-01-02,2\nb,2024-01-01,3\nb,2024-01-02,4\n",
    b"date;north;south\n01.03.2024;1,5;2,5\n02.03.2024;1,7;2,1\n03.03.2024;1,9;2,0\n",
    b"\xef\xbb\xbfDatum\tWert\n2024-01-01\t1\n2024-01-02\t\n2024-01-03\t3\n",
    b'"ds","y"\n"2024-01-01 00:00","1e3"\n"2024-01-01 01:00","NaN"\n"2024-01-01 02:00","-2"\n',
    b"2024-01-01,5\n2024-02-01,6\n2024-03-01,7\n",
]
SPECIAL = [b'"', b",", b";", b"\t", b"\n", b"\r", b"\x00", b"\xff", b"\xef\xbb\xbf", b"=", b"\\"]
SUFFIXES = [".csv", ".csv.gz", ".tsv", ".txt", ".parquet"]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A seed file with a few byte-level edits: flips, inserts, deletions, truncation."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["insert", "delete", "flip", "repeat", "truncate"]))
        if op == "insert":
            data[at:at] = draw(st.sampled_from(SPECIAL) | st.binary(min_size=1, max_size=4))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 8))]
        elif op == "flip" and at < len(data):
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "repeat":
            data[at:at] = bytes(data[at : at + 40]) * draw(st.integers(1, 50))
        elif op == "truncate":
            del data[at:]
    return bytes(data)


def _parquet(content: bytes) -> bytes:
    """Turn the first bytes of a mutated CSV into a (possibly odd) Parquet file."""
    try:
        frame = pd.read_csv(io.BytesIO(content), dtype=str, on_bad_lines="skip")
    except Exception:  # any unreadable seed just gives an empty table
        frame = pd.DataFrame({"date": [], "y": []})
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), sink)
    return sink.getvalue()


@st.composite
def uploads(draw: st.DrawFn) -> tuple[str, bytes]:
    """(name, content): random bytes, mutated CSVs, their gzip and Parquet forms."""
    suffix = draw(st.sampled_from(SUFFIXES))
    source = draw(st.one_of(mutated(), st.binary(max_size=2048)))
    if suffix == ".csv.gz" and draw(st.booleans()):
        source = gzip.compress(source)
    if suffix == ".parquet" and draw(st.booleans()):
        source = _parquet(source)
        if draw(st.booleans()):  # and damage it
            at = draw(st.integers(0, len(source) - 1))
            source = source[:at] + bytes([source[at] ^ 0xFF]) + source[at + 1 :]
    return f"upload{suffix}", source


def _check_canonical(frame: pd.DataFrame) -> None:
    assert list(frame.columns) == COLUMNS
    assert all(type(value) is str for value in frame["series_id"])
    assert pd.api.types.is_datetime64_dtype(frame["ds"])
    assert frame["ds"].dt.tz is None
    assert frame["y"].dtype == "float64"
    ordered = frame.sort_values(["series_id", "ds"], kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(frame.reset_index(drop=True), ordered)


@given(uploads())
def test_normalise_returns_canonical_table_or_input_error(upload: tuple[str, bytes]) -> None:
    name, content = upload
    with tempfile.TemporaryDirectory(prefix="dropcast-fuzz-") as tmp:
        path = Path(tmp) / "input"
        path.write_bytes(content)
        try:
            result = normalise(path, name, Params(), LIMITS)
        except InputError as err:
            refused: InputError | None = err
        else:
            refused = None
    if refused is not None:
        assert refused.code
        assert refused.message
        assert refused.hint
    else:
        _check_canonical(result.frame)


@pytest.fixture(scope="module")
def ingest() -> tuple[TestClient, InMemoryBlobStore]:
    store = InMemoryBlobStore()
    settings = IngestSettings(input_bucket="in", staging_bucket="stage", output_bucket="out")
    deps = IngestDeps(settings, store, RecordingPublisher(), LIMITS)
    return TestClient(create_app(deps)), store


@given(upload=uploads())
def test_ingest_service_never_answers_5xx(
    ingest: tuple[TestClient, InMemoryBlobStore], upload: tuple[str, bytes]
) -> None:
    client, store = ingest
    name, content = upload
    generation = store.put_object("in", name, content)
    response = client.post("/push/uploads", json=storage_push_body("in", name, generation))
    assert response.status_code == 204, response.text
