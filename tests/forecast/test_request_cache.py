"""A request reads each of its job's immutable staged objects from storage at most once."""

from __future__ import annotations

import pytest

from dropcast_common.errors import PreconditionFailedError
from dropcast_common.testing import InMemoryBlobStore
from dropcast_forecast.request_cache import StagedReads

JOB = "j" * 24


class CountingStore(InMemoryBlobStore):
    def __init__(self) -> None:
        super().__init__()
        self.reads: list[str] = []

    def read(self, bucket: str, name: str, generation: int | None = None) -> bytes:
        self.reads.append(name)
        return super().read(bucket, name, generation)


def test_staged_shards_parts_and_quality_are_read_once() -> None:
    store = CountingStore()
    for name in ("shard-00000.parquet", "quality.json", "parts/00001.json"):
        store.create("stage", f"jobs/{JOB}/{name}", name.encode())
    cached = StagedReads(store, "stage", JOB)
    for _ in range(3):
        for name in ("shard-00000.parquet", "quality.json", "parts/00001.json"):
            assert cached.read("stage", f"jobs/{JOB}/{name}") == name.encode()
    assert len(store.reads) == 3


def test_what_the_request_created_is_read_back_from_memory() -> None:
    store = CountingStore()
    cached = StagedReads(store, "stage", JOB)
    cached.create("stage", f"jobs/{JOB}/parts/00000.json", b"mine", "application/json")
    assert cached.read("stage", f"jobs/{JOB}/parts/00000.json") == b"mine"
    assert store.reads == []


def test_an_object_already_there_is_not_taken_from_the_failed_create() -> None:
    store = CountingStore()
    store.create("stage", f"jobs/{JOB}/parts/00000.json", b"earlier attempt")
    cached = StagedReads(store, "stage", JOB)
    with pytest.raises(PreconditionFailedError):
        cached.create("stage", f"jobs/{JOB}/parts/00000.json", b"this attempt", "text/plain")
    assert cached.read("stage", f"jobs/{JOB}/parts/00000.json") == b"earlier attempt"


@pytest.mark.parametrize(
    ("bucket", "name"),
    [
        ("stage", f"jobs/{JOB}/status.json"),  # changes as shards finish
        ("stage", f"jobs/{JOB}/parts/00000.lease"),  # taken over when a worker dies
        ("stage", f"jobs/{JOB}/assembly.lease"),
        ("stage", "warmstart/abc.json"),  # replaced by every upload of the source
        ("stage", f"jobs/{'k' * 24}/quality.json"),  # another job
        ("out", f"jobs/{JOB}/quality.json"),  # another bucket
    ],
)
def test_objects_that_can_change_always_come_from_storage(bucket: str, name: str) -> None:
    store = CountingStore()
    store.create(bucket, name, b"v1")
    cached = StagedReads(store, "stage", JOB)
    assert cached.read(bucket, name) == b"v1"
    store.replace(bucket, name, b"v2", "text/plain", store.stat(bucket, name).generation)  # type: ignore[union-attr]
    assert cached.read(bucket, name) == b"v2"
    assert len(store.reads) == 2
