"""B2 ingest: normalise + canonical Parquet against Arrow's own CSV read + Parquet write.

Each side runs in its own process, timed from after its imports; the peak
RSS comes from ``wait4`` and the RSS after imports from the child itself,
so memory is shown both whole-process and above the libraries' own.
Both write zstd Parquet, as the canonical table does. Each side's time is
also split into reading (to a table or frame) and writing Parquet.

Child: ``python -m dropcast_bench.b2_ingest {dropcast,arrow} FILE``.
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import time
from pathlib import Path
from typing import Any

from dropcast_bench.data import long_csv
from dropcast_bench.measure import median, python_module, rss_mib, run_measured
from dropcast_bench.results import Check, Outcome, ratio
from dropcast_bench.scale import Scale

TITLE = "ingest"
SIDES = ("dropcast", "arrow")
# The 1x file is timed this many times (the median counts); it takes seconds.
TIMED_RUNS = 3


def run(scale: Scale, work: Path) -> Outcome:
    """Measure B2 at ``scale`` with inputs under ``work``."""
    small = long_csv(work / "long.csv", scale.b2_series, scale.b2_days, seed=2)
    rows = scale.b2_series * scale.b2_days
    runs = 1 if scale.quick else TIMED_RUNS
    timed: dict[str, list[dict[str, Any]]] = {side: [] for side in SIDES}
    for _ in range(runs):
        for side in SIDES:
            timed[side].append(_job(side, small))
    seconds = {side: median([r["seconds"] for r in timed[side]]) for side in SIDES}
    phases = {
        side: {
            phase: median([r[phase] for r in timed[side]])
            for phase in ("read_seconds", "write_seconds")
        }
        for side in SIDES
    }

    large = long_csv(
        work / "long-large.csv", scale.b2_series * scale.b2_growth, scale.b2_days, seed=2
    )
    grown = {side: _job(side, large) for side in SIDES}
    large.unlink()
    first = {side: timed[side][0] for side in SIDES}
    growth = ratio(grown["dropcast"]["peak_rss_mib"], first["dropcast"]["peak_rss_mib"])
    above = {
        side: ratio(_above_imports(grown[side]), _above_imports(first[side])) for side in SIDES
    }
    return Outcome(
        "B2",
        TITLE,
        [
            Check(
                f"time vs Arrow read + write, {rows:,} rows",
                ratio(seconds["dropcast"], seconds["arrow"]),
                "x",
                "<=",
                1.5,
                f"dropcast {seconds['dropcast']:.2f} s",
                f"Arrow {seconds['arrow']:.2f} s",
            ),
            Check(
                f"peak memory growth, {scale.b2_growth}x the rows",
                growth,
                "x",
                "<=",
                2.0,
                f"dropcast {first['dropcast']['peak_rss_mib']:.0f} → "
                f"{grown['dropcast']['peak_rss_mib']:.0f} MiB",
                f"Arrow {first['arrow']['peak_rss_mib']:.0f} → "
                f"{grown['arrow']['peak_rss_mib']:.0f} MiB",
            ),
        ],
        {
            "rows": rows,
            "rows_large": rows * scale.b2_growth,
            "file_mib": small.stat().st_size / 2**20,
            "seconds_median": seconds,
            "phases_median": phases,
            "runs": timed,
            "large": grown,
            "growth_above_imports": above,
            "large_seconds_ratio": ratio(grown["dropcast"]["seconds"], grown["arrow"]["seconds"]),
        },
    )


def _job(side: str, source: Path) -> dict[str, Any]:
    measured = run_measured(python_module(__name__, side, str(source)))
    result: dict[str, Any] = measured.json()
    result["peak_rss_mib"] = measured.max_rss_mib
    return result


def _above_imports(result: dict[str, Any]) -> float:
    return float(result["peak_rss_mib"] - result["rss_after_imports_mib"])


def normalise_to_parquet(source: Path) -> tuple[int, float]:
    """What ingest does to an upload before sharding: canonical table, then Parquet bytes.

    Returns the Parquet size and when the table was read (``perf_counter``).
    """
    from dropcast_common.params import resolve
    from dropcast_common.table import to_parquet
    from dropcast_tables.normalise import normalise

    normalised = normalise(source, source.name, resolve())
    read = time.perf_counter()
    return len(to_parquet(normalised.frame)), read


def arrow_to_parquet(source: Path) -> tuple[int, float]:
    """The baseline: Arrow reads the whole CSV and writes it as zstd Parquet."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    table = pacsv.read_csv(source)
    read = time.perf_counter()
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return len(sink.getvalue()), read


def main(argv: list[str] | None = None) -> None:
    """Entry point of the child process: one side, one file, one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m dropcast_bench.b2_ingest")
    parser.add_argument("side", choices=SIDES)
    parser.add_argument("source", type=Path)
    args = parser.parse_args(argv)
    # Import everything the side needs before the clock and the memory baseline start.
    needs = {
        "dropcast": ("dropcast_common.table", "dropcast_tables.normalise"),
        "arrow": ("pyarrow.csv", "pyarrow.parquet"),
    }
    for module in needs[args.side]:
        importlib.import_module(module)
    after_imports = rss_mib()
    started = time.perf_counter()
    run_side = normalise_to_parquet if args.side == "dropcast" else arrow_to_parquet
    size, read = run_side(args.source)
    done = time.perf_counter()
    print(
        json.dumps(
            {
                "seconds": done - started,
                "read_seconds": read - started,
                "write_seconds": done - read,
                "rss_after_imports_mib": after_imports,
                "parquet_bytes": size,
            }
        )
    )


if __name__ == "__main__":
    main()
