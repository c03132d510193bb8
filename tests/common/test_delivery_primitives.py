"""Leases, status compare-and-swap, in-request retries and fault injection."""

from __future__ import annotations

import json
import threading
import time

from dropcast_common.lease import Lease, LeaseResult
from dropcast_common.status import JobStatus, StatusStore, mark, shard_done
from dropcast_common.testing import InMemoryBlobStore


def lease(store: InMemoryBlobStore, owner: str, ttl: float = 60.0) -> Lease:
    return Lease(store, "b", "jobs/j/parts/00000.lease", owner, ttl)


def test_lease_excludes_a_second_holder_whatever_its_message_id() -> None:
    store = InMemoryBlobStore()
    assert lease(store, "msg-1").acquire() is LeaseResult.ACQUIRED
    assert lease(store, "msg-2").acquire() is LeaseResult.HELD
    # Pub/Sub pushes the same message twice at once: the same id is a second holder too.
    assert lease(store, "msg-1").acquire() is LeaseResult.HELD


def test_a_kept_lease_is_renewed_while_held_and_free_once_released() -> None:
    store = InMemoryBlobStore()
    holder = lease(store, "msg-1", ttl=0.3)
    assert holder.acquire() is LeaseResult.ACQUIRED
    name = "jobs/j/parts/00000.lease"
    first = json.loads(store.read("b", name))["expires"]
    with holder.kept():
        deadline = time.monotonic() + 30
        while json.loads(store.read("b", name))["expires"] == first:
            assert time.monotonic() < deadline, "the heartbeat never renewed the lease"
            time.sleep(0.05)
        assert holder.renew()  # still ours
    assert store.stat("b", name) is None  # released
    assert lease(store, "msg-2").acquire() is LeaseResult.ACQUIRED


def test_a_crashed_holders_lease_is_taken_over_once_it_expires() -> None:
    store = InMemoryBlobStore()
    assert lease(store, "msg-1", ttl=0.2).acquire() is LeaseResult.ACQUIRED
    # msg-1's worker died without releasing; its redelivery waits out the lease.
    assert lease(store, "msg-1").acquire() is LeaseResult.HELD
    time.sleep(0.3)
    assert lease(store, "msg-1").acquire() is LeaseResult.ACQUIRED


def test_expired_lease_is_taken_over() -> None:
    store = InMemoryBlobStore()
    assert lease(store, "msg-1", ttl=0.01).acquire() is LeaseResult.ACQUIRED
    time.sleep(0.05)
    assert lease(store, "msg-2").acquire() is LeaseResult.ACQUIRED
    held = json.loads(store.read("b", "jobs/j/parts/00000.lease"))
    assert held["owner"] == "msg-2"


def test_concurrent_acquirers_get_exactly_one_lease() -> None:
    store = InMemoryBlobStore()
    results: list[LeaseResult] = []
    threads = [
        threading.Thread(target=lambda i=i: results.append(lease(store, f"m{i}").acquire()))
        for i in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(LeaseResult.ACQUIRED) == 1


def test_concurrent_shard_updates_lose_nothing() -> None:
    store = InMemoryBlobStore()
    statuses = StatusStore(store, "b")
    statuses.update("j", mark("accepted", shards_total=16))
    threads = [
        threading.Thread(target=lambda k=k: statuses.update("j", shard_done(k))) for k in range(16)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    status = statuses.get("j")
    assert status is not None
    assert status.shards_done == list(range(16))
    assert status.progress == "16/16"
    assert status.state == "running"


def test_final_states_stay_final() -> None:
    statuses = StatusStore(InMemoryBlobStore(), "b")
    statuses.update("j", mark("done", outputs={"csv": "gs://o/x.csv"}))
    late = statuses.update("j", shard_done(3))  # a late duplicate shard
    assert late.state == "done"
    assert statuses.update("j", mark("failed")).state == "done"


def test_unknown_job_has_no_status() -> None:
    assert StatusStore(InMemoryBlobStore(), "b").get("nope") is None


def test_initial_status_is_used_for_a_new_job() -> None:
    statuses = StatusStore(InMemoryBlobStore(), "b")
    first = JobStatus(job_id="j", state="accepted", source="gs://in/x.csv", source_generation=7)
    status = statuses.update("j", mark("accepted", shards_total=2), initial=first)
    assert (status.source, status.source_generation, status.shards_total) == ("gs://in/x.csv", 7, 2)
