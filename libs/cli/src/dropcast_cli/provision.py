"""Create buckets, topics and push subscriptions on the emulators.

Names and delivery settings come from ``dropcast_common.pipeline`` — the
same definition Terraform reads — so the local stack behaves like the cloud.
"""

from __future__ import annotations

from typing import Any

from dropcast_common.pipeline import Pipeline, seconds
from dropcast_common.storage import anonymous_credentials


def create_topics(project: str, pipeline: Pipeline) -> None:
    """Every topic of the pipeline (uploads, work, their dead-letter topics, results)."""
    from google.cloud import pubsub_v1

    publisher = pubsub_v1.PublisherClient()
    for topic in pipeline.topics():
        publisher.create_topic(name=f"projects/{project}/topics/{topic}")


def create_push_subscriptions(
    project: str, pipeline: Pipeline, service_urls: dict[str, str]
) -> dict[str, str]:
    """Push subscriptions to the services, with retry and dead-letter policies."""
    from google.cloud import pubsub_v1
    from google.protobuf import duration_pb2

    subscriber = pubsub_v1.SubscriberClient()
    created: dict[str, str] = {}

    def duration(value: str) -> Any:
        return duration_pb2.Duration(seconds=int(seconds(value)))

    for pipe in pipeline.pipes.values():
        request = {
            "name": f"projects/{project}/subscriptions/{pipe.subscription}",
            "topic": f"projects/{project}/topics/{pipe.topic}",
            "push_config": {"push_endpoint": service_urls[pipe.service] + pipe.push_path},
            "ack_deadline_seconds": pipe.ack_deadline_seconds,
            "retry_policy": {
                "minimum_backoff": duration(pipe.minimum_backoff),
                "maximum_backoff": duration(pipe.maximum_backoff),
            },
            "dead_letter_policy": {
                "dead_letter_topic": f"projects/{project}/topics/{pipe.dead_letter_topic}",
                "max_delivery_attempts": pipe.max_delivery_attempts,
            },
        }
        subscriber.create_subscription(request=request)
        created[pipe.topic] = pipe.subscription
    for topic, sink in pipeline.dead_letters.items():
        subscriber.create_subscription(
            request={
                "name": f"projects/{project}/subscriptions/{sink.subscription}",
                "topic": f"projects/{project}/topics/{topic}",
                "push_config": {"push_endpoint": service_urls[sink.service] + sink.push_path},
                "ack_deadline_seconds": sink.ack_deadline_seconds,
            }
        )
        created[topic] = sink.subscription
    return created


def create_buckets(project: str, names: list[str]) -> None:
    """The input, staging and output buckets on fake-gcs-server."""
    from google.cloud import storage

    client = storage.Client(project=project, credentials=anonymous_credentials())
    for name in names:
        client.create_bucket(name)
