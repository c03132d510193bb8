"""Profiles that show where the time (and memory) of a benchmark goes.

``python -m dropcast_bench --profile`` runs these after the suite (the nox session
installs pyinstrument and py-spy into its own venv only for this):

- ``oneshot``: pyinstrument over the one-shot path on B1-like series, on
  one CPU so every fit runs in the profiled process;
- ``ingest``: pyinstrument over normalise + Parquet on B2's file;
- ``ingest-memory``: the same on B2's larger file in a fresh process, the
  resident memory sampled every few milliseconds with the dropcast
  functions running at each sample, so the peak has a name;
- ``stack``: py-spy sampling the forecast and ingest services (and their
  pool workers) while a burst of uploads goes through the local stack.

Each writes a text file under ``<out>/profiles/``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dropcast_bench.data import hyndsight, long_csv
from dropcast_bench.measure import python_module, rss_mib, run_measured
from dropcast_bench.onstack import running_stack, upload, wait_for_outputs
from dropcast_cli import stack as local_stack

KINDS = ("oneshot", "ingest", "ingest-memory", "stack")
# Lines of each py-spy summary: the frames most samples were in.
_TOP_FRAMES = 40


def profile_all(out: Path, work: Path, quick: bool) -> list[Path]:
    """Write every profile under ``out/profiles``; returns the files written."""
    folder = out / "profiles"
    folder.mkdir(parents=True, exist_ok=True)
    series, days = (2, 120) if quick else (24, 3 * 365)
    # B2's files: 1 million rows, and ten times that for the memory peak.
    rows = (20, 500) if quick else (1_000, 1_000)
    files = []
    for kind, args in (
        ("oneshot", [str(long_csv(work / "p-oneshot.csv", series, days, seed=1))]),
        ("ingest", [str(long_csv(work / "p-ingest.csv", *rows, seed=2))]),
        ("ingest-memory", [str(long_csv(work / "p-large.csv", rows[0] * 10, rows[1], seed=2))]),
    ):
        target = folder / f"{kind}.txt"
        run_measured(python_module(__name__, kind, *args, "--out", str(target)))
        files.append(target)
    files += profile_stack(folder, work / "p-stack", files=4 if quick else 60)
    return files


def profile_oneshot(source: Path) -> str:
    """pyinstrument text of ``dropcast forecast source`` with every fit in this process."""
    # One CPU: the engine then fits in-process instead of in pool workers,
    # so the profiler sees every series' fit, predict and backtest.
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    from dropcast_cli import oneshot

    profiler = _profiler(interval=0.002)
    profiler.start()
    result = oneshot.run(source, source.parent / "p-oneshot-out", [])
    profiler.stop()
    if not result.ok:
        raise SystemExit(f"forecast failed: {result.error}")
    # Show Prophet's and cmdstanpy's frames too: the question is where a fit's time goes.
    inside = {"show_regex": r".*/(prophet|cmdstanpy)/.*|.*/subprocess\.py"}
    return str(profiler.output_text(unicode=True, color=False, processor_options=inside))


def profile_ingest(source: Path) -> str:
    """pyinstrument text of normalise + to_parquet."""
    from dropcast_common.params import resolve
    from dropcast_common.table import to_parquet
    from dropcast_tables.normalise import normalise

    params = resolve()
    profiler = _profiler(interval=0.001)
    profiler.start()
    to_parquet(normalise(source, source.name, params).frame)
    profiler.stop()
    return str(profiler.output_text(unicode=True, color=False))


def profile_ingest_memory(source: Path) -> str:
    """Where the resident memory of normalise + to_parquet peaks, in a fresh process."""
    from dropcast_common.params import resolve
    from dropcast_common.table import to_parquet
    from dropcast_tables.normalise import normalise

    params = resolve()
    with sampled_memory() as samples:
        to_parquet(normalise(source, source.name, params).frame)
    return f"{source.stat().st_size / 2**20:.0f} MiB file\n" + memory_report(samples)


def _profiler(interval: float) -> Any:
    """A pyinstrument Profiler (installed by the bench session only, so not a typed import)."""
    return importlib.import_module("pyinstrument").Profiler(interval=interval)


@contextmanager
def sampled_memory(interval: float = 0.003) -> Iterator[list[tuple[float, str]]]:
    """Sample (RSS MiB, innermost dropcast functions) of the main thread while the block runs."""
    samples: list[tuple[float, str]] = []
    main = threading.main_thread().ident
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            frame = sys._current_frames().get(main or 0)
            samples.append((rss_mib(), _dropcast_stack(frame)))
            done.wait(interval)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield samples
    finally:
        done.set()
        thread.join()


def _dropcast_stack(frame: Any) -> str:
    names = []
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith("dropcast_"):
            names.append(f"{module.removeprefix('dropcast_')}.{frame.f_code.co_name}")
        frame = frame.f_back
    return " < ".join(names[:3]) or "(outside dropcast)"


def memory_report(samples: list[tuple[float, str]]) -> str:
    """Peak RSS per innermost dropcast function, largest first, and the overall peak."""
    if not samples:
        return "\nno memory samples\n"
    start = samples[0][0]
    peaks: dict[str, float] = {}
    for rss, where in samples:
        peaks[where] = max(peaks.get(where, 0.0), rss)
    lines = [f"\nResident memory: {start:.0f} MiB before, peak {max(peaks.values()):.0f} MiB"]
    lines.append("peak MiB  where (innermost dropcast frames)")
    for where, rss in sorted(peaks.items(), key=lambda item: -item[1])[:15]:
        lines.append(f"{rss:8.0f}  {where}")
    return "\n".join(lines) + "\n"


def profile_stack(folder: Path, work: Path, files: int) -> list[Path]:
    """py-spy over both services while ``files`` hyndsight uploads go through a fresh stack."""
    written = []
    with running_stack(work / "stack"):
        info = local_stack.read(work / "stack")
        names = [f"profile/warm-{k}.csv" for k in range(2)]
        for name in names:  # start the forecast pool outside the profile
            upload(info, hyndsight(), name)
        wait_for_outputs(info, names, 300)
        raw = {name: folder / f"stack-{name}.raw" for name in ("forecast", "ingest")}
        spies = [_spy(info.pids[name], raw[name]) for name in raw]
        try:
            burst = [f"profile/burst-{k:03d}.csv" for k in range(files)]
            with ThreadPoolExecutor(16) as pool:
                list(pool.map(lambda name: upload(info, hyndsight(), name), burst))
            wait_for_outputs(info, burst, 600)
        finally:
            for spy in spies:
                spy.send_signal(signal.SIGINT)  # py-spy writes its samples on interrupt
                spy.wait(timeout=60)
        for name, path in raw.items():
            summary = folder / f"stack-{name}.txt"
            summary.write_text(summarise_collapsed(path.read_text(), f"{name} service"))
            written += [summary, path]
    return written


def _spy(pid: int, out: Path) -> subprocess.Popen[bytes]:
    spy = subprocess.Popen(
        [
            *("py-spy", "record", "--pid", str(pid), "--subprocesses", "--rate", "200"),
            *("--format", "raw", "--output", str(out), "--nonblocking"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)  # py-spy attaches to the process tree before the burst starts
    return spy


def summarise_collapsed(collapsed: str, title: str) -> str:
    """Share of samples per frame (inclusive), from py-spy's raw collapsed stacks."""
    inclusive: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, field = line.rpartition(" ")
        if not field.isdigit():
            continue
        samples = int(field)
        total += samples
        for frame in set(stack.split(";")):
            inclusive[frame] += samples
    lines = [f"{title}: {total} samples; share of samples in each frame (inclusive)"]
    for frame, samples in inclusive.most_common(_TOP_FRAMES):
        lines.append(f"{100 * samples / max(total, 1):6.1f} %  {frame}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Entry point of a profiling child: one kind, one input file, one output file."""
    parser = argparse.ArgumentParser(prog="python -m dropcast_bench.profile")
    parser.add_argument("kind", choices=KINDS[:3])
    parser.add_argument("source", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    profiles: dict[str, Callable[[Path], str]] = {
        "oneshot": profile_oneshot,
        "ingest": profile_ingest,
        "ingest-memory": profile_ingest_memory,
    }
    args.out.write_text(profiles[args.kind](args.source))


if __name__ == "__main__":
    main()
