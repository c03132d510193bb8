"""Split a canonical table into shards of whole series."""

from __future__ import annotations

import pandas as pd


def split_series(frame: pd.DataFrame, max_series_per_shard: int) -> list[pd.DataFrame]:
    """Shards of at most ``max_series_per_shard`` whole series, in series order.

    Series are dealt round-robin by size so shards take similar fit time.
    """
    ids = frame["series_id"].drop_duplicates().tolist()
    count = max(1, -(-len(ids) // max(1, max_series_per_shard)))
    if count == 1:
        return [frame]
    sizes = frame.groupby("series_id", sort=False).size().sort_values(ascending=False)
    assignment = {sid: i % count for i, sid in enumerate(sizes.index)}
    shard_of = frame["series_id"].map(assignment)
    return [frame[shard_of == k].reset_index(drop=True) for k in range(count)]
