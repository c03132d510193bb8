"""Deploy plans as data: the commands to run and the release file to write.

Building a plan is pure (no I/O): it takes what the caller already knows
(git SHA, project, current release files) and returns every gcloud and
terraform command in order, plus the release file content. ``--dry-run``
prints exactly this; a real run executes it (see ``runner``).

A value only known while running (an image digest) is a placeholder
``<<name>>`` in the commands and the release text; the command whose
stdout provides it names it in ``capture``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from dropcast_cli.deploy.errors import PlanError
from dropcast_cli.deploy.modes import DEFAULT_CANARY_PERCENT, PromoteMode
from dropcast_cli.deploy.release import (
    SERVICES,
    Release,
    Revision,
    ServiceRelease,
    TrafficTarget,
)

PLACEHOLDER = re.compile(r"<<([a-z_]+)>>")
REPOSITORY = "dropcast"


@dataclass(frozen=True)
class Command:
    """One command: argv (no shell), why it runs, and the placeholder its stdout fills.

    ``skip_if`` holds read-only probes: when every one of them succeeds the
    command is not needed (its result already exists) and is skipped, with
    ``skip_why`` said instead. A dry run runs the probes too, so it shows
    which path a real run takes.
    """

    argv: tuple[str, ...]
    why: str
    capture: str | None = None
    skip_if: tuple[tuple[str, ...], ...] = ()
    skip_why: str = ""

    def render(self, values: Mapping[str, str]) -> tuple[str, ...]:
        """argv with every placeholder replaced by its captured value."""
        return tuple(fill(arg, values) for arg in self.argv)


@dataclass(frozen=True)
class Plan:
    """What a deploy session does: commands in order, then the release file it writes."""

    name: str
    environment: str
    commands: tuple[Command, ...]
    release_text: str
    notes: tuple[str, ...] = field(default=())

    def release_for(self, values: Mapping[str, str]) -> Release:
        """The release file content once placeholders are known, validated."""
        return Release.model_validate_json(fill(self.release_text, values))


@dataclass(frozen=True)
class DeployTarget:
    """Where a plan deploys: project, region, state bucket and the repository root layout."""

    project: str
    region: str
    state_bucket: str | None = None

    @property
    def registry(self) -> str:
        """Image path prefix in Artifact Registry (created by terraform/bootstrap)."""
        return f"{self.region}-docker.pkg.dev/{self.project}/{REPOSITORY}"

    @property
    def bucket(self) -> str:
        """Terraform state bucket (terraform/bootstrap's default name)."""
        return self.state_bucket or f"{self.project}-dropcast-tfstate"


def fill(text: str, values: Mapping[str, str]) -> str:
    """Replace ``<<name>>`` placeholders; unknown names stay (dry runs show them)."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def version_of(git_sha: str) -> str:
    """The release version: the first 8 hex digits of the commit."""
    if not re.fullmatch(r"[0-9a-f]{40}", git_sha):
        raise PlanError(f"not a full git commit SHA: {git_sha!r}")
    return git_sha[:8]


def service_name(environment: str, service: str) -> str:
    """Cloud Run service name, as modules/pipeline names it."""
    return f"dropcast-{environment}-{service}"


def revision_tag(version: str) -> str:
    """Traffic tag (and revision suffix) of a version: tags must start with a letter."""
    return f"v{version}"


def revision_name(environment: str, service: str, version: str) -> str:
    """Revision name, as modules/cloud-run-service names it: <service>-<suffix>."""
    return f"{service_name(environment, service)}-{revision_tag(version)}"


def image_digest(image: str, why: str, capture: str | None = None) -> Command:
    """Ask Artifact Registry for an image's digest (fails when the image is gone)."""
    return Command(
        argv=(
            "gcloud",
            "artifacts",
            "docker",
            "images",
            "describe",
            image,
            "--format=value(image_summary.digest)",
        ),
        why=why,
        capture=capture,
    )


def terraform_init(environment: str, target: DeployTarget) -> Command:
    """Initialise an environment root against its state prefix in the state bucket."""
    return Command(
        argv=(
            "terraform",
            f"-chdir=terraform/envs/{environment}",
            "init",
            "-input=false",
            f"-backend-config=bucket={target.bucket}",
        ),
        why=f"initialise terraform/envs/{environment} (state: gs://{target.bucket})",
    )


def terraform_apply(
    environment: str,
    target: DeployTarget,
    version: str,
    release: Mapping[str, ServiceRelease] | Mapping[str, dict[str, object]],
    *,
    auto_approve: bool,
) -> Command:
    """Apply an environment with the release's images, version and traffic as -var."""
    argv = ["terraform", f"-chdir=terraform/envs/{environment}", "apply"]
    argv += ["-input=false", "-auto-approve"] if auto_approve else []
    argv += [f"-var=project_id={target.project}", f"-var=region={target.region}"]
    argv.append(f"-var=release_version={version}")
    for service in SERVICES:
        entry = release[service]
        data = entry.model_dump(mode="json") if isinstance(entry, ServiceRelease) else entry
        traffic = json.dumps(data["traffic"], separators=(",", ":"), sort_keys=True)
        argv += [f"-var={service}_image={data['image']}", f"-var={service}_traffic={traffic}"]
    return Command(
        argv=tuple(argv),
        why=f"apply terraform/envs/{environment}: revisions v{version}, traffic as listed",
    )


BUILD_ROOT = ".dropcast/build"


def image_tag(target: DeployTarget, service: str, git_sha: str) -> str:
    """The image a build of ``git_sha`` pushes (tags are immutable in the repository)."""
    return f"{target.registry}/{service}:{git_sha}"


def build_images(git_sha: str, target: DeployTarget) -> tuple[Command, ...]:
    """Build both images from exactly the commit, unless the registry already has them.

    The build context is ``git archive`` of the commit, unpacked into
    ``.dropcast/build/<sha>``: untracked or changed files on disk cannot end
    up in an image tagged with that commit. Tags are immutable, so a second
    build of the same SHA would be refused; a retried deploy therefore asks
    the registry first and skips the build when both images exist.
    """
    source = f"{BUILD_ROOT}/{git_sha}"
    probes = tuple(
        image_digest(image_tag(target, service, git_sha), why="").argv for service in SERVICES
    )
    skip_why = f"both images of {git_sha[:12]} are already in the registry"

    def step(argv: tuple[str, ...], why: str) -> Command:
        return Command(argv=argv, why=why, skip_if=probes, skip_why=skip_why)

    return (
        step(("mkdir", "-p", source), f"make {source} for the commit's files"),
        step(
            ("git", "archive", "--format=tar", f"--output={source}.tar", git_sha),
            f"archive exactly the files of commit {git_sha[:12]} (nothing untracked)",
        ),
        step(("tar", "-xf", f"{source}.tar", "-C", source), "unpack it: the build context"),
        step(
            (
                "gcloud",
                "builds",
                "submit",
                f"--project={target.project}",
                f"--region={target.region}",
                f"--config={source}/cloudbuild.yaml",
                f"--substitutions=_REGISTRY={target.registry},_TAG={git_sha}",
                source,
            ),
            f"build ingest and forecast at {git_sha[:12]} with Cloud Build, push tag {git_sha}",
        ),
    )


def plan_deploy_dev(
    *, git_sha: str, target: DeployTarget, current: Release, environment: str = "dev"
) -> Plan:
    """Build both images at ``git_sha``, resolve their digests, apply dev at 100 %.

    The previous dev revision is recorded (as ``previous``) but gets no
    traffic: dev always runs the newest build.
    """
    version = version_of(git_sha)
    tag = revision_tag(version)
    commands = list(build_images(git_sha, target))
    services: dict[str, dict[str, object]] = {}
    for service in SERVICES:
        commands.append(
            image_digest(
                image_tag(target, service, git_sha),
                why=f"resolve the digest of the {service} image built from {git_sha[:12]}",
                capture=f"{service}_digest",
            )
        )
        revision = revision_name(environment, service, version)
        services[service] = {
            "image": f"{target.registry}/{service}@<<{service}_digest>>",
            "revision": revision,
            "tag": tag,
            "previous": _previous_for(current, service, revision),
            "traffic": [{"percent": 100, "revision": revision, "tag": tag}],
        }
    commands.append(terraform_init(environment, target))
    commands.append(terraform_apply(environment, target, version, services, auto_approve=True))
    release = {
        "environment": environment,
        "state": "live",
        "version": version,
        "git_sha": git_sha,
        "source": None,
        "services": services,
    }
    return Plan(
        name="deploy-dev",
        environment=environment,
        commands=tuple(commands),
        release_text=json.dumps(release, indent=2) + "\n",
    )


def _previous_for(current: Release, service: str, revision: str) -> dict[str, object] | None:
    """What a new revision replaces: the serving one, unless it is the same revision."""
    entry = current.services.get(service)
    if entry is None:
        return None
    serving = entry.serving()
    if serving.revision == revision:
        return None if entry.previous is None else entry.previous.model_dump(mode="json")
    return serving.model_dump(mode="json")


def plan_promote(
    *,
    source: Release,
    current: Release,
    target: DeployTarget,
    mode: PromoteMode = "canary",
    canary_percent: int = DEFAULT_CANARY_PERCENT,
    auto_approve: bool = False,
) -> Plan:
    """Move the source environment's exact images to the target environment.

    canary: a new tagged revision gets ``canary_percent`` %, the revision that
    served until now keeps the rest (the first release of an environment gets
    100 %). finish: the new revision gets 100 %. rollback: the previous
    revision gets 100 % again. The template keeps describing the newest
    revision in every mode; only the traffic list changes.
    """
    environment = current.environment
    if mode == "canary":
        release, notes = _canary(source, current, canary_percent)
        checks = [
            image_digest(
                entry.image,
                why=f"check that the {name} image running in {source.environment} still exists",
            )
            for name, entry in release.services.items()
        ]
    else:
        release, notes = (_finish(current) if mode == "finish" else _rollback(current)), []
        checks = []
    assert release.version is not None  # a non-empty release always has one
    commands = (
        *checks,
        terraform_init(environment, target),
        terraform_apply(
            environment, target, release.version, release.services, auto_approve=auto_approve
        ),
    )
    return Plan(
        name=f"promote {source.environment} -> {environment} ({mode})",
        environment=environment,
        commands=commands,
        release_text=release.to_text(),
        notes=tuple(notes),
    )


def _canary(source: Release, current: Release, percent: int) -> tuple[Release, list[str]]:
    if source.state == "empty" or source.version is None:
        raise PlanError(f"nothing is deployed in {source.environment}: deploy it first")
    if not 1 <= percent <= 99:
        raise PlanError(f"--canary-percent must be between 1 and 99, got {percent}")
    if current.state == "canary":
        raise PlanError(
            f"{current.environment} already runs a canary of v{current.version}: "
            "finish it (--finish) or roll it back (--rollback) first"
        )
    if current.version == source.version and current.state == "live":
        raise PlanError(
            f"{current.environment} already runs v{source.version} from {source.environment}"
        )
    env, version = current.environment, source.version
    tag = revision_tag(version)
    notes: list[str] = []
    services: dict[str, ServiceRelease] = {}
    for name in SERVICES:
        image = source.services[name].image
        revision = revision_name(env, name, version)
        new = TrafficTarget(percent=percent, revision=revision, tag=tag)
        now = current.services.get(name)
        serving = None if now is None else now.serving()
        if serving is None or serving.revision == revision:
            # Nothing else to split with: the first release takes all traffic.
            previous = None if now is None else now.previous
            traffic = [TrafficTarget(percent=100, revision=revision, tag=tag)]
        else:
            previous = serving
            old = TrafficTarget(percent=100 - percent, revision=serving.revision, tag=serving.tag)
            traffic = [new, old]
        services[name] = ServiceRelease(
            image=image, revision=revision, tag=tag, previous=previous, traffic=traffic
        )
    state: Literal["canary", "live"] = "canary"
    if all(len(s.traffic) == 1 for s in services.values()):
        state = "live"
        notes.append(
            f"first release of {env}: nothing to split traffic with, v{version} takes 100 % at once"
        )
    release = Release(
        environment=env,
        state=state,
        version=version,
        git_sha=source.git_sha,
        source=source.environment,
        services=services,
    )
    return release, notes


def _finish(current: Release) -> Release:
    if current.state != "canary":
        raise PlanError(f"{current.environment} has no canary to finish (state: {current.state})")
    services = {}
    for name, entry in current.services.items():
        traffic = [TrafficTarget(percent=100, revision=entry.revision, tag=entry.tag)]
        if entry.previous is not None:
            # The old revision keeps its tag (and URL) at 0 %: a rollback target.
            prev = entry.previous
            traffic.append(TrafficTarget(percent=0, revision=prev.revision, tag=prev.tag))
        services[name] = _with_traffic(entry, traffic)
    return _with_services(current, "live", services)


def _rollback(current: Release) -> Release:
    if current.state not in ("canary", "live"):
        raise PlanError(f"{current.environment} has nothing to roll back (state: {current.state})")
    services = {}
    for name, entry in current.services.items():
        if entry.previous is None:
            raise PlanError(
                f"{current.environment}: {name} has no previous revision to roll back to"
            )
        prev: Revision = entry.previous
        traffic = [
            TrafficTarget(percent=100, revision=prev.revision, tag=prev.tag),
            # The rolled-back revision stays reachable by its tag for debugging.
            TrafficTarget(percent=0, revision=entry.revision, tag=entry.tag),
        ]
        services[name] = _with_traffic(entry, traffic)
    return _with_services(current, "rolled-back", services)


def _with_traffic(entry: ServiceRelease, traffic: list[TrafficTarget]) -> ServiceRelease:
    """A copy with new traffic targets, validated again (shares add up, tags unique)."""
    data = entry.model_dump(mode="json")
    data["traffic"] = [t.model_dump(mode="json") for t in traffic]
    return ServiceRelease.model_validate(data)


def _with_services(current: Release, state: str, services: dict[str, ServiceRelease]) -> Release:
    """A copy of a release in a new state with new service entries, validated again."""
    data = current.model_dump(mode="json")
    data["state"] = state
    data["services"] = {name: entry.model_dump(mode="json") for name, entry in services.items()}
    return Release.model_validate(data)
