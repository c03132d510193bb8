"""HTTP routes of the ingest service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from dropcast_common.auth import PUSH_AUTH
from dropcast_common.envelope import PushEnvelope, StorageNotification
from dropcast_common.http import PUSH_OPENAPI, PUSH_RESPONSES
from dropcast_common.logs import log_context
from dropcast_ingest.bootstrap import IngestDeps
from dropcast_ingest.handlers import handle_upload

router = APIRouter()


def get_deps(request: Request) -> IngestDeps:
    """The dependencies wired at startup (see main.create_app)."""
    deps: IngestDeps = request.app.state.deps
    return deps


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness and startup probe."""
    return {"status": "ok"}


@router.post(
    "/push/uploads",
    status_code=204,
    responses=PUSH_RESPONSES,
    dependencies=[PUSH_AUTH],
    openapi_extra=PUSH_OPENAPI,
)
async def push_uploads(
    request: Request, deps: Annotated[IngestDeps, Depends(get_deps)]
) -> Response:
    """Pub/Sub push endpoint for Cloud Storage notifications of the input bucket."""
    envelope = PushEnvelope.parse(await request.body())
    note = StorageNotification.from_message(envelope.message)
    trace = (log_context.get() or {}).get("trace_id") or ""
    # Handlers block on storage and Pub/Sub; run them off the event loop.
    from starlette.concurrency import run_in_threadpool

    await run_in_threadpool(handle_upload, note, deps, trace)
    return Response(status_code=204)
