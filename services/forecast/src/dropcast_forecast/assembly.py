"""Assemble a job's final outputs from its shards' parts, exactly once.

Runs in whichever shard's request finds every part staged. Two shards can
finish at the same instant: a lease lets one assemble, and every output is
create-only, so even an assembler that dies half-way is finished by its
message's redelivery without writing anything twice. The CSV is written
last: when it is there, the chart and the report are too.
"""

from __future__ import annotations

import io
import json
import logging
import time
from typing import Any

import pandas as pd

from dropcast_common import naming, table
from dropcast_common.errors import BlobNotFoundError, InputError
from dropcast_common.lease import Lease, LeaseResult
from dropcast_common.messages import WorkMessage
from dropcast_common.reports import ErrorReport
from dropcast_common.status import JobError, StatusStore, mark
from dropcast_common.storage import publish_output, remove_stale_output
from dropcast_forecast import staged_warmstarts
from dropcast_forecast.bootstrap import ForecastDeps
from dropcast_forecasting.render.outputs import OutputFile, render_outputs
from dropcast_forecasting.render.report import build_report
from dropcast_forecasting.results import SeriesResult

log = logging.getLogger("dropcast.forecast.assembly")

ASSEMBLY_LEASE_SECONDS = 600.0


def assemble(message: WorkMessage, deps: ForecastDeps, owner: str) -> bool:
    """Write the job's outputs if every shard is staged; returns whether this call did."""
    job, count, staging = message.job_id, message.shard.count, message.staging_bucket
    staged = set(deps.store.list(staging, f"jobs/{job}/parts/"))
    if any(naming.staging_part(job, k, ".json") not in staged for k in range(count)):
        return False
    lease = Lease(deps.store, staging, f"jobs/{job}/assembly.lease", owner, ASSEMBLY_LEASE_SECONDS)
    if lease.acquire() is LeaseResult.HELD:
        log.info("assembly is running in another delivery", extra={"job_id": job})
        return False
    started = time.perf_counter()
    files = render_job(message, deps)
    # Before the outputs: a user who sees the CSV and uploads the next day's
    # file already gets the warm starts.
    staged_warmstarts.publish(deps.store, message)
    # The CSV goes last: when users (and `dropcast submit`) see it, everything is there.
    files.sort(key=lambda f: f.name.endswith(".csv"))
    outputs: dict[str, str] = {}
    generation = message.source.generation
    for file in files:
        publish_output(
            deps.store,
            message.output.bucket,
            file.name,
            file.data,
            file.content_type,
            job,
            generation,
        )
        outputs[output_kind(file.name)] = f"gs://{message.output.bucket}/{file.name}"
    # An earlier upload of the same name may have been rejected: its report is stale now.
    remove_stale_output(
        deps.store, message.output.bucket, f"{message.output.stem}.error.json", job, generation
    )
    series = message_series_count(files)
    StatusStore(deps.store, staging).update(job, mark("done", outputs=outputs))
    publish_result(deps, message, "done", outputs)
    elapsed = time.perf_counter() - started
    log.info(
        "assembled %d shard(s) in %.2fs: %s",
        count,
        elapsed,
        outputs["csv"],
        extra={"job_id": job, "shards": count, "series": series, "seconds": round(elapsed, 3)},
    )
    return True


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
    quality = read_quality(deps, message)
    quality.pop("frequencies", None)  # already in each series' result
    report = build_report(
        series=series,
        params=message.params,
        source=f"gs://{message.source.bucket}/{message.source.name}",
        generation=message.source.generation,
        job_id=message.job_id,
        quality=quality,
        timings={**timings, "shards": float(count)},
    )
    return render_outputs(message.output.stem, history, forecast, report, message.params)


def output_kind(name: str) -> str:
    """``x.report.json`` → ``report``, ``x.csv`` → ``csv``."""
    return "report" if name.endswith(".report.json") else name.rsplit(".", 1)[-1]


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


def read_quality(deps: ForecastDeps, message: WorkMessage) -> dict[str, Any]:
    """The ingest quality report staged for the job (empty if there is none)."""
    try:
        raw = deps.store.read(message.staging_bucket, naming.staging_quality(message.job_id))
    except BlobNotFoundError:
        return {}
    data = json.loads(raw)
    return data if isinstance(data, dict) else {}


def fail_job(message: WorkMessage, deps: ForecastDeps, err: InputError) -> None:
    """A parameter the data can't honour: report it like a bad file and fail the job."""
    out, job = message.output, message.job_id
    report = ErrorReport.from_error(
        err, source=f"gs://{message.source.bucket}/{message.source.name}", job_id=job
    )
    name = f"{out.stem}.error.json"
    publish_output(
        deps.store,
        out.bucket,
        name,
        report.to_bytes(),
        "application/json",
        job,
        message.source.generation,
    )
    outputs = {"error": f"gs://{out.bucket}/{name}"}
    StatusStore(deps.store, message.staging_bucket).update(
        job,
        mark(
            "failed",
            outputs=outputs,
            error=JobError(code=err.code, message=err.message, hint=err.hint),
        ),
    )
    publish_result(deps, message, "failed", outputs)
    log.warning("job failed: %s [%s]", err.message, err.code, extra={"job_id": job})


def publish_result(
    deps: ForecastDeps, message: WorkMessage, state: str, outputs: dict[str, str]
) -> None:
    """Tell other systems (the optional ``results`` topic) that a job has finished."""
    topic = deps.settings.results_topic
    if not topic:
        return
    body = {
        "kind": "dropcast.result",
        "job_id": message.job_id,
        "state": state,
        "source": f"gs://{message.source.bucket}/{message.source.name}",
        "source_generation": message.source.generation,
        "outputs": outputs,
    }
    deps.publisher.publish(
        topic,
        json.dumps(body).encode(),
        {"kind": "dropcast.result", "job_id": message.job_id, "state": state},
    )
