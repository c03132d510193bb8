"""A trace header reaches every log line of the request and travels with the work.

The Pub/Sub emulator sends no trace header, so this runs both services in
process: the notification with ``X-Cloud-Trace-Context`` (what Cloud Run
adds), the work message with a W3C ``traceparent``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.settings_support import BUCKETS

from dropcast_common import naming
from dropcast_common.messages import WorkMessage
from dropcast_common.testing import (
    InMemoryBlobStore,
    RecordingPublisher,
    push_body,
    storage_push_body,
)
from dropcast_forecast.bootstrap import ForecastDeps
from dropcast_forecast.config import ForecastSettings
from dropcast_forecast.main import create_app as forecast_app
from dropcast_ingest.bootstrap import IngestDeps
from dropcast_ingest.config import IngestSettings
from dropcast_ingest.main import create_app as ingest_app

INGEST_TRACE = "105445aa7843bc8bf206b12000100000"
FORECAST_TRACE = "0af7651916cd43dd8448eb211c80319c"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """The apps configure the root logger; put the test runner's back afterwards."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def _entries(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def test_trace_header_is_on_every_job_line_of_both_services(
    restore_logging: None, capsys: pytest.CaptureFixture[str], hyndsight: Path
) -> None:
    store, publisher = InMemoryBlobStore(), RecordingPublisher()
    generation = store.put_object(
        "in", "t/h.csv", hyndsight.read_bytes(), {"dropcast-horizon": "7"}
    )
    job = naming.job_id("in", "t/h.csv", generation)
    ingest = IngestDeps(
        settings=IngestSettings(**BUCKETS, project="proj", log_format="json"),
        store=store,
        publisher=publisher,
    )
    with TestClient(ingest_app(ingest)) as client:
        response = client.post(
            "/push/uploads",
            json=storage_push_body("in", "t/h.csv", generation, metadata={"dropcast-horizon": "7"}),
            headers={"X-Cloud-Trace-Context": f"{INGEST_TRACE}/1;o=1"},
        )
    assert response.status_code == 204
    ingest_lines = [e for e in _entries(capsys.readouterr().out) if e.get("job_id") == job]
    assert [e["message"].split()[0] for e in ingest_lines] == [
        "notification",
        "published",
        "accepted",
    ]
    for entry in ingest_lines:
        assert entry["logging.googleapis.com/trace"] == f"projects/proj/traces/{INGEST_TRACE}"
    # The trace travels in the work message, for whoever wants to join the two requests.
    (work,) = publisher.on("work")
    message = WorkMessage.from_bytes(work.data)
    assert message.trace_id == INGEST_TRACE

    forecast = ForecastDeps(
        settings=ForecastSettings(**BUCKETS, project="proj", log_format="json"),
        store=store,
        publisher=RecordingPublisher(),
    )
    with TestClient(forecast_app(forecast)) as client:
        response = client.post(
            "/push/work",
            json=push_body(work.data, work.attributes, message_id="42"),
            headers={"traceparent": f"00-{FORECAST_TRACE}-b7ad6b7169203331-01"},
        )
    assert response.status_code == 204
    forecast_lines = [e for e in _entries(capsys.readouterr().out) if e.get("job_id") == job]
    messages = [e["message"] for e in forecast_lines]
    assert messages[0] == "computing shard 1/1"
    assert messages[-1].startswith("assembled 1 shard(s)")
    for entry in forecast_lines:
        assert entry["logging.googleapis.com/trace"] == f"projects/proj/traces/{FORECAST_TRACE}"
    assert forecast_lines[-1]["series"] == 1
    assert forecast_lines[-1]["seconds"] >= 0


def test_without_a_trace_header_forecast_keeps_the_ingest_trace(
    restore_logging: None, capsys: pytest.CaptureFixture[str], hyndsight: Path
) -> None:
    store, publisher = InMemoryBlobStore(), RecordingPublisher()
    generation = store.put_object(
        "in", "t/n.csv", hyndsight.read_bytes(), {"dropcast-horizon": "3"}
    )
    job = naming.job_id("in", "t/n.csv", generation)
    ingest = IngestDeps(
        settings=IngestSettings(**BUCKETS, project="proj", log_format="json"),
        store=store,
        publisher=publisher,
    )
    with TestClient(ingest_app(ingest)) as client:
        client.post(
            "/push/uploads",
            json=storage_push_body("in", "t/n.csv", generation, metadata={"dropcast-horizon": "3"}),
            headers={"X-Cloud-Trace-Context": f"{INGEST_TRACE}/1;o=1"},
        )
    capsys.readouterr()
    (work,) = publisher.on("work")
    forecast = ForecastDeps(
        settings=ForecastSettings(**BUCKETS, project="proj", log_format="json"),
        store=store,
        publisher=RecordingPublisher(),
    )
    with TestClient(forecast_app(forecast)) as client:  # no trace header, as Pub/Sub push sends
        assert (
            client.post("/push/work", json=push_body(work.data, work.attributes)).status_code == 204
        )
    lines = [e for e in _entries(capsys.readouterr().out) if e.get("job_id") == job]
    assert lines
    for entry in lines:
        assert entry["logging.googleapis.com/trace"] == f"projects/proj/traces/{INGEST_TRACE}"
