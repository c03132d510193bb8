"""What both services' push endpoints share: envelope parsing and error mapping.

Only this layer maps errors to HTTP: a malformed envelope is 400 (Pub/Sub
will not fix it by retrying, and with a dead-letter policy it ends there),
a transient fault is 503 (retry with backoff), success is 204.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from dropcast_common.auth import PUSH_AUTH, PushAuthError
from dropcast_common.envelope import PushEnvelope
from dropcast_common.errors import MalformedEnvelopeError, TransientError
from dropcast_common.logs import bind, log_context, trace_from_header

log = logging.getLogger("dropcast.http")

PUSH_RESPONSES: dict[int | str, dict[str, Any]] = {
    204: {"description": "Handled (processed, rejected with an error report, or ignored)."},
    400: {"description": "The body is not a Pub/Sub push envelope dropcast understands."},
    401: {"description": "Push authentication is on and the request has no valid token."},
    403: {"description": "A valid token, but not the push subscription's service account."},
    503: {"description": "A dependency is unavailable; Pub/Sub retries with backoff."},
}


def _inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline_refs(defs[node["$ref"]], defs)
        return {key: _inline_refs(value, defs) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline_refs(item, defs) for item in node]
    return node


def _push_request_body() -> dict[str, Any]:
    # Push routes read the raw body themselves (so authentication runs first);
    # this documents the envelope anyway, for readers and for the API fuzzer.
    schema = PushEnvelope.model_json_schema(by_alias=True, ref_template="{model}")
    schema = _inline_refs(schema, schema.pop("$defs", {}))
    return {"required": True, "content": {"application/json": {"schema": schema}}}


PUSH_OPENAPI: dict[str, Any] = {"requestBody": _push_request_body()}
"""``openapi_extra`` of every push route: the envelope as the request body."""


def service_router() -> APIRouter:
    """A service's router, with the liveness and startup probe every service answers."""
    router = APIRouter()

    @router.get("/healthz")
    def healthz() -> dict[str, str]:
        """Liveness and startup probe."""
        return {"status": "ok"}

    return router


def push_endpoint(router: APIRouter, path: str) -> Callable[[Any], Any]:
    """Register a Pub/Sub push endpoint: OIDC-verified, 204 when done, push responses documented."""
    return router.post(
        path,
        status_code=204,
        responses=PUSH_RESPONSES,
        dependencies=[PUSH_AUTH],
        openapi_extra=PUSH_OPENAPI,
    )


def retry_later(message: str) -> JSONResponse:
    """503 without a fault: Pub/Sub is to bring the message back later (a held step, a timer)."""
    return JSONResponse({"error": "retry_later", "message": message}, 503)


def install_error_handlers(app: FastAPI) -> None:
    """Map dropcast errors to status codes for every route of the app."""

    @app.exception_handler(MalformedEnvelopeError)
    async def _malformed(_: Request, exc: MalformedEnvelopeError) -> JSONResponse:
        log.warning("malformed push request: %s", exc)
        return JSONResponse({"error": "malformed_envelope", "message": str(exc)}, 400)

    @app.exception_handler(PushAuthError)
    async def _unauthorised(_: Request, exc: PushAuthError) -> JSONResponse:
        # The reason is logged (dropcast.auth); the caller only learns the category.
        if exc.status == 401:
            body = {"error": "unauthenticated", "message": "a valid push token is required"}
            return JSONResponse(body, 401, headers={"WWW-Authenticate": "Bearer"})
        return JSONResponse({"error": "forbidden", "message": "caller not allowed"}, 403)

    @app.exception_handler(TransientError)
    async def _transient(_: Request, exc: TransientError) -> JSONResponse:
        log.warning("transient failure, asking Pub/Sub to retry: %s", exc)
        return JSONResponse({"error": "transient", "message": str(exc)}, 503)

    @app.middleware("http")
    async def _request_context(
        request: Request, call_next: Callable[[Request], Awaitable[Any]]
    ) -> Any:
        token = log_context.set({})
        try:
            header = request.headers.get("x-cloud-trace-context") or request.headers.get(
                "traceparent"
            )
            bind(trace_id=trace_from_header(header))
            return await call_next(request)
        finally:
            log_context.reset(token)
