"""The offline plan: real ``terraform init/validate/plan`` against the stand-in provider.

Collected only when ``DROPCAST_OFFLINE_PLAN`` names the cache folder
(``nox -s plan`` sets it and prepares the stand-in there, see
``tools/offline_plan``); plain ``pytest`` and ``nox -s test`` leave it out.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

HERE = Path(__file__).parent
REPO = HERE.parents[2]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tools" / "offline_plan"))
sys.path.insert(0, str(REPO / "tests" / "deploy"))

CACHE = os.environ.get("DROPCAST_OFFLINE_PLAN", "")
if not CACHE:
    collect_ignore_glob = ["test_*.py"]
else:
    import stage

    @pytest.fixture(scope="session")
    def toolchain() -> stage.Toolchain:
        return stage.prepare(Path(CACHE))

    @pytest.fixture(scope="module")
    def scratch(
        toolchain: stage.Toolchain, tmp_path_factory: pytest.TempPathFactory
    ) -> Callable[..., stage.Workspace]:
        """A fresh copy of the repository's Terraform per call (roots initialised on demand)."""

        def make(version: str = stage.NEWEST, repo: Path = REPO) -> stage.Workspace:
            return stage.Workspace(repo, tmp_path_factory.mktemp("tf"), toolchain, version)

        return make
