"""Forecast settings: environment only, validated at startup, cached getter."""

from __future__ import annotations

from functools import lru_cache

from dropcast_common.settings import CommonSettings


class ForecastSettings(CommonSettings):
    """Settings of the forecast service (``DROPCAST_*`` environment variables)."""

    service_name: str = "forecast"


@lru_cache
def get_settings() -> ForecastSettings:
    """The process's settings, read once."""
    return ForecastSettings()
