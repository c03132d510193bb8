"""How many CPUs this process may really use: affinity and the cgroup CPU quota.

``os.cpu_count()`` reports the host's CPUs; a container on Cloud Run (or
any cgroup-limited process) may use far fewer, and starting more workers
than that only adds contention. The quota is read from cgroup v2
(``cpu.max``) or v1 (``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``), for the
process's own cgroup and its ancestors; the smallest limit wins.

Why not loky's ``cpu_count()`` (joblib's), which also caps by the quota: it
reads only the fixed files ``/sys/fs/cgroup/cpu.max`` and
``/sys/fs/cgroup/cpu/cpu.cfs_quota_us``, the root of the cgroup mount. That is
right inside a container with its own cgroup namespace (Cloud Run, Docker),
where both give the same answer (2 on this project's machines), but misses a
quota on the process's own cgroup below that root (a systemd service's
``CPUQuota=``, a batch job's slice; ``test_cgroup_v2_quota_caps_the_affinity``)
or on an ancestor, and a v1 hierarchy mounted as ``cpu,cpuacct`` without the
``cpu`` link. Those are the cases this module exists for, in 60 lines and no
dependency.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_CGROUP = Path("/proc/self/cgroup")


def available_cpus(
    *,
    affinity: set[int] | None = None,
    cgroup_root: Path = CGROUP_ROOT,
    proc_cgroup: Path = PROC_CGROUP,
) -> int:
    """CPUs this process can use: its affinity mask capped by the cgroup quota (at least 1)."""
    cpus = len(affinity if affinity is not None else os.sched_getaffinity(0))
    quota = cgroup_cpu_limit(cgroup_root, proc_cgroup)
    if quota is not None:
        # A fractional quota (1.5 CPUs) still keeps two workers busy part of the time.
        cpus = min(cpus, math.ceil(quota))
    return max(1, cpus)


def cgroup_cpu_limit(
    cgroup_root: Path = CGROUP_ROOT, proc_cgroup: Path = PROC_CGROUP
) -> float | None:
    """The CPU quota in CPUs (``2.0`` for 200 ms per 100 ms), or None when unlimited."""
    try:
        lines = proc_cgroup.read_text().splitlines()
    except OSError:
        return None
    limits: list[float] = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            limits += _limits_v2(cgroup_root, path)
        elif "cpu" in controllers.split(","):
            limits += _limits_v1(cgroup_root, controllers, path)
    return min(limits) if limits else None


def _ancestors(base: Path, path: str) -> list[Path]:
    """``base/a/b``, ``base/a``, ``base``: a limit on any ancestor applies too."""
    parts = [p for p in path.split("/") if p]
    return [base.joinpath(*parts[:i]) for i in range(len(parts), -1, -1)]


def _limits_v2(root: Path, path: str) -> list[float]:
    limits = []
    for folder in _ancestors(root, path):
        try:
            quota, period = (folder / "cpu.max").read_text().split()[:2]
        except (OSError, ValueError):
            continue
        if quota != "max" and float(period) > 0:
            limits.append(float(quota) / float(period))
    return limits


def _limits_v1(root: Path, controllers: str, path: str) -> list[float]:
    limits = []
    for mount in {root / controllers, root / "cpu", root / "cpu,cpuacct"}:
        for folder in _ancestors(mount, path):
            try:
                quota = float((folder / "cpu.cfs_quota_us").read_text())
                period = float((folder / "cpu.cfs_period_us").read_text())
            except (OSError, ValueError):
                continue
            if quota > 0 and period > 0:
                limits.append(quota / period)
    return limits
