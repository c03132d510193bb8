"""The container image, checked without Docker.

One Dockerfile (``services/Dockerfile``) builds either service from a build
argument. The fast test reads it; the install-tree test reproduces what it
installs: only the files its COPY lines bring, ``uv sync --frozen --no-dev
--no-editable --package dropcast-<service>`` into an empty environment with
the image's Python minor version, then the service started from that tree
alone (sources deleted) answers its health check and handles one push
against a real fake-gcs-server.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi import FastAPI

from dropcast_cli import procs
from dropcast_cli.stack import _fake_gcs_binary
from dropcast_common import naming, table
from dropcast_common.messages import OutputLocation, Shard, SourceObject, WorkMessage
from dropcast_common.params import Params
from dropcast_common.status import JobStatus
from dropcast_common.testing import push_body, storage_push_body

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "services" / "Dockerfile"
SERVICES = ("ingest", "forecast")
BUCKETS = {"input": "img-input", "staging": "img-staging", "output": "img-output"}
# What the Dockerfile's base image runs (python:3.11-slim-bookworm).
IMAGE_PYTHON = re.search(r"python:(\d+\.\d+)", DOCKERFILE.read_text(encoding="utf-8"))


def builder_copies(service: str) -> list[str]:
    """Paths the builder stage COPYs from the context, with SERVICE substituted."""
    builder = DOCKERFILE.read_text(encoding="utf-8").split("FROM ", 2)[1]
    paths: list[str] = []
    for line in builder.splitlines():
        if line.startswith("COPY ") and "--from" not in line:
            paths += [p.replace("${SERVICE}", service) for p in line.split()[1:-1]]
    return paths


@pytest.mark.parametrize("service", SERVICES)
def test_the_dockerfile_runs_the_app_factory_as_non_root(service: str) -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    cmd = re.search(r"^CMD (.*)$", text, re.M)
    assert cmd is not None
    match = re.search(
        r"uvicorn --factory (dropcast_\$\{DROPCAST_SERVICE\})\.main:(\w+)", cmd.group(1)
    )
    assert match is not None, cmd.group(1)
    module = importlib.import_module(f"dropcast_{service}.main")
    assert isinstance(getattr(module, match.group(2))(), FastAPI)
    runtime = text.rsplit("FROM ", 1)[1]
    assert re.search(r"^USER [1-9][0-9]*:[1-9][0-9]*$", runtime, re.M), "numeric non-root user"
    assert "DROPCAST_SERVICE=${SERVICE}" in runtime


def _ignored(path: Path) -> bool:
    return any(part in {"__pycache__", ".venv", "tests", ".mypy_cache"} for part in path.parts)


def install_tree(service: str, work: Path) -> Path:
    """Reproduce the Dockerfile's install in ``work``; return the environment, sources removed."""
    src, env = work / "src", work / "venv"
    # Every COPY here puts its source at the same path under WORKDIR.
    for rel in builder_copies(service):
        origin = REPO / rel
        files = [f for f in origin.rglob("*") if f.is_file()] if origin.is_dir() else [origin]
        for file in files:
            if not _ignored(file.relative_to(REPO)):
                dest = src / file.relative_to(REPO)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(file, dest)
    assert IMAGE_PYTHON is not None
    done = subprocess.run(
        [
            "uv",
            "sync",
            "--frozen",
            "--no-dev",
            "--no-editable",
            "--package",
            f"dropcast-{service}",
            "--python",
            IMAGE_PYTHON.group(1),
        ],
        cwd=src,
        env={**os.environ, "UV_PROJECT_ENVIRONMENT": str(env), "VIRTUAL_ENV": ""},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    shutil.rmtree(src)  # the image keeps only /app/.venv
    return env


@pytest.fixture(scope="module")
def storage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real fake-gcs-server on loopback with the three buckets."""
    port = procs.free_port()
    host = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("gcs") / "storage.log"
    pid = procs.spawn(
        [
            _fake_gcs_binary(),
            "-scheme",
            "http",
            "-host",
            "127.0.0.1",
            "-port",
            str(port),
            "-backend",
            "memory",
            "-external-url",
            host,
            "-public-host",
            f"127.0.0.1:{port}",
        ],
        log,
    )
    try:
        procs.wait_until(
            lambda: procs.http_ok(f"{host}/storage/v1/b"), 30, "fake-gcs-server", pid, log
        )
        for bucket in BUCKETS.values():
            _post(f"{host}/storage/v1/b?project=img", {"name": bucket})
        yield host
    finally:
        procs.stop_group(pid)


def _post(url: str, body: object) -> int:
    request = urllib.request.Request(  # noqa: S310 - loopback only
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
        return int(response.status)


def _upload(host: str, bucket: str, name: str, data: bytes) -> None:
    request = urllib.request.Request(  # noqa: S310 - loopback only
        f"{host}/upload/storage/v1/b/{bucket}/o?uploadType=media&name={name}", data=data
    )
    with urllib.request.urlopen(request, timeout=30):  # noqa: S310
        pass


def _work(host: str) -> WorkMessage:
    """A one-series shard staged in the emulator, as ingest stages it."""
    days = pd.date_range("2026-01-01", periods=60, freq="D")
    frame = pd.DataFrame({"series_id": "y", "ds": days, "y": [float(i % 7) for i in range(60)]})
    job = naming.job_id(BUCKETS["input"], "img.csv", 1)
    name = naming.staging_shard(job, 0)
    _upload(host, BUCKETS["staging"], name, table.to_parquet(frame))
    message = WorkMessage(
        job_id=job,
        source=SourceObject(bucket=BUCKETS["input"], name="img.csv", generation=1),
        shard=Shard(index=0, count=1, uri=f"gs://{BUCKETS['staging']}/{name}", series=1),
        params=Params(horizon=5),
        output=OutputLocation(bucket=BUCKETS["output"], stem="img"),
        staging_bucket=BUCKETS["staging"],
    )
    # The status ingest writes before it publishes: forecast refuses work for any other job.
    accepted = JobStatus(
        job_id=job,
        state="accepted",
        source=f"gs://{BUCKETS['input']}/img.csv",
        source_generation=1,
        shards_total=1,
        output_bucket=BUCKETS["output"],
        output_stem="img",
    )
    _upload(
        host, BUCKETS["staging"], naming.status_object(job), accepted.model_dump_json().encode()
    )
    return message


@pytest.mark.heavy
@pytest.mark.parametrize("service", SERVICES)
def test_the_install_tree_alone_serves_health_and_one_push(
    service: str, storage: str, tmp_path: Path
) -> None:
    env_dir = install_tree(service, tmp_path)
    other = "forecasting" if service == "ingest" else "tables"
    assert not list(env_dir.glob(f"lib/python*/site-packages/dropcast_{other}")), other
    port = procs.free_port()
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    settings = {
        "PATH": f"{env_dir / 'bin'}:/usr/bin:/bin",
        "STORAGE_EMULATOR_HOST": storage,
        "PUBSUB_EMULATOR_HOST": "127.0.0.1:9",  # unused by these pushes
        "DROPCAST_PROJECT": "img",
        "DROPCAST_INPUT_BUCKET": BUCKETS["input"],
        "DROPCAST_STAGING_BUCKET": BUCKETS["staging"],
        "DROPCAST_OUTPUT_BUCKET": BUCKETS["output"],
        "DROPCAST_PUSH_AUTH": "false",
        "DROPCAST_ENFORCE_IAM": "true",
        "MPLCONFIGDIR": str(tmp_path / "mpl"),
        "HOME": str(run_dir),
    }
    log = (tmp_path / "service.log").open("wb")
    proc = subprocess.Popen(
        [
            str(env_dir / "bin" / "uvicorn"),
            "--factory",
            f"dropcast_{service}.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=run_dir,
        env=settings,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while not procs.http_ok(f"{base}/healthz"):
            assert proc.poll() is None, (tmp_path / "service.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "no health answer in 120 s"
            time.sleep(0.5)
        if service == "ingest":
            # A notification for an object that is gone: read, found missing, acked.
            body = storage_push_body(BUCKETS["input"], "gone.csv", 1)
            assert _post(f"{base}/push/uploads", body) == 204
        else:
            # A real shard: fitted with the wheels in the tree, outputs written.
            work = _work(storage)
            assert _post(f"{base}/push/work", push_body(work.to_bytes())) == 204
            listing = urllib.request.urlopen(  # noqa: S310 - loopback only
                f"{storage}/storage/v1/b/{BUCKETS['output']}/o", timeout=30
            )
            names = {item["name"] for item in json.load(listing).get("items", [])}
            assert {"img.csv", "img.report.json"} <= names, names
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_the_images_numba_step_leaves_nothing_for_the_first_forecast_to_compile(
    tmp_path: Path, hyndsight: Path
) -> None:
    # The forecast image runs its warm-up at build time with numba's cache
    # switched on (services/Dockerfile: ENV NIXTLA_NUMBA_CACHE, NUMBA_CACHE_DIR,
    # then python -c "... warm_up()"). Reproduce that step into an empty cache
    # directory, then forecast in a fresh process with the same environment,
    # as a new instance does: numba compiles nothing there (statsforecast 2's
    # ETS, Theta and ARIMA are compiled C++; whatever numba it still runs is
    # in the cache), so the first forecast pays only its imports.
    from dropcast_bench.first_forecast import image_warm_up

    env, warm_up = image_warm_up()
    assert env["NIXTLA_NUMBA_CACHE"] == "1"  # statsforecast caches only when this is set
    assert env["NUMBA_CACHE_DIR"].startswith("/app/")  # inside the image, readable by the user
    cache = tmp_path / "numba-cache"
    cache.mkdir()
    child_env = {**os.environ, **env, "NUMBA_CACHE_DIR": str(cache)}
    built = subprocess.run(
        warm_up, env=child_env, capture_output=True, text=True, timeout=300, check=False
    )
    assert built.returncode == 0, built.stderr[-2000:]
    first = subprocess.run(
        [
            sys.executable,
            "-m",
            "dropcast_bench.first_forecast",
            str(hyndsight),
            str(tmp_path / "out"),
        ],
        env=child_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert first.returncode == 0, first.stderr[-2000:]
    assert json.loads(first.stdout.strip().splitlines()[-1])["compiled"] == []
    assert (tmp_path / "out" / "hyndsight.csv").is_file()
