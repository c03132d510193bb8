"""Checks that need the terraform binary but no provider (the Google provider
cannot be downloaded here): formatting, and the variable validations and
plan-time preconditions, evaluated by Terraform itself in scratch roots."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest
from tf_hcl import PIPELINE_JSON, TERRAFORM, interpolations

TERRAFORM_BIN = shutil.which("terraform")
pytestmark = pytest.mark.skipif(
    TERRAFORM_BIN is None, reason="the terraform binary is not installed on this machine"
)

TRAFFIC_OVER = '[{"percent":90,"revision":"a","tag":"va"},{"percent":20,"revision":"b","tag":"vb"}]'
TRAFFIC_SAME_TAG = (
    '[{"percent":50,"revision":"a","tag":"va"},{"percent":50,"revision":"b","tag":"va"}]'
)
DIGEST = "europe-west1-docker.pkg.dev/p/dropcast/ingest@sha256:" + "a" * 64


def terraform(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert TERRAFORM_BIN is not None
    return subprocess.run(
        [TERRAFORM_BIN, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"},
    )


def errors(done: subprocess.CompletedProcess[str]) -> str:
    """stderr on one line (Terraform wraps long messages)."""
    return re.sub(r"\s+", " ", done.stderr)


def test_terraform_fmt_check_passes() -> None:
    done = terraform("fmt", "-check", "-recursive", "-diff", str(TERRAFORM), cwd=TERRAFORM)
    assert done.returncode == 0, done.stdout + done.stderr


def variables_root(tmp_path_factory: pytest.TempPathFactory, module: str) -> Path:
    """A provider-free root made of one module's variables.tf, initialised."""
    root = tmp_path_factory.mktemp(f"{module}-variables")
    shutil.copy(TERRAFORM / "modules" / module / "variables.tf", root)
    init = terraform("init", "-input=false", "-no-color", cwd=root)
    assert init.returncode == 0, init.stderr
    return root


@pytest.fixture(scope="module")
def cloud_run_variables(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cloud-run-service module's variables, alone in a root."""
    return variables_root(tmp_path_factory, "cloud-run-service")


def plan_with(root: Path, **overrides: str) -> subprocess.CompletedProcess[str]:
    values = {
        "audience": "dropcast-dev-ingest",
        "concurrency": "4",
        "cpu": "1",
        "image": DIGEST,
        "invoker_members": '{push="serviceAccount:push@p.iam.gserviceaccount.com"}',
        "max_instances": "2",
        "memory": "1Gi",
        "name": "dropcast-dev-ingest",
        "project_id": "p",
        "region": "europe-west1",
        "request_timeout_seconds": "50",
        "revision_suffix": "v1a2b3c4d",
    }
    values.update(overrides)
    args = [f"-var={k}={v}" for k, v in values.items()]
    return terraform("plan", "-input=false", "-no-color", *args, cwd=root)


def test_a_digest_pinned_image_is_accepted(cloud_run_variables: Path) -> None:
    done = plan_with(cloud_run_variables)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    "image",
    [
        "europe-west1-docker.pkg.dev/p/dropcast/ingest:latest",
        "europe-west1-docker.pkg.dev/p/dropcast/ingest:1a2b3c4d",
        "europe-west1-docker.pkg.dev/p/dropcast/ingest",
        "europe-west1-docker.pkg.dev/p/dropcast/ingest:latest@sha256:" + "a" * 64,
    ],
)
def test_tags_and_latest_are_refused(cloud_run_variables: Path, image: str) -> None:
    done = plan_with(cloud_run_variables, image=image)
    assert done.returncode != 0
    assert "pinned by digest" in errors(done)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ingress": "INGRESS_TRAFFIC_ALL"}, "ingress must be internal"),
        ({"invoker_members": '{anyone="allUsers"}'}, "Only service accounts may invoke"),
        ({"request_timeout_seconds": "600"}, "below 600"),
        ({"traffic": TRAFFIC_OVER}, "add up to 100"),
        ({"traffic": TRAFFIC_SAME_TAG}, "tags must be unique"),
        ({"revision_suffix": "1a2b3c4d"}, "must start with a lowercase letter"),
    ],
)
def test_unsafe_service_settings_are_refused(
    cloud_run_variables: Path, overrides: dict[str, str], message: str
) -> None:
    done = plan_with(cloud_run_variables, **overrides)
    assert done.returncode != 0
    assert message in errors(done)


def _contract_root(root: Path, definition: dict[str, Any]) -> Path:
    """The pipeline module's definition locals and contract, against a given definition."""
    main = (TERRAFORM / "modules/pipeline/main.tf").read_text(encoding="utf-8")
    start = main.index('resource "terraform_data" "definition_contract"')
    depth, end = 0, main.index("{", start)
    for end in range(main.index("{", start), len(main)):
        depth += {"{": 1, "}": -1}.get(main[end], 0)
        if depth == 0:
            break
    with (TERRAFORM / "modules/pipeline/main.tf").open(encoding="utf-8") as handle:
        locals_ = hcl2.load(handle)["locals"][0]
    wanted = ["all_pipes", "pipes_by_service", "timeouts", "push_deadlines"]
    lines = ['  definition = jsondecode(file("${path.module}/pipeline.json"))']
    for name in wanted:
        ((_, _, expr),) = interpolations(locals_[name])
        lines.append(f"  {name} = {expr}")
    (root / "pipeline.json").write_text(json.dumps(definition), encoding="utf-8")
    (root / "main.tf").write_text(
        "locals {\n" + "\n".join(lines) + "\n}\n\n" + main[start : end + 1] + "\n",
        encoding="utf-8",
    )
    init = terraform("init", "-input=false", "-no-color", cwd=root)
    assert init.returncode == 0, init.stderr
    return root


def test_the_committed_definition_passes_the_plan_time_contract(tmp_path: Path) -> None:
    definition = json.loads(PIPELINE_JSON.read_text(encoding="utf-8"))
    done = terraform("plan", "-input=false", "-no-color", cwd=_contract_root(tmp_path, definition))
    assert done.returncode == 0, done.stderr


def test_a_timeout_at_the_ack_deadline_fails_the_plan(tmp_path: Path) -> None:
    definition = json.loads(PIPELINE_JSON.read_text(encoding="utf-8"))
    work_ack = definition["pipes"]["work"]["ack_deadline_seconds"]
    definition["services"]["forecast"]["request_timeout_seconds"] = work_ack
    done = terraform("plan", "-input=false", "-no-color", cwd=_contract_root(tmp_path, definition))
    assert done.returncode != 0
    assert "request_timeout_seconds must be below the ack deadline" in errors(done)


def test_a_dead_letter_status_timeout_counts_too(tmp_path: Path) -> None:
    definition = json.loads(PIPELINE_JSON.read_text(encoding="utf-8"))
    timeout = definition["services"]["ingest"]["request_timeout_seconds"]
    definition["dead_letters"]["work-dlq"]["ack_deadline_seconds"] = timeout
    done = terraform("plan", "-input=false", "-no-color", cwd=_contract_root(tmp_path, definition))
    assert done.returncode != 0
    assert "request_timeout_seconds must be below the ack deadline" in errors(done)


def test_rewiring_a_pipe_to_another_service_fails_the_plan(tmp_path: Path) -> None:
    definition = json.loads(PIPELINE_JSON.read_text(encoding="utf-8"))
    definition["pipes"]["work"]["service"] = "ingest"
    done = terraform("plan", "-input=false", "-no-color", cwd=_contract_root(tmp_path, definition))
    assert done.returncode != 0
    assert "exactly one pipe must push to ingest and one to forecast" in errors(done)


@pytest.fixture(scope="module")
def parking_variables(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The parking module's variables, alone in a root."""
    return variables_root(tmp_path_factory, "parking")


def plan_parking(root: Path, retention: str) -> subprocess.CompletedProcess[str]:
    definition = json.loads(PIPELINE_JSON.read_text(encoding="utf-8"))
    values = {
        "message_retention_duration": retention,
        "name_prefix": "dropcast-dev-",
        "project_id": "p",
        "subscription": definition["parked"]["subscription"],
        "topic": definition["parked"]["topic"],
    }
    args = [f"-var={k}={v}" for k, v in values.items()]
    return terraform("plan", "-input=false", "-no-color", *args, cwd=root)


def test_the_committed_parked_retention_is_accepted(parking_variables: Path) -> None:
    definition = json.loads(PIPELINE_JSON.read_text(encoding="utf-8"))
    done = plan_parking(parking_variables, definition["parked"]["message_retention_duration"])
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("retention", ["604801s", "599s", "7d", "1.5s"])
def test_parked_retention_outside_pubsub_limits_is_refused(
    parking_variables: Path, retention: str
) -> None:
    done = plan_parking(parking_variables, retention)
    assert done.returncode != 0
    assert 'between "600s" and "604800s"' in errors(done)
