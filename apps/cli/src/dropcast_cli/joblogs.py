"""``dropcast logs``: a job's log lines, from the local stack's files or from Cloud Logging.

Every line a service writes about a job carries its ``job_id`` (text:
``[job_id=… …]``; JSON: a ``job_id`` field), so one filter follows a job
from its notification through ingest and every shard to assembly.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from dropcast_cli.targets import SERVICES, Target

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
    keep = False
    for raw in lines:
        line = raw.rstrip("\n")
        if line.startswith(CONTINUATION):
            if keep:
                yield line
            continue
        keep = job is None or belongs_to(line, job)
        if keep:
            yield line


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
    target: Target, services: Sequence[str], job: str | None, freshness: str = "1d"
) -> list[str]:
    """``gcloud logging read`` for a deployed environment, oldest line first."""
    argv = ["gcloud", "logging", "read", cloud_filter(target, services, job)]
    if target.project:
        argv.append(f"--project={target.project}")
    argv += [
        f"--freshness={freshness}",
        "--order=asc",
        "--format=table(timestamp,resource.labels.service_name,severity,jsonPayload.message)",
    ]
    return argv


def shell_line(argv: Sequence[str]) -> str:
    """The command as a line to paste into a shell."""
    return shlex.join(argv)
