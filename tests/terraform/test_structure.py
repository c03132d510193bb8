"""House style of every Terraform directory: files, typed and described
variables, alphabetical order, pinned providers, modules wired completely."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2
import pytest
from tf_hcl import (
    TERRAFORM,
    Config,
    env_dirs,
    module_dirs,
    normalise,
    parse_dir,
    terraform_dirs,
)

ALL_DIRS = terraform_dirs()
IDS = [p.relative_to(TERRAFORM).as_posix() for p in ALL_DIRS]
META_ARGUMENTS = {"source", "version", "providers", "depends_on", "count", "for_each"}


def test_the_layout_has_every_module_and_both_environments() -> None:
    modules = {p.name for p in module_dirs()}
    assert modules >= {
        "artifact-registry",
        "buckets",
        "cloud-run-service",
        "pipeline",
        "push-pipe",
        "storage-notification",
    }
    assert [p.name for p in env_dirs()] == ["dev", "prod"]


@pytest.mark.parametrize("path", ALL_DIRS, ids=IDS)
def test_standard_files_exist(path: Path) -> None:
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf"):
        assert (path / name).is_file(), f"{path.name} lacks {name}"


@pytest.mark.parametrize("path", module_dirs(), ids=lambda p: p.name)
def test_module_readme_has_a_usage_example(path: Path) -> None:
    readme = (path / "README.md").read_text(encoding="utf-8")
    assert readme.startswith(f"# {path.name}\n")
    example = re.search(r"```hcl\n(.*?)```", readme, re.S)
    assert example, f"{path.name}/README.md has no hcl usage example"
    assert re.search(rf'module "\w+" {{\s*\n\s*source\s*=\s*"[./]+.*{path.name}"', example.group(1))


@pytest.mark.parametrize("path", module_dirs(), ids=lambda p: p.name)
def test_modules_with_grants_keep_them_in_iam_tf(path: Path) -> None:
    with (path / "main.tf").open(encoding="utf-8") as handle:
        kinds = [kind for block in hcl2.load(handle).get("resource", []) for kind in block]
    assert not [k for k in kinds if "_iam_" in k], f"{path.name}: IAM resources belong in iam.tf"


@pytest.mark.parametrize("path", ALL_DIRS, ids=IDS)
def test_every_variable_has_a_type_and_a_description(path: Path) -> None:
    config = parse_dir(path)
    assert config.variables or path.name == "none"
    for name, body in config.variables.items():
        assert body.get("type"), f"{config.name}: variable {name} has no type"
        assert str(body.get("description", "")).strip(), f"{config.name}: {name} undescribed"


@pytest.mark.parametrize("path", ALL_DIRS, ids=IDS)
def test_variables_and_outputs_are_alphabetical_and_outputs_described(path: Path) -> None:
    config = parse_dir(path)
    for order in (*config.variable_order.values(), *config.output_order.values()):
        assert order == sorted(order), f"{config.name}: {order} is not alphabetical"
    for name, body in config.outputs.items():
        assert str(body.get("description", "")).strip(), f"{config.name}: output {name}"


@pytest.mark.parametrize("path", ALL_DIRS, ids=IDS)
def test_google_provider_is_pinned_to_a_major_range(path: Path) -> None:
    config = parse_dir(path)
    providers = [p for block in config.terraform for p in block.get("required_providers", [])]
    google = providers[0]["google"]
    assert google["source"] == "hashicorp/google"
    assert re.fullmatch(r">= \d+\.\d+\.\d+, < \d+\.0\.0", google["version"]), google["version"]
    versions = [b["required_version"] for b in config.terraform if "required_version" in b]
    assert versions, f"{config.name} does not pin the Terraform version"
    assert versions[0].startswith(">= 1.")


def _module_calls() -> list[tuple[Config, str, dict[str, Any]]]:
    calls: list[tuple[Config, str, dict[str, Any]]] = []
    for path in ALL_DIRS:
        config = parse_dir(path)
        calls += [(config, name, body) for name, body in config.modules.items()]
    return calls


CALLS = _module_calls()


def test_there_are_module_calls_to_check() -> None:
    # envs -> pipeline, pipeline -> 6 modules, bootstrap -> registry
    assert len(CALLS) >= 9


@pytest.mark.parametrize(
    ("config", "name", "call"), CALLS, ids=[f"{c.name}:{n}" for c, n, _ in CALLS]
)
def test_every_module_call_wires_every_required_input(
    config: Config, name: str, call: dict[str, Any]
) -> None:
    source = (config.path / call["source"]).resolve()
    assert source.is_dir(), f"{config.name}: module {name} source {call['source']} missing"
    callee = parse_dir(source)
    required = {v for v, body in callee.variables.items() if "default" not in body}
    given = set(call) - META_ARGUMENTS
    assert required <= given, f"{config.name}: module {name} misses {sorted(required - given)}"
    assert given <= set(callee.variables), (
        f"{config.name}: module {name} passes undeclared {sorted(given - set(callee.variables))}"
    )


@pytest.mark.parametrize("path", env_dirs(), ids=lambda p: p.name)
def test_environment_roots_are_thin(path: Path) -> None:
    config = parse_dir(path)
    assert list(config.modules) == ["pipeline"], "an env root calls the composition module only"
    assert config.modules["pipeline"]["source"] == "../../modules/pipeline"
    assert config.modules["pipeline"]["environment"] == "${var.environment}"
    with (path / "terraform.tfvars").open(encoding="utf-8") as handle:
        assert normalise(hcl2.load(handle))["environment"] == path.name
    assert not config.resources, "an env root declares no resources of its own"
    backend = next(b["backend"][0]["gcs"] for b in config.terraform if "backend" in b)
    assert backend["prefix"] == f"dropcast/{path.name}"
    assert "bucket" not in backend, "the state bucket is per project: given at init"


@pytest.mark.parametrize("path", env_dirs(), ids=lambda p: p.name)
def test_environment_defaults_come_from_its_committed_release_file(path: Path) -> None:
    config = parse_dir(path)
    assert config.locals["release"] == (
        '${jsondecode(file("${path.module}/../../../releases/${var.environment}.json"))}'
    )
    release = (path / f"../../../releases/{path.name}.json").resolve()
    assert release.is_file()
    for var in ("forecast_image", "forecast_traffic", "ingest_image", "ingest_traffic"):
        assert config.variables[var]["default"] is None, f"{var} overrides the release file"


@pytest.mark.parametrize("path", env_dirs(), ids=lambda p: p.name)
def test_tfvars_set_only_declared_variables_and_never_the_project(path: Path) -> None:
    with (path / "terraform.tfvars").open(encoding="utf-8") as handle:
        tfvars = normalise(hcl2.load(handle))
    declared = parse_dir(path).variables
    assert set(tfvars) <= set(declared)
    assert "project_id" not in tfvars, "the project is the user's: passed at run time"


def test_prod_is_protected_and_dev_is_disposable() -> None:
    def tfvars(env: str) -> dict[str, Any]:
        with (TERRAFORM / "envs" / env / "terraform.tfvars").open(encoding="utf-8") as handle:
            values: dict[str, Any] = normalise(hcl2.load(handle))
        return values

    assert tfvars("prod")["deletion_protection"] is True
    assert tfvars("prod")["force_destroy"] is False
    assert tfvars("dev")["deletion_protection"] is False
