"""The same object uploaded again with one more day starts warm, on the local stack."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from dropcast_cli import localclient
from dropcast_cli.stack import StackInfo
from dropcast_common.naming import SOURCE_GENERATION

pytestmark = pytest.mark.e2e

NAME = "e2e/warm/visits.csv"


def _generation(stack: StackInfo) -> int:
    blob = localclient.client(stack).bucket(stack.buckets["input"]).get_blob(NAME)
    return int(blob.generation)


def _outputs_for(stack: StackInfo, generation: int, timeout: float) -> tuple[dict[str, Any], bytes]:
    """The report and CSV of the upload ``generation`` of NAME, once the CSV (written last) is."""
    bucket = localclient.client(stack).bucket(stack.buckets["output"])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        csv = bucket.get_blob("e2e/warm/visits.csv")
        if csv is not None and (csv.metadata or {}).get(SOURCE_GENERATION) == str(generation):
            report = json.loads(bucket.blob("e2e/warm/visits.report.json").download_as_bytes())
            assert report["lineage"]["generation"] == generation
            return report, csv.download_as_bytes()
        time.sleep(0.2)
    raise TimeoutError(f"no outputs for generation {generation} of {NAME} after {timeout}s")


def test_one_more_day_of_the_same_object_starts_warm(
    stack: StackInfo, hyndsight: Path, hyndsight_seed: Path, tmp_path: Path
) -> None:
    shorter = tmp_path / "visits.csv"
    pd.read_csv(hyndsight).iloc[:-1].to_csv(shorter, index=False)
    prophet = {"dropcast-model": "prophet"}  # warm starts and kept backtests are Prophet's
    localclient.upload(stack, shorter, NAME, prophet)
    first, _ = _outputs_for(stack, _generation(stack), timeout=600)
    assert first["summary"]["warm_started"] == 0

    localclient.upload(stack, hyndsight, NAME, prophet)
    second, csv = _outputs_for(stack, _generation(stack), timeout=600)
    assert second["summary"]["warm_started"] == 1
    assert second["summary"]["backtests_kept"] == 1
    assert second["series"][0]["backtest_age"] == 1
    assert second["series"][0]["backtest"] == first["series"][0]["backtest"]
    # Started warm, the forecast is still the original project's.
    assert localclient.mape(csv, hyndsight_seed) < 1.0
