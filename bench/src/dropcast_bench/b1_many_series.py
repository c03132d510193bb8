"""B1 many series: ``dropcast forecast`` against a serial loop of plain Prophet.

Both sides run as their own process on the same file, so each one's CPU
seconds (cmdstan and pool workers included) come from ``wait4``. The
baseline is the original project's model code per series, exactly:
``Prophet()``, ``fit``, ``make_future_dataframe(periods=horizon,
include_history=False)``, ``predict`` (intervals on, for the future only).

Overhead per series is dropcast's CPU seconds over the baseline's, minus
one. dropcast also backtests every series (a second fit on all but the
last horizon, without interval sampling); that fit is counted in the
headline figure (it starts from the series' main fit). A what-if run of
the same one-shot path shows what the backtest costs: switched off.

Children: ``python -m dropcast_bench.b1_many_series baseline FILE --horizon N`` and
``python -m dropcast_bench.b1_many_series no-backtest FILE OUTDIR --horizon N``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from dropcast_bench.data import long_csv
from dropcast_bench.measure import Measured, python_module, run_measured
from dropcast_bench.results import Check, Outcome, ratio
from dropcast_bench.scale import Scale

TITLE = "many series"
VARIANTS = ("no-backtest",)


def run(scale: Scale, work: Path) -> Outcome:
    """Measure B1 at ``scale`` with inputs and outputs under ``work``."""
    data = long_csv(work / "many.csv", scale.b1_series, scale.b1_days, seed=1)
    horizon = str(scale.horizon)
    forecast = ["forecast", str(data), "-o", str(work / "out"), "-p", f"horizon={horizon}"]
    runs = {"dropcast": run_measured(python_module("dropcast_cli", *forecast))}
    report = json.loads((work / "out" / "many.report.json").read_text())
    runs["prophet_loop"] = run_measured(
        python_module(__name__, "baseline", str(data), "--horizon", horizon)
    )
    for variant in VARIANTS:
        out = str(work / variant)
        runs[variant] = run_measured(
            python_module(__name__, variant, str(data), out, "--horizon", horizon)
        )
    n = scale.b1_series
    base = runs["prophet_loop"]
    cores = report["timings"].get("workers", 1.0)

    def overhead(name: str, label: str) -> Check:
        return Check(
            f"CPU per series beyond Prophet's ({label})",
            (ratio(runs[name].cpu, base.cpu) - 1) * 100,
            "%",
            "<=",
            10.0,
            f"dropcast {runs[name].cpu / n:.3f} CPU-s/series",
            f"Prophet {base.cpu / n:.3f} CPU-s/series",
        )

    return Outcome(
        "B1",
        TITLE,
        [
            Check(
                "speed-up vs serial Prophet (wall)",
                ratio(base.wall, runs["dropcast"].wall),
                "x",
                ">=",
                1.8,
                f"dropcast {runs['dropcast'].wall:.1f} s",
                f"serial Prophet {base.wall:.1f} s",
            ),
            overhead("dropcast", "backtest counted"),
            overhead("no-backtest", "what-if: backtest off"),
        ],
        {
            "series": n,
            "days": scale.b1_days,
            "horizon": scale.horizon,
            "runs": {name: _describe(m, n) for name, m in runs.items()},
            # What the CPU seconds allow on idle cores; the wall figure above
            # also carries whatever else the shared machine was running.
            "speedup_on_idle_cores": {
                name: ratio(base.cpu, runs[name].cpu / cores) for name in ("dropcast", *VARIANTS)
            },
            "dropcast_report_timings": report["timings"],
            "methods": report["summary"],
            "baseline": base.json(),
        },
    )


def _describe(measured: Measured, series: int) -> dict[str, Any]:
    return {
        "wall_seconds": measured.wall,
        "cpu_seconds": measured.cpu,
        "cpu_seconds_per_series": measured.cpu / series,
        "peak_rss_mib": measured.max_rss_mib,
    }


def prophet_loop(source: Path, horizon: int) -> dict[str, float]:
    """The baseline: the original's model code over every series of a long CSV, one at a time."""
    import pandas as pd

    from dropcast_forecasting.quiet import import_prophet

    # Same log level as dropcast's, so neither side pays for printing optimiser chatter.
    prophet = import_prophet()
    frame = pd.read_csv(source, parse_dates=["date"])
    fit = predict = 0.0
    count = 0
    for _, group in frame.groupby("id", sort=True):
        history = group.rename(columns={"date": "ds", "value": "y"})[["ds", "y"]]
        started = time.perf_counter()
        model = prophet.Prophet()
        model.fit(history)
        fitted = time.perf_counter()
        # The original's call: the future only, so intervals are sampled for
        # the horizon, not the whole history as well.
        future = model.make_future_dataframe(periods=horizon, include_history=False)
        model.predict(future)
        fit += fitted - started
        predict += time.perf_counter() - fitted
        count += 1
    return {"series": count, "fit_seconds": fit, "predict_seconds": predict}


def forecast_variant(variant: str, source: Path, outdir: Path, horizon: int) -> None:
    """The one-shot path with every series' backtest switched off (a what-if).

    The pool's workers are forked from this process, so they inherit the patch.
    """
    from dropcast_cli import oneshot
    from dropcast_forecasting import series

    if variant != "no-backtest":
        raise SystemExit(f"unknown variant {variant!r}")

    def no_backtest(*_: object) -> tuple[None, str]:
        return None, "switched off by the benchmark"

    setattr(series, "_backtest", no_backtest)  # noqa: B010 - a deliberate what-if patch
    result = oneshot.run(source, outdir, [f"horizon={horizon}"])
    if not result.ok:
        raise SystemExit(f"forecast failed: {result.error}")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the child processes."""
    parser = argparse.ArgumentParser(prog="python -m dropcast_bench.b1_many_series")
    parser.add_argument("command", choices=("baseline", *VARIANTS))
    parser.add_argument("source", type=Path)
    parser.add_argument("outdir", type=Path, nargs="?")
    parser.add_argument("--horizon", type=int, default=28)
    args = parser.parse_args(argv)
    if args.command == "baseline":
        print(json.dumps(prophet_loop(args.source, args.horizon)))
        return
    if args.outdir is None:
        parser.error(f"{args.command} needs OUTDIR")
    forecast_variant(args.command, args.source, args.outdir, args.horizon)
    print(json.dumps({"ok": True}))


if __name__ == "__main__":
    main()
