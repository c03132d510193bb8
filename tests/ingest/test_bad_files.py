"""Bad files: each kind is refused with its own stable code and a hint a person can act on."""

from __future__ import annotations

import gzip
import io
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dropcast_common.errors import InputError
from dropcast_common.params import resolve
from dropcast_tables.limits import Limits
from dropcast_tables.manifest import parse as parse_manifest
from dropcast_tables.normalise import normalise

REPO = Path(__file__).resolve().parents[2]
SMALL = Limits(
    max_bytes=1024 * 1024,
    max_decompressed_bytes=256 * 1024,
    max_rows=2_000,
    max_columns=20,
    max_series=5,
    max_line_bytes=4096,
)


def days(count: int, fmt: str = "2024-01-{:02d},{}") -> str:
    return "".join(fmt.format(1 + i % 28, i) + "\n" for i in range(count))


def parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def long_dates(count: int) -> list[str]:
    start = 738_000  # a proleptic ordinal, to get many distinct ISO days
    from datetime import date

    return [date.fromordinal(start + i).isoformat() for i in range(count)]


_GZ = gzip.compress(b"date,y\n2024-01-01,1\n2024-01-02,2\n", mtime=0)
# Damage the deflate stream, keep the header and the size trailer honest.
CORRUPT_GZIP = _GZ[:12] + bytes(b ^ 0xFF for b in _GZ[12:-8]) + _GZ[-8:]
GOOD_1200 = "".join(f"{d},{i}\n" for i, d in enumerate(long_dates(1200)))
BAD_TAIL_DATES = "".join(f"someday {i},{i}\n" for i in range(400))
BAD_TAIL_VALUES = "".join(f"{d},about {i}\n" for i, d in enumerate(long_dates(1600)[1200:]))

# case id → (file name, content, parameters, expected code, a phrase the hint must contain)
BAD: dict[str, tuple[str, bytes, dict[str, Any], str, str]] = {
    "empty": ("a.csv", b"", {}, "empty_file", "header row"),
    "only-comments": ("a.csv", b"# nothing here\n\n# still nothing\n", {}, "empty_file", "header"),
    "header-only": ("a.csv", b"date,y\n", {}, "no_data_rows", "data below the header"),
    "binary": ("a.csv", bytes(range(256)) * 8, {}, "binary_file", "CSV"),
    "excel": ("a.csv", b"PK\x03\x04" + b"\x00" * 100, {}, "unsupported_format", "Export"),
    "pdf": ("a.csv", b"%PDF-1.4\n" + b"x" * 100, {}, "unsupported_format", "CSV"),
    "no-date-column": ("a.csv", b"a,b\n1,2\n3,4\n5,6\n", {}, "no_date_column", "date_column"),
    "no-value-column": (
        "a.csv",
        ("date,who\n" + days(10, "2024-01-{:02d},person {}")).encode(),
        {},
        "no_value_column",
        "value_columns",
    ),
    "one-row": ("a.csv", b"date,y\n2024-01-01,5\n", {}, "too_few_rows", "at least 2"),
    "all-values-missing": (
        "a.csv",
        b"date,y\n2024-01-01,\n2024-01-02,NA\n2024-01-03,\n",
        {},
        "all_values_missing",
        "numbers",
    ),
    "two-date-columns": (
        "a.csv",
        b"start,end,y\n2024-01-01,2024-01-02,1\n2024-01-02,2024-01-03,2\n2024-01-03,2024-01-04,3\n",
        {},
        "ambiguous_date_column",
        "date_column",
    ),
    "preamble-without-a-table": (
        "a.csv",
        b'"Data Source","World Development Indicators",\n\n"Last Updated Date","2024-06-28",\n',
        {},
        "no_table_found",
        "table itself",
    ),
    "web-page-saved-as-csv": (
        "a.csv",
        b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n"
        b"<body><h1>Not Found</h1></body></html>\n",
        {},
        "unsupported_format",
        "browser",
    ),
    "date-format-that-does-not-read": (
        "a.csv",
        b"when,y\n01|02|2024,1\n02|02|2024,2\n03|02|2024,3\n",
        {"date_column": "when", "date_format": "%Y-%m-%d"},
        "unparseable_dates",
        "date_format",
    ),
    "day-or-month": (
        "a.csv",
        b"date,y\n01/01/2024,1\n02/01/2024,2\n03/01/2024,3\n",
        {},
        "ambiguous_dates",
        "dayfirst",
    ),
    "dates-unreadable-past-sample": (
        "a.csv",
        ("date,y\n" + GOOD_1200 + BAD_TAIL_DATES).encode(),
        {},
        "unparseable_dates",
        "ISO",
    ),
    "named-date-column-not-dates": (
        "a.csv",
        b"date,label,y\n2024-01-01,red,1\n2024-01-02,blue,2\n",
        {"date_column": "label"},
        "unparseable_dates",
        "date_column",
    ),
    "text-in-values-past-sample": (
        "a.csv",
        ("date,y\n" + GOOD_1200 + BAD_TAIL_VALUES).encode(),
        {},
        "non_numeric_values",
        "value_columns",
    ),
    "duplicates-refused": (
        "a.csv",
        b"date,y\n2024-01-01,1\n2024-01-01,2\n2024-01-02,3\n",
        {"duplicates": "error"},
        "duplicate_timestamps",
        "duplicates=mean",
    ),
    "unknown-column": (
        "a.csv",
        b"date,y\n2024-01-01,1\n",
        {"date_column": "when"},
        "unknown_column",
        "date,",
    ),
    "unknown-encoding": (
        "a.csv",
        b"date,y\n2024-01-01,1\n",
        {"encoding": "klingon"},
        "invalid_parameter",
        "utf-8",
    ),
    "bad-frequency": (
        "a.csv",
        b"date,y\n2024-01-01,1\n",
        {"frequency": "fortnightly"},
        "invalid_parameter",
        "W-SUN",
    ),
    "gzip-bomb": (
        "a.csv.gz",
        gzip.compress(b"date,y\n" + b"2024-01-01,1\n" * 200_000),
        {},
        "decompressed_too_large",
        "smaller",
    ),
    "corrupt-gzip": (
        "a.csv.gz",
        CORRUPT_GZIP,
        {},
        "corrupt_compressed_file",
        "gzip",
    ),
    "huge-line": (
        "a.csv",
        b"date,y\n2024-01-01," + b"7" * 10_000 + b"\n",
        {},
        "line_too_long",
        "quote",
    ),
    "too-many-columns": (
        "a.csv",
        (
            "date," + ",".join(f"s{i}" for i in range(30)) + "\n2024-01-01" + ",1" * 30 + "\n"
        ).encode(),
        {},
        "too_many_columns",
        "long format",
    ),
    "too-many-rows": ("a.csv", ("date,y\n" + GOOD_1200 * 2).encode(), {}, "too_many_rows", "Split"),
    "too-many-series": (
        "a.csv",
        (
            "store,date,y\n"
            + "".join(f"s{i % 9},2024-01-{1 + i // 9:02d},{i}\n" for i in range(90))
        ).encode(),
        {},
        "too_many_series",
        "id_columns",
    ),
    "file-too-large": (
        "a.csv",
        b"date,y\n" + b"2024-01-01,1\n" * 100_000,
        {},
        "file_too_large",
        "Split",
    ),
    "malformed-parquet": (
        "a.parquet",
        b"PAR1" + b"\x01" * 64 + b"PAR1",
        {},
        "malformed_parquet",
        "Parquet",
    ),
    "parquet-without-rows": (
        "a.parquet",
        parquet(pa.table({"date": pa.array([], pa.string()), "y": pa.array([], pa.float64())})),
        {},
        "no_data_rows",
        "rows",
    ),
    "ragged-rows": (
        "a.csv",
        ("date,y\n" + days(20) + "2024-02-01,1,2,3\n" * 5).encode(),
        {},
        "malformed_rows",
        "same number of fields",
    ),
    "stacked-without-ids": (
        "a.csv",
        ("date,y\n" + "".join(f"2024-01-0{1 + i // 4},{i}\n" for i in range(20))).encode(),
        {},
        "ambiguous_layout",
        "id_columns",
    ),
    "long-declared-without-ids": (
        "a.csv",
        ("date,y\n" + days(5)).encode(),
        {"layout": "long"},
        "no_id_column",
        "id_columns",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_file_is_refused_with_its_code_and_a_hint(case: str, tmp_path: Path) -> None:
    name, content, params, code, hint = BAD[case]
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        normalise(path, name, resolve(params), SMALL)
    err = caught.value
    assert err.code == code, err.message
    assert hint.lower() in err.hint.lower()
    assert name in err.message or "parameter" in err.message


def test_at_least_25_kinds_of_bad_file() -> None:
    assert len({spec[3] for spec in BAD.values()}) >= 25


@pytest.mark.parametrize(
    ("params", "code"),
    [({"horizn": "3"}, "unknown_parameter"), ({"layout": "diagonal"}, "invalid_parameter")],
)
def test_bad_parameters_are_input_errors(params: dict[str, str], code: str) -> None:
    with pytest.raises(InputError) as caught:
        resolve(params)
    assert caught.value.code == code


def test_bad_manifest_is_an_input_error_with_position() -> None:
    with pytest.raises(InputError) as caught:
        parse_manifest(b'{"input": "a.csv" "x": 1}', "m.dropcast.json")
    assert caught.value.code == "manifest_invalid_json"
    assert caught.value.details["column"] == 19


def test_details_point_at_the_offending_cell(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(("date,y\n" + GOOD_1200 + BAD_TAIL_VALUES).encode())
    with pytest.raises(InputError) as caught:
        normalise(path, "a.csv", resolve())
    assert caught.value.details["line"] == 1202
    assert caught.value.details["column"] == "y"
    assert caught.value.details["value"] == "about 0"


def test_every_error_code_is_documented() -> None:
    ingest = [
        *(REPO / "services/ingest/src/dropcast_ingest").glob("*.py"),
        REPO / "libs/common/src/dropcast_common/params.py",
    ]
    everywhere = [*(REPO / "services").glob("*/src/*/*.py"), *(REPO / "libs").glob("*/src/*/*.py")]
    codes = set()
    for source in everywhere:
        text = source.read_text()
        codes |= set(re.findall(r'InputError\(\s*"([a-z_]+)"', text))
        codes |= set(re.findall(r'^CODE = "([a-z_]+)"', text, re.M))
    for source in ingest:  # codes built by helpers that take the code as their first argument
        codes |= set(re.findall(r'^\s+"([a-z]+(?:_[a-z]+)+)",\n\s+f?"', source.read_text(), re.M))
    documented = set(re.findall(r"^## `([a-z_]+)`", (REPO / "docs/errors.md").read_text(), re.M))
    assert {c for spec in BAD.values() for c in [spec[3]]} <= documented
    assert codes - documented == set()
