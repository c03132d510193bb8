"""Settings shared by both services; each service extends it with its own.

Environment only (``DROPCAST_*``), validated at startup, built by a cached
getter in each service's ``config.py`` so tests can override them.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dropcast_common import pipeline
from dropcast_common.storage import BlobStore, GcsBlobStore, retry_deadline


class CommonSettings(BaseSettings):
    """What every dropcast service needs to know about its environment."""

    model_config = SettingsConfigDict(env_prefix="DROPCAST_", extra="ignore")

    # Which service this is: its request budget (pipeline.json) bounds retries.
    service_name: Literal["ingest", "forecast"] = "ingest"
    project: str = "dropcast-local"
    input_bucket: str = "dropcast-input"
    staging_bucket: str = "dropcast-staging"
    output_bucket: str = "dropcast-output"
    work_topic: str = "work"
    results_topic: str = ""
    log_format: Literal["json", "text"] = "text"
    log_level: str = "INFO"
    version: str = "dev"
    # Push authentication (see dropcast_common.auth): on in the cloud, off on
    # the local stack, whose Pub/Sub emulator sends no token.
    push_auth: bool = False
    push_audience: str = ""
    push_service_account: str = ""
    push_certs_url: str = "https://www.googleapis.com/oauth2/v1/certs"
    push_clock_skew_seconds: int = Field(30, ge=0, le=300)
    # Used when the certificate response carries no Cache-Control max-age.
    push_certs_ttl_seconds: int = Field(3600, ge=60)
    # Fault injection for resilience tests: every Nth storage request gets a
    # 503 from the transport, beneath the client's retry (0 = off). Never set
    # in production.
    chaos_storage_fail_every: int = Field(0, ge=0)
    # Refuse every storage or Pub/Sub call the service's IAM grants would
    # refuse in the cloud (dropcast_common.iam). On in the local stack.
    enforce_iam: bool = False

    @model_validator(mode="after")
    def _push_auth_complete(self) -> Self:
        # Refuse to start half-configured rather than accept every token or none.
        if self.push_auth and not (self.push_audience and self.push_service_account):
            raise ValueError(
                "DROPCAST_PUSH_AUTH is on: set DROPCAST_PUSH_AUDIENCE (the push endpoint URL) "
                "and DROPCAST_PUSH_SERVICE_ACCOUNT (the push subscription's service account)"
            )
        return self

    @model_validator(mode="after")
    def _no_feedback_loop(self) -> Self:
        # Outputs or staged data landing in the watched bucket would trigger
        # ingest again, forever: refuse such a configuration at startup.
        if self.input_bucket in (self.staging_bucket, self.output_bucket):
            raise ValueError(
                f"DROPCAST_INPUT_BUCKET ({self.input_bucket}) must differ from the staging "
                f"({self.staging_bucket}) and output ({self.output_bucket}) buckets: outputs "
                "written where uploads are watched would be processed again in a loop"
            )
        return self

    def blob_store(self) -> BlobStore:
        """The production blob store: Cloud Storage, retries bounded by the request budget."""
        budget = pipeline.load().services[self.service_name].request_timeout_seconds
        http = None
        if self.chaos_storage_fail_every:
            from dropcast_common.testing import ChaosSession

            http = ChaosSession(self.chaos_storage_fail_every)
        return GcsBlobStore(project=self.project, retry_seconds=retry_deadline(budget), http=http)
