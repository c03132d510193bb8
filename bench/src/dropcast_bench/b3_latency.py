"""B3 latency: hyndsight uploaded again and again on the warm stack, upload to output.

Each upload gets its own object name (a new job), one after the other. The
first upload is a warm-up (the forecast service starts its worker pool on
its first job) and is reported apart. Pipeline overhead is an upload's
latency minus the forecast compute its report records
(``timings.forecast_seconds``): ingest, Pub/Sub, staging, assembly,
chart and report writing.
"""

from __future__ import annotations

from pathlib import Path

from dropcast_bench.data import hyndsight
from dropcast_bench.measure import median
from dropcast_bench.onstack import upload, wait_for_outputs
from dropcast_bench.results import Check, Outcome, ratio
from dropcast_bench.scale import Scale
from dropcast_cli import stack as local_stack

TITLE = "latency"
TIMEOUT = 300.0


def run(scale: Scale, home: Path) -> Outcome:
    """Measure B3 on the stack running in ``home``."""
    info = local_stack.read(home)
    source = hyndsight()
    warm_up = "bench/b3/warm-up.csv"
    started = upload(info, source, warm_up)
    first = wait_for_outputs(info, [warm_up], TIMEOUT)[warm_up].created - started
    latencies, computes = [], []
    timings = []
    for k in range(scale.b3_uploads):
        name = f"bench/b3/run-{k:02d}.csv"
        started = upload(info, source, name)
        arrival = wait_for_outputs(info, [name], TIMEOUT)[name]
        latencies.append(arrival.created - started)
        computes.append(arrival.timings["forecast_seconds"])
        timings.append(arrival.timings)
    overheads = [lat - comp for lat, comp in zip(latencies, computes, strict=True)]
    latency, compute, overhead = median(latencies), median(computes), median(overheads)
    return Outcome(
        "B3",
        TITLE,
        [
            Check(
                "median upload → output",
                latency,
                "s",
                "<=",
                2.0,
                f"median of {len(latencies)}: {latency:.2f} s",
                f"forecast compute {compute:.2f} s (report)",
            ),
            Check(
                "median pipeline overhead",
                overhead,
                "s",
                "<=",
                0.5,
                f"latency - compute {overhead:.2f} s",
                f"forecast compute {compute:.2f} s",
            ),
        ],
        {
            "uploads": len(latencies),
            "latencies_seconds": latencies,
            "compute_seconds": computes,
            "overhead_seconds": overheads,
            "latency_over_compute": ratio(latency, compute),
            "first_upload_seconds": first,
            "report_timings": timings,
        },
    )
