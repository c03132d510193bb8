"""B7 refit: the same series with one more day, warm-started from the last fit, vs cold.

Measured at the engine, as the service's shard handler runs it
(``run_forecast`` with and without ``previous``): the previous upload is the
file without its last day; what it carries per series (fitted parameters,
backtest) goes through :mod:`dropcast_forecasting.warmstart` (what staging
holds) and back, then the whole file is forecast cold and warm on the same
warm pool. Single fits of every series are also timed: cold, from the
stored parameters, from their own optimum (the ceiling of any warm start:
the fixed cost per fit stays), and the backtest's fit cold and from the
stored parameters.

Then the same through the local stack, as users do it: one object uploaded
again and again, a day longer each time, alternately with ``warm_start``
off (cold) and on (warm); each warm upload follows the previous day's
upload, so it starts from a fit with one day less. Upload-to-output times
and the reports' compute times are compared.

Child: ``python -m dropcast_bench.b7_refit FILE --horizon N``.
"""

from __future__ import annotations

import argparse
import json
import time
from itertools import repeat
from pathlib import Path
from typing import Any

from dropcast_bench.data import long_csv
from dropcast_bench.measure import BenchError, python_module, run_measured
from dropcast_bench.onstack import upload, wait_for_outputs
from dropcast_bench.results import Check, Outcome, ratio
from dropcast_bench.scale import Scale
from dropcast_cli import stack as local_stack

TITLE = "refit"
TIMEOUT = 600.0
NAME = "bench/b7/daily.csv"
# Uploads after the first: cold, warm, cold, warm (each one day longer).
ROUNDS = (False, True, False, True)


def run(scale: Scale, work: Path, home: Path) -> Outcome:
    """Measure B7 at ``scale`` with inputs under ``work``, on the stack running in ``home``."""
    longest = scale.b7_days + len(ROUNDS)
    data = long_csv(work / "refit.csv", scale.b7_series, longest, seed=7)
    measured = run_measured(
        python_module(
            __name__, str(_first_days(data, scale.b7_days + 1)), "--horizon", str(scale.horizon)
        )
    )
    result: dict[str, Any] = measured.json()
    result["stack"] = on_stack(local_stack.read(home), data, scale.b7_days, scale.b7_series)
    cold, warm = result["cold"], result["warm"]
    probe = result["fit_probe_seconds"]
    stack = result["stack"]
    return Outcome(
        "B7",
        TITLE,
        [
            Check(
                "upload → output on the stack, warm vs cold, x2 each",
                ratio(stack["cold_seconds"], stack["warm_seconds"]),
                "x",
                ">=",
                2.0,
                f"warm {stack['warm_seconds']:.1f} s",
                f"cold {stack['cold_seconds']:.1f} s (warm_start=false)",
            ),
            Check(
                "forecast compute (fit, predict, backtest), warm vs cold, x2 each",
                ratio(cold["forecast_seconds"], warm["forecast_seconds"]),
                "x",
                ">=",
                2.0,
                f"warm {warm['forecast_seconds']:.1f} s",
                f"cold {cold['forecast_seconds']:.1f} s",
            ),
            Check(
                "forecast difference, warm vs cold (worst series)",
                result["difference"]["worst_series_mean_pct"],
                "%",
                "<=",
                1.0,
                f"mean over series {result['difference']['mean_pct']:.3f} %",
                "cold fit",
            ),
        ],
        {
            "series": scale.b7_series,
            "days": scale.b7_days + 1,
            **result,
            # One fit alone, warm vs cold, and the most any warm start can
            # gain on it (the fixed cost per fit stays).
            "fit_speedup": ratio(probe["cold"], probe["warm"]),
            "fit_speedup_ceiling": ratio(probe["cold"], probe["own_optimum"]),
            "backtest_fit_warm_speedup": ratio(probe["backtest_cold"], probe["backtest_warm"]),
        },
    )


def refit(source: Path, horizon: int) -> dict[str, Any]:
    """Cold and warm refits of ``source``, one more day than the upload warm starts come from."""
    from dropcast_common.params import resolve
    from dropcast_forecasting import warmstart
    from dropcast_forecasting.engine import build_tasks, run_forecast
    from dropcast_forecasting.pool import parallel
    from dropcast_forecasting.pool.cpus import available_cpus
    from dropcast_tables.normalise import normalise

    # B7 measures Prophet's warm starts and kept backtests, so model=prophet
    # (model=auto's kept choices: docs/forecasting.md, "Warm starts").
    params = resolve({"horizon": str(horizon), "model": "prophet"})
    current = normalise(source, source.name, params).frame
    previous = current[current["ds"] < current["ds"].max()]
    workers = available_cpus()
    parallel.warm_up(workers)
    pool = parallel.get_pool(workers)

    # The previous upload, and what it leaves in staging, read back as the service would.
    first = run_forecast(previous, params, workers=workers)
    stored = warmstart.encode(first.carried, params)
    carried = warmstart.decode(stored, params)

    # Cold, warm, warm, cold: a load that drifts over the run (this machine
    # is shared) weighs on both sides alike.
    cold = run_forecast(current, params, workers=workers)
    warm = run_forecast(current, params, workers=workers, previous=carried)
    warm_again = run_forecast(current, params, workers=workers, previous=carried)
    cold_again = run_forecast(current, params, workers=workers)

    inits = {series_id: record.init for series_id, record in carried.items()}
    tasks = build_tasks(current, params, {}, {})
    probes = list(pool.map(_fit_probe, tasks, repeat(params), repeat(horizon), repeat(inits)))
    return {
        "workers": workers,
        "stored_bytes": len(stored),
        "warm_started_series": sum(r.warm_start for r in warm.series),
        "backtests_kept": sum(r.backtest_age is not None for r in warm.series),
        "cold": {**_summed(cold.timings, cold_again.timings), "methods": cold.counts()},
        "warm": {**_summed(warm.timings, warm_again.timings), "methods": warm.counts()},
        "difference": _difference(cold.forecast, warm.forecast),
        "fit_probe_seconds": {key: sum(p[key] for p in probes) for key in probes[0]},
    }


def on_stack(info: local_stack.StackInfo, data: Path, days: int, series: int) -> dict[str, Any]:
    """Upload ``NAME`` ``days`` long, then a day longer per round; time cold and warm rounds."""
    rounds: list[dict[str, Any]] = []
    for extra, warm in enumerate((None, *ROUNDS)):
        source = _first_days(data, days + extra)
        metadata = {"dropcast-model": "prophet"}
        if warm is False:
            metadata["dropcast-warm_start"] = "false"
        started = upload(info, source, NAME, metadata)
        arrival = wait_for_outputs(info, [NAME], TIMEOUT, since=started)[NAME]
        summary = arrival.summary
        if warm and summary["warm_started"] != series:
            raise BenchError(f"a warm upload started {summary['warm_started']} of {series} warm")
        rounds.append(
            {
                "warm": warm,
                "days": days + extra,
                "seconds": arrival.created - started,
                "forecast_seconds": arrival.timings["forecast_seconds"],
                "warm_started": summary["warm_started"],
                "backtests_kept": summary["backtests_kept"],
            }
        )

    def total(warm: bool, key: str) -> float:
        return float(sum(r[key] for r in rounds if r["warm"] is warm))

    return {
        "cold_seconds": total(False, "seconds"),
        "warm_seconds": total(True, "seconds"),
        "cold_forecast_seconds": total(False, "forecast_seconds"),
        "warm_forecast_seconds": total(True, "forecast_seconds"),
        "rounds": rounds,
    }


def _first_days(data: Path, days: int) -> Path:
    """The file ``data`` cut to each series' first ``days`` days (its rows are in date order)."""
    import pandas as pd

    frame = pd.read_csv(data, dtype={"id": str, "date": str})
    dates = sorted(frame["date"].unique())
    out = data.with_name(f"{data.stem}-{days}{data.suffix}")
    frame[frame["date"] <= dates[days - 1]].to_csv(out, index=False)
    return out


def _summed(first: dict[str, float], second: dict[str, float]) -> dict[str, float]:
    return {key: first[key] + second[key] for key in first if key != "workers"}


def _fit_probe(task: Any, params: Any, horizon: int, inits: dict[str, Any]) -> dict[str, float]:
    """Seconds of single fits of one series (runs in a pool worker).

    ``warm``: from the stored init, right after the cold fit, so both see
    the same load. ``own_optimum``: refitting from the parameters the same fit just found,
    the best a warm start can ever do (the optimiser has nothing left to
    do), so what is left is Prophet's and cmdstan's fixed cost per fit.
    ``backtest_*``: the backtest's fit, cold and from the stored init.
    """
    import pandas as pd

    from dropcast_forecasting.model import fit_prophet, warm_start_init

    history = pd.DataFrame({"ds": task.ds, "y": task.y})
    train = history.iloc[:-horizon]
    seconds: dict[str, float] = {}

    def timed(key: str, frame: Any, **options: Any) -> Any:
        started = time.perf_counter()
        model = fit_prophet(frame, params, **options)
        seconds[key] = time.perf_counter() - started
        return model

    cold = timed("cold", history)
    timed("warm", history, init=inits.get(task.series_id))
    timed("own_optimum", history, init=warm_start_init(cold))
    timed("backtest_cold", train, uncertainty_samples=0)
    timed("backtest_warm", train, uncertainty_samples=0, init=inits.get(task.series_id))
    return seconds


def _difference(cold: Any, warm: Any) -> dict[str, float]:
    """How far warm predictions are from cold ones, in percent of the cold prediction."""
    both = cold.merge(warm, on=["series_id", "date"], suffixes=("_cold", "_warm"))
    if len(both) != len(cold):
        raise ValueError(
            f"warm and cold forecasts cover different dates: {len(both)} vs {len(cold)}"
        )
    pct = (both["prediction_warm"] - both["prediction_cold"]).abs()
    pct = pct / both["prediction_cold"].abs() * 100
    per_series = pct.groupby(both["series_id"]).mean()
    return {
        "worst_series_mean_pct": float(per_series.max()),
        "mean_pct": float(per_series.mean()),
        "worst_point_pct": float(pct.max()),
    }


def main(argv: list[str] | None = None) -> None:
    """Entry point of the child process: one JSON line of timings and differences."""
    parser = argparse.ArgumentParser(prog="python -m dropcast_bench.b7_refit")
    parser.add_argument("source", type=Path)
    parser.add_argument("--horizon", type=int, default=28)
    args = parser.parse_args(argv)
    print(json.dumps(refit(args.source, args.horizon)))


if __name__ == "__main__":
    # Run the imported module, not __main__, so pool workers unpickle its
    # functions by their importable name.
    from dropcast_bench.b7_refit import main as imported_main

    imported_main()
