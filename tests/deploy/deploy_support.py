"""Helpers of the deploy tests: release builders and fake machines (importable by name)."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

from dropcast_cli.deploy.preflight import Environment
from dropcast_cli.deploy.release import Release

SHA = "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"
OLD_SHA = "0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e"
PROJECT = "acme-forecasts"
REGION = "europe-west1"
REGISTRY = f"{REGION}-docker.pkg.dev/{PROJECT}/dropcast"


def digest(char: str) -> str:
    return "sha256:" + char * 64


def live_release(env: str, sha: str, digests: dict[str, str], source: str | None = None) -> Release:
    """A release in which one version serves 100 %."""
    version = sha[:8]
    services = {
        name: {
            "image": f"{REGISTRY}/{name}@{digests[name]}",
            "revision": f"dropcast-{env}-{name}-v{version}",
            "tag": f"v{version}",
            "previous": None,
            "traffic": [
                {
                    "percent": 100,
                    "revision": f"dropcast-{env}-{name}-v{version}",
                    "tag": f"v{version}",
                }
            ],
        }
        for name in ("ingest", "forecast")
    }
    return Release.model_validate(
        {
            "environment": env,
            "state": "live",
            "version": version,
            "git_sha": sha,
            "source": source,
            "services": services,
        }
    )


class FakeMachine:
    """Records every probe; answers like a machine with the given tools and logins."""

    def __init__(
        self,
        env: dict[str, str] | None = None,
        tools: Sequence[str] = ("gcloud", "terraform", "git"),
        gcloud_logged_in: bool = True,
        dirty: bool = False,
    ) -> None:
        self.calls: list[list[str]] = []
        self.tools = set(tools)
        self.logged_in = gcloud_logged_in
        self.dirty = dirty
        self.environment = Environment(env=env or {}, which=self.which, run=self.run)

    def which(self, tool: str) -> str | None:
        return f"/usr/bin/{tool}" if tool in self.tools else None

    def run(self, argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        self.calls.append(list(argv))
        if argv[:3] == ["gcloud", "auth", "print-access-token"]:
            return subprocess.CompletedProcess(argv, 0 if self.logged_in else 1, "tok", "")
        if argv[0] == "git" and "status" in argv:
            return subprocess.CompletedProcess(argv, 0, " M x.py\n" if self.dirty else "", "")
        raise AssertionError(f"unexpected probe {argv}")


class FakeExecutor:
    """Stands in for gcloud, git and terraform: records argv, answers digest lookups.

    Like Artifact Registry, it knows an image only once a build pushed it
    (or ``built=True``: the images of this commit already exist).
    """

    def __init__(self, fail_on: str | None = None, built: bool = False) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.fail_on = fail_on
        self.built = built

    def builds(self) -> int:
        return sum(1 for argv in self.calls if argv[:3] == ("gcloud", "builds", "submit"))

    def __call__(self, argv: Sequence[str], capture: bool) -> tuple[int, str]:
        self.calls.append(tuple(argv))
        if self.fail_on and self.fail_on in " ".join(argv):
            return 1, ""
        if tuple(argv[:3]) == ("gcloud", "builds", "submit"):
            self.built = True
            return 0, ""
        by_tag = any("/ingest:" in a or "/forecast:" in a for a in argv)
        if "describe" in argv and by_tag and not self.built:
            return 1, ""  # no image with this commit's tag yet
        if capture and "/ingest:" in " ".join(argv):
            return 0, digest("a") + "\n"
        if capture and "/forecast:" in " ".join(argv):
            return 0, digest("b") + "\n"
        return 0, ""
