"""Leases: at most one worker computes a step, and a dead worker's step is taken over.

A lease is a create-only object naming its owner (the Pub/Sub message id,
which stays the same across redeliveries of one message) and an expiry.
A duplicate message (another id) that finds a live lease leaves the work to
its owner; the owner's own redelivery, after a crash, takes the lease over.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from enum import StrEnum

from dropcast_common.errors import BlobNotFoundError, PreconditionFailedError
from dropcast_common.storage import BlobStore


class LeaseResult(StrEnum):
    """Outcome of trying to take a lease."""

    ACQUIRED = "acquired"  # ours now: do the work
    HELD = "held"  # another live owner does it: leave it to them


@dataclass(frozen=True)
class Lease:
    """Where a lease lives and who asks for it."""

    store: BlobStore
    bucket: str
    name: str
    owner: str
    ttl_seconds: float

    def acquire(self) -> LeaseResult:
        """Take the lease if free, ours already, or expired."""
        body = json.dumps({"owner": self.owner, "expires": time.time() + self.ttl_seconds})
        try:
            self.store.create(self.bucket, self.name, body.encode(), "application/json")
            return LeaseResult.ACQUIRED
        except PreconditionFailedError:
            pass
        info = self.store.stat(self.bucket, self.name)
        if info is None:  # released between our create and stat: try once more
            return self.acquire()
        try:
            held = json.loads(self.store.read(self.bucket, self.name, generation=info.generation))
        except (BlobNotFoundError, ValueError):
            held = {}
        if held.get("owner") != self.owner and float(held.get("expires", 0)) > time.time():
            return LeaseResult.HELD
        try:
            # Ours from an earlier attempt that died, or expired: take it over,
            # unless someone else takes it over at the same instant.
            self.store.replace(
                self.bucket,
                self.name,
                body.encode(),
                "application/json",
                if_generation_match=info.generation,
            )
        except PreconditionFailedError:
            return LeaseResult.HELD
        return LeaseResult.ACQUIRED
