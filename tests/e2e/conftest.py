"""Fixtures of the e2e modules that run a stack of their own."""

from __future__ import annotations

from pathlib import Path

import pytest

from dropcast_cli import stack as local_stack


@pytest.fixture
def info(home: Path, monkeypatch: pytest.MonkeyPatch) -> local_stack.StackInfo:
    """The module's own stack (its ``home`` fixture), the clients pointed at it for one test."""
    info = local_stack.read(home)
    for key, value in info.env().items():
        monkeypatch.setenv(key, value)
    return info
