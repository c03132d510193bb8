"""What the infrastructure promises: the settings of pipeline.json, OIDC and
dead letters on every push (the status pushes park theirs), upload
notifications, internal services pinned by digest, and no public or
project-wide access."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import hcl2
import pytest
from tf_hcl import (
    PIPELINE_JSON,
    ROOT,
    TERRAFORM,
    Config,
    Scope,
    env_dirs,
    normalise,
    parse_dir,
    terraform_dirs,
)

PUSH_PIPE = parse_dir(TERRAFORM / "modules/push-pipe")
CLOUD_RUN = parse_dir(TERRAFORM / "modules/cloud-run-service")
NOTIFICATION = parse_dir(TERRAFORM / "modules/storage-notification")
PARKING = parse_dir(TERRAFORM / "modules/parking")
PUBSUB_AGENT = (
    "serviceAccount:service-${data.google_project.project.number}"
    "@gcp-sa-pubsub.iam.gserviceaccount.com"
)


def pipe_calls(
    pipeline: Config, definition: dict[str, Any]
) -> dict[str, tuple[dict[str, Any], Scope]]:
    """Each pipe of pipeline.json: the one for_each push-pipe call, and a scope with its each."""
    (call,) = [c for c in pipeline.modules.values() if c["source"] == "../push-pipe"]
    return {
        pipe: (call, Scope(pipeline, each=(pipe, spec)))
        for pipe, spec in definition["pipes"].items()
    }


def test_the_pipeline_module_is_given_the_one_definition(pipeline_module: Config) -> None:
    """The module reads no file outside itself; each environment root passes pipeline.json."""
    assert pipeline_module.locals["definition"] == "${var.definition}"
    for env in env_dirs():
        root = parse_dir(env)
        match = re.fullmatch(
            r'\$\{jsondecode\(file\("\$\{path\.module\}/([^"]+)"\)\)\}',
            root.locals["definition"],
        )
        assert match, f"{env.name} must jsondecode(file(...)) the definition"
        assert (env / match.group(1)).resolve() == PIPELINE_JSON.resolve()
        assert root.modules["pipeline"]["definition"] == "${local.definition}"


def test_every_pipe_of_the_definition_is_deployed(
    pipeline_module: Config, pipeline_definition: dict[str, Any]
) -> None:
    """One module call, one instance per pipe of the definition (not a copy per pipe)."""
    calls = [c for c in pipeline_module.modules.values() if c["source"] == "../push-pipe"]
    assert len(calls) == 1
    assert calls[0]["for_each"] == "${local.all_pipes}"
    assert "local.definition.pipes" in pipeline_module.locals["all_pipes"]
    assert "local.definition.watchdog" in pipeline_module.locals["all_pipes"]
    pushed = pipeline_module.resources_of("google_service_account")["push"]
    assert pushed["for_each"] == "${local.definition.pipes}"


SETTINGS = [
    "topic",
    "subscription",
    "ack_deadline_seconds",
    "max_delivery_attempts",
    "minimum_backoff",
    "maximum_backoff",
    "message_retention_duration",
]


@pytest.mark.parametrize("setting", SETTINGS)
def test_topic_settings_equal_the_definition(
    pipeline_module: Config, pipeline_definition: dict[str, Any], setting: str
) -> None:
    for pipe, (call, scope) in pipe_calls(pipeline_module, pipeline_definition).items():
        # Read from the definition, not a copy that happens to match today.
        assert call[setting] == f"${{each.value.{setting}}}", pipe
        assert scope.value(call[setting]) == pipeline_definition["pipes"][pipe][setting], pipe


def test_no_name_or_path_of_the_definition_is_copied_into_hcl(
    pipeline_definition: dict[str, Any],
) -> None:
    names = set()
    for pipe in pipeline_definition["pipes"].values():
        names |= {pipe["topic"], pipe["subscription"], pipe["dead_letter_topic"], pipe["push_path"]}
    for dlq in pipeline_definition["dead_letters"].values():
        names |= {dlq["subscription"], dlq["push_path"]}
    names |= {pipeline_definition["parked"]["topic"], pipeline_definition["parked"]["subscription"]}
    names.add(pipeline_definition["results_topic"])
    for tf in TERRAFORM.rglob("*.tf"):
        with tf.open(encoding="utf-8") as handle:
            literals = set(_strings(normalise(hcl2.load(handle))))
        assert not names & literals, f"{tf}: {sorted(names & literals)} copied from pipeline.json"


def test_dead_letter_settings_equal_the_definition(
    pipeline_module: Config, pipeline_definition: dict[str, Any]
) -> None:
    for pipe, (call, scope) in pipe_calls(pipeline_module, pipeline_definition).items():
        dlq_topic = pipeline_definition["pipes"][pipe]["dead_letter_topic"]
        dlq = pipeline_definition["dead_letters"][dlq_topic]
        signer = call["dead_letter"]["service_account_email"]
        got = {
            k: scope.value(v)
            for k, v in call["dead_letter"].items()
            if k != "service_account_email"
        }
        # Status pushes go to ingest, signed by the one identity ingest trusts.
        assert signer == "${local.push_emails[local.pipe_for.ingest]}"
        assert got["topic"] == dlq_topic
        assert got["subscription"] == dlq["subscription"]
        assert got["ack_deadline_seconds"] == dlq["ack_deadline_seconds"]
        assert got["max_delivery_attempts"] == dlq["max_delivery_attempts"]
        assert got["push_endpoint"] == f"<module.{dlq['service']}.uri>{dlq['push_path']}"
        # Every pipe parks on the one parking topic.
        assert got["parking_topic_id"] == "<module.parking.topic_id>"


PARKED_SETTINGS = ["topic", "subscription", "message_retention_duration"]


@pytest.mark.parametrize("setting", PARKED_SETTINGS)
def test_parked_settings_equal_the_definition(
    pipeline_module: Config, pipeline_definition: dict[str, Any], setting: str
) -> None:
    calls = [c for c in pipeline_module.modules.values() if c["source"] == "../parking"]
    assert len(calls) == 1, "one parking topic per environment"
    assert calls[0]["name_prefix"] == "${local.prefix}-"
    assert pipeline_module.locals["parked"] == "${local.definition.parked}"
    assert calls[0][setting] == f"${{local.parked.{setting}}}"
    scope = Scope(pipeline_module)
    assert scope.value(calls[0][setting]) == pipeline_definition["parked"][setting]


def test_the_parking_module_holds_what_it_is_given() -> None:
    topic = PARKING.resources_of("google_pubsub_topic")["parked"]
    assert topic["name"] == "${var.name_prefix}${var.topic}"
    hold = PARKING.resources_of("google_pubsub_subscription")["hold"]
    assert hold["name"] == "${var.name_prefix}${var.subscription}"
    assert hold["topic"] == "${google_pubsub_topic.parked.id}"
    assert hold["message_retention_duration"] == "${var.message_retention_duration}"
    # Pulled by a person, never pushed on; kept even once acknowledged, and
    # never expiring while nothing is parked.
    assert "push_config" not in hold
    assert hold["retain_acked_messages"] is True
    assert hold["expiration_policy"][0]["ttl"] == ""


def test_each_pipe_pushes_to_its_service_path(
    pipeline_module: Config, pipeline_definition: dict[str, Any]
) -> None:
    for pipe, (call, scope) in pipe_calls(pipeline_module, pipeline_definition).items():
        spec = pipeline_definition["pipes"][pipe]
        push = {k: scope.value(v) for k, v in call["push"].items()}
        assert push["endpoint"] == f"<module.{spec['service']}.uri>{spec['push_path']}"
        service = pipeline_module.modules[spec["service"]]
        assert push["audience"] == scope.value(service["audience"])
        # The service trusts exactly the identity that signs this pipe's pushes
        # (the planned members are checked in tests/terraform/offline).
        assert service["invoker_members"] == {
            f"${{(local.pipe_for.{spec['service']})}}": (
                f"serviceAccount:${{local.push_emails[local.pipe_for.{spec['service']}]}}"
            )
        }
        assert (
            call["push_service_account"]["email"] == "${local.push_emails[local.signer[each.key]]}"
        )


def test_the_push_pipe_applies_its_inputs_unchanged() -> None:
    sub = PUSH_PIPE.resources_of("google_pubsub_subscription")["push"]
    assert sub["ack_deadline_seconds"] == "${var.ack_deadline_seconds}"
    assert sub["message_retention_duration"] == "${var.message_retention_duration}"
    assert sub["retry_policy"][0] == {
        "minimum_backoff": "${var.minimum_backoff}",
        "maximum_backoff": "${var.maximum_backoff}",
    }
    assert sub["dead_letter_policy"][0]["max_delivery_attempts"] == "${var.max_delivery_attempts}"
    assert sub["name"] == "${var.name_prefix}${var.subscription}"
    topic = PUSH_PIPE.resources_of("google_pubsub_topic")["topic"]
    assert topic["name"] == "${var.name_prefix}${var.topic}"
    dlq = PUSH_PIPE.resources_of("google_pubsub_subscription")["dead_letter"]
    assert dlq["ack_deadline_seconds"] == "${var.dead_letter.ack_deadline_seconds}"
    assert dlq["name"] == "${var.name_prefix}${var.dead_letter.subscription}"


def test_results_topic_comes_from_the_definition(
    pipeline_module: Config, pipeline_definition: dict[str, Any]
) -> None:
    scope = Scope(pipeline_module)
    topic = pipeline_module.resources_of("google_pubsub_topic")["results"]
    assert (
        scope.value(topic["name"])
        == f"dropcast-<var.environment>-{pipeline_definition['results_topic']}"
    )


def all_resources() -> list[tuple[Config, str, str, dict[str, Any]]]:
    found = []
    for path in terraform_dirs():
        config = parse_dir(path)
        for kind, named in config.resources.items():
            found += [(config, kind, name, body) for name, body in named.items()]
    return found


RESOURCES = all_resources()


SUBSCRIPTIONS = [(c, n, b) for c, k, n, b in RESOURCES if k == "google_pubsub_subscription"]


def test_every_push_subscription_has_oidc_and_a_dead_letter_policy() -> None:
    pushes = [(c, n, b) for c, n, b in SUBSCRIPTIONS if "push_config" in b]
    assert {(c.name, n) for c, n, _ in pushes} == {
        ("modules/push-pipe", "push"),
        ("modules/push-pipe", "dead_letter"),
    }
    for config, name, body in pushes:
        token = body["push_config"][0].get("oidc_token")
        assert token, f"{config.name}: {name} pushes without an OIDC token"
        assert token[0]["service_account_email"]
        assert token[0]["audience"]
        policy = body.get("dead_letter_policy")
        assert policy, f"{config.name}: {name} pushes without a dead-letter policy"
        assert policy[0]["dead_letter_topic"]
        assert policy[0]["max_delivery_attempts"]
        assert body["expiration_policy"][0]["ttl"] == "", "idle subscriptions must not expire"
        assert body.get("retry_policy"), f"{config.name}: {name} retries without backoff"


def test_the_only_pull_subscription_is_the_parking_hold() -> None:
    pulls = [(c.name, n) for c, n, b in SUBSCRIPTIONS if "push_config" not in b]
    assert pulls == [("modules/parking", "hold")]


def test_every_pipe_subscription_dead_letters_to_its_own_topic() -> None:
    sub = PUSH_PIPE.resources_of("google_pubsub_subscription")["push"]
    policy = sub["dead_letter_policy"][0]
    assert policy["dead_letter_topic"] == "${google_pubsub_topic.dead_letter.id}"


def test_the_status_subscription_parks_what_it_cannot_deliver() -> None:
    status = PUSH_PIPE.resources_of("google_pubsub_subscription")["dead_letter"]
    assert status["topic"] == "${google_pubsub_topic.dead_letter.id}"
    assert status["dead_letter_policy"][0] == {
        "dead_letter_topic": "${var.dead_letter.parking_topic_id}",
        "max_delivery_attempts": "${var.dead_letter.max_delivery_attempts}",
    }
    assert status["message_retention_duration"] == "${var.message_retention_duration}"
    assert status["retry_policy"][0]["maximum_backoff"] == "${var.maximum_backoff}"


def test_the_pubsub_agent_may_park_messages() -> None:
    grants = PARKING.resources_of("google_pubsub_topic_iam_member")
    assert list(grants) == ["agent_publisher"]
    grant = grants["agent_publisher"]
    assert (grant["topic"], grant["role"], grant["member"]) == (
        "${google_pubsub_topic.parked.name}",
        "roles/pubsub.publisher",
        PUBSUB_AGENT,
    )
    # Status subscriptions get the topic id only once the grant exists.
    output = PARKING.outputs["topic_id"]
    assert output["value"] == "${google_pubsub_topic.parked.id}"
    assert output["depends_on"] == ["${google_pubsub_topic_iam_member.agent_publisher}"]


def test_the_pubsub_agent_can_run_the_dead_letter_policy() -> None:
    agent = "${local.pubsub_agent}"
    publisher = PUSH_PIPE.resources_of("google_pubsub_topic_iam_member")["dead_letter_publisher"]
    assert (publisher["topic"], publisher["role"], publisher["member"]) == (
        "${google_pubsub_topic.dead_letter.name}",
        "roles/pubsub.publisher",
        agent,
    )
    subscriber = PUSH_PIPE.resources_of("google_pubsub_subscription_iam_member")
    sub = subscriber["source_subscriber"]
    assert (sub["subscription"], sub["role"], sub["member"]) == (
        "${google_pubsub_subscription.push.name}",
        "roles/pubsub.subscriber",
        agent,
    )
    status = subscriber["status_subscriber"]
    assert (status["subscription"], status["role"], status["member"]) == (
        "${google_pubsub_subscription.dead_letter.name}",
        "roles/pubsub.subscriber",
        agent,
    )
    assert PUSH_PIPE.locals["pubsub_agent"] == PUBSUB_AGENT


def test_notifications_are_object_finalize_json_api_v1() -> None:
    notes = [(c, b) for c, k, _, b in RESOURCES if k == "google_storage_notification"]
    assert notes
    for config, body in notes:
        assert body["event_types"] == ["OBJECT_FINALIZE"], config.name
        assert body["payload_format"] == "JSON_API_V1", config.name
        assert body["depends_on"] == ["${google_pubsub_topic_iam_member.storage_agent_publisher}"]
    grant = NOTIFICATION.resources_of("google_pubsub_topic_iam_member")["storage_agent_publisher"]
    assert grant["role"] == "roles/pubsub.publisher"
    assert grant["topic"] == "${var.topic_id}"
    assert "google_storage_project_service_account" in grant["member"]


def test_uploads_to_the_input_bucket_notify_the_uploads_topic(
    pipeline_module: Config, pipeline_definition: dict[str, Any]
) -> None:
    calls = [
        c for c in pipeline_module.modules.values() if c["source"] == "../storage-notification"
    ]
    assert len(calls) == 1
    assert calls[0]["bucket"] == "${module.buckets.input}"
    assert calls[0]["topic_id"] == "${module.pipe[local.pipe_for.ingest].topic_id}"
    uploads = next(
        name for name, spec in pipeline_definition["pipes"].items() if spec["topic"] == "uploads"
    )
    assert pipeline_definition["pipes"][uploads]["service"] == "ingest"


def test_request_timeouts_are_below_every_ack_deadline_they_serve(
    pipeline_definition: dict[str, Any],
) -> None:
    timeouts = {n: s["request_timeout_seconds"] for n, s in pipeline_definition["services"].items()}
    pushes = [*pipeline_definition["pipes"].values(), *pipeline_definition["dead_letters"].values()]
    assert pushes
    for push in pushes:
        assert timeouts[push["service"]] < push["ack_deadline_seconds"], push


def test_services_take_their_timeouts_from_the_definition(
    pipeline_module: Config, pipeline_definition: dict[str, Any]
) -> None:
    scope = Scope(pipeline_module)
    assert "local.definition.services" in pipeline_module.locals["timeouts"]
    assert "request_timeout_seconds" in pipeline_module.locals["timeouts"]
    for service in pipeline_definition["services"]:
        call = pipeline_module.modules[service]
        assert call["request_timeout_seconds"] == f"${{local.timeouts.{service}}}"
        assert scope.value(call["name"]) == f"dropcast-<var.environment>-{service}"
    template = CLOUD_RUN.resources_of("google_cloud_run_v2_service")["service"]["template"][0]
    assert template["timeout"] == "${var.request_timeout_seconds}s"
    # ...and the plan itself refuses a definition that breaks the rule.
    contract = pipeline_module.resources_of("terraform_data")["definition_contract"]
    conditions = [p["condition"] for p in contract["lifecycle"][0]["precondition"]]
    assert any("local.timeouts[p.service] < p.ack" in c for c in conditions)


def test_cloud_run_is_internal_probed_and_named_after_its_version() -> None:
    service = CLOUD_RUN.resources_of("google_cloud_run_v2_service")["service"]
    assert service["ingress"] == "${var.ingress}"
    assert CLOUD_RUN.variables["ingress"]["default"] == "INGRESS_TRAFFIC_INTERNAL_ONLY"
    template = service["template"][0]
    assert template["revision"] == "${local.revision}"
    assert CLOUD_RUN.locals["revision"] == "${var.name}-${var.revision_suffix}"
    assert template["service_account"] == "${google_service_account.run.email}"
    assert template["max_instance_request_concurrency"] == "${var.concurrency}"
    container = template["containers"][0]
    assert container["image"] == "${var.image}"
    assert container["resources"][0]["limits"] == {"cpu": "${var.cpu}", "memory": "${var.memory}"}
    probe = container["startup_probe"][0]["http_get"][0]
    assert probe["path"] == "${var.startup_probe_path}"
    assert CLOUD_RUN.variables["startup_probe_path"]["default"] == "/healthz"
    traffic = service["dynamic"][0]["traffic"]["content"][0]
    assert traffic["type"] == "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION"
    assert traffic["tag"] == "${traffic.value.tag}"
    assert traffic["revision"] == "${traffic.value.revision}"


def test_no_service_overrides_internal_ingress(pipeline_module: Config) -> None:
    for name, call in pipeline_module.modules.items():
        if call["source"] == "../cloud-run-service":
            assert "ingress" not in call, f"{name} must keep internal ingress"


def test_images_are_validated_to_be_pinned_by_digest() -> None:
    conditions = " ".join(v["condition"] for v in CLOUD_RUN.variables["image"]["validation"])
    assert "@sha256:[0-9a-f]{64}$" in conditions
    assert ':latest"' in conditions


def _strings(value: Any, *, skip: frozenset[str] = frozenset({"validation"})) -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() if k not in skip for s in _strings(v, skip=skip)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v, skip=skip)]
    return [value] if isinstance(value, str) else []


def test_nothing_is_public_and_nothing_is_project_wide() -> None:
    iam = [(c, k, n, b) for c, k, n, b in RESOURCES if "_iam_" in k]
    assert len(iam) >= 8
    for config, kind, name, body in iam:
        assert kind.endswith("_iam_member"), f"{config.name}: {kind}.{name} must be additive"
        assert not kind.startswith(
            ("google_project_iam", "google_organization_iam", "google_folder_iam")
        )
        members = _strings({k: body.get(k) for k in ("member", "members")})
        assert members
        for member in members:
            assert "allUsers" not in member
            assert "allAuthenticatedUsers" not in member
        assert body["role"] not in ("roles/owner", "roles/editor", "roles/viewer")
    pipeline = parse_dir(TERRAFORM / "modules/pipeline")
    for grant in _strings(pipeline.locals["bucket_grants"]):
        assert "allUsers" not in grant
        assert "allAuthenticatedUsers" not in grant
        assert grant not in ("roles/owner", "roles/editor", "roles/storage.admin")


def test_buckets_are_private_uniform_and_versioned_where_data_lives() -> None:
    buckets = parse_dir(TERRAFORM / "modules/buckets")
    bucket = buckets.resources_of("google_storage_bucket")["bucket"]
    assert bucket["uniform_bucket_level_access"] is True
    assert bucket["public_access_prevention"] == "enforced"
    assert buckets.locals["buckets"] == {
        "input": {"versioned": True},
        "output": {"versioned": True},
        "staging": {"versioned": False},
    }
    rules = {r["lifecycle_rule"]["for_each"]: r for r in bucket["dynamic"]}
    assert "${each.value.versioned ? [] : [var.staging_expiry_days]}" in rules


def _text_without_validations(path: Path) -> str:
    with path.open(encoding="utf-8") as handle:
        return json.dumps(_strings(normalise(hcl2.load(handle))))


def test_latest_is_never_deployed() -> None:
    texts = {p: _text_without_validations(p) for p in TERRAFORM.rglob("*.tf")}
    texts.update({p: p.read_text(encoding="utf-8") for p in TERRAFORM.rglob("*.tfvars")})
    for extra in ("cloudbuild.yaml", "releases/dev.json", "releases/prod.json"):
        texts[ROOT / extra] = (ROOT / extra).read_text(encoding="utf-8")
    assert len(texts) > 20
    for path, text in texts.items():
        assert ":latest" not in text, path
