"""Components, anomalies and custom holidays: what the explanation promises, on known data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dropcast_common import naming
from dropcast_common.params import resolve
from dropcast_forecasting.engine import run_forecast

SPIKE_DAY = 300


def spiked(n: int = 400, series_id: str = "a") -> pd.DataFrame:
    """A trend, a weekly cycle, noise, and one level spike of 30 noise scales."""
    rng = np.random.default_rng(7)
    t = np.arange(n)
    y = 10 + 0.02 * t + 3 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 0.5, n)
    y[min(SPIKE_DAY, n - 10)] += 15
    ds = pd.date_range("2022-01-01", periods=n, freq="D")
    return pd.DataFrame({"series_id": series_id, "ds": ds, "y": y})


def sums_up(components: pd.DataFrame) -> float:
    c = components
    rebuilt = c["trend"] * (1 + c["multiplicative_terms"]) + c["additive_terms"]
    return float(np.abs(rebuilt - c["yhat"]).max())


@pytest.mark.parametrize("mode", ["additive", "multiplicative"])
def test_native_components_add_up_to_the_forecast(mode: str) -> None:
    params = resolve(
        {"model": "prophet", "components": True, "horizon": 14, "seasonality_mode": mode}
    )
    frame = spiked()
    run = run_forecast(frame, params, workers=1)
    components = run.components
    assert components is not None
    assert len(components) == len(frame) + 14  # history and horizon
    assert {"trend", "weekly", "additive_terms", "multiplicative_terms"} <= set(components)
    assert sums_up(components) < 1e-6
    ahead = components["yhat"].to_numpy()[-14:]
    assert np.abs(ahead - run.forecast["prediction"].to_numpy()).max() < 1e-6
    assert run.series[0].seasonal_amplitude["weekly"] > 0


def test_custom_holidays_are_a_component_and_only_prophet_is_a_candidate() -> None:
    holidays = [{"name": "promo", "date": "2022-06-01", "upper_window": 1}]
    params = resolve({"components": True, "horizon": 14, "holidays": holidays})
    run = run_forecast(spiked(), params, workers=1)
    result = run.series[0]
    assert result.method == "prophet"
    assert [c.model for c in result.candidates] == ["prophet"]
    assert result.holidays == 1
    assert any("only Prophet" in note for note in result.notes)
    components = run.components
    assert components is not None
    assert sums_up(components) < 1e-6
    on_days = components[components["date"].isin(pd.to_datetime(["2022-06-01", "2022-06-02"]))]
    assert (on_days["holidays"] != 0).all()
    assert (components.loc[components["date"] == "2022-03-01", "holidays"] == 0).all()


def test_holidays_of_another_series_do_not_apply() -> None:
    holidays = [{"name": "promo", "date": "2022-06-01", "series": "b"}]
    params = resolve({"model": "prophet", "components": True, "horizon": 7, "holidays": holidays})
    run = run_forecast(pd.concat([spiked(series_id="a"), spiked(series_id="b")]), params, workers=1)
    by_id = {r.series_id: r for r in run.series}
    assert (by_id["a"].holidays, by_id["b"].holidays) == (0, 1)
    assert run.components is not None
    assert run.components.loc[run.components["series_id"] == "a", "holidays"].isna().all()


@pytest.mark.parametrize("model", ["prophet", "ets"])
def test_an_injected_spike_is_flagged(model: str) -> None:
    frame = spiked()
    run = run_forecast(
        frame, resolve({"model": model, "anomalies": "flag", "horizon": 14}), workers=1
    )
    anomalies = run.anomalies
    assert anomalies is not None
    spike = frame["ds"].iloc[SPIKE_DAY]
    assert spike in set(anomalies["date"])
    row = anomalies[anomalies["date"] == spike].iloc[0]
    assert row["value"] > row["upper"] > row["expected"] > row["lower"]
    assert row["score"] > 0.99
    # A 99 % interval on 400 normal points flags a few, not dozens.
    assert len(anomalies) <= 8
    assert run.series[0].anomalies == len(anomalies)


def test_exclude_refits_without_the_anomalies() -> None:
    frame = spiked()
    flag = run_forecast(frame, resolve({"model": "prophet", "anomalies": "flag"}), workers=1)
    excluded = run_forecast(frame, resolve({"model": "prophet", "anomalies": "exclude"}), workers=1)
    assert flag.anomalies is not None
    assert excluded.anomalies is not None
    assert excluded.series[0].anomalies_excluded == len(flag.anomalies) > 0
    assert excluded.series[0].observations == len(frame) - len(flag.anomalies)
    assert not np.allclose(flag.forecast["prediction"], excluded.forecast["prediction"])


def test_statistical_models_say_they_have_no_components() -> None:
    run = run_forecast(spiked(), resolve({"model": "ets", "components": True}), workers=1)
    assert run.components is not None
    assert run.components.empty
    assert any("no components" in note for note in run.series[0].notes)


def test_components_off_by_default() -> None:
    run = run_forecast(spiked(), resolve({"model": "prophet"}), workers=1)
    assert run.components is None
    assert run.anomalies is None
    assert run.series[0].notes == []
    assert run.series[0].anomalies is None


def test_outputs_name_the_explanation_files_and_parquet_above_the_row_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dropcast_forecasting.render import outputs
    from dropcast_forecasting.render.report import build_report

    frame = spiked(n=120)
    params = resolve({"model": "prophet", "components": True, "anomalies": "flag"})
    run = run_forecast(frame, params, workers=1)
    report = build_report(series=run.series, params=params, source="x.csv")

    def names() -> list[str]:
        files = outputs.render_outputs(
            "x",
            frame,
            run.forecast,
            report,
            params,
            components=run.components,
            anomalies=run.anomalies,
        )
        return [f.name for f in files]

    assert names() == ["x.csv", "x.components.csv", "x.anomalies.csv", "x.png", "x.report.json"]
    # Each file is its own kind in the job's status (x.components.csv is not "the CSV").
    kinds = [naming.output_kind(name) for name in names()]
    assert kinds == ["csv", "components", "anomalies", "png", "report"]
    monkeypatch.setattr(outputs, "COMPONENTS_CSV_MAX_ROWS", 100)
    assert "x.components.parquet" in names()


@pytest.mark.parametrize("count", [1, 12])
def test_the_chart_gets_a_components_panel_under_each_forecast(count: int) -> None:
    import io

    from PIL import Image

    from dropcast_forecasting.render.chart import ChartOptions, render_chart

    frame = pd.concat([spiked(n=120, series_id=f"s{k:02d}") for k in range(count)])
    params = resolve({"model": "prophet", "anomalies": "flag", "chart": "components"})
    run = run_forecast(frame, params, workers=1)
    plain = Image.open(io.BytesIO(render_chart(frame, run.forecast)))
    options = ChartOptions(anomalies=run.anomalies, components=run.components)
    stacked = Image.open(io.BytesIO(render_chart(frame, run.forecast, options=options)))
    assert stacked.width == plain.width
    assert stacked.height == pytest.approx(plain.height * 1.55, abs=2)


def test_custom_holidays_combine_with_the_country_holidays() -> None:
    holidays = [{"name": "promo", "date": "2022-06-01"}]
    params = resolve(
        {"model": "prophet", "components": True, "holidays": holidays, "holidays_country": "US"}
    )
    run = run_forecast(spiked(), params, workers=1)
    components = run.components
    assert components is not None
    effect = components.set_index("date")["holidays"]
    # The custom event and a US holiday (Independence Day) both have an effect.
    assert effect[pd.Timestamp("2022-06-01")] != 0
    assert effect[pd.Timestamp("2022-07-04")] != 0
    assert effect[pd.Timestamp("2022-06-15")] == 0
