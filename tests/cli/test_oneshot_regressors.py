"""``dropcast forecast`` with external regressors: the same reading and forecast as the service."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from tests.docs.test_readme import REPO, run_block, shell_block
from tests.regressor_files import PROMO_EFFECT, promo_csv


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dropcast_cli", *args], capture_output=True, text=True, timeout=300
    )


def test_one_shot_forecast_uses_the_regressors_and_reports_their_effects(tmp_path: Path) -> None:
    data = promo_csv(tmp_path / "promo.csv")
    result = run_cli(
        "forecast",
        str(data),
        "-o",
        str(tmp_path / "out"),
        "-p",
        "regressors=price,promo",
        "-p",
        "model=prophet",
        "-p",
        "interval_width=0.95",  # the coefficients' interval too: fixed data, not luck
    )
    assert result.returncode == 0, result.stderr
    forecast = pd.read_csv(tmp_path / "out" / "promo.csv")
    assert forecast.groupby("series_id").size().to_dict() == {"a": 14, "b": 14}
    report = json.loads((tmp_path / "out" / "promo.report.json").read_text())
    assert report["regressors"]["mode"] == "additive"
    assert report["regressors"]["horizon_from"] == "future rows"
    for series in report["series"]:
        promo = next(e for e in series["regressors"] if e["name"] == "promo")
        assert promo["coef_lower"] <= PROMO_EFFECT <= promo["coef_upper"]
        assert promo["coef"] == pytest.approx(PROMO_EFFECT, rel=0.1)


def test_one_shot_refuses_a_missing_future_value_with_its_code(tmp_path: Path) -> None:
    data = promo_csv(tmp_path / "short.csv", drop_future=14)
    result = run_cli(
        "forecast", str(data), "-o", str(tmp_path / "out"), "-p", "regressors=price,promo"
    )
    assert result.returncode == 2
    error = json.loads((tmp_path / "out" / "short.error.json").read_text())
    assert error["code"] == "missing_future_regressors"
    assert error["details"]["series"] == ["b"]


def test_the_example_file_is_the_generated_one(tmp_path: Path) -> None:
    assert (
        promo_csv(tmp_path / "promo.csv").read_bytes() == (REPO / "examples/promo.csv").read_bytes()
    )


def test_readme_regressors_block(tmp_path: Path) -> None:
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    script = shell_block("### With external regressors")
    result = run_block(script.replace("uv run", f"uv run --project {REPO}"), tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "out" / "promo.report.json").read_text())
    assert [s["series_id"] for s in report["series"]] == ["a", "b"]
    for series in report["series"]:
        promo = next(e for e in series["regressors"] if e["name"] == "promo")
        assert promo["coef"] == pytest.approx(PROMO_EFFECT, abs=0.5)
