"""Assemble a job's final outputs from its shards' parts, exactly once.

Runs in whichever shard's request finds every part staged. Two shards can
finish at the same instant: a lease lets one assemble, and every output is
create-only, so even an assembler that dies half-way is finished by its
message's redelivery without writing anything twice. The CSV is written
last: when it is there, the chart and the report are too. How the job ends
(its status, the outputs' rule, the results message) is dropcast_common.jobs'.
"""

from __future__ import annotations

import io
import json
import logging
import time
from enum import StrEnum
from typing import Any

import pandas as pd

from dropcast_common import naming, table
from dropcast_common.errors import BlobNotFoundError
from dropcast_common.jobs import JobRef, Jobs
from dropcast_common.lease import Lease, LeaseResult
from dropcast_common.messages import StagedQuality, WorkMessage
from dropcast_forecast import staged_warmstarts
from dropcast_forecast.bootstrap import ForecastDeps
from dropcast_forecasting.render.outputs import OutputFile, render_outputs
from dropcast_forecasting.render.report import build_report
from dropcast_forecasting.results import SeriesResult

log = logging.getLogger("dropcast.forecast.assembly")


class AssemblyOutcome(StrEnum):
    """What a shard's request did about assembling its job."""

    INCOMPLETE = "incomplete"  # some part is not staged yet: its shard assembles
    HELD = "held"  # another live delivery is assembling
    ASSEMBLED = "assembled"  # this call wrote the outputs and ended the job
    ENDED = "ended"  # the job had already ended (another assembler, or superseded)
    SUPERSEDED = "superseded"  # a newer upload of the source owns the stem: nothing written


def assemble(message: WorkMessage, deps: ForecastDeps, jobs: Jobs, owner: str) -> AssemblyOutcome:
    """Write the job's outputs if every shard is staged, once per job."""
    job, count, staging = message.job_id, message.shard.count, message.staging_bucket
    staged = set(deps.store.list(staging, naming.parts_prefix(job)))
    if any(naming.staging_part(job, k, ".json") not in staged for k in range(count)):
        return AssemblyOutcome.INCOMPLETE
    lease = Lease(deps.store, staging, naming.assembly_lease(job), owner)
    if lease.acquire() is LeaseResult.HELD:
        log.info("assembly is running in another delivery", extra={"job_id": job})
        return AssemblyOutcome.HELD
    with lease.kept():
        return _assemble_held(message, deps, jobs)


def _assemble_held(message: WorkMessage, deps: ForecastDeps, jobs: Jobs) -> AssemblyOutcome:
    job, count = message.job_id, message.shard.count
    ref = JobRef.of_message(message)
    current = jobs.statuses.get(job)
    if current is not None and current.final:
        return AssemblyOutcome.ENDED
    newer = jobs.newer_generation(ref)
    if newer:
        # An older generation never writes over or beside a newer one's outputs.
        jobs.supersede(ref, newer)
        return AssemblyOutcome.SUPERSEDED
    started = time.perf_counter()
    files = render_job(message, deps)
    # Before the outputs: a user who sees the CSV and uploads the next day's
    # file already gets the warm starts.
    staged_warmstarts.publish(deps.store, message)
    # The CSV goes last: when users (and `dropcast submit`) see it, everything is there.
    files.sort(key=lambda f: naming.output_kind(f.name) == "csv")
    outputs = jobs.write_outputs(ref, [(f.name, f.data, f.content_type) for f in files])
    series = message_series_count(files)
    jobs.finish(ref, outputs)
    elapsed = time.perf_counter() - started
    log.info(
        "assembled %d shard(s) in %.2fs: %s",
        count,
        elapsed,
        outputs["csv"],
        extra={"job_id": job, "shards": count, "series": series, "seconds": round(elapsed, 3)},
    )
    return AssemblyOutcome.ASSEMBLED


# The staged parts of what explains a shard's forecast (components, anomalies), when asked for.
COMPONENTS_PART = ".components.parquet"
ANOMALIES_PART = ".anomalies.parquet"


def explained_parts(
    components: pd.DataFrame | None, anomalies: pd.DataFrame | None
) -> list[tuple[str, pd.DataFrame]]:
    """The staged part suffix of each explanation frame a run produced."""
    parts = [(COMPONENTS_PART, components), (ANOMALIES_PART, anomalies)]
    return [(suffix, frame) for suffix, frame in parts if frame is not None]


def read_explained(deps: ForecastDeps, message: WorkMessage, suffix: str) -> pd.DataFrame | None:
    """Every shard's staged ``suffix`` part as one frame (None when no shard staged one)."""
    staging, job = message.staging_bucket, message.job_id
    frames = []
    for index in range(message.shard.count):
        try:
            raw = deps.store.read(staging, naming.staging_part(job, index, suffix))
        except BlobNotFoundError:
            continue
        frames.append(pd.read_parquet(io.BytesIO(raw)))
    if not frames:
        return None
    return pd.concat(frames, ignore_index=True).sort_values(["series_id", "date"], kind="stable")


def render_job(message: WorkMessage, deps: ForecastDeps) -> list[OutputFile]:
    """Merge every shard's part into the job's output files (pure but for reading staging)."""
    count = message.shard.count
    frames, series = [], []
    timings: dict[str, float] = {}
    for index in range(count):
        frame, part = read_part(deps, message, index)
        frames.append(frame)
        series += [SeriesResult.model_validate(r) for r in part["series"]]
        for key, seconds in part["timings"].items():
            timings[key] = timings.get(key, 0.0) + float(seconds)
    forecast = pd.concat(frames, ignore_index=True).sort_values(
        ["series_id", "date"], kind="stable"
    )
    history = pd.concat([read_shard(deps, message, k) for k in range(count)], ignore_index=True)
    quality = read_quality(deps, message).report()  # frequencies are in each series' result
    report = build_report(
        series=series,
        params=message.params,
        source=f"gs://{message.source.bucket}/{message.source.name}",
        generation=message.source.generation,
        job_id=message.job_id,
        quality=quality,
        timings={**timings, "shards": float(count)},
    )
    return render_outputs(
        message.output.stem,
        history,
        forecast,
        report,
        message.params,
        components=read_explained(deps, message, COMPONENTS_PART),
        anomalies=read_explained(deps, message, ANOMALIES_PART),
    )


def message_series_count(files: list[OutputFile]) -> int:
    """Series in the report (for the log line)."""
    for file in files:
        if file.name.endswith(".report.json"):
            return int(json.loads(file.data)["summary"]["series"])
    return 0


def read_part(
    deps: ForecastDeps, message: WorkMessage, index: int
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A staged part: its forecast frame and its results."""
    staging, job = message.staging_bucket, message.job_id
    raw = deps.store.read(staging, naming.staging_part(job, index, ".parquet"))
    results = json.loads(deps.store.read(staging, naming.staging_part(job, index, ".json")))
    return pd.read_parquet(io.BytesIO(raw)), results


def read_shard(deps: ForecastDeps, message: WorkMessage, index: int) -> pd.DataFrame:
    """A staged shard's canonical history (for the chart)."""
    raw = deps.store.read(message.staging_bucket, naming.staging_shard(message.job_id, index))
    return table.from_parquet(raw)


def read_quality(deps: ForecastDeps, message: WorkMessage) -> StagedQuality:
    """What ingest staged for the job besides its shards (empty if there is none)."""
    try:
        raw = deps.store.read(message.staging_bucket, naming.staging_quality(message.job_id))
    except BlobNotFoundError:
        return StagedQuality()
    return StagedQuality.from_bytes(raw)
