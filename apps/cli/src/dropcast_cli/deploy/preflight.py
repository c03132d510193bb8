"""What a real deploy needs before it touches anything, and the message when it is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dropcast_cli.deploy.errors import PreflightError

Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]
TOOLS = ("gcloud", "terraform", "git")


def quiet_run(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """Run a probe: captured output, no exception on failure, bounded time."""
    try:
        return subprocess.run(list(argv), capture_output=True, text=True, check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return subprocess.CompletedProcess(list(argv), 127, "", str(exc))


@dataclass(frozen=True)
class Environment:
    """The parts of the machine preflight looks at; tests pass fakes."""

    env: Mapping[str, str]
    which: Callable[[str], str | None] = shutil.which
    run: Runner = quiet_run


def resolve_project(flag: str | None, env: Mapping[str, str]) -> str | None:
    """The project: --project wins over DROPCAST_PROJECT."""
    return flag or env.get("DROPCAST_PROJECT") or None


def has_credentials(machine: Environment) -> bool:
    """A service-account key file, or a gcloud login that can mint a token."""
    key = machine.env.get("GOOGLE_APPLICATION_CREDENTIALS")
    if key and Path(key).is_file():
        return True
    if machine.which("gcloud") is None:
        return False
    return machine.run(["gcloud", "auth", "print-access-token", "--quiet"]).returncode == 0


def check(
    machine: Environment, *, project: str | None, clean_tree_required: bool, root: Path
) -> None:
    """Raise PreflightError listing everything missing, so one run shows it all."""
    missing: list[str] = []
    if not project:
        missing.append(
            "a project: set DROPCAST_PROJECT=<project-id> or pass --project <project-id>"
        )
    for tool in TOOLS:
        if machine.which(tool) is None:
            missing.append(f"the {tool} command on PATH")
    if not has_credentials(machine):
        missing.append(
            "credentials: run `gcloud auth login` and `gcloud auth application-default login`, "
            "or set GOOGLE_APPLICATION_CREDENTIALS to a service account key file"
        )
    if clean_tree_required and machine.which("git") is not None:
        status = machine.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"]
        )
        if status.returncode != 0 or status.stdout.strip():
            missing.append(
                "a clean working tree: commit or stash your changes "
                "(images are tagged with the commit they are built from)"
            )
    if missing:
        raise PreflightError(missing)


def default_environment() -> Environment:
    """The real machine."""
    return Environment(env=os.environ)
