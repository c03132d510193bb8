"""B4 burst: many files uploaded at once on the stack; time to the last output.

The baseline is what perfect parallelism would give: the files' count times
one file's one-shot compute (normalise, forecast, outputs, in this process,
warm), divided by the cores the forecast service can use.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from dropcast_bench.data import hyndsight
from dropcast_bench.measure import median
from dropcast_bench.onstack import cpu_by_service, upload, wait_for_outputs
from dropcast_bench.results import Check, Outcome, ratio
from dropcast_bench.scale import Scale
from dropcast_cli import oneshot
from dropcast_cli import stack as local_stack
from dropcast_forecasting.pool.cpus import available_cpus

TITLE = "burst"
# Uploads in flight at once: a client pushing a folder of files.
UPLOADERS = 16
ONESHOT_RUNS = 3


def run(scale: Scale, work: Path, home: Path) -> Outcome:
    """Measure B4 on the stack running in ``home``; one-shot outputs go under ``work``."""
    info = local_stack.read(home)
    source = hyndsight()
    per_file = oneshot_seconds(source, work)
    cores = available_cpus()
    ideal = scale.b4_files * per_file / cores

    # A warm service, as in B3: its first job pays for imports the burst must not.
    warm_up = "bench/b4/warm-up.csv"
    upload(info, source, warm_up)
    wait_for_outputs(info, [warm_up], 300)
    names = [f"bench/b4/file-{k:03d}.csv" for k in range(scale.b4_files)]
    cpu_before = cpu_by_service(info)
    started = time.time()
    with ThreadPoolExecutor(UPLOADERS) as pool:
        list(pool.map(lambda name: upload(info, source, name), names))
    uploaded = time.time() - started
    arrivals = wait_for_outputs(info, names, timeout=max(600.0, 20 * ideal))
    last = max(a.created for a in arrivals.values()) - started
    cpu = {k: v - cpu_before.get(k, 0.0) for k, v in cpu_by_service(info).items()}
    latencies = sorted(a.created - started for a in arrivals.values())
    return Outcome(
        "B4",
        TITLE,
        [
            Check(
                f"{scale.b4_files} files at once: last output vs ideal",
                ratio(last, ideal),
                "x",
                "<=",
                1.5,
                f"last output after {last:.1f} s",
                f"{scale.b4_files} x {per_file:.2f} s / {cores} cores = {ideal:.1f} s",
            )
        ],
        {
            "files": scale.b4_files,
            "cores": cores,
            "oneshot_seconds_per_file": per_file,
            "upload_seconds": uploaded,
            "first_output_seconds": latencies[0],
            "median_output_seconds": median(latencies),
            # Where the burst's CPU went: the stack's processes, against the
            # one-shot compute the baseline assumes.
            "stack_cpu_seconds": cpu,
            "stack_cpu_seconds_per_file": sum(cpu.values()) / scale.b4_files,
        },
    )


def oneshot_seconds(source: Path, work: Path) -> float:
    """Median seconds of the one-shot path on ``source`` in this process, after a warm-up run."""
    runs = []
    for k in range(ONESHOT_RUNS + 1):
        started = time.perf_counter()
        result = oneshot.run(source, work / f"oneshot-{k}", [])
        runs.append(time.perf_counter() - started)
        if not result.ok:
            raise RuntimeError(f"one-shot forecast of {source} failed: {result.error}")
    return median(runs[1:])
