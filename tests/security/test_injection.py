"""User strings in outputs and logs: no spreadsheet formulas, no forged log lines."""

from __future__ import annotations

import csv
import io
import json
import logging
import sys

import pandas as pd
import pytest

from dropcast_common.logs import CloudJsonFormatter, TextFormatter, bind, log_context
from dropcast_common.safety import safe_csv_cell
from dropcast_forecasting.render.chart import render_chart
from dropcast_forecasting.render.writer import to_csv

FORMULAS = [
    '=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\uff1d1+1",  # full-width equals sign
]


@pytest.mark.parametrize("value", FORMULAS)
def test_formula_is_neutralised(value: str) -> None:
    assert safe_csv_cell(value) == "'" + value.replace("\r", "\n")


def test_carriage_return_inside_a_cell_cannot_start_a_row() -> None:
    # pandas' writer (lineterminator "\n") quotes "\n" but not "\r" in a cell.
    cell = safe_csv_cell("ok\r=1+1\r\n@x")
    assert "\r" not in cell
    assert cell == "ok\n=1+1\n@x"


@pytest.mark.parametrize("value", ["sales", "store 1", "-5", "+3.25", "-1e5", "", "a=b", "'=x"])
def test_harmless_values_are_kept(value: str) -> None:
    assert safe_csv_cell(value) == value


def _forecast(series_ids: list[str]) -> pd.DataFrame:
    rows = [
        {
            "series_id": sid,
            "date": pd.Timestamp("2024-01-01") + pd.Timedelta(days=day),
            "prediction": 1.0,
            "prediction_lower": 0.5,
            "prediction_upper": 1.5,
        }
        for sid in series_ids
        for day in range(2)
    ]
    return pd.DataFrame(rows)


def test_forecast_csv_has_no_cell_a_spreadsheet_would_run() -> None:
    ids = [*FORMULAS, "plain", "-5"]
    rows = list(csv.reader(io.StringIO(to_csv(_forecast(ids)).decode(), newline="")))
    header, body = rows[0], rows[1:]
    assert header[0] == "series_id"
    cells = [cell for row in body for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r", "\uff1d")]
    assert not [c for c in cells if c.startswith("-") and c != "-5"]
    # Still readable: the original id is the cell minus the leading quote.
    seen = {row[0].removeprefix("'") for row in body if row[0] != "-5"}
    assert seen == {*(f.replace("\r", "\n") for f in FORMULAS), "plain"}


@pytest.mark.parametrize("title", ["$\\undefinedmacro{x}$", "$x^{$", "plain"])
def test_chart_draws_math_markup_in_user_text_literally(title: str) -> None:
    # matplotlib would parse $...$ as math and raise on bad markup: a crash, not a report.
    ids = [title, "b"]
    canonical = pd.DataFrame(
        {
            "series_id": [i for i in ids for _ in range(3)],
            "ds": list(pd.date_range("2024-01-01", periods=3)) * 2,
            "y": [1.0, 2.0, 3.0] * 2,
        }
    )
    forecast = _forecast(ids).assign(date=lambda f: f["date"] + pd.Timedelta(days=3))
    png = render_chart(canonical, forecast, title=title)
    assert png.startswith(b"\x89PNG")


def _record(message: str, *args: object, exc: str | None = None) -> logging.LogRecord:
    exc_info = None
    if exc is not None:
        try:
            raise ValueError(exc)
        except ValueError:
            exc_info = sys.exc_info()
    return logging.LogRecord("dropcast.test", logging.WARNING, __file__, 1, message, args, exc_info)


HOSTILE = "x.csv\n12:00:00 INFO    dropcast.ingest: accepted gs://in/forged.csv\r\x1b[2J\u2028"


def test_text_log_keeps_user_string_on_one_line() -> None:
    token = log_context.set({})
    try:
        bind(job_id=HOSTILE)
        line = TextFormatter().format(_record("rejected %s", HOSTILE))
    finally:
        log_context.reset(token)
    assert "\n" not in line
    assert "\r" not in line
    assert "\x1b" not in line
    assert "\u2028" not in line
    assert "\\n12:00:00 INFO" in line  # visible, escaped


def test_text_log_traceback_cannot_start_a_record() -> None:
    line = TextFormatter().format(_record("failed", exc=HOSTILE))
    first, *rest = line.split("\n")
    assert first.endswith("dropcast.test: failed")
    assert rest
    assert all(part.startswith("    | ") for part in rest)
    assert "\x1b" not in line
    assert "\r" not in line


def test_json_log_is_one_parseable_line_with_the_exact_string() -> None:
    token = log_context.set({})
    try:
        bind(job_id=HOSTILE)
        line = CloudJsonFormatter("p").format(_record("rejected %s", HOSTILE, exc=HOSTILE))
    finally:
        log_context.reset(token)
    assert "\n" not in line
    assert "\r" not in line
    entry = json.loads(line)
    assert entry["message"] == f"rejected {HOSTILE}"
    assert entry["job_id"] == HOSTILE
    assert entry["severity"] == "WARNING"
