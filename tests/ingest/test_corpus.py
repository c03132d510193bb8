"""The corpus: real public datasets in many dialects, each to its exact canonical table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from dropcast_common.params import resolve
from dropcast_common.table import COLUMNS
from dropcast_tables.normalise import normalise

CORPUS = Path(__file__).resolve().parent / "corpus"
CASES: dict[str, dict[str, Any]] = json.loads((CORPUS / "cases.json").read_text())

# The frequency each case's series must be found to have, by prefix of the case's name
# (newer cases record theirs in cases.json).
FREQUENCY = {
    "co2": "W-SAT",
    "elec": "MS",
    "macro": "QS",
    "sunspots": "YS",
    "nile": "YS",
    "grunfeld": "YS",
    "danish": "QS",
    "elnino_month_end": "ME",
    "elnino": "MS",
    "prophet_bdays": "B",
    "prophet_5min": "5min",
    "stocks": "MS",
    "msft": "B",
    "hyndsight": "D",
}


def _expected(case: str) -> pd.DataFrame:
    frame = pd.read_csv(CORPUS / "expected" / f"{case}.csv", dtype={"series_id": "str"})
    frame["ds"] = pd.to_datetime(frame["ds"]).astype("datetime64[ns]")
    return frame.astype({"y": "float64"})


def test_corpus_is_large_and_small() -> None:
    files = [CORPUS / "files" / c["file"] for c in CASES.values()]
    assert len(files) >= 40
    assert all(f.stat().st_size < 8 * 1024 for f in files)


@pytest.mark.parametrize("case", sorted(CASES))
def test_corpus_file_gives_its_exact_canonical_table(case: str) -> None:
    spec = CASES[case]
    result = normalise(CORPUS / "files" / spec["file"], spec["file"], resolve(spec["params"]))
    assert list(result.frame.columns) == COLUMNS
    pd.testing.assert_frame_equal(result.frame, _expected(case), check_dtype=False)
    assert result.frame["ds"].dtype == "datetime64[ns]"
    assert result.frame["y"].dtype == "float64"
    freq = spec.get("frequency") or next(
        f for prefix, f in FREQUENCY.items() if case.startswith(prefix)
    )
    assert set(result.frequencies.values()) == {freq}
    assert set(result.frequencies) == set(result.frame["series_id"])
