"""Leases: at most one worker computes a step, and a dead worker's step is taken over.

A lease is an object naming its holder and an expiry. Each acquisition has
its own holder token, so a second copy of the same message (Pub/Sub may push
one message twice at once, with the same message id) is excluded like any
other duplicate. The holder renews the lease while it works (a heartbeat
every third of the lease's life), so a live holder keeps it however long the
step takes, while a crashed holder's lease runs out within ``ttl_seconds``
and its message's redelivery takes it over. Taking and renewing are
compare-and-swap writes on the object's generation: two takers never both win.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum

from dropcast_common.errors import (
    BlobNotFoundError,
    DropcastError,
    PreconditionFailedError,
)
from dropcast_common.storage import BlobStore

log = logging.getLogger("dropcast.lease")

# Long enough that a busy instance renews in time, short enough that a
# crashed holder's step is taken over well inside the delivery retries.
DEFAULT_TTL_SECONDS = 45.0


class LeaseResult(StrEnum):
    """Outcome of trying to take a lease."""

    ACQUIRED = "acquired"  # ours now: do the work
    HELD = "held"  # another live holder does it: leave it to them


@dataclass
class Lease:
    """Where a lease lives; ``owner`` says who asks (for the logs), the token is per acquisition."""

    store: BlobStore
    bucket: str
    name: str
    owner: str = ""
    ttl_seconds: float = DEFAULT_TTL_SECONDS
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    _generation: int = 0

    def _body(self) -> bytes:
        return json.dumps(
            {"owner": self.owner, "token": self.token, "expires": time.time() + self.ttl_seconds}
        ).encode()

    def acquire(self) -> LeaseResult:
        """Take the lease if free or expired; HELD while another holder's lease is live."""
        for _ in range(3):
            try:
                self._generation = self.store.create(
                    self.bucket, self.name, self._body(), "application/json"
                )
                return LeaseResult.ACQUIRED
            except PreconditionFailedError:
                pass
            info = self.store.stat(self.bucket, self.name)
            if info is None:
                continue  # released between our create and stat: try again
            try:
                raw = self.store.read(self.bucket, self.name, generation=info.generation)
                held = json.loads(raw)
            except (BlobNotFoundError, ValueError):
                held = {}
            if not isinstance(held, dict):
                held = {}
            if held.get("token") != self.token and float(held.get("expires", 0)) > time.time():
                return LeaseResult.HELD
            try:
                # Expired: its holder died. Take it over, unless someone else does first.
                self._generation = self.store.replace(
                    self.bucket,
                    self.name,
                    self._body(),
                    "application/json",
                    if_generation_match=info.generation,
                )
            except PreconditionFailedError:
                return LeaseResult.HELD
            return LeaseResult.ACQUIRED
        return LeaseResult.HELD

    def renew(self) -> bool:
        """Extend our lease; False when it is no longer ours (it expired and was taken over)."""
        try:
            self._generation = self.store.replace(
                self.bucket,
                self.name,
                self._body(),
                "application/json",
                if_generation_match=self._generation,
            )
        except (PreconditionFailedError, BlobNotFoundError):
            return False
        return True

    def release(self) -> None:
        """Give the lease up (a step done or abandoned): the next taker need not wait."""
        # Not ours any more (expired and taken over) is fine: nothing to give up.
        with contextlib.suppress(PreconditionFailedError, BlobNotFoundError):
            self.store.delete(self.bucket, self.name, if_generation_match=self._generation)

    @contextmanager
    def kept(self) -> Iterator[None]:
        """Renew the (acquired) lease in the background while the block runs, then release it."""
        stop = threading.Event()

        def heartbeat() -> None:
            while not stop.wait(self.ttl_seconds / 3):
                try:
                    if not self.renew():
                        log.warning("lost lease %s: another worker took it over", self.name)
                        return
                except DropcastError as exc:  # storage blip: the next beat retries
                    log.warning("could not renew lease %s: %s", self.name, exc)

        beat = threading.Thread(target=heartbeat, name=f"lease-{self.name}", daemon=True)
        beat.start()
        try:
            yield
        finally:
            stop.set()
            beat.join()
            self.release()
