"""Fixtures of the deploy tests; helpers live in deploy_support.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# Test modules import deploy_support by name (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(Path(__file__).parent))

from dropcast_cli.deploy.release import Release


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The parts of the repository the deploy tool reads: layout and release files."""
    (tmp_path / "terraform/envs/dev").mkdir(parents=True)
    (tmp_path / "terraform/envs/prod").mkdir(parents=True)
    (tmp_path / "cloudbuild.yaml").write_text("steps: []\n", encoding="utf-8")
    (tmp_path / "releases").mkdir()
    for env in ("dev", "prod"):
        (tmp_path / f"releases/{env}.json").write_text(Release.empty(env).to_text(), "utf-8")
    return tmp_path
