"""Find a job and its status from what a user knows: a job id, or the uploaded file's name."""

from __future__ import annotations

import re

from dropcast_common import naming
from dropcast_common.status import JobStatus, StatusStore
from dropcast_common.storage import BlobStore

JOB_ID = re.compile(r"^[0-9a-f]{24}$")


def resolve_job(store: BlobStore, input_bucket: str, ref: str) -> str:
    """A job id from a job id, ``gs://bucket/name`` or an object name in the input bucket."""
    if JOB_ID.match(ref):
        return ref
    bucket, name = input_bucket, ref
    if ref.startswith("gs://"):
        bucket, _, name = ref.removeprefix("gs://").partition("/")
    info = store.stat(bucket, name)
    if info is None:
        raise LookupError(f"gs://{bucket}/{name} not found: give a job id or an uploaded name")
    return naming.job_id(bucket, name, info.generation)


def job_status(store: BlobStore, staging_bucket: str, job: str) -> JobStatus | None:
    """The job's status object, or None when the job is unknown (not accepted yet)."""
    return StatusStore(store, staging_bucket).get(job)


def describe(status: JobStatus) -> str:
    """One or two lines a person reads."""
    line = f"{status.job_id}  {status.state:<8}  {status.source}"
    if status.shards_total:
        line += f"  shards {status.progress}"
    if status.series:
        line += f"  series {status.series}"
    for kind, uri in status.outputs.items():
        line += f"\n  {kind}: {uri}"
    if status.error is not None:
        line += f"\n  error [{status.error.code}]: {status.error.message}"
        if status.error.hint:
            line += f"\n  hint: {status.error.hint}"
    return line
