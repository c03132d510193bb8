"""The container images start the app the way the services are built."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from fastapi import FastAPI

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("service", ["ingest", "forecast"])
def test_dockerfile_runs_the_app_factory_as_non_root(service: str) -> None:
    dockerfile = (REPO / "services" / service / "Dockerfile").read_text()
    cmd = re.search(r"^CMD (.*)$", dockerfile, re.M)
    assert cmd is not None
    match = re.search(r"uvicorn --factory (dropcast_\w+)\.main:(\w+)", cmd.group(1))
    assert match is not None, cmd.group(1)
    module = importlib.import_module(f"{match.group(1)}.main")
    assert isinstance(getattr(module, match.group(2))(), FastAPI)
    runtime = dockerfile.rsplit("FROM ", 1)[1]
    assert re.search(r"^USER (?!root)\w+", runtime, re.M)
