"""Run the benchmark suite, write ``bench-results/`` (JSON + markdown) and print the table.

``python -m dropcast_bench [--quick] [--only B1,B3] [--out DIR]``. The exit status
is 1 only when a benchmark could not run; a missed target is a finding for
the table, never a failure (these machines are shared and noisy).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dropcast_bench import (
    b1_many_series,
    b2_ingest,
    b3_latency,
    b4_burst,
    b5_cold_start,
    b6_fanout,
    b7_refit,
)
from dropcast_bench.measure import ROOT, load_average, machine
from dropcast_bench.onstack import running_stack
from dropcast_bench.profile import profile_all
from dropcast_bench.results import Outcome, markdown, write
from dropcast_bench.scale import FULL, QUICK, Scale
from dropcast_cli import stack as local_stack

ALL = ("B1", "B2", "B3", "B4", "B5", "B6", "B7")
TITLES = {
    "B1": b1_many_series.TITLE,
    "B2": b2_ingest.TITLE,
    "B3": b3_latency.TITLE,
    "B4": b4_burst.TITLE,
    "B5": b5_cold_start.TITLE,
    "B6": b6_fanout.TITLE,
    "B7": b7_refit.TITLE,
}
# These share one local stack, started once; the rest need no emulators.
ON_STACK = ("B3", "B4", "B5", "B7", "B6")


def run_suite(
    scale: Scale, only: tuple[str, ...] = ALL, work: Path | None = None
) -> dict[str, Any]:
    """Run the selected benchmarks; returns the JSON document (machine, load, outcomes)."""
    started = time.perf_counter()
    document: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": scale.quick,
        "machine": machine(),
        "load_before": load_average(),
    }
    scratch = Path(tempfile.mkdtemp(prefix="dropcast-bench-", dir=work))
    outcomes: dict[str, Outcome] = {}
    try:
        plain: dict[str, Callable[[], Outcome]] = {
            "B1": lambda: b1_many_series.run(scale, scratch / "b1"),
            "B2": lambda: b2_ingest.run(scale, scratch / "b2"),
        }
        for key in (k for k in ALL if k in only and k in plain):
            outcomes[key] = attempt(key, plain[key])
        wanted = [k for k in ON_STACK if k in only]
        if wanted:
            document["stack_error"] = _on_stack(scale, scratch, wanted, outcomes)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    document["load_after"] = load_average()
    document["seconds"] = time.perf_counter() - started
    document["outcomes"] = [outcomes[k].as_dict() for k in ALL if k in outcomes]
    document["table"] = markdown([outcomes[k] for k in ALL if k in outcomes])
    return document


def _on_stack(
    scale: Scale, scratch: Path, wanted: list[str], outcomes: dict[str, Outcome]
) -> str | None:
    """Run ``wanted`` on one stack into ``outcomes``; the stack's own failure, if any."""
    home = scratch / "stack"
    try:
        with running_stack(home):
            env = local_stack.read(home).service_env
            steps: dict[str, Callable[[], Outcome]] = {
                "B3": lambda: b3_latency.run(scale, home),
                "B4": lambda: b4_burst.run(scale, scratch / "b4", home),
                "B5": lambda: b5_cold_start.run(scale, scratch / "b5", env),
                "B7": lambda: b7_refit.run(scale, scratch / "b7", home),
                # Last: it restarts ingest with a shard cap.
                "B6": lambda: b6_fanout.run(scale, scratch / "b6", home),
            }
            for key in wanted:
                outcomes[key] = attempt(key, steps[key])
    except Exception:
        # The stack failed to start (every benchmark on it says so) or to stop.
        error = traceback.format_exc()
        for key in wanted:
            outcomes.setdefault(key, Outcome(key, TITLES[key], error=error))
        return error
    return None


def attempt(key: str, bench: Callable[[], Outcome]) -> Outcome:
    """Run one benchmark; an exception becomes its outcome's error instead of ending the run."""
    print(f"{key} {TITLES[key]} ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    try:
        outcome = bench()
    except Exception:
        outcome = Outcome(key, TITLES[key], error=traceback.format_exc())
    outcome.seconds = time.perf_counter() - started
    state = "failed" if outcome.error else "done"
    print(f"{key} {state} in {outcome.seconds:.0f}s", file=sys.stderr, flush=True)
    return outcome


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m dropcast_bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: proves the suite runs")
    parser.add_argument("--only", default=",".join(ALL), help="comma-separated, e.g. B1,B3")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results", help="results folder")
    parser.add_argument(
        "--profile", action="store_true", help="then profile (needs pyinstrument and py-spy)"
    )
    args = parser.parse_args(argv)
    only = tuple(key.strip().upper() for key in args.only.split(",") if key.strip())
    unknown = sorted(set(only) - set(ALL))
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(ALL)}")
    document = run_suite(QUICK if args.quick else FULL, only)
    stamp = document["started"].replace(":", "").replace("-", "")
    kind = "quick" if args.quick else "full"
    for name in (f"{kind}-{stamp}.json", f"{kind}-latest.json"):
        write(args.out / name, document)
    (args.out / f"{kind}-latest.md").write_text(document["table"])
    print(document["table"])
    print(
        f"{kind} run: {document['seconds']:.0f}s; load average before "
        f"{document['load_before']}, after {document['load_after']}; "
        f"results in {args.out}"
    )
    if args.profile:
        with tempfile.TemporaryDirectory(prefix="dropcast-profile-") as scratch:
            for path in profile_all(args.out, Path(scratch), args.quick):
                print(f"profile: {path}")
    failed = [o for o in document["outcomes"] if o["error"]]
    for outcome in failed:
        print(f"\n{outcome['id']} did not run:\n{outcome['error']}", file=sys.stderr)
    if document.get("stack_error"):
        print(f"\nthe local stack failed:\n{document['stack_error']}", file=sys.stderr)
    return 1 if failed or document.get("stack_error") else 0
