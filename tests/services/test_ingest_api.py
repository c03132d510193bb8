"""The ingest push endpoint: what it accepts, refuses, ignores and stages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dropcast_common import naming, table
from dropcast_common.messages import WorkMessage
from dropcast_common.testing import InMemoryBlobStore, RecordingPublisher, storage_push_body
from dropcast_ingest.bootstrap import IngestDeps
from dropcast_ingest.config import IngestSettings
from dropcast_ingest.main import create_app

SETTINGS = IngestSettings(input_bucket="in", staging_bucket="stage", output_bucket="out")


@pytest.fixture
def deps() -> IngestDeps:
    return IngestDeps(settings=SETTINGS, store=InMemoryBlobStore(), publisher=RecordingPublisher())


@pytest.fixture
def client(deps: IngestDeps) -> Iterator[TestClient]:
    with TestClient(create_app(deps)) as test_client:
        yield test_client


def _store(deps: IngestDeps) -> InMemoryBlobStore:
    assert isinstance(deps.store, InMemoryBlobStore)
    return deps.store


def _published(deps: IngestDeps) -> RecordingPublisher:
    assert isinstance(deps.publisher, RecordingPublisher)
    return deps.publisher


def test_health(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


@pytest.mark.parametrize("body", [b"", b"garbage", b"{}", b'{"message": {"data": "%%%"}}'])
def test_malformed_envelope_is_400_not_500(client: TestClient, body: bytes) -> None:
    response = client.post("/push/uploads", content=body)
    assert response.status_code == 400
    assert response.json()["error"] == "malformed_envelope"


@pytest.mark.parametrize(
    ("bucket", "name", "event"),
    [
        ("in", "notes/readme.md", "OBJECT_FINALIZE"),  # not a data file
        ("in", "folder/", "OBJECT_FINALIZE"),  # a "directory" placeholder
        ("in", "data.csv", "OBJECT_DELETE"),  # not a new object
        ("out", "data.csv", "OBJECT_FINALIZE"),  # not the input bucket (loop guard)
    ],
)
def test_non_data_objects_are_acknowledged_and_ignored(
    client: TestClient, deps: IngestDeps, bucket: str, name: str, event: str
) -> None:
    response = client.post("/push/uploads", json=storage_push_body(bucket, name, 1, event))
    assert response.status_code == 204
    assert _published(deps).messages == []
    assert _store(deps).writes == []


def test_csv_is_staged_as_canonical_parquet_and_a_work_message_published(
    client: TestClient, deps: IngestDeps, hyndsight: Path
) -> None:
    gen = _store(deps).put_object("in", "team/hynd.csv", hyndsight.read_bytes())
    response = client.post("/push/uploads", json=storage_push_body("in", "team/hynd.csv", gen))
    assert response.status_code == 204

    [message] = _published(deps).on("work")
    work = WorkMessage.from_bytes(message.data)
    assert work.job_id == naming.job_id("in", "team/hynd.csv", gen)
    assert work.output.bucket == "out"
    assert work.output.stem == "team/hynd"
    assert work.shard.index == 0
    assert work.shard.count == 1
    assert message.attributes["job_id"] == work.job_id

    staged = table.from_parquet(_store(deps).read("stage", naming.staging_shard(work.job_id, 0)))
    assert list(staged.columns) == ["series_id", "ds", "y"]
    assert len(staged) == 365
    assert staged["ds"].is_monotonic_increasing
    assert staged["y"].iloc[0] == 1157.0


def test_bad_file_gets_an_error_report_and_is_acknowledged(
    client: TestClient, deps: IngestDeps
) -> None:
    gen = _store(deps).put_object("in", "bad.csv", b"")
    response = client.post("/push/uploads", json=storage_push_body("in", "bad.csv", gen))
    assert response.status_code == 204  # acknowledged: a retry cannot fix the file
    report = json.loads(_store(deps).read("out", "bad.error.json"))
    assert report["code"] == "empty_file"
    assert report["hint"]
    assert report["source"] == "gs://in/bad.csv"
    assert _published(deps).messages == []


def test_replaced_generation_is_ignored(
    client: TestClient, deps: IngestDeps, hyndsight: Path
) -> None:
    old = _store(deps).put_object("in", "x.csv", hyndsight.read_bytes())
    _store(deps).put_object("in", "x.csv", hyndsight.read_bytes())  # newer upload
    response = client.post("/push/uploads", json=storage_push_body("in", "x.csv", old))
    assert response.status_code == 204
    assert _published(deps).messages == []


def test_duplicate_notification_stages_once(
    client: TestClient, deps: IngestDeps, hyndsight: Path
) -> None:
    gen = _store(deps).put_object("in", "x.csv", hyndsight.read_bytes())
    for _ in range(3):
        assert (
            client.post("/push/uploads", json=storage_push_body("in", "x.csv", gen)).status_code
            == 204
        )
    staged = [name for bucket, name in _store(deps).writes if bucket == "stage"]
    assert len([n for n in staged if n.endswith(".parquet")]) == 1
