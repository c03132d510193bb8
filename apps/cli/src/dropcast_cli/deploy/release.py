"""Release files: what runs where.

``releases/<env>.json`` is committed. It names, per service, the image (by
digest) the newest revision runs, that revision, the revision it replaced,
and the traffic split. Terraform's environment roots read it as their
default, so with no overrides a plan converges on it; a promotion is a diff
of it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SERVICES: tuple[str, ...] = ("ingest", "forecast")
DIGEST_IMAGE = re.compile(r"^[a-z0-9.-]+(/[a-z0-9._-]+)+@sha256:[0-9a-f]{64}$")

State = Literal["empty", "live", "canary", "rolled-back"]


class TrafficTarget(BaseModel):
    """One traffic target: a revision by name, its share, and its tag (its own URL)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    percent: int = Field(ge=0, le=100)
    revision: str
    tag: str


class Revision(BaseModel):
    """A revision and the image it runs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    image: str
    revision: str
    tag: str

    @field_validator("image")
    @classmethod
    def _by_digest(cls, image: str) -> str:
        if not DIGEST_IMAGE.match(image):
            raise ValueError(f"image must be pinned by digest (...@sha256:<64 hex>), got {image!r}")
        return image


class ServiceRelease(Revision):
    """A service in an environment: newest revision, the one before it, and the split."""

    previous: Revision | None = None
    traffic: list[TrafficTarget]

    @model_validator(mode="after")
    def _traffic_adds_up(self) -> ServiceRelease:
        if sum(t.percent for t in self.traffic) != 100:
            raise ValueError(f"traffic of {self.revision} must add up to 100 %")
        if len({t.tag for t in self.traffic}) != len(self.traffic):
            raise ValueError(f"traffic tags of {self.revision} must be unique")
        return self

    def serving(self) -> Revision:
        """The revision that receives the largest share of traffic right now."""
        top = max(self.traffic, key=lambda t: t.percent).revision
        if top == self.revision:
            return Revision(image=self.image, revision=self.revision, tag=self.tag)
        if self.previous is not None and top == self.previous.revision:
            return self.previous
        raise ValueError(f"release file names traffic to unknown revision {top!r}")


class Release(BaseModel):
    """The content of ``releases/<env>.json``."""

    model_config = ConfigDict(extra="forbid")

    environment: str
    state: State
    version: str | None = None
    git_sha: str | None = None
    source: str | None = Field(
        default=None, description="Environment whose release was promoted here (None: built)."
    )
    services: dict[str, ServiceRelease] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _complete(self) -> Release:
        if self.state == "empty":
            if self.services or self.version:
                raise ValueError("an empty release names no version and no services")
        elif set(self.services) != set(SERVICES) or not self.version:
            raise ValueError(f"a release names its version and every service: {SERVICES}")
        return self

    @classmethod
    def empty(cls, environment: str) -> Release:
        """The release of an environment nothing was deployed to yet."""
        return cls(environment=environment, state="empty")

    def to_text(self) -> str:
        """The file content: stable key order, two-space indent, final newline."""
        return json.dumps(self.model_dump(mode="json"), indent=2) + "\n"


def release_path(root: Path, environment: str) -> Path:
    """Where an environment's release file lives."""
    return root / "releases" / f"{environment}.json"


def load_release(root: Path, environment: str) -> Release:
    """Read an environment's release file; a missing file is an empty release."""
    path = release_path(root, environment)
    if not path.exists():
        return Release.empty(environment)
    release = Release.model_validate_json(path.read_text(encoding="utf-8"))
    if release.environment != environment:
        raise ValueError(f"{path} describes environment {release.environment!r}")
    return release
