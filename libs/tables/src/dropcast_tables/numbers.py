"""Numbers as people write them: decimal comma or point, thousands separators.

The decimal mark is decided from the data (``1.234,5`` and ``0,25`` say
comma, ``1,234.5`` and ``0.25`` say point), never from a locale; when the
data cannot tell (only ``1,234``-like cells) the delimiter breaks the tie:
``;``-separated files are the ones written with a decimal comma.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Cells that mean "no value" in the exports people upload.
NA_TOKENS = (
    "",
    "NA",
    "N/A",
    "n/a",
    "na",
    "NaN",
    "nan",
    "NAN",
    "null",
    "NULL",
    "Null",
    "None",
    "none",
    "#N/A",
    "#NA",
    "-",
    "--",
    "?",
    ".",
    "..",
    "missing",
)

_GROUPING = "[ '\u00a0\u202f_$€£¥]"
_NUMBERISH = re.compile(
    r"^[+-]?[$€£¥]?[\d.,' \u00a0\u202f_]*\d[\d.,' \u00a0\u202f_]*([eE][+-]?\d+)?$"
)
_COMMA_DECIMAL = re.compile(
    r"(^|[^\d,])[+-]?\d*,(\d{1,2}|\d{4,})$|\.\d{3},\d+$|\d\.\d{3}\.\d{3}|^[+-]?0,\d+$"
)
_POINT_DECIMAL = re.compile(
    r"(^|[^\d.])[+-]?\d*\.(\d{1,2}|\d{4,})([eE][+-]?\d+)?$|,\d{3}\.\d+|\d,\d{3},\d{3}"
    r"|^[+-]?0\.\d+$|[eE][+-]?\d+$"
)
_COMMA_TRIPLET = re.compile(r"^[+-]?\d{1,3},\d{3}$")


@dataclass(frozen=True)
class NumberFormat:
    """How the numbers of one file are written."""

    decimal: str = "."

    @property
    def thousands(self) -> str:
        """The separator that groups digits (the other of ``.`` and ``,``; spaces always)."""
        return "." if self.decimal == "," else ","


def detect(cells: Iterable[str], delimiter: str, forced: str | None = None) -> NumberFormat:
    """Decide the decimal mark from sample cells that look like numbers."""
    if forced:
        return NumberFormat(forced)
    comma = point = triplets = 0
    for raw in cells:
        cell = raw.strip()
        if not _NUMBERISH.match(cell):
            continue
        if _COMMA_DECIMAL.search(cell):
            comma += 1
        elif _POINT_DECIMAL.search(cell):
            point += 1
        elif _COMMA_TRIPLET.match(cell):
            triplets += 1
    if comma > point:
        return NumberFormat(",")
    if point > comma or not triplets:
        return NumberFormat(".")
    # Only "1,234"-like cells: a comma inside a comma-separated file must be
    # quoted, which exports do for thousands; ";" files use a decimal comma.
    return NumberFormat("," if delimiter != "," else ".")


def is_number(cell: str, fmt: NumberFormat) -> bool:
    """Whether one sample cell reads as a number in ``fmt``."""
    text = cell.strip()
    if not _NUMBERISH.match(text):
        return False
    try:
        float(_clean_one(text, fmt))
    except ValueError:
        return False
    return True


def _clean_one(text: str, fmt: NumberFormat) -> str:
    text = re.sub(_GROUPING, "", text).replace(fmt.thousands, "")
    return text.replace(",", ".") if fmt.decimal == "," else text


def to_float(
    values: pa.Array | pa.ChunkedArray, fmt: NumberFormat
) -> tuple[np.ndarray, np.ndarray]:
    """Parse a string column into float64.

    Returns ``(numbers, bad)``: NaN where the cell is empty or not a number,
    and a boolean mask of the cells that held text that is not a number
    (so they can be reported, unlike merely empty cells).
    """
    if fmt.decimal == ".":
        # Arrow reads a number only when the cell is digits, sign, point, exponent,
        # inf or nan: nothing the cleaning below removes, so when every cell
        # reads as it is, cleaning first would give the very same numbers.
        try:
            direct = pc.cast(values, pa.float64())
        except pa.ArrowInvalid:
            pass
        else:
            out = direct.to_numpy(zero_copy_only=False).astype("float64", copy=False)
            return out, np.zeros(len(out), dtype=bool)
    text = pc.utf8_trim_whitespace(values)
    text = pc.replace_substring_regex(text, _GROUPING, "")
    text = pc.replace_substring(text, fmt.thousands, "")
    if fmt.decimal == ",":
        text = pc.replace_substring(text, ",", ".")
    try:
        numbers = pc.cast(text, pa.float64())
        out = numbers.to_numpy(zero_copy_only=False).astype("float64", copy=False)
        return out, np.zeros(len(out), dtype=bool)
    except pa.ArrowInvalid:
        pass
    series = pd.Series(text.to_pandas(), dtype="object")
    parsed = pd.to_numeric(series, errors="coerce").astype("float64")
    present = series.notna().to_numpy() & ~series.isin(NA_TOKENS).to_numpy()
    bad = present & parsed.isna().to_numpy()
    return parsed.to_numpy(), bad
