"""Issue 16 and 14, through both services' handlers in memory: every job ends once, visibly.

Each test is one numbered case of issue 16 (or one disagreement of issue 14)
that failed before its fix.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TypedDict, Unpack

import pandas as pd
import pytest
from tests.datagen import daily_series

from dropcast_common import naming
from dropcast_common.envelope import PushMessage, StorageNotification, StorageObject
from dropcast_common.messages import OutputLocation, StagedQuality, WorkMessage
from dropcast_common.params import Params
from dropcast_common.status import JobStatus, StatusStore
from dropcast_common.testing import InMemoryBlobStore, RecordingPublisher
from dropcast_forecast.bootstrap import ForecastDeps
from dropcast_forecast.config import ForecastSettings
from dropcast_forecast.handlers import Outcome as WorkOutcome
from dropcast_forecast.handlers import handle_work
from dropcast_ingest.bootstrap import IngestDeps
from dropcast_ingest.config import IngestSettings
from dropcast_ingest.deadletters import handle_dead_letter
from dropcast_ingest.handlers import Outcome, handle_upload
from dropcast_ingest.sharding import plan_shards
from dropcast_ingest.watchdog import TIMED_OUT, CheckOutcome, handle_check
from dropcast_tables.limits import Limits


class Wiring(TypedDict):
    """Both services' buckets and the topic job results go to."""

    input_bucket: str
    staging_bucket: str
    output_bucket: str
    results_topic: str


class IngestOptions(TypedDict, total=False):
    """The ingest settings a test may turn on."""

    manifest_inputs_anywhere: bool
    job_budget_seconds: float


SETTINGS: Wiring = {
    "input_bucket": "in",
    "staging_bucket": "stage",
    "output_bucket": "out",
    "results_topic": "results",
}
GOOD = daily_series(60, seed=1).to_csv(index=False).encode()
BAD = b"this is not a table\n"


class Stack:
    """Both services' handlers on one in-memory store and publisher."""

    def __init__(self, **ingest_settings: Unpack[IngestOptions]) -> None:
        self.store = InMemoryBlobStore()
        self.publisher = RecordingPublisher()
        self.ingest = IngestDeps(
            IngestSettings(**SETTINGS, **ingest_settings),
            self.store,
            self.publisher,
            Limits(),
        )
        self.forecast = ForecastDeps(ForecastSettings(**SETTINGS), self.store, self.publisher)

    def put(self, name: str, data: bytes, **metadata: str) -> int:
        return self.store.put_object("in", name, data, metadata)

    def notify(self, name: str, generation: int, **metadata: str) -> Outcome:
        size = len(self.store.read("in", name)) if self.store.stat("in", name) else 0
        obj = StorageObject(
            bucket="in", name=name, generation=generation, size=size, metadata=metadata
        )
        return handle_upload(
            StorageNotification(event_type="OBJECT_FINALIZE", object=obj), self.ingest
        )

    def work_of(self, job: str) -> list[WorkMessage]:
        return [
            WorkMessage.from_bytes(m.data)
            for m in self.publisher.on("work")
            if m.attributes and m.attributes.get("job_id") == job
        ]

    def run(self, job: str) -> None:
        for message in self.work_of(job):
            handle_work(message, self.forecast, f"m-{job}-{message.shard.index}")

    def upload(
        self, name: str, data: bytes, run: bool = True, metadata: Mapping[str, str] | None = None
    ) -> str:
        metadata = metadata or {}
        generation = self.put(name, data, **metadata)
        self.notify(name, generation, **metadata)
        job = naming.job_id("in", name, generation)
        if run:
            self.run(job)
        return job

    def status(self, job: str) -> JobStatus:
        status = StatusStore(self.store, "stage").get(job)
        assert status is not None, f"job {job} has no status"
        return status

    def outputs(self, stem: str) -> dict[str, str]:
        """Output name → the job that wrote it."""
        found = {}
        for name in naming.output_objects(stem):
            info = self.store.stat("out", name)
            if info is not None:
                found[name] = info.metadata[naming.GENERATED_MARK]
        return found

    def results(self, job: str) -> list[dict[str, object]]:
        return [
            json.loads(m.data)
            for m in self.publisher.on("results")
            if m.attributes and m.attributes.get("job_id") == job
        ]


# --- case 3: a dead letter of any message dropcast published is recognised ---------


def test_a_dead_letter_whose_payload_no_longer_parses_still_fails_its_job() -> None:
    stack = Stack()
    job = stack.upload("inf.csv", GOOD, run=False)
    [work] = stack.work_of(job)
    payload = json.loads(work.to_bytes())
    payload["params"]["changepoint_prior_scale"] = None  # what inf became in JSON
    message = PushMessage.model_validate(
        {
            "data": base64.b64encode(json.dumps(payload).encode()).decode(),
            "attributes": {**work.attributes(), "CloudPubSubDeadLetterSourceDeliveryCount": "7"},
            "messageId": "dl",
        }
    )
    assert handle_dead_letter(message, stack.ingest)
    status = stack.status(job)
    assert status.state == "failed"
    assert status.error is not None
    assert status.error.code == "processing_failed"
    assert stack.store.stat("out", "inf.error.json") is not None
    assert [r["state"] for r in stack.results(job)] == ["failed"]


# --- case 5: superseded generations get a final state ------------------------------


def test_an_older_generation_notified_late_ends_superseded_by_the_newer() -> None:
    stack = Stack()
    old = stack.put("same.csv", GOOD)
    new = stack.put("same.csv", GOOD)
    assert stack.notify("same.csv", new) is Outcome.ACCEPTED
    assert stack.notify("same.csv", old) is Outcome.SUPERSEDED
    status = stack.status(naming.job_id("in", "same.csv", old))
    assert (status.state, status.superseded_by) == ("superseded", new)


def test_an_older_generation_still_running_is_superseded_when_the_newer_arrives() -> None:
    stack = Stack()
    first = stack.upload("same.csv", GOOD, run=False)
    second = stack.upload("same.csv", GOOD, run=False)
    status = stack.status(first)
    assert status.state == "superseded"
    assert status.superseded_by == stack.status(second).source_generation
    stack.run(first)  # its work arrives late: it writes nothing
    assert stack.outputs("same") == {}
    stack.run(second)
    assert set(stack.outputs("same").values()) == {second}
    assert [r["state"] for r in stack.results(first)] == ["superseded"]


# --- case 6: work done once, results published once --------------------------------


def test_the_same_message_twice_computes_once_and_publishes_one_result() -> None:
    stack = Stack()
    job = stack.upload("twice.csv", GOOD, run=False)
    [work] = stack.work_of(job)
    from dropcast_common.lease import Lease

    # The first copy holds the shard (it is computing); the second, same id, waits.
    holder = Lease(stack.store, "stage", naming.shard_lease(job, 0), "same-id")
    holder.acquire()
    assert handle_work(work, stack.forecast, "same-id") is WorkOutcome.DEFERRED
    holder.release()
    assert handle_work(work, stack.forecast, "same-id") is WorkOutcome.DONE
    assert handle_work(work, stack.forecast, "same-id") is WorkOutcome.ALREADY_DONE
    assert [r["state"] for r in stack.results(job)] == ["done"]
    assert stack.store.writes.count(("out", "twice.csv")) == 1


# --- case 7: no empty shards ---------------------------------------------------------


def test_a_million_row_single_series_is_one_shard() -> None:
    frame = pd.DataFrame(
        {
            "series_id": "only",
            "ds": pd.date_range("2000-01-01", periods=1_000_000, freq="min"),
            "y": 1.0,
        }
    )
    shards = plan_shards(frame, Params(), budget_seconds=135, max_series_per_shard=200)
    assert len(shards) == 1
    assert len(shards[0]) == 1_000_000


# --- case 8: one generation's outputs per stem ---------------------------------------


def test_a_rejected_reupload_removes_the_stale_forecast() -> None:
    stack = Stack()
    stack.upload("flip.csv", GOOD)
    assert set(stack.outputs("flip")) == {"flip.csv", "flip.png", "flip.report.json"}
    bad = stack.upload("flip.csv", BAD)
    assert stack.outputs("flip") == {"flip.error.json": bad}


def test_a_late_rejection_of_an_older_generation_never_lands_beside_a_newer_forecast() -> None:
    stack = Stack()
    v2 = stack.put("late.csv", BAD)
    v3 = stack.put("late.csv", GOOD)
    newest = stack.upload("late.csv", GOOD)  # v4, processed first
    assert stack.notify("late.csv", v3) is Outcome.SUPERSEDED
    assert stack.notify("late.csv", v2) is Outcome.SUPERSEDED
    assert set(stack.outputs("late").values()) == {newest}
    assert "late.error.json" not in stack.outputs("late")


# --- case 9: output stems unique per input object ------------------------------------


def test_two_objects_with_one_stem_get_two_sets_of_outputs() -> None:
    stack = Stack()
    csv_job = stack.upload("coll.csv", GOOD)
    tsv_job = stack.upload("coll.tsv", GOOD.replace(b",", b"\t"))
    assert stack.status(csv_job).output_stem == "coll"
    assert stack.status(tsv_job).output_stem == "coll-tsv"
    assert set(stack.outputs("coll").values()) == {csv_job}
    assert set(stack.outputs("coll-tsv").values()) == {tsv_job}
    assert stack.status(tsv_job).outputs["csv"] == "gs://out/coll-tsv.csv"


def test_an_output_name_of_another_live_objects_job_is_refused() -> None:
    stack = Stack()
    victim = stack.upload("victim.csv", GOOD)
    thief = stack.upload("thief.csv", GOOD, metadata={"dropcast-output_name": "victim"})
    status = stack.status(thief)
    assert status.state == "failed"
    assert status.error is not None
    assert status.error.code == "output_name_taken"
    assert set(stack.outputs("victim").values()) == {victim}
    assert stack.store.stat("out", "thief.error.json") is not None


def manifest(inputs: list[str]) -> bytes:
    return json.dumps({"input": inputs}).encode()


def test_a_manifest_reads_only_its_own_folder() -> None:
    stack = Stack()
    stack.put("victim/sales.csv", GOOD)
    job = stack.upload("mine/steal.dropcast.json", manifest(["/victim/sales.csv"]))
    status = stack.status(job)
    assert status.error is not None
    assert status.error.code == "manifest_input_outside_folder"


def test_a_deployment_may_let_manifests_read_other_folders() -> None:
    stack = Stack(manifest_inputs_anywhere=True)
    stack.put("shared/_data/sales.csv", GOOD)
    job = stack.upload("mine/use.dropcast.json", manifest(["/shared/_data/sales.csv"]))
    assert stack.status(job).state == "done"


# --- case 10: a forged work message is refused ---------------------------------------


@pytest.mark.parametrize(
    "forge",
    [
        lambda m: m.model_copy(update={"output": OutputLocation(bucket="in", stem="x")}),
        lambda m: m.model_copy(update={"output": OutputLocation(bucket="out", stem="../../etc/x")}),
        lambda m: m.model_copy(
            update={"source": m.source.model_copy(update={"generation": 10**17})}
        ),
        lambda m: m.model_copy(update={"staging_bucket": "in"}),
    ],
    ids=["output-into-input-bucket", "unsafe-stem", "huge-generation", "foreign-staging"],
)
def test_a_forged_work_message_writes_nothing(forge) -> None:  # type: ignore[no-untyped-def]
    stack = Stack()
    job = stack.upload("real.csv", GOOD, run=False)
    [work] = stack.work_of(job)
    before = len(stack.store.writes)
    assert handle_work(forge(work), stack.forecast, "forged") is WorkOutcome.REFUSED
    assert stack.store.writes[before:] == []


# --- issue 14: one fail_job, one output stem, one quality contract -------------------


def test_a_rejected_file_publishes_its_result_like_every_other_ending() -> None:
    stack = Stack()
    job = stack.upload("broken.csv", BAD)
    [result] = stack.results(job)
    assert result["state"] == "failed"


def test_a_dead_lettered_upload_reports_where_its_output_name_points() -> None:
    stack = Stack()
    generation = stack.put("raw/x.csv", GOOD, **{"dropcast-output_name": "reports/x"})
    attrs = {
        "eventType": "OBJECT_FINALIZE",
        "payloadFormat": "JSON_API_V1",
        "bucketId": "in",
        "objectId": "raw/x.csv",
        "objectGeneration": str(generation),
        "CloudPubSubDeadLetterSourceDeliveryCount": "7",
    }
    resource = {"metadata": {"dropcast-output_name": "reports/x"}}
    message = PushMessage.model_validate(
        {"data": base64.b64encode(json.dumps(resource).encode()).decode(), "attributes": attrs}
    )
    assert handle_dead_letter(message, stack.ingest)
    assert stack.store.stat("out", "reports/x.error.json") is not None
    assert stack.store.stat("out", "raw/x.error.json") is None
    job = naming.job_id("in", "raw/x.csv", generation)
    assert [r["state"] for r in stack.results(job)] == ["failed"]


def test_per_series_frequencies_cross_the_boundary_as_a_typed_contract() -> None:
    staged = StagedQuality.model_validate({"rows": 10, "frequencies": {"a": "D", "b": None}})
    again = StagedQuality.from_bytes(staged.to_bytes())
    assert again.frequencies == {"a": "D", "b": None}
    assert again.report() == {"rows": 10}  # what the report shows: no frequencies


# --- the watchdog --------------------------------------------------------------------


def test_an_accepted_job_is_watched_redriven_then_failed_within_its_budget() -> None:
    stack = Stack(job_budget_seconds=600)
    job = stack.upload("stuck.csv", GOOD, run=False)
    assert [m.attributes for m in stack.publisher.on("checks")] == [
        {"kind": "dropcast.check", "job_id": job}
    ]
    status = stack.status(job)
    accepted, deadline = (
        datetime.fromisoformat(status.created),
        datetime.fromisoformat(status.deadline),
    )
    assert deadline - accepted == timedelta(seconds=600)
    assert handle_check(job, stack.ingest, accepted + timedelta(seconds=10)) is CheckOutcome.WAIT
    halfway = accepted + timedelta(seconds=300)
    assert handle_check(job, stack.ingest, halfway) is CheckOutcome.REDRIVEN
    assert len(stack.work_of(job)) == 2  # shard 0 published again
    assert handle_check(job, stack.ingest, halfway) is CheckOutcome.WAIT  # once only
    late = deadline - timedelta(seconds=59)
    assert handle_check(job, stack.ingest, late) is CheckOutcome.TIMED_OUT
    status = stack.status(job)
    assert status.state == "failed"
    assert status.error is not None
    assert status.error.code == TIMED_OUT
    assert "shard(s) 0 of 1" in status.error.message
    assert datetime.now(UTC) < deadline
    assert handle_check(job, stack.ingest) is CheckOutcome.ENDED


def test_a_finished_job_stops_being_watched() -> None:
    stack = Stack()
    job = stack.upload("fine.csv", GOOD)
    assert stack.status(job).state == "done"
    assert handle_check(job, stack.ingest) is CheckOutcome.ENDED
