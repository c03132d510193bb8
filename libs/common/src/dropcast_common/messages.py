"""The work message: what ingest tells forecast to do, one per shard.

Versioned: a consumer refuses a major version it does not know, so an old
forecast revision never misreads a newer ingest's message.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dropcast_common.params import Params


class SourceObject(BaseModel):
    """The uploaded object a job comes from."""

    model_config = ConfigDict(frozen=True)

    bucket: str
    name: str
    # GCS generations are int64; a forged 1e17 is caught against the job's status.
    generation: int = Field(ge=1, le=2**63 - 1)


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


class StagedQuality(BaseModel):
    """``jobs/<job>/quality.json``: what ingest hands forecast besides the shards.

    ``frequencies`` (series id → pandas alias, None where unknown) is the part
    forecast computes with; every other field is ingest's quality report,
    shown as it is in the job's report.
    """

    model_config = ConfigDict(extra="allow")

    frequencies: dict[str, str | None] = Field(default_factory=dict)

    def report(self) -> dict[str, Any]:
        """The quality report for users (everything but the frequencies)."""
        return dict(self.model_extra or {})

    def to_bytes(self) -> bytes:
        """The staged object's bytes."""
        return json.dumps({**self.report(), "frequencies": self.frequencies}, default=str).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> StagedQuality:
        """Parse the staged object (raises pydantic's ValidationError or ValueError)."""
        return cls.model_validate(json.loads(data))
