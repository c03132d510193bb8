"""Reading ``terraform show -json`` plans, and the -var lists the deploy tool builds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dropcast_cli.deploy.plan import PLACEHOLDER, Plan
from dropcast_common import iam

PROJECT = "acme-forecasts"
REGION = "europe-west1"
DIGESTS = {"ingest_digest": "sha256:" + "a" * 64, "forecast_digest": "sha256:" + "b" * 64}


def var_args(plan: Plan) -> list[str]:
    """The -var list of the plan's terraform apply, placeholders filled as a run fills them."""
    (apply,) = [c for c in plan.commands if c.argv[:1] == ("terraform",) and "apply" in c.argv]
    args = [a for a in apply.render(DIGESTS) if a.startswith("-var=")]
    assert not any(PLACEHOLDER.search(a) for a in args), args
    return args


def resources(shown: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every resource change that creates or updates something."""
    for change in shown.get("resource_changes", []):
        if change["change"]["actions"] != ["delete"]:
            yield change


def of_type(shown: dict[str, Any], type_: str) -> list[dict[str, Any]]:
    return [c for c in resources(shown) if c["type"] == type_]


def by_address(shown: dict[str, Any], address: str) -> dict[str, Any]:
    (found,) = [c for c in resources(shown) if c["address"] == address]
    return found


def service(shown: dict[str, Any], name: str) -> dict[str, Any]:
    """The planned values of one Cloud Run service (ingest or forecast)."""
    address = f"module.pipeline.module.{name}.google_cloud_run_v2_service.service"
    return dict(by_address(shown, address)["change"]["after"])


def runtime_member(environment: str, service_name: str) -> str:
    return f"serviceAccount:dropcast-{environment}-{service_name}@{PROJECT}.iam.gserviceaccount.com"


def planned_grants(shown: dict[str, Any], environment: str) -> dict[str, dict[str, set[str]]]:
    """Roles the plan grants each runtime identity, by resource (bucket:<role>, topic:<role>)."""
    buckets = {f"{PROJECT}-dropcast-{environment}-{role}": role for role in iam.BUCKETS}
    topics = {f"dropcast-{environment}-{topic}": topic for topic in iam.TOPICS}
    members = {runtime_member(environment, s): s for s in iam.SERVICES}
    grants: dict[str, dict[str, set[str]]] = {s: {} for s in iam.SERVICES}
    for change in of_type(shown, "google_storage_bucket_iam_member"):
        after = change["change"]["after"]
        if after["member"] in members:
            key = f"bucket:{buckets.get(after['bucket'], after['bucket'])}"
            grants[members[after["member"]]].setdefault(key, set()).add(after["role"])
    for change in of_type(shown, "google_pubsub_topic_iam_member"):
        after = change["change"]["after"]
        if after["member"] in members:
            key = f"topic:{topics.get(after['topic'], after['topic'])}"
            grants[members[after["member"]]].setdefault(key, set()).add(after["role"])
    return grants


def contract_violations(
    shown: dict[str, Any], environment: str, definition: dict[str, Any] | None = None
) -> list[str]:
    """Where the plan grants a service less (a 403) or more (not least privilege) than its calls."""
    problems: list[str] = []
    planned = planned_grants(shown, environment)
    table = iam.role_permissions()
    for name in iam.SERVICES:
        need, want = iam.needed(name, definition), iam.required_grants(name, definition)
        have = planned[name]
        for resource in sorted(set(need) | set(have)):
            got = have.get(resource, set())
            granted = frozenset().union(*(table.get(r, frozenset()) for r in got))
            missing = need.get(resource, frozenset()) - granted
            if missing:
                problems.append(
                    f"{name}: {resource} lacks {', '.join(sorted(missing))}"
                    " (its calls would get 403)"
                )
            for role in sorted(got - set(want.get(resource, ()))):
                least = ", ".join(sorted(want.get(resource, ()))) or "nothing"
                problems.append(
                    f"{name}: {resource} has {role}, more than its calls need (least: {least})"
                )
    return problems
