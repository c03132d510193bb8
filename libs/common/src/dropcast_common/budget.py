"""Time budgets: how long work is expected to take, and how long a request has left.

A push request must answer before its subscription's ack deadline, or Pub/Sub
redelivers it while it still runs. Ingest sizes shards with the estimate
below; the forecast service checks a shard against the time its request has
left before it starts, and refuses work that cannot finish rather than
starting a fit that Pub/Sub would give up on and retry for ever.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from dropcast_common.params import Params

# Seconds of one core per series, measured on Prophet 1.5 with the backtest's
# second fit and kept conservative: fixed + per history row + per sampled step.
FIXED_SECONDS = 0.1
PER_ROW_SECONDS = 3e-4
PER_SAMPLE_STEP_SECONDS = 4e-6


def estimate_fit_seconds(rows: int, params: Params) -> float:
    """Estimated one-core seconds to fit, backtest and predict one series."""
    sampling = params.uncertainty_samples * (params.horizon + rows / 10) * PER_SAMPLE_STEP_SECONDS
    return FIXED_SECONDS + rows * PER_ROW_SECONDS + sampling


@dataclass(frozen=True)
class Deadline:
    """The time a request has, from when it started."""

    seconds: float
    started: float = field(default_factory=time.monotonic)

    def remaining(self) -> float:
        """Seconds left (negative once past)."""
        return self.seconds - (time.monotonic() - self.started)
