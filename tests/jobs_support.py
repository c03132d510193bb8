"""Test helper: record a job as ingest accepts it, so forecast takes its work messages.

Forecast refuses a work message for a job ingest never accepted (a forged
one); tests that hand-build work messages record the acceptance first.
"""

from __future__ import annotations

from dropcast_common.messages import WorkMessage
from dropcast_common.status import JobStatus, StatusStore
from dropcast_common.storage import BlobStore


def accept(store: BlobStore, message: WorkMessage) -> WorkMessage:
    """Write the ``accepted`` status ingest writes before publishing ``message``'s job."""
    source = message.source
    StatusStore(store, message.staging_bucket).update(
        message.job_id,
        lambda status: status,
        initial=JobStatus(
            job_id=message.job_id,
            state="accepted",
            source=f"gs://{source.bucket}/{source.name}",
            source_generation=source.generation,
            shards_total=message.shard.count,
            output_bucket=message.output.bucket,
            output_stem=message.output.stem,
        ),
    )
    return message
