"""The ``<name>.png`` chart: recent history, forecast and its interval band.

One panel per series, small multiples for up to 12 series; with more, the
12 largest by volume (sum of absolute values). A panel shows the history
that gives the forecast its context (``chart_history``), breaks the line
where periods are missing, labels the value axis with the value column's
name in plain numbers (``2.4M``), and the legend names the interval's
width. Anomalies (``anomalies`` on) are ringed on the history; with
``chart=components`` each panel gets the trend as a dashed line and a
second panel under it with the seasonalities and holidays. Rendered with
matplotlib's Agg canvas on a private Figure — no pyplot global state, so
it is safe in a threaded server.
"""

from __future__ import annotations

import io
import math
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dropcast_common import frequency as frequencies
from dropcast_common.errors import InputError
from dropcast_forecasting.calendar import season_length
from dropcast_forecasting.render.warnings import interval_name

MAX_PANELS = 12
# ``chart_history=all`` draws everything; otherwise never more than this many
# points, which keeps the forecast readable and the rendering cheap.
MAX_HISTORY_POINTS = 2_000
# The default history shown: this many horizons or this many seasons of the
# series, whichever is longer — the forecast takes a fifth of the panel or more,
# and the seasonal pattern it continues is visible.
CONTEXT_HORIZONS = 4
CONTEXT_SEASONS = 3
# Panel titles wrap onto a second line rather than being cut, so series whose
# ids differ only at the end stay distinguishable.
_TITLE_SEPARATORS = "/_-. "
_TITLE_POINTS = 9
_CHAR_WIDTH_POINTS = 5.2  # a DejaVu Sans character at 9 pt, on average

_HISTORY = "#33415c"
_FORECAST = "#e76f51"
_ANOMALY = "#d62828"
_TREND = "#2a9d8f"
# Components drawn in the panel under a forecast: every term but these.
_NOT_DRAWN = {
    "series_id",
    "date",
    "actual",
    "trend",
    "additive_terms",
    "multiplicative_terms",
    "yhat",
}
_TERM_COLOURS = ("#3a86ff", "#8338ec", "#6a994e", "#b5179e", "#f4a261", "#264653")


@dataclass(frozen=True)
class ChartOptions:
    """What the chart needs beyond the two tables: labels, widths, the history to show."""

    value_label: str | None = None
    interval_width: float = 0.8
    history: str | int = "auto"
    frequencies: Mapping[str, str] = field(default_factory=dict)
    anomalies: pd.DataFrame | None = None  # series_id, date, value, ...: ringed on the history
    components: pd.DataFrame | None = None  # chart=components: the panel under each forecast


def largest_series(canonical: pd.DataFrame, limit: int = MAX_PANELS) -> list[str]:
    """The ``limit`` series with the largest volume (sum of |y|), largest first; ties by id."""
    volume = canonical["y"].abs().groupby(canonical["series_id"]).sum()
    ranked = sorted(volume.items(), key=lambda item: (-float(item[1]), str(item[0])))
    return [str(series_id) for series_id, _ in ranked[:limit]]


def render_chart(
    canonical: pd.DataFrame,
    forecast: pd.DataFrame,
    *,
    title: str = "",
    dpi: int = 100,
    options: ChartOptions | None = None,
) -> bytes:
    """PNG bytes of history (canonical: series_id, ds, y) and forecast (FORECAST_COLUMNS)."""
    from dropcast_forecasting.render.agg import agg_classes

    Figure, FigureCanvasAgg = agg_classes()  # noqa: N806 - the classes, under their names
    options = options or ChartOptions()
    shown = largest_series(canonical)
    total = int(canonical["series_id"].nunique())
    count = max(1, len(shown))
    cols = 1 if count == 1 else 2 if count <= 4 else 3
    rows = math.ceil(count / cols)
    stacked = options.components is not None
    size = (10.0, 4.8) if count == 1 else (4.6 * cols, 3.0 * rows)
    if stacked:  # a components panel half a forecast panel's height under each
        size = (size[0], size[1] * 1.55)
    titles = [panel_title(sid, _title_chars(size[0], cols)) for sid in shown] if count > 1 else []
    two_line = any("\n" in t for t in titles)
    figure = Figure(figsize=size, dpi=dpi)
    FigureCanvasAgg(figure)
    grid = _margins(size, rows, cols, two_line_titles=two_line)
    below: list[Any] = []
    if stacked:
        axes, below = _stacked_axes(figure, rows, cols, grid)
    else:
        axes = figure.subplots(rows, cols, squeeze=False, gridspec_kw=grid).flatten()
    histories = _by_series(canonical, shown)
    forecasts = _by_series(forecast, shown)
    anomalies = _by_series(options.anomalies, shown)
    components = _by_series(options.components, shown)
    for index, (ax, series_id) in enumerate(zip(axes, shown, strict=False)):
        ahead = forecasts.get(series_id)
        frequency = options.frequencies.get(series_id)
        points = history_points(options.history, 0 if ahead is None else len(ahead), frequency)
        history = histories[series_id].tail(points)
        ds, y = with_gaps(history["ds"], history["y"].to_numpy(dtype="float64"), frequency)
        ax.plot(ds, y, color=_HISTORY, linewidth=1.0, label="history")
        alone = isolated(y)
        if alone.any():  # a value between two gaps has no line to be part of
            ax.plot(ds[alone], y[alone], "o", color=_HISTORY, markersize=2.5)
        if ahead is not None:
            _draw_forecast(ax, ahead, options.interval_width)
        start = history["ds"].iloc[0] if len(history) else None
        _draw_anomalies(ax, anomalies.get(series_id), start)
        if stacked:
            _draw_components(ax, below[index], components.get(series_id), start, count > 4)
            if index % cols == 0:
                below[index].set_ylabel("components", fontsize=9)
        _style_axes(ax, dense=count > 4)
        if stacked:  # the panel under it carries the dates
            ax.tick_params(labelbottom=False)
        if options.value_label and index % cols == 0:
            ax.set_ylabel(options.value_label[:40], fontsize=9, parse_math=False)
        if titles:
            # Series ids and titles are user text: never parsed as $...$ math (which can raise).
            # A fixed y: Matplotlib otherwise measures every axis' tick labels
            # at draw time to keep the title clear of them (a sixth of a chart's
            # time), and these panels have no labels on top.
            ax.set_title(titles[index], fontsize=_TITLE_POINTS, parse_math=False, y=1.0)
    for ax in [*axes[len(shown) :], *below[len(shown) :]]:
        ax.set_visible(False)
    _pin_empty_axis_labels([*axes[: len(shown)], *below[: len(shown)]])
    heading = title or "dropcast forecast"
    if total > len(shown):
        heading += f" — {len(shown)} largest of {total} series"
    if count == 1:
        handles, labels = _legend_entries([axes[0], *below[:1]])
        axes[0].legend(handles, labels, loc="upper left", fontsize=8, ncols=2 if stacked else 1)
        figure.suptitle(heading, fontsize=11, parse_math=False)
    else:
        # One legend for every panel, under the heading: the panels share their colours.
        handles, labels = _legend_entries([*axes[: len(shown)], *below[: len(shown)]])
        figure.suptitle(heading, fontsize=11, parse_math=False, y=1 - 0.12 / size[1])
        figure.legend(
            handles,
            labels,
            loc="upper center",
            bbox_to_anchor=(0.5, 1 - 0.38 / size[1]),
            ncols=len(labels),
            fontsize=8,
            frameon=False,
        )
    return _png(figure)


def _png(figure: Any) -> bytes:
    """The figure drawn and encoded as an opaque RGB PNG, at zlib level 3.

    ``savefig`` writes RGBA, but the figure's white background leaves every
    pixel opaque: without the alpha channel the PNG has the same pixels, is
    9 % smaller and encodes a fifth faster (B1's chart). Level 3 instead of
    zlib's 6: half the encoding time, 13 % larger.
    """
    import matplotlib
    from PIL import Image, PngImagePlugin

    figure.canvas.draw()
    rgba = np.asarray(figure.canvas.buffer_rgba())
    height, width = rgba.shape[:2]
    image = Image.frombuffer("RGBA", (width, height), rgba, "raw", "RGBA", 0, 1).convert("RGB")
    info = PngImagePlugin.PngInfo()  # what savefig writes
    info.add_text(
        "Software", f"Matplotlib version{matplotlib.__version__}, https://matplotlib.org/"
    )
    buffer = io.BytesIO()
    image.save(buffer, format="png", compress_level=3, dpi=(figure.dpi, figure.dpi), pnginfo=info)
    return buffer.getvalue()


def history_points(history: str | int, horizon: int, frequency: str | None) -> int:
    """How many of a series' last observations its panel shows (``chart_history``).

    ``all``: every one. A number: that many. ``auto``: the longer of
    CONTEXT_HORIZONS horizons and CONTEXT_SEASONS seasons, at most
    MAX_HISTORY_POINTS.
    """
    if history == "all":
        return sys.maxsize
    if isinstance(history, int):
        return history
    season = 1
    if frequency:
        try:
            season = season_length(frequency)
        except (InputError, ValueError):  # a chart is drawn whatever the alias
            season = 1
    wanted = max(CONTEXT_HORIZONS * horizon, CONTEXT_SEASONS * season)
    return min(MAX_HISTORY_POINTS, max(wanted, 1))


def with_gaps(ds: pd.Series, y: np.ndarray, frequency: str | None) -> tuple[np.ndarray, np.ndarray]:
    """The points with a NaN after each missing stretch, so the line breaks there.

    A period is missing where the next timestamp comes later than one step
    of the series' frequency; without a frequency, later than 1.5 times the
    median step (business days then break at weekends, which the frequency
    ``B`` avoids).
    """
    stamps = pd.DatetimeIndex(ds)
    values = np.asarray(y, dtype="float64")
    if len(stamps) < 3:
        return stamps.to_numpy(), values
    following = stamps[1:]
    expected = _next_stamps(stamps[:-1], frequency)
    if expected is not None:
        gap = np.asarray(following > expected)
    else:
        steps = np.diff(stamps.asi8)
        gap = steps > 1.5 * np.median(steps)
    breaks = np.flatnonzero(gap) + 1
    if not len(breaks):
        return stamps.to_numpy(), values
    # A NaN at the timestamp before the gap: matplotlib ends the line there.
    return (
        np.insert(stamps.to_numpy(), breaks, stamps.to_numpy()[breaks - 1]),
        np.insert(values, breaks, np.nan),
    )


def isolated(y: np.ndarray) -> np.ndarray:
    """Which values have a gap (NaN) or an end of the series on both sides."""
    value = ~np.isnan(y)
    padded = np.concatenate([[False], value, [False]])
    alone: np.ndarray = value & ~padded[:-2] & ~padded[2:]
    return alone


def _next_stamps(stamps: pd.DatetimeIndex, frequency: str | None) -> pd.DatetimeIndex | None:
    if not frequency:
        return None
    try:
        offset = frequencies.to_offset_or_error(frequency)
        with warnings.catch_warnings():
            # Offsets pandas can't shift vectorised warn, then shift one by one.
            warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
            shifted = stamps + offset
    except (InputError, ValueError, TypeError):
        return None
    return pd.DatetimeIndex(shifted)


def panel_title(series_id: str, chars: int) -> str:
    """The series id on at most two lines of ``chars``, its middle elided if longer still.

    Ids such as ``region/store_011/department_grocery`` often differ only at
    one end, so both ends are kept. The first line ends at a separator
    (``/ _ - .`` or a space) when one falls in its second half.
    """
    chars = max(chars, 8)
    if len(series_id) <= chars:
        return series_id
    cut = max(series_id.rfind(sep, 0, chars) for sep in _TITLE_SEPARATORS) + 1
    if cut <= chars // 2:
        cut = chars
    head, rest = series_id[:cut], series_id[cut:]
    if len(rest) <= chars:
        return f"{head}\n{rest}"
    return f"{head}\n…{series_id[-(chars - 1) :]}"


def _title_chars(width: float, cols: int) -> int:
    panel_inches = (width - 1.0) / cols - 0.3
    return int(panel_inches * 72 / _CHAR_WIDTH_POINTS)


def _style_axes(ax: Any, *, dense: bool) -> None:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.ticker import MaxNLocator

    from dropcast_forecasting.render.ticks import CompactFormatter

    # Fewer date ticks on narrow panels: hourly labels such as 06:00 otherwise touch.
    locator = AutoDateLocator(minticks=3, maxticks=5 if dense else 8)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    ax.yaxis.set_major_formatter(CompactFormatter())
    if dense:
        # About five value ticks on the small panels: matplotlib's default gave
        # up to eleven on a 3-inch panel, crowded, and every tick is four
        # artists to create and draw (an eighth of B1's chart).
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
    # The date offset (e.g. 2024-May) at the ticks' size: at its default 10 pt
    # it crowds the title of the panel below.
    ax.xaxis.get_offset_text().set_fontsize(8)
    ax.grid(alpha=0.3)
    ax.tick_params(labelsize=8)


def _pin_empty_axis_labels(axes: Any) -> None:
    """Keep matplotlib from placing axis labels the panels don't have.

    At draw time it places every axis label clear of the tick labels of
    the axis and of its siblings, measuring each of them: a sixth of the
    chart's drawing, spent on the date axes (never labelled) and the value
    axes of all but the first column. A fixed position for an empty label
    skips that and draws the same pixels.
    """
    for ax in axes:
        for axis in (ax.xaxis, ax.yaxis):
            if not axis.get_label_text():
                axis.set_label_coords(0.5, 0.5)


def _margins(
    size: tuple[float, float], rows: int, cols: int, *, two_line_titles: bool = False
) -> dict[str, float]:
    """Fixed margins, in inches turned into figure fractions, for the grid of panels.

    Constrained layout measured every tick label to place the panels and
    took 40 % of a chart's time (benchmarks B1, B4); the labels here have
    known sizes (8 pt ticks, CompactFormatter's short numbers, a 9 pt axis
    label and panel titles, an 11 pt heading with the legend under it), so
    fixed room for them gives the same look.
    """
    width, height = size
    single = rows * cols == 1
    left, right, bottom = 0.85, 0.2, 0.45
    top = 0.55 if single else 0.95
    title_room = 0.15 if two_line_titles else 0.0
    top += title_room
    between_cols, between_rows = 0.75, 0.7 + title_room
    panel_width = (width - left - right - between_cols * (cols - 1)) / cols
    panel_height = (height - top - bottom - between_rows * (rows - 1)) / rows
    return {
        "left": left / width,
        "right": 1 - right / width,
        "bottom": bottom / height,
        "top": 1 - top / height,
        "wspace": between_cols / panel_width,
        "hspace": between_rows / panel_height,
    }


def _stacked_axes(
    figure: Any, rows: int, cols: int, grid: dict[str, float]
) -> tuple[Any, list[Any]]:
    """Each cell split into a forecast panel and, close under it, a components panel."""
    outer = figure.add_gridspec(rows, cols, **grid)
    top, bottom = [], []
    for row in range(rows):
        for col in range(cols):
            inner = outer[row, col].subgridspec(2, 1, height_ratios=[2, 1], hspace=0.08)
            upper = figure.add_subplot(inner[0])
            top.append(upper)
            bottom.append(figure.add_subplot(inner[1], sharex=upper))
    return np.array(top), bottom


def _by_series(frame: pd.DataFrame | None, shown: list[str]) -> dict[str, pd.DataFrame]:
    """The rows of each series a panel shows (a frame per series for all 200 of B1's
    series cost three times as much as picking the dozen shown first)."""
    if frame is None or not len(frame):
        return {}
    rows = frame[frame["series_id"].isin(shown)]
    return {str(k): v for k, v in rows.groupby("series_id", sort=False)}


def _legend_entries(axes: Any) -> tuple[list[Any], list[str]]:
    """Each label once, from whichever panel has it (not every panel has anomalies)."""
    handles: dict[str, Any] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    return list(handles.values()), list(handles)


def _draw_anomalies(ax: Any, frame: pd.DataFrame | None, start: pd.Timestamp | None) -> None:
    """Ring the anomalies inside the history the panel shows; say how many are earlier.

    A panel shows the last ``chart_history`` values, so an anomaly before
    them can't be ringed: the panel counts them instead of hiding them.
    """
    if frame is None or start is None:
        return
    inside = pd.to_datetime(frame["date"]) >= start
    shown = frame[inside]
    earlier = int((~inside).sum())
    if earlier:
        ax.text(
            0.01,
            0.02,
            f"+{earlier} earlier {'anomaly' if earlier == 1 else 'anomalies'} "
            "(see the anomalies file, or widen chart_history)",
            transform=ax.transAxes,
            fontsize=7,
            color=_ANOMALY,
            va="bottom",
        )
    if not len(shown):
        return
    ax.plot(
        pd.to_datetime(shown["date"]),
        shown["value"].astype("float64"),
        "o",
        markersize=6,
        markerfacecolor="none",
        markeredgecolor=_ANOMALY,
        markeredgewidth=1.4,
        label="anomaly",
        zorder=5,
    )


def _draw_components(
    ax: Any, lower: Any, frame: pd.DataFrame | None, start: pd.Timestamp | None, dense: bool
) -> None:
    """The trend on the forecast's panel; seasonalities and holidays in the one under it."""
    _style_axes(lower, dense=dense)
    if frame is None or start is None:
        lower.text(
            0.5,
            0.5,
            "no components (not a Prophet forecast)",
            ha="center",
            va="center",
            fontsize=8,
            color="#666666",
            transform=lower.transAxes,
        )
        lower.set_xticks([])
        lower.set_yticks([])
        return
    frame = frame[pd.to_datetime(frame["date"]) >= start]
    dates = pd.to_datetime(frame["date"])
    ax.plot(dates, frame["trend"], color=_TREND, linestyle="--", linewidth=1.0, label="trend")
    terms = [c for c in frame.columns if c not in _NOT_DRAWN and frame[c].notna().any()]
    for colour, term in zip(_TERM_COLOURS * 3, terms, strict=False):
        lower.plot(dates, frame[term].astype("float64"), color=colour, linewidth=0.9, label=term)
    lower.axhline(0, color="#888888", linewidth=0.6)


def _draw_forecast(ax: Any, frame: pd.DataFrame, interval_width: float) -> None:
    dates = pd.to_datetime(frame["date"])
    lower = frame["prediction_lower"].astype("float64")
    upper = frame["prediction_upper"].astype("float64")
    if lower.notna().any():
        # Opaque enough to read on a dense series, with edges so its extent is clear.
        ax.fill_between(
            dates,
            lower,
            upper,
            color=_FORECAST,
            alpha=0.3,
            linewidth=0.6,
            edgecolor=_FORECAST,
            label=interval_name(interval_width),
        )
    ax.plot(
        dates,
        frame["prediction"].astype("float64"),
        color=_FORECAST,
        linewidth=1.4,
        label="forecast",
    )
    ax.axvline(dates.iloc[0], color="#888888", linestyle=":", linewidth=0.8)
