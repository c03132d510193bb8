"""The PNG is a chart a person reads at a glance.

It decodes, has the expected size and isn't blank; it shows the recent
history that gives the forecast context (or all of it), breaks the line
where data is missing, labels the value axis without a ``1e6`` offset, and
has a legend on small multiples too. Pixel checks look at known regions of
the fixed layout: the chart uses fixed margins (inches), so they are stable.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd
import pytest
from matplotlib import image

from dropcast_common.params import Params, resolve
from dropcast_forecasting.engine import run_forecast
from dropcast_forecasting.render.chart import (
    MAX_HISTORY_POINTS,
    ChartOptions,
    history_points,
    isolated,
    largest_series,
    panel_title,
    render_chart,
    with_gaps,
)
from dropcast_forecasting.render.outputs import chart_options
from dropcast_forecasting.render.report import build_report
from dropcast_forecasting.render.ticks import CompactFormatter

FORECAST_RGB = np.array([0xE7, 0x6F, 0x51]) / 255
HISTORY_RGB = np.array([0x33, 0x41, 0x5C]) / 255
DPI = 100


def _decode(png: bytes) -> np.ndarray:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    pixels: np.ndarray = image.imread(io.BytesIO(png), format="png")
    return pixels[..., :3]


def _share_of_colour(pixels: np.ndarray, rgb: np.ndarray) -> float:
    return float(np.mean(_is_colour(pixels, rgb)))


def _is_colour(pixels: np.ndarray, rgb: np.ndarray, tolerance: float = 0.02) -> np.ndarray:
    matches: np.ndarray = np.all(np.abs(pixels - rgb) < tolerance, axis=-1)
    return matches


def _dark(pixels: np.ndarray) -> np.ndarray:
    dark: np.ndarray = pixels.mean(axis=-1) < 0.6
    return dark


def test_single_series_chart(hyndsight_canonical: pd.DataFrame) -> None:
    run = run_forecast(hyndsight_canonical, Params(), workers=1)
    pixels = _decode(render_chart(hyndsight_canonical, run.forecast, title="hyndsight"))
    assert pixels.shape[:2] == (480, 1000)
    assert pixels.std() > 0.1  # not a blank canvas
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50  # lines, band, text
    assert _share_of_colour(pixels, FORECAST_RGB) > 0.0005  # the forecast line is drawn


def test_small_multiples_show_the_12_largest(make_series: Any) -> None:
    parts = [make_series(f"s{i:02d}", periods=40, level=10.0 * (i + 1), seed=i) for i in range(15)]
    canonical = pd.concat(parts, ignore_index=True)
    shown = largest_series(canonical)
    assert shown == [f"s{i:02d}" for i in range(14, 2, -1)]
    run = run_forecast(canonical, Params(horizon=5), workers=1)
    pixels = _decode(render_chart(canonical, run.forecast))
    assert pixels.shape[:2] == (1200, 1380)  # 4 rows x 3 columns of 460x300 panels
    assert pixels.std() > 0.1
    # Every panel has forecast pixels: check each cell of the grid, below the
    # heading and legend (0.95 in).
    for row in range(4):
        for col in range(3):
            top = max(row * 300, 95)
            cell = pixels[top : (row + 1) * 300, col * 460 : (col + 1) * 460]
            assert _share_of_colour(cell, FORECAST_RGB) > 0.0002, (row, col)


def test_small_multiples_have_a_legend_under_the_heading(make_series: Any) -> None:
    canonical = pd.concat([make_series(f"s{i}", periods=60, seed=i) for i in range(4)])
    run = run_forecast(canonical, Params(horizon=7), workers=1)
    pixels = _decode(render_chart(canonical, run.forecast, title="four"))
    legend_strip = pixels[20:90]  # between the heading and the first panels (0.95 in)
    assert _is_colour(legend_strip, FORECAST_RGB).any()  # the forecast's legend handle
    assert _is_colour(legend_strip, HISTORY_RGB).any()  # the history's


def test_integer_forecasts_and_missing_intervals_still_draw(make_series: Any) -> None:
    canonical = make_series(periods=30)
    run = run_forecast(canonical, Params(horizon=5, integer=True, uncertainty_samples=0), workers=1)
    pixels = _decode(render_chart(canonical, run.forecast))
    assert _share_of_colour(pixels, FORECAST_RGB) > 0.0002


def _single_panel_plot(pixels: np.ndarray) -> np.ndarray:
    """The single panel's axes, its legend (upper left) blanked out."""
    plot = pixels[60:430].copy()
    plot[:80, :240] = 1.0
    return plot


def _forecast_columns_share(pixels: np.ndarray) -> float:
    """Share of the plotted width (history and forecast) that the forecast spans."""
    plot = _single_panel_plot(pixels)
    history = np.flatnonzero(_is_colour(plot, HISTORY_RGB, 0.05).any(axis=0))
    forecast = np.flatnonzero(_is_colour(plot, FORECAST_RGB, 0.05).any(axis=0))
    span = max(history.max(), forecast.max()) - min(history.min(), forecast.min())
    return float((forecast.max() - forecast.min()) / span)


def test_by_default_the_recent_history_gives_the_forecast_room(make_series: Any) -> None:
    # Three years of daily values and a 28-day forecast: all of it would leave
    # the forecast a sliver (under 3 % of the width).
    canonical = make_series(periods=3 * 365, start="2022-01-01")
    run = run_forecast(canonical, Params(), workers=1)
    recent = _decode(render_chart(canonical, run.forecast, options=ChartOptions()))
    everything = _decode(render_chart(canonical, run.forecast, options=ChartOptions(history="all")))
    assert _forecast_columns_share(recent) > 0.15
    assert _forecast_columns_share(everything) < 0.04


def test_a_gap_in_the_data_is_drawn_as_a_gap(make_series: Any) -> None:
    canonical = make_series(periods=300, start="2022-01-01")
    canonical = canonical.drop(canonical.index[100:140]).reset_index(drop=True)  # 40 days
    run = run_forecast(canonical, Params(horizon=14), workers=1)
    options = ChartOptions(history="all", frequencies={"y": "D"})
    pixels = _decode(render_chart(canonical, run.forecast, options=options))
    drawn = np.asarray(_is_colour(_single_panel_plot(pixels), HISTORY_RGB, 0.05).any(axis=0))
    first, last = np.flatnonzero(drawn)[[0, -1]]
    inside = drawn[first : last + 1]
    # The longest stretch of columns with no history: 40 of 314 days is about
    # 110 px of the ~890 px plot; a straight line across would leave none.
    runs = np.diff(np.flatnonzero(np.concatenate([[True], inside, [True]])))
    assert runs.max() - 1 > 60


def test_the_value_axis_is_labelled_without_an_offset(make_series: Any) -> None:
    canonical = make_series(periods=200, level=2_000_000.0, amplitude=200_000.0, noise=20_000.0)
    run = run_forecast(canonical, Params(horizon=14), workers=1)
    plain = _decode(render_chart(canonical, run.forecast))
    labelled = _decode(render_chart(canonical, run.forecast, options=ChartOptions("orders")))
    # The rotated label sits left of the tick labels, in the first ~40 px.
    assert _dark(labelled[100:400, :40]).sum() > 30
    assert not _dark(plain[100:400, :40]).any()
    # Matplotlib puts a "1e6" multiplier above the axis' top-left corner; there is none.
    assert not _dark(labelled[30:54, 60:200]).any()


def test_compact_tick_labels_name_the_magnitude_and_stay_distinct() -> None:
    def labels(locs: list[float]) -> list[str]:
        formatter = CompactFormatter()
        formatter.set_locs(locs)
        return [formatter(v) for v in locs]

    assert labels([1.7e6, 1.8e6, 1.9e6, 2.0e6]) == ["1.7M", "1.8M", "1.9M", "2.0M"]
    assert labels([0, 20_000, 40_000]) == ["0", "20k", "40k"]
    assert labels([0.0, 0.25, 0.5]) == ["0", "0.25", "0.50"]
    assert labels([1_000, 2_000, 3_000]) == ["1,000", "2,000", "3,000"]
    close = labels([2_000_000, 2_000_100, 2_000_200])
    assert len(set(close)) == 3  # what the offset was for, without it
    assert labels([-5e9, 0, 5e9]) == ["-5B", "0", "5B"]


def test_history_points_are_a_few_horizons_or_seasons() -> None:
    assert history_points("auto", 28, "D") == 112  # 4 horizons of 28 days
    assert history_points("auto", 12, "MS") == 48  # 4 horizons, more than 3 years
    assert history_points("auto", 2, "MS") == 36  # 3 seasons of 12 months
    assert history_points("auto", 24, "h") == 96
    assert history_points("auto", 5_000, "D") == MAX_HISTORY_POINTS
    assert history_points("all", 28, "D") >= 10**9
    assert history_points(30, 28, "D") == 30
    assert history_points("auto", 10, "not-an-alias") == 40  # horizons only, never an error


def test_chart_history_parameter() -> None:
    assert Params().chart_history == "auto"
    assert resolve({"chart_history": "ALL"}).chart_history == "all"
    assert resolve({"chart_history": "90"}).chart_history == 90
    for bad in ("0", "-3", "recent", "1.5"):
        with pytest.raises(Exception, match="chart_history is auto, all or a number"):
            resolve({"chart_history": bad})


def test_with_gaps_breaks_only_at_missing_periods() -> None:
    days = pd.Series(pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-05", "2024-01-06"]))
    ds, y = with_gaps(days, np.array([1.0, 2.0, 3.0, 4.0]), "D")
    assert np.isnan(y).sum() == 1
    assert np.isnan(y[2])
    assert ds[2] == np.datetime64("2024-01-02")
    # Business days: Friday to Monday is the next period, not a gap.
    weekdays = pd.Series(pd.bdate_range("2024-01-01", periods=10))
    _, y = with_gaps(weekdays, np.arange(10.0), "B")
    assert not np.isnan(y).any()
    # Months of 28 to 31 days are one step each.
    months = pd.Series(pd.date_range("2024-01-01", periods=14, freq="MS"))
    _, y = with_gaps(months, np.arange(14.0), "MS")
    assert not np.isnan(y).any()
    # Without a frequency (or with one pandas can't read), a step well over the usual one.
    for unknown in (None, "not-an-alias"):
        _, y = with_gaps(days, np.array([1.0, 2.0, 3.0, 4.0]), unknown)
        assert np.isnan(y).sum() == 1


def test_panel_titles_keep_ids_apart() -> None:
    base = "warehouse_europe_north/distribution_centre_hamburg/aisle_07/"
    ids = [f"{base}sensor-{k}" for k in range(12)]
    titles = [panel_title(i, 52) for i in ids]
    assert len(set(titles)) == len(ids)
    assert all(max(len(line) for line in t.split("\n")) <= 52 for t in titles)
    assert titles[3].split("\n") == [
        "warehouse_europe_north/distribution_centre_hamburg/",
        "aisle_07/sensor-3",
    ]
    very_long = "x" * 150 + "_end_42"
    title = panel_title(very_long, 40)
    assert title.endswith("_end_42")
    assert "…" in title
    assert title.count("\n") == 1
    assert panel_title("short", 40) == "short"


def test_outputs_label_the_axis_with_the_value_column(make_series: Any) -> None:
    canonical = make_series(periods=60)
    run = run_forecast(canonical, Params(horizon=7), workers=1)
    quality = {"columns": {"values": ["orders"], "date": ["date"], "ids": []}}
    params = Params(horizon=7, interval_width=0.9, chart_history="all")
    report = build_report(series=run.series, params=params, source="x.csv", quality=quality)
    options = chart_options(canonical, report, params)
    assert options.value_label == "orders"
    assert options.interval_width == 0.9
    assert options.history == "all"
    # The report calls the lone series "orders"; the chart still finds its frequency.
    assert report.series[0].series_id == "orders"
    assert options.frequencies == {"orders": "D", "y": "D"}


def test_a_value_between_two_gaps_is_marked() -> None:
    y = np.array([1.0, np.nan, 2.0, np.nan, 3.0, 4.0, np.nan, 5.0])
    assert isolated(y).tolist() == [True, False, True, False, False, False, False, True]
    assert not isolated(np.array([1.0, 2.0])).any()


def test_anomalies_before_the_window_are_counted_not_hidden() -> None:
    """A panel shows the last chart_history values: earlier anomalies get a count."""
    from matplotlib.figure import Figure

    from dropcast_forecasting.render.chart import _draw_anomalies

    ax = Figure().subplots()
    anomalies = pd.DataFrame(
        {"date": pd.to_datetime(["2023-01-05", "2023-02-01", "2023-06-10"]), "value": [9, 8, 7]}
    )
    _draw_anomalies(ax, anomalies, pd.Timestamp("2023-05-01"))
    ringed = [line for line in ax.get_lines() if line.get_label() == "anomaly"]
    assert len(ringed) == 1
    assert np.asarray(ringed[0].get_xdata()).size == 1  # only the one inside the window
    assert [t.get_text().split(" (")[0] for t in ax.texts] == ["+2 earlier anomalies"]

    later = Figure().subplots()
    _draw_anomalies(later, anomalies, pd.Timestamp("2023-01-01"))
    assert not later.texts  # all shown: nothing to count
