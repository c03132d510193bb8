"""``dropcast forecast``: one process, no emulators, same code as the services."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dropcast_cli", *args], capture_output=True, text=True, timeout=300
    )


def test_forecast_writes_csv_matching_the_original(
    hyndsight: Path, hyndsight_seed: Path, tmp_path: Path
) -> None:
    # model=prophet is the original project's model
    result = run_cli("forecast", str(hyndsight), "-o", str(tmp_path), "-p", "model=prophet")
    assert result.returncode == 0, result.stderr
    out = pd.read_csv(tmp_path / "hyndsight.csv")
    seed = pd.read_csv(hyndsight_seed)
    assert out["date"].tolist() == seed["date"].tolist()
    mape = np.mean(np.abs((out["prediction"] - seed["prediction"]) / seed["prediction"])) * 100
    assert mape < 1.0


def test_param_sets_the_horizon(hyndsight: Path, tmp_path: Path) -> None:
    result = run_cli("forecast", str(hyndsight), "-o", str(tmp_path), "--param", "horizon=7")
    assert result.returncode == 0, result.stderr
    assert len(pd.read_csv(tmp_path / "hyndsight.csv")) == 7


def test_bad_input_writes_error_json_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "empty.csv"
    bad.write_text("")
    result = run_cli("forecast", str(bad), "-o", str(tmp_path / "out"))
    assert result.returncode == 2
    report = json.loads((tmp_path / "out" / "empty.error.json").read_text())
    assert report["code"] == "empty_file"
    assert report["message"]
    assert report["hint"]
    assert "hint:" in result.stderr


def test_unknown_parameter_exits_2(hyndsight: Path, tmp_path: Path) -> None:
    result = run_cli("forecast", str(hyndsight), "-o", str(tmp_path), "--param", "horizn=7")
    assert result.returncode == 2
    assert json.loads((tmp_path / "hyndsight.error.json").read_text())["code"] == (
        "unknown_parameter"
    )


def test_forecast_never_overwrites_its_input(hyndsight: Path, tmp_path: Path) -> None:
    source = tmp_path / "sales.csv"
    source.write_bytes(hyndsight.read_bytes())
    result = run_cli("forecast", str(source), "-o", str(tmp_path))
    assert result.returncode == 2
    assert source.read_bytes() == hyndsight.read_bytes()
    report = json.loads((tmp_path / "sales.error.json").read_text())
    assert report["code"] == "output_overwrites_input"
    assert "-o DIR" in report["hint"]


def test_default_output_directory_is_forecasts(hyndsight: Path, tmp_path: Path) -> None:
    source = tmp_path / "sales.csv"
    source.write_bytes(hyndsight.read_bytes())
    result = subprocess.run(
        [sys.executable, "-m", "dropcast_cli", "forecast", "sales.csv"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "forecasts" / "sales.csv").exists()
    assert source.read_bytes() == hyndsight.read_bytes()


def test_a_good_run_removes_the_error_report_of_an_earlier_bad_one(
    hyndsight: Path, tmp_path: Path
) -> None:
    from dropcast_cli import oneshot

    source = tmp_path / "sales.csv"
    source.write_bytes(hyndsight.read_bytes())
    out = tmp_path / "out"
    rejected = oneshot.run(source, out, ["horizn=7"])
    assert rejected.error is not None
    assert (out / "sales.error.json").exists()
    done = oneshot.run(source, out, ["horizon=7", "uncertainty_samples=0"])
    assert done.ok
    assert sorted(p.name for p in out.iterdir()) == ["sales.csv", "sales.png", "sales.report.json"]
