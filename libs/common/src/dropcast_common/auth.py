"""Pub/Sub push authentication: verify the OIDC token before any work is done.

A push subscription with an OIDC token sends ``Authorization: Bearer <jwt>``,
an RS256 ID token signed by Google for the subscription's service account.
Every push route declares ``dependencies=[PUSH_AUTH]``; FastAPI resolves it
before the route reads the body, so a refused request never reaches a
handler. 401 means no usable token (missing, malformed, badly signed,
expired, wrong audience or issuer), 403 a valid Google token for someone
else. With ``push_auth`` off (the local stack: the emulator sends no
token) the check is a no-op.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any

import google.auth.exceptions
import requests
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from google.auth import jwt
from google.auth.transport.requests import Request as AuthRequest

from dropcast_common.errors import DropcastError, TransientError
from dropcast_common.settings import CommonSettings

log = logging.getLogger("dropcast.auth")

GOOGLE_ISSUERS = frozenset({"accounts.google.com", "https://accounts.google.com"})
ALGORITHM = "RS256"
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*(\d+)", re.IGNORECASE)
# An unknown key id may be a key Google has just rotated in, so it triggers a
# refetch, but no more often than this: forged key ids must not turn every
# request into a call to the certificate endpoint.
_MIN_REFRESH_INTERVAL = 30.0
_FETCH_TIMEOUT = 10.0


class PushAuthError(DropcastError):
    """A push request refused by authentication; ``status`` is 401 or 403."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class PushIdentity:
    """Who sent an authenticated push request."""

    email: str
    subject: str


class CertCache:
    """Google's signing certificates (key id → PEM), fetched on demand and cached.

    The cache lives as long as the response's ``Cache-Control: max-age`` says
    (or ``default_ttl`` seconds when it says nothing). Thread-safe: FastAPI runs
    sync dependencies on a thread pool.
    """

    def __init__(self, url: str, default_ttl: float = 3600.0) -> None:
        self.url = url
        self.default_ttl = default_ttl
        self.fetches = 0
        self._certs: dict[str, str] = {}
        self._expires = 0.0
        self._fetched = -_MIN_REFRESH_INTERVAL
        self._lock = threading.Lock()
        self._transport = AuthRequest(session=requests.Session())

    def get(self, key_id: str | None) -> dict[str, str]:
        """The current certificates; refetched when stale or when ``key_id`` is unknown."""
        with self._lock:
            now = time.monotonic()
            unknown = key_id is not None and key_id not in self._certs
            if now >= self._expires or (unknown and now - self._fetched >= _MIN_REFRESH_INTERVAL):
                self._fetch(now)
            return dict(self._certs)

    def _fetch(self, now: float) -> None:
        self._fetched = now
        self.fetches += 1
        try:
            response = self._transport(self.url, method="GET", timeout=_FETCH_TIMEOUT)
        except google.auth.exceptions.TransportError as exc:
            raise TransientError(f"cannot fetch push signing certificates: {exc}") from exc
        if response.status != 200:
            raise TransientError(f"push signing certificates: HTTP {response.status}")
        try:
            certs = json.loads(response.data)
        except ValueError as exc:
            raise TransientError("push signing certificates are not JSON") from exc
        if not isinstance(certs, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in certs.items()
        ):
            raise TransientError("push signing certificates are not a key-id → PEM map")
        self._certs = certs
        self._expires = now + _max_age(response.headers.get("cache-control"), self.default_ttl)


def _max_age(header: str | None, default: float) -> float:
    match = _MAX_AGE.search(header or "")
    return float(match.group(1)) if match else default


@lru_cache(maxsize=8)
def cert_cache(url: str, default_ttl: float) -> CertCache:
    """The process-wide certificate cache for one certificate URL."""
    return CertCache(url, default_ttl)


def verify_token(token: str, settings: CommonSettings, certs: CertCache) -> PushIdentity:
    """Check a push ID token against the settings; raise PushAuthError(401/403) if refused."""
    try:
        # google-auth's jwt module has no annotations.
        header = jwt.decode_header(token)  # type: ignore[no-untyped-call]
    except (google.auth.exceptions.GoogleAuthError, ValueError) as exc:
        raise PushAuthError(401, f"malformed token: {exc}") from exc
    if header.get("alg") != ALGORITHM:
        raise PushAuthError(401, f"token algorithm must be {ALGORITHM}")
    key_id = header.get("kid")
    try:
        claims: dict[str, Any] = jwt.decode(  # type: ignore[no-untyped-call]
            token,
            certs=certs.get(key_id if isinstance(key_id, str) else None),
            audience=settings.push_audience,
            clock_skew_in_seconds=settings.push_clock_skew_seconds,
        )
    except (google.auth.exceptions.GoogleAuthError, ValueError) as exc:
        raise PushAuthError(401, f"invalid token: {exc}") from exc
    if claims.get("iss") not in GOOGLE_ISSUERS:
        raise PushAuthError(401, "token not issued by Google")
    email = claims.get("email")
    if email != settings.push_service_account:
        raise PushAuthError(403, f"token is for {email!r}, not the push service account")
    if claims.get("email_verified") is not True:
        raise PushAuthError(403, "token email is not verified")
    return PushIdentity(email=email, subject=str(claims.get("sub", "")))


_bearer = HTTPBearer(auto_error=False, description="Pub/Sub push OIDC token (when enabled).")


def verify_push(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> PushIdentity | None:
    """FastAPI dependency: authenticate a push request (no-op when ``push_auth`` is off).

    Settings come from ``request.app.state.deps.settings``, the convention
    both services' app factories follow.
    """
    settings: CommonSettings = request.app.state.deps.settings
    if not settings.push_auth:
        return None
    try:
        if credentials is None:
            raise PushAuthError(401, "missing Authorization: Bearer token")
        certs = cert_cache(settings.push_certs_url, float(settings.push_certs_ttl_seconds))
        return verify_token(credentials.credentials, settings, certs)
    except PushAuthError as err:
        log.warning("push request refused (%d): %s", err.status, err.reason)
        raise


PUSH_AUTH = Depends(verify_push)
"""Add to every push route: ``@router.post(..., dependencies=[PUSH_AUTH])``."""
