"""Where an environment lives: the local stack, or a deployed ``dev`` / ``prod``.

``dropcast submit``, ``status`` and ``logs`` work the same against each; a
:class:`Target` holds what they need: the project, the three buckets, the
services, and (locally) the emulator endpoints and the services' log files.

A deployed environment's names come from Terraform. Two ways, both what a
user who deployed has at hand:

- ``--outputs FILE``: ``terraform -chdir=terraform/envs/<env> output -json``
  saved to a file (exact, whatever the configuration);
- otherwise the project (:func:`project_of`: ``--project``, then
  ``DROPCAST_PROJECT``, ``GOOGLE_CLOUD_PROJECT``, ``CLOUDSDK_CORE_PROJECT``,
  then gcloud's active configuration) and Terraform's naming rule,
  ``<project>-dropcast-<env>-<role>`` for buckets and
  ``dropcast-<env>-<service>`` for Cloud Run services (a test checks the
  rule against ``terraform/modules``).
"""

from __future__ import annotations

import configparser
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENVIRONMENTS = ("local", "dev", "prod")
BUCKET_ROLES = ("input", "staging", "output")
SERVICES = ("ingest", "forecast")
# Where a project can be named, in the order they win (after --project).
PROJECT_VARIABLES = ("DROPCAST_PROJECT", "GOOGLE_CLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT")


class TargetError(RuntimeError):
    """The environment cannot be located; the message says what to pass or run."""


@dataclass(frozen=True)
class Target:
    """An environment dropcast can submit to."""

    env: str
    project: str
    buckets: dict[str, str]
    services: dict[str, str] = field(default_factory=dict)
    """Local: service URLs. Cloud: Cloud Run service names."""
    logs: dict[str, str] = field(default_factory=dict)
    """Local only: each service's log file."""
    client_env: dict[str, str] = field(default_factory=dict)
    """Local only: variables that point the official clients at the emulators."""
    origin: str = ""
    """Where the names came from, for messages."""

    @property
    def is_local(self) -> bool:
        """Whether this is the local stack (emulators, log files on disk)."""
        return self.env == "local"


def resolve(
    env: str,
    *,
    home: Path | None = None,
    project: str | None = None,
    outputs: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Target:
    """The target named by ``--env`` (with ``--home``, ``--project``, ``--outputs``)."""
    if env not in ENVIRONMENTS:
        raise TargetError(f"unknown environment {env!r}: use one of {', '.join(ENVIRONMENTS)}")
    if env == "local":
        return local(home)
    project = project_of(project, environ if environ is not None else {}) or ""
    if outputs is not None:
        return from_terraform_outputs(env, outputs, project)
    if not project:
        raise TargetError(
            f"which project is {env} deployed in? Pass --project, set DROPCAST_PROJECT (or "
            "GOOGLE_CLOUD_PROJECT), run `gcloud config set project <project-id>`, or pass "
            "--outputs FILE with the output of "
            f"`terraform -chdir=terraform/envs/{env} output -json`"
        )
    return by_naming_rule(env, project)


def project_of(flag: str | None, environ: Mapping[str, str]) -> str | None:
    """The Google Cloud project, as a gcloud user expects it to be found.

    ``--project`` wins; then the variables of :data:`PROJECT_VARIABLES`; then
    the ``[core] project`` of gcloud's active configuration (read from its
    file: no gcloud process, and no gcloud needed).
    """
    if flag:
        return flag
    for name in PROJECT_VARIABLES:
        if environ.get(name):
            return environ[name]
    return gcloud_config_project(environ)


def gcloud_config_project(environ: Mapping[str, str]) -> str | None:
    """``gcloud config get-value project`` without running gcloud, or None when unset."""
    home = Path(environ["HOME"]) if environ.get("HOME") else Path.home()
    folder = Path(environ.get("CLOUDSDK_CONFIG") or home / ".config" / "gcloud")
    name = environ.get("CLOUDSDK_ACTIVE_CONFIG_NAME")
    if not name:
        try:
            name = (folder / "active_config").read_text(encoding="utf-8").strip() or "default"
        except OSError:
            name = "default"
    config = configparser.ConfigParser()
    try:
        config.read(folder / "configurations" / f"config_{name}", encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return None
    return config.get("core", "project", fallback=None) or None


def local(home: Path | None = None) -> Target:
    """The running local stack (``dropcast up``)."""
    # Imported here: the stack's modules (provisioning, the pipeline's
    # definition) cost every other command, ``dropcast forecast`` too, their import.
    from dropcast_cli import stack
    from dropcast_cli.procs import StackError

    try:
        info = stack.read(home)
    except StackError as err:
        raise TargetError(str(err)) from err
    return Target(
        env="local",
        project=info.project,
        buckets=dict(info.buckets),
        services=dict(info.services),
        logs=dict(info.logs),
        client_env=info.env(),
        origin=str(stack.stack_file(home)),
    )


def by_naming_rule(env: str, project: str) -> Target:
    """A deployed environment's names as Terraform forms them (modules/pipeline, buckets)."""
    prefix = f"dropcast-{env}"
    return Target(
        env=env,
        project=project,
        buckets={role: f"{project}-{prefix}-{role}" for role in BUCKET_ROLES},
        services={name: f"{prefix}-{name}" for name in SERVICES},
        origin=f"project {project} and Terraform's naming rule",
    )


def from_terraform_outputs(env: str, path: Path, project: str = "") -> Target:
    """A deployed environment from ``terraform output -json`` saved to ``path``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise TargetError(f"cannot read Terraform outputs from {path}: {err}") from err
    buckets = _value(data, "buckets")
    if not isinstance(buckets, dict) or any(
        not isinstance(buckets.get(role), str) for role in BUCKET_ROLES
    ):
        raise TargetError(
            f"{path} has no buckets output with {', '.join(BUCKET_ROLES)}: save it with "
            f"`terraform -chdir=terraform/envs/{env} output -json > {path.name}`"
        )
    services = _value(data, "services")
    names = {
        name: str(entry.get("name", ""))
        for name, entry in (services.items() if isinstance(services, dict) else [])
        if isinstance(entry, dict) and entry.get("name")
    }
    return Target(
        env=env,
        project=project,
        buckets={role: str(buckets[role]) for role in BUCKET_ROLES},
        services=names or by_naming_rule(env, project or "-").services,
        origin=str(path),
    )


def _value(outputs: Any, name: str) -> Any:
    # `terraform output -json` wraps each output as {"value": ..., "type": ..., ...}.
    entry = outputs.get(name) if isinstance(outputs, dict) else None
    if isinstance(entry, dict) and "value" in entry:
        return entry["value"]
    return entry
