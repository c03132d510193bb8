"""Timers, CPU and memory accounting, and a description of the machine.

Heavy work runs in a child process started here: ``os.wait4`` then gives
that child's own CPU time and peak RSS, including every process it waited
for (pool workers, cmdstan), without counting anything else on this shared
machine.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]  # the repository: bench/src/dropcast_bench/ is 3 down
# Polling a child this often costs nothing measurable and bounds the wall error.
_POLL_SECONDS = 0.005
LIBRARIES = (
    "prophet",
    "cmdstanpy",
    "numpy",
    "pandas",
    "pyarrow",
    "fastapi",
    "uvicorn",
    "matplotlib",
    "google-cloud-storage",
    "google-cloud-pubsub",
)


class BenchError(RuntimeError):
    """A benchmark could not run (a child failed, an output never came)."""


@dataclass(frozen=True)
class Measured:
    """One child process: wall seconds, CPU seconds (user + system), peak RSS, its stdout."""

    wall: float
    cpu: float
    max_rss_mib: float
    stdout: str

    def json(self) -> Any:
        """The child's stdout parsed as JSON (its last line: earlier ones may be chatter)."""
        lines = [line for line in self.stdout.splitlines() if line.strip()]
        if not lines:
            raise BenchError("the child printed nothing; expected a JSON line")
        return json.loads(lines[-1])


def run_measured(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 1800.0,
) -> Measured:
    """Run ``args`` from the repository root; raise BenchError unless it exits 0."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(args),
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        status, usage = _wait(proc, timeout)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        tail = "\n".join(stderr.strip().splitlines()[-15:])
        raise BenchError(f"{' '.join(args[:4])} ... exited {code}:\n{tail}")
    # Linux reports ru_maxrss in KiB.
    return Measured(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, stdout)


def _wait(proc: subprocess.Popen[bytes], timeout: float) -> tuple[int, Any]:
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)  # reaped: Popen must not wait
            return status, usage
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise BenchError(f"{proc.args!r} still running after {timeout:.0f}s: killed")
        time.sleep(_POLL_SECONDS)


def python_module(module: str, *args: str) -> list[str]:
    """The command line that runs ``python -m module args`` with this interpreter."""
    return [sys.executable, "-m", module, *args]


def cpu_seconds() -> float:
    """CPU seconds of this process and of its children that have been waited for."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def rss_mib() -> float:
    """This process's resident memory now (from /proc; 0 where that is missing)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def median(values: Sequence[float]) -> float:
    """The median (of at least one value)."""
    return float(statistics.median(values))


def load_average() -> list[float]:
    """1, 5 and 15 minute load averages (what else was running on the machine)."""
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, Any]:
    """Cores, memory, CPU model, Python and library versions: the context of every figure."""
    from dropcast_forecasting.model import versions as model_versions
    from dropcast_forecasting.pool.cpus import available_cpus

    return {
        "cpu_model": _cpu_model(),
        "cores_online": os.cpu_count(),
        "cores_usable": available_cpus(),
        "memory_gib": round(_memory_kib() / 1024 / 1024, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "libraries": {name: _version(name) for name in LIBRARIES},
        "cmdstan": model_versions()["cmdstan"],
    }


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_kib() -> int:
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1])
    return 0


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"
