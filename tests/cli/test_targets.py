"""Where --env points: the local stack, or a deployed environment's buckets and services."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dropcast_cli import targets

REPO = Path(__file__).resolve().parents[2]


def test_naming_rule_is_terraforms() -> None:
    # The rule by_naming_rule applies, read from the modules that create the names.
    pipeline = (REPO / "terraform/modules/pipeline/main.tf").read_text()
    buckets = (REPO / "terraform/modules/buckets/main.tf").read_text()
    assert 'prefix          = "dropcast-${var.environment}"' in pipeline
    assert re.search(r'name_prefix\s*=\s*"\$\{var.project_id\}-\$\{local.prefix\}"', pipeline)
    assert re.search(r'name\s*=\s*"\$\{var.name_prefix\}-\$\{each.key\}"', buckets)
    assert re.search(r'name\s*=\s*"\$\{local.prefix\}-ingest"', pipeline)
    assert re.search(r'name\s*=\s*"\$\{local.prefix\}-forecast"', pipeline)
    target = targets.resolve("dev", environ={"DROPCAST_PROJECT": "acme"})
    assert target.buckets == {
        "input": "acme-dropcast-dev-input",
        "staging": "acme-dropcast-dev-staging",
        "output": "acme-dropcast-dev-output",
    }
    assert target.services == {"ingest": "dropcast-dev-ingest", "forecast": "dropcast-dev-forecast"}
    assert not target.is_local


def test_project_flag_wins_over_environment() -> None:
    target = targets.resolve("prod", project="flag", environ={"DROPCAST_PROJECT": "env"})
    assert target.buckets["input"] == "flag-dropcast-prod-input"


def test_terraform_outputs_file_gives_exact_names(tmp_path: Path) -> None:
    outputs = tmp_path / "prod.json"
    outputs.write_text(
        json.dumps(
            {
                "buckets": {
                    "sensitive": False,
                    "value": {"input": "i-b", "staging": "s-b", "output": "o-b"},
                },
                "services": {
                    "value": {
                        "ingest": {"name": "custom-ingest", "uri": "https://x"},
                        "forecast": {"name": "custom-forecast", "uri": "https://y"},
                    }
                },
            }
        )
    )
    target = targets.resolve("prod", outputs=outputs, environ={})
    assert target.buckets == {"input": "i-b", "staging": "s-b", "output": "o-b"}
    assert target.services == {"ingest": "custom-ingest", "forecast": "custom-forecast"}
    assert target.origin == str(outputs)


def test_outputs_file_without_buckets_says_how_to_make_one(tmp_path: Path) -> None:
    outputs = tmp_path / "dev.json"
    outputs.write_text('{"topics": {"value": {}}}')
    with pytest.raises(targets.TargetError, match="terraform -chdir=terraform/envs/dev output"):
        targets.resolve("dev", outputs=outputs, environ={})


def test_deployed_env_without_project_says_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(targets.TargetError, match="DROPCAST_PROJECT"):
        targets.resolve("dev", environ={"CLOUDSDK_CONFIG": str(tmp_path)})


def test_unknown_env_is_refused() -> None:
    with pytest.raises(targets.TargetError, match="local, dev, prod"):
        targets.resolve("staging", environ={})


def test_local_without_a_stack_says_dropcast_up(tmp_path: Path) -> None:
    with pytest.raises(targets.TargetError, match="dropcast up"):
        targets.resolve("local", home=tmp_path)


def _gcloud_config(folder: Path, project: str, name: str = "default") -> None:
    (folder / "configurations").mkdir(parents=True)
    (folder / "active_config").write_text(name)
    (folder / "configurations" / f"config_{name}").write_text(
        f"[core]\naccount = me@example.com\nproject = {project}\n"
    )


def test_project_comes_from_the_variables_gcloud_users_set(tmp_path: Path) -> None:
    empty = {"CLOUDSDK_CONFIG": str(tmp_path / "no-gcloud")}
    for variable in ("GOOGLE_CLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT"):
        target = targets.resolve("dev", environ={**empty, variable: "acme"})
        assert target.buckets["input"] == "acme-dropcast-dev-input", variable
    both = {**empty, "DROPCAST_PROJECT": "ours", "GOOGLE_CLOUD_PROJECT": "theirs"}
    assert targets.resolve("dev", environ=both).project == "ours"


def test_project_comes_from_gclouds_active_configuration(tmp_path: Path) -> None:
    _gcloud_config(tmp_path / "gcloud", "from-config", name="work")
    environ = {"CLOUDSDK_CONFIG": str(tmp_path / "gcloud")}
    assert targets.resolve("prod", environ=environ).project == "from-config"
    assert targets.resolve("prod", environ={**environ, "GOOGLE_CLOUD_PROJECT": "v"}).project == "v"
    _gcloud_config(tmp_path / "home" / ".config" / "gcloud", "in-home")
    assert targets.project_of(None, {"HOME": str(tmp_path / "home")}) == "in-home"


def test_no_project_anywhere_says_every_way_to_give_one(tmp_path: Path) -> None:
    with pytest.raises(targets.TargetError) as caught:
        targets.resolve("dev", environ={"CLOUDSDK_CONFIG": str(tmp_path)})
    for way in ("--project", "DROPCAST_PROJECT", "GOOGLE_CLOUD_PROJECT", "gcloud config set"):
        assert way in str(caught.value)
