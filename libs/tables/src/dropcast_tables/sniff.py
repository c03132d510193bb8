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
import json
import re
import struct
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, Protocol

from dropcast_common.errors import InputError
from dropcast_common.params import Params
from dropcast_tables import dates, numbers
from dropcast_tables.limits import Limits

if TYPE_CHECKING:
    import pyarrow as pa

SAMPLE_BYTES = 256 * 1024
SAMPLE_ROWS = 1000
DELIMITERS = ("\t", ";", "|", ",")
# The Windows code pages a non-UTF-8 export is told apart in (the usual one first).
CODE_PAGES = ("cp1252", "cp1250", "cp1251")
# Letters a page gives for bytes that, read in another page, are common letters:
# Czech ě ř ů read as cp1252 are ì ø ù; French à read as cp1250 is ŕ.
_UNLIKELY_LETTERS = {"cp1252": "ìøùðþÌØÙÐÞ", "cp1250": "ŕĺľŔĹĽ"}
_PAGE_NAMES = {
    "cp1252": "Western",
    "cp1250": "Central European",
    "cp1251": "Cyrillic",
}  # preference order when two fit equally well
# Control characters (but tab, newlines, form feed) and the replacement character.
_ODD_CHARACTERS = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffd]")
_SEP_HINT = re.compile(r"^\"?sep=(.|tab|\\t)\"?,*$", re.IGNORECASE)
# Lines above the header that are searched for the table.
MAX_PREAMBLE_LINES = 60
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
    # Notes after the table (after its last full-width line), skipped by their text.
    footnotes: frozenset[str] = frozenset()

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
            "skipped_footnote_lines": len(self.footnotes),
        }


@dataclass
class Sniffed:
    """What sniffing found: the dialect, the column names and a sample of data rows."""

    path: Path
    name: str
    dialect: Dialect
    columns: list[str]
    rows: list[list[str | None]]
    # Guesses a person should know about (an encoding chosen between close code pages).
    warnings: list[str] = field(default_factory=list)
    # Whether the sample is the whole file.
    complete: bool = False

    def line_of(self, index: int) -> int | None:
        """The file line of sample row ``index`` (None when quoted newlines blur it)."""
        if self.dialect.kind != "csv" or self.dialect.newlines_in_values:
            return None
        return self.dialect.skip_lines + (2 if self.dialect.header else 1) + index

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
    encoding, warning = _encoding(head, name, params)
    text = _decode(head, encoding, truncated)
    _refuse_binary(text, name)
    _refuse_documents(text, truncated, name)
    sniffed = _sniff_text(path, name, text, truncated, compressed, encoding, params, limits)
    if warning:
        sniffed.warnings.append(warning)
    return sniffed


def _empty(name: str) -> InputError:
    return InputError(
        "empty_file",
        f"{name} is empty",
        "Upload a CSV with a header row (for example date,value) and at least two dated rows.",
    )


def _encoding(head: bytes, name: str, params: Params) -> tuple[str, str | None]:
    """The text encoding, and a warning when it was a guess between close code pages."""
    if params.encoding:
        try:
            return codecs.lookup(params.encoding).name, None
        except LookupError as exc:
            raise InputError(
                "invalid_parameter",
                f"parameter 'encoding' has an unknown value {params.encoding!r}",
                "Set encoding to a standard name such as utf-8, utf-16, cp1252 or latin-1.",
                {"parameter": "encoding", "value": params.encoding},
            ) from exc
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", None
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", None
    if b"\x00" in head:
        even, odd = head[0::2], head[1::2]
        if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
            return "utf-16-le", None
        if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
            return "utf-16-be", None
        raise _binary(name)
    try:
        # A multi-byte character may be cut at the sample's end: ignore the last 3 bytes.
        head[:-3].decode("utf-8") if len(head) > 3 else head.decode("utf-8")
    except UnicodeDecodeError:
        return _code_page(head)
    return "utf-8", None


def _code_page(head: bytes) -> tuple[str, str | None]:
    """One of the Windows code pages, chosen by how the text reads in each.

    The same bytes are valid Western (cp1252), Central European (cp1250) and
    Cyrillic (cp1251) text; charset-normalizer tells which reads like a
    language. When the pages would give the same characters the usual
    Western page is kept; when they differ and more than one decodes, the
    choice is a guess the report shows.
    """
    from charset_normalizer import from_bytes

    valid = []
    for page in CODE_PAGES:
        try:
            valid.append((page, head.decode(page)))
        except UnicodeDecodeError:
            continue
    if not valid:
        return "latin-1", None
    texts = dict(valid)
    matches = from_bytes(head, cp_isolation=[page for page, _ in valid])
    chaos = {codecs.lookup(m.encoding).name: m.chaos for m in matches}
    # The least chaotic reading; on a tie (short texts often tie) the one
    # whose accented letters are the likelier ones, then the usual page.
    chosen = min(
        valid,
        key=lambda pv: (
            chaos.get(pv[0], 1.0),
            sum(pv[1].count(c) for c in _UNLIKELY_LETTERS.get(pv[0], "")),
            CODE_PAGES.index(pv[0]),
        ),
    )[0]
    same = [page for page, text in valid if text == texts[chosen]]
    if CODE_PAGES[0] in same:
        chosen = CODE_PAGES[0]
    # Only a page that reads as well as the chosen one makes the choice a guess.
    close = chaos.get(chosen, 0.0) + 0.01
    others = [page for page, _ in valid if page not in same and chaos.get(page, 1.0) <= close]
    if not others:
        return chosen, None
    return chosen, (
        f"the text encoding was guessed as {chosen} ({_PAGE_NAMES[chosen]}); "
        f"{', '.join(others)} would also read the file but give other letters: set "
        "encoding if names look wrong"
    )


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


def _refuse_documents(text: str, truncated: bool, name: str) -> None:
    """Text that is a web page or a JSON document, not a table, is named as such."""
    start = text.lstrip()[:512]
    lowered = start.lower()
    what = None
    if lowered.startswith(("<!doctype html", "<html", "<head", "<body")) or (
        lowered.startswith("<") and "<html" in lowered
    ):
        raise InputError(
            "unsupported_format",
            f"{name} is a web page (HTML), not a CSV: usually an error or sign-in page "
            "saved in place of the data",
            "Open the file in a browser to see what the site said, then download the data "
            "itself as CSV (or Parquet) and upload that.",
            {"detected": "a web page (HTML)"},
        )
    if lowered.startswith("<?xml"):
        what = "an XML document"
    elif start.startswith(("{", "[")) and _is_json(text, truncated):
        what = "a JSON document"
    if what:
        raise InputError(
            "unsupported_format",
            f"{name} is {what}, not a CSV or Parquet file",
            "Download the data itself as CSV (comma, semicolon or tab separated), "
            "gzip-compressed CSV or Parquet, and upload that.",
            {"detected": what},
        )


def _is_json(text: str, truncated: bool) -> bool:
    first = text.lstrip().splitlines()[0] if text.strip() else ""
    for candidate in (first,) if truncated else (text, first):
        try:
            json.loads(candidate)
        except ValueError:
            continue
        return True
    return False


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
    hint = _SEP_HINT.match(lines[0].strip()) if lines else None
    if hint:  # Excel's "sep=;" line names the delimiter
        skip = 1
    while skip < len(lines) and (not lines[skip].strip() or lines[skip].lstrip().startswith("#")):
        skip += 1
    if skip == len(lines):
        raise _empty(name)
    hinted = _DELIMITER_NAMES.get(hint.group(1).lower(), hint.group(1)) if hint else None
    delimiter = _delimiter(lines[skip : skip + 200], params, hinted)
    skip += _preamble(lines[skip : skip + 200], delimiter)
    body = lines[skip:]
    footnotes = frozenset() if truncated else _footnotes(body, delimiter)
    if footnotes:
        body = body[: _last_full_line(body, delimiter) + 1]
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
    if len(records) <= 2 and all(sum(1 for c in r if c) < width for r in records):
        # Only note-like lines ("Last Updated Date","2024-06-28",): a preamble, no table.
        raise InputError(
            "no_table_found",
            f"{name} holds only notes ({len(records)} line(s) such as {records[0][:2]}), no table",
            "Upload the table itself: a header row, then one row per date (or per series), "
            "every row with the same number of fields; notes above it are skipped.",
            {"lines": len(records)},
        )
    if not rows:
        raise InputError(
            "no_data_rows",
            f"{name} has a header but no data rows",
            "Add the data below the header row: at least two dated rows.",
            {"columns": columns},
        )
    encoding_name = {"utf-8-sig": "utf-8"}.get(encoding, encoding)
    dialect = Dialect(
        "csv",
        compressed,
        encoding_name,
        delimiter,
        header,
        skip,
        newlines_in_values,
        fmt,
        footnotes,
    )
    complete = not truncated and len(rows) < SAMPLE_ROWS
    return Sniffed(path, name, dialect, columns, rows, complete=complete)


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


def _widths(lines: list[str], delimiter: str) -> list[int]:
    """Fields per line, one line at a time (0 for a blank line)."""
    return [
        len(next(csv.reader([line], delimiter=delimiter), [])) if line.strip() else 0
        for line in lines
    ]


def _table_width(widths: list[int]) -> int:
    return Counter(w for w in widths if w).most_common(1)[0][0]


def _preamble(lines: list[str], delimiter: str) -> int:
    """How many lines above the header are notes, not the table.

    Statistics offices and central banks put a title, the source and the
    update date first (``"Data Source","World Development Indicators",``):
    lines with fewer fields than the table. The header is the first line as
    wide as the table (one field less for R's unnamed row names) that the
    table's rows follow.
    """
    widths = _widths(lines, delimiter)
    width = _table_width(widths)
    slack = 1 if width > 2 else 0
    for at in range(min(len(lines), MAX_PREAMBLE_LINES)):
        if at + 1 < len(widths) and not widths[at + 1] and widths[at]:
            # A line with a blank line below it is a note (a header has its rows
            # right below), whatever its width: "Last Updated Date","2024-06-28",
            continue
        following = [w for w in widths[at + 1 : at + 4] if w]
        if widths[at] >= width - slack and following and all(w == width for w in following):
            return at
    return 0  # no clear start: ragged rows are the reader's to report


def _last_full_line(body: list[str], delimiter: str) -> int:
    widths = _widths(body, delimiter)
    width = _table_width(widths)
    return max(i for i, w in enumerate(widths) if w == width)


def _footnotes(body: list[str], delimiter: str) -> frozenset[str]:
    """Notes after a blank line below the table (sources, definitions), by their text."""
    if not body:
        return frozenset()
    last = _last_full_line(body, delimiter)
    tail = body[last + 1 :]
    notes = [line.strip() for line in tail if line.strip()]
    if not notes or tail[0].strip():
        return frozenset()  # ragged rows right below the table are the reader's to report
    return frozenset(notes)


def _delimiter(lines: list[str], params: Params, hinted: str | None = None) -> str:
    if params.delimiter:
        return _DELIMITER_NAMES.get(params.delimiter.lower(), params.delimiter)
    if hinted:
        return hinted
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


def _period_labels(first: list[str]) -> bool:
    """Whether a row names periods, evenly spaced (``1960,1961,…``, ``2020Q1,2020Q2,…``)."""
    import pandas as pd

    cells = [re.sub(r"\s*\[[^\]]*\]$", "", c) for c in first if c]
    labels = [c for c in cells if dates.detect([c], "period", assume_time=True)]
    if len(labels) < 3:
        return False
    fmt = dates.detect(labels, "period", assume_time=True)
    if fmt is None:
        return False
    stamps = dates.parse(pd.Series(labels, dtype="object"), fmt)
    steps = stamps.diff().dropna()
    return bool(stamps.notna().all() and len(steps) and (steps > pd.Timedelta(0)).all())


def _has_header(records: list[list[str]], fmt: numbers.NumberFormat) -> bool:
    first, rest = records[0], records[1:50]
    if _period_labels(first):
        return True
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
    strings = as_strings(batch)
    data = [strings.column(j).to_pylist() for j in range(strings.num_columns)]
    rows = [_cells([c or "" for c in row]) for row in zip(*data, strict=True)]
    fmt = numbers.NumberFormat(params.decimal or ".")
    complete = parquet.metadata.num_rows == len(rows)
    return Sniffed(path, name, Dialect("parquet", numbers=fmt), columns, rows, complete=complete)


def as_strings(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Every column of a batch as text (timestamps keep their UTC offset)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arrays = []
    for column in batch.columns:
        if pa.types.is_string(column.type):
            arrays.append(column)
        elif pa.types.is_large_string(column.type) or pa.types.is_dictionary(column.type):
            arrays.append(pc.cast(pc.cast(column, pa.large_string()), pa.string()))
        else:
            arrays.append(pc.cast(column, pa.string()))
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)


def malformed_parquet(name: str, exc: BaseException) -> InputError:
    """The error for a Parquet file the reader cannot decode."""
    return InputError(
        "malformed_parquet",
        f"{name} starts like a Parquet file but cannot be read: {exc}",
        "Write the Parquet file again with pandas or pyarrow and upload the complete file.",
    )
