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

import pandas as pd

from dropcast_common.errors import InputError
from dropcast_common.params import Params
from dropcast_tables import dates, numbers
from dropcast_tables.sniff import Sniffed

ID_SEPARATOR = "/"
# A column is numeric when this share of its non-empty sample cells are numbers.
NUMERIC_SHARE = 0.9
_DATE_NAMES = {
    "ds",
    "date",
    "datetime",
    "timestamp",
    "time",
    "period",
    "day",
    "month",
    "week",
    "datum",
    "fecha",
    "data",
    "date_time",
}
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
_GENERATED_NAME = re.compile(r"^column_\d+$")
# The share of cells a date layout must read in a column named as the date.
_NAMED_DATE_SHARE = 0.5
_INDEX_NAME = re.compile(r"^(unnamed: ?\d+|index|column_1|obs|row|#|)$", re.IGNORECASE)
# The World Bank DataBank writes a year column as "1960 [YR1960]".
_LABEL_SUFFIX = re.compile(r"\s*\[[^\]]*\]$")


@dataclass(frozen=True)
class DateSpec:
    """Where the timestamps come from: one column, or year + quarter/month columns."""

    columns: tuple[str, ...]
    format: dates.DateFormat | None = None
    combine: Literal["single", "year_quarter", "year_month", "periods"] = "single"
    # Periods as columns: each value column's timestamp, read from its name.
    stamps: tuple[Any, ...] = ()

    def describe(self) -> str:
        """For the quality report."""
        if self.combine == "periods":
            kind = self.format.describe() if self.format else "unknown"
            return f"periods as columns ({kind})"
        if self.combine != "single":
            return f"{self.combine.replace('_', ' + ')} columns"
        return self.format.describe() if self.format else "unknown"


@dataclass(frozen=True)
class Roles:
    """The role of every column that matters."""

    date: DateSpec
    ids: tuple[str, ...]
    values: tuple[str, ...]
    layout: Literal["long", "wide", "periods"]
    ignored: tuple[str, ...] = ()
    # Text columns that describe rows (a weekday, a weather word) but name no series.
    attributes: tuple[str, ...] = ()
    # External regressors (``regressors``): inputs of every series, not series themselves.
    regressors: tuple[str, ...] = ()

    @property
    def used(self) -> list[str]:
        """Columns the reader must load, in file order of role."""
        return list(dict.fromkeys([*self.date.columns, *self.ids, *self.values, *self.regressors]))

    def describe(self) -> dict[str, Any]:
        """For the quality report."""
        return {
            "date": list(self.date.columns),
            "date_format": self.date.describe(),
            "ids": list(self.ids),
            "values": list(self.values),
            "layout": self.layout,
            "ignored": list(self.ignored),
            "attributes": list(self.attributes),
            "regressors": list(self.regressors),
        }

    def actions(self) -> list[str]:
        """What the roles decided that a person should hear about."""
        return [
            f"ignored column {column!r}: it names no series of its own (its values describe "
            "rows, with no date repeated across them, or are one value, or tell apart no "
            "series the other ids don't); set id_columns to use it"
            for column in self.attributes
        ]


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
    if not params.date_column and not any(p.date for p in profiles.values()):
        periods = _periods_as_columns(sniffed, profiles, params)
        if periods is not None:
            if params.regressors:
                raise _regressors_need_rows(name)
            return periods
    date = _date_spec(sniffed, profiles, params)
    regressors = tuple(params.regressors or ())
    _check_regressor_roles(name, regressors, date, params)
    rest = [c for c in sniffed.columns if c not in date.columns and c not in regressors]
    rest = [c for c in rest if not _is_row_index(profiles[c]) and not _is_blank(profiles[c])]
    ids, attributes = _ids(sniffed, profiles, rest, date, params)
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
    numeric = [
        c for c in rest if c not in ids and profiles[c].numeric and not _is_date_part(profiles[c])
    ]
    empty = [c for c in numeric if not profiles[c].cells]
    if sniffed.complete and len(empty) < len(numeric):
        # Empty throughout a file read whole (OECD's "Flag Codes"): no series. In a
        # larger file an empty sample may be a series that starts late, so it stays.
        numeric = [c for c in numeric if c not in empty]
    values = _values(name, numeric, params)
    if layout == "wide" and not params.id_columns:
        _refuse_hidden_long_format(sniffed, date, numeric, params)
    used = {*date.columns, *ids, *values, *regressors}
    ignored = tuple(c for c in sniffed.columns if c not in used)
    return Roles(date, tuple(ids), tuple(values), layout, ignored, attributes, regressors)


def _check_regressor_roles(
    name: str, regressors: tuple[str, ...], date: DateSpec, params: Params
) -> None:
    """A regressor column is an input only: not the date, an id or a value to forecast."""
    taken = {
        "date_column": set(date.columns),
        "id_columns": set(params.id_columns or ()),
        "value_columns": set(params.value_columns or ()),
    }
    for parameter, columns in taken.items():
        both = [c for c in regressors if c in columns]
        if both:
            raise InputError(
                "regressor_role_conflict",
                f"column(s) {', '.join(map(repr, both))} of {name} are named as regressors "
                f"and as the {parameter.replace('_', ' ')}",
                f"A regressor is an input of the forecast, not a series or its date: remove "
                f"{', '.join(both)} from regressors or from {parameter}.",
                {"columns": both, "parameter": parameter},
            )


def _regressors_need_rows(name: str) -> InputError:
    return InputError(
        "regressors_unsupported_layout",
        f"{name} has its periods as columns; regressors need one row per date",
        "Write the file in long format (id,date,value,price,...) or wide format "
        "(date,a,b,price,...), one row per date, with the regressors as columns.",
        {"parameter": "regressors"},
    )


def _check_named_columns(sniffed: Sniffed, params: Params) -> None:
    named = [
        *([params.date_column] if params.date_column else []),
        *(params.value_columns or ()),
        *(params.id_columns or ()),
        *(params.regressors or ()),
    ]
    missing = [c for c in named if c not in sniffed.columns]
    if missing:
        raise InputError(
            "unknown_column",
            f"{sniffed.name} has no column named {', '.join(map(repr, missing))}",
            "Use one of the file's column names in date_column, value_columns, id_columns "
            "and regressors "
            f"(the file has: {', '.join(sniffed.columns[:20])}).",
            {"missing": missing, "columns": sniffed.columns},
        )


def _profile(sniffed: Sniffed, column: str, params: Params) -> _Profile:
    cells = sniffed.cells(column)
    fmt = sniffed.dialect.numbers
    number_share = sum(numbers.is_number(c, fmt) for c in cells) / len(cells) if cells else 1.0
    integer = bool(cells) and all(re.fullmatch(r"[+-]?\d+", c) for c in cells)
    forced = params.date_column == column
    if params.date_format and (forced or not params.date_column):
        date = _with_date_format(cells, params.date_format)
    else:
        # A column named "date" is the date even with a few bad cells: they are
        # reported by line when the file is read, not taken as "no date column".
        by_name = column.strip().lower() in _DATE_NAMES
        share = _NAMED_DATE_SHARE if by_name else dates.MIN_SHARE
        date = dates.detect(cells, column, params.dayfirst, assume_time=forced, min_share=share)
    return _Profile(column, cells, number_share >= NUMERIC_SHARE, integer, date)


def _with_date_format(cells: list[str], layout: str) -> dates.DateFormat | None:
    """The user's strftime layout, when it reads the column (most of it)."""
    fmt = dates.DateFormat("strptime", layout)
    if not cells:
        return None
    read = dates.parse(pd.Series(cells, dtype="object"), fmt).notna().mean()
    return fmt if read >= _NAMED_DATE_SHARE else None


def _is_date_part(profile: _Profile) -> bool:
    # BLS writes Year and Period beside a Label date: a year or month number
    # beside the date column is part of the date, not a series to forecast.
    name = profile.name.strip()
    parts = (_YEAR_NAME, _QUARTER_NAME, _MONTH_NAME)
    return profile.integer and any(p.match(name) for p in parts)


def _is_blank(profile: _Profile) -> bool:
    # A column without a name or a value: the trailing delimiter of every line.
    return not profile.cells and bool(_GENERATED_NAME.match(profile.name))


def _date_spec(sniffed: Sniffed, profiles: dict[str, _Profile], params: Params) -> DateSpec:
    name = sniffed.name
    if params.date_column:
        profile = profiles[params.date_column]
        if profile.date is None:
            raise _unreadable_date_column(sniffed, params)
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


# What a named date column is tried as, for the error that says none fitted.
TRIED_LAYOUTS = (
    "ISO 2024-01-31 (with a time and offset or not)",
    "2024/01/31",
    "31/01/2024 and 01/31/2024 (/ . -)",
    "2024Q1 and other quarter spellings",
    "2024-01 and 2024M01",
    "ISO weeks 2024-W05",
    "month names with a year (März 1987, janv. 2020, Mar-20)",
    "years",
    "YYYYMMDD",
    "Unix seconds or milliseconds",
)


def _unreadable_date_column(sniffed: Sniffed, params: Params) -> InputError:
    """The named date column fits no layout: show what was tried and the cells that fail."""
    column = params.date_column or ""
    cells = _column(sniffed, column)
    present = [(i, c) for i, c in enumerate(cells) if c is not None]
    # The cells the best layout for the rest cannot read are the ones to show.
    fmt = dates.detect([c for _, c in present], column, params.dayfirst, True, min_share=0.0)
    if params.date_format:
        fmt = dates.DateFormat("strptime", params.date_format)
    parsed = (
        dates.parse(pd.Series([c for _, c in present], dtype="object"), fmt)
        if fmt
        else pd.Series([pd.NaT] * len(present))
    )
    bad = [
        {"line": sniffed.line_of(i), "value": c}
        for (i, c), stamp in zip(present, parsed.tolist(), strict=True)
        if pd.isna(stamp)
    ][:5]
    shown = ", ".join(f"{b['value']!r} (line {b['line']})" for b in bad)
    tried = [f"date_format {params.date_format}"] if params.date_format else list(TRIED_LAYOUTS)
    return InputError(
        "unparseable_dates",
        f"column {column!r} of {sniffed.name} does not hold dates dropcast can read: "
        f"{shown}; tried {'; '.join(tried)}",
        "Write the dates in one of the layouts tried, or give their layout with the "
        "date_format parameter (strftime, e.g. %d.%m.%Y), or pick another date_column.",
        {"column": column, "examples": bad, "tried": tried, "parameter": "date_format"},
    )


def _date_rank(profile: _Profile) -> tuple[int, int]:
    lowered = profile.name.strip().lower()
    by_name = 0 if lowered in _DATE_NAMES else 1 if dates.looks_like_time_name(lowered) else 2
    kind = profile.date.kind if profile.date else ""
    if kind == "year" and len(set(profile.cells)) < len(profile.cells):
        # BLS's Year beside a Label "2006 Jan": a year repeated down the rows is
        # a part of the date when another column holds all of it.
        return 3, 1
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


def _ids(
    sniffed: Sniffed,
    profiles: dict[str, _Profile],
    rest: list[str],
    date: DateSpec,
    params: Params,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The id columns, and the text columns that looked like ids but describe rows."""
    if params.id_columns:
        return tuple(params.id_columns), ()
    if params.layout == "wide":
        return (), ()
    named_values = set(params.value_columns or ())
    found = []
    for column in rest:
        profile = profiles[column]
        if column in named_values:
            continue
        if _ID_NAME.match(column.strip().replace(" ", "_")):
            found.append(column)
        elif not profile.numeric and profile.cells:
            distinct = len(set(profile.cells))
            # Repeating text names series; text that is new on every row is a note.
            if distinct <= max(1, len(profile.cells) // 2):
                found.append(column)
    if not found:
        return (), ()
    keys = _date_keys(sniffed, date)
    ids = [
        c
        for c in found
        if not _describes_rows(sniffed, c, keys) and not _constant_note(sniffed, profiles[c])
    ]
    ids = _without_redundant(sniffed, ids, keys)
    return tuple(ids), tuple(c for c in found if c not in ids)


def _date_keys(sniffed: Sniffed, date: DateSpec) -> list[tuple[str | None, ...]]:
    at = [sniffed.columns.index(c) for c in date.columns]
    return [tuple(row[j] if j < len(row) else None for j in at) for row in sniffed.rows]


def _column(sniffed: Sniffed, column: str) -> list[str | None]:
    j = sniffed.columns.index(column)
    return [row[j] if j < len(row) else None for row in sniffed.rows]


def _describes_rows(sniffed: Sniffed, column: str, keys: list[tuple[str | None, ...]]) -> bool:
    """Whether a text column is an attribute of each row rather than the name of a series.

    A column names series when it splits the rows into several series whose
    dates repeat across them (store A and store B both have 1 March). A
    weekday or weather column splits the rows too, but no date is in two of
    its groups: the file is one series and the column describes its rows.
    With one value in the sample (a long file sorted by id) nothing tells,
    and the column stays an id.
    """
    groups: dict[tuple[str | None, ...], set[str | None]] = {}
    for key, value in zip(keys, _column(sniffed, column), strict=True):
        if value is not None and key[0] is not None:
            groups.setdefault(key, set()).add(value)
    values = set().union(*groups.values()) if groups else set()
    return len(values) > 1 and all(len(v) == 1 for v in groups.values())


def _constant_note(sniffed: Sniffed, profile: _Profile) -> bool:
    """One text value down a whole file (not just its sample), under no id-like name.

    It would name a single series after a remark ("checked"); in a long file
    sorted by id whose sample holds only the first id, nothing tells, so the
    column stays an id.
    """
    named = _ID_NAME.match(profile.name.strip().replace(" ", "_"))
    return sniffed.complete and not named and len(set(profile.cells)) == 1


def _repeats(sniffed: Sniffed, columns: list[str], keys: list[tuple[str | None, ...]]) -> int:
    """Rows whose date (and ids) an earlier sample row already had."""
    at = [sniffed.columns.index(c) for c in columns]
    seen = {
        (key, *(row[j] if j < len(row) else None for j in at))
        for key, row in zip(keys, sniffed.rows, strict=True)
    }
    return len(keys) - len(seen)


def _without_redundant(
    sniffed: Sniffed, ids: list[str], keys: list[tuple[str | None, ...]]
) -> list[str]:
    """The id columns less those that tell no series apart the others don't.

    ``region, region_name`` or ``store, weekday`` (weekday repeating within a
    store): the second adds no series, only longer names.
    """
    kept = list(ids)
    for column in reversed(ids):
        if len(kept) > 1:
            others = [c for c in kept if c != column]
            if _repeats(sniffed, others, keys) <= _repeats(sniffed, kept, keys):
                kept = others
    return kept


def _values(name: str, numeric: list[str], params: Params) -> tuple[str, ...]:
    if params.value_columns:
        return tuple(params.value_columns)
    if not numeric:
        raise InputError(
            "no_value_column",
            f"{name} has no numeric column to forecast",
            "Add a column of numbers next to the date (decimal point or comma both work), "
            "or name it with the value_columns parameter.",
        )
    # Wide and long alike: every numeric column is a series (long: one per id and
    # column, "store1/sales"); value_columns picks fewer.
    return tuple(numeric)


def _periods_as_columns(
    sniffed: Sniffed, profiles: dict[str, _Profile], params: Params
) -> Roles | None:
    """World Bank, OECD, Eurostat and IMF tables: text columns, then one column a period.

    ``Country Name,Country Code,Indicator Name,…,1960,1961,…`` (or ``2020Q1``,
    ``2020M01``): one series per row, named by the first text column that
    tells the rows apart (or several joined), each period column a date.
    """
    if params.layout == "long":
        return None
    names = [c for c in sniffed.columns if not _is_blank(profiles[c])]
    label = {c: _LABEL_SUFFIX.sub("", c) for c in names}
    labels = [c for c in names if dates.detect([label[c]], "period", assume_time=True)]
    if len(labels) < 2:
        return None
    fmt = dates.detect([label[c] for c in labels], "period", assume_time=True)
    if fmt is None:
        return None
    stamps = dates.parse(pd.Series([label[c] for c in labels], dtype="object"), fmt)
    if stamps.isna().any() or not (
        stamps.is_monotonic_increasing or stamps.is_monotonic_decreasing
    ):
        return None
    text = [c for c in names if c not in labels and not profiles[c].numeric]
    ids = tuple(params.id_columns) if params.id_columns else _distinguishing(sniffed, text)
    values = tuple(labels) if not params.value_columns else tuple(params.value_columns)
    period = DateSpec((), fmt, "periods", tuple(stamps.tolist()))
    ignored = tuple(c for c in sniffed.columns if c not in {*ids, *values})
    return Roles(period, ids, values, "periods", ignored)


def _distinguishing(sniffed: Sniffed, text: list[str]) -> tuple[str, ...]:
    """The first text column whose values differ row to row, or the fewest that together do."""
    rows = len(sniffed.rows)
    columns = {c: _column(sniffed, c) for c in text}
    varying = [c for c in text if len(set(columns[c])) > 1]
    for column in varying:
        if len(set(columns[column])) == rows:
            return (column,)
    for size in (2, 3):
        for combo in itertools.combinations(varying, size):
            if len(set(zip(*(columns[c] for c in combo), strict=True))) == rows:
                return combo
    return tuple(varying)


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
