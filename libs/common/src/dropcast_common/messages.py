"""The work message: what ingest tells forecast to do, one per shard.

Versioned: a consumer refuses a major version it does not know, so an old
forecast revision never misreads a newer ingest's message.
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from dropcast_common.params import Params


class SourceObject(BaseModel):
    """The uploaded object a job comes from."""

    model_config = ConfigDict(frozen=True)

    bucket: str
    name: str
    generation: int


class Shard(BaseModel):
    """One slice of a job: whole series only."""

    model_config = ConfigDict(frozen=True)

    index: int = Field(ge=0)
    count: int = Field(ge=1)
    uri: str
    series: int = Field(0, ge=0, description="How many series the shard holds.")


class OutputLocation(BaseModel):
    """Where the final outputs go: ``gs://bucket/stem.csv`` and siblings."""

    model_config = ConfigDict(frozen=True)

    bucket: str
    stem: str


class WorkMessage(BaseModel):
    """Forecast one shard of a job."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["dropcast.work"] = "dropcast.work"
    version: Literal[1] = 1
    job_id: str
    source: SourceObject
    shard: Shard
    params: Params
    output: OutputLocation
    staging_bucket: str
    trace_id: str = ""

    def to_bytes(self) -> bytes:
        """The Pub/Sub payload."""
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> WorkMessage:
        """Parse a payload (raises pydantic's ValidationError or ValueError)."""
        return cls.model_validate(json.loads(data))

    def attributes(self) -> dict[str, str]:
        """Pub/Sub attributes, so subscribers can filter without decoding."""
        return {"kind": self.kind, "version": str(self.version), "job_id": self.job_id}
