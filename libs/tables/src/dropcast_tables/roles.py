"""Which column is the date, which hold values, which name a series.

Decided by name and by content from the sniffed sample, or set by the
``date_column``, ``value_columns``, ``id_columns`` and ``layout``
parameters. Long format: id column(s), a date, one value → one series per
id (several id columns join into one ``a/b`` series id). Wide format: a date
and several value columns → one series per column, named after it; a
single value column keeps the default series id so outputs keep their
familiar shape. When the file leaves a real choice open, the error names
the candidates and the parameter that settles it.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

from dropcast_common.errors import InputError
from dropcast_common.params import Params
from dropcast_tables import dates, numbers
from dropcast_tables.sniff import Sniffed

ID_SEPARATOR = "/"
# A column is numeric when this share of its non-empty sample cells are numbers.
NUMERIC_SHARE = 0.9
_DATE_NAMES = {"ds", "date", "datetime", "timestamp", "time", "period", "day", "month", "week"}
_ID_NAME = re.compile(
    r"^(unique_?id|series(_?id|_?name)?|id|key|store(_?id|_?nbr)?|item(_?id|_?nbr)?|sku|"
    r"product(_?id)?|region|country|state|category|firm|ticker|symbol|station|site|location|"
    r"entity|group|name|code|shop(_?id)?)$",
    re.IGNORECASE,
)
_VALUE_NAME = re.compile(
    r"^(y|value|values|target|sales|amount|count|quantity|qty|demand|units)$", re.IGNORECASE
)
_YEAR_NAME = re.compile(r"^(year|yr|jahr|annee|ano)$", re.IGNORECASE)
_QUARTER_NAME = re.compile(r"^(quarter|qtr|q)$", re.IGNORECASE)
_MONTH_NAME = re.compile(r"^(month|mon|mm)$", re.IGNORECASE)
_INDEX_NAME = re.compile(r"^(unnamed: ?\d+|index|column_1|)$", re.IGNORECASE)


@dataclass(frozen=True)
class DateSpec:
    """Where the timestamps come from: one column, or year + quarter/month columns."""

    columns: tuple[str, ...]
    format: dates.DateFormat | None = None
    combine: Literal["single", "year_quarter", "year_month"] = "single"

    def describe(self) -> str:
        """For the quality report."""
        if self.combine != "single":
            return f"{self.combine.replace('_', ' + ')} columns"
        return self.format.describe() if self.format else "unknown"


@dataclass(frozen=True)
class Roles:
    """The role of every column that matters."""

    date: DateSpec
    ids: tuple[str, ...]
    values: tuple[str, ...]
    layout: Literal["long", "wide"]
    ignored: tuple[str, ...] = ()

    @property
    def used(self) -> list[str]:
        """Columns the reader must load, in file order of role."""
        return list(dict.fromkeys([*self.date.columns, *self.ids, *self.values]))

    def describe(self) -> dict[str, Any]:
        """For the quality report."""
        return {
            "date": list(self.date.columns),
            "date_format": self.date.describe(),
            "ids": list(self.ids),
            "values": list(self.values),
            "layout": self.layout,
            "ignored": list(self.ignored),
        }


@dataclass(frozen=True)
class _Profile:
    name: str
    cells: list[str]
    numeric: bool
    integer: bool
    date: dates.DateFormat | None


def find_roles(sniffed: Sniffed, params: Params) -> Roles:
    """Decide the role of each column, or raise an InputError that says how to decide."""
    name = sniffed.name
    _check_named_columns(sniffed, params)
    profiles = {c: _profile(sniffed, c, params) for c in sniffed.columns}
    date = _date_spec(sniffed, profiles, params)
    rest = [c for c in sniffed.columns if c not in date.columns]
    rest = [c for c in rest if not _is_row_index(profiles[c])]
    ids = _ids(profiles, rest, params)
    layout: Literal["long", "wide"]
    if params.layout == "long" and not ids:
        raise InputError(
            "no_id_column",
            f"{name} was declared long format but no column names the series",
            "Set id_columns to the column(s) whose values name a series (e.g. store,item), "
            "or set layout=wide.",
            {"columns": sniffed.columns},
        )
    layout = "long" if ids and params.layout != "wide" else "wide"
    if layout == "wide":
        ids = ()
    numeric = [c for c in rest if c not in ids and profiles[c].numeric]
    values = _values(name, numeric, layout, params)
    if layout == "wide" and not params.id_columns:
        _refuse_hidden_long_format(sniffed, date, numeric, params)
    used = {*date.columns, *ids, *values}
    ignored = tuple(c for c in sniffed.columns if c not in used)
    return Roles(date, tuple(ids), tuple(values), layout, ignored)


def _check_named_columns(sniffed: Sniffed, params: Params) -> None:
    named = [
        *([params.date_column] if params.date_column else []),
        *(params.value_columns or ()),
        *(params.id_columns or ()),
    ]
    missing = [c for c in named if c not in sniffed.columns]
    if missing:
        raise InputError(
            "unknown_column",
            f"{sniffed.name} has no column named {', '.join(map(repr, missing))}",
            "Use one of the file's column names in date_column, value_columns and id_columns "
            f"(the file has: {', '.join(sniffed.columns[:20])}).",
            {"missing": missing, "columns": sniffed.columns},
        )


def _profile(sniffed: Sniffed, column: str, params: Params) -> _Profile:
    cells = sniffed.cells(column)
    fmt = sniffed.dialect.numbers
    number_share = sum(numbers.is_number(c, fmt) for c in cells) / len(cells) if cells else 1.0
    integer = bool(cells) and all(re.fullmatch(r"[+-]?\d+", c) for c in cells)
    forced = params.date_column == column
    date = dates.detect(cells, column, params.dayfirst, assume_time=forced)
    return _Profile(column, cells, number_share >= NUMERIC_SHARE, integer, date)


def _date_spec(sniffed: Sniffed, profiles: dict[str, _Profile], params: Params) -> DateSpec:
    name = sniffed.name
    if params.date_column:
        profile = profiles[params.date_column]
        if profile.date is None:
            raise InputError(
                "unparseable_dates",
                f"column {params.date_column!r} of {name} does not hold dates dropcast can read "
                f"(first values: {', '.join(profile.cells[:3])})",
                "Write dates as ISO 2024-01-31 (or 2024-01-31 13:00), 31/01/2024, 2024-01, "
                "2024Q1, a year, or Unix seconds; or pick another date_column.",
                {"column": params.date_column, "examples": profile.cells[:3]},
            )
        return DateSpec((params.date_column,), profile.date)
    combined = _year_plus(profiles)
    if combined:
        return combined
    candidates = [p for p in profiles.values() if p.date is not None]
    if not candidates:
        raise InputError(
            "no_date_column",
            f"{name} has no column that holds dates",
            "Add a date column (ISO 2024-01-31 is safest) or name it with the date_column "
            f"parameter; the file's columns are: {', '.join(sniffed.columns[:20])}.",
            {"columns": sniffed.columns},
        )
    ranked = sorted(candidates, key=_date_rank)
    best = [p for p in ranked if _date_rank(p) == _date_rank(ranked[0])]
    if len(best) > 1:
        names = [p.name for p in best]
        raise InputError(
            "ambiguous_date_column",
            f"{name} has several columns that could be the date: {', '.join(names)}",
            f"Set the date_column parameter to one of: {', '.join(names)}.",
            {"candidates": names, "parameter": "date_column"},
        )
    return DateSpec((ranked[0].name,), ranked[0].date)


def _date_rank(profile: _Profile) -> tuple[int, int]:
    lowered = profile.name.strip().lower()
    by_name = 0 if lowered in _DATE_NAMES else 1 if dates.looks_like_time_name(lowered) else 2
    kind = profile.date.kind if profile.date else ""
    # Integer-like layouts (year, epoch) are weaker evidence than a written date.
    by_kind = 1 if kind in ("year", "compact", "epoch_s", "epoch_ms") else 0
    return by_name, by_kind


def _year_plus(profiles: dict[str, _Profile]) -> DateSpec | None:
    year = next(
        (p for p in profiles.values() if _YEAR_NAME.match(p.name.strip()) and p.integer), None
    )
    if year is None:
        return None
    for p in profiles.values():
        values = {c.upper().lstrip("Q") for c in p.cells}
        if _QUARTER_NAME.match(p.name.strip()) and values <= {"1", "2", "3", "4"}:
            return DateSpec((year.name, p.name), combine="year_quarter")
        if (
            _MONTH_NAME.match(p.name.strip())
            and p.integer
            and values <= {str(m) for m in range(1, 13)} | {f"{m:02d}" for m in range(1, 10)}
        ):
            return DateSpec((year.name, p.name), combine="year_month")
    return None


def _is_row_index(profile: _Profile) -> bool:
    # pandas' to_csv writes its row index as a first, unnamed column 0, 1, 2, ...
    if not (_INDEX_NAME.match(profile.name.strip()) and profile.integer and profile.cells):
        return False
    ints = [int(c) for c in profile.cells]
    return all(b - a == 1 for a, b in itertools.pairwise(ints))


def _ids(profiles: dict[str, _Profile], rest: list[str], params: Params) -> tuple[str, ...]:
    if params.id_columns:
        return tuple(params.id_columns)
    if params.layout == "wide":
        return ()
    named_values = set(params.value_columns or ())
    found = []
    for column in rest:
        profile = profiles[column]
        if column in named_values:
            continue
        if _ID_NAME.match(column.strip()):
            found.append(column)
        elif not profile.numeric and profile.cells:
            distinct = len(set(profile.cells))
            # Repeating text names series; text that is new on every row is a note.
            if distinct <= max(1, len(profile.cells) // 2):
                found.append(column)
    return tuple(found)


def _values(
    name: str, numeric: list[str], layout: Literal["long", "wide"], params: Params
) -> tuple[str, ...]:
    if params.value_columns:
        return tuple(params.value_columns)
    if not numeric:
        raise InputError(
            "no_value_column",
            f"{name} has no numeric column to forecast",
            "Add a column of numbers next to the date (decimal point or comma both work), "
            "or name it with the value_columns parameter.",
        )
    if layout == "wide" or len(numeric) == 1:
        return tuple(numeric)
    preferred = [c for c in numeric if _VALUE_NAME.match(c.strip())]
    if len(preferred) == 1:
        return (preferred[0],)
    raise InputError(
        "ambiguous_value_column",
        f"{name} is in long format and has several numeric columns: {', '.join(numeric)}",
        f"Set the value_columns parameter to the one to forecast (one of: {', '.join(numeric)}), "
        "or several, comma-separated, to forecast each as its own series.",
        {"candidates": numeric, "parameter": "value_columns"},
    )


def _refuse_hidden_long_format(
    sniffed: Sniffed, date: DateSpec, numeric: list[str], params: Params
) -> None:
    """Repeating dates without an id column usually mean ids we could not recognise."""
    if params.layout == "wide" or date.combine != "single":
        return
    stamps = sniffed.cells(date.columns[0])
    if len(stamps) < 4:
        return
    repeats = sum(n - 1 for n in Counter(stamps).values())
    if repeats * 2 < len(stamps):
        return
    raise InputError(
        "ambiguous_layout",
        f"{sniffed.name} repeats most dates but has no column that names the series",
        "If several series are stacked, set id_columns to the column(s) that name them "
        f"(numeric columns: {', '.join(numeric)}); if the repeats are duplicates of one "
        "series, set layout=wide and choose how to combine them with duplicates=mean|sum|last.",
        {"candidates": numeric, "parameter": "id_columns"},
    )
