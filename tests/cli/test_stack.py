"""``dropcast up`` / ``dropcast down`` as separate processes, as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from dropcast_cli import procs


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dropcast_cli", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.integration
def test_up_writes_stack_json_and_down_leaves_no_process(tmp_path: Path) -> None:
    home = tmp_path / "home"
    up = run_cli("up", "--home", str(home))
    try:
        assert up.returncode == 0, up.stderr
        info = json.loads((home / "stack.json").read_text())
        assert set(info["buckets"]) == {"input", "staging", "output"}
        assert set(info["topics"]) >= {"uploads", "work", "uploads_dlq", "work_dlq"}
        assert set(info["services"]) == {"ingest", "forecast"}
        for url in info["services"].values():
            assert url.startswith("http://127.0.0.1:")
            assert httpx.get(f"{url}/healthz", timeout=5).json() == {"status": "ok"}
        assert info["pubsub_emulator_host"].startswith("127.0.0.1:")
        assert info["storage_emulator_host"].startswith("http://127.0.0.1:")
        pids = list(info["pids"].values())
        assert len(pids) == 4
    finally:
        down = run_cli("down", "--home", str(home))
    assert down.returncode == 0
    deadline = time.monotonic() + 60  # generous: returns as soon as they are gone
    while time.monotonic() < deadline and any(procs.alive(pid) for pid in pids):
        time.sleep(0.1)
    assert not any(procs.alive(pid) for pid in pids)
    assert not (home / "stack.json").exists()


def test_up_without_java_stops_at_once_and_says_how_to_install(tmp_path: Path) -> None:
    started = time.monotonic()
    result = run_cli("up", "--home", str(tmp_path), env={"PATH": str(tmp_path)})
    assert result.returncode == 1
    assert "apt-get install" in result.stderr
    assert "pubsub-emulator" in result.stderr
    assert time.monotonic() - started < 30
    assert not (tmp_path / "stack.json").exists()


def test_down_without_a_stack_is_harmless(tmp_path: Path) -> None:
    result = run_cli("down", "--home", str(tmp_path))
    assert result.returncode == 0
    assert "no local stack" in result.stdout


def test_env_help_claims_no_gsutil_support_the_emulator_cannot_give() -> None:
    # gsutil's JSON API is https-only (gslib/gcs_json_api.py) and fake-gcs-server serves http.
    from typer.testing import CliRunner

    from dropcast_cli.app import app

    text = " ".join(CliRunner().invoke(app, ["env", "--help"]).stdout.split())
    assert "gcloud storage" in text
    assert "Not gsutil" in text
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    local = readme.split("## Forecast your own file on the local stack")[1].split("\n## ")[0]
    assert "Locally only `gcloud storage` works" in local
