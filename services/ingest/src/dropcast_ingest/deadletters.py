"""Dead letters are not silent: a message Pub/Sub gave up on fails its job, visibly.

Every dead-letter topic pushes here. The dead-lettered message is the
original (a storage notification, a work message or a watchdog check) plus
Pub/Sub's ``CloudPubSubDeadLetterSource*`` attributes; we find its job, fail
it with the reason (through dropcast_common.jobs: error report where the
outputs would have gone, status, results message). A work message whose
shard is staged or still held by a live worker fails nothing (the watchdog
watches that job), and a check that ran out of deliveries is published again.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass

from pydantic import ValidationError

from dropcast_common import naming
from dropcast_common.envelope import PushMessage, StorageNotification, StorageObject
from dropcast_common.errors import (
    PROCESSING_FAILED,
    BlobNotFoundError,
    InputError,
    MalformedEnvelopeError,
)
from dropcast_common.jobs import JobRef, Jobs
from dropcast_common.messages import OutputLocation, SourceObject, WorkMessage
from dropcast_common.params import from_metadata
from dropcast_common.status import JobStatus
from dropcast_ingest import watchdog
from dropcast_ingest.bootstrap import IngestDeps
from dropcast_ingest.ownership import claim_stem

log = logging.getLogger("dropcast.deadletters")

CODE = PROCESSING_FAILED
HINT = (
    "This is a platform fault or a bug, not a problem with your file. Look the job id up in "
    "the logs (`dropcast logs`), then upload the file again to retry."
)


@dataclass(frozen=True)
class DeadJob:
    """The job a dead letter belongs to, and what of it died."""

    job_id: str
    kind: str  # "work", "check" or "upload"
    stage: str
    shard: int | None = None
    ref: JobRef | None = None  # when the message itself says where the outputs go


def identify(message: PushMessage) -> DeadJob | None:
    """The job of a dead-lettered message, or None if it isn't one dropcast published.

    Every message dropcast publishes carries its ``kind`` and ``job_id`` as
    attributes, so even one whose payload no longer parses (a field this
    version refuses, a value that did not survive serialisation) is
    recognised and fails its job visibly.
    """
    attrs = message.attributes
    kind, job = attrs.get("kind", ""), attrs.get("job_id", "")
    if kind == "dropcast.work" and job:
        try:
            work = WorkMessage.from_bytes(message.decoded())
        except (ValidationError, ValueError, MalformedEnvelopeError):
            shard = _shard_of(message)
            return DeadJob(job, "work", f"forecast of shard {shard}", shard)
        return DeadJob(
            job,
            "work",
            f"forecast of shard {work.shard.index}",
            work.shard.index,
            JobRef.of_message(work),
        )
    if kind == watchdog.CHECK_KIND and job:
        return DeadJob(job, "check", "the job's watchdog")
    if "eventType" in attrs:
        try:
            note = StorageNotification.from_message(message)
        except MalformedEnvelopeError:
            return None
        obj = note.object
        source = SourceObject(bucket=obj.bucket, name=obj.name, generation=max(obj.generation, 1))
        job = naming.job_id(obj.bucket, obj.name, obj.generation)
        stem = naming.output_stem(obj.name, from_metadata(obj.metadata).get("output_name"))
        return DeadJob(
            job, "upload", "ingest", None, JobRef(job, source, OutputLocation(bucket="", stem=stem))
        )
    return None


def _shard_of(message: PushMessage) -> int | None:
    try:
        return int(json.loads(message.decoded())["shard"]["index"])
    except (ValueError, KeyError, TypeError, MalformedEnvelopeError):
        return None


def handle_dead_letter(message: PushMessage, deps: IngestDeps) -> bool:
    """Fail the dead letter's job; returns whether it belonged to a job."""
    settings = deps.settings
    dead = identify(message)
    if dead is None:
        log.warning("dead letter %s is not a dropcast message; dropped", message.message_id)
        return False
    jobs = Jobs(deps.store, deps.publisher, settings.staging_bucket, settings.results_topic)
    status = jobs.statuses.get(dead.job_id)
    if status is not None and status.final:
        log.info("dead letter for job %s ignored: the job is %s", dead.job_id, status.state)
        return True
    if dead.kind == "check":
        # The watchdog ran out of deliveries before the job's deadline: watch on.
        if watchdog.handle_check(dead.job_id, deps) is not watchdog.CheckOutcome.ENDED:
            watchdog.start_watching(deps, dead.job_id)
        return True
    if dead.kind == "work" and dead.shard is not None and _shard_alive(deps, dead):
        log.info(
            "dead letter for shard %d of job %s ignored: its part is staged or its worker alive",
            dead.shard,
            dead.job_id,
        )
        return True
    ref = _job_ref(deps, dead, status)
    if ref is None:
        log.error("dead letter for unknown job %s: nothing to fail", dead.job_id)
        return True
    attempts = message.attributes.get("CloudPubSubDeadLetterSourceDeliveryCount", "?")
    reason = (
        f"{dead.stage} failed on every one of {attempts} delivery attempts "
        f"(job {dead.job_id}) and was moved to the dead-letter topic"
    )
    jobs.fail(ref, InputError(CODE, reason, HINT, {"attempts": attempts}))
    log.error("job %s failed: %s", dead.job_id, reason, extra={"job_id": dead.job_id})
    return True


def _job_ref(deps: IngestDeps, dead: DeadJob, status: JobStatus | None) -> JobRef | None:
    """Where the job's error report goes: as its status recorded, else as ingest would say."""
    if status is not None:
        recorded = JobRef.of_status(status)
        if recorded is not None:
            return recorded
    if dead.ref is None:
        return None
    settings = deps.settings
    stem = dead.ref.output.stem
    if dead.kind == "upload":
        # The stem ingest would have claimed for this object (output_name included).
        obj = dead.ref.source
        stem = claim_stem(
            deps.store,
            settings.staging_bucket,
            settings.output_bucket,
            stem,
            StorageObject(bucket=obj.bucket, name=obj.name, generation=obj.generation),
            explicit=False,
        )
    return JobRef(
        dead.job_id, dead.ref.source, OutputLocation(bucket=settings.output_bucket, stem=stem)
    )


def _shard_alive(deps: IngestDeps, dead: DeadJob) -> bool:
    """Whether a dead-lettered shard's part is staged or a live worker holds its lease."""
    staging = deps.settings.staging_bucket
    assert dead.shard is not None
    if deps.store.stat(staging, naming.staging_part(dead.job_id, dead.shard, ".json")):
        return True
    try:
        lease = json.loads(deps.store.read(staging, naming.shard_lease(dead.job_id, dead.shard)))
    except (ValueError, BlobNotFoundError):
        return False
    return isinstance(lease, dict) and float(lease.get("expires", 0)) > time.time()
