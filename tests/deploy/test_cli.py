"""``dropcast deploy`` end to end with fake machines: refusal, --dry-run, --yes, real runs."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from pathlib import Path

import hcl2
import pytest
from deploy_support import PROJECT, REGISTRY, SHA, FakeExecutor, FakeMachine, digest
from typer.testing import CliRunner

from dropcast_cli.app import app
from dropcast_cli.deploy.cli import Machine
from dropcast_cli.deploy.plan import DeployTarget, plan_deploy_dev, revision_name, service_name
from dropcast_cli.deploy.release import Release, load_release
from dropcast_cli.deploy.runner import Executor, release_diff

ROOT = Path(__file__).resolve().parents[2]
# The old session names, as nox -s deploy-dev / promote pass them on.
VERBS = {"deploy-dev": ["deploy", "dev"], "promote": ["deploy", "promote"]}
LAST_RUN: dict[str, str] = {}


def run(
    repo: Path,
    argv: list[str],
    machine: FakeMachine,
    executor: Executor | None = None,
    *,
    git_sha: str = SHA,
    ask: Callable[[str], bool | None] = lambda _: None,
) -> tuple[int, str]:
    """Run ``dropcast deploy …``; returns (exit code, stdout); stderr goes to LAST_RUN."""
    # No gcloud configuration of this machine's user may name a project here.
    isolated = {"CLOUDSDK_CONFIG": str(repo / "no-gcloud-config"), **machine.environment.env}
    environment = dataclasses.replace(machine.environment, env=isolated)
    fakes = Machine(environment=environment, cwd=repo, executor=executor, git_sha=git_sha, ask=ask)
    result = CliRunner().invoke(app, [*VERBS[argv[0]], *argv[1:]], obj=fakes)
    LAST_RUN["err"] = result.stderr
    return result.exit_code, result.stdout


def last_err() -> str:
    return LAST_RUN["err"]


def snapshot(repo: Path) -> dict[str, str]:
    return {p.name: p.read_text("utf-8") for p in (repo / "releases").iterdir()}


@pytest.mark.parametrize("argv", [["deploy-dev"], ["promote", "dev", "prod"]])
def test_no_project_is_refused_with_what_to_set(
    repo: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    executor = FakeExecutor()
    code, _ = run(repo, argv, FakeMachine(env={}), executor)
    err = last_err()
    assert code == 2
    assert "DROPCAST_PROJECT" in err
    assert "--project" in err
    assert "credentials" not in err
    assert executor.calls == []


@pytest.mark.parametrize("argv", [["deploy-dev"], ["promote", "dev", "prod"]])
def test_no_credentials_are_refused_with_how_to_log_in(
    repo: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    machine = FakeMachine(env={"DROPCAST_PROJECT": PROJECT}, gcloud_logged_in=False)
    code, _ = run(repo, argv, machine, FakeExecutor())
    err = last_err()
    assert code == 2
    assert "credentials" in err
    assert "gcloud auth login" in err
    assert "GOOGLE_APPLICATION_CREDENTIALS" in err
    assert "a project" not in err
    assert ["gcloud", "auth", "print-access-token", "--quiet"] in machine.calls


def test_a_key_file_counts_as_credentials(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "key.json"
    key.write_text("{}", "utf-8")
    env = {"DROPCAST_PROJECT": PROJECT, "GOOGLE_APPLICATION_CREDENTIALS": str(key)}
    machine = FakeMachine(env=env, gcloud_logged_in=False)
    code, _ = run(repo, ["deploy-dev", "--yes"], machine, FakeExecutor())
    assert code == 0, last_err()
    assert ["gcloud", "auth", "print-access-token", "--quiet"] not in machine.calls


def test_a_key_file_that_does_not_exist_does_not(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"DROPCAST_PROJECT": PROJECT, "GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "no")}
    code, _ = run(repo, ["deploy-dev"], FakeMachine(env=env, gcloud_logged_in=False))
    assert code == 2
    assert "credentials" in last_err()


def test_every_missing_thing_is_listed_at_once(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run(repo, ["deploy-dev"], FakeMachine(env={}, tools=()))
    err = last_err()
    assert code == 2
    for missing in (
        "a project",
        "gcloud command",
        "terraform command",
        "git command",
        "credentials",
    ):
        assert missing in err


def test_deploy_dev_refuses_a_dirty_tree_but_promote_does_not_care(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    machine = FakeMachine(env={"DROPCAST_PROJECT": PROJECT}, dirty=True)
    code, _ = run(repo, ["deploy-dev", "--yes"], machine, FakeExecutor())
    assert code == 2
    assert "clean working tree" in last_err()
    _write(repo, "dev", _deployed_dev())
    code, _ = run(repo, ["promote", "dev", "prod", "--yes"], machine, FakeExecutor())
    assert code == 0


def test_dry_run_without_project_or_credentials_prints_everything_and_touches_nothing(
    repo: Path,
) -> None:
    machine = FakeMachine(env={}, tools=(), gcloud_logged_in=False)
    before = snapshot(repo)
    executor = FakeExecutor()
    code, out = run(repo, ["deploy-dev", "--dry-run"], machine, executor)
    assert code == 0
    assert machine.calls == []
    assert executor.calls == []
    assert snapshot(repo) == before
    assert "no project given" in out
    assert "gcloud builds submit '--project=<DROPCAST_PROJECT>'" in out
    assert out.count("\ngcloud ") == 3
    assert out.count("\nterraform ") == 2
    assert "# then write releases/dev.json:" in out
    assert '"state": "live"' in out
    assert "# stdout -> <<ingest_digest>>" in out


def test_dry_run_of_promote_shows_the_release_diff(repo: Path) -> None:
    _write(repo, "dev", _deployed_dev())
    before = snapshot(repo)
    code, out = run(repo, ["promote", "dev", "prod", "--dry-run"], FakeMachine(env={}))
    assert code == 0
    assert snapshot(repo) == before
    assert '-  "state": "empty",' in out
    assert '+  "state": "live",' in out
    assert (
        f'+      "image": "{REGISTRY}/ingest@{digest("a")}",'
        in out.replace("<DROPCAST_PROJECT>", PROJECT)
        or f"ingest@{digest('a')}" in out
    )


def test_deploy_dev_runs_in_order_and_writes_the_release_last(repo: Path) -> None:
    executor = FakeExecutor()
    code, out = run(repo, ["deploy-dev", "--project", PROJECT, "--yes"], _ready(), executor)
    assert code == 0
    assert [c[:3] for c in executor.calls] == [
        # is this commit built already? (no) -> build from exactly the commit
        ("gcloud", "artifacts", "docker"),
        ("mkdir", "-p", f".dropcast/build/{SHA}"),
        ("git", "archive", "--format=tar"),
        ("tar", "-xf", f".dropcast/build/{SHA}.tar"),
        ("gcloud", "builds", "submit"),
        ("gcloud", "artifacts", "docker"),
        ("gcloud", "artifacts", "docker"),
        ("terraform", "-chdir=terraform/envs/dev", "init"),
        ("terraform", "-chdir=terraform/envs/dev", "apply"),
    ]
    apply = executor.calls[-1]
    assert f"-var=ingest_image={REGISTRY}/ingest@{digest('a')}" in apply
    assert f"-var=forecast_image={REGISTRY}/forecast@{digest('b')}" in apply
    assert load_release(repo, "dev") == _deployed_dev()
    assert "wrote releases/dev.json" in out


def test_a_failed_command_stops_the_run_and_keeps_the_release_file(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(repo)
    executor = FakeExecutor(fail_on="apply")
    code, _ = run(repo, ["deploy-dev", "--project", PROJECT, "--yes"], _ready(), executor)
    assert code == 1
    assert "command failed with exit code 1" in last_err()
    assert snapshot(repo) == before
    assert executor.calls[-1][2] == "apply"


def test_promote_finish_and_rollback_in_sequence(repo: Path) -> None:
    machine, executor = _ready(), FakeExecutor()
    assert run(repo, ["deploy-dev", "--project", PROJECT, "--yes"], machine, executor)[0] == 0
    # A first promotion takes everything; a second version then goes canary.
    assert (
        run(repo, ["promote", "dev", "prod", "--project", PROJECT, "--yes"], machine, executor)[0]
        == 0
    )
    first = load_release(repo, "prod")
    assert first.state == "live"
    newer = "2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c"
    deployed = run(repo, ["deploy-dev", "--project", PROJECT, "--yes"], machine, executor,
                   git_sha=newer)  # fmt: skip
    assert deployed[0] == 0
    argv = ["promote", "dev", "prod", "--project", PROJECT, "--yes", "--canary-percent", "20"]
    assert run(repo, argv, machine, executor)[0] == 0
    canary = load_release(repo, "prod")
    assert canary.state == "canary"
    assert [t.percent for t in canary.services["ingest"].traffic] == [20, 80]
    assert (
        run(
            repo,
            ["promote", "dev", "prod", "--project", PROJECT, "--finish", "--yes"],
            machine,
            executor,
        )[0]
        == 0
    )
    assert load_release(repo, "prod").state == "live"
    assert (
        run(
            repo,
            ["promote", "dev", "prod", "--project", PROJECT, "--rollback", "--yes"],
            machine,
            executor,
        )[0]
        == 0
    )
    rolled = load_release(repo, "prod")
    assert rolled.state == "rolled-back"
    assert rolled.services["ingest"].serving().revision == first.services["ingest"].revision


def test_finish_rollback_and_canary_percent_exclude_each_other(repo: Path) -> None:
    for extra in (["--finish", "--rollback"], ["--finish", "--canary-percent", "5"]):
        code, _ = run(repo, ["promote", "dev", "prod", *extra], FakeMachine(env={}))
        assert code == 2
        assert "exclude each other" in last_err()


def test_promoting_an_environment_to_itself_is_refused(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run(repo, ["promote", "prod", "prod", "--dry-run"], FakeMachine(env={}))
    assert code == 2
    assert "two different environments" in last_err()


def test_a_real_run_without_yes_asks_first_and_refuses_when_nobody_answers(repo: Path) -> None:
    before = snapshot(repo)
    executor = FakeExecutor()
    code, out = run(repo, ["deploy-dev", "--project", PROJECT], _ready(), executor)
    assert code == 2
    assert "pass --yes" in last_err()
    assert "gcloud builds submit" in out  # the plan was shown before the question
    assert executor.calls == []
    assert snapshot(repo) == before
    questions: list[str] = []

    def no(question: str) -> bool:
        questions.append(question)
        return False

    code, _ = run(repo, ["deploy-dev", "--project", PROJECT], _ready(), executor, ask=no)
    assert code == 2
    [question] = questions
    asked = re.fullmatch(r"\nRun these (\d+) commands now\?", question)
    assert asked is not None, question
    assert executor.calls == []
    code, _ = run(
        repo, ["deploy-dev", "--project", PROJECT], _ready(), executor, ask=lambda _: True
    )
    assert code == 0
    # Answered yes, the plan it asked about runs: one build, then the apply.
    assert int(asked.group(1)) >= 5
    assert executor.builds() == 1
    assert any(call[:1] == ("terraform",) and "apply" in call for call in executor.calls)


def test_yes_means_the_same_for_deploy_and_promote(repo: Path) -> None:
    executor = FakeExecutor()
    assert run(repo, ["deploy-dev", "--yes"], _ready(), executor)[0] == 0
    asked: list[str] = []

    def refuse(question: str) -> bool:
        asked.append(question)
        return False

    for argv in (["promote", "dev", "prod"], ["promote", "dev", "prod", "--canary-percent", "5"]):
        code, _ = run(repo, argv, _ready(), executor, ask=refuse)
        assert code == 2, argv
    assert len(asked) == 2  # without --yes: asked each time (and refused here)
    code, _ = run(repo, ["promote", "dev", "prod", "-y"], _ready(), executor)
    assert code == 0
    assert "-auto-approve" in executor.calls[-1]  # terraform does not ask either


@pytest.mark.parametrize(
    ("extra", "state"),
    [([], "live"), (["--canary-percent", "25"], "live"), (["--finish"], "live"),
     (["--rollback"], "rolled-back")],
)  # fmt: skip
def test_promote_dry_run_shows_a_plan_before_anything_is_deployed(
    repo: Path, extra: list[str], state: str
) -> None:
    before = snapshot(repo)
    code, out = run(repo, ["promote", "dev", "prod", "--dry-run", *extra], FakeMachine(env={}))
    assert code == 0, last_err()
    assert snapshot(repo) == before
    assert "nothing is deployed in dev yet" in out
    assert "<<dev_digest>>" in out
    assert "sha256:" not in out  # stand-in digests are shown as placeholders
    assert "dropcast-stand-in-project" not in out
    assert "/<DROPCAST_PROJECT>/dropcast/ingest@<<dev_digest>>" in out
    assert f'"state": "{state}"' in out
    assert out.count("\nterraform ") == 2


def test_release_diff_shows_what_changes() -> None:
    old = Release.empty("dev").to_text()
    new = _deployed_dev().to_text()
    diff = release_diff(old, new, "releases/dev.json")
    assert diff.startswith("--- releases/dev.json (committed)\n+++ releases/dev.json (after")
    assert '-  "state": "empty",\n' in diff
    assert f'+      "image": "{REGISTRY}/forecast@{digest("b")}",\n' in diff
    assert release_diff(new, new, "releases/dev.json") == "(no change to releases/dev.json)\n"


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_every_terraform_var_the_plans_pass_is_declared_by_the_env_root(env: str) -> None:
    with (ROOT / f"terraform/envs/{env}/variables.tf").open(encoding="utf-8") as handle:
        declared = {name.strip('"') for block in hcl2.load(handle)["variable"] for name in block}
    plan = plan_deploy_dev(
        git_sha=SHA,
        target=DeployTarget(project=PROJECT, region="europe-west1"),
        current=Release.empty(env),
        environment=env,
    )
    apply = plan.commands[-1].argv
    passed = {a.removeprefix("-var=").split("=", 1)[0] for a in apply if a.startswith("-var=")}
    assert passed
    assert passed <= declared


def test_names_match_what_terraform_creates() -> None:
    with (ROOT / "terraform/modules/pipeline/main.tf").open(encoding="utf-8") as handle:
        locals_ = hcl2.load(handle)["locals"][0]
    with (ROOT / "terraform/modules/cloud-run-service/main.tf").open(encoding="utf-8") as handle:
        run_locals = hcl2.load(handle)["locals"][0]
    assert locals_["prefix"] == '"dropcast-${var.environment}"'
    assert locals_["revision_suffix"] == '"v${var.release_version}"'
    assert run_locals["revision"] == '"${var.name}-${var.revision_suffix}"'
    with (ROOT / "terraform/modules/pipeline/main.tf").open(encoding="utf-8") as handle:
        modules = {k.strip('"'): v for m in hcl2.load(handle)["module"] for k, v in m.items()}
    for service in ("ingest", "forecast"):
        assert modules[service]["name"] == f'"${{local.prefix}}-{service}"'
        assert service_name("prod", service) == f"dropcast-prod-{service}"
        name = revision_name("prod", service, "1a2b3c4d")
        assert name == f"dropcast-prod-{service}-v1a2b3c4d"
        assert re.fullmatch(r"[a-z][a-z0-9-]{0,62}", name)


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_committed_release_files_are_valid(env: str) -> None:
    release = load_release(ROOT, env)
    assert release.environment == env
    text = (ROOT / f"releases/{env}.json").read_text("utf-8")
    assert text == release.to_text(), "release files are written by the deploy sessions"
    assert json.loads(text)["environment"] == env


def _ready() -> FakeMachine:
    return FakeMachine(env={"DROPCAST_PROJECT": PROJECT})


def _deployed_dev() -> Release:
    plan = plan_deploy_dev(
        git_sha=SHA,
        target=DeployTarget(project=PROJECT, region="europe-west1"),
        current=Release.empty("dev"),
    )
    return plan.release_for({"ingest_digest": digest("a"), "forecast_digest": digest("b")})


def _write(repo: Path, env: str, release: Release) -> None:
    (repo / f"releases/{env}.json").write_text(release.to_text(), "utf-8")
