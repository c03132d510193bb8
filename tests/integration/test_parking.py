"""The local stack parks what even the dead-letter status push could not deliver.

Read back from the Pub/Sub emulator, as `dropcast up` provisioned it from
pipeline.json: the status subscriptions dead-letter to the parking topic, and
a pull subscription holds what is parked there.
"""

from __future__ import annotations

import uuid

import pytest

from dropcast_cli.stack import StackInfo
from dropcast_common.pipeline import load, seconds

pytestmark = pytest.mark.integration


def test_every_status_subscription_parks_on_the_parking_topic(stack: StackInfo) -> None:
    from google.cloud import pubsub_v1

    pipeline = load()
    subscriber = pubsub_v1.SubscriberClient()
    parked = f"projects/{stack.project}/topics/{pipeline.parked.topic}"
    assert pipeline.dead_letters
    for topic, sink in pipeline.dead_letters.items():
        assert stack.subscriptions[topic] == sink.subscription
        sub = subscriber.get_subscription(
            subscription=f"projects/{stack.project}/subscriptions/{sink.subscription}"
        )
        assert sub.topic == f"projects/{stack.project}/topics/{topic}"
        assert sub.push_config.push_endpoint == stack.services[sink.service] + sink.push_path
        assert sub.dead_letter_policy.dead_letter_topic == parked, sink.subscription
        assert sub.dead_letter_policy.max_delivery_attempts == sink.max_delivery_attempts


def test_every_push_subscription_of_the_stack_has_a_dead_letter_policy(stack: StackInfo) -> None:
    from google.cloud import pubsub_v1

    pipeline = load()
    subscriber = pubsub_v1.SubscriberClient()
    assert set(stack.subscriptions.values()) == {
        *(p.subscription for p in pipeline.push_pipes()),
        *(s.subscription for s in pipeline.dead_letters.values()),
    }
    for name in stack.subscriptions.values():
        sub = subscriber.get_subscription(
            subscription=f"projects/{stack.project}/subscriptions/{name}"
        )
        assert sub.push_config.push_endpoint, f"{name} is not a push subscription"
        assert sub.dead_letter_policy.dead_letter_topic, f"{name} has no dead-letter policy"


def test_parked_messages_wait_in_the_pull_subscription(stack: StackInfo) -> None:
    from google.cloud import pubsub_v1

    parking = load().parked
    subscriber = pubsub_v1.SubscriberClient()
    hold = f"projects/{stack.project}/subscriptions/{parking.subscription}"
    sub = subscriber.get_subscription(subscription=hold)
    assert sub.topic == f"projects/{stack.project}/topics/{parking.topic}"
    assert not sub.push_config.push_endpoint, "parked messages are pulled by a person"
    assert sub.message_retention_duration.total_seconds() == seconds(
        parking.message_retention_duration
    )

    marker = uuid.uuid4().hex
    pubsub_v1.PublisherClient().publish(
        f"projects/{stack.project}/topics/{parking.topic}", b"parked", marker=marker
    ).result(timeout=120)
    # Other tests may park messages too; take only this one.
    for _ in range(20):
        response = subscriber.pull(request={"subscription": hold, "max_messages": 50}, timeout=120)
        mine = [
            m for m in response.received_messages if m.message.attributes.get("marker") == marker
        ]
        if mine:
            break
    else:
        pytest.fail("the parked message never reached the hold")
    assert mine[0].message.data == b"parked"
    subscriber.acknowledge(request={"subscription": hold, "ack_ids": [mine[0].ack_id]})
