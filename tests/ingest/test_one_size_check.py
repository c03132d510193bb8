"""One file-size check: the service (before download) and the reader say the same thing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dropcast_common.envelope import StorageNotification, StorageObject
from dropcast_common.errors import InputError
from dropcast_common.params import resolve
from dropcast_common.testing import InMemoryBlobStore, RecordingPublisher
from dropcast_ingest.bootstrap import IngestDeps
from dropcast_ingest.config import IngestSettings
from dropcast_ingest.handlers import Outcome, handle_upload
from dropcast_tables.limits import Limits
from dropcast_tables.normalise import normalise

LIMITS = Limits(max_bytes=1000)
CONTENT = b"date,y\n" + b"2024-01-01,1\n" * 200  # 2,607 bytes


def test_the_service_and_the_reader_refuse_an_oversized_file_alike(tmp_path: Path) -> None:
    store = InMemoryBlobStore()
    settings = IngestSettings(input_bucket="in", staging_bucket="stage", output_bucket="out")
    deps = IngestDeps(settings, store, RecordingPublisher(), LIMITS)
    generation = store.put_object("in", "big.csv", CONTENT)
    obj = StorageObject(bucket="in", name="big.csv", generation=generation, size=len(CONTENT))
    note = StorageNotification(event_type="OBJECT_FINALIZE", object=obj)
    assert handle_upload(note, deps) is Outcome.REJECTED
    service = json.loads(store.read("out", "big.error.json"))

    path = tmp_path / "big.csv"
    path.write_bytes(CONTENT)
    with pytest.raises(InputError) as caught:
        normalise(path, "big.csv", resolve(), LIMITS)
    reader = caught.value

    assert service["code"] == reader.code == "file_too_large"
    assert service["message"] == reader.message
    assert service["hint"] == reader.hint
    assert service["details"] == reader.details == {"bytes": len(CONTENT), "limit": 1000}
