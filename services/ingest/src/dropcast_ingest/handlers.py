"""Ingest use cases: one function each, adapters passed in."""

from __future__ import annotations

import json
import logging
import tempfile
import time
from enum import StrEnum
from pathlib import Path

from dropcast_common import naming, table
from dropcast_common.envelope import StorageNotification
from dropcast_common.errors import BlobNotFoundError, InputError
from dropcast_common.messages import OutputLocation, Shard, SourceObject, WorkMessage
from dropcast_common.params import Params, from_metadata, resolve
from dropcast_common.pipeline import load as load_pipeline
from dropcast_common.reports import ErrorReport
from dropcast_common.status import JobError, JobStatus, StatusStore, mark
from dropcast_common.storage import create_once, publish_output
from dropcast_ingest.bootstrap import IngestDeps
from dropcast_ingest.manifest_inputs import read_manifest_upload
from dropcast_ingest.sharding import plan_shards
from dropcast_tables.manifest import is_manifest_input
from dropcast_tables.normalise import Normalised, normalise

log = logging.getLogger("dropcast.ingest")


class Outcome(StrEnum):
    """How an upload notification ended."""

    IGNORED = "ignored"
    DUPLICATE = "duplicate"
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
    statuses = StatusStore(deps.store, settings.staging_bucket)
    known = statuses.get(job)
    if known is not None and known.state in ("done", "failed"):
        log.info(
            "duplicate notification for %s: job already %s",
            obj.uri,
            known.state,
            extra={"job_id": job},
        )
        return Outcome.DUPLICATE

    stem = naming.output_stem(obj.name)
    started = time.perf_counter()
    try:
        if naming.is_manifest(obj.name):
            params, stem, result = read_manifest_upload(deps, note)
        else:
            params = resolve(settings.default_params, from_metadata(obj.metadata))
            stem = params.output_name or stem
            result = _read_upload(deps, note, params)
    except BlobNotFoundError:
        # A newer generation replaced this one; its own notification will follow.
        log.info(
            "ignored %s#%s: generation no longer exists",
            obj.uri,
            obj.generation,
            extra={"job_id": job},
        )
        return Outcome.IGNORED
    except InputError as err:
        reject(deps, err, note, job, stem)
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
    budget = shard_budget_seconds()
    shards = plan_shards(result.frame, params, budget, settings.max_series_per_shard)
    quality = {**result.quality, "frequencies": result.frequencies}
    _create_once(
        deps,
        settings.staging_bucket,
        naming.staging_quality(job),
        json.dumps(quality, default=str).encode(),
        "application/json",
    )
    for index, shard in enumerate(shards):
        _create_once(
            deps,
            settings.staging_bucket,
            naming.staging_shard(job, index),
            table.to_parquet(shard),
            "application/vnd.apache.parquet",
        )
    StatusStore(deps.store, settings.staging_bucket).update(
        job,
        mark("accepted", shards_total=len(shards), series=result.series_count),
        initial=JobStatus(
            job_id=job, state="accepted", source=obj.uri, source_generation=obj.generation
        ),
    )
    published = f"jobs/{job}/published"
    if deps.store.stat(settings.staging_bucket, published) is not None:
        log.info("work for %s already published (redelivery)", obj.uri, extra={"job_id": job})
        return
    for index, shard in enumerate(shards):
        message = WorkMessage(
            job_id=job,
            source=SourceObject(bucket=obj.bucket, name=obj.name, generation=obj.generation),
            shard=Shard(
                index=index,
                count=len(shards),
                uri=f"gs://{settings.staging_bucket}/{naming.staging_shard(job, index)}",
                series=int(shard["series_id"].nunique()),
            ),
            params=params,
            output=OutputLocation(bucket=settings.output_bucket, stem=stem),
            staging_bucket=settings.staging_bucket,
            trace_id=trace_id,
        )
        deps.publisher.publish(settings.work_topic, message.to_bytes(), message.attributes())
    # Marks the publishing step done; a crash before it means a retry publishes
    # again, and forecast's create-only parts and leases absorb the duplicates.
    _create_once(deps, settings.staging_bucket, published, b"", "text/plain")
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
    """Write the error report next to where the output would have been, and fail the job."""
    obj = note.object
    settings = deps.settings
    report = ErrorReport.from_error(err, source=obj.uri, job_id=job)
    name = f"{stem}.error.json"
    publish_output(
        deps.store,
        settings.output_bucket,
        name,
        report.to_bytes(),
        "application/json",
        job,
        obj.generation,
    )
    StatusStore(deps.store, settings.staging_bucket).update(
        job,
        mark(
            "failed",
            error=JobError(code=err.code, message=err.message, hint=err.hint),
            outputs={"error": f"gs://{settings.output_bucket}/{name}"},
        ),
        initial=JobStatus(
            job_id=job, state="failed", source=obj.uri, source_generation=obj.generation
        ),
    )
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
