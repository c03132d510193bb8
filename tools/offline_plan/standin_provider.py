# ruff: noqa: N802, ARG002
# (method names and arguments are fixed by the gRPC plugin protocol)
"""A stand-in for the Google provider plugin: the real schema, no API calls.

Terraform runs it as ``terraform-provider-google`` from a filesystem mirror.
It serves the schema that ``cdktf_schema`` rebuilt (path in
``DROPCAST_STANDIN_SCHEMA``) over the plugin protocol, implemented by the
PyPI package ``tf`` (handshake, TLS and gRPC). Planning behaves as the
provider does for a resource that does not exist yet: every computed
attribute the configuration leaves unset is unknown until apply, so
``for_each`` over a service account's email fails here exactly as it does
against Google. Data sources answer with placeholders (a fixed project
number). Nothing is ever applied: ApplyResourceChange refuses.

Runs in its own virtual environment (``tf`` pins protobuf < 6, the
workspace uses 7), started by Terraform, never imported by the workspace.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import msgpack
from tf import provider as tf_provider
from tf import runner
from tf.gen import tfplugin_pb2 as pb
from tf.gen import tfplugin_pb2_grpc as rpc

SOURCE = "registry.terraform.io/hashicorp/google"
UNKNOWN = msgpack.ExtType(0, b"\x00")
PROJECT_NUMBER = "100000000001"
NESTING = {"single": 1, "list": 2, "set": 3, "map": 4, "group": 5}


def _unknown_hook(code: int, data: bytes) -> Any:
    return UNKNOWN if code == 0 else msgpack.ExtType(code, data)


def decode(value: pb.DynamicValue) -> Any:
    if value.msgpack:
        return msgpack.unpackb(value.msgpack, ext_hook=_unknown_hook, strict_map_key=False)
    if value.json:
        return json.loads(value.json)
    return None


def encode(value: Any) -> pb.DynamicValue:
    return pb.DynamicValue(msgpack=msgpack.packb(value))


def schema_pb(schema: dict[str, Any]) -> pb.Schema:
    return pb.Schema(version=schema.get("version", 0), block=block_pb(schema["block"]))


def block_pb(block: dict[str, Any]) -> pb.Schema.Block:
    attributes = [
        pb.Schema.Attribute(
            name=name,
            type=json.dumps(attr["type"]).encode(),
            required=attr.get("required", False),
            optional=attr.get("optional", False),
            computed=attr.get("computed", False),
            sensitive=attr.get("sensitive", False),
        )
        for name, attr in sorted(block.get("attributes", {}).items())
    ]
    nested = [
        pb.Schema.NestedBlock(
            type_name=name,
            block=block_pb(spec["block"]),
            nesting=NESTING[spec["nesting_mode"]],
            min_items=spec.get("min_items", 0),
            max_items=spec.get("max_items", 0),
        )
        for name, spec in sorted(block.get("block_types", {}).items())
    ]
    return pb.Schema.Block(attributes=attributes, block_types=nested)


def plan_new(block: dict[str, Any], value: dict[str, Any] | None) -> dict[str, Any] | None:
    """A create plan: computed attributes left unset become unknown, recursively."""
    if value is None:
        return None
    planned = dict(value)
    for name, attr in block.get("attributes", {}).items():
        if attr.get("computed") and planned.get(name) is None:
            planned[name] = UNKNOWN
    for name, spec in block.get("block_types", {}).items():
        inner = planned.get(name)
        if inner is None or inner is UNKNOWN:
            continue
        if spec["nesting_mode"] in ("single", "group"):
            planned[name] = plan_new(spec["block"], inner)
        elif spec["nesting_mode"] == "map":
            planned[name] = {k: plan_new(spec["block"], v) for k, v in inner.items()}
        else:
            planned[name] = [plan_new(spec["block"], v) for v in inner]
    return planned


def complete(block: dict[str, Any], value: dict[str, Any]) -> dict[str, Any]:
    """A stored object with every attribute and block of the schema (absent ones null)."""
    done = dict(value)
    for name in block.get("attributes", {}):
        done.setdefault(name, None)
    for name, spec in block.get("block_types", {}).items():
        inner = done.get(name)
        if spec["nesting_mode"] in ("single", "group"):
            done[name] = None if inner is None else complete(spec["block"], inner)
        elif spec["nesting_mode"] == "map":
            done[name] = {k: complete(spec["block"], v) for k, v in (inner or {}).items()}
        else:
            done[name] = [complete(spec["block"], v) for v in (inner or [])]
    return done


def placeholder(cty: Any, name: str) -> Any:
    """A known value for a computed data-source attribute (data must be known at plan)."""
    if cty == "string":
        return PROJECT_NUMBER if name == "number" else f"standin-{name}"
    if cty == "number":
        return 0
    if cty == "bool":
        return False
    if isinstance(cty, list) and cty[0] in ("list", "set"):
        return []
    if isinstance(cty, list) and cty[0] == "map":
        return {}
    return None


def read_data(block: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    state = dict(config)
    for name, attr in block.get("attributes", {}).items():
        if state.get(name) is None and attr.get("computed"):
            state[name] = placeholder(attr["type"], name)
    return state


class StandIn(rpc.ProviderServicer):
    """The plugin protocol, answered from the schema alone."""

    def __init__(self, schema: dict[str, Any]) -> None:
        body = schema["provider_schemas"][SOURCE]
        self.resources: dict[str, Any] = body["resource_schemas"]
        self.data_sources: dict[str, Any] = body["data_source_schemas"]
        self.provider = body["provider"]

    def GetMetadata(self, request: Any, context: Any) -> Any:
        return pb.GetMetadata.Response(
            server_capabilities=pb.ServerCapabilities(plan_destroy=True),
            resources=[pb.GetMetadata.ResourceMetadata(type_name=n) for n in self.resources],
            data_sources=[
                pb.GetMetadata.DataSourceMetadata(type_name=n) for n in self.data_sources
            ],
        )

    def GetProviderSchema(self, request: Any, context: Any) -> Any:
        return pb.GetProviderSchema.Response(
            provider=schema_pb(self.provider),
            provider_meta=pb.Schema(block=pb.Schema.Block()),
            resource_schemas={n: schema_pb(s) for n, s in self.resources.items()},
            data_source_schemas={n: schema_pb(s) for n, s in self.data_sources.items()},
            server_capabilities=pb.ServerCapabilities(plan_destroy=True),
        )

    def ValidateProviderConfig(self, request: Any, context: Any) -> Any:
        return pb.ValidateProviderConfig.Response()

    def ValidateResourceConfig(self, request: Any, context: Any) -> Any:
        return pb.ValidateResourceConfig.Response()

    def ValidateDataResourceConfig(self, request: Any, context: Any) -> Any:
        return pb.ValidateDataResourceConfig.Response()

    def ConfigureProvider(self, request: Any, context: Any) -> Any:
        return pb.ConfigureProvider.Response()

    def UpgradeResourceState(self, request: Any, context: Any) -> Any:
        # State written by hand (tests seed one) may omit what is null.
        state = json.loads(request.raw_state.json or b"null")
        if state is not None:
            state = complete(self.resources[request.type_name]["block"], state)
        return pb.UpgradeResourceState.Response(upgraded_state=encode(state))

    def ReadResource(self, request: Any, context: Any) -> Any:
        return pb.ReadResource.Response(new_state=request.current_state, private=request.private)

    def PlanResourceChange(self, request: Any, context: Any) -> Any:
        prior = decode(request.prior_state)
        proposed = decode(request.proposed_new_state)
        if proposed is None or prior is not None:
            # Deletes and updates: Terraform's proposal is the plan.
            return pb.PlanResourceChange.Response(planned_state=request.proposed_new_state)
        block = self.resources[request.type_name]["block"]
        return pb.PlanResourceChange.Response(planned_state=encode(plan_new(block, proposed)))

    def ApplyResourceChange(self, request: Any, context: Any) -> Any:
        error = pb.Diagnostic(
            severity=pb.Diagnostic.ERROR,
            summary="The stand-in provider only plans",
            detail="It serves the Google provider's schema offline; apply against a real project.",
        )
        return pb.ApplyResourceChange.Response(diagnostics=[error])

    def ReadDataSource(self, request: Any, context: Any) -> Any:
        block = self.data_sources[request.type_name]["block"]
        state = read_data(block, decode(request.config) or {})
        return pb.ReadDataSource.Response(state=encode(state))

    def GetFunctions(self, request: Any, context: Any) -> Any:
        return pb.GetFunctions.Response()

    def StopProvider(self, request: Any, context: Any) -> Any:
        return pb.StopProvider.Response()


class _Name:
    """What ``tf.runner`` asks of a provider object besides the servicer."""

    def full_name(self) -> str:
        return SOURCE


def main() -> None:
    schema = json.loads(Path(os.environ["DROPCAST_STANDIN_SCHEMA"]).read_text(encoding="utf-8"))
    # tf.runner builds tf.provider.ProviderServicer(provider); serve ours instead.
    tf_provider.ProviderServicer = lambda _app: StandIn(schema)  # type: ignore[assignment,misc]
    runner.run_provider(_Name(), sys.argv)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
