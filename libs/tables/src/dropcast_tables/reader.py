"""Stream a sniffed file as batches of string columns, in bounded memory.

CSV goes through pyarrow's streaming reader (one block at a time, every
column read as text so that numbers and dates are interpreted by our own
rules, not guessed per block); Parquet through its row-group iterator, its
columns turned into text so that both containers pass the same validation.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from dropcast_common.errors import InputError
from dropcast_tables import numbers
from dropcast_tables.limits import Limits
from dropcast_tables.sniff import Sniffed, as_strings, malformed_parquet, open_bytes

BATCH_ROWS = 65_536
# pyarrow reads whole blocks; a row longer than a block cannot be parsed,
# so the block size is what enforces the line-length cap past the sample.
MIN_BLOCK_BYTES = 1024 * 1024
# More malformed rows than this share means the file is not the table we think.
MAX_MALFORMED_SHARE = 0.1


class EncodingMismatchError(Exception):
    """The sniffed UTF-8 turned out wrong past the sample (retry as CP1252)."""


@dataclass
class MalformedRows:
    """Rows with the wrong number of fields, skipped and reported."""

    count: int = 0
    examples: list[dict[str, Any]] = field(default_factory=list)

    def handle(self, row: Any) -> str:
        """pyarrow's invalid-row hook: remember the row, skip it."""
        self.count += 1
        if len(self.examples) < 5:
            self.examples.append(
                {
                    "line": row.number,
                    "expected_fields": row.expected_columns,
                    "found_fields": row.actual_columns,
                    "text": row.text[:200],
                }
            )
        return "skip"


def batches(
    sniffed: Sniffed, columns: list[str], limits: Limits, malformed: MalformedRows
) -> Generator[pa.RecordBatch, None, None]:
    """The chosen columns of the file, as string batches, start to end."""
    if sniffed.dialect.kind == "parquet":
        yield from _parquet_batches(sniffed, columns)
    else:
        yield from _csv_batches(sniffed, columns, limits, malformed)


def _parquet_batches(sniffed: Sniffed, columns: list[str]) -> Iterator[pa.RecordBatch]:
    import pyarrow.parquet as pq

    try:
        for batch in pq.ParquetFile(sniffed.path).iter_batches(
            batch_size=BATCH_ROWS, columns=columns
        ):
            yield as_strings(batch)
    except (pa.ArrowException, OSError) as exc:
        raise malformed_parquet(sniffed.name, exc) from exc


def _csv_batches(
    sniffed: Sniffed, columns: list[str], limits: Limits, malformed: MalformedRows
) -> Iterator[pa.RecordBatch]:
    dialect = sniffed.dialect
    read = pacsv.ReadOptions(
        encoding="utf8" if dialect.encoding == "utf-8" else dialect.encoding,
        skip_rows=dialect.skip_lines + (1 if dialect.header else 0),
        column_names=sniffed.columns,
        block_size=max(MIN_BLOCK_BYTES, limits.max_line_bytes + 1),
    )
    parse = pacsv.ParseOptions(
        delimiter=dialect.delimiter,
        newlines_in_values=dialect.newlines_in_values,
        invalid_row_handler=_skipping_footnotes(dialect.footnotes, malformed),
    )
    convert = pacsv.ConvertOptions(
        column_types=dict.fromkeys(columns, pa.string()),
        include_columns=columns,
        null_values=list(numbers.NA_TOKENS),
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )
    with open_bytes(sniffed.path, dialect.compressed, limits, sniffed.name) as stream:
        try:
            reader = pacsv.open_csv(
                stream, read_options=read, parse_options=parse, convert_options=convert
            )
            yield from reader
        except pa.ArrowInvalid as exc:
            raise _csv_error(sniffed, limits, exc) from exc


def _skipping_footnotes(footnotes: frozenset[str], malformed: MalformedRows) -> Any:
    """The invalid-row hook: the notes sniffing found below the table are not bad rows."""
    if not footnotes:
        return malformed.handle

    def handle(row: Any) -> str:
        return "skip" if row.text.strip() in footnotes else malformed.handle(row)

    return handle


def _csv_error(sniffed: Sniffed, limits: Limits, exc: pa.ArrowInvalid) -> Exception:
    text = str(exc)
    if "straddling" in text or "straddles" in text:
        return limits.line_too_long(sniffed.name)
    if "UTF8" in text or "UTF-8" in text:
        return EncodingMismatchError(text)
    return unreadable(sniffed.name, exc)


def unreadable(name: str, exc: BaseException) -> InputError:
    """The catch-all for a file a parser gave up on: say what it said."""
    return InputError(
        "unreadable_file",
        f"{name} could not be read as a table: {str(exc)[:300]}",
        "Check that the file is a CSV (one header row, one record per line, the same number "
        "of fields on every line) or a Parquet file, and that quotes are balanced.",
        {"parser_message": str(exc)[:300]},
    )
