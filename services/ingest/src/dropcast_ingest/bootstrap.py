"""Wire the ingest service's adapters from settings (production defaults)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dropcast_common.iam import enforce_settings
from dropcast_common.pubsub import Publisher, PubSubPublisher
from dropcast_common.storage import BlobStore
from dropcast_ingest.config import IngestSettings, get_settings
from dropcast_tables.limits import Limits


@dataclass
class IngestDeps:
    """Everything a handler needs; tests build it with fakes."""

    settings: IngestSettings
    store: BlobStore
    publisher: Publisher
    limits: Limits = field(default_factory=Limits)


def bootstrap(
    settings: IngestSettings | None = None,
    store: BlobStore | None = None,
    publisher: Publisher | None = None,
) -> IngestDeps:
    """Build the dependencies, defaulting to Cloud Storage and Pub/Sub."""
    settings = settings or get_settings()
    # The local stack turns on DROPCAST_ENFORCE_IAM: only the calls ingest's
    # grants allow get through (dropcast_common.iam).
    store, publisher = enforce_settings(
        "ingest",
        settings,
        store or settings.blob_store(),
        publisher or PubSubPublisher(settings.project),
    )
    return IngestDeps(settings=settings, store=store, publisher=publisher)
