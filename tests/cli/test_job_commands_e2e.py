"""The job commands on the local stack, as a user runs them: one job from submit to retry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dropcast_cli.stack import StackInfo

pytestmark = pytest.mark.e2e


def _cli(stack: StackInfo, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    home = Path(stack.logs["ingest"]).parent.parent
    return subprocess.run(
        [sys.executable, "-m", "dropcast_cli", *args, "--home", str(home)],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_submit_status_jobs_fetch_retry_and_follow_one_job(
    stack: StackInfo, hyndsight: Path, tmp_path: Path
) -> None:
    name = "cli/verbs/visits.csv"
    submitted = _cli(
        stack, "submit", str(hyndsight), "--name", name, "-p", "horizon=7", "--json", cwd=tmp_path
    )
    assert submitted.returncode == 0, submitted.stdout + submitted.stderr
    body = json.loads(submitted.stdout)  # stdout is exactly one JSON object
    job = body["job_id"]
    assert body["status"]["state"] == "done"
    assert body["files"]["csv"] == str(Path("forecasts") / "visits.csv")
    assert (tmp_path / "forecasts" / "visits.csv").read_text().count("\n") == 8

    status = _cli(stack, "status", f"gs://{stack.buckets['input']}/{name}", "--json", cwd=tmp_path)
    assert status.returncode == 0
    assert json.loads(status.stdout)["status"]["outputs"]["csv"].endswith("/cli/verbs/visits.csv")

    fetched = _cli(stack, "fetch", job, "-o", str(tmp_path / "again"), cwd=tmp_path)
    assert fetched.returncode == 0, fetched.stderr
    assert sorted(p.name for p in (tmp_path / "again").iterdir()) == [
        "visits.csv",
        "visits.png",
        "visits.report.json",
    ]

    retried = _cli(stack, "retry", name, "--wait", "--json", cwd=tmp_path)
    assert retried.returncode == 0, retried.stdout + retried.stderr
    again = json.loads(retried.stdout)
    assert again["job_id"] != job
    assert again["status"]["state"] == "done"
    # The retry kept the upload's parameters (its metadata): still 7 periods.
    refetched = _cli(stack, "fetch", name, "-o", str(tmp_path / "retried"), cwd=tmp_path)
    assert refetched.returncode == 0, refetched.stderr
    report = json.loads((tmp_path / "retried" / "visits.report.json").read_text())
    assert report["lineage"]["job_id"] == again["job_id"]
    assert report["lineage"]["parameters"]["horizon"] == 7

    listed = _cli(stack, "jobs", "--json", "--limit", "500", cwd=tmp_path)
    order = [entry["job_id"] for entry in json.loads(listed.stdout)]
    assert order.index(again["job_id"]) < order.index(job)  # newest first

    followed = _cli(stack, "logs", again["job_id"], "--follow", cwd=tmp_path)
    assert followed.returncode == 0, followed.stderr
    trail = followed.stdout.splitlines()
    assert all(again["job_id"] in line or "    | " in line for line in trail)
    assert any("computed shard 1/1" in line for line in trail)
