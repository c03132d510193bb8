"""How big each benchmark is: the issue's sizes, or tiny ones that only prove the suite runs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    """Sizes of every benchmark's inputs."""

    quick: bool
    # B1: daily series through the one-shot command vs serial Prophet.
    b1_series: int
    b1_days: int
    # B1 on real short series: this many M3 monthly and this many M3 quarterly.
    b1_m3_series: int
    # B2: a long file of series x days rows, and one `b2_growth` times larger.
    b2_series: int
    b2_days: int
    b2_growth: int
    # B3: uploads in a row; B4: uploads at once.
    b3_uploads: int
    b4_files: int
    # B5: cold starts per service (the median is reported).
    b5_starts: int
    # B6: series through the sharded stack, their length, series per shard.
    b6_series: int
    b6_days: int
    b6_shard: int
    # B7: series refitted with one more day.
    b7_series: int
    b7_days: int
    horizon: int = 28
    # B1's agreement on the project's corpus: its first this many series (None: all).
    b1_corpus_series: int | None = None
    # B1: runs of the headline command and its components twin (the median counts).
    b1_repeats: int = 3


FULL = Scale(
    quick=False,
    b1_series=200,
    b1_days=3 * 365,
    b1_m3_series=200,
    b2_series=1_000,
    b2_days=1_000,
    b2_growth=10,
    b3_uploads=10,
    b4_files=100,
    b5_starts=3,
    b6_series=2_000,
    # Six months of daily data: the fan-out measures overhead per shard and
    # per series, and short series keep both sides of B6 to minutes. Not
    # shorter: below 100 points Prophet switches its optimiser to Newton,
    # several times slower, and a 28-day backtest of 127 days or less would
    # measure that instead (see docs/benchmarks.md).
    b6_days=180,
    b6_shard=250,
    b7_series=60,
    b7_days=3 * 365,
)

QUICK = Scale(
    quick=True,
    b1_corpus_series=2,
    b1_repeats=1,
    b1_series=3,
    b1_days=120,
    b1_m3_series=3,
    b2_series=20,
    b2_days=500,
    b2_growth=10,
    b3_uploads=2,
    b4_files=3,
    b5_starts=1,
    b6_series=6,
    b6_days=60,
    b6_shard=2,
    b7_series=2,
    b7_days=120,
)
