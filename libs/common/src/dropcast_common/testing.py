"""Test doubles for the ports, shipped with the library so every package tests alike."""

from __future__ import annotations

import itertools
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from google.auth.credentials import AnonymousCredentials
from google.auth.transport.requests import AuthorizedSession

from dropcast_common.errors import BlobNotFoundError, PreconditionFailedError
from dropcast_common.storage import BlobInfo

log = logging.getLogger("dropcast.testing")


class ChaosSession(AuthorizedSession):
    """An HTTP session for the storage client whose every ``fail_every``-th request gets a 503.

    It sits beneath the client's own retry, as a real fault would, so a
    resilience test exercises the one retry policy production runs
    (``DROPCAST_CHAOS_STORAGE_FAIL_EVERY``; never on by default).
    """

    def __init__(self, fail_every: int, credentials: Any = None) -> None:
        super().__init__(credentials or AnonymousCredentials())  # type: ignore[no-untyped-call]
        self._fail_every = fail_every
        self._calls = itertools.count(1)
        self._count_lock = threading.Lock()
        self.injected = 0

    # AuthorizedSession.request is untyped and its signature wide: match it loosely.
    def request(  # type: ignore[override]
        self, method: str, url: str, *args: Any, **kwargs: Any
    ) -> Any:
        """Answer every ``fail_every``-th request with a 503 instead of sending it."""
        with self._count_lock:
            fail = next(self._calls) % self._fail_every == 0
            if fail:
                self.injected += 1
        if not fail:
            return super().request(method, url, *args, **kwargs)  # type: ignore[no-untyped-call]
        log.warning("injected storage fault in %s %s (503)", method, url.split("?")[0])
        response = requests.Response()
        response.status_code = 503
        response.url = url
        response.headers["content-type"] = "application/json"
        response._content = b'{"error": {"code": 503, "message": "injected storage fault"}}'
        response.request = requests.Request(method, url).prepare()
        return response


@dataclass
class _Stored:
    data: bytes
    generation: int
    content_type: str
    metadata: dict[str, str] = field(default_factory=dict)


class InMemoryBlobStore:
    """A BlobStore in a dict, with real generation preconditions."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], _Stored] = {}
        self._generations = itertools.count(1_000_000)
        self._lock = threading.Lock()
        self.writes: list[tuple[str, str]] = []

    def put_object(
        self, bucket: str, name: str, data: bytes, metadata: dict[str, str] | None = None
    ) -> int:
        """Seed an object as a user upload would (unconditional)."""
        with self._lock:
            gen = next(self._generations)
            self.objects[(bucket, name)] = _Stored(data, gen, "", dict(metadata or {}))
            return gen

    def read(self, bucket: str, name: str, generation: int | None = None) -> bytes:
        stored = self.objects.get((bucket, name))
        if stored is None or (generation is not None and stored.generation != generation):
            raise BlobNotFoundError(bucket, name)
        return stored.data

    def download(self, bucket: str, name: str, dest: Path, generation: int | None = None) -> None:
        dest.write_bytes(self.read(bucket, name, generation))

    def stat(self, bucket: str, name: str) -> BlobInfo | None:
        stored = self.objects.get((bucket, name))
        if stored is None:
            return None
        return BlobInfo(
            bucket, name, stored.generation, len(stored.data), stored.content_type, stored.metadata
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
        with self._lock:
            current = self.objects.get((bucket, name))
            if current is None:
                raise BlobNotFoundError(bucket, name)
            if current.generation != if_generation_match:
                raise PreconditionFailedError(bucket, name)
            del self.objects[(bucket, name)]

    def _write(
        self,
        bucket: str,
        name: str,
        data: bytes,
        content_type: str,
        match: int,
        metadata: dict[str, str] | None,
    ) -> int:
        with self._lock:
            current = self.objects.get((bucket, name))
            if (current.generation if current else 0) != match:
                raise PreconditionFailedError(bucket, name)
            gen = next(self._generations)
            self.objects[(bucket, name)] = _Stored(data, gen, content_type, dict(metadata or {}))
            self.writes.append((bucket, name))
            return gen

    def list(self, bucket: str, prefix: str) -> list[str]:
        return sorted(n for (b, n) in self.objects if b == bucket and n.startswith(prefix))


@dataclass
class PublishedMessage:
    """One message a RecordingPublisher received."""

    topic: str
    data: bytes
    attributes: dict[str, str]


class RecordingPublisher:
    """A Publisher that keeps what it is given."""

    def __init__(self) -> None:
        self.messages: list[PublishedMessage] = []
        self._ids = itertools.count(1)

    def publish(self, topic: str, data: bytes, attributes: dict[str, str] | None = None) -> str:
        self.messages.append(PublishedMessage(topic, data, dict(attributes or {})))
        return str(next(self._ids))

    def on(self, topic: str) -> list[PublishedMessage]:
        """Messages published to one topic."""
        return [m for m in self.messages if m.topic == topic]


def push_body(data: bytes, attributes: dict[str, str] | None = None, message_id: str = "1") -> dict:  # type: ignore[type-arg]
    """A Pub/Sub push envelope as the push endpoint receives it (JSON-ready dict)."""
    import base64

    return {
        "message": {
            "data": base64.b64encode(data).decode(),
            "attributes": attributes or {},
            "messageId": message_id,
            "publishTime": "2026-01-01T00:00:00Z",
        },
        "subscription": "projects/test/subscriptions/test-push",
    }


def storage_push_body(
    bucket: str,
    name: str,
    generation: int,
    event: str = "OBJECT_FINALIZE",
    metadata: dict[str, str] | None = None,
) -> dict:  # type: ignore[type-arg]
    """A push envelope carrying a JSON_API_V1 storage notification."""
    import json

    resource = {
        "bucket": bucket,
        "name": name,
        "generation": str(generation),
        "metadata": metadata or {},
    }
    attributes = {
        "eventType": event,
        "payloadFormat": "JSON_API_V1",
        "bucketId": bucket,
        "objectId": name,
        "objectGeneration": str(generation),
    }
    return push_body(json.dumps(resource).encode(), attributes)
