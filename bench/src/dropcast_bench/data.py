"""Benchmark inputs: seeded synthetic long-format CSVs and the reference dataset.

Series have a level, a trend, weekly and yearly seasons and noise, like the
daily business data dropcast is for. Generated a block of series at a time
with Arrow, so a 10-million-row file costs seconds and little memory.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from dropcast_bench.measure import ROOT

START = np.datetime64("2021-01-01", "D")
# Series written per block: bounds the generator's memory for any file size.
_BLOCK_SERIES = 500


def hyndsight() -> Path:
    """The reference dataset (one daily series) the original project published a forecast for."""
    return Path(os.environ.get("DROPCAST_REFERENCE_DATA", ROOT / "examples")) / "hyndsight.csv"


def series_values(series: int, days: int, seed: int) -> np.ndarray:
    """A (series, days) array of daily values: level, trend, weekly and yearly seasons, noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(days, dtype="float64")
    level = rng.uniform(50, 500, series)[:, None]
    trend = rng.normal(0.02, 0.02, series)[:, None] * t
    weekly = rng.uniform(0.02, 0.15, series)[:, None] * np.sin(
        2 * np.pi * t / 7 + rng.uniform(0, 2 * np.pi, series)[:, None]
    )
    yearly = rng.uniform(0.0, 0.2, series)[:, None] * np.sin(
        2 * np.pi * t / 365.25 + rng.uniform(0, 2 * np.pi, series)[:, None]
    )
    noise = rng.normal(0, 0.03, (series, days))
    return np.round(level * (1 + weekly + yearly + noise) + trend, 3)


def long_csv(path: Path, series: int, days: int, seed: int = 0) -> Path:
    """Write ``series`` daily series of ``days`` days as ``id,date,value`` rows; returns path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    schema = pa.schema([("id", pa.string()), ("date", pa.date32()), ("value", pa.float64())])
    # Ids, dates and numbers never need quotes; unquoted is what spreadsheets export.
    options = pacsv.WriteOptions(quoting_style="none", include_header=False)
    with path.open("wb") as sink:
        sink.write(b"id,date,value\n")  # Arrow would quote the header's names
        _write_blocks(sink, schema, options, series, days, seed)
    return path


def _write_blocks(
    sink: BinaryIO,
    schema: pa.Schema,
    options: pacsv.WriteOptions,
    series: int,
    days: int,
    seed: int,
) -> None:
    dates = np.arange(START, START + days)
    with pacsv.CSVWriter(sink, schema, write_options=options) as writer:
        for first in range(0, series, _BLOCK_SERIES):
            count = min(_BLOCK_SERIES, series - first)
            values = series_values(count, days, seed + first)
            names = np.array([f"s{k:05d}" for k in range(first, first + count)])
            block = pa.table(
                {
                    "id": pa.array(np.repeat(names, days)),
                    "date": pa.array(np.tile(dates, count)),
                    "value": pa.array(values.reshape(-1)),
                },
                schema=schema,
            )
            writer.write_table(block)
