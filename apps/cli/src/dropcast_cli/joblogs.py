"""``dropcast logs``: a job's log lines, from the local stack's files or from Cloud Logging.

Every line a service writes about a job carries its ``job_id`` (text:
``[job_id=… …]``; JSON: a ``job_id`` field), so one filter follows a job
from its notification through ingest and every shard to assembly.
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from dropcast_cli.targets import SERVICES, Target
from dropcast_common.storage import BlobStore

# A text-format record's exception lines are indented under it (see TextFormatter).
CONTINUATION = "    | "


def local_lines(
    target: Target, services: Sequence[str] = SERVICES, job: str | None = None
) -> Iterator[str]:
    """The local services' log lines (of one job when ``job`` is given), prefixed by service."""
    width = max(len(name) for name in services)
    for service in services:
        path = target.logs.get(service)
        if path is None or not Path(path).exists():
            continue
        with Path(path).open(encoding="utf-8", errors="replace") as handle:
            for line in select(handle, job):
                yield f"{service:<{width}} | {line}"


def select(lines: Iterable[str], job: str | None) -> Iterator[str]:
    """The lines of one job (all lines when ``job`` is None), continuation lines included."""
    chooser = _Chooser(job)
    for raw in lines:
        if chooser.keeps(raw.rstrip("\n")):
            yield raw.rstrip("\n")


class _Chooser:
    """Keeps a job's records and their continuation lines, one line at a time."""

    def __init__(self, job: str | None) -> None:
        self._job = job
        self._keep = False

    def keeps(self, line: str) -> bool:
        if not line.startswith(CONTINUATION):
            self._keep = self._job is None or belongs_to(line, self._job)
        return self._keep


# After the job's status says done, assembly still logs its last line.
_GRACE_SECONDS = 2.0
_POLL_SECONDS = 0.3


def follow_local(
    target: Target,
    services: Sequence[str] = SERVICES,
    job: str | None = None,
    finished: Callable[[], bool] | None = None,
    timeout: float = 600.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[str]:
    """Every line so far, then new lines as they are written (``tail -f`` of both files).

    Ends ``_GRACE_SECONDS`` after ``finished()`` first says so (the job is
    done or failed), or after ``timeout`` seconds.
    """
    width = max(len(name) for name in services)
    offsets = dict.fromkeys(services, 0)
    partial = dict.fromkeys(services, "")
    choosers = {service: _Chooser(job) for service in services}
    deadline = clock() + timeout
    stop_at: float | None = None
    while True:
        for service in services:
            path = target.logs.get(service)
            if path is None or not Path(path).exists():
                continue
            with Path(path).open(encoding="utf-8", errors="replace") as handle:
                handle.seek(offsets[service])
                chunk = handle.read()
                offsets[service] = handle.tell()
            *complete, partial[service] = (partial[service] + chunk).split("\n")
            for line in complete:
                if choosers[service].keeps(line):
                    yield f"{service:<{width}} | {line}"
        now = clock()
        if stop_at is None and finished is not None and finished():
            stop_at = now + _GRACE_SECONDS
        if now >= deadline or (stop_at is not None and now >= stop_at):
            return
        sleep(_POLL_SECONDS)


def job_finished(store: BlobStore, staging_bucket: str, job: str) -> Callable[[], bool]:
    """A check that says whether the job is done or failed (for :func:`follow_local`)."""
    from dropcast_common.status import StatusStore

    statuses = StatusStore(store, staging_bucket)

    def finished() -> bool:
        status = statuses.get(job)
        return status is not None and status.final

    return finished


def belongs_to(line: str, job: str) -> bool:
    """Whether a log line (cloud JSON or local text) is about ``job``."""
    if line.startswith("{"):
        try:
            entry = json.loads(line)
        except ValueError:
            entry = None
        if isinstance(entry, dict):
            return bool(entry.get("job_id") == job)
    return f"job_id={job}" in line


def cloud_filter(target: Target, services: Sequence[str], job: str | None) -> str:
    """The Cloud Logging query for the services (and the job) of a deployed environment."""
    names = [target.services.get(s, f"dropcast-{target.env}-{s}") for s in services]
    quoted = " OR ".join(f'"{name}"' for name in names)
    query = f'resource.type="cloud_run_revision" AND resource.labels.service_name=({quoted})'
    if job:
        query += f' AND jsonPayload.job_id="{job}"'
    return query


def gcloud_command(
    target: Target,
    services: Sequence[str],
    job: str | None,
    freshness: str = "1d",
    *,
    follow: bool = False,
) -> list[str]:
    """``gcloud logging read`` for a deployed environment, oldest line first.

    ``follow``: ``gcloud beta logging tail`` instead, which streams new lines.
    """
    query = cloud_filter(target, services, job)
    verb = ["beta", "logging", "tail"] if follow else ["logging", "read"]
    argv = ["gcloud", *verb, query]
    if target.project:
        argv.append(f"--project={target.project}")
    if not follow:
        argv += [f"--freshness={freshness}", "--order=asc"]
    argv.append(
        "--format=table(timestamp,resource.labels.service_name,severity,jsonPayload.message)"
    )
    return argv


def shell_line(argv: Sequence[str]) -> str:
    """The command as a line to paste into a shell."""
    return shlex.join(argv)
