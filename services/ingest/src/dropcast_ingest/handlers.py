"""Ingest use cases: one function each, adapters passed in."""

from __future__ import annotations

import logging
import tempfile
import time
from enum import StrEnum
from pathlib import Path

from dropcast_common import naming, table
from dropcast_common.envelope import StorageNotification
from dropcast_common.errors import BlobNotFoundError, InputError, PreconditionFailedError
from dropcast_common.messages import OutputLocation, Shard, SourceObject, WorkMessage
from dropcast_common.params import from_metadata, resolve
from dropcast_common.reports import ErrorReport
from dropcast_ingest.bootstrap import IngestDeps
from dropcast_ingest.normalise import normalise
from dropcast_ingest.sharding import split_series

log = logging.getLogger("dropcast.ingest")


class Outcome(StrEnum):
    """How an upload notification ended."""

    IGNORED = "ignored"
    REJECTED = "rejected"
    ACCEPTED = "accepted"


def handle_upload(note: StorageNotification, deps: IngestDeps, trace_id: str = "") -> Outcome:
    """Normalise an uploaded file, stage it in shards and publish one work message per shard."""
    obj = note.object
    settings = deps.settings
    if note.event_type != "OBJECT_FINALIZE":
        log.info("ignored event %s for %s", note.event_type, obj.uri)
        return Outcome.IGNORED
    if obj.bucket != settings.input_bucket or not naming.is_data_object(obj.name):
        log.info("ignored %s: not a data file in the input bucket", obj.uri)
        return Outcome.IGNORED

    job = naming.job_id(obj.bucket, obj.name, obj.generation)
    stem = naming.output_stem(obj.name)
    started = time.perf_counter()
    try:
        params = resolve(settings.default_params, from_metadata(obj.metadata))
        with tempfile.TemporaryDirectory(prefix="dropcast-ingest-") as tmp:
            local = Path(tmp) / "input"
            deps.store.download(obj.bucket, obj.name, local, generation=obj.generation)
            result = normalise(local, obj.name, params, deps.limits)
    except BlobNotFoundError:
        # A newer generation replaced this one; its own notification will follow.
        log.info("ignored %s#%s: generation no longer exists", obj.uri, obj.generation)
        return Outcome.IGNORED
    except InputError as err:
        _write_error(deps, err, obj.bucket, obj.name, job, stem)
        log.warning(
            "rejected %s: %s (%s)",
            obj.uri,
            err.message,
            err.code,
            extra={"job_id": job, "error_code": err.code},
        )
        return Outcome.REJECTED

    shards = split_series(result.frame, settings.max_series_per_shard)
    out = OutputLocation(bucket=settings.output_bucket, stem=params.output_name or stem)
    for index, shard in enumerate(shards):
        name = naming.staging_shard(job, index)
        _create_once(deps, settings.staging_bucket, name, table.to_parquet(shard))
        message = WorkMessage(
            job_id=job,
            source=SourceObject(bucket=obj.bucket, name=obj.name, generation=obj.generation),
            shard=Shard(
                index=index,
                count=len(shards),
                uri=f"gs://{settings.staging_bucket}/{name}",
                series=int(shard["series_id"].nunique()),
            ),
            params=params,
            output=out,
            staging_bucket=settings.staging_bucket,
            trace_id=trace_id,
        )
        deps.publisher.publish(settings.work_topic, message.to_bytes(), message.attributes())
    log.info(
        "accepted %s: %d series in %d shard(s) in %.3fs",
        obj.uri,
        result.series_count,
        len(shards),
        time.perf_counter() - started,
        extra={"job_id": job, "series": result.series_count, "shards": len(shards)},
    )
    return Outcome.ACCEPTED


def _create_once(deps: IngestDeps, bucket: str, name: str, data: bytes) -> None:
    """Create-only write; an object already there is our own earlier attempt."""
    try:
        deps.store.create(bucket, name, data, "application/vnd.apache.parquet")
    except PreconditionFailedError:
        log.info("gs://%s/%s already staged (redelivery)", bucket, name)


def _write_error(
    deps: IngestDeps, err: InputError, bucket: str, name: str, job: str, stem: str
) -> None:
    report = ErrorReport.from_error(err, source=f"gs://{bucket}/{name}", job_id=job)
    try:
        deps.store.create(
            deps.settings.output_bucket, f"{stem}.error.json", report.to_bytes(), "application/json"
        )
    except PreconditionFailedError:
        log.info("error report for %s already written (redelivery)", name)
