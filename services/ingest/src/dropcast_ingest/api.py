"""HTTP routes of the ingest service."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from dropcast_common.envelope import PushEnvelope, StorageNotification
from dropcast_common.errors import MalformedEnvelopeError
from dropcast_common.http import push_endpoint, retry_later, service_router
from dropcast_common.logs import log_context
from dropcast_ingest.bootstrap import IngestDeps
from dropcast_ingest.deadletters import handle_dead_letter
from dropcast_ingest.handlers import handle_upload
from dropcast_ingest.watchdog import CHECK_KIND, CheckOutcome, handle_check

router = service_router()


def get_deps(request: Request) -> IngestDeps:
    """The dependencies wired at startup (see main.create_app)."""
    deps: IngestDeps = request.app.state.deps
    return deps


@push_endpoint(router, "/push/uploads")
async def push_uploads(
    request: Request, deps: Annotated[IngestDeps, Depends(get_deps)]
) -> Response:
    """Pub/Sub push endpoint for Cloud Storage notifications of the input bucket."""
    envelope = PushEnvelope.parse(await request.body())
    note = StorageNotification.from_message(envelope.message)
    trace = (log_context.get() or {}).get("trace_id") or ""
    # Handlers block on storage and Pub/Sub; run them off the event loop.
    await run_in_threadpool(handle_upload, note, deps, trace)
    return Response(status_code=204)


@push_endpoint(router, "/push/dead-letter")
async def push_dead_letter(
    request: Request, deps: Annotated[IngestDeps, Depends(get_deps)]
) -> Response:
    """Pub/Sub push endpoint of both dead-letter topics: fails the message's job, visibly."""
    envelope = PushEnvelope.parse(await request.body())
    await run_in_threadpool(handle_dead_letter, envelope.message, deps)
    return Response(status_code=204)


@push_endpoint(router, "/push/check")
async def push_check(request: Request, deps: Annotated[IngestDeps, Depends(get_deps)]) -> Response:
    """Pub/Sub push endpoint of the watchdog: 503 (ask again later) while a job is in budget."""
    envelope = PushEnvelope.parse(await request.body())
    attrs = envelope.message.attributes
    job = attrs.get("job_id", "")
    if attrs.get("kind") != CHECK_KIND or not job:
        raise MalformedEnvelopeError("not a dropcast check message (kind and job_id attributes)")
    outcome = await run_in_threadpool(handle_check, job, deps)
    if outcome in (CheckOutcome.WAIT, CheckOutcome.REDRIVEN):
        # Not an error: the redelivery of this message is the watchdog's clock.
        return retry_later(f"job {job} is within its budget; check again later")
    return Response(status_code=204)
