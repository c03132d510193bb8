"""``dropcast submit`` and ``dropcast forecast`` print the report's warnings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from dropcast_cli import submit as submitting
from dropcast_common.status import JobStatus


def test_submit_summary_prints_the_reports_warnings() -> None:
    warning = {"code": "timezone_converted", "message": "converted to UTC", "hint": "use UTC"}
    report = {
        "lineage": {"job_id": "j", "parameters": {"horizon": 28}},
        "summary": {"series": 1, "prophet": 1, "fallback": 0, "skipped": 0, "median_mase": 0.5},
        "warnings": [warning],
    }
    status = JobStatus(job_id="j", state="done")
    result = submitting.Submission("j", "gs://in/x.csv", status, report=report)
    lines = submitting.summary(result).splitlines()
    assert "warning [timezone_converted]: converted to UTC" in lines
    assert "  hint: use UTC" in lines


def test_forecast_prints_the_reports_warnings(tmp_path: Path) -> None:
    # 20 days and the default 28-day horizon: too short to backtest.
    source = tmp_path / "short.csv"
    days = pd.date_range("2024-01-01", periods=20, freq="D").strftime("%Y-%m-%d")
    source.write_text("date,orders\n" + "".join(f"{d},{10 + i % 7}\n" for i, d in enumerate(days)))
    done = subprocess.run(
        [sys.executable, "-m", "dropcast_cli", "forecast", str(source), "-o", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "warning [series_too_short]: the series too short to backtest" in done.stderr
    report = json.loads((tmp_path / "o" / "short.report.json").read_text())
    assert [w["code"] for w in report["warnings"]] == ["series_too_short"]
    assert report["series"][0]["series_id"] == "orders"
