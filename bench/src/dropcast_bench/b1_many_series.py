"""B1 many series: ``dropcast forecast`` against a serial loop of plain Prophet.

Both sides run as their own process on the same file, so each one's CPU
seconds (cmdstan and pool workers included) come from ``wait4``. The
baseline is the original project's model code per series, exactly:
``Prophet()``, ``fit``, ``make_future_dataframe(periods=horizon,
include_history=False)``, ``predict`` (intervals on, for the future only).

The figures are ratios of the baseline's CPU seconds (and wall) to
dropcast's, the native engine (the default). dropcast also backtests every
series (a second fit on all but the last horizon, without interval
sampling); that fit is counted in the headline figure. A what-if run of
the same one-shot path shows what the backtest costs: switched off; a run
with ``engine=cmdstan`` shows what the engine changed, and one with
``model=prophet engine=cmdstan`` (dropcast before model choice and the
native engine) is the bar for the default's CPU per series. Correctness on the
same file: every series fitted by both engines (``agreement``), their
forecasts' difference (median, worst and where) and how many native
optima are below cmdstan's.

Children: ``python -m dropcast_bench.b1_many_series baseline FILE --horizon N``,
``... agreement FILE --horizon N`` and ``... no-backtest FILE OUTDIR --horizon N``.
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
    runs: dict[str, Measured] = {}
    reports: dict[str, Any] = {}
    for engine in ("native", "cmdstan"):
        name = "dropcast" if engine == "native" else "dropcast_cmdstan"
        out = work / f"out-{engine}"
        runs[name] = run_measured(
            python_module(
                "dropcast_cli",
                "forecast",
                str(data),
                "-o",
                str(out),
                "-p",
                f"horizon={horizon}",
                "-p",
                f"engine={engine}",
            )
        )
        reports[name] = json.loads((out / "many.report.json").read_text())
    # What model=prophet cost before the native engine: the bar for the
    # default's CPU per series (issue 15), measured in this same run.
    runs["prophet_cmdstan"] = run_measured(
        python_module(
            "dropcast_cli",
            "forecast",
            str(data),
            "-o",
            str(work / "out-prophet-cmdstan"),
            "-p",
            f"horizon={horizon}",
            "-p",
            "model=prophet",
            "-p",
            "engine=cmdstan",
        )
    )
    runs["prophet_loop"] = run_measured(
        python_module(__name__, "baseline", str(data), "--horizon", horizon)
    )
    for variant in VARIANTS:
        runs[variant] = run_measured(
            python_module(__name__, variant, str(data), str(work / variant), "--horizon", horizon)
        )
    # The fixed cost per process (interpreter, imports, reading, chart, report),
    # measured on one series of the same kind, so the cost per series beyond it
    # shows apart from what a file costs whatever its size.
    one = long_csv(work / "one.csv", 1, scale.b1_days, seed=1)
    runs["dropcast_one"] = run_measured(
        python_module(
            "dropcast_cli",
            "forecast",
            str(one),
            "-o",
            str(work / "out-one"),
            "-p",
            f"horizon={horizon}",
        )
    )
    runs["prophet_loop_one"] = run_measured(
        python_module(__name__, "baseline", str(one), "--horizon", horizon)
    )
    agreement = run_measured(python_module(__name__, "agreement", str(data), "--horizon", horizon))
    agreed = agreement.json()
    n = scale.b1_series
    base = runs["prophet_loop"]
    report = reports["dropcast"]
    cores = report["timings"].get("workers", 1.0)

    def cheaper(name: str, label: str, target: float) -> Check:
        return Check(
            f"CPU per series, serial Prophet / dropcast ({label})",
            ratio(base.cpu, runs[name].cpu),
            "x",
            ">=",
            target,
            f"dropcast {runs[name].cpu / n * 1000:.1f} CPU-ms/series",
            f"Prophet {base.cpu / n * 1000:.1f} CPU-ms/series",
        )

    def marginal(many: Measured, single: Measured) -> float:
        return (many.cpu - single.cpu) / max(1, n - 1)

    return Outcome(
        "B1",
        TITLE,
        [
            Check(
                "speed-up vs serial Prophet (wall)",
                ratio(base.wall, runs["dropcast"].wall),
                "x",
                ">=",
                10.0,
                f"dropcast {runs['dropcast'].wall:.1f} s",
                f"serial Prophet {base.wall:.1f} s",
            ),
            cheaper("dropcast", "backtest counted", 10.0),
            Check(
                "CPU per series beyond the fixed cost, serial Prophet / dropcast",
                ratio(
                    marginal(base, runs["prophet_loop_one"]),
                    marginal(runs["dropcast"], runs["dropcast_one"]),
                ),
                "x",
                ">=",
                10.0,
                f"dropcast {marginal(runs['dropcast'], runs['dropcast_one']) * 1000:.1f} CPU-ms"
                f" per series + {runs['dropcast_one'].cpu:.2f} CPU-s per file",
                f"Prophet {marginal(base, runs['prophet_loop_one']) * 1000:.1f} CPU-ms"
                f" per series + {runs['prophet_loop_one'].cpu:.2f} CPU-s per file",
            ),
            cheaper("no-backtest", "what-if: backtest off", 10.0),
            Check(
                "CPU per series, model=prophet on cmdstan / the default (model=auto)",
                ratio(runs["prophet_cmdstan"].cpu, runs["dropcast"].cpu),
                "x",
                ">=",
                1.0,
                f"default {runs['dropcast'].cpu / n * 1000:.1f} CPU-ms/series",
                f"model=prophet engine=cmdstan {runs['prophet_cmdstan'].cpu / n * 1000:.1f}"
                " CPU-ms/series",
            ),
            Check(
                "native vs cmdstan forecast difference, median over series",
                100 * agreed["median_difference"],
                "%",
                "<=",
                0.5,
                f"worst {100 * agreed['worst_difference']:.3f} % ({agreed['worst_series']})",
                "the same fit by cmdstan",
            ),
            Check(
                "native vs cmdstan forecast difference, worst series",
                100 * agreed["worst_difference"],
                "%",
                "<=",
                2.0,
                f"{agreed['worst_series']}; native optimum below cmdstan's: "
                f"{agreed['native_worse']} of {agreed['series']}",
                "the same fit by cmdstan",
            ),
        ],
        {
            "series": n,
            "days": scale.b1_days,
            "horizon": scale.horizon,
            "runs": {name: _describe(m, n) for name, m in runs.items()},
            # What the CPU seconds allow on idle cores; the wall figure above
            # also carries whatever else the shared machine was running.
            "speedup_on_idle_cores": {
                name: ratio(base.cpu, runs[name].cpu / cores)
                for name in ("dropcast", "dropcast_cmdstan", *VARIANTS)
            },
            "cmdstan_engine_cpu_ratio": ratio(base.cpu, runs["dropcast_cmdstan"].cpu),
            # ru_maxrss of a process tree is its largest process: a pool worker or the parent.
            "peak_rss_largest_process_mib": runs["dropcast"].max_rss_mib,
            "agreement": agreed,
            "dropcast_report_timings": report["timings"],
            "cmdstan_report_timings": reports["dropcast_cmdstan"]["timings"],
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


def agreement_run(source: Path, horizon: int) -> dict[str, Any]:
    """Every series of ``source`` fitted by both engines: how far apart, and where."""
    import statistics

    import pandas as pd

    from dropcast_common.params import Params
    from dropcast_forecasting.native.agreement import compare

    params = Params(horizon=horizon, uncertainty_samples=0)
    frame = pd.read_csv(source, parse_dates=["date"])
    results = []
    for series_id, group in frame.groupby("id", sort=True):
        history = group.rename(columns={"date": "ds", "value": "y"})[["ds", "y"]]
        results.append(compare(str(series_id), history, "D", params))
    worst = max(results, key=lambda r: r.difference)
    return {
        "series": len(results),
        "median_difference": statistics.median(r.difference for r in results),
        "worst_difference": worst.difference,
        "worst_series": worst.name,
        "worst_native_better": worst.native_better,
        "native_better": sum(r.native_better for r in results),
        "native_worse": sum(r.native_worse for r in results),
        "fell_back_to_cmdstan": [r.name for r in results if not r.native],
        "median_lp_gain": statistics.median(r.lp_native - r.lp_cmdstan for r in results),
    }


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
    parser.add_argument("command", choices=("baseline", "agreement", *VARIANTS))
    parser.add_argument("source", type=Path)
    parser.add_argument("outdir", type=Path, nargs="?")
    parser.add_argument("--horizon", type=int, default=28)
    args = parser.parse_args(argv)
    if args.command == "baseline":
        print(json.dumps(prophet_loop(args.source, args.horizon)))
        return
    if args.command == "agreement":
        print(json.dumps(agreement_run(args.source, args.horizon)))
        return
    if args.outdir is None:
        parser.error(f"{args.command} needs OUTDIR")
    forecast_variant(args.command, args.source, args.outdir, args.horizon)
    print(json.dumps({"ok": True}))


if __name__ == "__main__":
    main()
