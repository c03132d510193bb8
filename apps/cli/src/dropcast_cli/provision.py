"""Create buckets, topics and push subscriptions on the emulators.

Names and delivery settings come from ``dropcast_common.pipeline`` — the
same definition Terraform reads — so the local stack behaves like the cloud.
"""

from __future__ import annotations

from typing import Any

from dropcast_common.pipeline import Pipeline, seconds
from dropcast_common.storage import anonymous_credentials


def _duration(value: str) -> Any:
    from google.protobuf import duration_pb2

    return duration_pb2.Duration(seconds=int(seconds(value)))


def create_topics(project: str, pipeline: Pipeline) -> None:
    """Every topic of the pipeline, and the pull subscription that holds parked messages.

    The hold is created with its topic: a message parked on a topic with no
    subscription yet would be dropped.
    """
    from google.cloud import pubsub_v1

    publisher = pubsub_v1.PublisherClient()
    for topic in pipeline.topics():
        publisher.create_topic(name=f"projects/{project}/topics/{topic}")
    parked = pipeline.parked
    pubsub_v1.SubscriberClient().create_subscription(
        request={
            "name": f"projects/{project}/subscriptions/{parked.subscription}",
            "topic": f"projects/{project}/topics/{parked.topic}",
            "message_retention_duration": _duration(parked.message_retention_duration),
            "retain_acked_messages": True,
        }
    )


def create_push_subscriptions(
    project: str, pipeline: Pipeline, service_urls: dict[str, str]
) -> dict[str, str]:
    """Push subscriptions to the services, with retry and dead-letter policies.

    Each pipe's subscription dead-letters to the pipe's dead-letter topic; the
    status subscription on that topic retries with the pipe's backoff and
    parks what it still cannot deliver, as in Terraform (modules/push-pipe).
    """
    from google.cloud import pubsub_v1

    subscriber = pubsub_v1.SubscriberClient()
    created: dict[str, str] = {}
    parked_topic = f"projects/{project}/topics/{pipeline.parked.topic}"

    for pipe in pipeline.push_pipes():
        retry_policy = {
            "minimum_backoff": _duration(pipe.minimum_backoff),
            "maximum_backoff": _duration(pipe.maximum_backoff),
        }
        request = {
            "name": f"projects/{project}/subscriptions/{pipe.subscription}",
            "topic": f"projects/{project}/topics/{pipe.topic}",
            "push_config": {"push_endpoint": service_urls[pipe.service] + pipe.push_path},
            "ack_deadline_seconds": pipe.ack_deadline_seconds,
            "retry_policy": retry_policy,
            "dead_letter_policy": {
                "dead_letter_topic": f"projects/{project}/topics/{pipe.dead_letter_topic}",
                "max_delivery_attempts": pipe.max_delivery_attempts,
            },
        }
        subscriber.create_subscription(request=request)
        created[pipe.topic] = pipe.subscription
        sink = pipeline.dead_letters[pipe.dead_letter_topic]
        subscriber.create_subscription(
            request={
                "name": f"projects/{project}/subscriptions/{sink.subscription}",
                "topic": f"projects/{project}/topics/{pipe.dead_letter_topic}",
                "push_config": {"push_endpoint": service_urls[sink.service] + sink.push_path},
                "ack_deadline_seconds": sink.ack_deadline_seconds,
                "retry_policy": retry_policy,
                "dead_letter_policy": {
                    "dead_letter_topic": parked_topic,
                    "max_delivery_attempts": sink.max_delivery_attempts,
                },
            }
        )
        created[pipe.dead_letter_topic] = sink.subscription
    return created


def create_buckets(project: str, names: list[str]) -> None:
    """The input, staging and output buckets on fake-gcs-server."""
    from google.cloud import storage

    client = storage.Client(project=project, credentials=anonymous_credentials())
    for name in names:
        client.create_bucket(name)
