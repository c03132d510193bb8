"""Dry-run plans, command by command: deploy-dev, promote (canary), --finish, --rollback."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest
from deploy_support import (
    OLD_SHA,
    PROJECT,
    REGION,
    REGISTRY,
    SHA,
    FakeExecutor,
    digest,
    live_release,
)

from dropcast_cli.deploy.errors import PlanError
from dropcast_cli.deploy.modes import PromoteMode
from dropcast_cli.deploy.plan import DeployTarget, Plan, plan_deploy_dev, plan_promote
from dropcast_cli.deploy.release import Release
from dropcast_cli.deploy.runner import execute, show

TARGET = DeployTarget(project=PROJECT, region=REGION)
V, OLD_V = SHA[:8], OLD_SHA[:8]


def traffic_var(service: str, *targets: tuple[int, str, str]) -> str:
    value = [{"percent": p, "revision": r, "tag": t} for p, r, t in targets]
    return f"-var={service}_traffic=" + json.dumps(value, separators=(",", ":"), sort_keys=True)


def rev(env: str, service: str, version: str) -> str:
    return f"dropcast-{env}-{service}-v{version}"


DEV = live_release("dev", SHA, {"ingest": digest("a"), "forecast": digest("b")})
PROD_OLD = live_release("prod", OLD_SHA, {"ingest": digest("c"), "forecast": digest("d")}, "dev")


def test_deploy_dev_builds_resolves_digests_then_applies() -> None:
    plan = plan_deploy_dev(git_sha=SHA, target=TARGET, current=Release.empty("dev"))
    argvs = [c.argv for c in plan.commands]
    source = f".dropcast/build/{SHA}"
    assert argvs == [
        ("mkdir", "-p", source),
        ("git", "archive", "--format=tar", f"--output={source}.tar", SHA),
        ("tar", "-xf", f"{source}.tar", "-C", source),
        (
            "gcloud",
            "builds",
            "submit",
            f"--project={PROJECT}",
            f"--region={REGION}",
            f"--config={source}/cloudbuild.yaml",
            f"--substitutions=_REGISTRY={REGISTRY},_TAG={SHA}",
            source,
        ),
        (
            "gcloud",
            "artifacts",
            "docker",
            "images",
            "describe",
            f"{REGISTRY}/ingest:{SHA}",
            "--format=value(image_summary.digest)",
        ),
        (
            "gcloud",
            "artifacts",
            "docker",
            "images",
            "describe",
            f"{REGISTRY}/forecast:{SHA}",
            "--format=value(image_summary.digest)",
        ),
        (
            "terraform",
            "-chdir=terraform/envs/dev",
            "init",
            "-input=false",
            f"-backend-config=bucket={PROJECT}-dropcast-tfstate",
        ),
        (
            "terraform",
            "-chdir=terraform/envs/dev",
            "apply",
            "-input=false",
            "-auto-approve",
            f"-var=project_id={PROJECT}",
            f"-var=region={REGION}",
            f"-var=release_version={V}",
            f"-var=ingest_image={REGISTRY}/ingest@<<ingest_digest>>",
            traffic_var("ingest", (100, rev("dev", "ingest", V), f"v{V}")),
            f"-var=forecast_image={REGISTRY}/forecast@<<forecast_digest>>",
            traffic_var("forecast", (100, rev("dev", "forecast", V), f"v{V}")),
        ),
    ]
    assert [c.capture for c in plan.commands] == [
        None,
        None,
        None,
        None,
        "ingest_digest",
        "forecast_digest",
        None,
        None,
    ]


def test_deploy_dev_release_file_gets_the_resolved_digests() -> None:
    plan = plan_deploy_dev(git_sha=SHA, target=TARGET, current=Release.empty("dev"))
    assert "<<ingest_digest>>" in plan.release_text
    release = plan.release_for({"ingest_digest": digest("a"), "forecast_digest": digest("b")})
    assert release == DEV
    with pytest.raises(ValueError, match="pinned by digest"):
        plan.release_for({})


def test_deploy_dev_records_the_revision_it_replaces() -> None:
    current = live_release("dev", OLD_SHA, {"ingest": digest("c"), "forecast": digest("d")})
    plan = plan_deploy_dev(git_sha=SHA, target=TARGET, current=current)
    release = plan.release_for({"ingest_digest": digest("a"), "forecast_digest": digest("b")})
    previous = release.services["ingest"].previous
    assert previous is not None
    assert previous.revision == rev("dev", "ingest", OLD_V)
    assert previous.image == f"{REGISTRY}/ingest@{digest('c')}"
    # dev always runs the newest build: the old revision gets no traffic.
    assert [t.percent for t in release.services["ingest"].traffic] == [100]


def test_redeploying_the_same_commit_does_not_make_it_its_own_previous() -> None:
    plan = plan_deploy_dev(git_sha=SHA, target=TARGET, current=DEV)
    release = plan.release_for({"ingest_digest": digest("a"), "forecast_digest": digest("b")})
    assert release.services["ingest"].previous is None


def test_deploy_dev_needs_a_full_commit_sha() -> None:
    with pytest.raises(PlanError, match="full git commit SHA"):
        plan_deploy_dev(git_sha="1a2b3c4", target=TARGET, current=Release.empty("dev"))


def test_a_custom_state_bucket_is_used_for_init() -> None:
    target = DeployTarget(project=PROJECT, region=REGION, state_bucket="my-state")
    plan = plan_deploy_dev(git_sha=SHA, target=target, current=Release.empty("dev"))
    (init,) = [c for c in plan.commands if c.argv[2:3] == ("init",)]
    assert "-backend-config=bucket=my-state" in init.argv


def test_promote_canary_splits_with_the_serving_revision() -> None:
    plan = plan_promote(source=DEV, current=PROD_OLD, target=TARGET)
    argvs = [c.argv for c in plan.commands]
    assert argvs[:2] == [
        (
            "gcloud",
            "artifacts",
            "docker",
            "images",
            "describe",
            f"{REGISTRY}/ingest@{digest('a')}",
            "--format=value(image_summary.digest)",
        ),
        (
            "gcloud",
            "artifacts",
            "docker",
            "images",
            "describe",
            f"{REGISTRY}/forecast@{digest('b')}",
            "--format=value(image_summary.digest)",
        ),
    ]
    assert argvs[2] == (
        "terraform",
        "-chdir=terraform/envs/prod",
        "init",
        "-input=false",
        f"-backend-config=bucket={PROJECT}-dropcast-tfstate",
    )
    assert argvs[3] == (
        "terraform",
        "-chdir=terraform/envs/prod",
        "apply",
        f"-var=project_id={PROJECT}",
        f"-var=region={REGION}",
        f"-var=release_version={V}",
        f"-var=ingest_image={REGISTRY}/ingest@{digest('a')}",
        traffic_var(
            "ingest",
            (10, rev("prod", "ingest", V), f"v{V}"),
            (90, rev("prod", "ingest", OLD_V), f"v{OLD_V}"),
        ),
        f"-var=forecast_image={REGISTRY}/forecast@{digest('b')}",
        traffic_var(
            "forecast",
            (10, rev("prod", "forecast", V), f"v{V}"),
            (90, rev("prod", "forecast", OLD_V), f"v{OLD_V}"),
        ),
    )
    release = Release.model_validate_json(plan.release_text)
    assert release.state == "canary"
    assert release.source == "dev"
    assert release.git_sha == SHA
    assert release.services["forecast"].previous is not None
    assert release.services["forecast"].previous.image == f"{REGISTRY}/forecast@{digest('d')}"


def test_promote_moves_the_exact_digests_running_in_the_source() -> None:
    plan = plan_promote(source=DEV, current=PROD_OLD, target=TARGET)
    release = Release.model_validate_json(plan.release_text)
    for name in ("ingest", "forecast"):
        assert release.services[name].image == DEV.services[name].image


def test_canary_percent_and_yes_are_honoured() -> None:
    plan = plan_promote(
        source=DEV, current=PROD_OLD, target=TARGET, canary_percent=25, auto_approve=True
    )
    apply = plan.commands[-1].argv
    assert apply[3:5] == ("-input=false", "-auto-approve")
    release = Release.model_validate_json(plan.release_text)
    assert [t.percent for t in release.services["ingest"].traffic] == [25, 75]


@pytest.mark.parametrize("percent", [0, 100, 150])
def test_canary_percent_must_leave_both_sides_traffic(percent: int) -> None:
    with pytest.raises(PlanError, match="between 1 and 99"):
        plan_promote(source=DEV, current=PROD_OLD, target=TARGET, canary_percent=percent)


def test_the_first_promotion_takes_all_traffic_and_says_so() -> None:
    plan = plan_promote(source=DEV, current=Release.empty("prod"), target=TARGET)
    release = Release.model_validate_json(plan.release_text)
    assert release.state == "live"
    assert release.services["ingest"].traffic[0].percent == 100
    assert any("first release" in note for note in plan.notes)


def _canary() -> Release:
    return Release.model_validate_json(
        plan_promote(source=DEV, current=PROD_OLD, target=TARGET).release_text
    )


def test_finish_sends_everything_to_the_canary_and_keeps_the_old_tag() -> None:
    plan = plan_promote(source=DEV, current=_canary(), target=TARGET, mode="finish")
    assert [c.argv[2] for c in plan.commands] == ["init", "apply"]
    assert plan.commands[-1].argv[5] == f"-var=release_version={V}"
    assert (
        traffic_var(
            "ingest",
            (100, rev("prod", "ingest", V), f"v{V}"),
            (0, rev("prod", "ingest", OLD_V), f"v{OLD_V}"),
        )
        in plan.commands[-1].argv
    )
    release = Release.model_validate_json(plan.release_text)
    assert release.state == "live"


def test_rollback_sends_everything_back_and_keeps_the_template() -> None:
    plan = plan_promote(source=DEV, current=_canary(), target=TARGET, mode="rollback")
    apply = plan.commands[-1].argv
    # The template still describes the newest revision (a revision name can be
    # created once); only traffic moves back.
    assert f"-var=release_version={V}" in apply
    assert f"-var=ingest_image={REGISTRY}/ingest@{digest('a')}" in apply
    assert (
        traffic_var(
            "ingest",
            (100, rev("prod", "ingest", OLD_V), f"v{OLD_V}"),
            (0, rev("prod", "ingest", V), f"v{V}"),
        )
        in apply
    )
    release = Release.model_validate_json(plan.release_text)
    assert release.state == "rolled-back"
    assert release.services["ingest"].serving().image == f"{REGISTRY}/ingest@{digest('c')}"


def test_rollback_after_finish_is_possible() -> None:
    finished = Release.model_validate_json(
        plan_promote(source=DEV, current=_canary(), target=TARGET, mode="finish").release_text
    )
    plan = plan_promote(source=DEV, current=finished, target=TARGET, mode="rollback")
    release = Release.model_validate_json(plan.release_text)
    assert release.services["forecast"].serving().revision == rev("prod", "forecast", OLD_V)


def test_a_new_canary_after_a_rollback_splits_with_what_serves() -> None:
    rolled = Release.model_validate_json(
        plan_promote(source=DEV, current=_canary(), target=TARGET, mode="rollback").release_text
    )
    plan = plan_promote(source=DEV, current=rolled, target=TARGET)
    release = Release.model_validate_json(plan.release_text)
    assert [(t.revision, t.percent) for t in release.services["ingest"].traffic] == [
        (rev("prod", "ingest", V), 10),
        (rev("prod", "ingest", OLD_V), 90),
    ]


@pytest.mark.parametrize(
    ("source", "current", "mode", "message"),
    [
        (Release.empty("dev"), PROD_OLD, "canary", "nothing is deployed in dev"),
        (DEV, "canary", "canary", "already runs a canary"),
        (
            DEV,
            live_release("prod", SHA, {"ingest": digest("a"), "forecast": digest("b")}),
            "canary",
            "already runs",
        ),
        (DEV, PROD_OLD, "finish", "no canary to finish"),
        (DEV, Release.empty("prod"), "rollback", "nothing to roll back"),
        (DEV, PROD_OLD, "rollback", "no previous revision"),
        (DEV, "rolled-back", "rollback", "nothing to roll back"),
    ],
)
def test_promotions_that_make_no_sense_are_refused(
    source: Release, current: Release | str, mode: PromoteMode, message: str
) -> None:
    # The parameters name the starts that need a plan of their own by string.
    start: Release
    if current == "canary":
        start = _canary()
    elif current == "rolled-back":
        start = Release.model_validate_json(
            plan_promote(source=DEV, current=_canary(), target=TARGET, mode="rollback").release_text
        )
    else:
        assert isinstance(current, Release)
        start = current
    with pytest.raises(PlanError, match=message):
        plan_promote(source=source, current=start, target=TARGET, mode=mode)


def _deploy_dev() -> Plan:
    return plan_deploy_dev(git_sha=SHA, target=TARGET, current=Release.empty("dev"))


def test_a_retried_deploy_dev_skips_the_build_of_a_commit_already_built(repo: Path) -> None:
    """Tags are immutable: a second build of the same SHA is refused, so a retry must not build."""
    executor = FakeExecutor()
    execute(_deploy_dev(), repo, io.StringIO(), executor)
    assert executor.builds() == 1
    out = io.StringIO()
    execute(_deploy_dev(), repo, out, executor)
    assert executor.builds() == 1
    assert "skipped: both images of 1a2b3c4d5e6f are already in the registry" in out.getvalue()
    # ...and it still resolves the digests and applies.
    assert [c[2] for c in executor.calls[-2:]] == ["init", "apply"]


def test_the_dry_run_shows_which_path_deploy_dev_takes(repo: Path) -> None:
    first, second = io.StringIO(), io.StringIO()
    show(_deploy_dev(), repo, first, probe=FakeExecutor(built=False))
    show(_deploy_dev(), repo, second, probe=FakeExecutor(built=True))
    assert "\ngcloud builds submit" in first.getvalue()
    assert "not there, so a real run runs this" in first.getvalue()
    assert "\ngcloud builds submit" not in second.getvalue()
    assert second.getvalue().count("# skipped: both images of 1a2b3c4d5e6f") == 4


def test_the_build_context_is_exactly_the_commit(tmp_path: Path) -> None:
    """Untracked and modified files on disk never reach the image: git archive of the SHA."""
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    (tmp_path / "app.py").write_text("committed\n", encoding="utf-8")
    subprocess.run([*git, "add", "app.py"], check=True)
    subprocess.run([*git, "commit", "-qm", "one"], check=True)
    sha = subprocess.run(
        [*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    (tmp_path / "app.py").write_text("edited, not committed\n", encoding="utf-8")
    (tmp_path / "secret.env").write_text("untracked\n", encoding="utf-8")
    plan = plan_deploy_dev(git_sha=sha, target=TARGET, current=Release.empty("dev"))
    local = [c for c in plan.commands if c.argv[0] in ("mkdir", "git", "tar")]
    for command in local:
        subprocess.run(command.argv, cwd=tmp_path, check=True)
    context = tmp_path / ".dropcast/build" / sha
    (build,) = [c for c in plan.commands if c.argv[:3] == ("gcloud", "builds", "submit")]
    assert build.argv[-1] == f".dropcast/build/{sha}"
    assert sorted(p.name for p in context.iterdir()) == ["app.py"]
    assert (context / "app.py").read_text(encoding="utf-8") == "committed\n"


def test_the_build_upload_keeps_what_the_dockerfiles_copy() -> None:
    """.gcloudignore trims the upload but never drops a path a Dockerfile COPYs."""
    root = Path(__file__).resolve().parents[2]
    ignored = [
        line.strip().rstrip("/")
        for line in (root / ".gcloudignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    copied = [
        part
        for line in (root / "services/Dockerfile").read_text(encoding="utf-8").splitlines()
        if line.startswith("COPY ") and "--from" not in line
        for part in line.split()[1:-1]
    ]
    copied = [p.replace("${SERVICE}", s) for p in copied for s in ("ingest", "forecast")]
    assert copied
    for path in copied:
        assert not any(path == i or path.startswith(f"{i}/") for i in ignored), path
