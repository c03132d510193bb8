"""Pub/Sub push envelopes and the Cloud Storage notifications they carry.

Push delivery wraps each message as ``{"message": {...}, "subscription": ...}``
with the payload base64-encoded in ``message.data``. Cloud Storage
notifications (payload format JSON_API_V1) put the event in the attributes
and the object resource, as JSON, in the data.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dropcast_common.errors import MalformedEnvelopeError


class PushMessage(BaseModel):
    """The ``message`` member of a push envelope."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    data: str = ""
    attributes: dict[str, str] = Field(default_factory=dict)
    message_id: str = Field(default="", alias="messageId")
    publish_time: datetime | None = Field(default=None, alias="publishTime")
    delivery_attempt: int | None = Field(default=None, alias="deliveryAttempt")

    def decoded(self) -> bytes:
        """The payload bytes; a body that is not base64 is a malformed envelope."""
        try:
            return base64.b64decode(self.data, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MalformedEnvelopeError("message.data is not valid base64") from exc

    def json(self) -> Any:  # type: ignore[override]
        """The payload parsed as JSON."""
        try:
            return json.loads(self.decoded())
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise MalformedEnvelopeError("message.data is not JSON") from exc


class PushEnvelope(BaseModel):
    """What Pub/Sub POSTs to a push endpoint."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    message: PushMessage
    subscription: str = ""
    delivery_attempt: int | None = Field(default=None, alias="deliveryAttempt")

    @classmethod
    def parse(cls, body: bytes) -> PushEnvelope:
        """Parse a request body; anything that isn't an envelope raises MalformedEnvelopeError."""
        try:
            return cls.model_validate_json(body)
        except ValidationError as exc:
            raise MalformedEnvelopeError(
                f"not a Pub/Sub push envelope: {_first_error(exc)}"
            ) from exc

    @property
    def attempt(self) -> int:
        """1-based delivery attempt (only set when a dead-letter policy is configured)."""
        return self.delivery_attempt or self.message.delivery_attempt or 1


class StorageObject(BaseModel):
    """The object a storage notification is about."""

    model_config = ConfigDict(frozen=True)

    bucket: str = Field(min_length=1)
    name: str = Field(min_length=1)
    generation: int = Field(ge=0)
    size: int = 0
    content_type: str = ""
    metadata: dict[str, str] = Field(default_factory=dict)

    @property
    def uri(self) -> str:
        """``gs://bucket/name`` (without generation)."""
        return f"gs://{self.bucket}/{self.name}"


class StorageNotification(BaseModel):
    """A Cloud Storage Pub/Sub notification (payload format JSON_API_V1)."""

    model_config = ConfigDict(frozen=True)

    event_type: str
    object: StorageObject

    @classmethod
    def from_message(cls, message: PushMessage) -> StorageNotification:
        """Build from a push message; attributes win, the JSON resource fills the rest."""
        attrs = message.attributes
        # Checked like /push/work checks its message's kind: Cloud Storage always
        # names its payload format, so a message without one is not a notification.
        if attrs.get("kind", "").startswith("dropcast."):
            raise MalformedEnvelopeError(
                f"a {attrs['kind']} message is not a storage notification; it was published "
                "to the uploads topic by mistake (or forged)"
            )
        if attrs.get("payloadFormat") != "JSON_API_V1":
            raise MalformedEnvelopeError(
                f"unsupported notification payload format {attrs.get('payloadFormat')!r}; "
                "configure the notification with JSON_API_V1"
            )
        resource = message.json() if message.data else {}
        if not isinstance(resource, dict):
            raise MalformedEnvelopeError("notification payload is not a JSON object")
        try:
            obj = StorageObject(
                bucket=attrs.get("bucketId") or resource.get("bucket", ""),
                name=attrs.get("objectId") or resource.get("name", ""),
                generation=int(attrs.get("objectGeneration") or resource.get("generation") or 0),
                size=int(resource.get("size") or 0),
                content_type=str(resource.get("contentType") or ""),
                metadata={str(k): str(v) for k, v in (resource.get("metadata") or {}).items()},
            )
        except (ValidationError, ValueError, TypeError, AttributeError) as exc:
            raise MalformedEnvelopeError(f"not a storage notification: {exc}") from exc
        event_type = attrs.get("eventType")
        if not event_type:
            raise MalformedEnvelopeError("storage notification without an eventType attribute")
        return cls(event_type=event_type, object=obj)


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err.get("loc", ())) or "body"
    return f"{where}: {err.get('msg', 'invalid')}"
