"""Error types shared by every dropcast package.

Two families matter for delivery: an :class:`InputError` is the file's fault
(permanent: report it and acknowledge the message), a :class:`TransientError`
is the platform's (return non-2xx so Pub/Sub retries with backoff).
"""

from __future__ import annotations

from typing import Any


class DropcastError(Exception):
    """Base class of every error raised on purpose by dropcast."""


class InputError(DropcastError):
    """The input file (or its parameters) cannot be processed as it is.

    ``code`` is stable and machine-readable (listed in docs/errors.md),
    ``hint`` tells a person how to fix the file, ``details`` carries the
    line, column or value where that applies.
    """

    def __init__(
        self, code: str, message: str, hint: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint
        self.details: dict[str, Any] = details or {}


class TransientError(DropcastError):
    """A dependency (storage, Pub/Sub) failed in a way a retry can fix."""


class MalformedEnvelopeError(DropcastError):
    """A push request whose body is not a Pub/Sub push envelope we understand."""


class PreconditionFailedError(DropcastError):
    """A create-only write found the object already there (HTTP 412)."""

    def __init__(self, bucket: str, name: str) -> None:
        super().__init__(f"gs://{bucket}/{name} already exists")
        self.bucket = bucket
        self.name = name


class BlobNotFoundError(DropcastError):
    """The object asked for does not exist (or not at that generation)."""

    def __init__(self, bucket: str, name: str) -> None:
        super().__init__(f"gs://{bucket}/{name} not found")
        self.bucket = bucket
        self.name = name


#: The code of a job whose message failed on every delivery attempt (dead-lettered).
PROCESSING_FAILED = "processing_failed"
