"""Drive the local stack as a user would, timing uploads to outputs by the storage clock.

The time an output appeared is its ``timeCreated`` as the storage emulator
stamped it (same machine, same clock as ours), so polling can be slow and
cheap: a tight polling loop would itself take CPU from the pipeline it
measures on these two shared cores.
"""

from __future__ import annotations

import json
import os
import posixpath
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dropcast_bench.measure import BenchError
from dropcast_cli import localclient
from dropcast_cli import stack as local_stack
from dropcast_common import naming

POLL_SECONDS = 0.25


@contextmanager
def running_stack(home: Path, env: Mapping[str, str] | None = None) -> Iterator[Path]:
    """Start a stack in ``home`` and always stop it."""
    try:
        local_stack.up(home, env=env)
        yield home
    finally:
        local_stack.down(home)


def cpu_by_service(info: local_stack.StackInfo) -> dict[str, float]:
    """CPU seconds so far of each stack process group (a service with its pool, an emulator).

    Sums user + system time of every live member of each group, plus what
    members have collected from children they waited for (cmdstan runs), from
    /proc; empty where /proc is missing.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    totals = dict.fromkeys(info.pids, 0.0)
    groups = {pgid: name for name, pgid in info.pids.items()}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended while we looked
        # After the command: state, ppid, pgrp, ... utime(12) stime cutime cstime.
        name = groups.get(int(fields[2]))
        if name is not None:
            totals[name] += sum(int(x) for x in fields[11:15]) / ticks
    return totals


@dataclass(frozen=True)
class Arrival:
    """One upload's output: when it appeared (epoch seconds), the report's timings and summary."""

    name: str
    created: float
    timings: dict[str, float]
    summary: dict[str, Any]


def _bucket(info: local_stack.StackInfo, kind: str) -> Any:
    # The stack's own endpoint, not the environment: several stacks may run in one process.
    return localclient.client(info).bucket(info.buckets[kind])


def upload(
    info: local_stack.StackInfo, source: Path, name: str, metadata: dict[str, str] | None = None
) -> float:
    """Upload ``source`` as ``name``; returns the epoch time just before the upload began."""
    started = time.time()
    localclient.upload(info, source, name, metadata)
    return started


def wait_for_outputs(
    info: local_stack.StackInfo, names: Iterable[str], timeout: float, since: float = 0.0
) -> dict[str, Arrival]:
    """Wait for every upload's ``<stem>.csv``; BenchError if one gets an error report.

    ``since`` (epoch seconds): only outputs created after it count, for a
    name uploaded again (the older upload's output is still there).
    """
    bucket = _bucket(info, "output")
    stems = {name: naming.output_stem(name) for name in names}
    pending = dict(stems)
    arrived: dict[str, Arrival] = {}
    prefix = posixpath.commonpath(list(stems.values()))
    deadline = time.monotonic() + timeout
    while pending:
        if time.monotonic() > deadline:
            raise BenchError(
                f"{len(pending)} of {len(stems)} uploads had no output after {timeout:.0f}s "
                f"(e.g. {next(iter(pending))}); see the service logs in {info.logs}"
            )
        present = {blob.name: blob for blob in bucket.list_blobs(prefix=prefix)}
        for name, stem in list(pending.items()):
            error = present.get(f"{stem}.error.json")
            if error is not None and error.time_created.timestamp() > since:
                body = present[f"{stem}.error.json"].download_as_bytes()
                raise BenchError(f"{name} was rejected: {body[:300]!r}")
            csv = present.get(f"{stem}.csv")
            if csv is None or csv.time_created.timestamp() <= since:
                continue
            report = json.loads(present[f"{stem}.report.json"].download_as_bytes())
            created = csv.time_created.timestamp()
            arrived[name] = Arrival(name, created, report["timings"], report["summary"])
            del pending[name]
        if pending:
            time.sleep(POLL_SECONDS)
    return arrived
