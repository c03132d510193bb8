"""Stand-in releases, so that ``promote --dry-run`` shows its plan before anything is deployed.

A promotion reads what runs in both environments. Before the first deploy
there is nothing to read, and the real plan refuses ("nothing is deployed
in dev"). A dry run instead plans against stand-ins: SOURCE running
version ``00000000``, and for ``--finish``/``--rollback`` a TARGET in the
middle of a canary of it over version ``11111111``. Their image digests
are shown as ``<<dev_digest>>``-style placeholders, as ``deploy dev
--dry-run`` shows the digests only its build will know.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from dropcast_cli.deploy.modes import PromoteMode
from dropcast_cli.deploy.plan import DeployTarget, Plan, plan_promote, revision_name
from dropcast_cli.deploy.release import SERVICES, Release

# A registry path the release model accepts (lower case, no brackets); shown as the real one.
_STAND_IN_PROJECT = "dropcast-stand-in-project"


@dataclass
class StandIns:
    """The releases to plan against, and how to print their made-up parts."""

    source: Release
    current: Release
    notes: list[str] = field(default_factory=list)
    replacements: dict[str, str] = field(default_factory=dict)


def stand_ins(
    source: Release, current: Release, mode: PromoteMode, target: DeployTarget
) -> StandIns:
    """The real releases where they exist; stand-ins where the plan needs one and has none."""
    found = StandIns(source, current)
    stand_in_target = DeployTarget(project=_STAND_IN_PROJECT, region=target.region)
    found.replacements[stand_in_target.registry] = target.registry
    if source.state == "empty":
        found.source = _live(source.environment, "0", stand_in_target, found)
    if mode != "canary" and current.state == "empty":
        before = _live(current.environment, "1", stand_in_target, found)
        canary = plan_promote(source=found.source, current=before, target=stand_in_target)
        found.current = canary.release_for({})
        found.notes.append(
            f"{current.environment} is shown in a canary of v{found.source.version} over "
            f"v{before.version}, the state --{mode} applies to"
        )
    return found


def _live(environment: str, digit: str, target: DeployTarget, found: StandIns) -> Release:
    version = digit * 8
    digest = "sha256:" + digit * 64
    found.replacements[digest] = f"<<{environment}_digest>>"
    found.notes.append(
        f"nothing is deployed in {environment} yet: v{version} and <<{environment}_digest>> "
        f"stand for the version and image digests it will run"
    )
    services = {}
    for name in SERVICES:
        revision = revision_name(environment, name, version)
        services[name] = {
            "image": f"{target.registry}/{name}@{digest}",
            "revision": revision,
            "tag": f"v{version}",
            "previous": None,
            "traffic": [{"percent": 100, "revision": revision, "tag": f"v{version}"}],
        }
    return Release.model_validate(
        {
            "environment": environment,
            "state": "live",
            "version": version,
            "git_sha": digit * 40,
            "source": None,
            "services": services,
        }
    )


def show_with_placeholders(
    plan: Plan,
    root: Path,
    out: TextIO,
    show: Callable[[Plan, Path, TextIO], None],
    found: StandIns | None = None,
) -> None:
    """``show`` the plan, with stand-in values printed as placeholders and explained."""
    buffer = io.StringIO()
    show(plan, root, buffer)
    text = buffer.getvalue()
    if found is not None:
        for made_up, shown in found.replacements.items():
            text = text.replace(made_up, shown)
        text = "".join(f"# note: {note}\n" for note in dict.fromkeys(found.notes)) + text
    out.write(text)
