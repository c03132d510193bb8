"""Pool workers die with the process that owns them, even one killed outright (SIGKILL)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

LEADER = """
import json, sys, threading, time
from dropcast_forecasting.pool import parallel
mode = sys.argv[1]
if mode == "forkserver":  # the service's mode: a process with threads
    threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()
parallel.always_use_pool()
pool = parallel.get_pool(2)
from dropcast_forecasting.pool.worker import scratch_dirs
pids = sorted({pool.submit(scratch_dirs).result()[0] for _ in range(8)})
print(json.dumps(pids), flush=True)
time.sleep(3600)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is dead for our purpose once reaped by init.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("mode", ["fork", "forkserver"])
def test_workers_exit_when_their_leader_is_killed(mode: str) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", LEADER, mode], stdout=subprocess.PIPE, text=True
    ) as leader:
        _check_orphans(leader)


def _check_orphans(leader: subprocess.Popen[str]) -> None:
    try:
        assert leader.stdout is not None
        workers = json.loads(leader.stdout.readline())
        assert workers
        assert all(_alive(pid) for pid in workers)
        # Not reaped until the end: a dead leader stays a zombie while its parent
        # (here the test, on the local stack the CLI) has not waited for it.
        leader.send_signal(signal.SIGKILL)
        deadline = time.monotonic() + 15
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        orphans = [pid for pid in workers if _alive(pid)]
        assert not orphans, f"workers {orphans} outlived their leader"
    finally:
        if leader.poll() is None:
            leader.kill()
            leader.wait()
