"""Dead letters are not silent: a message Pub/Sub gave up on fails its job, visibly.

Both dead-letter topics push here. The dead-lettered message is the
original (a storage notification or a work message) plus Pub/Sub's
``CloudPubSubDeadLetterSource*`` attributes; we find its job, mark the job
failed with the reason and leave an error report where the user looks for
the output.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pydantic import ValidationError

from dropcast_common import naming
from dropcast_common.envelope import PushMessage, StorageNotification
from dropcast_common.errors import PROCESSING_FAILED, InputError, MalformedEnvelopeError
from dropcast_common.messages import WorkMessage
from dropcast_common.reports import ErrorReport
from dropcast_common.status import JobError, JobStatus, StatusStore, mark
from dropcast_common.storage import publish_output
from dropcast_ingest.bootstrap import IngestDeps

log = logging.getLogger("dropcast.deadletters")

CODE = PROCESSING_FAILED
HINT = (
    "This is a platform fault or a bug, not a problem with your file. Look the job id up in "
    "the logs (`dropcast logs`), then upload the file again to retry."
)


@dataclass(frozen=True)
class DeadJob:
    """The job a dead letter belongs to and where its output would have gone."""

    job_id: str
    source: str
    generation: int
    output_stem: str
    stage: str


def identify(message: PushMessage) -> DeadJob | None:
    """The job of a dead-lettered message, or None if it isn't one of ours."""
    attrs = message.attributes
    if attrs.get("kind") == "dropcast.work":
        try:
            work = WorkMessage.from_bytes(message.decoded())
        except (ValidationError, ValueError, MalformedEnvelopeError):
            return None
        src = work.source
        return DeadJob(
            work.job_id,
            f"gs://{src.bucket}/{src.name}",
            src.generation,
            work.output.stem,
            f"forecast of shard {work.shard.index}",
        )
    if "eventType" in attrs:
        try:
            note = StorageNotification.from_message(message)
        except MalformedEnvelopeError:
            return None
        obj = note.object
        job = naming.job_id(obj.bucket, obj.name, obj.generation)
        return DeadJob(job, obj.uri, obj.generation, naming.output_stem(obj.name), "ingest")
    return None


def handle_dead_letter(message: PushMessage, deps: IngestDeps) -> bool:
    """Fail the dead letter's job; returns whether it belonged to a job."""
    settings = deps.settings
    dead = identify(message)
    if dead is None:
        log.warning("dead letter %s is not a dropcast message; dropped", message.message_id)
        return False
    attempts = message.attributes.get("CloudPubSubDeadLetterSourceDeliveryCount", "?")
    reason = (
        f"{dead.stage} failed on every one of {attempts} delivery attempts "
        f"(job {dead.job_id}) and was moved to the dead-letter topic"
    )
    statuses = StatusStore(deps.store, settings.staging_bucket)
    current = statuses.get(dead.job_id)
    if current is not None and current.state == "done":
        log.info("dead letter for job %s ignored: the job is done", dead.job_id)
        return True
    report = ErrorReport.from_error(
        InputError(CODE, reason, HINT, {"attempts": attempts}),
        source=dead.source,
        job_id=dead.job_id,
    )
    error_name = f"{dead.output_stem}.error.json"
    publish_output(
        deps.store,
        settings.output_bucket,
        error_name,
        report.to_bytes(),
        "application/json",
        dead.job_id,
        dead.generation,
    )
    statuses.update(
        dead.job_id,
        mark(
            "failed",
            error=JobError(code=CODE, message=reason, hint=HINT),
            outputs={"error": f"gs://{settings.output_bucket}/{error_name}"},
        ),
        initial=JobStatus(
            job_id=dead.job_id,
            state="failed",
            source=dead.source,
            source_generation=dead.generation,
        ),
    )
    log.error("job %s failed: %s", dead.job_id, reason, extra={"job_id": dead.job_id})
    return True
