"""The one definition of topics and subscriptions (``pipeline.json``).

The local stack provisions the emulator from it and Terraform reads the same
file with ``jsondecode(file(...))``: one source of truth, not two copies.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Pub/Sub takes backoffs up to 600 s; dropcast's floor is Pub/Sub's default,
# 10 s: at 1 s, five attempts came and went inside one service restart.
MIN_BACKOFF_SECONDS, MAX_BACKOFF_SECONDS = 10.0, 600.0
MIN_DELIVERY_ATTEMPTS, MAX_DELIVERY_ATTEMPTS = 5, 100
# How long a service takes to come back: a restart measured 19-22 s on the
# local stack, a Cloud Run cold start with Prophet imported is of that order;
# retries must still be coming after a 60 s outage plus that.
OUTAGE_SECONDS = 60.0
RESTART_SECONDS = 22.0


class Pipe(BaseModel):
    """A topic with a push subscription to one service, and its dead-letter topic."""

    model_config = ConfigDict(frozen=True)

    topic: str
    subscription: str
    dead_letter_topic: str
    service: str
    push_path: str
    ack_deadline_seconds: int = Field(ge=10, le=600)
    max_delivery_attempts: int = Field(ge=MIN_DELIVERY_ATTEMPTS, le=MAX_DELIVERY_ATTEMPTS)
    minimum_backoff: str
    maximum_backoff: str
    message_retention_duration: str

    @model_validator(mode="after")
    def _backoff_in_range(self) -> Pipe:
        low, high = seconds(self.minimum_backoff), seconds(self.maximum_backoff)
        if not MIN_BACKOFF_SECONDS <= low <= high <= MAX_BACKOFF_SECONDS:
            raise ValueError(
                f"{self.subscription}: backoff {self.minimum_backoff}..{self.maximum_backoff} "
                f"must satisfy {MIN_BACKOFF_SECONDS:g}s <= minimum <= maximum <= "
                f"{MAX_BACKOFF_SECONDS:g}s"
            )
        return self

    def retry_window_seconds(self) -> float:
        """Shortest time from the first delivery to the last, on Pub/Sub's doubling backoff.

        Pub/Sub waits between minimum and maximum backoff, growing
        exponentially; the lower bound assumes the fastest growth, doubling.
        """
        low, high = seconds(self.minimum_backoff), seconds(self.maximum_backoff)
        return float(sum(min(low * 2**n, high) for n in range(self.max_delivery_attempts - 1)))


class DeadLetterSink(BaseModel):
    """The push subscription that turns dead letters into a failed job status.

    It has a dead-letter policy of its own: after ``max_delivery_attempts``
    a dead letter the status consumer could not take is parked.
    """

    model_config = ConfigDict(frozen=True)

    subscription: str
    service: str
    push_path: str
    ack_deadline_seconds: int
    max_delivery_attempts: int


class Parking(BaseModel):
    """Where dead letters go that even the status consumer could not handle.

    A pull subscription nobody consumes holds them for an operator to inspect
    and replay, for ``message_retention_duration``.
    """

    model_config = ConfigDict(frozen=True)

    topic: str
    subscription: str
    message_retention_duration: str


class ServiceLimits(BaseModel):
    """Per-service settings shared with Terraform."""

    model_config = ConfigDict(frozen=True)

    request_timeout_seconds: int


class Pipeline(BaseModel):
    """The whole definition."""

    model_config = ConfigDict(frozen=True)

    pipes: dict[str, Pipe]
    # The job watchdog's timer (see dropcast_ingest.watchdog): not a data pipe.
    watchdog: Pipe
    dead_letters: dict[str, DeadLetterSink]
    parked: Parking
    results_topic: str
    services: dict[str, ServiceLimits]

    def push_pipes(self) -> list[Pipe]:
        """Every topic with a push subscription to a service: the data pipes and the watchdog."""
        return [*self.pipes.values(), self.watchdog]

    def topics(self) -> list[str]:
        """Every topic the pipeline needs."""
        names = [p.topic for p in self.push_pipes()]
        names += [p.dead_letter_topic for p in self.push_pipes()]
        return [*names, self.parked.topic, self.results_topic]


def seconds(duration: str) -> float:
    """Parse a protobuf duration string such as ``"10s"`` or ``"1.5s"``."""
    if not duration.endswith("s"):
        raise ValueError(f"not a duration: {duration!r}")
    return float(duration[:-1])


@cache
def load() -> Pipeline:
    """The pipeline definition shipped with dropcast_common."""
    raw = json.loads(files("dropcast_common").joinpath("pipeline.json").read_text())
    for key in [k for k in raw if k.startswith("_")]:
        raw.pop(key)  # comments
    return Pipeline.model_validate(raw)
