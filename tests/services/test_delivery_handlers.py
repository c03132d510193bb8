"""Handler-level delivery rules: duplicates, races, loop guard, size budget, dead letters."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pytest
from pydantic import ValidationError
from tests.datagen import daily_series
from tests.jobs_support import accept
from tests.settings_support import BUCKETS

from dropcast_common import naming, table
from dropcast_common.envelope import PushMessage, StorageNotification, StorageObject
from dropcast_common.messages import OutputLocation, Shard, SourceObject, WorkMessage
from dropcast_common.params import Params
from dropcast_common.status import StatusStore
from dropcast_common.testing import InMemoryBlobStore, RecordingPublisher
from dropcast_forecast.bootstrap import ForecastDeps
from dropcast_forecast.config import ForecastSettings
from dropcast_forecast.handlers import Outcome as WorkOutcome
from dropcast_forecast.handlers import handle_work
from dropcast_ingest.bootstrap import IngestDeps
from dropcast_ingest.config import IngestSettings
from dropcast_ingest.deadletters import handle_dead_letter
from dropcast_ingest.handlers import Outcome, handle_upload
from dropcast_ingest.sharding import estimate_fit_seconds, plan_shards
from dropcast_tables.limits import Limits

SETTINGS = BUCKETS


def ingest_deps(store: InMemoryBlobStore, **limits: int) -> IngestDeps:
    return IngestDeps(
        IngestSettings(**SETTINGS, max_series_per_shard=2),
        store,
        RecordingPublisher(),
        Limits(**limits),
    )


def note(
    name: str, generation: int, size: int = 0, metadata: Mapping[str, str] | None = None
) -> StorageNotification:
    return StorageNotification(
        event_type="OBJECT_FINALIZE",
        object=StorageObject(
            bucket="in", name=name, generation=generation, size=size, metadata=dict(metadata or {})
        ),
    )


def long_csv(series: int, days: int) -> bytes:
    frames = []
    for k in range(series):
        frame = daily_series(days, seed=k)
        frame.insert(0, "id", f"s{k}")
        frames.append(frame)
    return pd.concat(frames).to_csv(index=False).encode()


def test_loop_guard_refuses_input_bucket_as_output() -> None:
    with pytest.raises(ValidationError, match="loop"):
        IngestSettings(input_bucket="b", staging_bucket="s", output_bucket="b")
    with pytest.raises(ValidationError, match="loop"):
        ForecastSettings(input_bucket="b", staging_bucket="b", output_bucket="o")


def test_dropcast_own_objects_are_ignored() -> None:
    store = InMemoryBlobStore()
    deps = ingest_deps(store)
    gen = store.put_object("in", "x.csv", b"date,y\n2020-01-01,1\n")
    marked = note("x.csv", gen, metadata={naming.GENERATED_MARK: "somejob"})
    assert handle_upload(marked, deps) is Outcome.IGNORED
    assert store.writes == []


def test_file_over_the_service_budget_is_refused_before_download() -> None:
    store = InMemoryBlobStore()
    deps = ingest_deps(store, max_bytes=1000)
    gen = store.put_object("in", "big.csv", b"x" * 10)  # size comes from the notification
    assert handle_upload(note("big.csv", gen, size=5000), deps) is Outcome.REJECTED
    report = json.loads(store.read("out", "big.error.json"))
    assert report["code"] == "file_too_large"
    assert "Split the file" in report["hint"]
    status = StatusStore(store, "stage").get(naming.job_id("in", "big.csv", gen))
    assert status is not None
    assert status.state == "failed"
    assert status.error is not None
    assert status.error.code == "file_too_large"


def test_many_series_are_sharded_and_published_once_per_shard() -> None:
    store = InMemoryBlobStore()
    deps = ingest_deps(store)
    gen = store.put_object("in", "m.csv", long_csv(5, 60))
    assert handle_upload(note("m.csv", gen), deps) is Outcome.ACCEPTED
    publisher = deps.publisher
    assert isinstance(publisher, RecordingPublisher)
    messages = [WorkMessage.from_bytes(m.data) for m in publisher.on("work")]
    assert [m.shard.index for m in messages] == [0, 1, 2]
    assert {m.shard.count for m in messages} == {3}
    assert sum(m.shard.series for m in messages) == 5
    # A redelivered notification publishes nothing more.
    assert handle_upload(note("m.csv", gen), deps) is Outcome.ACCEPTED
    assert len(publisher.on("work")) == 3


def test_shards_hold_whole_series_and_respect_the_time_budget() -> None:
    frame = table.from_parquet(
        table.to_parquet(
            pd.DataFrame(
                {
                    "series_id": [f"s{k % 7}" for k in range(700)],
                    "ds": pd.Timestamp("2020-01-01")
                    + pd.to_timedelta([k // 7 for k in range(700)], "D"),
                    "y": 1.0,
                }
            )
        )
    )
    params = Params()
    one = estimate_fit_seconds(100, params)
    shards = plan_shards(frame, params, budget_seconds=one * 2.5, max_series_per_shard=1000)
    assert len(shards) == 3
    ids = [set(s["series_id"]) for s in shards]
    assert set().union(*ids) == {f"s{k}" for k in range(7)}
    assert sum(len(i) for i in ids) == 7  # no series split across shards
    assert all(len(s) % 100 == 0 for s in shards)


def work_message(
    store: InMemoryBlobStore, index: int, count: int, frame: pd.DataFrame
) -> WorkMessage:
    job = naming.job_id("in", "two.csv", 1)
    name = naming.staging_shard(job, index)
    store.create("stage", name, table.to_parquet(frame))
    message = WorkMessage(
        job_id=job,
        source=SourceObject(bucket="in", name="two.csv", generation=1),
        shard=Shard(index=index, count=count, uri=f"gs://stage/{name}", series=1),
        params=Params(horizon=5, uncertainty_samples=0),
        output=OutputLocation(bucket="out", stem="two"),
        staging_bucket="stage",
    )
    return accept(store, message)


def canonical(series_id: str, seed: int) -> pd.DataFrame:
    raw = daily_series(60, seed)
    return pd.DataFrame({"series_id": series_id, "ds": pd.to_datetime(raw["date"]), "y": raw["y"]})


def test_last_shard_assembles_once_and_duplicates_do_nothing() -> None:
    store = InMemoryBlobStore()
    deps = ForecastDeps(ForecastSettings(**SETTINGS), store, RecordingPublisher())
    first = work_message(store, 0, 2, canonical("a", 1))
    second = work_message(store, 1, 2, canonical("b", 2))
    assert handle_work(first, deps, "m0") is WorkOutcome.DONE
    assert store.stat("out", "two.csv") is None  # not complete yet
    assert handle_work(second, deps, "m1") is WorkOutcome.DONE
    out = pd.read_csv(__import__("io").BytesIO(store.read("out", "two.csv")))
    assert list(out.columns[:1]) == ["series_id"]
    assert sorted(out["series_id"].unique()) == ["a", "b"]
    assert {n for b, n in store.writes if b == "out"} == {"two.csv", "two.png", "two.report.json"}
    # Duplicates of both messages, after the fact: nothing is written again.
    writes = len(store.writes)
    assert handle_work(first, deps, "m0-dup") is WorkOutcome.ALREADY_DONE
    assert handle_work(second, deps, "m1") is WorkOutcome.ALREADY_DONE
    assert len(store.writes) == writes
    status = StatusStore(store, "stage").get(first.job_id)
    assert status is not None
    assert status.state == "done"
    assert set(status.outputs) == {"csv", "png", "report"}


def test_duplicate_while_the_owner_computes_is_deferred() -> None:
    store = InMemoryBlobStore()
    deps = ForecastDeps(ForecastSettings(**SETTINGS), store, RecordingPublisher())
    message = work_message(store, 0, 1, canonical("a", 1))
    from dropcast_common.lease import Lease

    Lease(store, "stage", naming.staging_part(message.job_id, 0, ".lease"), "owner", 600).acquire()
    assert handle_work(message, deps, "another-message") is WorkOutcome.DEFERRED
    assert store.stat("out", "two.csv") is None


def dead_letter(data: bytes, attributes: dict[str, str]) -> PushMessage:
    return PushMessage.model_validate(
        {
            "data": base64.b64encode(data).decode(),
            "attributes": {**attributes, "CloudPubSubDeadLetterSourceDeliveryCount": "5"},
            "messageId": "dl-1",
        }
    )


def test_dead_lettered_work_fails_the_job_with_a_reason(tmp_path: Path) -> None:
    store = InMemoryBlobStore()
    deps = ingest_deps(store)
    message = work_message(store, 0, 1, canonical("a", 1))
    assert handle_dead_letter(dead_letter(message.to_bytes(), message.attributes()), deps)
    status = StatusStore(store, "stage").get(message.job_id)
    assert status is not None
    assert status.state == "failed"
    assert status.error is not None
    assert status.error.code == "processing_failed"
    assert "5 delivery attempts" in status.error.message
    report = json.loads(store.read("out", "two.error.json"))
    assert report["job_id"] == message.job_id


def test_dead_lettered_notification_fails_its_job() -> None:
    store = InMemoryBlobStore()
    deps = ingest_deps(store)
    attrs = {
        "eventType": "OBJECT_FINALIZE",
        "payloadFormat": "JSON_API_V1",
        "bucketId": "in",
        "objectId": "d/x.csv",
        "objectGeneration": "42",
    }
    assert handle_dead_letter(dead_letter(b'{"name": "d/x.csv", "bucket": "in"}', attrs), deps)
    status = StatusStore(store, "stage").get(naming.job_id("in", "d/x.csv", 42))
    assert status is not None
    assert status.state == "failed"
    assert store.stat("out", "d/x.error.json") is not None


def test_foreign_dead_letter_is_dropped() -> None:
    store = InMemoryBlobStore()
    assert not handle_dead_letter(dead_letter(b"hello", {}), ingest_deps(store))
    assert store.writes == []


def test_publish_output_replaces_an_older_upload_and_keeps_a_newer_one() -> None:
    from dropcast_common.storage import publish_output, remove_stale_output

    store = InMemoryBlobStore()
    assert publish_output(store, "out", "x.csv", b"v1", "text/csv", "job1", 100)
    assert not publish_output(store, "out", "x.csv", b"again", "text/csv", "job1", 100)
    assert publish_output(store, "out", "x.csv", b"v2", "text/csv", "job2", 200)
    assert store.read("out", "x.csv") == b"v2"
    # A late job for the older upload must not bring its forecast back.
    assert not publish_output(store, "out", "x.csv", b"late", "text/csv", "job0", 50)
    assert store.read("out", "x.csv") == b"v2"
    publish_output(store, "out", "x.error.json", b"{}", "application/json", "job1", 100)
    assert not remove_stale_output(store, "out", "x.error.json", "job0", 50)
    assert remove_stale_output(store, "out", "x.error.json", "job2", 200)
    assert store.stat("out", "x.error.json") is None


def test_a_new_upload_of_the_same_name_gets_a_new_forecast() -> None:
    store = InMemoryBlobStore()
    deps = ingest_deps(store)
    forecast = ForecastDeps(ForecastSettings(**SETTINGS), store, RecordingPublisher())
    publisher = deps.publisher
    assert isinstance(publisher, RecordingPublisher)

    def upload_and_run(data: bytes, horizon: str) -> None:
        gen = store.put_object("in", "re.csv", data, {"dropcast-horizon": horizon})
        handle_upload(note("re.csv", gen, metadata={"dropcast-horizon": horizon}), deps)
        for message in publisher.on("work")[-1:]:
            handle_work(WorkMessage.from_bytes(message.data), forecast, f"m{gen}")

    upload_and_run(b"", "5")  # rejected first: an empty file
    assert store.stat("out", "re.error.json") is not None
    upload_and_run(daily_series(60, 1).to_csv(index=False).encode(), "5")
    assert store.read("out", "re.csv").count(b"\n") == 6
    assert store.stat("out", "re.error.json") is None  # stale report removed
    upload_and_run(daily_series(60, 1).to_csv(index=False).encode(), "9")
    assert store.read("out", "re.csv").count(b"\n") == 10


def test_a_shard_that_cannot_finish_in_time_fails_the_job_with_the_reason() -> None:
    from dropcast_common.budget import Deadline

    store = InMemoryBlobStore()
    deps = ForecastDeps(ForecastSettings(**SETTINGS), store, RecordingPublisher())
    message = work_message(store, 0, 1, canonical("a", 1))
    outcome = handle_work(message, deps, "m0", deadline=Deadline(seconds=0.001))
    assert outcome is WorkOutcome.FAILED
    report = json.loads(store.read("out", "two.error.json"))
    assert report["code"] == "shard_over_budget"
    assert "DROPCAST_MAX_SERIES_PER_SHARD" in report["hint"]
    status = StatusStore(store, "stage").get(message.job_id)
    assert status is not None
    assert status.state == "failed"
    assert store.stat("out", "two.csv") is None
