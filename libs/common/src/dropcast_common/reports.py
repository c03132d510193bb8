"""Reports users read: the error report for a rejected file."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from dropcast_common.errors import InputError


class ErrorReport(BaseModel):
    """``<name>.error.json``: why a file was rejected and how to fix it."""

    kind: str = "dropcast.error"
    code: str
    message: str
    hint: str
    details: dict[str, Any] = Field(default_factory=dict)
    source: str = ""
    job_id: str = ""
    created: str = Field(default_factory=lambda: datetime.now(UTC).isoformat())

    @classmethod
    def from_error(cls, error: InputError, source: str = "", job_id: str = "") -> ErrorReport:
        """Build from the InputError that rejected the file."""
        return cls(
            code=error.code,
            message=error.message,
            hint=error.hint,
            details=error.details,
            source=source,
            job_id=job_id,
        )

    def to_bytes(self) -> bytes:
        """Pretty JSON, as users open it in a browser or editor."""
        return self.model_dump_json(indent=2).encode()
