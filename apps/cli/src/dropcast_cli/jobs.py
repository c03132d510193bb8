"""Find a job and its status from what a user knows: a job id, or the uploaded file's name.

Every job command (``status``, ``logs``, ``fetch``, ``retry``) takes the same
reference, resolved here: a 24-hex job id, ``gs://bucket/name``, or an
object name in the input bucket (its current generation's job).
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from dropcast_common import naming
from dropcast_common.errors import BlobNotFoundError
from dropcast_common.status import JobStatus, StatusStore
from dropcast_common.storage import BlobStore

JOB_ID = re.compile(r"^[0-9a-f]{24}$")
# Where status objects live, from naming's one rule: <prefix><job id><suffix>.
_PLACE = "{job}"
STATUS_PREFIX, _, STATUS_SUFFIX = naming.status_object(_PLACE).partition(_PLACE)


class JobNotFoundError(LookupError):
    """The reference names no job and no uploaded object; the message says what to give."""


def resolve_job(store: BlobStore, input_bucket: str, ref: str) -> str:
    """A job id from a job id, ``gs://bucket/name`` or an object name in the input bucket."""
    if JOB_ID.match(ref):
        return ref
    bucket, name = split_ref(input_bucket, ref)
    info = store.stat(bucket, name)
    if info is None:
        raise JobNotFoundError(
            f"gs://{bucket}/{name} not found: give a job id (`dropcast jobs` lists them) "
            "or the name of an uploaded file"
        )
    return naming.job_id(bucket, name, info.generation)


def split_ref(input_bucket: str, ref: str) -> tuple[str, str]:
    """(bucket, object name) of a ``gs://`` URI or of a name in the input bucket."""
    if ref.startswith("gs://"):
        bucket, _, name = ref.removeprefix("gs://").partition("/")
        return bucket, name
    return input_bucket, ref


def job_status(store: BlobStore, staging_bucket: str, job: str) -> JobStatus | None:
    """The job's status object, or None when the job is unknown (not accepted yet)."""
    return StatusStore(store, staging_bucket).get(job)


def recent(store: BlobStore, staging_bucket: str, limit: int = 20) -> list[JobStatus]:
    """The ``limit`` most recently created jobs, newest first."""
    jobs = [
        job
        for name in store.list(staging_bucket, STATUS_PREFIX)
        if name.endswith(STATUS_SUFFIX)
        and JOB_ID.match(job := name.removeprefix(STATUS_PREFIX).removesuffix(STATUS_SUFFIX))
    ]
    statuses = StatusStore(store, staging_bucket)

    def read(job: str) -> JobStatus | None:
        try:
            return statuses.get(job)
        except (BlobNotFoundError, ValueError):
            return None  # removed meanwhile, or not a status we can read: not a job to list

    # One request per job: a few threads make a listing of hundreds quick.
    with ThreadPoolExecutor(max_workers=8) as pool:
        found = [status for status in pool.map(read, jobs) if status is not None]
    found.sort(key=lambda status: (status.created, status.job_id), reverse=True)
    return found[:limit]


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


def one_line(status: JobStatus) -> str:
    """A row of ``dropcast jobs``: created, job id, state, progress, source."""
    created = status.created.replace("T", " ")[:19]
    progress = f"{status.progress:>7}" if status.shards_total else " " * 7
    return f"{created}  {status.job_id}  {status.state:<8}  {progress}  {status.source}"
