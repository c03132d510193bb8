"""Outages on the local stack (real emulators, real push): every job still ends, once, visibly.

Services are killed by pid (SIGKILL, as a crashed instance dies) and kept
down for a minute, longer than the old retry settings lasted; or never come
back, which the watchdog must turn into a failed job within the budget the
job's status states.
"""

from __future__ import annotations

import io
import json
import os
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from tests.datagen import daily_series, long_file
from tests.e2e_support import job_of, log_lines, status_of, storage, wait_final

from dropcast_cli import localclient
from dropcast_cli import stack as local_stack
from dropcast_common import naming

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.heavy]

OUTAGE_SECONDS = 60


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A stack of this module's own: its tests kill and restart the services."""
    home = tmp_path_factory.mktemp("outage-stack")
    try:
        local_stack.up(home)
        yield home
    finally:
        local_stack.down(home)


@pytest.fixture
def results(info: local_stack.StackInfo) -> Iterator[str]:
    """A pull subscription on the results topic, to count result messages."""
    from google.cloud import pubsub_v1

    subscriber = pubsub_v1.SubscriberClient()
    name = f"projects/{info.project}/subscriptions/outage-results-{os.getpid()}-{time.time_ns()}"
    subscriber.create_subscription(
        name=name, topic=f"projects/{info.project}/topics/{info.topics['results']}"
    )
    try:
        yield name
    finally:
        subscriber.delete_subscription(subscription=name)


def result_messages(subscription: str, job: str) -> list[dict[str, object]]:
    from google.cloud import pubsub_v1

    subscriber = pubsub_v1.SubscriberClient()
    found: list[dict[str, object]] = []
    while True:
        pulled = subscriber.pull(subscription=subscription, max_messages=50, timeout=10)
        if not pulled.received_messages:
            return found
        subscriber.acknowledge(
            subscription=subscription, ack_ids=[m.ack_id for m in pulled.received_messages]
        )
        for received in pulled.received_messages:
            body = json.loads(received.message.data)
            if body.get("job_id") == job:
                found.append(body)


def wait_log(
    info: local_stack.StackInfo, service: str, job: str, text: str, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while not log_lines(info, service, job, text):
        assert time.monotonic() < deadline, f"{service} never logged {text!r} for {job}"
        time.sleep(0.05)


def group_members(pgid: int) -> list[int]:
    """Live processes of a process group (zombies excluded)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def kill_leader_only(info: local_stack.StackInfo, service: str) -> list[int]:
    """SIGKILL the service's own process, not its group; returns what else was in the group."""
    pid = info.pids[service]
    others = [p for p in group_members(pid) if p != pid]
    os.kill(pid, signal.SIGKILL)
    return others


def wait_gone(pids: list[int], timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if Path(f"/proc/{p}").exists() and _not_zombie(p)]
        time.sleep(0.2)
    return alive


def _not_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


@pytest.mark.timeout(900)
def test_ingest_and_forecast_each_down_a_minute_mid_job(
    home: Path, info: local_stack.StackInfo, results: str, tmp_path: Path
) -> None:
    source = long_file(tmp_path / "outage.csv", series=40, days=730, seed=300)
    name = "outage/both.csv"
    # Ingest is down when the notification comes (a request takes ~2 s: a
    # kill "during" it is a race the test would often lose), and stays down
    # a minute: every push of the notification fails in the meantime.
    local_stack.kill("ingest", home)
    started = time.monotonic()
    localclient.upload(info, source, name)
    job = job_of(info, name)
    time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - started)))
    assert status_of(info, job) is None  # nothing handled it yet
    local_stack.restart("ingest", home)

    # Forecast dies while it computes the shard: its leader only, so its
    # workers must go with it; down a minute too.
    wait_log(info, "forecast", job, "computing shard", 300)
    orphans = kill_leader_only(local_stack.read(home), "forecast")
    assert orphans, "the forecast leader had no worker processes: the test proves nothing"
    assert wait_gone(orphans, 15) == [], "pool workers outlived the forecast leader"
    assert status_of(info, job).state != "done"  # type: ignore[union-attr]
    time.sleep(OUTAGE_SECONDS)
    local_stack.restart("forecast", home)

    status = wait_final(info, job, 600)
    assert status.state == "done", status
    body = storage(info).bucket(info.buckets["output"]).blob("outage/both.csv")
    out = pd.read_csv(io.BytesIO(body.download_as_bytes()))
    assert out["series_id"].nunique() == 40
    time.sleep(5)  # let any duplicate delivery run its course
    assert len(log_lines(info, "forecast", job, "assembled")) == 1
    assert [m["state"] for m in result_messages(results, job)] == ["done"]


@pytest.mark.timeout(600)
def test_a_job_whose_forecast_never_returns_fails_within_its_budget(
    home: Path, info: local_stack.StackInfo, results: str, tmp_path: Path
) -> None:
    budget = 150
    local_stack.restart("ingest", home, env={"DROPCAST_JOB_BUDGET_SECONDS": str(budget)})
    local_stack.kill("forecast", home)
    try:
        source = tmp_path / "orphan.csv"
        daily_series(120, seed=9).to_csv(source, index=False)
        name = "outage/never.csv"
        localclient.upload(info, source, name)
        job = job_of(info, name)
        status = wait_final(info, job, budget + 60)
        ended = datetime.now(UTC)
    finally:
        local_stack.restart("ingest", home)
        local_stack.restart("forecast", home)
    assert status.state == "failed", status
    assert status.error is not None
    assert status.error.code == "job_timed_out", status.error
    assert "shard(s) 0 of 1" in status.error.message
    assert status.redriven == [0]  # published again once, half-way
    assert ended <= datetime.fromisoformat(status.deadline)
    report = json.loads(
        storage(info)
        .bucket(info.buckets["output"])
        .blob("outage/never.error.json")
        .download_as_bytes()
    )
    assert report["code"] == "job_timed_out"
    assert [m["state"] for m in result_messages(results, job)] == ["failed"]


@pytest.mark.timeout(300)
def test_uploads_of_one_name_milliseconds_apart_all_end(
    info: local_stack.StackInfo, tmp_path: Path
) -> None:
    name = "outage/rapid.csv"
    bucket = storage(info).bucket(info.buckets["input"])
    generations = []
    for k in range(4):
        blob = bucket.blob(name)
        blob.upload_from_string(daily_series(60, seed=k).to_csv(index=False), "text/csv")
        generations.append(int(blob.generation))
        time.sleep(0.03)
    jobs = [naming.job_id(info.buckets["input"], name, g) for g in generations]
    statuses = [wait_final(info, job, 240) for job in jobs]
    assert statuses[-1].state == "done"
    for status in statuses[:-1]:
        assert status.state == "superseded", status
        assert status.superseded_by > status.source_generation
    outputs = storage(info).bucket(info.buckets["output"]).list_blobs(prefix="outage/rapid.")
    writers = {(b.metadata or {}).get(naming.GENERATED_MARK) for b in outputs}
    assert writers == {jobs[-1]}
