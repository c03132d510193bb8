"""Turn an uploaded file into the canonical table (series_id, ds, y).

Pure: takes a local file and parameters, returns a frame, a quality report
and each series' frequency; raises InputError for anything the user must
fix. No network. Memory stays bounded by the output: the file is sniffed
from its head, then streamed a block at a time, and only the three
canonical columns of each block are kept.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from collections.abc import Generator
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dropcast_common import frequency
from dropcast_common.errors import InputError
from dropcast_common.params import Params
from dropcast_common.table import COLUMNS, DEFAULT_SERIES_ID
from dropcast_tables import dates, numbers, quality
from dropcast_tables import regressors as xreg
from dropcast_tables.limits import Limits
from dropcast_tables.reader import EncodingMismatchError, MalformedRows, batches, unreadable
from dropcast_tables.roles import ID_SEPARATOR, DateSpec, Roles, find_roles
from dropcast_tables.sniff import Sniffed, sniff

log = logging.getLogger("dropcast.ingest")

# Above these shares of rows a problem is the file's shape, not a few bad cells.
MAX_BAD_DATE_SHARE = 0.1
MAX_NON_NUMERIC_SHARE = 0.1
MAX_MALFORMED_SHARE = 0.1
# Distinct date strings kept to settle day/month order when every field is <= 12.
_MAX_AMBIGUOUS_DATES = 200_000


@dataclass
class Normalised:
    """The canonical frame of one input and what was found on the way."""

    frame: pd.DataFrame
    quality: dict[str, Any] = field(default_factory=dict)
    frequencies: dict[str, str] = field(default_factory=dict)
    # Guesses a person should know about, one sentence each (for the report's warnings).
    warnings: list[str] = field(default_factory=list)

    @property
    def series_count(self) -> int:
        """Distinct series in the frame."""
        return int(self.frame["series_id"].nunique())


def normalise(path: Path, name: str, params: Params, limits: Limits | None = None) -> Normalised:
    """Read ``path`` (uploaded as ``name``) into the canonical table.

    Any failure of a parser on unexpected input becomes an InputError
    (``unreadable_file``): a bad file is reported, never a server error.
    """
    limits = limits or Limits()
    try:
        return _normalise(path, name, params, limits)
    except InputError:
        raise
    except Exception as exc:
        log.warning("unreadable %s", name, exc_info=True)
        raise unreadable(name, exc) from exc


def _normalise(path: Path, name: str, params: Params, limits: Limits) -> Normalised:
    sniffed = sniff(path, name, params, limits)
    roles = find_roles(sniffed, params)
    if roles.layout == "wide":
        limits.check_series(len(roles.values), name)
    try:
        return _read(sniffed, roles, params, limits)
    except EncodingMismatchError as exc:
        if params.encoding or sniffed.dialect.encoding != "utf-8":
            raise unreadable(name, exc) from exc
        # The head was valid UTF-8 but a later byte is not: the usual cause is a
        # Windows export whose first non-ASCII character comes late.
        dialect = dataclasses.replace(sniffed.dialect, encoding="cp1252")
        return _read(dataclasses.replace(sniffed, dialect=dialect), roles, params, limits)


def _read(sniffed: Sniffed, roles: Roles, params: Params, limits: Limits) -> Normalised:
    name = sniffed.name
    date = _settle_day_month(sniffed, roles.date, limits)
    log_ = quality.QualityLog()
    malformed = MalformedRows()
    collected = _Collected(regressors=list(roles.regressors))
    empty_cells = xreg.RegressorLog()
    first_line = sniffed.dialect.skip_lines + (2 if sniffed.dialect.header else 1)
    exact_lines = sniffed.dialect.kind == "csv" and not sniffed.dialect.newlines_in_values
    with closing(_prefetched(batches(sniffed, roles.used, limits, malformed))) as blocks:
        for batch in blocks:
            start = log_.rows_read
            log_.rows_read += batch.num_rows
            limits.check_rows(log_.rows_read, name)
            where = _Where(start, first_line if exact_lines else None)
            log_.rows_used += _collect(
                batch, roles, date, sniffed, log_, collected, where, empty_cells
            )
            limits.check_series(len(collected.series), name)
    _refuse_bad_shape(name, log_, malformed, len(roles.values), date)
    read = collected.into_frame()
    if roles.regressors:
        xreg.check_history(read, roles.regressors, name, empty_cells)
    frame, report = quality.clean(read, params, name)
    del read
    frame = frame.assign(series_id=_without_unused(frame["series_id"]))
    if params.frequency:
        frequencies = dict.fromkeys(frame["series_id"].unique().tolist(), params.frequency)
    elif roles.layout == "periods":
        # The columns are the calendar: a row with gaps is still yearly (or quarterly).
        columns = pd.DataFrame({"series_id": "periods", "ds": pd.Series(date.stamps)})
        step = frequency.infer(columns.sort_values("ds").drop_duplicates())["periods"]
        frequencies = dict.fromkeys(frame["series_id"].unique().tolist(), step)
    else:
        frequencies = frequency.infer(frame)
    regressor_report: dict[str, Any] | None = None
    if roles.regressors:
        frame, regressor_report = xreg.check_future(frame, params, frequencies, name, empty_cells)
    actions = roles.actions() + _reading_actions(log_, malformed) + report.pop("actions")
    report_out = {
        "source": name,
        "format": sniffed.dialect.describe(),
        "columns": {**roles.describe(), "date_format": date.describe()},
        "rows": {
            "read": log_.rows_read,
            # Rows that gave the table a value; in wide files a row gives several.
            "used": log_.rows_used,
            # Future rows (regressors' values past a series' last value) hold no value.
            "values": int(frame["y"].notna().sum()),
            "malformed": {"count": malformed.count, "examples": malformed.examples},
        },
        "dates": {
            "missing": log_.missing_dates.report(),
            "unparseable": log_.bad_dates.report(),
        },
        "ids": {"missing": log_.missing_ids.report()},
        "values": {
            "non_numeric": log_.non_numeric.report(),
            "missing": report["missing_values"],
        },
        "duplicates": report["duplicates"],
        "series": {
            "count": len(frame["series_id"].cat.categories),  # each one used
            "too_short": report["too_short"],
        },
        "frequency": {
            "source": "parameter" if params.frequency else "inferred",
            "counts": dict(Counter(frequencies.values())),
        },
        "gaps": frequency.gaps(frame, frequencies),
        "actions": actions,
        "warnings": list(sniffed.warnings),
    }
    if regressor_report is not None:
        report_out["regressors"] = regressor_report
    wanted = [*COLUMNS, *roles.regressors]
    return Normalised(
        _with_string_ids(frame)[wanted], report_out, frequencies, list(sniffed.warnings)
    )


def _without_unused(ids: pd.Series) -> pd.Series:
    """The categorical ids without categories no row uses (a count, not a recode, when none)."""
    used = np.bincount(ids.cat.codes.to_numpy(), minlength=len(ids.cat.categories))
    return ids if bool(used.all()) else ids.cat.remove_unused_categories()


def _with_string_ids(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical series ids to pandas' Arrow-backed strings, without a Python str per row."""
    ids = frame["series_id"]
    # pandas keeps its Arrow strings as large_string: built as such, they are not copied.
    names = pa.array([str(c) for c in ids.cat.categories], pa.large_string())
    strings = pc.take(names, pa.array(ids.cat.codes.to_numpy()))
    dtype = pd.StringDtype("pyarrow", na_value=np.nan)
    return frame.assign(
        series_id=pd.Series(
            strings.to_pandas(types_mapper={pa.large_string(): dtype}.get).array,
            index=frame.index,
        )
    )


def _prefetched(
    blocks: Generator[pa.RecordBatch, None, None],
) -> Generator[pa.RecordBatch, None, None]:
    """The blocks, the next one read on a thread while the caller works on this one.

    Arrow parses without the GIL, so reading overlaps the checks of the
    block before. One block is read ahead at most; once the caller stops
    (at the end, on an error, or by closing this generator) the reader
    is closed, after any read under way has finished.
    """
    with ThreadPoolExecutor(1, thread_name_prefix="ingest-read") as pool:
        ahead = pool.submit(next, blocks, None)
        try:
            while (batch := ahead.result()) is not None:
                ahead = pool.submit(next, blocks, None)
                yield batch
        finally:
            wait([ahead])
            blocks.close()


@dataclass(frozen=True)
class _Where:
    """Maps a batch's row index to a data row and (when exact) a file line."""

    start: int
    first_line: int | None

    def at(self, index: int) -> dict[str, int]:
        row = self.start + index
        out = {"row": row + 1}
        if self.first_line is not None:
            out["line"] = self.first_line + row
        return out


@dataclass
class _Collected:
    """The canonical columns of every batch read so far."""

    ids: list[pa.Array] = field(default_factory=list)
    stamps: list[np.ndarray] = field(default_factory=list)
    values: list[np.ndarray] = field(default_factory=list)
    series: set[str] = field(default_factory=set)
    # External regressor columns, read beside the values of every series.
    regressors: list[str] = field(default_factory=list)
    regressor_values: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def add(
        self,
        ids: pa.Array,
        stamps: np.ndarray,
        values: np.ndarray,
        regressors: dict[str, np.ndarray] | None = None,
    ) -> None:
        encoded = ids if pa.types.is_dictionary(ids.type) else pc.dictionary_encode(ids)
        self.series.update(encoded.dictionary.to_pylist())
        self.ids.append(encoded)
        self.stamps.append(stamps)
        self.values.append(values)
        for column in self.regressors:
            self.regressor_values.setdefault(column, []).append((regressors or {})[column])

    def into_frame(self) -> pd.DataFrame:
        """The collected columns as one frame; the blocks are let go column by column."""
        if not self.ids:
            return pd.DataFrame(
                {
                    "series_id": pd.Series([], dtype="str"),
                    "ds": pd.Series([], dtype="datetime64[ns]"),
                    "y": pd.Series([], dtype="float64"),
                    **{c: pd.Series([], dtype="float64") for c in self.regressors},
                }
            )
        # Series ids stay categorical (codes sorted like the names) while the
        # frame is cleaned: sorting and grouping then work on small integers,
        # and no Python string is made per row.
        # The blocks' buffers are Arrow's: the pool gives each back as it is let go.
        pool = pa.default_memory_pool()
        series_id = pa.chunked_array(self.ids).to_pandas()
        self.ids.clear()
        pool.release_unused()
        series_id = _sorted_categories(series_id)
        ds = _drain(self.stamps, np.dtype("datetime64[ns]"))
        y = _drain(self.values, np.dtype("float64"))
        extra = {
            c: _drain(self.regressor_values.get(c, []), np.dtype("float64"))
            for c in self.regressors
        }
        return pd.DataFrame({"series_id": series_id, "ds": ds, "y": y, **extra}, copy=False)


def _sorted_categories(ids: pd.Series) -> pd.Series:
    """The categorical ids with their categories sorted by name.

    Recoded through a small table, in the codes' own integer type (pandas'
    reorder_categories goes through a 64-bit copy of every code).
    """
    categories = ids.cat.categories
    names = categories.tolist()
    order = np.array(sorted(range(len(names)), key=names.__getitem__), dtype="intp")
    codes = ids.cat.codes.to_numpy()
    rank = np.empty(len(order), dtype=codes.dtype)
    rank[order] = np.arange(len(order), dtype=codes.dtype)
    recoded = rank[codes]
    recoded[codes < 0] = -1  # no id (none reach here: such rows are dropped)
    return pd.Series(pd.Categorical.from_codes(recoded, categories.take(order)), index=ids.index)


def _drain(parts: list[np.ndarray], dtype: np.dtype[Any]) -> np.ndarray:
    """The parts as one array, each let go (and its memory given back) once copied.

    np.concatenate would hold every part and the whole result at once.
    """
    out = np.empty(sum(len(part) for part in parts), dtype=dtype)
    pool = pa.default_memory_pool()
    at = 0
    parts.reverse()
    while parts:
        part = parts.pop()
        out[at : at + len(part)] = part
        at += len(part)
        del part
        pool.release_unused()
    return out


def _collect(
    batch: pa.RecordBatch,
    roles: Roles,
    date: DateSpec,
    sniffed: Sniffed,
    log_: quality.QualityLog,
    collected: _Collected,
    where: _Where,
    empty_cells: xreg.RegressorLog,
) -> int:
    """Add a block's canonical rows; returns how many of its rows gave a value."""
    if date.combine == "periods":
        return _collect_periods(batch, roles, date, sniffed, log_, collected, where)
    stamps = _stamps(batch, date)
    raw = batch.column(date.columns[0])
    absent = np.asarray(pc.is_null(raw).to_numpy(zero_copy_only=False), dtype=bool)
    if date.combine != "single":
        absent |= np.asarray(
            pc.is_null(batch.column(date.columns[1])).to_numpy(zero_copy_only=False), dtype=bool
        )
    unread = np.isnat(stamps) & ~absent
    log_.missing_dates.add(int(absent.sum()), [])
    log_.bad_dates.add(int(unread.sum()), _examples(raw, unread, date.columns[0], where))
    keep = ~np.isnat(stamps)
    ids = _series_ids(batch, roles, log_, where)
    if ids is not None:
        keep &= np.asarray(pc.is_valid(ids).to_numpy(zero_copy_only=False), dtype=bool)
    every = bool(keep.all())
    valued = np.zeros(batch.num_rows, dtype=bool)
    extra = {c: _regressor(batch, c, sniffed, keep, where) for c in roles.regressors}
    for column in roles.values:
        cells = batch.column(column)
        values, bad = numbers.to_float(cells, sniffed.dialect.numbers)
        log_.non_numeric.add(int((bad & keep).sum()), _examples(cells, bad & keep, column, where))
        valued |= ~np.isnan(values)
        sid = _value_series_id(ids, column, roles, batch.num_rows)
        _remember_empty(extra, sid, stamps, keep, where, empty_cells)
        if every:  # the usual block: nothing to drop, nothing to copy
            collected.add(sid, stamps, values, extra)
            continue
        kept = pc.filter(sid, pa.array(keep))
        if ids is not None:  # forget the ids whose every row was dropped
            kept = pc.dictionary_encode(kept.dictionary_decode())
        collected.add(kept, stamps[keep], values[keep], {c: v[keep] for c, v in extra.items()})
    return int((valued & keep).sum())


def _regressor(
    batch: pa.RecordBatch, column: str, sniffed: Sniffed, keep: np.ndarray, where: _Where
) -> np.ndarray:
    """A regressor column as floats; a cell that is not a number is refused with its line.

    Unlike a value (whose bad cells are dropped as missing), a regressor's
    value enters every forecast of its row: a guess would be silently wrong.
    """
    cells = batch.column(column)
    values, bad = numbers.to_float(cells, sniffed.dialect.numbers)
    bad &= keep
    if bad.any():
        first = _examples(cells, bad, column, where, limit=1)[0]
        raise InputError(
            "non_numeric_regressor",
            f"regressor column {column!r} of {sniffed.name} holds {first['value']!r} at "
            f"{_place(first)}, which is not a number ({int(bad.sum())} such cell(s) in this "
            "block)",
            f"Write {column} as numbers (a promotion as 0/1), leave a future cell empty only "
            "past the horizon, or leave the column out of regressors.",
            {**first, "count": int(bad.sum())},
        )
    return values


def _remember_empty(
    extra: dict[str, np.ndarray],
    sid: pa.Array,
    stamps: np.ndarray,
    keep: np.ndarray,
    where: _Where,
    empty_cells: xreg.RegressorLog,
) -> None:
    """Note where empty regressor cells are, for an error that names their lines."""
    for values in extra.values():
        for index in np.flatnonzero(np.isnan(values) & keep)[:1000]:
            at = where.at(int(index))
            place = f"line {at['line']}" if "line" in at else f"row {at['row']}"
            empty_cells.add(str(sid[int(index)].as_py()), stamps[int(index)], place)


def _collect_periods(
    batch: pa.RecordBatch,
    roles: Roles,
    date: DateSpec,
    sniffed: Sniffed,
    log_: quality.QualityLog,
    collected: _Collected,
    where: _Where,
) -> int:
    """Periods as columns: each row a series, each period column one timestamp of it.

    Empty cells are no observation (the trailing years a statistics office
    has not published yet), so they are dropped here rather than filled.
    """
    ids = _series_ids(batch, roles, log_, where)
    if ids is None:
        ids = _value_series_id(None, "", roles, batch.num_rows)
    named = np.asarray(pc.is_valid(ids).to_numpy(zero_copy_only=False), dtype=bool)
    valued = np.zeros(batch.num_rows, dtype=bool)
    for column, stamp in zip(roles.values, date.stamps, strict=True):
        cells = _without_flags(batch.column(column))
        values, bad = numbers.to_float(cells, sniffed.dialect.numbers)
        log_.non_numeric.add(int((bad & named).sum()), _examples(cells, bad & named, column, where))
        keep = named & ~np.isnan(values)
        valued |= keep
        if not keep.any():
            continue
        kept = pc.dictionary_encode(pc.filter(ids, pa.array(keep)).dictionary_decode())
        stamps = np.full(int(keep.sum()), np.datetime64(stamp, "ns"), dtype="datetime64[ns]")
        collected.add(kept, stamps, values[keep])
    return int(valued.sum())


def _without_flags(cells: pa.Array) -> pa.Array:
    """Eurostat's cells: ``1.4 p`` (provisional), ``: c`` (confidential, no value).

    Statistics offices flag a value with letters after it and write ``:`` for
    none; the flag says how the value was made, the number is the value.
    """
    cells = pc.replace_substring_regex(cells, r"^\s*:\s*[a-z]{0,3}\s*$", "")
    return pc.replace_substring_regex(cells, r"^(\s*[-+]?[\d.,]*\d)\s+[a-z]{1,3}\s*$", r"\1")


def _stamps(batch: pa.RecordBatch, date: DateSpec) -> np.ndarray:
    if date.combine == "single":
        assert date.format is not None
        return dates.parse_array(batch.column(date.columns[0]), date.format)
    first, second = (pd.Series(batch.column(c).to_pandas(), dtype="object") for c in date.columns)
    if date.combine == "year_quarter":
        parsed = dates.from_year_quarter(first, second)
    else:
        parsed = dates.from_year_month(first, second)
    return parsed.to_numpy(dtype="datetime64[ns]")


def _series_ids(
    batch: pa.RecordBatch, roles: Roles, log_: quality.QualityLog, where: _Where
) -> pa.DictionaryArray | None:
    if roles.layout == "wide" or not roles.ids:
        return None
    parts = [batch.column(c) for c in roles.ids]
    missing = np.zeros(batch.num_rows, dtype=bool)
    for column, part in zip(roles.ids, parts, strict=True):
        gap = np.asarray(pc.is_null(part).to_numpy(zero_copy_only=False), dtype=bool)
        log_.missing_ids.add(int(gap.sum()), _examples(part, gap, column, where))
        missing |= gap
    if len(parts) == 1:
        joined = parts[0]
    else:
        joined = pc.binary_join_element_wise(*parts, ID_SEPARATOR, null_handling="emit_null")
    return _trimmed(pc.dictionary_encode(joined))


def _trimmed(ids: pa.DictionaryArray) -> pa.DictionaryArray:
    """Ids without surrounding whitespace: the block's distinct ids are trimmed, not its rows."""
    names = ids.dictionary
    trimmed = pc.utf8_trim_whitespace(names)
    if trimmed.equals(names):
        return ids
    unique = pc.dictionary_encode(trimmed)  # " a" and "a" are one series
    return pa.DictionaryArray.from_arrays(pc.take(unique.indices, ids.indices), unique.dictionary)


def _value_series_id(
    ids: pa.DictionaryArray | None, column: str, roles: Roles, rows: int
) -> pa.Array:
    if ids is not None:
        if len(roles.values) == 1 or roles.layout == "periods":
            return ids
        # Distinct ids with the same suffix stay distinct: join the dictionary only.
        names = pc.binary_join_element_wise(ids.dictionary, pa.scalar(column), ID_SEPARATOR)
        return pa.DictionaryArray.from_arrays(ids.indices, names)
    several = len(roles.values) > 1 and roles.layout != "periods"
    sid = column if several else DEFAULT_SERIES_ID
    # One repeated name: a dictionary array costs 4 bytes a row, not a string each.
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(rows, dtype="int32")), pa.array([sid]))


def _examples(
    cells: pa.Array, mask: np.ndarray, column: str, where: _Where, limit: int = 5
) -> list[dict[str, Any]]:
    out = []
    for index in np.flatnonzero(mask)[:limit]:
        value = cells[int(index)].as_py()
        out.append({**where.at(int(index)), "column": column, "value": value})
    return out


def _settle_day_month(sniffed: Sniffed, spec: DateSpec, limits: Limits) -> DateSpec:
    """Decide day/month order from the whole column when the sample could not."""
    fmt = spec.format
    if fmt is None or fmt.kind != "dmy" or fmt.dayfirst is not None:
        return spec
    column = spec.columns[0]
    first = second = 0
    seen: set[str] = set()
    for batch in batches(sniffed, [column], limits, MalformedRows()):
        values = pd.Series(batch.column(0).to_pandas(), dtype="object").dropna()
        a, b = dates.day_month_maxima(values)
        first, second = max(first, a), max(second, b)
        if len(seen) < _MAX_AMBIGUOUS_DATES:
            seen.update(values.unique().tolist())
    order = dates.order_from_maxima(first, second)
    if order is None and max(first, second) <= 12:
        unique = pd.Series(sorted(seen), dtype="object")
        by_day = dates.regularity(dates.parse(unique, dataclasses.replace(fmt, dayfirst=True)))
        by_month = dates.regularity(dates.parse(unique, dataclasses.replace(fmt, dayfirst=False)))
        if by_day != by_month:
            order = by_day > by_month
    if order is None:
        examples = sorted(seen)[:3]
        raise InputError(
            "ambiguous_dates",
            f"column {column!r} of {sniffed.name} could be day/month/year or month/day/year "
            f"(e.g. {', '.join(examples)})",
            "Set dayfirst=true (31/12/2024 style) or dayfirst=false (12/31/2024 style), "
            "or write dates as ISO 2024-12-31.",
            {"column": column, "examples": examples, "parameter": "dayfirst"},
        )
    return dataclasses.replace(spec, format=dataclasses.replace(fmt, dayfirst=order))


def _place(example: dict[str, Any]) -> str:
    return f"line {example['line']}" if "line" in example else f"row {example['row']}"


def _refuse_bad_shape(
    name: str,
    log_: quality.QualityLog,
    malformed: MalformedRows,
    value_columns: int,
    date: DateSpec,
) -> None:
    rows = log_.rows_read
    if malformed.count and malformed.count > MAX_MALFORMED_SHARE * (rows + malformed.count):
        first = malformed.examples[0] if malformed.examples else {}
        raise InputError(
            "malformed_rows",
            f"{name} has {malformed.count} rows with the wrong number of fields "
            f"(first at line {first.get('line')}: {first.get('found_fields')} fields, "
            f"expected {first.get('expected_fields')})",
            "Give every row the same number of fields as the header; quote fields that "
            "contain the delimiter.",
            {"count": malformed.count, **first},
        )
    if log_.bad_dates.count and log_.bad_dates.count > MAX_BAD_DATE_SHARE * rows:
        examples = log_.bad_dates.examples
        first = examples[0]
        listed = ", ".join(f"{e['value']!r} ({_place(e)})" for e in examples)
        raise InputError(
            "unparseable_dates",
            f"{name} has {log_.bad_dates.count} dates in column {first['column']!r} that "
            f"cannot be read as {date.describe()}, the layout of the others: {listed}",
            "Write every date the same way, e.g. ISO 2024-01-31 (dropcast reads one date "
            "layout per file), or give the layout with date_format (strftime).",
            {"count": log_.bad_dates.count, **first, "examples": examples},
        )
    cells = rows * max(1, value_columns)
    if log_.non_numeric.count and log_.non_numeric.count > MAX_NON_NUMERIC_SHARE * cells:
        first = log_.non_numeric.examples[0]
        raise InputError(
            "non_numeric_values",
            f"{name} has {log_.non_numeric.count} value cells that are not numbers "
            f"(first: {first['value']!r} in column {first['column']!r}, row {first['row']})",
            "Leave missing values empty or write NA; remove units and text from the value "
            "column(s), or pick the right value_columns.",
            {"count": log_.non_numeric.count, **first},
        )


def _reading_actions(log_: quality.QualityLog, malformed: MalformedRows) -> list[str]:
    actions = []
    if malformed.count:
        actions.append(f"skipped {malformed.count} rows with the wrong number of fields")
    if log_.missing_dates.count:
        actions.append(f"dropped {log_.missing_dates.count} rows without a date")
    if log_.bad_dates.count:
        actions.append(f"dropped {log_.bad_dates.count} rows whose date could not be read")
    if log_.missing_ids.count:
        actions.append(f"dropped {log_.missing_ids.count} rows without a series id")
    if log_.non_numeric.count:
        actions.append(f"treated {log_.non_numeric.count} non-numeric value cells as missing")
    return actions
