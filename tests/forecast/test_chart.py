"""The PNG is a real chart: it decodes, has the expected size and isn't blank."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import image

from dropcast_common.params import Params
from dropcast_forecasting.engine import run_forecast
from dropcast_forecasting.render.chart import largest_series, render_chart

FORECAST_RGB = np.array([0xE7, 0x6F, 0x51]) / 255


def _decode(png: bytes) -> np.ndarray:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    pixels: np.ndarray = image.imread(io.BytesIO(png), format="png")
    return pixels[..., :3]


def _share_of_colour(pixels: np.ndarray, rgb: np.ndarray) -> float:
    return float(np.mean(np.all(np.abs(pixels - rgb) < 0.02, axis=-1)))


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
    # Every panel has forecast pixels: check each cell of the grid.
    for row in range(4):
        for col in range(3):
            cell = pixels[row * 300 : (row + 1) * 300, col * 460 : (col + 1) * 460]
            assert _share_of_colour(cell, FORECAST_RGB) > 0.0002, (row, col)


def test_integer_forecasts_and_missing_intervals_still_draw(make_series: Any) -> None:
    canonical = make_series(periods=30)
    run = run_forecast(canonical, Params(horizon=5, integer=True, uncertainty_samples=0), workers=1)
    pixels = _decode(render_chart(canonical, run.forecast))
    assert _share_of_colour(pixels, FORECAST_RGB) > 0.0002
