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

import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any

import cachecontrol
import google.auth.exceptions
import requests
from cachecontrol.heuristics import BaseHeuristic
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from google.auth.transport.requests import Request as AuthRequest
from google.oauth2 import id_token

from dropcast_common.errors import DropcastError, TransientError
from dropcast_common.settings import CommonSettings

log = logging.getLogger("dropcast.auth")

# The issuers google.oauth2.id_token.verify_oauth2_token accepts; checked here
# because that function can't be pointed at another certificate URL (tests).
GOOGLE_ISSUERS = frozenset({"accounts.google.com", "https://accounts.google.com"})
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


class _DefaultMaxAge(BaseHeuristic):
    """Cache a certificate response that says nothing for ``seconds`` (Google's says max-age)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = int(seconds)

    def update_headers(self, response: Any) -> dict[str, str]:
        if "cache-control" in response.headers or "expires" in response.headers:
            return {}
        return {"cache-control": f"public, max-age={self.seconds}"}


@lru_cache(maxsize=8)
def certificate_request(default_ttl: float) -> Any:
    """A google-auth transport whose GETs are cached as their Cache-Control says.

    This is what google-auth documents for verifying ID tokens: the
    certificates are fetched once per ``max-age`` (hours, at Google) and an
    unknown key id never causes a fetch, so forged tokens can't turn
    requests into calls to the certificate endpoint. Google publishes a key
    before it signs with it, so a rotation is seen with the next refresh.
    """
    session = cachecontrol.CacheControl(requests.Session(), heuristic=_DefaultMaxAge(default_ttl))
    transport = AuthRequest(session=session)

    def request(url: str, method: str = "GET", **kwargs: Any) -> Any:
        # google-auth fetches the certificates with its default timeout (120 s); a push
        # request must not wait that long for them.
        kwargs.setdefault("timeout", _FETCH_TIMEOUT)
        return transport(url, method=method, **kwargs)

    return request


def verify_token(token: str, settings: CommonSettings) -> PushIdentity:
    """Check a push ID token against the settings; raise PushAuthError(401/403) if refused.

    google-auth checks the signature against Google's certificates, the
    expiry and the audience; what is left is which Google account it is.
    """
    request = certificate_request(float(settings.push_certs_ttl_seconds))
    try:
        claims: dict[str, Any] = dict(
            id_token.verify_token(
                token,
                request,
                audience=settings.push_audience,
                certs_url=settings.push_certs_url,
                clock_skew_in_seconds=settings.push_clock_skew_seconds,
            )
        )
    except google.auth.exceptions.TransportError as exc:
        raise TransientError(f"cannot fetch push signing certificates: {exc}") from exc
    except requests.RequestException as exc:
        raise TransientError(f"cannot fetch push signing certificates: {exc}") from exc
    except (google.auth.exceptions.GoogleAuthError, ValueError) as exc:
        raise PushAuthError(401, f"invalid token: {exc}") from exc
    if claims.get("iss") not in GOOGLE_ISSUERS:
        raise PushAuthError(401, "token not issued by Google")
    email = claims.get("email")
    if email != settings.push_service_account:
        raise PushAuthError(403, f"token is for {email!r}, not the push service account")
    if claims.get("email_verified") is not True:
        raise PushAuthError(403, "token email is not verified")
    return PushIdentity(email=str(email), subject=str(claims.get("sub", "")))


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
        return verify_token(credentials.credentials, settings)
    except PushAuthError as err:
        log.warning("push request refused (%d): %s", err.status, err.reason)
        raise


PUSH_AUTH = Depends(verify_push)
"""Add to every push route: ``@router.post(..., dependencies=[PUSH_AUTH])``."""
