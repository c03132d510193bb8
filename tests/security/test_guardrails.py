"""Hostile files: bombs, huge lines, wide files and broken Parquet end in an error report.

The guardrails live in dropcast_ingest (limits.py, sniff.py); these tests
attack them through the public entry points, ``normalise`` and the upload
handler, with small limits so each attack is cheap to build. Every case
must end as an InputError with its own code, and through the handler as
``<stem>.error.json`` with nothing staged or published, never a crash.
"""

from __future__ import annotations

import gzip
import io
import json
import struct
import time
import zlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dropcast_common import naming
from dropcast_common.envelope import PushEnvelope, StorageNotification
from dropcast_common.errors import InputError
from dropcast_common.params import Params
from dropcast_common.testing import InMemoryBlobStore, RecordingPublisher, storage_push_body
from dropcast_ingest.bootstrap import IngestDeps
from dropcast_ingest.config import IngestSettings
from dropcast_ingest.handlers import Outcome, handle_upload
from dropcast_tables.limits import Limits
from dropcast_tables.normalise import normalise

MiB = 1024 * 1024
SMALL = Limits(
    max_bytes=4 * MiB,
    max_decompressed_bytes=2 * MiB,
    max_columns=50,
    max_line_bytes=64 * 1024,
    max_series=20,
    max_rows=50_000,
)
HEADER = b"date,y\n"


def _rows(count: int) -> bytes:
    return b"".join(b"2024-01-%02d,%d\n" % (1 + i % 28, i) for i in range(count))


def _bomb(inflated: int) -> bytes:
    """A gzip member that inflates to ``inflated`` bytes of a valid-looking CSV."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9) as gz:
        gz.write(HEADER)
        line = b"2024-01-01,1\n"
        chunk = line * (MiB // len(line))
        for _ in range(inflated // len(chunk)):
            gz.write(chunk)
    return buffer.getvalue()


def _lying_trailer(data: bytes) -> bytes:
    """The same gzip member with ISIZE claiming 100 bytes (defeats a trailer-only check)."""
    return data[:-4] + struct.pack("<I", 100)


def _wide(columns: int) -> bytes:
    header = "date," + ",".join(f"s{i}" for i in range(columns - 1))
    row = "2024-01-01," + ",".join("1" for _ in range(columns - 1))
    return f"{header}\n{row}\n{row.replace('01-01', '01-02')}\n".encode()


def _parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


BOMB = _bomb(64 * MiB)
GOOD_PARQUET = _parquet(
    pa.table({"date": pa.array(["2024-01-01", "2024-01-02", "2024-01-03"]), "y": [1.0, 2.0, 3.0]})
)

# name, content, expected error code
ATTACKS: list[tuple[str, str, bytes, str]] = [
    ("gzip-bomb", "bomb.csv.gz", BOMB, "decompressed_too_large"),
    (
        "gzip-bomb-lying-trailer",
        "liar.csv.gz",
        _lying_trailer(BOMB),
        "decompressed_too_large",
    ),
    (
        "gzip-bomb-multi-member",
        "multi.csv.gz",
        _bomb(MiB) * 8,  # each member small, together past the cap
        "decompressed_too_large",
    ),
    ("gzip-in-gzip", "nested.csv.gz", gzip.compress(_bomb(8 * MiB)), "binary_file"),
    ("truncated-gzip", "cut.csv.gz", gzip.compress(HEADER + _rows(5000))[:200], ""),
    ("file-too-large", "big.csv", HEADER + _rows(400_000), "file_too_large"),
    ("huge-line", "line.csv", HEADER + b"2024-01-01," + b"9" * (200 * 1024) + b"\n", ""),
    ("unclosed-quote", "quote.csv", HEADER + b'2024-01-01,"' + b"x" * (200 * 1024), ""),
    ("wide-file", "wide.csv", _wide(500), "too_many_columns"),
    ("binary-garbage", "noise.csv", bytes(range(256)) * 64, "binary_file"),
    ("parquet-garbage", "junk.parquet", b"PAR1" + b"\x00\xff" * 500 + b"PAR1", "malformed_parquet"),
    ("parquet-truncated", "cut.parquet", GOOD_PARQUET[: len(GOOD_PARQUET) // 2], ""),
    (
        "parquet-footer-lies",
        "footer.parquet",
        GOOD_PARQUET[:-8] + struct.pack("<I", 10**9) + b"PAR1",
        "malformed_parquet",
    ),
    (
        "parquet-wide",
        "wide.parquet",
        _parquet(pa.table({f"c{i}": [1.0, 2.0] for i in range(200)})),
        "too_many_columns",
    ),
]
# Where the exact code depends on which check fires first, any of these is right.
EITHER = {
    # A cut file ends in arbitrary bytes, which the size-trailer check may read as huge.
    "truncated-gzip": {"corrupt_compressed_file", "decompressed_too_large"},
    "huge-line": {"line_too_long"},
    "unclosed-quote": {"line_too_long", "unclosed_quote"},
    "parquet-truncated": {"malformed_parquet"},
}


def _expected(case: str, code: str) -> set[str]:
    return EITHER.get(case, {code})


@pytest.mark.parametrize(("case", "name", "content", "code"), ATTACKS, ids=[a[0] for a in ATTACKS])
def test_normalise_refuses_with_its_own_code(
    tmp_path: Path, case: str, name: str, content: bytes, code: str
) -> None:
    path = tmp_path / "input"
    path.write_bytes(content)
    started = time.perf_counter()
    with pytest.raises(InputError) as caught:
        normalise(path, name, Params(), SMALL)
    assert caught.value.code in _expected(case, code)
    assert caught.value.hint
    # A guardrail refuses early: no attack here may cost more than a few seconds.
    assert time.perf_counter() - started < 10


@pytest.mark.parametrize(("case", "name", "content", "code"), ATTACKS, ids=[a[0] for a in ATTACKS])
def test_upload_of_hostile_file_gets_an_error_report_and_nothing_else(
    case: str, name: str, content: bytes, code: str
) -> None:
    store, publisher = InMemoryBlobStore(), RecordingPublisher()
    settings = IngestSettings(input_bucket="in", staging_bucket="stage", output_bucket="out")
    deps = IngestDeps(settings, store, publisher, SMALL)
    generation = store.put_object("in", name, content)
    envelope = PushEnvelope.model_validate(storage_push_body("in", name, generation))
    outcome = handle_upload(StorageNotification.from_message(envelope.message), deps)
    assert outcome == Outcome.REJECTED
    assert publisher.messages == []
    # The error report, and the job's failed status: no staged data, no output.
    job = naming.job_id("in", name, generation)
    outputs = [n for bucket, n in store.writes if bucket == "out"]
    staged = {n for bucket, n in store.writes if bucket == "stage"}
    assert len(outputs) == 1
    assert outputs[0].endswith(".error.json")
    # Besides the status, only who owns what: the object's newest generation, the stem's owner.
    assert staged == {
        naming.status_object(job),
        naming.newest_generation_object("in", name),
        naming.stem_claim("out", naming.output_stem(name)),
    }
    report = json.loads(store.read("out", outputs[0]))
    assert report["code"] in _expected(case, code)
    assert report["hint"]


def test_default_limits_are_finite_and_sane() -> None:
    limits = Limits()
    assert 0 < limits.max_bytes <= limits.max_decompressed_bytes <= 4 * 1024 * MiB
    assert 0 < limits.max_line_bytes <= 16 * MiB
    assert 0 < limits.max_columns <= 10_000


def test_bomb_ratio_is_what_makes_it_a_bomb() -> None:
    # Guard against the fixture silently becoming harmless.
    assert len(BOMB) < MiB
    assert len(zlib.decompress(BOMB, 31)) > 60 * MiB
