"""Job status: one small JSON object per job, updated by compare-and-swap.

``gs://STAGING/jobs/<job>/status.json`` says where a job is: accepted,
running (shards done / total), done (with its outputs), failed (with the
reason) or superseded (a newer upload of the same object replaced it, and
which generation). Every update reads the object, changes it and writes it back with
a generation precondition, retrying on a lost race, so concurrent shards
never lose each other's progress.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from dropcast_common import naming
from dropcast_common.errors import BlobNotFoundError, PreconditionFailedError, TransientError
from dropcast_common.storage import BlobStore

log = logging.getLogger("dropcast.status")

State = Literal["accepted", "running", "done", "failed", "superseded"]
FINAL_STATES: frozenset[str] = frozenset({"done", "failed", "superseded"})
# A job never moves back: final states stay final (a late duplicate can't reopen it).
_RANK = {"accepted": 0, "running": 1, "done": 2, "failed": 2, "superseded": 2}
CAS_ATTEMPTS = 20


class JobError(BaseModel):
    """Why a job failed."""

    code: str
    message: str
    hint: str = ""


class JobStatus(BaseModel):
    """What ``dropcast status`` shows."""

    kind: str = "dropcast.status"
    job_id: str
    state: State
    source: str = ""
    source_generation: int = 0
    shards_total: int = 0
    shards_done: list[int] = Field(default_factory=list)
    series: int = 0
    outputs: dict[str, str] = Field(default_factory=dict)
    error: JobError | None = None
    # Where the job's outputs go (gs://output_bucket/output_stem.*).
    output_bucket: str = ""
    output_stem: str = ""
    # The watchdog's budget: by ``deadline`` the job is final, re-driven once
    # at ``redrive_at`` if shards are missing, failed (job_timed_out) if still so.
    deadline: str = ""
    redriven: list[int] = Field(default_factory=list)
    # Set with state superseded: the generation of the upload that replaced this one.
    superseded_by: int = 0
    created: str = Field(default_factory=lambda: _now())
    updated: str = Field(default_factory=lambda: _now())

    @property
    def progress(self) -> str:
        """``done/total`` shards."""
        return f"{len(self.shards_done)}/{self.shards_total}"

    @property
    def final(self) -> bool:
        """Whether the job has ended (done, failed or superseded); it never changes again."""
        return self.state in FINAL_STATES


class StatusStore:
    """Reads and updates job status objects in the staging bucket."""

    def __init__(self, store: BlobStore, bucket: str) -> None:
        self._store = store
        self._bucket = bucket

    def get(self, job_id: str) -> JobStatus | None:
        """The job's status, or None if the job is unknown."""
        try:
            return JobStatus.model_validate_json(
                self._store.read(self._bucket, naming.status_object(job_id))
            )
        except BlobNotFoundError:
            return None

    def update(
        self,
        job_id: str,
        change: Callable[[JobStatus], JobStatus],
        initial: JobStatus | None = None,
    ) -> JobStatus:
        """Apply ``change`` atomically (compare-and-swap on the object's generation)."""
        name = naming.status_object(job_id)
        for _ in range(CAS_ATTEMPTS):
            info = self._store.stat(self._bucket, name)
            if info is None:
                current = initial or JobStatus(job_id=job_id, state="accepted")
                generation = 0
            else:
                try:
                    raw = self._store.read(self._bucket, name, generation=info.generation)
                except BlobNotFoundError:
                    continue  # replaced between stat and read
                current = JobStatus.model_validate_json(raw)
                generation = info.generation
            updated = change(current.model_copy(deep=True))
            stored = generation != 0
            if stored and (_RANK[updated.state] < _RANK[current.state] or current.final):
                # Final states stay final; progress never goes backwards.
                if current.final:
                    return current
                updated.state = current.state
            updated.updated = _now()
            try:
                self._store.replace(
                    self._bucket,
                    name,
                    updated.model_dump_json(indent=2).encode(),
                    "application/json",
                    if_generation_match=generation,
                )
                return updated
            except PreconditionFailedError:
                continue  # someone else updated it first: re-read and re-apply
        raise TransientError(f"status of job {job_id} kept changing under us; retry")


def mark(state: State, **fields: Any) -> Callable[[JobStatus], JobStatus]:
    """A status change that sets the state and some fields."""

    def change(status: JobStatus) -> JobStatus:
        return status.model_copy(update={"state": state, **fields})

    return change


def shard_done(index: int) -> Callable[[JobStatus], JobStatus]:
    """Record one finished shard (idempotent)."""

    def change(status: JobStatus) -> JobStatus:
        done = sorted(set(status.shards_done) | {index})
        return status.model_copy(update={"state": "running", "shards_done": done})

    return change


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def parse_time(value: str) -> datetime:
    """A status timestamp (ISO 8601, UTC) as a datetime."""
    return datetime.fromisoformat(value)
