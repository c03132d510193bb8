"""Command line of the deploy sessions (``nox -s deploy-dev`` / ``nox -s promote``).

python -m dropcast_cli.deploy deploy-dev [--project P] [--region R] [--dry-run]
python -m dropcast_cli.deploy promote dev prod [--canary-percent N | --finish | --rollback]
                                      [--project P] [--region R] [--yes] [--dry-run]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from dropcast_cli.deploy import preflight
from dropcast_cli.deploy.errors import DeployError, PlanError, PreflightError
from dropcast_cli.deploy.plan import (
    DEFAULT_CANARY_PERCENT,
    Plan,
    PromoteMode,
    Target,
    plan_deploy_dev,
    plan_promote,
)
from dropcast_cli.deploy.release import load_release
from dropcast_cli.deploy.runner import Executor, execute, show

DEFAULT_REGION = "europe-west1"
ENVIRONMENTS = ("dev", "prod")
DRY_RUN_PROJECT = "<DROPCAST_PROJECT>"
DRY_RUN_SHA = "0" * 40

EXIT_PREFLIGHT = 2
EXIT_PLAN = 3
EXIT_FAILED = 4


def find_root(start: Path) -> Path:
    """The repository root: the nearest directory holding terraform/envs and cloudbuild.yaml."""
    for candidate in (start, *start.parents):
        if (candidate / "terraform" / "envs").is_dir() and (candidate / "cloudbuild.yaml").exists():
            return candidate
    raise PlanError(f"not inside the dropcast repository: {start}")


def parser() -> argparse.ArgumentParser:
    """Arguments of both sessions."""
    top = argparse.ArgumentParser(prog="python -m dropcast_cli.deploy", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--project", help="Google Cloud project (default: $DROPCAST_PROJECT)")
        p.add_argument("--region", help=f"region (default: $DROPCAST_REGION or {DEFAULT_REGION})")
        p.add_argument(
            "--state-bucket",
            help="Terraform state bucket (default: <project>-dropcast-tfstate)",
        )
        p.add_argument(
            "--dry-run",
            action="store_true",
            help="print every command and the release file; run and write nothing",
        )

    dev = sub.add_parser("deploy-dev", help="build both images, apply dev, write releases/dev.json")
    common(dev)
    promote = sub.add_parser("promote", help="move one environment's images to the next")
    promote.add_argument("source", choices=ENVIRONMENTS)
    promote.add_argument("target", choices=ENVIRONMENTS)
    mode = promote.add_mutually_exclusive_group()
    mode.add_argument("--finish", action="store_true", help="send 100 %% to the canary")
    mode.add_argument(
        "--rollback", action="store_true", help="send 100 %% back to the previous revision"
    )
    mode.add_argument(
        "--canary-percent",
        type=int,
        default=DEFAULT_CANARY_PERCENT,
        help="share of the new revision (default: %(default)s)",
    )
    promote.add_argument("--yes", action="store_true", help="apply without terraform's prompt")
    common(promote)
    return top


def build_plan(args: argparse.Namespace, root: Path, target: Target, git_sha: str) -> Plan:
    """The plan the arguments ask for (pure, given the release files)."""
    if args.command == "deploy-dev":
        return plan_deploy_dev(git_sha=git_sha, target=target, current=load_release(root, "dev"))
    if args.source == args.target:
        raise PlanError("promote needs two different environments, e.g. promote dev prod")
    mode: PromoteMode = "finish" if args.finish else "rollback" if args.rollback else "canary"
    return plan_promote(
        source=load_release(root, args.source),
        current=load_release(root, args.target),
        target=target,
        mode=mode,
        canary_percent=args.canary_percent,
        auto_approve=args.yes,
    )


def head_sha(root: Path) -> str | None:
    """The commit being deployed, or None outside a git checkout."""
    done = preflight.quiet_run(["git", "-C", str(root), "rev-parse", "HEAD"])
    return done.stdout.strip() if done.returncode == 0 else None


def main(
    argv: Sequence[str] | None = None,
    *,
    machine: preflight.Environment | None = None,
    cwd: Path | None = None,
    out: TextIO | None = None,
    executor: Executor | None = None,
    git_sha: str | None = None,
) -> int:
    """Entry point; every dependency on the machine is a parameter so tests pass fakes."""
    args = parser().parse_args(argv)
    machine = machine or preflight.default_environment()
    out = out or sys.stdout
    try:
        root = find_root(cwd or Path.cwd())
        project = preflight.resolve_project(args.project, machine.env)
        region = args.region or machine.env.get("DROPCAST_REGION") or DEFAULT_REGION
        if not args.dry_run:
            preflight.check(
                machine,
                project=project,
                clean_tree_required=args.command == "deploy-dev",
                root=root,
            )
        sha = git_sha or (head_sha(root) if args.command == "deploy-dev" else None)
        if args.command == "deploy-dev" and sha is None:
            if not args.dry_run:
                raise PreflightError(["a git checkout: images are tagged with the commit SHA"])
            sha = DRY_RUN_SHA
        target = Target(
            project=project or DRY_RUN_PROJECT, region=region, state_bucket=args.state_bucket
        )
        plan = build_plan(args, root, target, sha or DRY_RUN_SHA)
        if args.dry_run:
            if project is None:
                out.write("# note: no project given; set DROPCAST_PROJECT or pass --project\n")
            show(plan, root, out)
            return 0
        execute(plan, root, out, executor)
        return 0
    except PreflightError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_PREFLIGHT
    except PlanError as exc:
        print(f"cannot deploy: {exc}", file=sys.stderr)
        return EXIT_PLAN
    except (DeployError, subprocess.SubprocessError, OSError) as exc:
        print(f"deploy failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
