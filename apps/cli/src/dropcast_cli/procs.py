"""Start and stop the local stack's processes, each in its own process group.

Every process is started in a new session so that stopping it stops its
children too (``gcloud beta emulators pubsub start`` runs Java as a child).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path

LOOPBACK = "127.0.0.1"

# Popen objects of the processes this interpreter started: kept so they are
# reaped (not garbage-collected while running) when the stack stops them.
_children: dict[int, subprocess.Popen[bytes]] = {}


class StackError(RuntimeError):
    """The stack cannot start (missing prerequisite, port clash, process died)."""


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def spawn(args: list[str], log_file: Path, env: Mapping[str, str] | None = None) -> int:
    """Start a detached process group writing to ``log_file``; returns its pid (= pgid)."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        proc = subprocess.Popen(
            args,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
    _children[proc.pid] = proc
    return proc.pid


def alive(pid: int) -> bool:
    """Whether the process group led by ``pid`` still has a member."""
    _reap(pid)  # a dead leader we started is a zombie until reaped, and would count
    try:
        os.killpg(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def stop_group(pid: int, grace_seconds: float = 5.0) -> None:
    """SIGTERM the group, wait, then SIGKILL whatever is left; reap our own child."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline and alive(pid):
        _reap(pid)
        time.sleep(0.05)
    if alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        time.sleep(0.1)
    _reap(pid)


def _reap(pid: int) -> None:
    child = _children.get(pid)
    if child is not None:
        if child.poll() is not None:
            del _children[pid]
        return
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def wait_until(
    check: Callable[[], bool],
    timeout: float,
    what: str,
    pid: int | None = None,
    log_file: Path | None = None,
) -> None:
    """Poll ``check`` until true; fail early and show the log if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if pid is not None and not alive(pid):
            break
        time.sleep(0.1)
    tail = ""
    if log_file is not None and log_file.exists():
        tail = "\n".join(log_file.read_text(errors="replace").splitlines()[-15:])
    raise StackError(f"{what} did not become ready within {timeout:.0f}s\n{tail}")


def http_ok(url: str) -> bool:
    """Whether GET url answers 2xx."""
    import httpx

    try:
        return httpx.get(url, timeout=1.0).is_success
    except httpx.HTTPError:
        return False
