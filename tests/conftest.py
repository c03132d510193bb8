"""Shared fixtures: the reference data and the local stack on the real emulators."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from dropcast_cli import stack as local_stack

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("DROPCAST_REFERENCE_DATA", REPO / "examples"))


@pytest.fixture(scope="session")
def hyndsight() -> Path:
    """The reference dataset the original project published a forecast for."""
    return SHARED_DATA / "hyndsight.csv"


@pytest.fixture(scope="session")
def hyndsight_seed() -> Path:
    """The original project's published forecast for hyndsight."""
    return SHARED_DATA / "hyndsight_forecast_seed.csv"


@pytest.fixture(scope="session")
def session_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[local_stack.StackInfo]:
    """One local stack (emulators + both services) for the whole session, always stopped."""
    home = tmp_path_factory.mktemp("stack")
    try:
        yield local_stack.up(home)
    finally:
        local_stack.down(home)


@pytest.fixture
def stack(
    session_stack: local_stack.StackInfo, monkeypatch: pytest.MonkeyPatch
) -> local_stack.StackInfo:
    """The session's stack, with the client libraries pointed at it for this test only."""
    for key, value in session_stack.env().items():
        monkeypatch.setenv(key, value)
    return session_stack
