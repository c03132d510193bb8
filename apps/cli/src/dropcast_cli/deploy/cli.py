"""``dropcast deploy``: build and apply dev, promote one environment's images to the next.

dropcast deploy dev [--project P] [--region R] [--state-bucket B] [--dry-run] [--yes]
dropcast deploy promote dev prod [--canary-percent N | --finish | --rollback]
                                 [--project P] [--region R] [--dry-run] [--yes]

``nox -s deploy-dev`` and ``nox -s promote`` run these. Without ``--yes`` a
real run shows its plan and asks first (and refuses when nobody can
answer); ``--dry-run`` shows the plan and touches nothing, even before
anything was ever deployed (:mod:`dropcast_cli.deploy.placeholders`).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from dropcast_cli import exits
from dropcast_cli.deploy import preflight
from dropcast_cli.deploy.errors import DeployError, PlanError, PreflightError
from dropcast_cli.deploy.modes import DEFAULT_CANARY_PERCENT, PromoteMode

if TYPE_CHECKING:
    # Imported where a deploy runs: their release models cost every other
    # command, ``dropcast forecast`` too, their import (see deploy.modes).
    from dropcast_cli.deploy.placeholders import StandIns
    from dropcast_cli.deploy.plan import DeployTarget, Plan
    from dropcast_cli.deploy.runner import Executor

DEFAULT_REGION = "europe-west1"
DRY_RUN_PROJECT = "<DROPCAST_PROJECT>"
DRY_RUN_SHA = "0" * 40


class Environment(StrEnum):
    """A deployed environment."""

    dev = "dev"
    prod = "prod"


@dataclass(frozen=True)
class Request:
    """What a deploy command was asked to do."""

    command: str  # "deploy-dev" or "promote"
    project: str | None = None
    region: str | None = None
    state_bucket: str | None = None
    dry_run: bool = False
    yes: bool = False
    source: str = "dev"
    target: str = "prod"
    mode: PromoteMode = "canary"
    canary_percent: int = DEFAULT_CANARY_PERCENT


def ask_on_terminal(question: str) -> bool | None:
    """typer.confirm on a terminal; None when nobody is there to answer (CI, a pipe)."""
    if not sys.stdin.isatty():
        return None
    return typer.confirm(question, default=False)


@dataclass
class Machine:
    """Everything a deploy touches outside the plan; tests pass fakes (as ``ctx.obj``)."""

    environment: preflight.Environment | None = None
    cwd: Path | None = None
    executor: Executor | None = None
    git_sha: str | None = None
    ask: Callable[[str], bool | None] = field(default=ask_on_terminal)


def find_root(start: Path) -> Path:
    """The repository root: the nearest directory holding terraform/envs and cloudbuild.yaml."""
    for candidate in (start, *start.parents):
        if (candidate / "terraform" / "envs").is_dir() and (candidate / "cloudbuild.yaml").exists():
            return candidate
    raise PlanError(f"not inside the dropcast repository: {start}")


def build_plan(
    request: Request, root: Path, target: DeployTarget, git_sha: str
) -> tuple[Plan, StandIns | None]:
    """The plan the request asks for (pure, given the release files), and its stand-ins."""
    from dropcast_cli.deploy import placeholders
    from dropcast_cli.deploy.plan import plan_deploy_dev, plan_promote
    from dropcast_cli.deploy.release import load_release

    if request.command == "deploy-dev":
        current = load_release(root, "dev")
        return plan_deploy_dev(git_sha=git_sha, target=target, current=current), None
    if request.source == request.target:
        raise PlanError("promote needs two different environments, e.g. promote dev prod")
    found = placeholders.StandIns(
        load_release(root, request.source), load_release(root, request.target)
    )
    if request.dry_run:
        # Nothing deployed yet: stand-ins show the plan a real run will make later.
        found = placeholders.stand_ins(found.source, found.current, request.mode, target)
    plan = plan_promote(
        source=found.source,
        current=found.current,
        target=target,
        mode=request.mode,
        canary_percent=request.canary_percent,
        auto_approve=request.yes,
    )
    return plan, found


def head_sha(root: Path) -> str | None:
    """The commit being deployed, or None outside a git checkout."""
    done = preflight.quiet_run(["git", "-C", str(root), "rev-parse", "HEAD"])
    return done.stdout.strip() if done.returncode == 0 else None


def run(request: Request, machine: Machine | None = None, out: TextIO | None = None) -> int:
    """Carry out a request; returns the exit code (:mod:`dropcast_cli.exits`)."""
    from dropcast_cli.deploy import placeholders
    from dropcast_cli.deploy.plan import DeployTarget
    from dropcast_cli.deploy.runner import execute, show
    from dropcast_cli.targets import project_of

    machine = machine or Machine()
    environment = machine.environment or preflight.default_environment()
    out = out or sys.stdout
    try:
        root = find_root(machine.cwd or Path.cwd())
        project = project_of(request.project, environment.env)
        region = request.region or environment.env.get("DROPCAST_REGION") or DEFAULT_REGION
        if not request.dry_run:
            preflight.check(
                environment,
                project=project,
                clean_tree_required=request.command == "deploy-dev",
                root=root,
            )
        sha = machine.git_sha or (head_sha(root) if request.command == "deploy-dev" else None)
        if request.command == "deploy-dev" and sha is None:
            if not request.dry_run:
                raise PreflightError(["a git checkout: images are tagged with the commit SHA"])
            sha = DRY_RUN_SHA
        target = DeployTarget(
            project=project or DRY_RUN_PROJECT, region=region, state_bucket=request.state_bucket
        )
        plan, found = build_plan(request, root, target, sha or DRY_RUN_SHA)
        if request.dry_run:
            if project is None:
                out.write(
                    "# note: no project given; pass --project or set DROPCAST_PROJECT "
                    "(or GOOGLE_CLOUD_PROJECT, or gcloud's project)\n"
                )
            placeholders.show_with_placeholders(plan, root, out, show, found)
            return exits.DONE
        if not request.yes and not _approved(plan, root, out, machine):
            return exits.REJECTED
        execute(plan, root, out, machine.executor)
        return exits.DONE
    except PreflightError as exc:
        typer.echo(str(exc), err=True)
        return exits.REJECTED
    except PlanError as exc:
        typer.echo(f"cannot deploy: {exc}", err=True)
        return exits.REJECTED
    except (DeployError, subprocess.SubprocessError, OSError) as exc:
        typer.echo(f"deploy failed: {exc}", err=True)
        return exits.FAILED


def _approved(plan: Plan, root: Path, out: TextIO, machine: Machine) -> bool:
    """Show the plan and ask; a run nobody can confirm needs --yes."""
    from dropcast_cli.deploy.runner import show

    show(plan, root, out)
    out.flush()
    answer = machine.ask(f"\nRun these {len(plan.commands)} commands now?")
    if answer is None:
        typer.echo(
            "not run: nobody to confirm on this terminal; pass --yes to run without asking "
            "(or --dry-run to only see the plan)",
            err=True,
        )
        return False
    if not answer:
        typer.echo("not run: not confirmed", err=True)
    return answer


deploy_app = typer.Typer(
    name="deploy",
    help="Build, deploy and promote on Google Cloud (Cloud Build, Terraform, Cloud Run).",
    no_args_is_help=True,
)

ProjectOption = Annotated[
    str | None,
    typer.Option(
        help="Project (default: $DROPCAST_PROJECT, $GOOGLE_CLOUD_PROJECT, "
        "$CLOUDSDK_CORE_PROJECT, then gcloud's configured project)",
        show_default=False,
    ),
]
RegionOption = Annotated[
    str | None,
    typer.Option(
        help=f"Region (default: $DROPCAST_REGION or {DEFAULT_REGION})", show_default=False
    ),
]
StateBucketOption = Annotated[
    str | None,
    typer.Option(help="Terraform state bucket (default: <project>-dropcast-tfstate)"),
]
DryRunOption = Annotated[
    bool,
    typer.Option(
        "--dry-run", help="Print every command and the release file; run and write nothing"
    ),
]
YesOption = Annotated[
    bool,
    typer.Option(
        "--yes",
        "-y",
        help="Run without asking (ours and terraform's prompt); needed off a terminal",
    ),
]


def _finish(ctx: typer.Context, request: Request) -> None:
    machine = ctx.obj if isinstance(ctx.obj, Machine) else None
    raise typer.Exit(run(request, machine))


@deploy_app.command("dev")
def deploy_dev(
    ctx: typer.Context,
    project: ProjectOption = None,
    region: RegionOption = None,
    state_bucket: StateBucketOption = None,
    dry_run: DryRunOption = False,
    yes: YesOption = False,
) -> None:
    """Build both images at HEAD with Cloud Build, apply terraform/envs/dev by digest.

    Writes releases/dev.json (commit it). Needs a project, credentials and a clean tree.
    Exit 0 done, 2 refused (the message says what is missing), 1 a command failed.
    """
    request = Request(
        "deploy-dev",
        project=project,
        region=region,
        state_bucket=state_bucket,
        dry_run=dry_run,
        yes=yes,
    )
    _finish(ctx, request)


@deploy_app.command("promote")
def promote(
    ctx: typer.Context,
    source: Annotated[Environment, typer.Argument(help="Where the images run now")],
    target: Annotated[Environment, typer.Argument(help="Where they go")],
    canary_percent: Annotated[
        int | None,
        typer.Option(
            help=f"Share of the new revision (default {DEFAULT_CANARY_PERCENT})",
            show_default=False,
        ),
    ] = None,
    finish: Annotated[bool, typer.Option("--finish", help="Send 100 % to the canary")] = False,
    rollback: Annotated[
        bool, typer.Option("--rollback", help="Send 100 % back to the previous revision")
    ] = False,
    project: ProjectOption = None,
    region: RegionOption = None,
    state_bucket: StateBucketOption = None,
    dry_run: DryRunOption = False,
    yes: YesOption = False,
) -> None:
    """Move the exact images running in SOURCE to TARGET: a tagged canary, then --finish.

    Writes releases/TARGET.json (commit it). --dry-run works before anything is deployed.
    Exit 0 done, 2 refused, 1 a command failed.
    """
    chosen = [flag for flag, on in [("--finish", finish), ("--rollback", rollback)] if on]
    if canary_percent is not None:
        chosen.append("--canary-percent")
    if len(chosen) > 1:
        raise typer.BadParameter(f"{' and '.join(chosen)} exclude each other: give one")
    mode: PromoteMode = "finish" if finish else "rollback" if rollback else "canary"
    request = Request(
        "promote",
        project=project,
        region=region,
        state_bucket=state_bucket,
        dry_run=dry_run,
        yes=yes,
        source=source.value,
        target=target.value,
        mode=mode,
        canary_percent=DEFAULT_CANARY_PERCENT if canary_percent is None else canary_percent,
    )
    _finish(ctx, request)
