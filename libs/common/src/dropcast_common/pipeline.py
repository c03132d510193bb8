"""The one definition of topics and subscriptions (``pipeline.json``).

The local stack provisions the emulator from it and Terraform reads the same
file with ``jsondecode(file(...))``: one source of truth, not two copies.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

from pydantic import BaseModel, ConfigDict


class Pipe(BaseModel):
    """A topic with a push subscription to one service, and its dead-letter topic."""

    model_config = ConfigDict(frozen=True)

    topic: str
    subscription: str
    dead_letter_topic: str
    service: str
    push_path: str
    ack_deadline_seconds: int
    max_delivery_attempts: int
    minimum_backoff: str
    maximum_backoff: str
    message_retention_duration: str


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
    dead_letters: dict[str, DeadLetterSink]
    parked: Parking
    results_topic: str
    services: dict[str, ServiceLimits]

    def topics(self) -> list[str]:
        """Every topic the pipeline needs."""
        names = [p.topic for p in self.pipes.values()]
        names += [p.dead_letter_topic for p in self.pipes.values()]
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
    raw.pop("_comment", None)
    return Pipeline.model_validate(raw)
