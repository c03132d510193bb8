"""Errors of the deploy sessions; the command line maps them to exit codes."""

from __future__ import annotations


class DeployError(Exception):
    """Base class: a deploy session cannot go on; the message says why."""


class PlanError(DeployError):
    """The requested deploy makes no sense for the current release files."""


class PreflightError(DeployError):
    """Something a real run needs is missing (project, credentials, tools, a clean tree)."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        super().__init__("cannot deploy:\n" + "\n".join(f"  - {m}" for m in missing))


class CommandFailedError(DeployError):
    """A gcloud or terraform command exited non-zero; nothing after it ran."""

    def __init__(self, argv: tuple[str, ...], returncode: int) -> None:
        self.argv = argv
        self.returncode = returncode
        super().__init__(f"command failed with exit code {returncode}: {' '.join(argv)}")
