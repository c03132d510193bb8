"""Split a canonical table into shards of whole series, sized by estimated fit time.

A push request must finish inside the work subscription's ack deadline, so
each shard is sized to take a fraction of the forecast service's request
timeout, by the estimate in ``dropcast_common.budget`` (shared with the
forecast service, which checks each shard against its request's time left).
"""

from __future__ import annotations

import pandas as pd

from dropcast_common.budget import estimate_fit_seconds
from dropcast_common.params import Params

__all__ = ["estimate_fit_seconds", "plan_shards"]


def plan_shards(
    frame: pd.DataFrame, params: Params, budget_seconds: float, max_series_per_shard: int
) -> list[pd.DataFrame]:
    """Shards of whole series, each estimated under ``budget_seconds`` of one core.

    Series are placed largest first into the shard with the least estimated
    work (greedy balancing), then each shard is sorted back into canonical
    order. ``max_series_per_shard`` caps a shard regardless of the estimate.
    """
    sizes = frame.groupby("series_id", sort=True).size()
    costs = {sid: estimate_fit_seconds(int(rows), params) for sid, rows in sizes.items()}
    total = sum(costs.values())
    by_time = -(-total // max(budget_seconds, 1e-9))
    by_count = -(-len(costs) // max(1, max_series_per_shard))
    # Never more shards than series: a shard holds whole series, so the rest
    # would be empty (a 1 M-row single series was planned as 6 shards).
    count = int(min(max(1, by_time, by_count), max(1, len(costs))))
    if count == 1:
        return [frame]
    load = [0.0] * count
    members = [0] * count
    assignment: dict[str, int] = {}
    for sid in sorted(costs, key=lambda s: (-costs[s], s)):
        open_shards = [k for k in range(count) if members[k] < max_series_per_shard]
        target = min(open_shards, key=lambda k: (load[k], k))
        assignment[str(sid)] = target
        load[target] += costs[sid]
        members[target] += 1
    shard_of = frame["series_id"].map(assignment)
    return [frame[shard_of == k].reset_index(drop=True) for k in range(count)]
