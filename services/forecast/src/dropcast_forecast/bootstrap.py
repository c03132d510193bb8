"""Wire the forecast service's adapters from settings (production defaults)."""

from __future__ import annotations

from dataclasses import dataclass

from dropcast_common.iam import enforce_settings
from dropcast_common.pubsub import Publisher, PubSubPublisher
from dropcast_common.storage import BlobStore
from dropcast_forecast.config import ForecastSettings, get_settings


@dataclass
class ForecastDeps:
    """Everything a handler needs; tests build it with fakes."""

    settings: ForecastSettings
    store: BlobStore
    publisher: Publisher


def bootstrap(
    settings: ForecastSettings | None = None,
    store: BlobStore | None = None,
    publisher: Publisher | None = None,
) -> ForecastDeps:
    """Build the dependencies, defaulting to Cloud Storage and Pub/Sub."""
    settings = settings or get_settings()
    # The local stack turns on DROPCAST_ENFORCE_IAM: only the calls forecast's
    # grants allow get through (dropcast_common.iam).
    store, publisher = enforce_settings(
        "forecast",
        settings,
        store or settings.blob_store(),
        publisher or PubSubPublisher(settings.project),
    )
    return ForecastDeps(settings=settings, store=store, publisher=publisher)
