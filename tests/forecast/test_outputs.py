"""The files a job writes: CSV layouts, Parquet, the report, and the one-shot command."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pandas as pd

from dropcast_cli import oneshot
from dropcast_common.params import Params
from dropcast_forecasting.engine import run_forecast
from dropcast_forecasting.render.outputs import render_outputs
from dropcast_forecasting.render.report import build_report
from dropcast_forecasting.render.writer import to_csv


def test_single_series_csv_keeps_the_original_columns(make_series: Any) -> None:
    run = run_forecast(make_series(periods=40), Params(horizon=3), workers=1)
    lines = to_csv(run.forecast).decode().splitlines()
    assert lines[0] == "date,prediction,prediction_lower,prediction_upper"
    assert len(lines) == 4
    assert lines[1].startswith("2022-02-12,")


def test_multi_series_csv_puts_series_id_first(make_series: Any) -> None:
    canonical = pd.concat([make_series("b", periods=30), make_series("a", periods=30)])
    run = run_forecast(canonical, Params(horizon=2, integer=True, uncertainty_samples=0), workers=1)
    lines = to_csv(run.forecast).decode().splitlines()
    assert lines[0] == "series_id,date,prediction,prediction_lower,prediction_upper,model"
    assert [line.split(",")[0] for line in lines[1:]] == ["a", "a", "b", "b"]
    # integer output prints as integers; intervals turned off leave empty cells
    _, _, prediction, lower, upper, model = lines[1].split(",")
    assert model == run.series[0].method
    assert prediction.isdigit()
    assert lower == ""
    assert upper == ""


def test_report_lineage_series_and_quality(make_series: Any) -> None:
    canonical = pd.concat([make_series("a", periods=60), make_series("b", periods=3)])
    params = Params(horizon=4, model="prophet")
    run = run_forecast(canonical, params, workers=1)
    report = build_report(
        series=run.series,
        params=params,
        source="gs://in/sales/x.csv",
        generation=1712,
        job_id="job123",
        quality={"rows_in": 63, "actions": ["dropped 0 rows"]},
        timings=run.timings,
    )
    data = json.loads(report.to_bytes())
    assert data["kind"] == "dropcast.report"
    lineage = data["lineage"]
    assert (lineage["source"], lineage["generation"], lineage["job_id"]) == (
        "gs://in/sales/x.csv", 1712, "job123",
    )  # fmt: skip
    assert lineage["parameters"]["horizon"] == 4
    assert set(lineage["versions"]) == {
        "dropcast", "prophet", "cmdstan", "cmdstanpy", "statsforecast",
    }  # fmt: skip
    assert lineage["versions"]["prophet"].startswith("1.")
    assert data["summary"] == {
        "series": 2, "prophet": 1, "fallback": 1, "skipped": 0, "backtested": 1,
        "warm_started": 0, "backtests_kept": 0, "engine_fallbacks": 0,
        "median_smape": data["series"][0]["backtest"]["smape"],
        "median_mase": data["series"][0]["backtest"]["mase"],
        "wins": {"mean": 1, "prophet": 1}, "backtest_coverage": None,
        "anomalies": None, "anomalies_excluded": 0, "unexplained": [],
    }  # fmt: skip
    b = data["series"][1]
    assert (b["series_id"], b["method"]) == ("b", "mean")
    assert b["reason"].startswith("too short for Prophet")
    assert b["backtest"] is None
    assert b["backtest_note"].startswith("too short for a holdout")
    assert data["series"][0]["fit_seconds"] > 0
    assert data["quality"] == {"rows_in": 63, "actions": ["dropped 0 rows"]}
    assert data["timings"]["forecast_seconds"] > 0


def test_render_outputs_names_every_file_and_the_report_lists_them(make_series: Any) -> None:
    canonical = make_series(periods=40)
    params = Params(horizon=3, output_parquet=True)
    run = run_forecast(canonical, params, workers=1)
    report = build_report(series=run.series, params=params, source="x.csv")
    files = render_outputs("dir/x", canonical, run.forecast, report, params)
    names = [f.name for f in files]
    assert names == ["dir/x.csv", "dir/x.parquet", "dir/x.png", "dir/x.report.json"]
    assert [f.content_type for f in files][-2:] == ["image/png", "application/json"]
    final = json.loads(files[-1].data)
    assert final["outputs"] == names
    assert final["timings"]["chart_seconds"] > 0
    parquet = pd.read_parquet(io.BytesIO(files[1].data))
    pd.testing.assert_frame_equal(parquet, run.forecast, check_dtype=False)


def test_one_shot_writes_csv_png_and_report(hyndsight: Path, tmp_path: Path) -> None:
    result = oneshot.run(hyndsight, tmp_path, ["horizon=14"])
    assert result.ok, result.error
    assert sorted(p.name for p in result.outputs) == [
        "hyndsight.csv", "hyndsight.png", "hyndsight.report.json",
    ]  # fmt: skip
    assert len(pd.read_csv(tmp_path / "hyndsight.csv")) == 14
    assert (tmp_path / "hyndsight.png").read_bytes().startswith(b"\x89PNG")
    report = json.loads((tmp_path / "hyndsight.report.json").read_text())
    assert report["lineage"]["source"] == str(hyndsight)
    assert report["series"][0]["backtest"]["holdout"] == 14
    assert report["quality"]  # ingest's quality report travels along
    assert report["timings"]["normalise_seconds"] >= 0


def test_one_shot_bad_model_parameter_is_an_error_report(hyndsight: Path, tmp_path: Path) -> None:
    result = oneshot.run(hyndsight, tmp_path, ["holidays_country=Atlantis"])
    assert not result.ok
    report = json.loads((tmp_path / "hyndsight.error.json").read_text())
    assert report["code"] == "invalid_parameter"
    assert "holidays" in report["message"]
