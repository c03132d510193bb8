"""Run the real Terraform CLI offline against the stand-in Google provider.

``prepare`` fetches ``@cdktf/provider-google`` with npm (one package per
provider version we plan against), rebuilds the schema, makes a virtual
environment with the ``tf`` plugin framework and lays the stand-in out as a
filesystem mirror with a CLI configuration that points Terraform at it. All
of it is cached under one folder (``.offline-plan/``, gitignored), so only
the first run downloads anything.

``Workspace`` copies a Terraform root, with what it reads from outside
``terraform/`` (release files, ``pipeline.json``), into a scratch folder,
replaces the GCS backend with a local one and runs init, validate, plan and
``show -json`` there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from cdktf_schema import read_package  # noqa: E402

# hashicorp/google version -> the @cdktf/provider-google release generated from it
# (its package.json, cdktf.provider.version). 6.14.0 is versions.tf's lower
# bound; 6.50.0 the newest 6.x with bindings.
PROVIDERS = {"6.14.0": "14.13.0", "6.50.0": "16.12.1"}
NEWEST = "6.50.0"
OLDEST = "6.14.0"
TF_PACKAGE = "tf==1.2.0"
# What the roots read from outside terraform/, by path relative to the repository.
OUTSIDE_INPUTS = ("releases", "libs/common/src/dropcast_common/pipeline.json")


class OfflinePlanError(RuntimeError):
    """A step of the offline plan failed; the message holds its output."""


def _run(
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        list(argv), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise OfflinePlanError(
            f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    return done


@dataclass(frozen=True)
class Toolchain:
    """Where the prepared pieces are: one CLI config per provider version."""

    cache: Path

    def cli_config(self, version: str) -> Path:
        return self.cache / f"terraformrc-{version}"

    def schema(self, version: str) -> Path:
        return self.cache / f"schema-{version}.json"


def _schema(cache: Path, version: str) -> Path:
    out = cache / f"schema-{version}.json"
    if out.exists():
        return out
    npm_dir = cache / "npm"
    npm_dir.mkdir(parents=True, exist_ok=True)
    package = PROVIDERS[version]
    tarball = npm_dir / f"cdktf-provider-google-{package}.tgz"
    if not tarball.exists():
        _run(["npm", "pack", "--silent", f"@cdktf/provider-google@{package}"], cwd=npm_dir)
    schema = read_package(tarball)
    found = schema["provider_versions"]["registry.terraform.io/hashicorp/google"]
    if found != version:
        raise OfflinePlanError(f"{tarball.name} is hashicorp/google {found}, expected {version}")
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(schema, sort_keys=True), encoding="utf-8")
    tmp.replace(out)
    return out


def _venv(cache: Path) -> Path:
    python = cache / "venv" / "bin" / "python"
    marker = cache / "venv" / f".{TF_PACKAGE}"
    if not marker.exists():
        _run(["uv", "venv", "--quiet", "--python", "3.11", str(cache / "venv")])
        _run(["uv", "pip", "install", "--quiet", "--python", str(python), TF_PACKAGE])
        marker.touch()
    return python


def _mirror(cache: Path, version: str, python: Path, schema: Path) -> Path:
    mirror = cache / f"mirror-{version}"
    plugin_dir = mirror / "registry.terraform.io/hashicorp/google" / version / "linux_amd64"
    plugin_dir.mkdir(parents=True, exist_ok=True)
    plugin = plugin_dir / f"terraform-provider-google_v{version}"
    server = HERE / "standin_provider.py"
    plugin.write_text(
        f"#!/bin/sh\nDROPCAST_STANDIN_SCHEMA='{schema}' exec '{python}' '{server}' \"$@\"\n",
        encoding="utf-8",
    )
    plugin.chmod(0o755)
    config = cache / f"terraformrc-{version}"
    config.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n'
        '    include = ["registry.terraform.io/hashicorp/google"]\n  }\n'
        '  direct {\n    exclude = ["registry.terraform.io/hashicorp/google"]\n  }\n'
        "}\n",
        encoding="utf-8",
    )
    return config


def prepare(cache: Path) -> Toolchain:
    """Download, extract and install what the offline plan needs (cached)."""
    cache = cache.resolve()
    cache.mkdir(parents=True, exist_ok=True)
    python = _venv(cache)
    for version in PROVIDERS:
        _mirror(cache, version, python, _schema(cache, version))
    return Toolchain(cache)


@dataclass
class Workspace:
    """A scratch copy of the repository's Terraform, with a local backend."""

    repo: Path
    scratch: Path
    toolchain: Toolchain
    provider_version: str = NEWEST

    def __post_init__(self) -> None:
        if not (self.scratch / "terraform").exists():
            shutil.copytree(
                self.repo / "terraform",
                self.scratch / "terraform",
                ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", ".terraform.lock.hcl"),
            )
            for rel in OUTSIDE_INPUTS:
                src, dst = self.repo / rel, self.scratch / rel
                dst.parent.mkdir(parents=True, exist_ok=True)
                if src.is_dir():
                    shutil.copytree(src, dst)
                else:
                    shutil.copy2(src, dst)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
        env.update(
            TF_CLI_CONFIG_FILE=str(self.toolchain.cli_config(self.provider_version)),
            TF_IN_AUTOMATION="1",
            TF_INPUT="0",
            CHECKPOINT_DISABLE="1",
        )
        return env

    def root(self, name: str) -> Path:
        return self.scratch / "terraform" / name

    def terraform(self, name: str, *args: str) -> subprocess.CompletedProcess[str]:
        return _run(["terraform", *args], cwd=self.root(name), env=self.env())

    def init(self, name: str) -> None:
        """init with the GCS backend (if any) replaced by a local state file."""
        root = self.root(name)
        if (root / "backend.tf").exists():
            (root / "backend_override.tf").write_text(
                'terraform {\n  backend "local" {\n    path = "offline.tfstate"\n  }\n}\n',
                encoding="utf-8",
            )
        if self.provider_version != NEWEST:
            # Pin the lower bound: the mirror holds one version per CLI config,
            # and this keeps init from reusing another run's lock file.
            (root / ".terraform.lock.hcl").unlink(missing_ok=True)
        self.terraform(name, "init", "-input=false", "-no-color")

    def seed_state(self, name: str, resources: Sequence[dict[str, Any]]) -> None:
        """Write the root's local state as if ``resources`` had been applied.

        Each item: ``module`` (address of its module), ``type``, ``name`` and
        ``attributes`` (what the API would have stored; absent ones are null).
        """
        state = {
            "version": 4,
            "terraform_version": "1.11.4",
            "serial": 1,
            "lineage": "00000000-0000-4000-8000-000000000000",
            "outputs": {},
            "resources": [
                {
                    "module": item["module"],
                    "mode": "managed",
                    "type": item["type"],
                    "name": item["name"],
                    "provider": 'provider["registry.terraform.io/hashicorp/google"]',
                    "instances": [
                        {
                            "schema_version": 0,
                            "attributes": item["attributes"],
                            "sensitive_attributes": [],
                        }
                    ],
                }
                for item in resources
            ],
        }
        path = self.root(name) / "offline.tfstate"
        path.write_text(json.dumps(state), encoding="utf-8")

    def validate(self, name: str) -> dict[str, Any]:
        done = subprocess.run(
            ["terraform", "validate", "-json", "-no-color"],
            cwd=self.root(name),
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        return dict(json.loads(done.stdout))

    def plan(self, name: str, var_args: Sequence[str], out: str = "plan.bin") -> dict[str, Any]:
        """terraform plan with exactly ``var_args``, then ``show -json`` of it."""
        self.terraform(
            name, "plan", "-input=false", "-lock=false", "-no-color", f"-out={out}", *var_args
        )
        shown = self.terraform(name, "show", "-json", "-no-color", out)
        return dict(json.loads(shown.stdout))

    def plan_error(self, name: str, var_args: Sequence[str]) -> str:
        """The output of a plan that must fail (raises if it succeeds)."""
        done = subprocess.run(
            ["terraform", "plan", "-input=false", "-lock=false", "-no-color", *var_args],
            cwd=self.root(name),
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode == 0:
            raise OfflinePlanError("plan succeeded where it was expected to fail")
        return done.stdout + done.stderr


if __name__ == "__main__":
    chain = prepare(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".offline-plan"))
    for version in PROVIDERS:
        print(f"hashicorp/google {version}: {chain.cli_config(version)}")
