"""The JSON lines Cloud Logging reads as structured entries, and trace ids from headers."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator

import pytest

from dropcast_common.logs import CloudJsonFormatter, bind, log_context, trace_from_header


@pytest.fixture
def context() -> Iterator[None]:
    token = log_context.set({})
    yield
    log_context.reset(token)


def _line(level: int, message: str, *args: object, **extra: object) -> dict[str, object]:
    record = logging.LogRecord("dropcast.ingest", level, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    text = CloudJsonFormatter("proj").format(record)
    assert "\n" not in text
    entry = json.loads(text)
    assert isinstance(entry, dict)
    return entry


def test_job_line_carries_severity_message_trace_job_series_and_seconds(context: None) -> None:
    bind(job_id="a" * 24, trace_id="0af7651916cd43dd8448eb211c80319c")
    entry = _line(
        logging.INFO, "accepted %s: %d series", "gs://in/x.csv", 3, series=3, seconds=0.25
    )
    assert entry["severity"] == "INFO"
    assert entry["message"] == "accepted gs://in/x.csv: 3 series"
    assert (
        entry["logging.googleapis.com/trace"]
        == "projects/proj/traces/0af7651916cd43dd8448eb211c80319c"
    )
    assert "trace_id" not in entry
    assert entry["job_id"] == "a" * 24
    assert entry["series"] == 3
    assert entry["seconds"] == 0.25


@pytest.mark.parametrize(
    ("level", "severity"),
    [
        (logging.DEBUG, "DEBUG"),
        (logging.INFO, "INFO"),
        (logging.WARNING, "WARNING"),
        (logging.ERROR, "ERROR"),
        (logging.CRITICAL, "CRITICAL"),
    ],
)
def test_levels_map_to_cloud_severities(context: None, level: int, severity: str) -> None:
    assert _line(level, "x")["severity"] == severity


def test_no_trace_field_without_a_trace(context: None) -> None:
    assert "logging.googleapis.com/trace" not in _line(logging.INFO, "x")


def test_fields_cannot_replace_severity_or_message(context: None) -> None:
    bind(severity="DEBUG")
    entry = _line(logging.ERROR, "real", logger="forged")
    assert entry["severity"] == "ERROR"
    assert entry["message"] == "real"
    assert entry["logger"] == "dropcast.ingest"


def test_time_is_utc_whatever_the_machine_zone(context: None) -> None:
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    try:
        record = logging.LogRecord("t", logging.INFO, __file__, 1, "x", None, None)
        record.created = 0.0
        record.msecs = 0.0
        entry = json.loads(CloudJsonFormatter("p").format(record))
    finally:
        if saved is None:
            os.environ.pop("TZ")
        else:
            os.environ["TZ"] = saved
        time.tzset()
    assert entry["time"] == "1970-01-01T00:00:00.000Z"


@pytest.mark.parametrize(
    ("header", "trace"),
    [
        ("105445aa7843bc8bf206b12000100000/1;o=1", "105445aa7843bc8bf206b12000100000"),
        ("105445aa7843bc8bf206b12000100000", "105445aa7843bc8bf206b12000100000"),
        (
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "0af7651916cd43dd8448eb211c80319c",
        ),
        ("00-not a trace-b7ad6b7169203331-01", None),
        ("x\ny/1", None),
        ("", None),
        (None, None),
    ],
)
def test_trace_from_either_header(header: str | None, trace: str | None) -> None:
    assert trace_from_header(header) == trace
