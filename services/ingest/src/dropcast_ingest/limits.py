"""Guardrails: how much a single upload may ask of the ingest service."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Limits(BaseModel):
    """Caps on one input; each breach has its own error code."""

    model_config = ConfigDict(frozen=True)

    max_bytes: int = 512 * 1024 * 1024
    max_decompressed_bytes: int = 2 * 1024 * 1024 * 1024
    max_rows: int = 20_000_000
    max_columns: int = 2_000
    max_series: int = 100_000
    max_line_bytes: int = 1024 * 1024
