"""Push authentication: only the push subscription's own token gets a request processed.

Every refusal is checked to happen before the body is touched: the handler
spy is never called, nothing is published or written, and a body that
would be a 400 if parsed still gets the 401/403.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError

from dropcast_common.messages import OutputLocation, Shard, SourceObject, WorkMessage
from dropcast_common.params import Params
from dropcast_common.testing import (
    InMemoryBlobStore,
    RecordingPublisher,
    push_body,
    storage_push_body,
)
from dropcast_forecast import api as forecast_api
from dropcast_forecast.bootstrap import ForecastDeps
from dropcast_forecast.config import ForecastSettings
from dropcast_forecast.main import create_app as create_forecast
from dropcast_ingest import api as ingest_api
from dropcast_ingest.bootstrap import IngestDeps
from dropcast_ingest.config import IngestSettings
from dropcast_ingest.main import create_app as create_ingest

if TYPE_CHECKING:
    from tests.security.conftest import CertServer, Mint, SigningKey

AUDIENCE = "https://ingest.example.run.app/push/uploads"
PUSH_ACCOUNT = "push-uploads@dropcast-test.iam.gserviceaccount.com"


@dataclass
class Service:
    """One service under test, with a spy in place of its handler."""

    client: TestClient
    route: str
    body: dict[str, Any]
    store: InMemoryBlobStore
    publisher: RecordingPublisher
    calls: list[Any] = field(default_factory=list)

    def post(self, token: str | None = None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        headers.update(kwargs.pop("headers", {}))
        if "content" not in kwargs:
            kwargs["json"] = self.body
        return self.client.post(self.route, headers=headers, **kwargs)

    def assert_untouched(self) -> None:
        assert self.calls == []
        assert self.publisher.messages == []
        assert self.store.writes == []


def _settings(cls: Any, certs_url: str, **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "input_bucket": "in",
        "staging_bucket": "stage",
        "output_bucket": "out",
        "push_auth": True,
        "push_audience": AUDIENCE,
        "push_service_account": PUSH_ACCOUNT,
        "push_certs_url": certs_url,
        "push_clock_skew_seconds": 30,
    }
    values.update(overrides)
    return cls(**values)


def _work_body() -> dict[str, Any]:
    message = WorkMessage(
        job_id="j1",
        source=SourceObject(bucket="in", name="a.csv", generation=1),
        shard=Shard(index=0, count=1, uri="gs://stage/jobs/j1/shard-00000.parquet"),
        params=Params(),
        output=OutputLocation(bucket="out", stem="a"),
        staging_bucket="stage",
    )
    return push_body(message.to_bytes())


def _build(
    name: str, certs_url: str, monkeypatch: pytest.MonkeyPatch, **overrides: Any
) -> Iterator[Service]:
    store, publisher = InMemoryBlobStore(), RecordingPublisher()
    app: FastAPI
    if name == "ingest":
        app = create_ingest(
            IngestDeps(_settings(IngestSettings, certs_url, **overrides), store, publisher)
        )
        service = Service(
            TestClient(app), "/push/uploads", storage_push_body("in", "a.csv", 1), store, publisher
        )
        monkeypatch.setattr(ingest_api, "handle_upload", lambda *a: service.calls.append(a))
    else:
        app = create_forecast(
            ForecastDeps(_settings(ForecastSettings, certs_url, **overrides), store, publisher)
        )
        service = Service(TestClient(app), "/push/work", _work_body(), store, publisher)
        monkeypatch.setattr(forecast_api, "handle_work", lambda *a: service.calls.append(a))
    with service.client:
        yield service


@pytest.fixture(params=["ingest", "forecast"])
def service(
    request: pytest.FixtureRequest, cert_server: CertServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Service]:
    yield from _build(request.param, cert_server.url, monkeypatch)


def test_valid_token_is_accepted_and_processed(service: Service, mint: Mint) -> None:
    response = service.post(mint())
    assert response.status_code == 204
    assert len(service.calls) == 1


def test_issuer_without_scheme_is_accepted(service: Service, mint: Mint) -> None:
    assert service.post(mint(iss="accounts.google.com")).status_code == 204


def test_missing_header_is_401_with_challenge(service: Service) -> None:
    response = service.post()
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"] == "unauthenticated"
    service.assert_untouched()


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"aud": "https://someone-else.run.app/push"}, id="wrong-audience"),
        pytest.param({"aud": None}, id="no-audience"),
        pytest.param(
            {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, id="expired"
        ),
        pytest.param({"exp": int(time.time()) - 120}, id="expired-beyond-skew"),
        pytest.param({"iat": int(time.time()) + 3600}, id="issued-in-future"),
        pytest.param({"exp": None}, id="no-expiry"),
        pytest.param({"iss": "https://evil.example"}, id="wrong-issuer"),
    ],
)
def test_invalid_claims_are_401(service: Service, mint: Mint, overrides: dict[str, Any]) -> None:
    response = service.post(mint(**overrides))
    assert response.status_code == 401
    service.assert_untouched()


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"email": "attacker@evil.iam.gserviceaccount.com"}, id="wrong-email"),
        pytest.param({"email": None}, id="no-email"),
        pytest.param({"email_verified": False}, id="unverified-email"),
        pytest.param({"email_verified": "true"}, id="verified-as-string"),
        pytest.param({"email_verified": None}, id="no-email-verified"),
    ],
)
def test_valid_token_of_someone_else_is_403(
    service: Service, mint: Mint, overrides: dict[str, Any]
) -> None:
    response = service.post(mint(**overrides))
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    service.assert_untouched()


def test_small_clock_skew_is_tolerated(service: Service, mint: Mint) -> None:
    # Expired 10 s ago, skew allowance 30 s: Cloud Run and Google clocks differ slightly.
    assert service.post(mint(exp=int(time.time()) - 10)).status_code == 204


def test_bad_signature_is_401(service: Service, mint: Mint, other_key: SigningKey) -> None:
    # Same key id as the published certificate, different private key.
    response = service.post(mint(key=other_key))
    assert response.status_code == 401
    service.assert_untouched()


def test_tampered_payload_is_401(service: Service, mint: Mint) -> None:
    header, payload, signature = mint().split(".")
    forged = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged["email"] = "attacker@evil.example"
    payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    assert service.post(f"{header}.{payload}.{signature}").status_code == 401
    service.assert_untouched()


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_algorithm_confusion_is_401(service: Service, signing_key: SigningKey) -> None:
    # HS256 "signed" with the public certificate as the secret, and an unsigned token.
    head = _b64({"alg": "HS256", "kid": signing_key.key_id, "typ": "JWT"})
    body = _b64({"iss": "accounts.google.com", "aud": AUDIENCE, "email": PUSH_ACCOUNT})
    mac = hmac.new(signing_key.cert_pem.encode(), f"{head}.{body}".encode(), hashlib.sha256)
    sig = base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()
    assert service.post(f"{head}.{body}.{sig}").status_code == 401
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{body}."
    assert service.post(unsigned).status_code == 401
    service.assert_untouched()


@pytest.mark.parametrize(
    "authorization",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer not-a-jwt", "Bearer a.b.c", "Bearer ...", "token"],
)
def test_malformed_authorization_is_401(service: Service, authorization: str) -> None:
    response = service.post(headers={"Authorization": authorization})
    assert response.status_code == 401
    service.assert_untouched()


def test_refusal_happens_before_the_body_is_read(service: Service, mint: Mint) -> None:
    # Unauthenticated garbage would be a 400 if the body were parsed first.
    assert service.post(content=b"not json at all").status_code == 401
    wrong = mint(email="attacker@evil.example")
    assert service.post(wrong, content=b"not json at all").status_code == 403
    service.assert_untouched()


def _past_max_age(cert_server: CertServer) -> None:
    """Wait until the cached certificates are stale (the fixture's server said max-age=1)."""
    # A floor, not a race: any wait longer than max-age makes them stale, however busy.
    time.sleep(cert_server.max_age + 1.1)


@pytest.fixture
def short_lived_certs(cert_server: CertServer) -> CertServer:
    """The certificate endpoint, answering max-age=1 (Google's says hours)."""
    cert_server.max_age = 1
    return cert_server


def test_unknown_key_id_is_401_and_causes_no_fetch(
    service: Service, mint: Mint, cert_server: CertServer, new_key: Callable[[str], SigningKey]
) -> None:
    stranger = new_key("never-published")
    assert service.post(mint()).status_code == 204
    for _ in range(5):
        assert service.post(mint(key=stranger)).status_code == 401
    # Forged key ids can't turn requests into calls to the certificate endpoint.
    assert cert_server.fetches == 1
    assert len(service.calls) == 1


def test_certificates_are_cached(service: Service, mint: Mint, cert_server: CertServer) -> None:
    for _ in range(4):
        assert service.post(mint()).status_code == 204
    assert cert_server.fetches == 1


def test_rotated_key_is_picked_up_with_the_next_refresh(
    service: Service,
    mint: Mint,
    short_lived_certs: CertServer,
    new_key: Callable[[str], SigningKey],
) -> None:
    assert service.post(mint()).status_code == 204
    rotated = new_key("rotated-in")
    short_lived_certs.certs[rotated.key_id] = rotated.cert_pem
    _past_max_age(short_lived_certs)
    assert service.post(mint(key=rotated)).status_code == 204
    assert short_lived_certs.fetches == 2


def test_certificates_refetched_after_max_age(
    service: Service, mint: Mint, short_lived_certs: CertServer
) -> None:
    assert service.post(mint()).status_code == 204
    _past_max_age(short_lived_certs)
    # One request only: with max-age=1 a second one may already find them stale again.
    assert service.post(mint()).status_code == 204
    assert short_lived_certs.fetches == 2


def test_unreachable_certificate_endpoint_is_503_so_pubsub_retries(
    mint: Mint, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Port 9 on loopback (discard) has no listener: the fetch fails fast.
    for service in _build("ingest", "http://127.0.0.1:9/certs", monkeypatch):
        response = service.post(mint())
        assert response.status_code == 503
        service.assert_untouched()


def test_auth_off_needs_no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    for service in _build("ingest", "http://127.0.0.1:9/certs", monkeypatch, push_auth=False):
        assert service.post().status_code == 204
        assert len(service.calls) == 1


@pytest.mark.parametrize("missing", ["push_audience", "push_service_account"])
def test_auth_on_without_audience_or_account_refuses_to_start(missing: str) -> None:
    with pytest.raises(ValidationError, match="DROPCAST_PUSH_AUDIENCE"):
        _settings(IngestSettings, "http://127.0.0.1:9/certs", **{missing: ""})


def test_health_needs_no_token(service: Service) -> None:
    assert service.client.get("/healthz").status_code == 200


def test_push_routes_document_auth_responses(service: Service) -> None:
    operation = service.client.app.openapi()["paths"][service.route]["post"]  # type: ignore[attr-defined]
    assert {"401", "403"} <= set(operation["responses"])
    assert operation["security"] == [{"HTTPBearer": []}]
