"""``dropcast retry``: process an upload again without uploading it again.

A job is one generation of an object, and a redelivered notification of
the same generation is a duplicate by design (the job id is the same, so
every step is a no-op). A new job therefore needs a new generation: the
object is rewritten onto itself inside the bucket (no bytes leave Cloud
Storage), which keeps its content and its ``dropcast-*`` metadata, and the
storage notification starts the pipeline as for any upload.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dropcast_cli import exits
from dropcast_cli.jobs import JOB_ID, job_status, split_ref
from dropcast_common import naming
from dropcast_common.storage import BlobStore

Rewriter = Callable[[str, str], int]
"""(bucket, object name) → the generation of the object rewritten onto itself."""


class RetryError(RuntimeError):
    """The job can't be retried; the message says why and what to do instead."""

    def __init__(self, message: str, exit_code: int = exits.NOT_FOUND) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class Retried:
    """The new job started for the same upload."""

    uri: str
    job_id: str
    generation: int


def retry(
    store: BlobStore, rewrite: Rewriter, buckets: dict[str, str], ref: str, job: str
) -> Retried:
    """Rewrite the upload of ``job`` onto itself; the notification starts a new job."""
    status = job_status(store, buckets["staging"], job)
    if status is not None and status.source:
        bucket, name = split_ref(buckets["input"], status.source)
        generation = status.source_generation
    elif JOB_ID.match(ref):
        raise RetryError(
            f"job {job} has no status, so which upload it was is unknown: retry it by the "
            "uploaded file's name (dropcast retry NAME)"
        )
    else:
        bucket, name = split_ref(buckets["input"], ref)
        generation = 0
    uri = f"gs://{bucket}/{name}"
    current = store.stat(bucket, name)
    if current is None:
        raise RetryError(f"{uri} is gone (deleted): upload it again with dropcast submit")
    if generation and current.generation != generation:
        # Retrying an older job must not reprocess newer content under its name.
        raise RetryError(
            f"{uri} was uploaded again since job {job} (generation {generation}, now "
            f"{current.generation}): retry the current upload with dropcast retry {uri}",
            exits.REJECTED,
        )
    new = rewrite(bucket, name)
    return Retried(uri=uri, job_id=naming.job_id(bucket, name, new), generation=new)


def gcs_rewriter(client: Any) -> Rewriter:
    """A Rewriter on a ``google.cloud.storage.Client`` (``gcloud storage cp gs://x gs://x``)."""

    def rewrite(bucket: str, name: str) -> int:
        source = client.bucket(bucket)
        copied = source.copy_blob(source.blob(name), source, name)
        return int(copied.generation)

    return rewrite
