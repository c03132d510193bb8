"""B6 fan-out: a file of many series through the sharded stack vs the one-shot command.

The ingest service is restarted with a series-per-shard cap so the file
splits into several shards (work messages) that the forecast service
computes concurrently and assembles once. The baseline is ``dropcast
forecast`` on the same file, as its own process.

Both sides forecast without interval sampling (``uncertainty_samples=0``,
as object metadata and as ``--param``): the figure is the cost of fanning
out, which the model's own cost per series only dilutes, and without
sampling 2,000 series fit in the suite's time budget.
"""

from __future__ import annotations

from pathlib import Path

from dropcast_bench.data import long_csv
from dropcast_bench.measure import python_module, run_measured
from dropcast_bench.onstack import upload, wait_for_outputs
from dropcast_bench.results import Check, Outcome, ratio
from dropcast_bench.scale import Scale
from dropcast_cli import stack as local_stack
from dropcast_common.params import METADATA_PREFIX

TITLE = "fan-out"
TIMEOUT = 1800.0
PARAMS = {"uncertainty_samples": "0"}


def run(scale: Scale, work: Path, home: Path) -> Outcome:
    """Measure B6 on the stack running in ``home``; inputs and one-shot outputs under ``work``."""
    data = long_csv(work / "fanout.csv", scale.b6_series, scale.b6_days, seed=6)
    cap = {"DROPCAST_MAX_SERIES_PER_SHARD": str(scale.b6_shard)}
    info = local_stack.restart("ingest", home, env=cap)
    name = "bench/b6/fanout.csv"
    metadata = {f"{METADATA_PREFIX}{key}": value for key, value in PARAMS.items()}
    started = upload(info, data, name, metadata)
    arrival = wait_for_outputs(info, [name], TIMEOUT)[name]
    sharded = arrival.created - started
    pairs = [arg for key, value in PARAMS.items() for arg in ("-p", f"{key}={value}")]
    out = str(work / "oneshot")
    oneshot = run_measured(python_module("dropcast_cli", "forecast", str(data), "-o", out, *pairs))
    return Outcome(
        "B6",
        TITLE,
        [
            Check(
                f"{scale.b6_series:,} series, sharded stack vs one-shot",
                ratio(sharded, oneshot.wall),
                "x",
                "<=",
                1.25,
                f"stack {sharded:.1f} s, {arrival.timings.get('shards', 1):.0f} shards",
                f"dropcast forecast {oneshot.wall:.1f} s",
            )
        ],
        {
            "series": scale.b6_series,
            "days": scale.b6_days,
            "series_per_shard": scale.b6_shard,
            "params": PARAMS,
            "stack_report_timings": arrival.timings,
            "oneshot_cpu_seconds": oneshot.cpu,
        },
    )
