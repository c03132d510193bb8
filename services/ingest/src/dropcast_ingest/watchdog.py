"""The watchdog: no job stays unfinished past its budget, silently.

Cloud Run runs code only while it answers a request, so the watchdog is a
message, not a loop: each accepted job publishes one ``dropcast.check`` to
the ``checks`` topic (pipeline.json's ``watchdog`` pipe), and ingest's
``/push/check`` answers 503 while the job is within its budget. Pub/Sub's
redelivery, every 10-60 s (the pipe's backoff), is the clock; nothing else
to deploy (no scheduler, no always-on instance), the same on the local
stack, and it costs one tiny request per job per minute. A periodic sweep
from Cloud Scheduler would have needed a listing of every open job and a
scheduler on the local stack; a check on each status read only runs when
someone looks.

At half the budget, a job with shards not done gets their work messages
published again, once (a forecast instance that died with its message
acknowledged, or an emulator that stopped pushing); a job with every shard
done but no outputs gets one message again, to assemble. One check interval
before the deadline a job still not final fails with ``job_timed_out`` and
which shards were missing, so ``dropcast status`` never waits past the
deadline stated in the job's status.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from dropcast_common import naming
from dropcast_common.errors import BlobNotFoundError, InputError
from dropcast_common.jobs import JobRef, Jobs
from dropcast_common.messages import WorkMessage
from dropcast_common.pipeline import load as load_pipeline
from dropcast_common.pipeline import seconds
from dropcast_common.status import JobStatus, parse_time
from dropcast_ingest.bootstrap import IngestDeps

log = logging.getLogger("dropcast.watchdog")

CHECK_KIND = "dropcast.check"
TIMED_OUT = "job_timed_out"


class Check(BaseModel):
    """The watchdog's message for one job."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str = CHECK_KIND
    job_id: str

    def to_bytes(self) -> bytes:
        """The Pub/Sub payload."""
        return self.model_dump_json().encode()

    def attributes(self) -> dict[str, str]:
        """Pub/Sub attributes: the dead-letter handler recognises a check by them."""
        return {"kind": CHECK_KIND, "job_id": self.job_id}


class CheckOutcome(StrEnum):
    """What one check did."""

    WAIT = "wait"  # within budget: ask again later (503)
    REDRIVEN = "redriven"  # missing shards published again; still watching (503)
    ENDED = "ended"  # the job is final (or unknown): stop watching (204)
    TIMED_OUT = "timed_out"  # failed by the watchdog (204)


def deadline_for(now: datetime, budget_seconds: float) -> str:
    """The deadline a job accepted ``now`` states in its status."""
    return (now + timedelta(seconds=budget_seconds)).isoformat(timespec="milliseconds")


def check_interval_seconds() -> float:
    """The longest wait between two checks of one job (the pipe's maximum backoff)."""
    return seconds(load_pipeline().watchdog.maximum_backoff)


def start_watching(deps: IngestDeps, job: str) -> None:
    """Publish the job's check (a redelivered notification may publish a second: harmless)."""
    check = Check(job_id=job)
    deps.publisher.publish(deps.settings.checks_topic, check.to_bytes(), check.attributes())


def handle_check(job_id: str, deps: IngestDeps, now: datetime | None = None) -> CheckOutcome:
    """Look at one job against its budget: wait, re-drive or fail it."""
    settings = deps.settings
    now = now or datetime.now(UTC)
    jobs = Jobs(deps.store, deps.publisher, settings.staging_bucket, settings.results_topic)
    status = jobs.statuses.get(job_id)
    if status is None or status.final or not status.deadline:
        return CheckOutcome.ENDED
    created, deadline = parse_time(status.created), parse_time(status.deadline)
    # One check interval early, so the next check can't land past the deadline.
    fail_at = deadline - timedelta(seconds=check_interval_seconds())
    missing = sorted(set(range(status.shards_total)) - set(status.shards_done))
    if now >= fail_at:
        return _time_out(jobs, status, missing, (deadline - created).total_seconds())
    if now >= created + (fail_at - created) / 2 and not status.redriven:
        redrive(deps, jobs, status, missing)
        return CheckOutcome.REDRIVEN
    return CheckOutcome.WAIT


def redrive(deps: IngestDeps, jobs: Jobs, status: JobStatus, missing: list[int]) -> None:
    """Publish the work of the shards not done again (or one shard's, to assemble), once."""
    messages = staged_work(deps, status.job_id)
    again = missing or [0]
    # Recorded first: a crash after publishing must not re-drive twice.
    jobs.statuses.update(status.job_id, lambda s: s.model_copy(update={"redriven": again}))
    for index in again:
        if index < len(messages):
            message = messages[index]
            deps.publisher.publish(
                deps.settings.work_topic, message.to_bytes(), message.attributes()
            )
    log.warning(
        "job not final at half its budget: published shard(s) %s again",
        ", ".join(str(k) for k in again),
        extra={"job_id": status.job_id},
    )


def staged_work(deps: IngestDeps, job: str) -> list[WorkMessage]:
    """The job's work messages as ingest published them ([] if none were staged)."""
    try:
        raw = json.loads(deps.store.read(deps.settings.staging_bucket, naming.staging_work(job)))
    except (BlobNotFoundError, ValueError):
        return []
    return [WorkMessage.model_validate(item) for item in raw]


def _time_out(jobs: Jobs, status: JobStatus, missing: list[int], budget: float) -> CheckOutcome:
    ref = JobRef.of_status(status)
    if ref is None:
        return CheckOutcome.ENDED
    if missing:
        what = (
            f"shard(s) {', '.join(str(k) for k in missing)} of {status.shards_total} were not done"
        )
    else:
        what = f"all {status.shards_total} shard(s) were done but the outputs were never assembled"
    redriven = " after being published again at half the budget" if status.redriven else ""
    jobs.fail(
        ref,
        InputError(
            TIMED_OUT,
            f"the job did not finish within its budget of {budget:.0f}s: {what}{redriven}",
            "This is a platform fault, not a problem with your file: the forecast service may "
            "be down or overloaded. Check it (`dropcast logs`), then upload the file again.",
            {"missing_shards": missing, "budget_seconds": budget},
        ),
    )
    return CheckOutcome.TIMED_OUT
