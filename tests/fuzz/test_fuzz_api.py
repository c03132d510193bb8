"""Schemathesis against both services' OpenAPI, in process, with the fake adapters.

Every generated request must get a documented status (the push routes
declare theirs in ``dropcast_common.http.PUSH_RESPONSES``) with a matching
content type and body, and never a 5xx other than the documented 503.
Each service runs twice: push authentication off (bodies reach the
handlers) and on (the certificate endpoint is a closed loopback port, so
a well-formed token can only end in the documented 503).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict, Unpack

import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests.settings_support import BUCKETS

from dropcast_common.testing import InMemoryBlobStore, RecordingPublisher
from dropcast_forecast.bootstrap import ForecastDeps
from dropcast_forecast.config import ForecastSettings
from dropcast_forecast.main import create_app as create_forecast
from dropcast_ingest.bootstrap import IngestDeps
from dropcast_ingest.config import IngestSettings
from dropcast_ingest.main import create_app as create_ingest

if TYPE_CHECKING:
    from schemathesis.specs.openapi.schemas import OpenApiCase

pytestmark = pytest.mark.fuzz

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


class PushAuth(TypedDict, total=False):
    """The push-authentication settings, on or left at their defaults."""

    push_auth: bool
    push_audience: str
    push_service_account: str
    push_certs_url: str


AUTH: PushAuth = {
    "push_auth": True,
    "push_audience": "https://example.run.app/push",
    "push_service_account": "push@example.iam.gserviceaccount.com",
    "push_certs_url": "http://127.0.0.1:9/certs",
}


def _ingest(**extra: Unpack[PushAuth]) -> FastAPI:
    settings = IngestSettings(**BUCKETS, **extra)
    return create_ingest(IngestDeps(settings, InMemoryBlobStore(), RecordingPublisher()))


def _forecast(**extra: Unpack[PushAuth]) -> FastAPI:
    settings = ForecastSettings(**BUCKETS, **extra)
    return create_forecast(ForecastDeps(settings, InMemoryBlobStore(), RecordingPublisher()))


ingest = schemathesis.openapi.from_asgi("/openapi.json", _ingest())
ingest_auth = schemathesis.openapi.from_asgi("/openapi.json", _ingest(**AUTH))
forecast = schemathesis.openapi.from_asgi("/openapi.json", _forecast())
forecast_auth = schemathesis.openapi.from_asgi("/openapi.json", _forecast(**AUTH))


@ingest.parametrize()
def test_ingest_api(case: OpenApiCase) -> None:
    case.call_and_validate(checks=CHECKS)


@forecast.parametrize()
def test_forecast_api(case: OpenApiCase) -> None:
    case.call_and_validate(checks=CHECKS)


@ingest_auth.parametrize()
def test_ingest_api_with_push_auth(case: OpenApiCase) -> None:
    response = case.call()
    # 503 is documented (certificates unreachable); any other 5xx is a crash.
    assert response.status_code < 500 or response.status_code == 503, response.text
    case.validate_response(response, checks=CHECKS[1:])


@forecast_auth.parametrize()
def test_forecast_api_with_push_auth(case: OpenApiCase) -> None:
    response = case.call()
    # 503 is documented (certificates unreachable); any other 5xx is a crash.
    assert response.status_code < 500 or response.status_code == 503, response.text
    case.validate_response(response, checks=CHECKS[1:])
