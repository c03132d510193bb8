"""The canonical table every input is normalised to.

``series_id: string, ds: timestamp (naive UTC), y: float64``, sorted by
``series_id, ds``. It is the only thing ingest hands to forecast.
"""

from __future__ import annotations

import io

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

SCHEMA = pa.schema(
    [
        pa.field("series_id", pa.string(), nullable=False),
        pa.field("ds", pa.timestamp("ns"), nullable=False),
        pa.field("y", pa.float64(), nullable=True),
    ]
)
COLUMNS = [f.name for f in SCHEMA]
DEFAULT_SERIES_ID = "y"


def to_parquet(frame: pd.DataFrame) -> bytes:
    """Serialise a canonical frame (columns series_id, ds, y) to Parquet bytes."""
    ordered = frame[COLUMNS].sort_values(["series_id", "ds"], kind="stable")
    table = pa.Table.from_pandas(ordered, schema=SCHEMA, preserve_index=False)
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def from_parquet(data: bytes) -> pd.DataFrame:
    """Read canonical Parquet bytes back into a frame."""
    table = pq.read_table(io.BytesIO(data))
    frame: pd.DataFrame = table.to_pandas()
    frame["series_id"] = frame["series_id"].astype(str)
    return frame
