"""One job followed through the cloud-format logs of both services, by its job id alone.

The stack runs with ``DROPCAST_LOG_FORMAT=json`` (what Cloud Run runs) and
one series per shard, so the trail has a notification, ingest, every shard
and one assembly.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dropcast_cli import jobs, localclient
from dropcast_cli import stack as local_stack
from dropcast_common.storage import GcsBlobStore

pytestmark = pytest.mark.e2e

SERIES = 3


@pytest.fixture(scope="module")
def json_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[local_stack.StackInfo]:
    """A stack of its own, logging as in the cloud; always stopped."""
    home = tmp_path_factory.mktemp("json-stack")
    # Point this module's clients at its own stack, and only for this module.
    with pytest.MonkeyPatch.context() as patch:
        for key in ("STORAGE_EMULATOR_HOST", "PUBSUB_EMULATOR_HOST"):
            patch.delenv(key, raising=False)
        try:
            info = local_stack.up(
                home, env={"DROPCAST_LOG_FORMAT": "json", "DROPCAST_MAX_SERIES_PER_SHARD": "1"}
            )
            for key, value in info.env().items():
                patch.setenv(key, value)
            yield info
        finally:
            local_stack.down(home)


def _three_series(path: Path) -> Path:
    rng = np.random.default_rng(7)
    days = pd.date_range("2023-01-01", periods=90, freq="D").strftime("%Y-%m-%d")
    frames = [
        pd.DataFrame(
            {"id": f"s{k}", "date": days, "y": (50 + 5 * k + rng.normal(0, 1, 90)).round(2)}
        )
        for k in range(SERIES)
    ]
    pd.concat(frames).to_csv(path, index=False)
    return path


def _entries(info: local_stack.StackInfo, service: str) -> list[dict[str, Any]]:
    """Every JSON line of a service's log (uvicorn's own start-up lines are not ours)."""
    lines = Path(info.logs[service]).read_text().splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def test_a_job_is_followed_by_its_id_from_notification_to_assembly(
    json_stack: local_stack.StackInfo, tmp_path: Path
) -> None:
    source = _three_series(tmp_path / "three.csv")
    localclient.upload(json_stack, source, "trail/three.csv")
    localclient.wait_for_output(json_stack, "trail/three.csv", timeout=600)
    store = GcsBlobStore(project=json_stack.project)
    job = jobs.resolve_job(store, json_stack.buckets["input"], "trail/three.csv")

    # The CSV is written just before the assembly's log line: give the line a moment.
    deadline = time.monotonic() + 120  # generous: returns as soon as the line is there
    while True:
        ingest = [e for e in _entries(json_stack, "ingest") if e.get("job_id") == job]
        forecast = [e for e in _entries(json_stack, "forecast") if e.get("job_id") == job]
        if any(e["message"].startswith("assembled") for e in forecast):
            break
        assert time.monotonic() < deadline, "no assembly line for the job"
        time.sleep(0.2)
    for entry in ingest + forecast:
        assert entry["severity"] in ("INFO", "WARNING")
        assert entry["time"].endswith("Z")
        assert isinstance(entry["message"], str)

    # Ingest: the notification, the published work, the acceptance with its numbers.
    said = [e["message"] for e in ingest]
    assert said[0].startswith("notification for gs://dropcast-input/trail/three.csv#")
    assert f"published {SERIES} work message(s) for gs://dropcast-input/trail/three.csv" in said
    (accepted,) = [e for e in ingest if e["message"].startswith("accepted ")]
    assert accepted["series"] == SERIES
    assert accepted["seconds"] > 0

    # Forecast: each shard computed once, then one assembly of all of them.
    computing = sorted(e["message"] for e in forecast if e["message"].startswith("computing"))
    assert computing == [f"computing shard {k}/{SERIES}" for k in range(1, SERIES + 1)]
    computed = [e for e in forecast if e["message"].startswith("computed shard")]
    assert sorted(e["shard"] for e in computed) == list(range(SERIES))
    assert all(e["series"] == 1 and e["seconds"] > 0 for e in computed)
    (assembled,) = [e for e in forecast if e["message"].startswith("assembled")]
    assert assembled["series"] == SERIES
    assert assembled["shards"] == SERIES
    assert assembled["message"].endswith("gs://dropcast-output/trail/three.csv")

    # In time order the trail starts at the notification and ends at the assembly.
    trail = sorted(ingest + forecast, key=lambda e: e["time"])
    assert trail[0]["message"].startswith("notification")
    assert trail[-1] is assembled

    # `dropcast logs --job` shows exactly these lines, from both files.
    home = Path(json_stack.logs["ingest"]).parent.parent
    run = subprocess.run(
        [sys.executable, "-m", "dropcast_cli", "logs", "--job", job, "--home", str(home)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    shown = run.stdout.splitlines()
    assert len(shown) == len(ingest) + len(forecast)
    assert sum(line.startswith("ingest   | {") for line in shown) == len(ingest)
    assert sum(line.startswith("forecast | {") for line in shown) == len(forecast)
