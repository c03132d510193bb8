"""The first forecast of a fresh instance, numba's on-disk cache cold and as the image bakes it.

statsforecast compiles its numba functions on first use, into
``NUMBA_CACHE_DIR`` when ``NIXTLA_NUMBA_CACHE`` is set. The forecast image
sets both and runs a warm-up at build time (``services/Dockerfile``); this
module reads that step from the Dockerfile (one source of truth), runs it
into a fresh cache directory, and times a fresh process forecasting one
file (the reference dataset, the default ``model=auto``) against the same
process with an empty cache. The child also counts numba compilations
(numba's ``numba:compile`` event), which says what a cache could save.

Child: ``python -m dropcast_bench.first_forecast FILE OUTDIR``.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
from pathlib import Path
from typing import Any

from dropcast_bench.measure import ROOT, BenchError, run_measured

DOCKERFILE = ROOT / "services" / "Dockerfile"


def image_warm_up() -> tuple[dict[str, str], list[str]]:
    """The image's numba environment (its ENV line) and warm-up command (its ``python -c``)."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    env_line = re.search(r"^ENV (.*NUMBA_CACHE_DIR=.*)$", text, re.M)
    code = re.search(r'python -c "([^"]*warm_up[^"]*)"', text)
    if env_line is None or code is None:
        raise BenchError(f"{DOCKERFILE} has no numba cache step (ENV NUMBA_CACHE_DIR, warm_up)")
    env = dict(pair.split("=", 1) for pair in shlex.split(env_line.group(1)))
    return env, [sys.executable, "-c", code.group(1)]


def measure(source: Path, work: Path) -> dict[str, Any]:
    """Wall and CPU seconds of a fresh process's first forecast, numba cache cold and warmed."""
    env, warm_up = image_warm_up()
    out: dict[str, Any] = {}
    for label in ("cold", "warmed"):
        cache = work / f"numba-{label}"
        cache.mkdir(parents=True, exist_ok=True)
        child_env = {**env, "NUMBA_CACHE_DIR": str(cache)}
        if label == "warmed":
            run_measured(warm_up, env=child_env)  # the image's build step
        child = [sys.executable, "-m", __name__, str(source), str(work / f"out-{label}")]
        run = run_measured(child, env=child_env)
        out[label] = {
            "wall_seconds": run.wall,
            "cpu_seconds": run.cpu,
            "numba_compilations": run.json()["compiled"],
            "cache_files": sum(1 for f in cache.rglob("*") if f.is_file()),
        }
    return out


def main(argv: list[str] | None = None) -> None:
    """Forecast one file as ``dropcast forecast`` does, counting numba compilations."""
    from numba.core import event

    source, outdir = (Path(a) for a in (argv or sys.argv[1:]))
    compiled: list[str] = []

    class Compilations(event.Listener):
        def on_start(self, ev: Any) -> None:
            compiled.append(str(ev.data["dispatcher"].py_func.__qualname__))

        def on_end(self, ev: Any) -> None:
            """Nothing to do: numba's Listener wants both; a compilation counts at its start."""

    event.register("numba:compile", Compilations())  # type: ignore[no-untyped-call]
    from dropcast_cli import oneshot

    result = oneshot.run(source, outdir, [])
    if not result.ok:
        raise SystemExit(f"forecast failed: {result.error}")
    print(json.dumps({"compiled": compiled}))


if __name__ == "__main__":
    main()
