"""The report says what to know before trusting a forecast, and what it was made from.

Warnings for a model that lost to seasonal naive, badly calibrated
intervals, series too short, and whatever ingest flagged while reading (a
timezone conversion, a guessed code page); a lone series named after its
column; parameters as resolved, not ``null``.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dropcast_common.params import Params
from dropcast_forecasting import warmstart
from dropcast_forecasting.backtest import score
from dropcast_forecasting.engine import run_forecast
from dropcast_forecasting.render.report import ForecastReport, build_report, format_warnings
from dropcast_forecasting.results import Backtest, Method, SeriesResult
from dropcast_forecasting.warmstart import Carried, history_digest

QUALITY = {
    "format": {
        "kind": "csv",
        "encoding": "cp1250",
        "delimiter": ";",
        "decimal": ",",
        "header": True,
    },
    "columns": {
        "date": ["Datum"],
        "date_format": "day/month/year",
        "ids": [],
        "values": ["orders"],
        "layout": "wide",
    },
    "frequency": {"source": "inferred", "counts": {"D": 1}},
    "series": {"count": 1, "too_short": {"count": 0, "series": []}},
}


def _result(
    sid: str,
    *,
    mase: float | None = 0.6,
    mae: float = 6.0,
    naive_mae: float = 10.0,
    coverage: float | None = 0.8,
    holdout: int = 28,
    method: Method = "prophet",
) -> SeriesResult:
    backtest = Backtest(
        holdout=holdout,
        mae=mae,
        smape=5.0,
        mase=mase,
        naive_mae=naive_mae,
        season_length=7,
        coverage=coverage,
    )
    return SeriesResult(series_id=sid, method=method, frequency="D", backtest=backtest)


def _codes(report: ForecastReport) -> list[str]:
    return [w.code for w in report.warnings]


def _report(series: list[SeriesResult], **kwargs: Any) -> ForecastReport:
    return build_report(
        series=series, params=kwargs.pop("params", Params()), source="x.csv", **kwargs
    )


def test_a_good_forecast_has_no_warnings() -> None:
    report = _report([_result(f"s{i}") for i in range(5)])
    assert report.warnings == []
    assert json.loads(report.to_bytes())["warnings"] == []


def test_losing_to_seasonal_naive_is_a_warning() -> None:
    series = [_result("good"), _result("mase_above_1", mase=1.4), _result("lost", mae=12.0)]
    report = _report(series)
    (warning,) = report.warnings
    assert warning.code == "worse_than_seasonal_naive"
    assert warning.series == ["lost", "mase_above_1"]
    assert warning.count == 2
    assert "2 of 3 series" in warning.message
    assert "mase_above_1, MASE 1.40" in warning.message  # the worst one, with its numbers


def test_seasonal_naive_is_not_said_to_lose_to_itself() -> None:
    report = _report([_result("a", mase=1.3, method="seasonal_naive")])
    assert report.warnings == []


def test_badly_calibrated_intervals_are_a_warning() -> None:
    # 40 % coverage of a 28-value holdout for an 80 % interval: far off.
    series = [_result("narrow", coverage=0.4), *[_result(f"ok{i}") for i in range(3)]]
    (warning,) = _report(series).warnings
    assert warning.code == "intervals_miscalibrated"
    assert warning.series == ["narrow"]
    assert warning.details["too_narrow"] == 1
    assert "80 % interval covered 70%" in warning.message


def test_coverage_within_sampling_noise_is_not_a_warning() -> None:
    # 71 % (20 of 28) for 80 %: 1.2 binomial deviations, what chance gives.
    assert _report([_result("a", coverage=20 / 28)]).warnings == []


def test_coverage_off_over_many_series_is_a_warning_even_if_each_is_close() -> None:
    # 68 % on each of 30 series: within one holdout's noise, not over 840 values.
    series = [_result(f"s{i:02d}", coverage=19 / 28) for i in range(30)]
    (warning,) = _report(series).warnings
    assert warning.code == "intervals_miscalibrated"
    assert warning.count == 0  # no single series is far off
    assert warning.details["coverage"] == pytest.approx(19 / 28, abs=1e-3)


def test_no_calibration_warning_without_intervals() -> None:
    report = _report([_result("a", coverage=0.2)], params=Params(uncertainty_samples=0))
    assert report.warnings == []


def test_short_series_are_warned_about() -> None:
    skipped = SeriesResult(series_id="tiny", method="skipped", reason="needs at least 3 values")
    unbacktested = SeriesResult(
        series_id="short",
        method="seasonal_naive",
        backtest_note="too short for a holdout of 28: 20 values, needs 31",
    )
    quality = {**QUALITY, "series": {"count": 3, "too_short": {"count": 2, "series": ["a", "b"]}}}
    report = _report([_result("fine"), skipped, unbacktested], quality=quality)
    assert _codes(report) == ["series_too_short", "series_skipped", "series_too_short"]
    dropped, skip, short = report.warnings
    assert dropped.series == ["a", "b"]
    assert "left out" in dropped.message
    assert skip.series == ["tiny"]
    assert "needs at least 3 values" in skip.message
    assert short.series == ["short"]
    assert "accuracy unknown" in short.message


def test_warnings_ingest_recorded_are_passed_through() -> None:
    quality = {
        **QUALITY,
        "warnings": [
            {
                "code": "timezone_converted",
                "message": "timestamps with offsets (+01:00, +02:00) were converted to UTC",
                "hint": "Set the timestamps in UTC if local time matters.",
                "column": "Datum",
            },
            {"code": "encoding_guessed", "message": "read as cp1250; cp1252 was close"},
            "x.csv was read as cp1250, but cp1252 fits its bytes almost as well.",
            {"message": "no code: ignored"},
            "",
        ],
    }
    report = _report([_result("a")], quality=quality)
    assert _codes(report) == ["timezone_converted", "encoding_guessed", "reading"]
    assert report.warnings[2].message.startswith("x.csv was read as cp1250")
    assert "encoding" in report.warnings[2].hint
    assert report.warnings[0].details == {"column": "Datum"}
    assert report.warnings[0].hint.startswith("Set the timestamps")


def test_a_manifests_inputs_warnings_are_all_passed_through() -> None:
    one = {**QUALITY, "warnings": [{"code": "timezone_converted", "message": "m1"}]}
    two = {**QUALITY, "warnings": [{"code": "encoding_guessed", "message": "m2"}]}
    report = _report([_result("a")], quality={"_in/a.csv": one, "_in/b.csv": two})
    assert _codes(report) == ["timezone_converted", "encoding_guessed"]


def test_format_warnings_gives_terminal_lines_from_the_report_or_its_json() -> None:
    report = _report([_result("lost", mae=12.0)])
    lines = format_warnings(report)
    assert lines[0].startswith("warning [worse_than_seasonal_naive]: the series forecast worse")
    assert lines[1].startswith("  hint: ")
    assert format_warnings(json.loads(report.to_bytes())) == lines
    assert format_warnings({"kind": "dropcast.report"}) == []  # an older report


def test_a_lone_series_is_named_after_its_value_column() -> None:
    report = _report([_result("y")], quality=QUALITY)
    assert report.series[0].series_id == "orders"
    several = _report([_result("y"), _result("z")], quality=QUALITY)
    assert [s.series_id for s in several.series] == ["y", "z"]  # ids are the user's then
    assert _report([_result("y")]).series[0].series_id == "y"  # no quality: nothing to go by


def test_parameters_are_reported_as_resolved() -> None:
    report = _report([_result("y")], quality=QUALITY, params=Params(delimiter=","))
    parameters = report.lineage.parameters
    assert parameters["date_column"] == "Datum"
    assert parameters["value_columns"] == ["orders"]
    assert parameters["id_columns"] == []
    assert parameters["layout"] == "wide"
    assert parameters["encoding"] == "cp1250"
    assert parameters["decimal"] == ","
    assert parameters["header"] is True
    assert parameters["dayfirst"] is True
    assert parameters["frequency"] == "D"
    assert parameters["delimiter"] == ","  # given by the user: kept, even if sniffing differs
    assert "delimiter" not in report.lineage.found_in_file
    assert set(report.lineage.found_in_file) == {
        "date_column",
        "value_columns",
        "id_columns",
        "layout",
        "encoding",
        "decimal",
        "header",
        "dayfirst",
        "frequency",
    }


def test_several_frequencies_are_not_reported_as_one() -> None:
    quality = {**QUALITY, "frequency": {"source": "inferred", "counts": {"D": 3, "MS": 1}}}
    report = _report([_result("a")], quality=quality)
    assert report.lineage.parameters["frequency"] is None


def test_backtest_coverage_is_the_share_inside_the_bounds() -> None:
    train = np.arange(30.0)
    actual = np.array([30.0, 31.0, 32.0, 33.0])
    bt = score(train, actual, actual + 0.5, 1, (actual - 1.0, np.array([31.0, 32.0, 31.0, 32.0])))
    assert bt.coverage == 0.5  # 30 and 31 inside, 32 and 33 above their upper bound
    assert score(train, actual, actual, 1).coverage is None


def test_the_engine_records_backtest_coverage_with_intervals(make_series: Any) -> None:
    canonical = make_series(periods=120)
    with_intervals = run_forecast(canonical, Params(horizon=14), workers=1).series[0]
    assert with_intervals.backtest is not None
    assert with_intervals.backtest.coverage is not None
    assert 0.0 <= with_intervals.backtest.coverage <= 1.0
    without = run_forecast(canonical, Params(horizon=14, uncertainty_samples=0), workers=1)
    assert without.series[0].backtest is not None
    assert without.series[0].backtest.coverage is None


def test_a_kept_backtest_drops_its_coverage_under_other_interval_settings() -> None:
    backtest = _result("a", coverage=0.75).backtest
    assert backtest is not None
    init = {"k": 0.1, "m": 0.5, "sigma_obs": 0.1, "delta": [0.0] * 25, "beta": [0.0] * 6}
    ds = pd.date_range("2024-01-01", periods=90, freq="D").to_numpy()
    carried = Carried(init, 90, history_digest(ds, np.ones(90)), "D", backtest, 88)
    stored = warmstart.encode({"a": carried}, Params())
    same = warmstart.decode(stored, Params())["a"].backtest
    wider = warmstart.decode(stored, Params(interval_width=0.95))["a"].backtest
    assert same is not None
    assert same.coverage == 0.75
    assert wider is not None
    assert wider.coverage is None
    assert wider.mase == backtest.mase  # the rest of the backtest is still kept
