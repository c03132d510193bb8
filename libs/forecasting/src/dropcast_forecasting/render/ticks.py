"""Value-axis tick labels a person reads without arithmetic: ``2.4M``, ``850k``, ``0.25``.

Matplotlib's default formatter moves large numbers into an offset or a
``1e6`` multiplier printed above the axis, which readers miss. This one
names the magnitude in each label and takes just enough decimals for
neighbouring ticks to differ. Imported only when a chart is drawn, so
importing the renderer does not import matplotlib.
"""

from __future__ import annotations

import math
from typing import Any

from matplotlib.ticker import Formatter

# (threshold, divisor, suffix), largest first: a label is scaled by the first
# threshold the largest tick reaches.
_MAGNITUDES = ((1e12, 1e12, "T"), (1e9, 1e9, "B"), (1e6, 1e6, "M"), (1e4, 1e3, "k"))


class CompactFormatter(Formatter):
    """Tick labels with a magnitude suffix and the decimals the tick spacing needs."""

    def __init__(self) -> None:
        self._divisor = 1.0
        self._suffix = ""
        self._decimals = 0

    def set_locs(self, locs: Any) -> None:
        """Called by matplotlib with every tick value before labels are asked for."""
        super().set_locs(locs)
        values = [float(v) for v in locs if math.isfinite(float(v))]
        largest = max((abs(v) for v in values), default=0.0)
        self._divisor, self._suffix = 1.0, ""
        for threshold, divisor, suffix in _MAGNITUDES:
            if largest >= threshold:
                self._divisor, self._suffix = divisor, suffix
                break
        self._decimals = _decimals([v / self._divisor for v in values])

    def __call__(self, x: float, pos: int | None = None) -> str:  # noqa: ARG002 (matplotlib's signature)
        """The label of the tick at ``x``."""
        scaled = x / self._divisor
        text = f"{scaled:,.{self._decimals}f}"
        if text.lstrip("-").strip("0.,") == "":
            text = "0"  # never "-0" or "0.00" for the zero tick
        return f"{text}{self._suffix}" if text != "0" else text


def _decimals(scaled: list[float], most: int = 6) -> int:
    """The fewest decimals that write every tick exactly (0.25 needs 2, 1.5 needs 1).

    Ticks are round numbers in the scaled unit, so this is short; float noise
    such as 0.30000000000000004 counts as exact at ``most`` decimals.
    """
    for decimals in range(most):
        factor = 10.0**decimals
        if all(
            abs(v * factor - round(v * factor)) < 1e-6 * max(1.0, abs(v * factor)) for v in scaled
        ):
            return decimals
    return most
