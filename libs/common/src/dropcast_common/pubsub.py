"""The publisher port and its Pub/Sub adapter (honours ``PUBSUB_EMULATOR_HOST``)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Protocol

from dropcast_common.errors import TransientError

if TYPE_CHECKING:
    from google.cloud import pubsub_v1

PUBLISH_TIMEOUT_SECONDS = 30.0


class Publisher(Protocol):
    """Publishes one message and waits until Pub/Sub has it."""

    def publish(self, topic: str, data: bytes, attributes: dict[str, str] | None = None) -> str:
        """Publish to a topic (short name); returns the message id."""
        ...


class PubSubPublisher:
    """Publisher on Google Cloud Pub/Sub."""

    def __init__(self, project: str, client: pubsub_v1.PublisherClient | None = None) -> None:
        self._project = project
        self._client = client
        self._lock = threading.Lock()

    @property
    def client(self) -> pubsub_v1.PublisherClient:
        """The publisher client, created on first use."""
        with self._lock:
            if self._client is None:
                from google.cloud import pubsub_v1

                self._client = pubsub_v1.PublisherClient()
            return self._client

    def publish(self, topic: str, data: bytes, attributes: dict[str, str] | None = None) -> str:
        from google.api_core import exceptions as gexc

        path = f"projects/{self._project}/topics/{topic}"
        try:
            future = self.client.publish(path, data, **(attributes or {}))
            message_id: str = future.result(timeout=PUBLISH_TIMEOUT_SECONDS)
            return message_id
        except (gexc.GoogleAPICallError, gexc.RetryError, TimeoutError) as exc:
            raise TransientError(f"could not publish to {path}: {exc}") from exc
