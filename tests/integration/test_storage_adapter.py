"""GcsBlobStore against fake-gcs-server: the real client, the real wire protocol."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from dropcast_cli.stack import StackInfo
from dropcast_common.errors import BlobNotFoundError, PreconditionFailedError
from dropcast_common.storage import GcsBlobStore

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
