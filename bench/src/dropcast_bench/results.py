"""What a benchmark reports: checks against targets, context, and the table they make."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

Op = Literal["<=", ">="]


@dataclass(frozen=True)
class Check:
    """One figure and its target, e.g. speed-up 1.9x (target >= 1.8x).

    ``measured`` and ``baseline`` are the absolute numbers behind the
    figure, as context: on a shared machine only the figure is comparable
    between runs.
    """

    name: str
    value: float
    unit: str
    op: Op
    target: float
    measured: str
    baseline: str

    @property
    def met(self) -> bool:
        """Whether the figure meets its target (a NaN never does)."""
        if math.isnan(self.value):
            return False
        return self.value <= self.target if self.op == "<=" else self.value >= self.target


@dataclass
class Outcome:
    """One benchmark's checks, context (sizes, breakdowns, profiles) and errors."""

    id: str
    title: str
    checks: list[Check] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, each check with its ``met`` flag."""
        out = asdict(self)
        out["checks"] = [{**asdict(c), "met": c.met} for c in self.checks]
        return out


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, NaN when the denominator is not positive."""
    return numerator / denominator if denominator > 0 else math.nan


def fmt(value: float, unit: str) -> str:
    """A figure as the table shows it: 1.93x, 7.5 %, 0.41 s."""
    if math.isnan(value):
        return "n/a"
    if unit == "%":
        # Agreement figures are hundredths of a percent: 0.0 % would hide them.
        return f"{value:.2f} %" if abs(value) < 10 else f"{value:.1f} %"
    if unit == "":
        return f"{value:g}"
    if unit == "x":
        return f"{value:.2f}x"
    return f"{value:.2f} {unit}"


def markdown(outcomes: list[Outcome]) -> str:
    """The results table (one row per check; a failed benchmark shows its error)."""
    rows = [
        "| Benchmark | Figure | Value | Target | Met | Measured | Baseline |",
        "|---|---|---|---|---|---|---|",
    ]
    for outcome in outcomes:
        label = f"{outcome.id} {outcome.title}"
        if outcome.error:
            first = outcome.error.strip().splitlines()[0][:120]
            rows.append(f"| {label} | did not run | | | ✗ | {first} | |")
            continue
        for check in outcome.checks:
            target = (
                f"{check.op.replace('<=', '≤').replace('>=', '≥')} {fmt(check.target, check.unit)}"
            )
            met = "✓" if check.met else "✗"
            rows.append(
                f"| {label} | {check.name} | {fmt(check.value, check.unit)} | {target} | {met} "
                f"| {check.measured} | {check.baseline} |"
            )
    return "\n".join(rows) + "\n"


def write(path: Path, document: dict[str, Any]) -> None:
    """Write the run's JSON document (machine, load, every outcome)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
