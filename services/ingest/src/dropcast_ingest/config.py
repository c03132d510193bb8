"""Ingest settings: environment only, validated at startup, cached getter."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field

from dropcast_common.pipeline import load as load_pipeline
from dropcast_common.settings import CommonSettings


class IngestSettings(CommonSettings):
    """Settings of the ingest service (``DROPCAST_*`` environment variables)."""

    service_name: Literal["ingest", "forecast"] = "ingest"
    # Shards are sized so one forecast request finishes well inside the
    # work subscription's ack deadline (see docs/architecture.md).
    max_series_per_shard: int = 200
    # Parameter defaults for this deployment, as a JSON object (the layer
    # between built-in defaults and object metadata).
    default_params: dict[str, str] = Field(default_factory=dict)
    # The watchdog (dropcast_ingest.watchdog): a job not final this long after
    # its acceptance is failed (job_timed_out), after one re-drive of its
    # missing shards half-way; at least two check intervals (2 x 60 s).
    job_budget_seconds: float = Field(3600.0, ge=120)
    checks_topic: str = Field(default_factory=lambda: load_pipeline().watchdog.topic)
    # A manifest reads only objects under its own folder unless this is on.
    manifest_inputs_anywhere: bool = False


@lru_cache
def get_settings() -> IngestSettings:
    """The process's settings, read once."""
    return IngestSettings()
