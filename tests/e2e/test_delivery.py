"""Nothing lost, nothing twice — on the local stack, real emulators, real push delivery.

Pub/Sub push is at least once: these tests deliver duplicates, kill the
forecast service mid-job, inject storage faults, exhaust every delivery
attempt, and upload a burst of files, and check that each upload ends in
exactly one visible outcome.
"""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from tests.datagen import daily_series, long_file
from tests.e2e_support import job_of, log_lines, status_of, storage, wait_final

from dropcast_cli import localclient
from dropcast_cli import stack as local_stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SHARD_CAP = 500


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A stack of this module's own: tests here restart and kill its services."""
    home = tmp_path_factory.mktemp("delivery-stack")
    try:
        local_stack.up(home, env={"DROPCAST_MAX_SERIES_PER_SHARD": str(SHARD_CAP)})
        yield home
    finally:
        local_stack.down(home)


def count_eventually(
    info: local_stack.StackInfo, service: str, job: str, text: str, expected: int = 1
) -> int:
    """Log lines matching, once the expected number has had a moment to be written."""
    deadline = time.monotonic() + 120  # generous: returns as soon as the lines are there
    while len(found := log_lines(info, service, job, text)) < expected:
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
    return len(found)


def output_generations(info: local_stack.StackInfo, stem: str) -> dict[str, int]:
    bucket = storage(info).bucket(info.buckets["output"])
    return {
        b.name: int(b.generation)
        for b in bucket.list_blobs(prefix=stem)
        if re.fullmatch(re.escape(stem) + r"\.(csv|png|report\.json|error\.json)", b.name)
    }


def test_same_notification_five_times_concurrently(
    info: local_stack.StackInfo, tmp_path: Path
) -> None:
    from google.cloud import pubsub_v1

    source = tmp_path / "dup.csv"
    daily_series(400, seed=1).to_csv(source, index=False)
    name = "delivery/dup.csv"
    # Hold notifications back: capture the real one on a pull subscription first.
    subscriber = pubsub_v1.SubscriberClient()
    capture = f"projects/{info.project}/subscriptions/capture-dup"
    subscriber.create_subscription(
        name=capture, topic=f"projects/{info.project}/topics/{info.topics['uploads']}"
    )
    localclient.upload(info, source, name)
    job = job_of(info, name)
    received = subscriber.pull(subscription=capture, max_messages=1, timeout=300)
    original = received.received_messages[0].message
    publisher = pubsub_v1.PublisherClient()
    topic = f"projects/{info.project}/topics/{info.topics['uploads']}"
    with ThreadPoolExecutor(5) as pool:
        futures = [
            pool.submit(
                lambda: publisher.publish(
                    topic, original.data, **dict(original.attributes)
                ).result()
            )
            for _ in range(5)
        ]
        assert len({f.result() for f in futures}) == 5  # five distinct messages
    subscriber.delete_subscription(subscription=capture)

    status = wait_final(info, job, 600)
    assert status.state == "done"
    time.sleep(3)  # let every duplicate run its course
    generations = output_generations(info, "delivery/dup")
    assert set(generations) == {"delivery/dup.csv", "delivery/dup.png", "delivery/dup.report.json"}
    assert len(log_lines(info, "forecast", job, "computing shard")) == 1
    assert count_eventually(info, "forecast", job, "assembled") == 1
    assert output_generations(info, "delivery/dup") == generations


@pytest.mark.heavy
def test_forecast_killed_mid_job_then_restarted(
    home: Path, info: local_stack.StackInfo, tmp_path: Path
) -> None:
    source = long_file(tmp_path / "crash.csv", series=60, days=730, seed=100)
    name = "delivery/crash.csv"
    localclient.upload(info, source, name)
    job = job_of(info, name)
    deadline = time.monotonic() + 60
    while not log_lines(info, "forecast", job, "computing shard"):
        assert time.monotonic() < deadline, "forecast never started"
        time.sleep(0.05)
    local_stack.kill("forecast", home)
    assert status_of(info, job).state != "done"  # type: ignore[union-attr]
    local_stack.restart("forecast", home)

    status = wait_final(info, job, 240)
    assert status.state == "done", status
    out = pd.read_csv(
        io.BytesIO(
            storage(info)
            .bucket(info.buckets["output"])
            .blob("delivery/crash.csv")
            .download_as_bytes()
        )
    )
    assert out["series_id"].nunique() == 60
    assert len(out) == 60 * 28
    assert count_eventually(info, "forecast", job, "assembled") == 1


@pytest.mark.heavy  # a minute or more of retries with backoff; nox -s heavy
def test_injected_storage_faults_are_retried(
    home: Path, info: local_stack.StackInfo, tmp_path: Path
) -> None:
    chaos = {"DROPCAST_CHAOS_STORAGE_FAIL_EVERY": "3"}
    for service in ("ingest", "forecast"):
        local_stack.restart(service, home, env=chaos)
    try:
        source = long_file(tmp_path / "faults.csv", series=3, days=200, seed=7)
        localclient.upload(info, source, "delivery/faults.csv")
        job = job_of(info, "delivery/faults.csv")
        status = wait_final(info, job, 600)
    finally:
        for service in ("ingest", "forecast"):
            local_stack.restart(service, home)
    assert status.state == "done", status
    assert count_eventually(info, "forecast", job, "assembled") == 1
    injected = [
        line
        for service in ("ingest", "forecast")
        for line in Path(info.logs[service]).read_text().splitlines()
        if "injected storage fault" in line
    ]
    assert injected, "no fault was injected: the test proves nothing"
    body = storage(info).bucket(info.buckets["output"]).blob("delivery/faults.csv")
    out = pd.read_csv(io.BytesIO(body.download_as_bytes()))
    assert sorted(out["series_id"].unique()) == ["s00000", "s00001", "s00002"]


@pytest.mark.heavy  # every delivery attempt, with backoff, before the dead letter
@pytest.mark.timeout(900)
def test_message_failing_every_attempt_is_dead_lettered_and_the_job_fails(
    home: Path, info: local_stack.StackInfo, tmp_path: Path
) -> None:
    # Seven attempts 10 s and more apart (pipeline.json): about two minutes on the emulator.
    local_stack.restart("forecast", home, env={"DROPCAST_CHAOS_STORAGE_FAIL_EVERY": "1"})
    try:
        source = tmp_path / "doomed.csv"
        daily_series(100, seed=3).to_csv(source, index=False)
        localclient.upload(info, source, "delivery/doomed.csv")
        job = job_of(info, "delivery/doomed.csv")
        status = wait_final(info, job, 600)
    finally:
        local_stack.restart("forecast", home)
    assert status.state == "failed"
    assert status.error is not None
    assert status.error.code == "processing_failed"
    assert "dead-letter" in status.error.message
    report = json.loads(
        storage(info)
        .bucket(info.buckets["output"])
        .blob("delivery/doomed.error.json")
        .download_as_bytes()
    )
    assert report["code"] == "processing_failed"
    assert report["job_id"] == job


@pytest.mark.heavy
@pytest.mark.timeout(600)
def test_hundred_files_at_once(info: local_stack.StackInfo, tmp_path: Path) -> None:
    names = [f"delivery/burst/f{k:03d}.csv" for k in range(100)]
    for k in range(len(names)):
        daily_series(90, seed=1000 + k).to_csv(tmp_path / f"f{k:03d}.csv", index=False)
    with ThreadPoolExecutor(8) as pool:
        list(
            pool.map(
                lambda k: localclient.upload(info, tmp_path / f"f{k:03d}.csv", names[k]), range(100)
            )
        )
    jobs = {name: job_of(info, name) for name in names}
    statuses = {name: wait_final(info, job, 400) for name, job in jobs.items()}
    assert {s.state for s in statuses.values()} == {"done"}
    listed = [
        b.name
        for b in storage(info).bucket(info.buckets["output"]).list_blobs(prefix="delivery/burst/")
        if b.name.endswith(".csv")
    ]
    assert sorted(listed) == sorted(names)
    for name, job in jobs.items():
        assert count_eventually(info, "forecast", job, "assembled") == 1, name


@pytest.mark.heavy
@pytest.mark.timeout(900)
def test_two_thousand_series_are_sharded_and_assembled(
    info: local_stack.StackInfo, tmp_path: Path
) -> None:
    source = long_file(tmp_path / "wide.csv", series=2000, days=40, seed=5000)
    name = "delivery/many.csv"
    localclient.upload(
        info, source, name, metadata={"dropcast-uncertainty-samples": "0", "dropcast-horizon": "7"}
    )
    job = job_of(info, name)
    status = wait_final(info, job, 900)
    assert status.state == "done", status
    assert status.shards_total >= 2000 // SHARD_CAP
    assert sorted(status.shards_done) == list(range(status.shards_total))
    out = pd.read_csv(
        io.BytesIO(
            storage(info)
            .bucket(info.buckets["output"])
            .blob("delivery/many.csv")
            .download_as_bytes()
        )
    )
    assert out["series_id"].nunique() == 2000
    assert len(out) == 2000 * 7
    assert count_eventually(info, "forecast", job, "assembled") == 1
