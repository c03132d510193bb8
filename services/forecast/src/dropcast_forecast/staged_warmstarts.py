"""Warm starts in the staging bucket: read for a shard, staged per part, published per job.

Each shard reads what the last upload of the same source object left
(:mod:`dropcast_forecasting.warmstart`) and stages what its own series carry
next to its part; the assembly merges the parts into the source's one warm
start object, under the same rule as the outputs: a redelivery or a late job
for an older upload never replaces a newer upload's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from dropcast_common import naming
from dropcast_common.errors import BlobNotFoundError
from dropcast_common.messages import WorkMessage
from dropcast_common.params import Params
from dropcast_common.storage import BlobStore, create_once, publish_output
from dropcast_forecasting import warmstart
from dropcast_forecasting.warmstart import Carried

PART_SUFFIX = ".warmstart.json"


def source_object(message: WorkMessage) -> str:
    """The staging object holding the warm starts of the message's source object."""
    return naming.warmstart_object(message.source.bucket, message.source.name)


def read_previous(
    store: BlobStore, message: WorkMessage, series_ids: Iterable[str]
) -> dict[str, Carried]:
    """What the last upload of the source left for ``series_ids`` ({} with ``warm_start=false``)."""
    if not message.params.warm_start:
        return {}
    try:
        data = store.read(message.staging_bucket, source_object(message))
    except BlobNotFoundError:
        return {}  # a first upload, or its warm starts expired
    return warmstart.decode(data, message.params, series_ids)


def stage_part(
    store: BlobStore, message: WorkMessage, carried: Mapping[str, Carried], params: Params
) -> None:
    """Stage what a shard's series carry (create-only: a redelivery writes nothing)."""
    name = naming.staging_part(message.job_id, message.shard.index, PART_SUFFIX)
    create_once(
        store, message.staging_bucket, name, warmstart.encode(carried, params), "application/json"
    )


def publish(store: BlobStore, message: WorkMessage) -> bool:
    """Merge every part's warm starts into the source's object; False when nothing changed."""
    staging, job = message.staging_bucket, message.job_id
    parts = []
    for index in range(message.shard.count):
        try:
            parts.append(store.read(staging, naming.staging_part(job, index, PART_SUFFIX)))
        except BlobNotFoundError:
            continue  # staged by a version without warm starts: those series start cold
    merged = warmstart.merge(parts)
    if merged is None:
        return False
    return publish_output(
        store,
        staging,
        source_object(message),
        merged,
        "application/json",
        job,
        message.source.generation,
    )
