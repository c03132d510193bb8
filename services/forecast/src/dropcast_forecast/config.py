"""Forecast settings: environment only, validated at startup, cached getter."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from dropcast_common.settings import CommonSettings


class ForecastSettings(CommonSettings):
    """Settings of the forecast service (``DROPCAST_*`` environment variables)."""

    service_name: Literal["ingest", "forecast"] = "forecast"


@lru_cache
def get_settings() -> ForecastSettings:
    """The process's settings, read once."""
    return ForecastSettings()
