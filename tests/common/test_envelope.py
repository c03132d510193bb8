"""Push envelopes and storage notifications: what parses, what is malformed."""

from __future__ import annotations

import base64
import json

import pytest

from dropcast_common.envelope import PushEnvelope, StorageNotification
from dropcast_common.errors import MalformedEnvelopeError
from dropcast_common.testing import push_body, storage_push_body


def test_storage_notification_parses_attributes_and_resource() -> None:
    body = storage_push_body("in", "a/b.csv", 123, metadata={"dropcast-horizon": "7"})
    envelope = PushEnvelope.parse(json.dumps(body).encode())
    note = StorageNotification.from_message(envelope.message)
    assert note.event_type == "OBJECT_FINALIZE"
    assert (note.object.bucket, note.object.name, note.object.generation) == ("in", "a/b.csv", 123)
    assert note.object.metadata == {"dropcast-horizon": "7"}
    assert note.object.uri == "gs://in/a/b.csv"


def test_the_emulators_real_notification_parses() -> None:
    # Captured from fake-gcs-server publishing to the Pub/Sub emulator.
    resource = (
        b'{"kind":"storage#object","id":"in-b/a/x.csv#1795556589605219","name":"a/x.csv",'
        b'"bucket":"in-b","generation":"1795556589605219","contentType":"text/csv",'
        b'"size":"5742","metadata":{"dropcast-horizon":"10"}}'
    )
    body = {
        "message": {
            "data": base64.b64encode(resource).decode(),
            "attributes": {
                "eventType": "OBJECT_FINALIZE",
                "objectId": "a/x.csv",
                "payloadFormat": "JSON_API_V1",
                "bucketId": "in-b",
                "eventTime": "2026-11-24T21:43:09Z",
                "objectGeneration": "1795556589605219",
            },
            "messageId": "7",
        },
        "subscription": "projects/p/subscriptions/uploads-push",
    }
    note = StorageNotification.from_message(PushEnvelope.parse(json.dumps(body).encode()).message)
    assert note.object.generation == 1795556589605219
    assert note.object.size == 5742
    assert note.object.metadata == {"dropcast-horizon": "10"}


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"[]",
        b"{}",
        b'{"message": "text"}',
        b'{"message": {"data": 5}}',
    ],
    ids=["empty", "not-json", "array", "no-message", "message-not-object", "data-not-string"],
)
def test_malformed_envelopes_are_refused(raw: bytes) -> None:
    with pytest.raises(MalformedEnvelopeError):
        PushEnvelope.parse(raw)


JSON_API = {"payloadFormat": "JSON_API_V1"}


@pytest.mark.parametrize(
    ("data", "attributes"),
    [
        (b"not json", {"eventType": "OBJECT_FINALIZE", "payloadFormat": "JSON_API_V1"}),
        (b'{"bucket": "b", "name": "n", "generation": "1"}', {}),  # no eventType
        (b'{"name": "n", "generation": "1"}', {**JSON_API, "eventType": "OBJECT_FINALIZE"}),
        (b'{"bucket": "b", "name": "n", "generation": "x"}', {**JSON_API, "eventType": "x"}),
        (b"{}", {"eventType": "OBJECT_FINALIZE", "payloadFormat": "NONE"}),
        (b'{"bucket": "b", "name": "n.csv", "generation": "1"}', {"eventType": "OBJECT_FINALIZE"}),
        (
            b'{"bucket": "b", "name": "n.csv", "generation": "1"}',
            {**JSON_API, "eventType": "OBJECT_FINALIZE", "kind": "dropcast.work"},
        ),
    ],
    ids=[
        "data-not-json",
        "no-event-type",
        "no-bucket",
        "bad-generation",
        "payload-format-none",
        "no-payload-format",
        "a-work-message",
    ],
)
def test_malformed_notifications_are_refused(data: bytes, attributes: dict[str, str]) -> None:
    envelope = PushEnvelope.parse(json.dumps(push_body(data, attributes)).encode())
    with pytest.raises(MalformedEnvelopeError):
        StorageNotification.from_message(envelope.message)


def test_bad_base64_is_malformed() -> None:
    envelope = PushEnvelope.parse(b'{"message": {"data": "@@@not-base64@@@"}}')
    with pytest.raises(MalformedEnvelopeError):
        envelope.message.decoded()
