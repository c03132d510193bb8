"""The project's real corpus as agreement series: every distinct series the ingest corpus holds.

The ingest corpus (tests/ingest/corpus) is real public data (statsmodels,
vega_datasets, Prophet's examples, World Bank, BLS, Eurostat...) written in
the dialects people export, each case with the exact canonical table it
must give. Many cases are one source in several dialects, so the series are
taken once each (by dates and values). Each is forecast a quarter of its
history ahead, at most 28 steps: a 28-year forecast of 11 yearly values
would compare extrapolations, not fits.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from dropcast_bench.measure import ROOT

CORPUS = ROOT / "tests" / "ingest" / "corpus"
MAX_HORIZON = 28


def corpus_series(corpus: Path = CORPUS) -> list[tuple[str, pd.DataFrame, str, int]]:
    """(name, history with ds and y, frequency, horizon) for each distinct corpus series."""
    from dropcast_common import frequency

    cases = json.loads((corpus / "cases.json").read_text())
    seen: set[str] = set()
    out: list[tuple[str, pd.DataFrame, str, int]] = []
    for case in sorted(cases):
        table = pd.read_csv(corpus / "expected" / f"{case}.csv", dtype={"series_id": "str"})
        table["ds"] = pd.to_datetime(table["ds"]).astype("datetime64[ns]")
        for series_id, group in table.groupby("series_id", sort=True):
            history = group.dropna(subset=["y"])[["ds", "y"]].astype({"y": "float64"})
            history = history.sort_values("ds").reset_index(drop=True)
            key = hashlib.sha256(
                history["ds"].to_numpy().tobytes() + history["y"].to_numpy().tobytes()
            ).hexdigest()
            freq = frequency.infer_one(history["ds"])
            if key in seen or freq is None or len(history) < 10:
                continue  # a copy in another dialect, or too short for Prophet (dropcast's floor)
            seen.add(key)
            horizon = max(1, min(MAX_HORIZON, len(history) // 4))
            out.append((f"{case}/{series_id}", history, freq, horizon))
    return out
