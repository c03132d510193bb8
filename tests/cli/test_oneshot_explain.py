"""``dropcast forecast`` with components, anomalies and a holidays CSV: the files it writes."""

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


def write_spiked(path: Path) -> str:
    """A daily series with a weekly cycle and one spike; returns the spike's date."""
    rng = np.random.default_rng(3)
    t = np.arange(200)
    y = 50 + 0.1 * t + 5 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 1, 200)
    y[150] += 40
    dates = pd.date_range("2024-01-01", periods=200, freq="D")
    pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "sales": y.round(3)}).to_csv(
        path, index=False
    )
    return str(dates[150].date())


def test_components_anomalies_and_holidays_are_written_beside_the_forecast(
    tmp_path: Path,
) -> None:
    source = tmp_path / "sales.csv"
    spike = write_spiked(source)
    (tmp_path / "holidays.csv").write_text("name,date,upper_window\nsale,2024-03-01,1\n")
    out = tmp_path / "out"
    result = run_cli(
        "forecast",
        str(source),
        "-o",
        str(out),
        "-p",
        "components=true",
        "-p",
        "anomalies=flag",
        "-p",
        "chart=components",
        "-p",
        "holidays=holidays.csv",
        "-p",
        "horizon=14",
    )
    assert result.returncode == 0, result.stderr
    components = pd.read_csv(out / "sales.components.csv")
    assert len(components) == 200 + 14
    rebuilt = components["trend"] * (1 + components["multiplicative_terms"])
    rebuilt += components["additive_terms"]
    assert np.abs(rebuilt - components["yhat"]).max() < 1e-6
    forecast = pd.read_csv(out / "sales.csv")
    assert np.abs(components["yhat"].tail(14).to_numpy() - forecast["prediction"]).max() < 1e-6
    assert (components.loc[components["date"] == "2024-03-01", "holidays"] != 0).all()
    anomalies = pd.read_csv(out / "sales.anomalies.csv")
    assert spike in anomalies["date"].tolist()
    report = json.loads((out / "sales.report.json").read_text())
    assert report["summary"]["anomalies"] == len(anomalies)
    assert report["series"][0]["holidays"] == 1
    assert "sales.components.csv" in report["outputs"]


def test_a_holidays_file_with_a_bad_date_is_refused_with_its_line(tmp_path: Path) -> None:
    source = tmp_path / "sales.csv"
    write_spiked(source)
    (tmp_path / "holidays.csv").write_text("name,date\nsale,2024-03-01\nsale,2024-31-12\n")
    result = run_cli("forecast", str(source), "-o", str(tmp_path), "-p", "holidays=holidays.csv")
    assert result.returncode == 2
    report = json.loads((tmp_path / "sales.error.json").read_text())
    assert report["code"] == "invalid_holidays"
    assert report["details"]["line"] == 3
    assert "YYYY-MM-DD" in report["hint"]
