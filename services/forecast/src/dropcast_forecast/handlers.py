"""Forecast use cases: one work message (one shard) at a time, adapters passed in.

Delivery is at least once, and shards of one job race each other. So: each
shard's result is staged create-only under a lease (one computation per
shard, taken over if its worker dies), and the shard that completes the set
assembles the final outputs under another lease, exactly once.
"""

from __future__ import annotations

import io
import json
import logging
import time
from dataclasses import replace
from enum import StrEnum

import pandas as pd

from dropcast_common import naming, table
from dropcast_common.budget import Deadline, estimate_fit_seconds
from dropcast_common.errors import InputError
from dropcast_common.jobs import JobRef, Jobs
from dropcast_common.lease import Lease, LeaseResult
from dropcast_common.messages import StagedQuality, WorkMessage
from dropcast_common.params import Params
from dropcast_common.pipeline import load as load_pipeline
from dropcast_common.safety import safe_object_stem
from dropcast_common.status import JobStatus, StatusStore, shard_done
from dropcast_common.storage import create_once
from dropcast_forecast import staged_warmstarts
from dropcast_forecast.assembly import AssemblyOutcome, assemble, explained_parts, read_quality
from dropcast_forecast.bootstrap import ForecastDeps
from dropcast_forecast.request_cache import StagedReads
from dropcast_forecasting.engine import run_forecast
from dropcast_forecasting.pool.cpus import available_cpus

log = logging.getLogger("dropcast.forecast")


class Outcome(StrEnum):
    """How a work message ended."""

    DONE = "done"  # this delivery computed its shard
    ALREADY_DONE = "already_done"  # an earlier delivery did
    DEFERRED = "deferred"  # a live worker holds the shard (or the assembly): ask again later
    FAILED = "failed"  # the job failed on parameters the data can't honour
    REFUSED = "refused"  # not a message ingest sent for a job it accepted


def handle_work(
    message: WorkMessage,
    deps: ForecastDeps,
    message_id: str = "",
    deadline: Deadline | None = None,
) -> Outcome:
    """Forecast one shard, stage its part, and assemble the job if it was the last one.

    DEFERRED means another live delivery holds the step: the API answers 503
    so Pub/Sub brings the message back, and it finds the step done or, if its
    holder died, the lease expired and takes it over.
    """
    job, shard = message.job_id, message.shard
    staging = message.staging_bucket
    status = StatusStore(deps.store, deps.settings.staging_bucket).get(job)
    reason = refusal(message, deps, status)
    if reason:
        log.error("refused work message %s: %s", message_id, reason, extra={"job_id": job})
        return Outcome.REFUSED
    assert status is not None  # refusal() refuses a job without a status
    if status.final:
        log.info("job already %s: duplicate work message", status.state, extra={"job_id": job})
        return Outcome.ALREADY_DONE

    deps = replace(deps, store=StagedReads(deps.store, staging, job))
    jobs = Jobs(deps.store, deps.publisher, staging, deps.settings.results_topic)
    outcome = Outcome.ALREADY_DONE
    results_name = naming.staging_part(job, shard.index, ".json")
    if deps.store.stat(staging, results_name) is None:
        lease = Lease(deps.store, staging, naming.shard_lease(job, shard.index), message_id)
        if lease.acquire() is LeaseResult.HELD:
            log.info(
                "shard %d/%d is being computed by another delivery",
                shard.index + 1,
                shard.count,
                extra={"job_id": job},
            )
            return Outcome.DEFERRED
        try:
            with lease.kept():
                compute_shard(message, deps, deadline or request_deadline())
        except InputError as err:
            jobs.fail(JobRef.of_message(message), err)
            return Outcome.FAILED
        outcome = Outcome.DONE
    jobs.statuses.update(job, shard_done(shard.index))
    if assemble(message, deps, jobs, message_id) is AssemblyOutcome.HELD:
        return Outcome.DEFERRED
    return outcome


def refusal(message: WorkMessage, deps: ForecastDeps, status: JobStatus | None) -> str | None:
    """Why a work message is not one ingest published for a job it accepted, or None.

    Nothing in a message is trusted: a forged one (the local stack has no
    push authentication) could otherwise point forecast's writes at the
    input bucket, outside the job's stem, or at a generation no later upload
    could replace.
    """
    settings, source, shard = deps.settings, message.source, message.shard
    staging = settings.staging_bucket
    expected_uri = f"gs://{staging}/{naming.staging_shard(message.job_id, shard.index)}"
    checks = [
        (source.bucket == settings.input_bucket, f"source bucket {source.bucket!r}"),
        (
            message.output.bucket == settings.output_bucket,
            f"output bucket {message.output.bucket!r}",
        ),
        (message.staging_bucket == staging, f"staging bucket {message.staging_bucket!r}"),
        (
            message.job_id == naming.job_id(source.bucket, source.name, source.generation),
            "a job id that is not its source's",
        ),
        (shard.index < shard.count and shard.uri == expected_uri, f"shard {shard.uri!r}"),
        (
            message.output.stem == safe_object_stem(message.output.stem),
            f"an unsafe output stem {message.output.stem!r}",
        ),
    ]
    for ok, what in checks:
        if not ok:
            return f"it names {what}"
    if status is None:
        return "ingest accepted no such job"
    recorded = (status.source, status.source_generation, status.shards_total)
    if recorded != (f"gs://{source.bucket}/{source.name}", source.generation, shard.count):
        return "its source, generation or shard count differ from the job ingest accepted"
    if status.output_stem and status.output_stem != message.output.stem:
        return f"its output stem differs from the job's ({status.output_stem!r})"
    return None


def request_deadline() -> Deadline:
    """The forecast request's budget: its timeout in pipeline.json, from now."""
    return Deadline(load_pipeline().services["forecast"].request_timeout_seconds)


def check_budget(canonical: pd.DataFrame, params: Params, deadline: Deadline) -> None:
    """Refuse a shard that can't be fitted in the time the request has left.

    Ingest sizes shards well inside the budget, so this only trips when the
    service runs on fewer CPUs than it was sized for, or on a shard staged
    under other settings; failing the job with the reason beats a fit that
    Pub/Sub would abandon at its ack deadline and redeliver until it
    dead-letters.
    """
    rows = canonical.groupby("series_id", sort=False).size()
    cpus = available_cpus()
    needed = sum(estimate_fit_seconds(int(n), params) for n in rows) / cpus
    left = deadline.remaining()
    if needed > left:
        raise InputError(
            "shard_over_budget",
            f"a shard of {len(rows)} series needs about {needed:.0f}s on {cpus} CPU(s); "
            f"its request has {max(left, 0):.0f}s left",
            "Upload fewer series per file, or lower DROPCAST_MAX_SERIES_PER_SHARD on the ingest "
            "service (or give the forecast service more CPUs).",
            {
                "series": len(rows),
                "estimated_seconds": round(needed, 1),
                "remaining_seconds": round(left, 1),
                "cpus": cpus,
            },
        )


def compute_shard(message: WorkMessage, deps: ForecastDeps, deadline: Deadline) -> None:
    """Fit every series of the shard and stage the part (forecast, then results)."""
    job, shard = message.job_id, message.shard
    started = time.perf_counter()
    log.info(
        "computing shard %d/%d",
        shard.index + 1,
        shard.count,
        extra={"job_id": job, "shard": shard.index},
    )
    bucket, name = split_uri(shard.uri)
    canonical = table.from_parquet(deps.store.read(bucket, name))
    check_budget(canonical, message.params, deadline)
    quality: StagedQuality = read_quality(deps, message)
    series_ids = canonical["series_id"].astype(str).unique()
    previous = staged_warmstarts.read_previous(deps.store, message, series_ids)
    run = run_forecast(
        canonical, message.params, frequencies=quality.frequencies, previous=previous
    )
    staging = message.staging_bucket
    create_once(
        deps.store,
        staging,
        naming.staging_part(job, shard.index, ".parquet"),
        _parquet(run.forecast),
        "application/vnd.apache.parquet",
    )
    staged_warmstarts.stage_part(deps.store, message, run.carried, message.params)
    for suffix, frame in explained_parts(run.components, run.anomalies):
        create_once(
            deps.store,
            staging,
            naming.staging_part(job, shard.index, suffix),
            _parquet(frame),
            "application/vnd.apache.parquet",
        )
    results = {
        "series": [result.model_dump(mode="json") for result in run.series],
        "timings": run.timings,
    }
    # The results object is written last: its presence marks the part complete.
    create_once(
        deps.store,
        staging,
        naming.staging_part(job, shard.index, ".json"),
        json.dumps(results).encode(),
        "application/json",
    )
    elapsed = time.perf_counter() - started
    log.info(
        "computed shard %d/%d: %d series in %.2fs",
        shard.index + 1,
        shard.count,
        len(run.series),
        elapsed,
        extra={
            "job_id": job,
            "shard": shard.index,
            "series": len(run.series),
            "warm_started": sum(r.warm_start for r in run.series),
            "seconds": round(elapsed, 3),
        },
    )


def _parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def split_uri(uri: str) -> tuple[str, str]:
    """``gs://bucket/name`` → (bucket, name)."""
    bucket, _, name = uri.removeprefix("gs://").partition("/")
    return bucket, name
