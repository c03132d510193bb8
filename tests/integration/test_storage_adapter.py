"""GcsBlobStore against fake-gcs-server: the real client, the real wire protocol."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from dropcast_cli.stack import StackInfo
from dropcast_common import pipeline
from dropcast_common.errors import BlobNotFoundError, PreconditionFailedError, TransientError
from dropcast_common.storage import (
    RETRY_CAP_SECONDS,
    RETRY_SHARE_OF_REQUEST,
    GcsBlobStore,
    retry_deadline,
)
from dropcast_common.testing import ChaosSession

pytestmark = pytest.mark.integration


@pytest.fixture
def store(stack: StackInfo) -> GcsBlobStore:
    return GcsBlobStore(project=stack.project)


@pytest.fixture
def bucket(stack: StackInfo) -> str:
    return stack.buckets["staging"]


def test_upload_download_and_stat(store: GcsBlobStore, bucket: str, tmp_path: Path) -> None:
    name = f"it/{uuid.uuid4().hex}.bin"
    generation = store.create(bucket, name, b"hello", "text/plain", metadata={"k": "v"})
    assert generation > 0
    assert store.read(bucket, name) == b"hello"
    assert store.read(bucket, name, generation=generation) == b"hello"
    info = store.stat(bucket, name)
    assert info is not None
    assert (info.generation, info.size, info.metadata) == (generation, 5, {"k": "v"})
    store.download(bucket, name, tmp_path / "copy")
    assert (tmp_path / "copy").read_bytes() == b"hello"
    assert name in store.list(bucket, "it/")


def test_create_only_write_is_refused_with_412_when_the_object_exists(
    store: GcsBlobStore, bucket: str
) -> None:
    name = f"it/{uuid.uuid4().hex}.bin"
    store.create(bucket, name, b"first")
    with pytest.raises(PreconditionFailedError):
        store.create(bucket, name, b"second")
    assert store.read(bucket, name) == b"first"


def test_compare_and_swap_replace(store: GcsBlobStore, bucket: str) -> None:
    name = f"it/{uuid.uuid4().hex}.json"
    first = store.create(bucket, name, b"1")
    second = store.replace(bucket, name, b"2", "application/json", if_generation_match=first)
    with pytest.raises(PreconditionFailedError):
        store.replace(bucket, name, b"3", "application/json", if_generation_match=first)
    assert second != first
    assert store.read(bucket, name) == b"2"


def test_missing_object(store: GcsBlobStore, bucket: str) -> None:
    assert store.stat(bucket, "it/none") is None
    with pytest.raises(BlobNotFoundError):
        store.read(bucket, "it/none")


def test_transport_faults_are_retried_once_by_the_client_policy(
    stack: StackInfo, bucket: str, tmp_path: Path
) -> None:
    chaos = ChaosSession(fail_every=3)
    store = GcsBlobStore(project=stack.project, http=chaos, retry_seconds=10)
    names = [f"it/chaos/{uuid.uuid4().hex}-{k}" for k in range(6)]
    for name in names:
        store.create(bucket, name, b"x", "text/plain")
    assert [store.read(bucket, n) for n in names] == [b"x"] * 6
    assert store.stat(bucket, names[0]) is not None
    store.download(bucket, names[1], tmp_path / "copy")
    assert set(names) <= set(store.list(bucket, "it/chaos/"))
    assert chaos.injected >= 4
    # Each write went through once despite its retries: a create-only write
    # retried after a fault never becomes a 412 against itself.
    assert all(store.read(bucket, n) == b"x" for n in names)


def test_persistent_faults_surface_as_transient_within_the_deadline(
    stack: StackInfo, bucket: str
) -> None:
    store = GcsBlobStore(project=stack.project, http=ChaosSession(fail_every=1), retry_seconds=1)
    started = time.monotonic()
    with pytest.raises(TransientError):
        store.stat(bucket, "it/never")
    # Bounded by our deadline, not the client's 120 s default.
    assert time.monotonic() - started < 30


def test_the_retry_deadline_is_a_share_of_the_request_budget() -> None:
    budgets = {name: s.request_timeout_seconds for name, s in pipeline.load().services.items()}
    assert retry_deadline(budgets["ingest"]) == budgets["ingest"] * RETRY_SHARE_OF_REQUEST
    assert retry_deadline(budgets["forecast"]) == RETRY_CAP_SECONDS
    assert all(retry_deadline(b) < b for b in budgets.values())
