"""Dates as people write them, decided from the data.

A format is chosen from a sample of one column (:func:`detect`), then a
whole column is parsed with it (:func:`parse`) into naive UTC timestamps:
Prophet refuses timezone-aware values, so aware ones are converted to UTC
first. Day-first vs month-first is read from the values (a 13th "month"
settles it), never from a locale; :func:`day_month_order` settles what a
sample could not from the whole column.
"""

from __future__ import annotations

import datetime
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

Kind = Literal[
    "iso",
    "dmy",
    "compact",
    "year",
    "year_month",
    "quarter",
    "iso_week",
    "month_name",
    "epoch_s",
    "epoch_ms",
    "strptime",
]

# A parse must read this share of a sample column for the column to count as dates.
MIN_SHARE = 0.9

_ISO = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?"
    r"(?:\s?(?:Z|UTC|[+-]\d{2}(?::?\d{2})?))?$"
)
_YMD = re.compile(
    r"^(?P<year>\d{4})[/.-](?P<month>\d{1,2})[/.-](?P<day>\d{1,2})"
    r"(?:[T ](?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?$"
)
_DMY = re.compile(
    r"^(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4}|\d{2})"
    r"(?:[T ,]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?$"
)
_COMPACT = re.compile(r"^(?P<year>(?:1[7-9]|2[0-2])\d{2})(?P<month>0[1-9]|1[0-2])(?P<day>[0-3]\d)$")
_YEAR = re.compile(r"^(?P<year>[12]\d{3})(?:\.0+)?$")
# 2020-01, 2020/1, 2020M01 (statistics offices). A point (2020.01) only in a column named
# as time: 1010.4 in a value column is a number.
_YEAR_MONTH = re.compile(r"^(?P<year>\d{4})(?:[/-]|[Mm])(?P<month>0?[1-9]|1[0-2])$")
_YEAR_MONTH_ANY = re.compile(r"^(?P<year>\d{4})(?:[/.-]|[Mm])(?P<month>0?[1-9]|1[0-2])$")
_YEAR_MONTH_POINT = re.compile(r"^(?P<year>\d{4})\.(?P<month>0[1-9]|1[0-2])$")
# ISO 8601 weeks: 2017-W03, 2017W03, 2017-W03-1 (the Monday the week starts on).
_ISO_WEEK = re.compile(r"^(?P<year>\d{4})-?[Ww](?P<week>0[1-9]|[1-4]\d|5[0-3])(?:-?[1-7])?$")
# Quarters as offices and spreadsheets spell them: 2020Q1, 2020-Q1, 2020 Q1, Q1 2020, Q1-20,
# 1Q2020, 2020 Qtr 1, 2020T1 (trimestre), 2020K1 (Kvartal), 1. Quartal 2020, 1er trimestre 2020.
_QUARTER_WORD = r"(?:q|qtr|quarter|t|k)"
_QUARTER_PATTERNS = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        rf"^(?P<year>\d{{4}})\s*[-/ .:_]?\s*{_QUARTER_WORD}\.?\s*(?P<q>[1-4])$",
        rf"^{_QUARTER_WORD}\.?\s*(?P<q>[1-4])\s*[-/ .:_']?\s*'?(?P<year>\d{{4}}|\d{{2}})$",
        r"^(?P<q>[1-4])\s*q\s*[-/ .']?\s*'?(?P<year>\d{4}|\d{2})$",
        r"^(?P<q>[1-4])\s*(?:\.|st|nd|rd|th|er|e|º|o)?\s*"
        r"(?:quarter|qtr|quartal|qu\.?|trimestre|trim\.?|kvartal|kwartaal)\s*(?P<year>\d{4})$",
    )
)
_QUARTER = _QUARTER_PATTERNS[0]
# Month names with a year, in the languages most exports are written in. Every
# abbreviation names one month in every language that uses it ("mar" is March in
# English, Spanish, Italian and Portuguese alike).
_MONTH_TOKENS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "jan january januar jänner jaenner janvier janv enero ene gennaio gen janeiro januari",
        "feb february februar feber février fevrier févr fevr febrero febbraio fevereiro fev "
        "februari",
        "mar march märz maerz mär mrz mars marzo março marco maart mrt",
        "apr april avril avr abril abr aprile",
        "may mai mayo maggio mag maio mei",
        "jun june juni juin junio giugno giu junho",
        "jul july juli juillet juil julio luglio lug julho",
        "aug august août aout agosto ago augustus",
        "sep sept september septembre septiembre setiembre settembre setembro set",
        "oct october oktober octobre octubre ottobre ott outubro out okt",
        "nov november novembre noviembre novembro",
        "dec december dezember décembre decembre déc diciembre dicembre dic dezembro dez",
    ),
    start=1,
):
    _MONTH_TOKENS.update(dict.fromkeys(_names.split(), _number))
_MONTH_NAME_PATTERNS = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^(?P<mon>[^\W\d_]{3,10})\.?(?:\s+de)?\s*[-/ ,.']?\s*'?(?P<year>\d{4}|\d{2})$",
        r"^(?P<year>\d{4})\s*[-/ .]?\s*(?P<mon>[^\W\d_]{3,10})\.?$",
        r"^(?P<day>\d{1,2})\.?(?:\s+de)?\s*[-/ ]?\s*(?P<mon>[^\W\d_]{3,10})\.?(?:\s+de)?"
        r"\s*[-/ ,.]?\s*(?P<year>\d{4}|\d{2})$",
        r"^(?P<mon>[^\W\d_]{3,10})\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})$",
    )
)
_MONTH_WORD = re.compile(r"(?i)(^|[^a-z])(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*")
_EPOCH_S = re.compile(r"^\d{9,10}(?:\.\d+)?$")
_EPOCH_MS = re.compile(r"^\d{12,13}$")

# Naive ISO layouts Arrow parses natively (offsets and fractions go through pandas).
_ISO_FAST = ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S")

# The whole days a nanosecond timestamp can hold.
_FIRST_NS_DAY = datetime.date(1677, 9, 22)
_LAST_NS_DAY = datetime.date(2262, 4, 11)

# Month-name layouts, tried in order; numeric d/m/y layouts are handled by _DMY.
_NAMED_FORMATS = (
    "%b-%d-%Y",
    "%d-%b-%y",
    "%d-%b-%Y",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%b %Y",
    "%B %Y",
    "%b-%y",
    "%b-%Y",
    "%Y-%b",
    "%Y %b",
    "%d/%b/%Y",
)

# Integer-looking layouts (years, YYYYMMDD, epoch seconds) are only believed
# in a column whose name says it holds time: a value column can hold 1990.
_TIME_NAME = re.compile(
    r"(^|[^a-z])(date|time|ds|day|year|yr|period|month|week|timestamp|epoch|unix|dt|jahr|annee|ano"
    r"|datum|fecha|periode|periodo|zeitraum|monat|mois|mes|mese|jaar|anno|semaine|woche|quartal"
    r"|trimestre|tag|jour|dia)"
    r"([^a-z]|s?$)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DateFormat:
    """How one date column is written."""

    kind: Kind
    strptime: str | None = None
    # For "dmy": True = day first, False = month first, None = not settled by the sample.
    dayfirst: bool | None = None

    def describe(self) -> str:
        """A short, human-readable name for the quality report."""
        if self.kind == "strptime":
            return f"strptime {self.strptime}"
        if self.kind == "dmy":
            if self.dayfirst is None:
                return "day/month/year or month/day/year"
            return "day/month/year" if self.dayfirst else "month/day/year"
        return self.kind


def looks_like_time_name(name: str) -> bool:
    """Whether a column name says the column holds dates or times."""
    return bool(_TIME_NAME.search(name.replace("_", " ")))


def detect(
    cells: Sequence[str],
    column: str = "",
    dayfirst: bool | None = None,
    assume_time: bool = False,
    min_share: float = MIN_SHARE,
) -> DateFormat | None:
    """The date format most of ``cells`` are written in, or None if they are not dates.

    ``assume_time`` (the user named this column as the date) lets integer
    layouts count even when the column's name does not say "date";
    ``min_share`` is the share of cells a layout must read (lower for a
    column named ``date``, whose few bad cells are then reported by line).
    """
    values = [c.strip() for c in cells if c is not None and c.strip()]
    if not values:
        return None
    named = assume_time or looks_like_time_name(column)

    def share(pattern: re.Pattern[str]) -> float:
        return sum(1 for v in values if pattern.match(v)) / len(values)

    if share(_ISO) >= min_share:
        return DateFormat("iso")
    if share(_YMD) >= min_share:
        return DateFormat("strptime", "ymd")
    if share(_DMY) >= min_share:
        return DateFormat("dmy", dayfirst=_order_from(values) if dayfirst is None else dayfirst)
    sample = values[:200]
    if _share_of(sample, _is_quarter) >= min_share:
        return DateFormat("quarter")
    if share(_YEAR_MONTH) >= min_share or (named and share(_YEAR_MONTH_POINT) >= min_share):
        return DateFormat("year_month")
    if share(_ISO_WEEK) >= min_share:
        return DateFormat("iso_week")
    if named:
        for kind, pattern in (
            ("compact", _COMPACT),
            ("year", _YEAR),
            ("epoch_s", _EPOCH_S),
            ("epoch_ms", _EPOCH_MS),
        ):
            if share(pattern) >= min_share:
                return DateFormat(kind)  # type: ignore[arg-type]
    elif share(_YEAR) >= min_share and _successive_years(values):
        # A column of years one after another (1871, 1872, …) is a date whatever its
        # name, header or none: a value column does not count up a year a row.
        return DateFormat("year")
    if _share_of(sample, _is_month_name) >= min_share:
        return DateFormat("month_name")
    if not any(_MONTH_WORD.search(v) for v in values[:50]):
        return None
    named_sample = pd.Series(sample, dtype="object")
    for fmt in _NAMED_FORMATS:
        parsed = pd.to_datetime(named_sample, format=fmt, errors="coerce")
        if parsed.notna().mean() >= min_share:
            return DateFormat("strptime", fmt)
    return None


def _share_of(values: Sequence[str], test: Callable[[str], bool]) -> float:
    # Plain Python on a sample of at most 200 cells: sniffing asks this of single
    # cells too, where building a pandas Series would cost more than the answer.
    return sum(1 for v in values if test(v)) / len(values) if values else 0.0


def _is_quarter(value: str) -> bool:
    return any(p.match(value) for p in _QUARTER_PATTERNS)


def _is_month_name(value: str) -> bool:
    for pattern in _MONTH_NAME_PATTERNS:
        match = pattern.match(value)
        if match and match.group("mon").lower() in _MONTH_TOKENS:
            return True
    return False


def _successive_years(values: Sequence[str]) -> bool:
    years = [int(float(v)) for v in values if _YEAR.match(v)]
    if len(years) < 3:
        return False
    steps = {b - a for a, b in itertools.pairwise(years)}
    return len(steps) == 1 and abs(steps.pop()) in (1, 5, 10)


def quarter_parts(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Year and quarter (NaN where unread) of cells in any of the quarter spellings."""
    cells = text.astype("object").astype(str).str.strip()
    year = pd.Series(np.nan, index=text.index)
    quarter = pd.Series(np.nan, index=text.index)
    for pattern in _QUARTER_PATTERNS:
        todo = quarter.isna()
        if not todo.any():
            break
        parts = cells[todo].str.extract(pattern)
        year[todo] = pd.to_numeric(parts["year"], errors="coerce")
        quarter[todo] = pd.to_numeric(parts["q"], errors="coerce")
    return _full_year(year), quarter


def month_name_parts(text: pd.Series) -> pd.DataFrame:
    """Year, month and day (NaN where unread) of cells such as März 1987 or 3 janv. 2020."""
    cells = text.astype("object").astype(str).str.strip()
    out = pd.DataFrame(np.nan, index=text.index, columns=["year", "month", "day"])
    for pattern in _MONTH_NAME_PATTERNS:
        todo = out["month"].isna()
        if not todo.any():
            break
        parts = cells[todo].str.extract(pattern)
        month = parts["mon"].str.lower().map(_MONTH_TOKENS)
        out.loc[todo, "month"] = month
        out.loc[todo, "year"] = pd.to_numeric(parts["year"], errors="coerce").where(month.notna())
        if "day" in parts:
            out.loc[todo, "day"] = pd.to_numeric(parts["day"], errors="coerce")
    out["year"] = _full_year(out["year"])
    return out


def _full_year(year: pd.Series) -> pd.Series:
    """Two-digit years pivot as strptime's %y does: 69-99 → 19xx, 00-68 → 20xx."""
    return year.where(year >= 100, np.where(year >= 69, year + 1900, year + 2000))


def _order_from(values: Sequence[str]) -> bool | None:
    first, second = day_month_maxima(pd.Series(list(values), dtype="object"))
    return order_from_maxima(first, second)


def day_month_maxima(values: pd.Series) -> tuple[int, int]:
    """Largest first and second number of ``d/m/y``-like cells (to tell day from month)."""
    parts = values.astype("object").str.extract(_DMY)
    first = pd.to_numeric(parts["a"], errors="coerce").max()
    second = pd.to_numeric(parts["b"], errors="coerce").max()
    return int(0 if pd.isna(first) else first), int(0 if pd.isna(second) else second)


def order_from_maxima(first: int, second: int) -> bool | None:
    """Day first (True), month first (False), or undecided (None) from the largest fields."""
    if first > 12 >= second:
        return True
    if second > 12 >= first:
        return False
    return None


def regularity(stamps: pd.Series) -> float:
    """How evenly spaced distinct timestamps are (1.0: every step the same)."""
    unique = pd.Series(stamps.dropna().unique()).sort_values()
    if len(unique) < 3:
        return 0.0
    days = unique.diff().dropna()
    best = float(days.value_counts(normalize=True).iloc[0])
    if (unique.dt.day == unique.iloc[0].day).all():
        months = (unique.dt.year * 12 + unique.dt.month).diff().dropna()
        best = max(best, float(months.value_counts(normalize=True).iloc[0]))
    return best


def parse(values: pd.Series, fmt: DateFormat) -> pd.Series:
    """Parse a column of strings; unreadable cells become NaT. Result: naive UTC, ns."""
    text = values.astype("object").str.strip()
    if fmt.kind == "iso":
        cleaned = text.str.replace(r"\s?UTC$", "Z", regex=True).str.replace(",", ".", regex=False)
        out = pd.to_datetime(cleaned, format="ISO8601", utc=True, errors="coerce")
        out = out.dt.tz_localize(None)
    elif fmt.kind == "dmy":
        out = _from_parts(text, _DMY, dayfirst=bool(fmt.dayfirst))
    elif fmt.kind == "strptime" and fmt.strptime == "ymd":
        out = _from_parts(text, _YMD)
    elif fmt.kind in ("compact", "year", "year_month"):
        pattern = {"compact": _COMPACT, "year": _YEAR, "year_month": _YEAR_MONTH_ANY}[fmt.kind]
        out = _from_parts(text, pattern)
    elif fmt.kind == "quarter":
        out = from_year_quarter(*quarter_parts(text))
    elif fmt.kind == "iso_week":
        parts = text.str.extract(_ISO_WEEK)
        monday = parts["year"] + "-W" + parts["week"] + "-1"
        out = pd.to_datetime(monday, format="%G-W%V-%u", errors="coerce")
    elif fmt.kind == "month_name":
        parts = month_name_parts(text)
        out = _assemble(parts["year"], parts["month"], parts["day"].fillna(1))
    elif fmt.kind in ("epoch_s", "epoch_ms"):
        numbers = pd.to_numeric(text, errors="coerce")
        out = pd.to_datetime(numbers, unit="s" if fmt.kind == "epoch_s" else "ms", errors="coerce")
    else:
        out = pd.to_datetime(text, format=fmt.strptime, errors="coerce")
    return out.astype("datetime64[ns]")


def parse_array(values: pa.Array, fmt: DateFormat) -> np.ndarray:
    """Like :func:`parse`, for an Arrow string array; plain ISO layouts take a fast path."""
    if fmt.kind == "iso":
        plain = _plain_dates(values)
        if plain is not None:
            return plain
        text = pc.utf8_trim_whitespace(values)
        for layout in _ISO_FAST:
            stamps = pc.strptime(text, format=layout, unit="ns", error_is_null=True)
            if stamps.null_count == values.null_count and _days_as_written(text, stamps):
                return np.asarray(stamps.to_numpy(zero_copy_only=False), dtype="datetime64[ns]")
    series = pd.Series(values.to_pandas(), dtype="object")
    return parse(series, fmt).to_numpy(dtype="datetime64[ns]")


def _days_as_written(text: pa.Array, stamps: pa.Array) -> bool:
    """Whether every parsed day is the day the cell says.

    Arrow's ``strptime`` rolls an impossible day over into the next month
    (``2021-02-30`` becomes 2 March) instead of failing; such a file goes to
    the general path, which reports those cells as unreadable dates.
    """
    written = pc.struct_field(pc.extract_regex(text, r"^\d+-\d+-(?P<day>\d+)"), "day")
    same = pc.equal(pc.cast(written, pa.int64()), pc.day(stamps))
    return bool(pc.all(same, skip_nulls=True).as_py() is not False)


def _plain_dates(values: pa.Array) -> np.ndarray | None:
    """Cells that are all exactly ``YYYY-MM-DD`` (or missing), as timestamps; else None.

    Arrow's date cast reads only that layout, and only real dates, three
    times faster than ``strptime``; it gives what ``strptime("%Y-%m-%d")``
    would for every date a nanosecond timestamp can hold (outside that
    range, or when any cell is another layout, the general path decides).
    """
    try:
        days = pc.cast(values, pa.date32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    bounds = pc.min_max(days)
    first, last = bounds["min"].as_py(), bounds["max"].as_py()
    if first is not None and (first < _FIRST_NS_DAY or last > _LAST_NS_DAY):
        return None
    stamps = pc.cast(days, pa.timestamp("ns"))
    return np.asarray(stamps.to_numpy(zero_copy_only=False), dtype="datetime64[ns]")


def from_year_quarter(year: pd.Series, quarter: pd.Series) -> pd.Series:
    """Quarter-start timestamps from a year column and a quarter column (1-4 or Q1-Q4)."""
    q = pd.to_numeric(
        quarter.astype("object").astype(str).str.strip().str.lstrip("Qq"), errors="coerce"
    )
    q = q.where(q.between(1, 4))
    return _assemble(pd.to_numeric(year, errors="coerce"), (q - 1) * 3 + 1, 1)


def from_year_month(year: pd.Series, month: pd.Series) -> pd.Series:
    """Month-start timestamps from a year column and a month column (1-12)."""
    m = pd.to_numeric(month, errors="coerce")
    return _assemble(pd.to_numeric(year, errors="coerce"), m.where(m.between(1, 12)), 1)


def _from_parts(text: pd.Series, pattern: re.Pattern[str], dayfirst: bool = False) -> pd.Series:
    parts = text.str.extract(pattern)
    num = {k: pd.to_numeric(v, errors="coerce") for k, v in parts.items()}
    if pattern is _DMY:
        num["day"], num["month"] = (num["a"], num["b"]) if dayfirst else (num["b"], num["a"])
        year = num["year"]
        # Two-digit years pivot as strptime's %y does: 69-99 → 19xx, 00-68 → 20xx.
        short = parts["year"].str.len() == 2
        num["year"] = year.where(~short, np.where(year >= 69, year + 1900, year + 2000))
    month = num.get("month", pd.Series(1, index=text.index))
    day = num.get("day", pd.Series(1, index=text.index))
    return _assemble(num["year"], month, day, num.get("hour"), num.get("minute"), num.get("second"))


def _assemble(
    year: pd.Series,
    month: pd.Series | int,
    day: pd.Series | int,
    hour: pd.Series | None = None,
    minute: pd.Series | None = None,
    second: pd.Series | None = None,
) -> pd.Series:
    parts = pd.DataFrame({"year": year, "month": month, "day": day})
    for key, value in (("hour", hour), ("minute", minute), ("second", second)):
        if value is not None:
            parts[key] = value.fillna(0)
    return pd.to_datetime(parts, errors="coerce")
