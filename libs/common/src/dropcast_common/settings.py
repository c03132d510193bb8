"""Settings shared by both services; each service extends it with its own.

Environment only (``DROPCAST_*``), validated at startup, built by a cached
getter in each service's ``config.py`` so tests can override them.
"""

from __future__ import annotations

from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class CommonSettings(BaseSettings):
    """What every dropcast service needs to know about its environment."""

    model_config = SettingsConfigDict(env_prefix="DROPCAST_", extra="ignore")

    project: str = "dropcast-local"
    input_bucket: str = "dropcast-input"
    staging_bucket: str = "dropcast-staging"
    output_bucket: str = "dropcast-output"
    work_topic: str = "work"
    results_topic: str = ""
    log_format: Literal["json", "text"] = "text"
    log_level: str = "INFO"
    version: str = "dev"
    push_auth: bool = False
    push_audience: str = ""
    push_service_account: str = ""
