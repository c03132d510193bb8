"""PubSubPublisher against the Pub/Sub emulator, delivered by a real push subscription."""

from __future__ import annotations

import base64
import json
import queue
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from dropcast_cli.stack import StackInfo
from dropcast_common.errors import TransientError
from dropcast_common.pubsub import PubSubPublisher

pytestmark = pytest.mark.integration


@pytest.fixture
def push_server() -> Iterator[tuple[str, queue.Queue[dict[str, Any]]]]:
    """A push endpoint on loopback that records what Pub/Sub delivers."""
    received: queue.Queue[dict[str, Any]] = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.put(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/push", received
    finally:
        server.shutdown()
        server.server_close()


def test_published_message_is_pushed_to_the_subscriber(
    stack: StackInfo, push_server: tuple[str, queue.Queue[dict[str, Any]]]
) -> None:
    from google.cloud import pubsub_v1

    endpoint, received = push_server
    topic = f"it-{uuid.uuid4().hex[:8]}"
    pubsub_v1.PublisherClient().create_topic(name=f"projects/{stack.project}/topics/{topic}")
    pubsub_v1.SubscriberClient().create_subscription(
        request={
            "name": f"projects/{stack.project}/subscriptions/{topic}-push",
            "topic": f"projects/{stack.project}/topics/{topic}",
            "push_config": {"push_endpoint": endpoint},
        }
    )
    message_id = PubSubPublisher(stack.project).publish(topic, b'{"x": 1}', {"kind": "test"})

    envelope = received.get(timeout=120)
    assert envelope["message"]["messageId"] == message_id
    assert base64.b64decode(envelope["message"]["data"]) == b'{"x": 1}'
    assert envelope["message"]["attributes"] == {"kind": "test"}


def test_publishing_to_a_missing_topic_is_transient(stack: StackInfo) -> None:
    with pytest.raises(TransientError):
        PubSubPublisher(stack.project).publish("no-such-topic", b"x")
