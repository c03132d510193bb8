"""Sniff how a file is written, from its first few hundred KiB.

Decides the container (plain, gzip, Parquet), the text encoding, the
delimiter, whether row 1 is a header, and the decimal mark; keeps a
sample of rows for the column roles. Every decision can be overridden by a
parameter, and a file that is not a table at all is refused with an
InputError that says what it looked like.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import struct
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal, Protocol

from dropcast_common.errors import InputError
from dropcast_common.params import Params
from dropcast_tables import dates, numbers
from dropcast_tables.limits import Limits

SAMPLE_BYTES = 256 * 1024
SAMPLE_ROWS = 1000
DELIMITERS = ("\t", ";", "|", ",")  # preference order when two fit equally well
# Control characters (but tab, newlines, form feed) and the replacement character.
_ODD_CHARACTERS = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffd]")
_DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}

GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
_OTHER_FORMATS = {
    b"PK\x03\x04": "a ZIP archive (an Excel .xlsx workbook is one)",
    b"\xd0\xcf\x11\xe0": "an old Excel/Office document",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"BZh": "a bzip2 archive",
    b"\xfd7zXZ": "an xz archive",
    b"(\xb5/\xfd": "a zstd archive",
}


@dataclass(frozen=True)
class Dialect:
    """How one file is written."""

    kind: Literal["csv", "parquet"] = "csv"
    compressed: bool = False
    encoding: str = "utf-8"
    delimiter: str = ","
    header: bool = True
    skip_lines: int = 0
    newlines_in_values: bool = False
    numbers: numbers.NumberFormat = field(default_factory=numbers.NumberFormat)

    def describe(self) -> dict[str, Any]:
        """The dialect as the quality report shows it."""
        if self.kind == "parquet":
            return {"kind": "parquet"}
        return {
            "kind": "csv",
            "compression": "gzip" if self.compressed else "none",
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "header": self.header,
            "decimal": self.numbers.decimal,
            "skipped_preamble_lines": self.skip_lines,
        }


@dataclass
class Sniffed:
    """What sniffing found: the dialect, the column names and a sample of data rows."""

    path: Path
    name: str
    dialect: Dialect
    columns: list[str]
    rows: list[list[str | None]]

    def cells(self, column: str) -> list[str]:
        """The sample's non-empty cells of one column."""
        j = self.columns.index(column)
        return [row[j] for row in self.rows if j < len(row) and row[j] is not None]  # type: ignore[misc]


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class CappedStream(io.RawIOBase):
    """A readable stream that stops once more than ``cap`` bytes came out of it.

    Wrapped around a gzip reader it refuses a decompression bomb after at
    most ``cap`` bytes were inflated, a chunk at a time, never the whole.
    """

    def __init__(self, inner: _Readable, cap: int) -> None:
        self._inner = inner
        self.cap = cap
        self.total = 0
        self.exceeded = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._inner.read(len(view))
        count = len(data)
        view[:count] = data
        self.total += count
        if self.total > self.cap:
            self.exceeded = True
            raise OSError("decompressed size cap exceeded")
        return count


@contextmanager
def open_bytes(path: Path, compressed: bool, limits: Limits, name: str) -> Iterator[IO[bytes]]:
    """Open the file's (decompressed) bytes as a stream, capped by the limits."""
    with path.open("rb") as raw:
        if not compressed:
            yield raw
            return
        _check_gzip_trailer(path, limits, name)
        with gzip.GzipFile(fileobj=raw, mode="rb") as inflated:
            capped = CappedStream(inflated, limits.max_decompressed_bytes)
            try:
                yield io.BufferedReader(capped, buffer_size=256 * 1024)
            except Exception as exc:
                if capped.exceeded:
                    raise limits.decompressed_too_large(name, capped.total) from exc
                raise


def _inflate_all(path: Path, limits: Limits, name: str) -> None:
    # One pass that inflates and discards, a block at a time: the size cap is
    # then enforced before any parsing, whatever the trailer claims and however
    # many gzip members the file holds.
    with open_bytes(path, True, limits, name) as stream:
        while stream.read(1024 * 1024):
            pass


def _check_gzip_trailer(path: Path, limits: Limits, name: str) -> None:
    # The last 4 bytes of a gzip member hold its size mod 2**32: a cheap first
    # check that refuses the usual bomb without inflating a single byte.
    size = path.stat().st_size
    if size < 18:
        return
    with path.open("rb") as fh:
        fh.seek(size - 4)
        (claimed,) = struct.unpack("<I", fh.read(4))
    if claimed > limits.max_decompressed_bytes:
        raise limits.decompressed_too_large(name, 0)


def sniff(path: Path, name: str, params: Params, limits: Limits) -> Sniffed:
    """Decide how ``path`` is written and keep a sample of its rows."""
    size = path.stat().st_size
    limits.check_bytes(size, name)
    if size == 0:
        raise _empty(name)
    with path.open("rb") as fh:
        magic = fh.read(8)
    if magic.startswith(PARQUET_MAGIC):
        return _sniff_parquet(path, name, params, limits)
    for prefix, what in _OTHER_FORMATS.items():
        if magic.startswith(prefix):
            raise InputError(
                "unsupported_format",
                f"{name} is {what}, not a CSV or Parquet file",
                "Export the data as CSV (comma, semicolon or tab separated), gzip-compressed "
                "CSV or Parquet, and upload that.",
                {"detected": what},
            )
    compressed = magic.startswith(GZIP_MAGIC)
    # The head must hold at least one whole line of the longest length allowed.
    sample_bytes = max(SAMPLE_BYTES, limits.max_line_bytes + 1)
    try:
        if compressed:
            _inflate_all(path, limits, name)
        with open_bytes(path, compressed, limits, name) as stream:
            head = stream.read(sample_bytes + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(
            "corrupt_compressed_file",
            f"{name} looks gzip-compressed but cannot be decompressed: {exc}",
            "Compress the file again (gzip file.csv) and upload the complete .csv.gz.",
        ) from exc
    truncated = len(head) > sample_bytes
    head = head[:sample_bytes]
    encoding = _encoding(head, name, params)
    text = _decode(head, encoding, truncated)
    _refuse_binary(text, name)
    return _sniff_text(path, name, text, truncated, compressed, encoding, params, limits)


def _empty(name: str) -> InputError:
    return InputError(
        "empty_file",
        f"{name} is empty",
        "Upload a CSV with a header row (for example date,value) and at least two dated rows.",
    )


def _encoding(head: bytes, name: str, params: Params) -> str:
    if params.encoding:
        try:
            return codecs.lookup(params.encoding).name
        except LookupError as exc:
            raise InputError(
                "invalid_parameter",
                f"parameter 'encoding' has an unknown value {params.encoding!r}",
                "Set encoding to a standard name such as utf-8, utf-16, cp1252 or latin-1.",
                {"parameter": "encoding", "value": params.encoding},
            ) from exc
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        even, odd = head[0::2], head[1::2]
        if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
            return "utf-16-le"
        if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
            return "utf-16-be"
        raise _binary(name)
    try:
        # A multi-byte character may be cut at the sample's end: ignore the last 3 bytes.
        head[:-3].decode("utf-8") if len(head) > 3 else head.decode("utf-8")
    except UnicodeDecodeError:
        try:
            head.decode("cp1252")
        except UnicodeDecodeError:
            return "latin-1"
        return "cp1252"
    return "utf-8"


def _decode(head: bytes, encoding: str, truncated: bool) -> str:
    text = head.decode(encoding, errors="replace")
    if truncated:
        # Drop the last (probably cut) line; a single huge line is caught later.
        cut = text.rfind("\n")
        text = text[: cut + 1] if cut >= 0 else text
    return text.lstrip("\ufeff")


def _binary(name: str) -> InputError:
    return InputError(
        "binary_file",
        f"{name} is not a text file (it contains binary data)",
        "Upload the data as a CSV text file, gzip-compressed CSV or Parquet.",
    )


def _refuse_binary(text: str, name: str) -> None:
    sample = text[:65536]
    odd = len(_ODD_CHARACTERS.findall(sample))
    if sample and odd > 0.01 * len(sample):
        raise _binary(name)


def _sniff_text(
    path: Path,
    name: str,
    text: str,
    truncated: bool,
    compressed: bool,
    encoding: str,
    params: Params,
    limits: Limits,
) -> Sniffed:
    lines = text.splitlines()
    if truncated and not lines:
        raise limits.line_too_long(name, 1)
    longest = max(map(len, lines), default=0)
    if longest > limits.max_line_bytes:
        number = next(n for n, line in enumerate(lines, 1) if len(line) > limits.max_line_bytes)
        raise limits.line_too_long(name, number)
    skip = 0
    while skip < len(lines) and (not lines[skip].strip() or lines[skip].lstrip().startswith("#")):
        skip += 1
    body = lines[skip:]
    if not body:
        raise _empty(name)
    delimiter = _delimiter(body[:200], params)
    nonblank = len(body) - list(map(str.strip, body)).count("")
    records, total = _records(body, delimiter, longest, nonblank)
    newlines_in_values = total < nonblank
    if truncated and total:
        # The sample's last record may be cut short: it is never used.
        records = records[: total - 1]
    width = Counter(len(r) for r in records[:200]).most_common(1)[0][0]
    limits.check_columns(width, name)
    cells = [c for r in records[1:200] for c in r]
    fmt = numbers.detect(cells, delimiter, params.decimal)
    header = params.header if params.header is not None else _has_header(records, fmt)
    columns = _column_names(records[0] if header else [], width)
    rows = [_cells(r) for r in (records[1:] if header else records)[:SAMPLE_ROWS]]
    if not rows:
        raise InputError(
            "no_data_rows",
            f"{name} has a header but no data rows",
            "Add the data below the header row: at least two dated rows.",
            {"columns": columns},
        )
    encoding_name = {"utf-8-sig": "utf-8"}.get(encoding, encoding)
    dialect = Dialect(
        "csv", compressed, encoding_name, delimiter, header, skip, newlines_in_values, fmt
    )
    return Sniffed(path, name, dialect, columns, rows)


def _records(
    body: list[str], delimiter: str, longest: int, nonblank: int
) -> tuple[list[list[str]], int]:
    """The first non-blank records of the sample (cells stripped), and how many it holds.

    Only the first ``SAMPLE_ROWS + 1`` records (header and sample rows) are
    used, so only those are built; the rest are only counted, to tell
    whether quoted values hold newlines. Without a quote character, and with
    no field over the csv module's size limit, every line is one record and
    the counting needs no parser: a line is a blank record when it holds
    nothing but whitespace and delimiters.
    """
    text = "\n".join(body)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    wanted = SAMPLE_ROWS + 1
    records: list[list[str]] = []
    for row in reader:
        if any(map(str.strip, row)):
            records.append([c.strip() for c in row])
            if len(records) == wanted:
                break
    if len(records) < wanted:
        return records, len(records)
    if '"' in text or longest > csv.field_size_limit():
        return records, len(records) + sum(1 for row in reader if any(map(str.strip, row)))
    if delimiter.isspace():
        return records, nonblank
    # Led by a newline (a literal the regular expression engine finds fast).
    only_delimiters = re.compile(rf"\n[^\S\n]*(?:{re.escape(delimiter)}[^\S\n]*)+(?=\n|\Z)")
    return records, nonblank - len(only_delimiters.findall("\n" + text))


def _delimiter(lines: list[str], params: Params) -> str:
    if params.delimiter:
        return _DELIMITER_NAMES.get(params.delimiter.lower(), params.delimiter)
    best: tuple[float, int, str] | None = None
    for rank, candidate in enumerate(DELIMITERS):
        counts = [len(row) for row in csv.reader(lines, delimiter=candidate) if row]
        if not counts:
            continue
        mode, hits = Counter(counts).most_common(1)[0]
        if mode < 2:
            continue
        score = (hits / len(counts), -rank, candidate)
        if best is None or score[:2] > best[:2]:
            best = score
    return best[2] if best else ","


def _kind(cell: str, fmt: numbers.NumberFormat) -> str:
    if not cell or cell in numbers.NA_TOKENS:
        return "empty"
    if numbers.is_number(cell, fmt):
        return "number"
    if dates.detect([cell]) is not None:
        return "date"
    return "text"


def _has_header(records: list[list[str]], fmt: numbers.NumberFormat) -> bool:
    first, rest = records[0], records[1:50]
    if not rest:
        return all(_kind(c, fmt) == "text" for c in first)
    for j, cell in enumerate(first):
        kinds = Counter(_kind(r[j], fmt) for r in rest if j < len(r))
        typed = kinds["number"] + kinds["date"]
        if _kind(cell, fmt) == "text" and typed > kinds["text"]:
            return True
    first_kinds = {_kind(c, fmt) for c in first}
    return first_kinds <= {"text", "empty"} and len(set(first)) == len(first)


def _column_names(header: list[str], width: int) -> list[str]:
    names: list[str] = []
    seen: Counter[str] = Counter()
    for j in range(max(width, len(header))):
        base = (header[j] if j < len(header) else "").strip() or f"column_{j + 1}"
        seen[base] += 1
        names.append(base if seen[base] == 1 else f"{base}.{seen[base] - 1}")
    return names


def _cells(record: list[str]) -> list[str | None]:
    return [None if (not c or c in numbers.NA_TOKENS) else c for c in record]


def _sniff_parquet(path: Path, name: str, params: Params, limits: Limits) -> Sniffed:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
        columns = list(parquet.schema_arrow.names)
        limits.check_columns(len(columns), name)
        limits.check_rows(parquet.metadata.num_rows, name)
        batch = next(parquet.iter_batches(batch_size=SAMPLE_ROWS), None)
    except InputError:
        raise
    except Exception as exc:
        raise malformed_parquet(name, exc) from exc
    if batch is None or batch.num_rows == 0:
        raise InputError(
            "no_data_rows",
            f"{name} is a Parquet file without rows",
            "Write the table with its rows: at least two dated rows.",
            {"columns": columns},
        )
    from dropcast_tables.reader import as_strings

    strings = as_strings(batch)
    data = [strings.column(j).to_pylist() for j in range(strings.num_columns)]
    rows = [_cells([c or "" for c in row]) for row in zip(*data, strict=True)]
    fmt = numbers.NumberFormat(params.decimal or ".")
    return Sniffed(path, name, Dialect("parquet", numbers=fmt), columns, rows)


def malformed_parquet(name: str, exc: BaseException) -> InputError:
    """The error for a Parquet file the reader cannot decode."""
    return InputError(
        "malformed_parquet",
        f"{name} starts like a Parquet file but cannot be read: {exc}",
        "Write the Parquet file again with pandas or pyarrow and upload the complete file.",
    )
