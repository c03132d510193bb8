"""Calibrated intervals: the width asked for is the coverage got.

Split-conformal with normalised scores (Papadopoulos et al. 2002; Angelopoulos
& Bates, *A Gentle Introduction to Conformal Prediction*, §2.3): each backtest
error is divided by the candidate's own spread at that horizon step, and the
interval of the final forecast is ``prediction ± q · spread`` with ``q`` the
conformal quantile of those scores. The spread keeps each step's shape
(wider further ahead); ``q`` pools every window and step, so a short
backtest still has enough scores to estimate it. A model whose own
intervals are already calibrated ends with ``q`` near 1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def scores(errors: np.ndarray, spread: np.ndarray) -> np.ndarray:
    """Absolute errors in units of the spread; steps without a usable spread are dropped."""
    usable = np.isfinite(spread) & (spread > 0) & np.isfinite(errors)
    return np.asarray(np.abs(errors[usable]) / spread[usable], dtype="float64")


def multiplier(pooled: np.ndarray, width: float) -> float | None:
    """The conformal quantile: the ⌈(n + 1) · width⌉-th smallest of n scores (None without any).

    With too few scores for that rank the largest is used: the interval is
    then as wide as the worst error seen, the most the data can support.
    """
    if len(pooled) == 0:
        return None
    ordered = np.sort(pooled)
    rank = min(len(ordered), math.ceil((len(ordered) + 1) * width))
    return float(ordered[rank - 1])


def held_out_coverage(per_window: Sequence[np.ndarray], width: float) -> float | None:
    """Coverage of calibrated intervals on each window, calibrated on the other windows.

    What a user can expect (the calibrating window never scores itself);
    None with fewer than two windows.
    """
    if len(per_window) < 2:
        return None
    covered = total = 0
    for i, window in enumerate(per_window):
        others = [w for j, w in enumerate(per_window) if j != i]
        q = multiplier(np.concatenate(others), width) if others else None
        if q is None or len(window) == 0:
            continue
        covered += int(np.sum(window <= q))
        total += len(window)
    return covered / total if total else None
