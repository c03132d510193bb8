"""B5 cold start: process start to a 200 on ``/healthz``, per service, and import times.

Each service is started as the stack and the images start it (``python -m
uvicorn --factory dropcast_<name>.main:app``) on a free loopback port with
the stack's environment; the baseline is a bare FastAPI app started the
same way, i.e. what Python, uvicorn and FastAPI cost before any dropcast
code. Import time is ``import dropcast_<name>.main`` in a fresh
interpreter; ``-X importtime`` says which packages it goes to. The first
forecast of a fresh process, numba's cache cold and as the image bakes it,
is :mod:`dropcast_bench.first_forecast`.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from dropcast_bench import first_forecast
from dropcast_bench.data import hyndsight
from dropcast_bench.measure import ROOT, BenchError, median, run_measured
from dropcast_bench.results import Check, Outcome, ratio
from dropcast_bench.scale import Scale
from dropcast_cli.procs import LOOPBACK, free_port

TITLE = "cold start"
SERVICES = ("ingest", "forecast")
TARGET_SECONDS = 3.0
_POLL_SECONDS = 0.01
_START_TIMEOUT = 60.0
# A warmed cache must not make the first forecast slower; the margin is
# the run-to-run noise of one fresh process on a shared machine.
FIRST_FORECAST_NOISE = 0.15
# Packages listed as where import time goes.
_TOP_PACKAGES = 6


def run(scale: Scale, work: Path, env: Mapping[str, str]) -> Outcome:
    """Measure B5: ``env`` is the services' environment (the stack's ``service_env``)."""
    apps = {"bare FastAPI": "dropcast_bench.bare_app:app"}
    apps.update({name: f"dropcast_{name}.main:app" for name in SERVICES})
    starts: dict[str, list[float]] = {label: [] for label in apps}
    for _ in range(scale.b5_starts):
        for label, target in apps.items():
            starts[label].append(start_to_healthy(target, env, work / f"{label}.log"))
    start = {label: median(values) for label, values in starts.items()}
    imports = {
        name: median([import_seconds(f"dropcast_{name}.main") for _ in range(scale.b5_starts)])
        for name in SERVICES
    }
    bare = start["bare FastAPI"]
    first = first_forecast.measure(hyndsight(), work / "first-forecast")
    checks = [
        Check(
            f"{name}: start to healthy",
            start[name],
            "s",
            "<=",
            TARGET_SECONDS,
            f"{name} {start[name]:.2f} s (imports {imports[name]:.2f} s)",
            f"bare FastAPI {bare:.2f} s",
        )
        for name in SERVICES
    ]
    checks.append(
        Check(
            "forecast: first forecast of a fresh process, numba cache warmed vs cold",
            ratio(first["warmed"]["wall_seconds"], first["cold"]["wall_seconds"]),
            "x",
            "<=",
            1.0 + FIRST_FORECAST_NOISE,
            f"warmed {first['warmed']['wall_seconds']:.2f} s "
            f"({len(first['warmed']['numba_compilations'])} numba compilations)",
            f"cold {first['cold']['wall_seconds']:.2f} s "
            f"({len(first['cold']['numba_compilations'])} numba compilations)",
        )
    )
    return Outcome(
        "B5",
        TITLE,
        checks,
        {
            "starts_seconds": starts,
            "ratio_to_bare_app": {name: ratio(start[name], bare) for name in SERVICES},
            "import_seconds": imports,
            "import_time_by_package_ms": {
                name: heaviest_imports(f"dropcast_{name}.main") for name in SERVICES
            },
            # dropcast forecast of the reference file in a new process (model=auto).
            "first_forecast": first,
        },
    )


def start_to_healthy(target: str, env: Mapping[str, str], log: Path) -> float:
    """Seconds from spawning uvicorn with ``target`` to its first 200 on /healthz."""
    port = free_port()
    log.parent.mkdir(parents=True, exist_ok=True)
    args = [sys.executable, "-m", "uvicorn", "--factory", target, "--host", LOOPBACK]
    args += ["--port", str(port), "--no-access-log"]
    with log.open("ab") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        while time.perf_counter() - started < _START_TIMEOUT:
            if _healthy(port):
                return time.perf_counter() - started
            if proc.poll() is not None:
                raise BenchError(f"{target} exited {proc.returncode} before healthy; see {log}")
            time.sleep(_POLL_SECONDS)
        raise BenchError(f"{target} not healthy after {_START_TIMEOUT:.0f}s; see {log}")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _healthy(port: int) -> bool:
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=1)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def import_seconds(module: str) -> float:
    """Seconds to import ``module`` in a fresh interpreter (after the interpreter's own start)."""
    code = (
        "import time; started = time.perf_counter(); "
        f"import {module}; print(time.perf_counter() - started)"
    )
    return float(run_measured([sys.executable, "-c", code]).stdout.strip().splitlines()[-1])


def heaviest_imports(module: str) -> dict[str, float]:
    """Milliseconds of import per top-level package when importing ``module`` (largest first)."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return _by_package(proc.stderr)


def _by_package(importtime: str) -> dict[str, float]:
    """Largest cumulative import time per third-party package, from ``-X importtime`` output."""
    totals: dict[str, float] = {}
    for line in importtime.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue  # the header line
        package = parts[2].strip().split(".")[0]
        if package.startswith("dropcast_"):
            continue  # our own packages include everything they import
        totals[package] = max(totals.get(package, 0.0), int(parts[1]) / 1000)
    ranked = sorted(totals.items(), key=lambda item: -item[1])[:_TOP_PACKAGES]
    return {package: round(ms, 1) for package, ms in ranked}
