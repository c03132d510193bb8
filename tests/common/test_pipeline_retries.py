"""Retry settings outlast a restart: on Pub/Sub and on the local stack's emulator.

pipeline.json is what the local stack provisions and what Terraform deploys,
so a backoff too short to ride out a service restart loses jobs in both.
"""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from dropcast_common.pipeline import OUTAGE_SECONDS, RESTART_SECONDS, Pipe, load, seconds


def emulator_retry_window(pipe: Pipe) -> float:
    """Shortest first-to-last delivery span on the Pub/Sub emulator (0.8.20).

    Its MessageBacklog.computeBackoff waits 0.4*min + min(min*1.3**n, max-0.4*min)
    * U(0.6, 1.0), truncated to whole seconds: slower growth than Pub/Sub's.
    """
    low, high = seconds(pipe.minimum_backoff), seconds(pipe.maximum_backoff)
    waits = [
        math.floor(0.4 * low + min(low * 1.3**n, high - 0.4 * low) * 0.6)
        for n in range(pipe.max_delivery_attempts - 1)
    ]
    return float(sum(waits))


@pytest.mark.parametrize("pipe", load().push_pipes(), ids=lambda p: p.subscription)
def test_deliveries_keep_coming_past_an_outage_and_a_restart(pipe: Pipe) -> None:
    needed = OUTAGE_SECONDS + RESTART_SECONDS
    assert pipe.retry_window_seconds() > needed
    assert emulator_retry_window(pipe) > needed


def test_the_old_one_second_backoff_is_refused() -> None:
    settings = load().pipes["work"].model_dump()
    with pytest.raises(ValidationError, match="backoff"):
        Pipe.model_validate({**settings, "minimum_backoff": "1s"})


@pytest.mark.parametrize("attempts", [4, 101])
def test_attempts_outside_what_pubsub_allows_are_refused(attempts: int) -> None:
    settings = load().pipes["work"].model_dump()
    with pytest.raises(ValidationError):
        Pipe.model_validate({**settings, "max_delivery_attempts": attempts})


def test_the_watchdog_checks_at_least_every_minute() -> None:
    # A job's deadline is enforced no later than one check interval after it.
    assert seconds(load().watchdog.maximum_backoff) <= 60
