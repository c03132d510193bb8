"""Deploy dropcast: build, apply dev, promote to prod with a canary, finish, roll back.

Plans are pure data (``plan``), printed by ``--dry-run`` and executed by
``runner``; ``preflight`` refuses a real run without a project, credentials,
the tools or a clean tree; ``release`` is the committed record of what runs
where.
"""

from dropcast_cli.deploy.errors import DeployError, PlanError, PreflightError
from dropcast_cli.deploy.plan import Command, Plan, Target, plan_deploy_dev, plan_promote
from dropcast_cli.deploy.release import Release, ServiceRelease, TrafficTarget, load_release

__all__ = [
    "Command",
    "DeployError",
    "Plan",
    "PlanError",
    "PreflightError",
    "Release",
    "ServiceRelease",
    "Target",
    "TrafficTarget",
    "load_release",
    "plan_deploy_dev",
    "plan_promote",
]
