"""What both services' push endpoints share: envelope parsing and error mapping.

Only this layer maps errors to HTTP: a malformed envelope is 400 (Pub/Sub
will not fix it by retrying, and with a dead-letter policy it ends there),
a transient fault is 503 (retry with backoff), success is 204.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from dropcast_common.errors import MalformedEnvelopeError, TransientError
from dropcast_common.logs import bind, log_context, trace_from_header

log = logging.getLogger("dropcast.http")

PUSH_RESPONSES: dict[int | str, dict[str, Any]] = {
    204: {"description": "Handled (processed, rejected with an error report, or ignored)."},
    400: {"description": "The body is not a Pub/Sub push envelope dropcast understands."},
    503: {"description": "A dependency is unavailable; Pub/Sub retries with backoff."},
}


def install_error_handlers(app: FastAPI) -> None:
    """Map dropcast errors to status codes for every route of the app."""

    @app.exception_handler(MalformedEnvelopeError)
    async def _malformed(_: Request, exc: MalformedEnvelopeError) -> JSONResponse:
        log.warning("malformed push request: %s", exc)
        return JSONResponse({"error": "malformed_envelope", "message": str(exc)}, 400)

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
