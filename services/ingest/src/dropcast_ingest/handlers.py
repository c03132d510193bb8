"""Ingest use cases: one function each, adapters passed in."""

from __future__ import annotations

import json
import logging
import tempfile
import time
from enum import StrEnum
from pathlib import Path

from dropcast_common import naming, table
from dropcast_common.envelope import StorageNotification, StorageObject
from dropcast_common.errors import BlobNotFoundError, InputError
from dropcast_common.jobs import JobRef, Jobs
from dropcast_common.messages import (
    OutputLocation,
    Shard,
    SourceObject,
    StagedQuality,
    WorkMessage,
)
from dropcast_common.params import Params, from_metadata, resolve
from dropcast_common.pipeline import load as load_pipeline
from dropcast_common.status import JobStatus, mark, parse_time
from dropcast_common.storage import create_once
from dropcast_ingest import watchdog
from dropcast_ingest.bootstrap import IngestDeps
from dropcast_ingest.holiday_tables import with_holiday_rows
from dropcast_ingest.manifest_inputs import read_manifest_upload
from dropcast_ingest.ownership import claim_stem, record_generation
from dropcast_ingest.sharding import plan_shards
from dropcast_tables.manifest import is_manifest_input
from dropcast_tables.normalise import Normalised, normalise

log = logging.getLogger("dropcast.ingest")


class Outcome(StrEnum):
    """How an upload notification ended."""

    IGNORED = "ignored"
    DUPLICATE = "duplicate"
    SUPERSEDED = "superseded"
    REJECTED = "rejected"
    ACCEPTED = "accepted"


def handle_upload(note: StorageNotification, deps: IngestDeps, trace_id: str = "") -> Outcome:
    """Normalise an uploaded file, stage it in shards and publish one work message per shard.

    Safe to run any number of times for one upload: every write is
    create-only and the job's status tells a finished job from a new one.
    """
    obj = note.object
    settings = deps.settings
    if not _is_upload(note, settings.input_bucket):
        log.info("ignored %s event for %s", note.event_type, obj.uri)
        return Outcome.IGNORED

    job = naming.job_id(obj.bucket, obj.name, obj.generation)
    # The first line of every job's trail (and of each redelivery of its notification).
    log.info("notification for %s#%d", obj.uri, obj.generation, extra={"job_id": job})
    jobs = Jobs(deps.store, deps.publisher, settings.staging_bucket, settings.results_topic)
    known = jobs.statuses.get(job)
    if known is not None and known.final:
        log.info(
            "duplicate notification for %s: job already %s",
            obj.uri,
            known.state,
            extra={"job_id": job},
        )
        return Outcome.DUPLICATE

    source = SourceObject(bucket=obj.bucket, name=obj.name, generation=obj.generation)
    ref = JobRef(job, source, OutputLocation(bucket=settings.output_bucket, stem=""))
    if _superseded(deps, jobs, note, job, ref):
        return Outcome.SUPERSEDED
    stem = naming.output_stem(obj.name, from_metadata(obj.metadata).get("output_name"))
    started = time.perf_counter()
    try:
        if naming.is_manifest(obj.name):
            params, stem, result = read_manifest_upload(deps, note)
            stem = _claim(deps, obj, stem, explicit=bool(params.output_name))
            params = with_holiday_rows(deps, obj.bucket, obj.name, params)
        else:
            params = resolve(settings.default_params, from_metadata(obj.metadata))
            stem = naming.output_stem(obj.name, params.output_name)
            # Claimed before reading: even a rejection's report must not land
            # beside another input object's outputs.
            stem = _claim(deps, obj, stem, explicit=bool(params.output_name))
            params = with_holiday_rows(deps, obj.bucket, obj.name, params)
            result = _read_upload(deps, note, params)
    except BlobNotFoundError:
        # A newer generation replaced this one while we read it.
        live = deps.store.stat(obj.bucket, obj.name)
        jobs.supersede(_with_stem(ref, stem), live.generation if live else obj.generation + 1)
        return Outcome.SUPERSEDED
    except InputError as err:
        fallback = naming.output_stem(obj.name) if err.code == "output_name_taken" else stem
        reject(deps, err, note, job, _claim(deps, obj, fallback, explicit=False))
        return Outcome.REJECTED

    stage_and_publish(deps, note, job, stem, params, result, trace_id)
    elapsed = time.perf_counter() - started
    log.info(
        "accepted %s: %d series in %.3fs",
        obj.uri,
        result.series_count,
        elapsed,
        extra={"job_id": job, "series": result.series_count, "seconds": round(elapsed, 3)},
    )
    return Outcome.ACCEPTED


def _claim(deps: IngestDeps, obj: StorageObject, stem: str, explicit: bool) -> str:
    settings = deps.settings
    return claim_stem(
        deps.store, settings.staging_bucket, settings.output_bucket, stem, obj, explicit
    )


def _with_stem(ref: JobRef, stem: str) -> JobRef:
    return JobRef(ref.job_id, ref.source, OutputLocation(bucket=ref.output.bucket, stem=stem))


def _superseded(
    deps: IngestDeps, jobs: Jobs, note: StorageNotification, job: str, ref: JobRef
) -> bool:
    """Record this generation as the object's newest; end whichever job is older.

    Uploads of one name milliseconds apart: the older generation's job ends
    ``superseded`` (with the generation that replaced it) whichever
    notification comes first, so ``dropcast status`` on it never waits.
    """
    obj = note.object
    stem = naming.output_stem(obj.name, from_metadata(obj.metadata).get("output_name"))
    before = record_generation(deps.store, deps.settings.staging_bucket, obj, job)
    if before.generation > obj.generation:
        jobs.supersede(_with_stem(ref, stem), before.generation)
        return True
    if before.job_id and before.generation < obj.generation:
        older = jobs.statuses.get(before.job_id)
        older_ref = JobRef.of_status(older) if older is not None else None
        if older_ref is None:
            older_source = SourceObject(
                bucket=obj.bucket, name=obj.name, generation=before.generation
            )
            older_ref = JobRef(before.job_id, older_source, _with_stem(ref, stem).output)
        jobs.supersede(older_ref, obj.generation)
    return False


def _is_upload(note: StorageNotification, input_bucket: str) -> bool:
    obj = note.object
    return (
        note.event_type == "OBJECT_FINALIZE"
        and obj.bucket == input_bucket
        and naming.is_data_object(obj.name)
        and not is_manifest_input(obj.name)
        and naming.GENERATED_MARK not in obj.metadata
    )


def _read_upload(deps: IngestDeps, note: StorageNotification, params: Params) -> Normalised:
    obj = note.object
    limits = deps.limits
    # Refuse what can't finish inside the request before downloading a byte of it
    # (the size the notification gives; sniff checks the downloaded file the same way).
    limits.check_bytes(obj.size, obj.name)
    with tempfile.TemporaryDirectory(prefix="dropcast-ingest-") as tmp:
        local = Path(tmp) / "input"
        deps.store.download(obj.bucket, obj.name, local, generation=obj.generation)
        return normalise(local, obj.name, params, limits)


def stage_and_publish(
    deps: IngestDeps,
    note: StorageNotification,
    job: str,
    stem: str,
    params: Params,
    result: Normalised,
    trace_id: str,
) -> None:
    """Stage the shards and quality report, record the job, publish one message per shard."""
    obj = note.object
    settings = deps.settings
    staging = settings.staging_bucket
    budget = shard_budget_seconds()
    shards = plan_shards(result.frame, params, budget, settings.max_series_per_shard)
    quality = StagedQuality.model_validate({**result.quality, "frequencies": result.frequencies})
    _create_once(deps, staging, naming.staging_quality(job), quality.to_bytes(), "application/json")
    for index, shard in enumerate(shards):
        _create_once(
            deps,
            staging,
            naming.staging_shard(job, index),
            table.to_parquet(shard),
            "application/vnd.apache.parquet",
        )
    source = SourceObject(bucket=obj.bucket, name=obj.name, generation=obj.generation)
    ref = JobRef(job, source, OutputLocation(bucket=settings.output_bucket, stem=stem))
    messages = [
        WorkMessage(
            job_id=job,
            source=source,
            shard=Shard(
                index=index,
                count=len(shards),
                uri=f"gs://{staging}/{naming.staging_shard(job, index)}",
                series=int(shard["series_id"].nunique()),
            ),
            params=params,
            output=ref.output,
            staging_bucket=staging,
            trace_id=trace_id,
        )
        for index, shard in enumerate(shards)
    ]
    # What the watchdog publishes again if a shard is lost.
    work = json.dumps([m.model_dump(mode="json") for m in messages]).encode()
    _create_once(deps, staging, naming.staging_work(job), work, "application/json")

    def accept(status: JobStatus) -> JobStatus:
        # The budget runs from the job's own creation time, the one its status states.
        deadline = watchdog.deadline_for(parse_time(status.created), settings.job_budget_seconds)
        return mark(
            "accepted",
            shards_total=len(shards),
            series=result.series_count,
            output_bucket=settings.output_bucket,
            output_stem=stem,
            deadline=deadline,
        )(status)

    Jobs(deps.store, deps.publisher, staging).statuses.update(
        job, accept, initial=ref.initial_status()
    )
    published = naming.published_marker(job)
    if deps.store.stat(staging, published) is not None:
        log.info("work for %s already published (redelivery)", obj.uri, extra={"job_id": job})
        return
    watchdog.start_watching(deps, job)
    for message in messages:
        deps.publisher.publish(settings.work_topic, message.to_bytes(), message.attributes())
    # Marks the publishing step done; a crash before it means a retry publishes
    # again, and forecast's create-only parts and leases absorb the duplicates.
    _create_once(deps, staging, published, b"", "text/plain")
    log.info(
        "published %d work message(s) for %s",
        len(shards),
        obj.uri,
        extra={"job_id": job, "shards": len(shards)},
    )


def shard_budget_seconds() -> float:
    """One-core seconds a shard may be estimated to take: a quarter of forecast's timeout.

    A quarter leaves room for a slower machine than the estimate's, retries
    and assembly, while the forecast service fits on all its CPUs.
    """
    return load_pipeline().services["forecast"].request_timeout_seconds / 4


def reject(
    deps: IngestDeps, err: InputError, note: StorageNotification, job: str, stem: str
) -> None:
    """Write the error report where the output would have gone, and fail the job."""
    obj = note.object
    settings = deps.settings
    source = SourceObject(bucket=obj.bucket, name=obj.name, generation=obj.generation)
    ref = JobRef(job, source, OutputLocation(bucket=settings.output_bucket, stem=stem))
    jobs = Jobs(deps.store, deps.publisher, settings.staging_bucket, settings.results_topic)
    jobs.fail(ref, err)
    log.warning(
        "rejected %s: %s [%s]",
        obj.uri,
        err.message,
        err.code,
        extra={"job_id": job, "error_code": err.code},
    )


def _create_once(
    deps: IngestDeps,
    bucket: str,
    name: str,
    data: bytes,
    content_type: str,
    metadata: dict[str, str] | None = None,
) -> None:
    if not create_once(deps.store, bucket, name, data, content_type, metadata):
        log.info("gs://%s/%s already written (redelivery)", bucket, name)
