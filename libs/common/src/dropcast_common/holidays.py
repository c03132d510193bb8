"""Custom holidays and events: a table of named dates with windows, for Prophet.

A table has the columns ``name``, ``date``, ``lower_window`` (0 or less:
days before the date the effect starts), ``upper_window`` (0 or more: days
after it lasts) and, optionally, ``series`` (the series id it applies to;
empty: every series). It comes inline in a manifest's ``params.holidays``
(a list of objects) or as a CSV object the parameter names (same bucket as
the manifest; a local path for ``dropcast forecast``). Every problem is an
``invalid_holidays`` error naming the row, so a person can fix the table.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dropcast_common.errors import InputError

CODE = "invalid_holidays"
REQUIRED = ("name", "date")
COLUMNS = ("name", "date", "lower_window", "upper_window", "series")
MAX_ROWS = 10_000
# Names Prophet gives its own columns (Prophet.validate_column_name refuses them).
RESERVED = frozenset(
    {
        "trend",
        "holidays",
        "additive_terms",
        "multiplicative_terms",
        "yhat",
        "ds",
        "y",
        "cap",
        "floor",
        "yearly",
        "weekly",
        "daily",
        "zeros",
        "extra_regressors_additive",
        "extra_regressors_multiplicative",
    }
)
_EXAMPLE = "name,date,lower_window,upper_window,series\npromo,2024-03-01,0,2,"


class Holiday(BaseModel):
    """One row of a holidays table: an event on ``date`` and the days around it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=100)
    date: date
    lower_window: int = Field(0, le=0, ge=-366)
    upper_window: int = Field(0, ge=0, le=366)
    series: str | None = None


def parse_rows(
    rows: Sequence[Mapping[str, Any]], where: str, first_line: int = 1
) -> tuple[Holiday, ...]:
    """Validate a table given as rows (inline, or read from CSV); ``where`` names its source.

    ``first_line`` is the line (or position) of the first row, so errors name
    the line a person sees in their file.
    """
    if not rows:
        raise _error(f"the holidays table in {where} has no rows", "Give at least one row.", where)
    if len(rows) > MAX_ROWS:
        raise _error(
            f"the holidays table in {where} has {len(rows):,} rows, more than {MAX_ROWS:,}",
            "Keep the events that matter; one row per event date.",
            where,
        )
    out = []
    for index, row in enumerate(rows):
        line = first_line + index
        if not isinstance(row, Mapping):
            raise _error(
                f"row {line} of the holidays table in {where} is not an object",
                'Write each row as {"name": "promo", "date": "2024-03-01"}.',
                where,
                line,
            )
        out.append(_row(row, where, line))
    return tuple(out)


def parse_csv(data: bytes, where: str) -> tuple[Holiday, ...]:
    """Read and validate a holidays CSV (a header row, then one event per line)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _error(
            f"the holidays file {where} is not UTF-8 text", "Save it as UTF-8 CSV.", where
        ) from exc
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise _error(
            f"the holidays file {where} has no {' or '.join(missing)} column "
            f"(its header: {', '.join(header) or 'empty'})",
            f"Start the file with a header row, e.g.:\n{_EXAMPLE}",
            where,
            1,
            {"missing": missing},
        )
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise _error(
            f"the holidays file {where} has unknown column(s): {', '.join(unknown)}",
            f"Use only the columns {', '.join(COLUMNS)}.",
            where,
            1,
        )
    rows = [
        {
            key.strip().lower(): (value or "").strip()
            for key, value in row.items()
            if key is not None
        }
        for row in reader
    ]
    # Empty cells are the optional columns left out.
    cleaned = [{key: value for key, value in row.items() if value != ""} for row in rows]
    return parse_rows(cleaned, where, first_line=2)


def for_series(table: Iterable[Holiday], series_id: str) -> tuple[Holiday, ...]:
    """The rows that apply to ``series_id``: its own and those without a series."""
    return tuple(row for row in table if row.series is None or row.series == series_id)


def _row(row: Mapping[str, Any], where: str, line: int) -> Holiday:
    missing = [name for name in REQUIRED if row.get(name) in (None, "")]
    if missing:
        raise _error(
            f"row {line} of the holidays table in {where} has no {' or '.join(missing)}",
            "Every row needs a name and a date (YYYY-MM-DD).",
            where,
            line,
            {"missing": missing},
        )
    unknown = sorted(set(row) - set(COLUMNS))
    if unknown:
        raise _error(
            f"row {line} of the holidays table in {where} has unknown key(s): {', '.join(unknown)}",
            f"Use only {', '.join(COLUMNS)}.",
            where,
            line,
        )
    value = str(row["date"]).strip()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise _error(
            f"row {line} of the holidays table in {where}: date {value!r} is not a date",
            "Write dates as YYYY-MM-DD, e.g. 2024-12-25.",
            where,
            line,
            {"value": value},
        ) from None
    lower = _window(row, "lower_window", where, line)
    upper = _window(row, "upper_window", where, line)
    if lower > 0 or upper < 0:
        name, bad = ("lower_window", lower) if lower > 0 else ("upper_window", upper)
        raise _error(
            f"row {line} of the holidays table in {where}: {name} is {bad}, "
            f"{'above' if lower > 0 else 'below'} 0",
            "lower_window counts days before the date (0 or negative, e.g. -1 for the eve); "
            "upper_window days after it (0 or positive, e.g. 1 for the day after).",
            where,
            line,
            {"column": name, "value": bad},
        )
    if max(-lower, upper) > 366:
        raise _error(
            f"row {line} of the holidays table in {where}: a window of more than 366 days",
            "Windows are a few days around an event; give a long event as several rows.",
            where,
            line,
        )
    name = str(row["name"]).strip()[:100]
    if name.lower() in RESERVED or "_delim_" in name:
        raise _error(
            f"row {line} of the holidays table in {where}: {name!r} is a name Prophet uses "
            "for its own components",
            "Rename the event (e.g. 'promo', 'black_friday'); reserved: "
            + ", ".join(sorted(RESERVED))
            + ".",
            where,
            line,
            {"value": name},
        )
    series = row.get("series")
    return Holiday(
        name=name,
        date=day,
        lower_window=lower,
        upper_window=upper,
        series=str(series) if series not in (None, "") else None,
    )


def _window(row: Mapping[str, Any], name: str, where: str, line: int) -> int:
    value = row.get(name, 0)
    if value in (None, ""):
        return 0
    try:
        number = float(value)
        if not number.is_integer():
            raise ValueError(value)
    except (TypeError, ValueError):
        raise _error(
            f"row {line} of the holidays table in {where}: {name} {value!r} is not a whole number",
            f"Give {name} as a whole number of days (e.g. 0, -1, 2).",
            where,
            line,
            {"column": name, "value": str(value)},
        ) from None
    return int(number)


def _error(
    message: str,
    hint: str,
    where: str,
    line: int | None = None,
    extra: Mapping[str, Any] | None = None,
) -> InputError:
    details: dict[str, Any] = {"source": where, **(extra or {})}
    if line is not None:
        details["line"] = line
    return InputError(CODE, message, hint, details)
