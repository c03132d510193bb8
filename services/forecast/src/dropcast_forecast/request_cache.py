"""One request's reads of a job's immutable staged objects, each fetched once.

A forecast request reads the shard and ingest's quality report to compute
its part, stages the part, and, if it completes the job, reads every part,
shard and the quality report again to assemble. Those objects are written
create-only and never change, so within one request the second read of an
object, or the read of an object this request just created, can come from
memory: five storage round trips of about thirty for a one-shard job
(benchmark B4). Objects that do change (status, leases, warm starts of the
source) always go to storage.
"""

from __future__ import annotations

from typing import Any

from dropcast_common import naming
from dropcast_common.storage import BlobStore


class StagedReads:
    """A BlobStore whose reads of one job's immutable staged objects are cached."""

    def __init__(self, inner: BlobStore, bucket: str, job: str) -> None:
        self._inner = inner
        self._bucket = bucket
        self._prefix = naming.job_prefix(job)
        self._parts = naming.parts_prefix(job)
        self._cached: dict[str, bytes] = {}
        self._quality = naming.staging_quality(job)
        self._shards = naming.staging_shard(job, 0).rsplit("-", 1)[0]

    def immutable(self, bucket: str, name: str) -> bool:
        """Whether ``name`` is a staged object written once and never changed."""
        if bucket != self._bucket or not name.startswith(self._prefix):
            return False
        if name == self._quality or name.startswith(self._shards):
            return True
        return name.startswith(self._parts) and not name.endswith(".lease")

    def read(self, bucket: str, name: str, generation: int | None = None) -> bytes:
        if generation is not None or not self.immutable(bucket, name):
            return self._inner.read(bucket, name, generation)
        if name not in self._cached:
            self._cached[name] = self._inner.read(bucket, name)
        return self._cached[name]

    def create(
        self,
        bucket: str,
        name: str,
        data: bytes,
        content_type: str = "application/octet-stream",
        metadata: dict[str, str] | None = None,
    ) -> int:
        generation = self._inner.create(bucket, name, data, content_type, metadata)
        # Only what this request wrote itself: when the object was already
        # there (a redelivery), its bytes are the earlier attempt's.
        if self.immutable(bucket, name):
            self._cached[name] = data
        return generation

    def __getattr__(self, name: str) -> Any:
        # Everything else (stat, replace, delete, list, download) goes straight to storage.
        return getattr(self._inner, name)
