"""The IAM contract in code: calls -> permissions -> least predefined roles -> enforcement."""

from __future__ import annotations

import pytest

from dropcast_common import iam
from dropcast_common.settings import CommonSettings
from dropcast_common.storage import publish_output
from dropcast_common.testing import InMemoryBlobStore, RecordingPublisher

SETTINGS = CommonSettings(
    input_bucket="in",
    staging_bucket="stage",
    output_bucket="out",
    results_topic="results",
    work_topic="work",
    enforce_iam=True,
)


def wrapped(service: iam.Service) -> tuple[iam.GrantedBlobStore, iam.GrantedPublisher]:
    store, publisher = iam.enforce_settings(
        service, SETTINGS, InMemoryBlobStore(), RecordingPublisher()
    )
    assert isinstance(store, iam.GrantedBlobStore)
    assert isinstance(publisher, iam.GrantedPublisher)
    return store, publisher


def test_every_role_used_is_in_the_checked_in_reference_table() -> None:
    table = iam.role_permissions()
    for service in iam.SERVICES:
        for roles in iam.required_grants(service).values():
            assert roles <= set(table)


def test_output_writes_need_the_role_that_can_overwrite_and_delete() -> None:
    """objectCreator cannot overwrite (objects.delete) or read metadata (objects.get)."""
    need = iam.needed("forecast")["bucket:output"]
    assert {"storage.objects.get", "storage.objects.create", "storage.objects.delete"} <= need
    assert iam.required_grants("forecast")["bucket:output"] == {"roles/storage.objectUser"}
    assert iam.required_grants("ingest")["bucket:input"] == {"roles/storage.objectViewer"}


def test_least_roles_prefers_the_narrowest_cover() -> None:
    assert iam.least_roles(frozenset({"storage.objects.get"}), iam.BUCKET_ROLES) == {
        "roles/storage.objectViewer"
    }
    assert iam.least_roles(frozenset({"pubsub.topics.publish"}), iam.TOPIC_ROLES) == {
        "roles/pubsub.publisher"
    }
    with pytest.raises(ValueError, match="no predefined role"):
        iam.least_roles(frozenset({"storage.buckets.delete"}), iam.BUCKET_ROLES)


def test_publish_output_passes_where_the_grants_allow_it() -> None:
    store, _ = wrapped("forecast")
    assert publish_output(store, "out", "x.csv", b"1", "text/csv", "job-1", 1)
    # A newer upload's job replaces the output: needs get, create and delete.
    assert publish_output(store, "out", "x.csv", b"2", "text/csv", "job-2", 2)


def test_a_call_outside_the_grants_is_refused_with_what_to_do() -> None:
    store, publisher = wrapped("forecast")
    with pytest.raises(iam.MissingGrantError, match=r"forecast called read on gs://in \(input\)"):
        store.read("in", "upload.csv")
    ingest_store, ingest_publisher = wrapped("ingest")
    # objectViewer on the input bucket: ingest can never delete an upload.
    with pytest.raises(iam.MissingGrantError, match=r"storage\.objects\.delete"):
        ingest_store.delete("in", "upload.csv", 1)
    # Failing a job announces it on results: ingest may, since it fails jobs.
    assert ingest_publisher.publish("results", b"{}")
    assert ingest_publisher.publish("work", b"{}")
    with pytest.raises(iam.MissingGrantError, match="ingest published to uploads"):
        ingest_publisher.publish("uploads", b"{}")
    with pytest.raises(iam.MissingGrantError, match="TOPIC_CALLS"):
        publisher.publish("work", b"{}")


def test_enforcement_is_off_unless_asked() -> None:
    store = InMemoryBlobStore()
    got, _ = iam.enforce_settings("ingest", CommonSettings(), store, RecordingPublisher())
    assert got is store
