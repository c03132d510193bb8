"""The IAM contract: every storage and Pub/Sub call each service makes, and what it needs.

One table (``CALLS``) says, per service, which ``BlobStore`` methods it
calls on which bucket and which topics it publishes to. ``PERMISSIONS``
says which IAM permission each method needs, and ``iam_roles.json`` (copied
from Google's IAM reference) which permissions the predefined roles hold.
From the three follow:

- ``least_roles``: the roles Terraform must grant, no fewer (a 403 in
  production) and no more (least privilege); ``nox -s plan`` compares them
  with the grants of a real ``terraform plan``;
- ``GrantedBlobStore`` / ``GrantedPublisher``: adapters the local stack puts
  in front of each service (``DROPCAST_ENFORCE_IAM``), so a call missing
  here fails on this machine, as it would in the cloud.

A new call means a new line in ``CALLS`` (the e2e tests refuse it until
then) and, when it needs a new permission, a new grant in
``terraform/modules/pipeline/iam.tf`` (the plan test refuses it until then).
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Literal

from dropcast_common.pubsub import Publisher
from dropcast_common.settings import CommonSettings
from dropcast_common.storage import BlobInfo, BlobStore

log = logging.getLogger(__name__)

Service = Literal["ingest", "forecast"]
Bucket = Literal["input", "staging", "output"]
Topic = Literal["work", "results", "checks"]
SERVICES: tuple[Service, ...] = ("ingest", "forecast")
BUCKETS: tuple[Bucket, ...] = ("input", "staging", "output")
TOPICS: tuple[Topic, ...] = ("work", "results", "checks")
StorageMethod = Literal["read", "download", "stat", "create", "replace", "delete", "list"]

# The permission each call needs (Cloud Storage's "IAM permissions for JSON
# methods"): reading metadata or data is objects.get; an upload with
# ifGenerationMatch of an existing object overwrites it, which needs
# objects.delete besides objects.create.
PERMISSIONS: Mapping[StorageMethod, frozenset[str]] = {
    "read": frozenset({"storage.objects.get"}),
    "download": frozenset({"storage.objects.get"}),
    "stat": frozenset({"storage.objects.get"}),
    "create": frozenset({"storage.objects.create"}),
    "replace": frozenset({"storage.objects.create", "storage.objects.delete"}),
    "delete": frozenset({"storage.objects.delete"}),
    "list": frozenset({"storage.objects.list"}),
}
PUBLISH = frozenset({"pubsub.topics.publish"})


def _methods(*names: StorageMethod) -> frozenset[StorageMethod]:
    return frozenset(names)


# Every call, per service and bucket (by role in the pipeline), with where it is made.
BUCKET_CALLS: Mapping[Service, Mapping[Bucket, frozenset[StorageMethod]]] = {
    "ingest": {
        # handlers: download the upload; manifest_inputs: read the manifest, stat
        # and download the files it names.
        "input": _methods("read", "download", "stat"),
        # handlers: shards and the published marker create-only, stat on retry;
        # status: read and compare-and-swap job state.
        "staging": _methods("create", "stat", "read", "replace"),
        # handlers.reject and deadletters: publish_output of x.error.json.
        "output": _methods("stat", "create", "replace"),
    },
    "forecast": {
        # handlers: read shards, parts create-only under a lease; assembly:
        # list and read parts; status and leases: compare-and-swap.
        "staging": _methods("create", "stat", "read", "replace", "list"),
        # assembly: publish_output of the outputs, remove_stale_output of an
        # older job's error report; staged_warmstarts: publish_output.
        "output": _methods("stat", "create", "replace", "delete"),
    },
}
TOPIC_CALLS: Mapping[Service, frozenset[Topic]] = {
    # handlers: one work message per shard (the watchdog re-drives them);
    # failing a job (reject, dead letters, time-outs) announces it on results;
    # the watchdog's timer messages go to checks (where pipeline.json has one).
    "ingest": frozenset({"work", "results", "checks"}),
    # assembly: announces finished and failed jobs.
    "forecast": frozenset({"results"}),
}
# Where pipeline.json defines each topic; a topic it does not define (the
# watchdog's, in a definition without one) is neither called nor granted.
TOPIC_DEFINED_BY: Mapping[Topic, str] = {
    "work": "pipes",
    "results": "results_topic",
    "checks": "watchdog",
}

# Roles a grant may use: the predefined roles of iam_roles.json on a bucket or a topic.
BUCKET_ROLES = (
    "roles/storage.objectViewer",
    "roles/storage.objectCreator",
    "roles/storage.objectUser",
    "roles/storage.objectAdmin",
)
TOPIC_ROLES = ("roles/pubsub.publisher", "roles/pubsub.editor")


class MissingGrantError(PermissionError):
    """A call the IAM contract does not allow: in the cloud it would be a 403."""


@cache
def role_permissions() -> Mapping[str, frozenset[str]]:
    """The checked-in table of predefined roles (source: Google's IAM reference)."""
    raw = json.loads(Path(__file__).with_name("iam_roles.json").read_text(encoding="utf-8"))
    return {role: frozenset(perms) for role, perms in raw["roles"].items()}


@cache
def _definition() -> Mapping[str, object]:
    raw: dict[str, object] = json.loads(
        Path(__file__).with_name("pipeline.json").read_text(encoding="utf-8")
    )
    return raw


def needed(
    service: Service, definition: Mapping[str, object] | None = None
) -> dict[str, frozenset[str]]:
    """Permissions a service needs, by resource (``bucket:input``, ``topic:work``).

    ``definition`` is a pipeline.json (default: the package's own).
    """
    defined = definition if definition is not None else _definition()
    out: dict[str, frozenset[str]] = {}
    for bucket, methods in BUCKET_CALLS[service].items():
        out[f"bucket:{bucket}"] = frozenset().union(*(PERMISSIONS[m] for m in methods))
    for topic in TOPIC_CALLS[service]:
        if TOPIC_DEFINED_BY[topic] in defined:
            out[f"topic:{topic}"] = PUBLISH
    return out


def least_roles(permissions: frozenset[str], candidates: tuple[str, ...]) -> frozenset[str]:
    """The set of candidate roles that covers ``permissions`` with the fewest permissions.

    Ties go to fewer roles. Raises when no combination covers them.
    """
    table = role_permissions()
    best: tuple[int, int, frozenset[str]] | None = None
    for size in range(1, len(candidates) + 1):
        for combo in itertools.combinations(candidates, size):
            granted = frozenset().union(*(table[r] for r in combo))
            if permissions <= granted:
                key = (len(granted), size, frozenset(combo))
                if best is None or key[:2] < best[:2]:
                    best = key
    if best is None:
        raise ValueError(f"no predefined role among {candidates} covers {sorted(permissions)}")
    return best[2]


def required_grants(
    service: Service, definition: Mapping[str, object] | None = None
) -> dict[str, frozenset[str]]:
    """The roles Terraform must grant a service, by resource (see ``needed``)."""
    return {
        resource: least_roles(
            perms, BUCKET_ROLES if resource.startswith("bucket:") else TOPIC_ROLES
        )
        for resource, perms in needed(service, definition).items()
    }


def granted_permissions(service: Service) -> dict[str, frozenset[str]]:
    """What those roles allow, by resource: what the cloud would let the service do."""
    table = role_permissions()
    return {
        resource: frozenset().union(*(table[r] for r in roles))
        for resource, roles in required_grants(service).items()
    }


class GrantedBlobStore:
    """A BlobStore that refuses what the service's grants would refuse in the cloud."""

    def __init__(self, inner: BlobStore, service: Service, buckets: Mapping[str, Bucket]) -> None:
        self._inner = inner
        self._service = service
        self._buckets = dict(buckets)
        self._granted = granted_permissions(service)

    def _check(self, method: StorageMethod, bucket: str) -> None:
        role = self._buckets.get(bucket)
        granted = self._granted.get(f"bucket:{role}", frozenset()) if role else frozenset()
        missing = PERMISSIONS[method] - granted
        if missing:
            where = role or "not a pipeline bucket"
            lacking = ", ".join(sorted(missing))
            message = (
                f"{self._service} called {method} on gs://{bucket} ({where}) without {lacking}:"
                " in the cloud this is a 403. Add the call to "
                "dropcast_common.iam.BUCKET_CALLS and grant the role nox -s plan asks for in "
                "terraform/modules/pipeline/iam.tf"
            )
            log.error(message)
            raise MissingGrantError(message)

    def read(self, bucket: str, name: str, generation: int | None = None) -> bytes:
        self._check("read", bucket)
        return self._inner.read(bucket, name, generation)

    def download(self, bucket: str, name: str, dest: Path, generation: int | None = None) -> None:
        self._check("download", bucket)
        self._inner.download(bucket, name, dest, generation)

    def stat(self, bucket: str, name: str) -> BlobInfo | None:
        self._check("stat", bucket)
        return self._inner.stat(bucket, name)

    def create(
        self,
        bucket: str,
        name: str,
        data: bytes,
        content_type: str = "application/octet-stream",
        metadata: dict[str, str] | None = None,
    ) -> int:
        self._check("create", bucket)
        return self._inner.create(bucket, name, data, content_type, metadata)

    def replace(
        self,
        bucket: str,
        name: str,
        data: bytes,
        content_type: str,
        if_generation_match: int,
        metadata: dict[str, str] | None = None,
    ) -> int:
        self._check("replace", bucket)
        return self._inner.replace(bucket, name, data, content_type, if_generation_match, metadata)

    def delete(self, bucket: str, name: str, if_generation_match: int) -> None:
        self._check("delete", bucket)
        self._inner.delete(bucket, name, if_generation_match)

    def list(self, bucket: str, prefix: str) -> list[str]:
        self._check("list", bucket)
        return self._inner.list(bucket, prefix)


class GrantedPublisher:
    """A Publisher that refuses topics the service holds no publisher grant on."""

    def __init__(self, inner: Publisher, service: Service, topics: Mapping[str, Topic]) -> None:
        self._inner = inner
        self._service = service
        self._topics = dict(topics)
        self._granted = granted_permissions(service)

    def publish(self, topic: str, data: bytes, attributes: dict[str, str] | None = None) -> str:
        role = self._topics.get(topic)
        granted = self._granted.get(f"topic:{role}", frozenset())
        if role is None or not PUBLISH.issubset(granted):
            message = (
                f"{self._service} published to {topic} ({role or 'not a pipeline topic'}) without "
                "pubsub.topics.publish: in the cloud this is a 403. Add the topic to "
                "dropcast_common.iam.TOPIC_CALLS and grant it in terraform/modules/pipeline/iam.tf"
            )
            log.error(message)
            raise MissingGrantError(message)
        return self._inner.publish(topic, data, attributes)


def enforce(
    service: Service,
    store: BlobStore,
    publisher: Publisher,
    *,
    buckets: Mapping[str, Bucket],
    topics: Mapping[str, Topic],
) -> tuple[BlobStore, Publisher]:
    """Wrap a service's adapters so that they allow exactly what its grants allow."""
    return GrantedBlobStore(store, service, buckets), GrantedPublisher(publisher, service, topics)


def enforce_settings(
    service: Service, settings: CommonSettings, store: BlobStore, publisher: Publisher
) -> tuple[BlobStore, Publisher]:
    """``enforce`` with the bucket and topic names a service's settings give (when enabled)."""
    if not settings.enforce_iam:
        return store, publisher
    buckets: dict[str, Bucket] = {
        settings.input_bucket: "input",
        settings.staging_bucket: "staging",
        settings.output_bucket: "output",
    }
    topics: dict[str, Topic] = {settings.work_topic: "work"}
    if settings.results_topic:
        topics[settings.results_topic] = "results"
    # ingest's settings name the watchdog's topic where the pipeline has one.
    checks = getattr(settings, "checks_topic", "")
    if checks:
        topics[checks] = "checks"
    return enforce(service, store, publisher, buckets=buckets, topics=topics)
