"""Every shell block in the README runs as written (the two nox lines run in CI)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text()


def shell_block(after_heading: str) -> str:
    """The first ```bash block under a README heading."""
    section = README.split(after_heading, 1)[1]
    match = re.search(r"```bash\n(.*?)```", section, re.S)
    assert match, f"no bash block under {after_heading!r}"
    return match.group(1)


def run_block(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_quickstart_shows_the_two_commands() -> None:
    block = shell_block("# dropcast")
    assert "pip install uv nox && nox -s demo" in block
    assert "pip install uv nox && nox -s test" in block


@pytest.mark.e2e
@pytest.mark.heavy  # starts and stops a whole stack of its own; nox -s heavy (CI runs it)
@pytest.mark.skipif(shutil.which("gcloud") is None, reason="gcloud CLI not installed")
def test_local_stack_walkthrough(tmp_path: Path) -> None:
    # Run from a copy of the examples so the walkthrough's .dropcast/ is its own.
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    script = shell_block("## Forecast your own file on the local stack")
    try:
        script = script.replace("uv run", f"uv run --project {REPO}")
        # A bound, so a hung stack fails the test instead of the session; generous, so a
        # loaded machine does not.
        result = run_block("timeout 600 bash -c " + _quote(script), tmp_path)
    finally:
        subprocess.run(
            ["uv", "run", "--project", str(REPO), "dropcast", "down"],
            cwd=tmp_path,
            capture_output=True,
            timeout=300,
        )
    assert result.returncode == 0, result.stderr
    assert "date,prediction,prediction_lower,prediction_upper\n2015-04-30," in result.stdout
    assert "stopped: forecast, ingest, storage, pubsub" in result.stdout


def test_one_shot_block(tmp_path: Path) -> None:
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    script = shell_block("## One-shot, no emulators")
    result = run_block(script.replace("uv run", f"uv run --project {REPO}"), tmp_path)
    assert result.returncode == 0, result.stderr
    lines = (tmp_path / "out" / "hyndsight.csv").read_text().splitlines()
    assert len(lines) == 15


def _quote(script: str) -> str:
    return "'" + script.replace("'", "'\"'\"'") + "'"


@pytest.mark.e2e
@pytest.mark.heavy  # starts and stops a whole stack of its own; nox -s heavy (CI runs it)
@pytest.mark.skipif(shutil.which("gcloud") is None, reason="gcloud CLI not installed")
def test_submit_walkthrough(tmp_path: Path) -> None:
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    script = shell_block("## Submit a file and watch it")
    try:
        result = run_block(script.replace("uv run", f"uv run --project {REPO}"), tmp_path)
    finally:
        subprocess.run(
            ["uv", "run", "--project", str(REPO), "dropcast", "down"],
            cwd=tmp_path,
            capture_output=True,
            timeout=300,
        )
    assert result.returncode == 0, result.stderr
    assert "horizon 14  median backtest MASE" in result.stdout
    assert len((tmp_path / "out" / "hyndsight.csv").read_text().splitlines()) == 15
    assert "computed shard 1/1" in result.stdout
    assert "stopped: forecast, ingest, storage, pubsub" in result.stdout
