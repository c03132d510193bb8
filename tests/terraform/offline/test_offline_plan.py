"""A real terraform init, validate and plan of every root, against the provider's schema.

Plans use exactly the -var list ``dropcast deploy`` builds (deploy-dev, and
promote's canary, finish and rollback), and the assertions read
``terraform show -json``: resources, IAM members, traffic, images.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import stage
from deploy_support import OLD_SHA, SHA, digest, live_release
from plan_support import (
    DIGESTS,
    PROJECT,
    REGION,
    contract_violations,
    of_type,
    runtime_member,
    service,
    var_args,
)

from dropcast_cli.deploy.modes import PromoteMode
from dropcast_cli.deploy.plan import DeployTarget, plan_deploy_dev, plan_promote
from dropcast_cli.deploy.release import Release

TARGET = DeployTarget(project=PROJECT, region=REGION)
REGISTRY = f"{REGION}-docker.pkg.dev/{PROJECT}/dropcast"
SERVICES = ("ingest", "forecast")
BASE_VARS = [f"-var=project_id={PROJECT}", f"-var=region={REGION}"]
# The conftest's scratch fixture: a fresh workspace per call (version, repo optional).
Scratch = Callable[..., stage.Workspace]


def deploy_dev_vars() -> list[str]:
    plan = plan_deploy_dev(git_sha=SHA, target=TARGET, current=Release.empty("dev"))
    return var_args(plan)


@pytest.fixture(scope="module", params=[stage.NEWEST, stage.OLDEST])
def dev(request: pytest.FixtureRequest, scratch: Scratch) -> stage.Workspace:
    """envs/dev initialised against one provider version (the newest and the lower bound)."""
    ws = scratch(request.param)
    ws.init("envs/dev")
    return ws


@pytest.fixture(scope="module")
def dev_plan(dev: stage.Workspace) -> dict[str, Any]:
    return dev.plan("envs/dev", deploy_dev_vars())


@pytest.fixture(scope="module")
def prod(scratch: Scratch) -> stage.Workspace:
    ws = scratch()
    ws.init("envs/prod")
    return ws


@pytest.mark.parametrize("version", [stage.NEWEST, stage.OLDEST])
def test_bootstrap_validates_and_plans(scratch: Scratch, version: str) -> None:
    ws = scratch(version)
    ws.init("bootstrap")
    assert ws.validate("bootstrap")["valid"]
    shown = ws.plan("bootstrap", BASE_VARS)
    apis = {c["change"]["after"]["service"] for c in of_type(shown, "google_project_service")}
    assert {"run.googleapis.com", "pubsub.googleapis.com", "cloudbuild.googleapis.com"} <= apis
    (state,) = of_type(shown, "google_storage_bucket")
    assert state["change"]["after"]["name"] == f"{PROJECT}-dropcast-tfstate"
    assert state["change"]["after"]["versioning"] == [{"enabled": True}]
    (repo,) = of_type(shown, "google_artifact_registry_repository")
    assert repo["change"]["after"]["repository_id"] == "dropcast"


def test_dev_validates(dev: stage.Workspace) -> None:
    result = dev.validate("envs/dev")
    assert result["valid"], result["diagnostics"]


def test_first_dev_deploy_plans_every_service_by_digest(dev_plan: dict[str, Any]) -> None:
    """The first plan used to fail: for_each over invoker emails known only after apply."""
    version = SHA[:8]
    for name in SERVICES:
        after = service(dev_plan, name)
        (container,) = after["template"][0]["containers"]
        image = f"{REGISTRY}/{name}@{DIGESTS[f'{name}_digest']}"
        assert container["image"] == image
        assert after["template"][0]["revision"] == f"dropcast-dev-{name}-v{version}"
        assert [{k: t[k] for k in ("percent", "revision", "tag")} for t in after["traffic"]] == [
            {"percent": 100, "revision": f"dropcast-dev-{name}-v{version}", "tag": f"v{version}"}
        ]
        assert after["ingress"] == "INGRESS_TRAFFIC_INTERNAL_ONLY"


def test_each_service_is_invoked_by_its_push_identity_only(dev_plan: dict[str, Any]) -> None:
    invokers = {
        c["change"]["after"]["name"]: c["change"]["after"]["member"]
        for c in of_type(dev_plan, "google_cloud_run_v2_service_iam_member")
    }
    push = f"@{PROJECT}.iam.gserviceaccount.com"
    assert invokers == {
        "dropcast-dev-ingest": f"serviceAccount:dropcast-dev-uploads-push{push}",
        "dropcast-dev-forecast": f"serviceAccount:dropcast-dev-work-push{push}",
    }


def test_runtime_identities_are_known_at_plan(dev_plan: dict[str, Any]) -> None:
    """Grants name the runtime service accounts at plan, so the contract below can read them."""
    members = {
        c["change"]["after"]["member"]
        for c in of_type(dev_plan, "google_storage_bucket_iam_member")
    }
    assert {runtime_member("dev", s) for s in SERVICES} <= members


def test_plan_grants_exactly_what_the_code_calls(dev_plan: dict[str, Any]) -> None:
    """The least roles for dropcast_common.iam's calls are exactly the planned grants."""
    assert contract_violations(dev_plan, "dev") == []


def test_output_bucket_grants_cover_replace_and_delete(dev_plan: dict[str, Any]) -> None:
    """publish_output replaces and remove_stale_output deletes: objectCreator got 403 for both."""
    output = f"{PROJECT}-dropcast-dev-output"
    roles = {
        c["change"]["after"]["member"]: c["change"]["after"]["role"]
        for c in of_type(dev_plan, "google_storage_bucket_iam_member")
        if c["change"]["after"]["bucket"] == output
    }
    assert roles == {runtime_member("dev", s): "roles/storage.objectUser" for s in SERVICES}


def promote_vars(mode: PromoteMode, current: Release) -> tuple[list[str], Release]:
    source = live_release("dev", SHA, {"ingest": digest("a"), "forecast": digest("b")})
    plan = plan_promote(source=source, current=current, target=TARGET, mode=mode)
    return var_args(plan), plan.release_for({})


def traffic(shown: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return sorted(
        (
            {k: t[k] for k in ("percent", "revision", "tag")}
            for t in service(shown, name)["traffic"]
        ),
        key=lambda t: -t["percent"],
    )


def test_prod_canary_finish_and_rollback_plan_the_traffic_they_promise(
    prod: stage.Workspace,
) -> None:
    old = live_release("prod", OLD_SHA, {"ingest": digest("c"), "forecast": digest("d")})
    new_v, old_v = SHA[:8], OLD_SHA[:8]
    steps: list[tuple[PromoteMode, Release | None, list[tuple[int, str]]]] = [
        ("canary", old, [(90, old_v), (10, new_v)]),
        ("finish", None, [(100, new_v), (0, old_v)]),
        ("rollback", None, [(100, old_v), (0, new_v)]),
    ]
    current = old
    for mode, start, expected in steps:
        args, after = promote_vars(mode, start or current)
        shown = prod.plan("envs/prod", args, out=f"{mode}.bin")
        for name in SERVICES:
            want: list[dict[str, Any]] = [
                {"percent": p, "revision": f"dropcast-prod-{name}-v{v}", "tag": f"v{v}"}
                for p, v in expected
            ]
            assert traffic(shown, name) == sorted(want, key=lambda t: -t["percent"]), mode
            (container,) = service(shown, name)["template"][0]["containers"]
            # promote moves dev's exact digests; the template describes the newest revision.
            assert (
                container["image"]
                == f"{REGISTRY}/{name}@{digest('a' if name == 'ingest' else 'b')}"
            )
        current = after


def test_empty_release_file_fails_with_the_intended_message_only(dev: stage.Workspace) -> None:
    """No -var and an empty releases/dev.json: one clear message, no function error beside it."""
    out = dev.plan_error("envs/dev", BASE_VARS)
    flat = " ".join(out.split())
    assert "image must be pinned by digest" in flat
    assert "Invalid function argument" not in flat
    assert "deploy with nox -s deploy-dev first" in flat


def test_client_stamps_of_gcloud_or_the_console_are_not_drift(
    scratch: Scratch, dev_plan: dict[str, Any]
) -> None:
    """A service that gcloud touched (client, client_version set) plans without undoing that."""
    address = "module.pipeline.module.ingest.google_cloud_run_v2_service.service"
    stored = dict(service(dev_plan, "ingest"))
    stored.update(
        id="projects/acme-forecasts/locations/europe-west1/services/dropcast-dev-ingest",
        uri="https://dropcast-dev-ingest-standin.a.run.app",
        client="gcloud",
        client_version="530.0.0",
    )
    ws = scratch()
    ws.init("envs/dev")
    ws.seed_state(
        "envs/dev",
        [
            {
                "module": "module.pipeline.module.ingest",
                "type": "google_cloud_run_v2_service",
                "name": "service",
                "attributes": stored,
            }
        ],
    )
    shown = ws.plan("envs/dev", deploy_dev_vars())
    (change,) = [c for c in shown["resource_changes"] if c["address"] == address]
    for field, value in (("client", "gcloud"), ("client_version", "530.0.0")):
        assert change["change"]["before"][field] == value
        assert change["change"]["after"][field] == value, f"plan would reset {field}"


def test_push_identities_of_the_former_pipe_calls_are_moved_not_recreated(scratch: Scratch) -> None:
    """State from before the for_each (module.uploads_pipe) plans as a move, not a replace."""
    email = f"dropcast-dev-uploads-push@{PROJECT}.iam.gserviceaccount.com"
    stored = {
        "account_id": "dropcast-dev-uploads-push",
        "email": email,
        "project": PROJECT,
        "name": f"projects/{PROJECT}/serviceAccounts/{email}",
        "id": f"projects/{PROJECT}/serviceAccounts/{email}",
        "display_name": "dropcast push identity for dropcast-dev-uploads",
    }
    ws = scratch()
    ws.init("envs/dev")
    ws.seed_state(
        "envs/dev",
        [
            {
                "module": "module.pipeline.module.uploads_pipe",
                "type": "google_service_account",
                "name": "push",
                "attributes": stored,
            }
        ],
    )
    shown = ws.plan("envs/dev", deploy_dev_vars())
    address = 'module.pipeline.google_service_account.push["uploads"]'
    (change,) = [c for c in shown["resource_changes"] if c["address"] == address]
    assert (
        change["previous_address"]
        == "module.pipeline.module.uploads_pipe.google_service_account.push"
    )
    assert "create" not in change["change"]["actions"]
    assert "delete" not in change["change"]["actions"]


WATCHDOG = {
    "topic": "checks",
    "subscription": "checks-push",
    "dead_letter_topic": "checks-dlq",
    "service": "ingest",
    "push_path": "/push/check",
    "ack_deadline_seconds": 60,
    "max_delivery_attempts": 100,
    "minimum_backoff": "10s",
    "maximum_backoff": "60s",
    "message_retention_duration": "604800s",
}
CHECKS_DLQ = {
    "subscription": "checks-dlq-status",
    "service": "ingest",
    "push_path": "/push/dead-letter",
    "ack_deadline_seconds": 60,
    "max_delivery_attempts": 10,
}


def test_a_watchdog_pipe_in_the_definition_is_deployed_and_granted(scratch: Scratch) -> None:
    """pipeline.json's watchdog (a timer ingest answers) gets its pipe, signer and grants."""
    ws = scratch()
    path = ws.scratch / "libs/common/src/dropcast_common/pipeline.json"
    definition = json.loads(path.read_text(encoding="utf-8"))
    definition["watchdog"] = WATCHDOG
    definition["dead_letters"]["checks-dlq"] = CHECKS_DLQ
    path.write_text(json.dumps(definition), encoding="utf-8")
    ws.init("envs/dev")
    shown = ws.plan("envs/dev", deploy_dev_vars())
    subs = {
        c["change"]["after"]["name"]: c["change"]["after"]
        for c in of_type(shown, "google_pubsub_subscription")
    }
    check = subs["dropcast-dev-checks-push"]
    # ingest trusts one push identity, so the watchdog's pushes carry the uploads pipe's.
    (oidc,) = check["push_config"][0]["oidc_token"]
    assert (
        oidc["service_account_email"]
        == f"dropcast-dev-uploads-push@{PROJECT}.iam.gserviceaccount.com"
    )
    assert check["dead_letter_policy"][0]["max_delivery_attempts"] == 100
    env = {
        e["name"]: e["value"]
        for e in service(shown, "ingest")["template"][0]["containers"][0]["env"]
    }
    assert env["DROPCAST_CHECKS_TOPIC"] == "dropcast-dev-checks"
    # One token-creator grant per identity, not one per pipe using it.
    assert len(of_type(shown, "google_service_account_iam_member")) == 2
    assert contract_violations(shown, "dev", definition) == []


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            (
                'role = "roles/storage.objectUser", member = local.ingest }',
                'role = "roles/storage.objectCreator", member = local.ingest }',
            ),
            "staging lacks storage.objects.delete, storage.objects.get (its calls would get 403)",
        ),
        (
            (
                'role = "roles/storage.objectViewer", member = local.ingest }',
                'role = "roles/storage.objectAdmin", member = local.ingest }',
            ),
            "more than its calls need",
        ),
    ],
    ids=["one-grant-too-few", "one-grant-too-many"],
)
def test_contract_fails_when_a_grant_is_removed_or_widened(
    scratch: Scratch, edit: tuple[str, str], expected: str
) -> None:
    ws = scratch()
    iam_tf = ws.scratch / "terraform/modules/pipeline/iam.tf"
    text = iam_tf.read_text(encoding="utf-8")
    assert edit[0] in text
    iam_tf.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    ws.init("envs/dev")
    problems = contract_violations(ws.plan("envs/dev", deploy_dev_vars()), "dev")
    assert any(expected in p for p in problems), problems
