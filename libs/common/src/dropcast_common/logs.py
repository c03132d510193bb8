"""Logging: Cloud Logging's structured JSON in the cloud, readable text locally.

Cloud Run forwards stdout; one JSON object per line with ``severity`` and
``message`` becomes a structured entry, and
``logging.googleapis.com/trace`` ties it to the request's trace.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

# Request-scoped fields (job id, trace) that every log line of a request carries.
log_context: ContextVar[dict[str, Any] | None] = ContextVar("dropcast_log_context", default=None)

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
# Python level name → Cloud Logging LogSeverity (an unknown name would be dropped to DEFAULT).
_SEVERITY = {
    "DEBUG": "DEBUG",
    "INFO": "INFO",
    "WARNING": "WARNING",
    "ERROR": "ERROR",
    "CRITICAL": "CRITICAL",
}


def bind(**fields: Any) -> None:
    """Add fields to every log line for the rest of this request/context."""
    current = dict(log_context.get() or {})
    current.update({k: v for k, v in fields.items() if v is not None})
    log_context.set(current)


def _extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    fields = dict(log_context.get() or {})
    fields.update({k: v for k, v in vars(record).items() if k not in _RESERVED})
    return fields


class CloudJsonFormatter(logging.Formatter):
    """One JSON object per line in Cloud Logging's structured format.

    Why not google-cloud-logging's ``StructuredLogHandler``, which writes the
    same format: it does not give the same fields. It puts only
    ``extra={"json_fields": {...}}`` into the entry, so the job fields bound
    once per request (:func:`bind`: ``job_id``, ``shard``, ...) would have to be
    passed on every call; it finds the trace only in Flask or Django requests,
    not in the trace id that travels inside a work message; and it writes no
    ``time`` (the entry would get the receive time, not the record's). Making
    it do so would take a filter and a wrapper about as long as this class,
    plus google-cloud-logging and its dependencies in both images.
    """

    def __init__(self, project: str) -> None:
        super().__init__()
        self._project = project

    def format(self, record: logging.LogRecord) -> str:
        fields = _extra_fields(record)
        trace = fields.pop("trace_id", None)
        # Job fields first; the keys Cloud Logging interprets are set last, so
        # no extra field can replace the severity, message or trace.
        entry: dict[str, Any] = {
            **fields,
            "severity": _SEVERITY.get(record.levelname, "DEFAULT"),
            "message": record.getMessage(),
            "logger": record.name,
            # RFC 3339 in UTC whatever the machine's zone (Cloud Logging reads "time").
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
        }
        if trace:
            entry["logging.googleapis.com/trace"] = f"projects/{self._project}/traces/{trace}"
        if record.exc_info:
            entry["stack_trace"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=True)


class TextFormatter(logging.Formatter):
    """Human-readable lines; user strings are repr-escaped so they cannot forge lines."""

    def format(self, record: logging.LogRecord) -> str:
        fields = _extra_fields(record)
        tail = " ".join(f"{k}={_escape(v)}" for k, v in fields.items())
        line = f"{self.formatTime(record, '%H:%M:%S')} {record.levelname:<7} {record.name}: "
        line += _escape(record.getMessage())
        if tail:
            line += f" [{tail}]"
        if record.exc_info:
            # Indented and escaped line by line: an exception message carrying
            # user text can never start a line that reads as a log record.
            trace = self.formatException(record.exc_info).splitlines()
            line += "".join(f"\n    | {_escape(part)}" for part in trace)
        return line


def _escape(value: Any) -> str:
    text = str(value)
    if text.isprintable():
        return text
    return text.encode("unicode_escape").decode("ascii")


def setup_logging(fmt: str = "text", level: str = "INFO", project: str = "") -> None:
    """Configure the root logger once per process; quiet the chatty libraries."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(CloudJsonFormatter(project) if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # cmdstanpy logs every chain start/stop at INFO; Prophet logs its defaults.
    for noisy in ("cmdstanpy", "prophet", "prophet.plot", "urllib3", "google", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)


def trace_from_header(header: str | None) -> str | None:
    """The trace id from ``X-Cloud-Trace-Context: TRACE/SPAN;o=1`` or ``traceparent``."""
    if not header:
        return None
    if header.count("-") == 3 and header.startswith("00-"):  # W3C traceparent
        trace = header.split("-")[1]
    else:
        trace = header.split("/", 1)[0].strip()
    # Both formats carry hex; anything else is not a trace id and is not logged.
    return trace if trace.isascii() and trace.isalnum() else None
