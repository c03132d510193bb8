"""The blob-store port and its Cloud Storage adapter.

Handlers depend on :class:`BlobStore`; production wires
:class:`GcsBlobStore` (the official client, which honours
``STORAGE_EMULATOR_HOST``), tests pass ``dropcast_common.testing`` doubles.
The client is created on first use, never at import.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from dropcast_common.errors import BlobNotFoundError, PreconditionFailedError, TransientError
from dropcast_common.naming import GENERATED_MARK as GENERATED_MARK
from dropcast_common.naming import SOURCE_GENERATION as SOURCE_GENERATION

if TYPE_CHECKING:
    from google.cloud import storage

TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class BlobInfo:
    """What we need to know about an object without reading it."""

    bucket: str
    name: str
    generation: int
    size: int
    content_type: str = ""
    metadata: dict[str, str] = field(default_factory=dict)


class BlobStore(Protocol):
    """Object storage as dropcast uses it."""

    def read(self, bucket: str, name: str, generation: int | None = None) -> bytes:
        """The object's bytes; BlobNotFoundError if absent (or not at that generation)."""
        ...

    def download(self, bucket: str, name: str, dest: Path, generation: int | None = None) -> None:
        """Stream the object to a local file (large inputs never sit in memory whole)."""
        ...

    def stat(self, bucket: str, name: str) -> BlobInfo | None:
        """Metadata of the live object, or None when there is none."""
        ...

    def create(
        self,
        bucket: str,
        name: str,
        data: bytes,
        content_type: str = "application/octet-stream",
        metadata: dict[str, str] | None = None,
    ) -> int:
        """Write only if absent (generation precondition 0); PreconditionFailedError otherwise."""
        ...

    def replace(
        self,
        bucket: str,
        name: str,
        data: bytes,
        content_type: str,
        if_generation_match: int,
        metadata: dict[str, str] | None = None,
    ) -> int:
        """Compare-and-swap write: succeeds only if the live generation matches (0: absent)."""
        ...

    def delete(self, bucket: str, name: str, if_generation_match: int) -> None:
        """Delete the object only if its live generation matches (PreconditionFailedError)."""
        ...

    def list(self, bucket: str, prefix: str) -> list[str]:
        """Names of the objects under a prefix."""
        ...


class GcsBlobStore:
    """BlobStore on Cloud Storage (or fake-gcs-server via STORAGE_EMULATOR_HOST)."""

    def __init__(self, project: str | None = None, client: storage.Client | None = None) -> None:
        self._project = project
        self._client = client
        self._lock = threading.Lock()

    @property
    def client(self) -> storage.Client:
        """The storage client, created on first use."""
        with self._lock:
            if self._client is None:
                from google.cloud import storage

                kwargs: dict[str, Any] = {"project": self._project}
                if os.environ.get("STORAGE_EMULATOR_HOST"):
                    kwargs["credentials"] = anonymous_credentials()
                self._client = storage.Client(**kwargs)
            return self._client

    def read(self, bucket: str, name: str, generation: int | None = None) -> bytes:
        with _mapped_errors(bucket, name):
            blob = self.client.bucket(bucket).blob(name, generation=generation)
            data: bytes = blob.download_as_bytes(timeout=TIMEOUT_SECONDS)
            return data

    def download(self, bucket: str, name: str, dest: Path, generation: int | None = None) -> None:
        with _mapped_errors(bucket, name):
            blob = self.client.bucket(bucket).blob(name, generation=generation)
            blob.download_to_filename(str(dest), timeout=TIMEOUT_SECONDS)

    def stat(self, bucket: str, name: str) -> BlobInfo | None:
        with _mapped_errors(bucket, name):
            blob = self.client.bucket(bucket).get_blob(name, timeout=TIMEOUT_SECONDS)
            if blob is None:
                return None
            return BlobInfo(
                bucket=bucket,
                name=name,
                generation=int(blob.generation or 0),
                size=int(blob.size or 0),
                content_type=blob.content_type or "",
                metadata=dict(blob.metadata or {}),
            )

    def create(
        self,
        bucket: str,
        name: str,
        data: bytes,
        content_type: str = "application/octet-stream",
        metadata: dict[str, str] | None = None,
    ) -> int:
        return self._write(bucket, name, data, content_type, 0, metadata)

    def replace(
        self,
        bucket: str,
        name: str,
        data: bytes,
        content_type: str,
        if_generation_match: int,
        metadata: dict[str, str] | None = None,
    ) -> int:
        return self._write(bucket, name, data, content_type, if_generation_match, metadata)

    def delete(self, bucket: str, name: str, if_generation_match: int) -> None:
        with _mapped_errors(bucket, name):
            blob = self.client.bucket(bucket).blob(name)
            blob.delete(if_generation_match=if_generation_match, timeout=TIMEOUT_SECONDS)

    def _write(
        self,
        bucket: str,
        name: str,
        data: bytes,
        content_type: str,
        if_generation_match: int,
        metadata: dict[str, str] | None,
    ) -> int:
        with _mapped_errors(bucket, name):
            blob = self.client.bucket(bucket).blob(name)
            if metadata:
                blob.metadata = metadata
            # With a generation precondition the client's default retry is safe:
            # a retried request can never write twice.
            blob.upload_from_string(
                data,
                content_type=content_type,
                if_generation_match=if_generation_match,
                timeout=TIMEOUT_SECONDS,
            )
            return int(blob.generation or 0)

    def list(self, bucket: str, prefix: str) -> list[str]:
        with _mapped_errors(bucket, prefix):
            return [b.name for b in self.client.list_blobs(bucket, prefix=prefix)]


def create_once(
    store: BlobStore,
    bucket: str,
    name: str,
    data: bytes,
    content_type: str,
    metadata: dict[str, str] | None = None,
) -> bool:
    """Create-only write; returns False when the object was already there.

    An object already there is our own earlier attempt (or a concurrent
    duplicate's): the step is done, which is what makes redelivery safe.
    """
    try:
        store.create(bucket, name, data, content_type, metadata)
    except PreconditionFailedError:
        return False
    return True


def publish_output(
    store: BlobStore,
    bucket: str,
    name: str,
    data: bytes,
    content_type: str,
    job_id: str,
    source_generation: int,
) -> bool:
    """Write a user-facing output of one job; returns False when there was nothing to do.

    Outputs live at a fixed name (``x.csv`` for ``x.csv``), so a new upload
    of the same name (a new generation: a new job) must replace the older
    job's output, while a redelivery of the same job, or a late job for an
    older generation, must not touch it. Each output carries its job id and
    source generation as metadata; every write is conditional on the
    generation it read, so concurrent writers can't both win.
    """
    meta = {GENERATED_MARK: job_id, SOURCE_GENERATION: str(source_generation)}
    for _ in range(10):
        info = store.stat(bucket, name)
        try:
            if info is None:
                store.create(bucket, name, data, content_type, meta)
                return True
            if info.metadata.get(GENERATED_MARK) == job_id:
                return False  # this job's own earlier attempt
            if int(info.metadata.get(SOURCE_GENERATION) or 0) > source_generation:
                return False  # a newer upload's output is there: it wins
            store.replace(bucket, name, data, content_type, info.generation, meta)
            return True
        except PreconditionFailedError:
            continue  # someone wrote in between: look again
    raise TransientError(f"gs://{bucket}/{name} kept changing under us; retry")


def remove_stale_output(
    store: BlobStore, bucket: str, name: str, job_id: str, source_generation: int
) -> bool:
    """Delete an older job's output (e.g. its error report once a newer upload succeeds)."""
    info = store.stat(bucket, name)
    if info is None or info.metadata.get(GENERATED_MARK) == job_id:
        return False
    if int(info.metadata.get(SOURCE_GENERATION) or 0) > source_generation:
        return False
    try:
        store.delete(bucket, name, if_generation_match=info.generation)
    except (PreconditionFailedError, BlobNotFoundError):
        return False
    return True


def anonymous_credentials() -> Any:
    """Credentials for the emulators, which accept any (or no) token."""
    from google.auth.credentials import AnonymousCredentials

    return AnonymousCredentials()  # type: ignore[no-untyped-call]


@contextmanager
def _mapped_errors(bucket: str, name: str) -> Iterator[None]:
    """Translate client exceptions into dropcast's: 412, 404, and retryable faults."""
    from google.api_core import exceptions as gexc
    from google.auth import exceptions as auth_exc
    from requests import exceptions as req_exc

    try:
        yield
    except gexc.PreconditionFailed as exc:
        raise PreconditionFailedError(bucket, name) from exc
    except gexc.NotFound as exc:
        raise BlobNotFoundError(bucket, name) from exc
    except (
        gexc.TooManyRequests,
        gexc.InternalServerError,
        gexc.BadGateway,
        gexc.ServiceUnavailable,
        gexc.GatewayTimeout,
        gexc.RetryError,
        auth_exc.TransportError,
        req_exc.ConnectionError,
        req_exc.Timeout,
        ConnectionError,
        TimeoutError,
    ) as exc:
        raise TransientError(f"storage unavailable for gs://{bucket}/{name}: {exc}") from exc
