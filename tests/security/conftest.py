"""Fixtures for the security tests: a local signing key and its certificates on loopback.

Tokens are signed with an RSA key generated for the test session and the
matching X.509 certificate is served, as Google's certificate endpoint
serves its own (``{key_id: PEM}`` with a Cache-Control max-age), by a tiny
HTTP server on 127.0.0.1 that each test module starts and stops.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.auth import crypt, jwt

AUDIENCE = "https://ingest.example.run.app/push/uploads"
PUSH_ACCOUNT = "push-uploads@dropcast-test.iam.gserviceaccount.com"
KEY_ID = "test-key-1"


@dataclass
class SigningKey:
    """An RSA key pair with the self-signed certificate that publishes its public half."""

    key_id: str
    private_pem: bytes
    cert_pem: str

    @classmethod
    def generate(cls, key_id: str) -> SigningKey:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, key_id)])
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1))
            .sign(key, hashes.SHA256())
        )
        private_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return cls(key_id, private_pem, cert.public_bytes(serialization.Encoding.PEM).decode())


@dataclass
class CertServer:
    """Serves ``{key_id: cert_pem}`` like Google's certificate endpoint; counts fetches."""

    certs: dict[str, str]
    max_age: int = 300
    fetches: int = 0
    httpd: ThreadingHTTPServer | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        assert self.httpd is not None
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/oauth2/v1/certs"


def _start(server: CertServer) -> threading.Thread:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server.fetches += 1
            body = json.dumps(server.certs).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", f"public, max-age={server.max_age}, must-revalidate")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    return thread


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    """The key the test "Google" signs push tokens with."""
    return SigningKey.generate(KEY_ID)


@pytest.fixture(scope="session")
def other_key() -> SigningKey:
    """A key nobody published: tokens signed with it must be refused."""
    return SigningKey.generate(KEY_ID)


@pytest.fixture(scope="session")
def new_key() -> Callable[[str], SigningKey]:
    """``new_key(key_id)``: a fresh signing key (for rotation and unknown key ids)."""
    return SigningKey.generate


@pytest.fixture
def cert_server(signing_key: SigningKey) -> Iterator[CertServer]:
    """A fresh certificate endpoint on loopback (fresh URL, so a fresh cache), always stopped."""
    server = CertServer({signing_key.key_id: signing_key.cert_pem})
    thread = _start(server)
    try:
        yield server
    finally:
        assert server.httpd is not None
        server.httpd.shutdown()
        server.httpd.server_close()
        thread.join(timeout=5)


def claims(**overrides: Any) -> dict[str, Any]:
    """The claims of a genuine push token, with ``overrides`` applied (None deletes)."""
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": "https://accounts.google.com",
        "aud": AUDIENCE,
        "azp": "1234567890",
        "sub": "1234567890",
        "email": PUSH_ACCOUNT,
        "email_verified": True,
        "iat": now,
        "exp": now + 3600,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


class Mint(Protocol):
    """The ``mint`` fixture's signature."""

    def __call__(self, key: SigningKey | None = None, **overrides: Any) -> str: ...


@pytest.fixture
def mint(signing_key: SigningKey) -> Mint:
    """``mint(key=None, **claim_overrides) -> token``: an RS256 token as Google would sign it."""

    def _mint(key: SigningKey | None = None, **overrides: Any) -> str:
        key = key or signing_key
        # google-auth leaves these two unannotated.
        signer = crypt.RSASigner.from_string(key.private_pem, key_id=key.key_id)  # type: ignore[no-untyped-call]
        token: bytes = jwt.encode(signer, claims(**overrides))  # type: ignore[no-untyped-call]
        return token.decode()

    return _mint
