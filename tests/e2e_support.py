"""What the e2e tests that run a stack of their own ask of it: jobs, statuses, log lines."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from dropcast_cli import localclient
from dropcast_cli import stack as local_stack
from dropcast_common import naming
from dropcast_common.status import JobStatus


def storage(info: local_stack.StackInfo) -> Any:
    """The storage client pointed at the stack's fake-gcs-server."""
    return localclient.client(info)


def job_of(info: local_stack.StackInfo, name: str) -> str:
    """The job of the live generation of an uploaded object."""
    blob = storage(info).bucket(info.buckets["input"]).get_blob(name)
    return naming.job_id(info.buckets["input"], name, int(blob.generation))


def status_of(info: local_stack.StackInfo, job: str) -> JobStatus | None:
    """A job's status object, or None before ingest wrote one."""
    blob = storage(info).bucket(info.buckets["staging"]).get_blob(naming.status_object(job))
    return None if blob is None else JobStatus.model_validate_json(blob.download_as_bytes())


def wait_final(info: local_stack.StackInfo, job: str, timeout: float) -> JobStatus:
    """The job's status once it is final (done, failed, superseded); fails after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = status_of(info, job)
        if status is not None and status.final:
            return status
        time.sleep(0.3)
    raise AssertionError(f"job {job} not final after {timeout}s: {status_of(info, job)}")


def log_lines(info: local_stack.StackInfo, service: str, job: str, text: str) -> list[str]:
    """A service's log lines about ``job`` that contain ``text``."""
    lines = Path(info.logs[service]).read_text(errors="replace").splitlines()
    return [line for line in lines if f"job_id={job}" in line and text in line]
