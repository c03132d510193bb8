"""Fixtures of the HCL tests; the parsing lives in tf_hcl.py (importable by name)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

# Test modules import tf_hcl by name (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(Path(__file__).parent))

from tf_hcl import PIPELINE_JSON, TERRAFORM, Config, parse_dir


@pytest.fixture(scope="session")
def pipeline_definition() -> dict[str, Any]:
    definition: dict[str, Any] = json.loads(PIPELINE_JSON.read_text(encoding="utf-8"))
    return definition


@pytest.fixture(scope="session")
def pipeline_module() -> Config:
    return parse_dir(TERRAFORM / "modules/pipeline")
