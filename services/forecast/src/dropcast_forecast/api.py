"""HTTP routes of the forecast service."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from dropcast_common.envelope import PushEnvelope
from dropcast_common.errors import MalformedEnvelopeError
from dropcast_common.http import push_endpoint, retry_later, service_router
from dropcast_common.logs import bind, log_context
from dropcast_common.messages import WorkMessage
from dropcast_forecast.bootstrap import ForecastDeps
from dropcast_forecast.handlers import Outcome, handle_work, request_deadline

router = service_router()


def get_deps(request: Request) -> ForecastDeps:
    """The dependencies wired at startup (see main.create_app)."""
    deps: ForecastDeps = request.app.state.deps
    return deps


@push_endpoint(router, "/push/work")
async def push_work(request: Request, deps: Annotated[ForecastDeps, Depends(get_deps)]) -> Response:
    """Pub/Sub push endpoint for work messages."""
    deadline = request_deadline()  # the clock starts when the request does
    envelope = PushEnvelope.parse(await request.body())
    try:
        message = WorkMessage.from_bytes(envelope.message.decoded())
    except (ValidationError, ValueError) as exc:
        raise MalformedEnvelopeError(f"not a dropcast work message: {exc}") from exc
    bind(job_id=message.job_id, shard=message.shard.index)
    if message.trace_id and not (log_context.get() or {}).get("trace_id"):
        # Pub/Sub push sends no trace header: keep the job under ingest's trace.
        bind(trace_id=message.trace_id)
    # Fitting is CPU-bound and blocking; keep the event loop free for health checks.
    outcome = await run_in_threadpool(
        handle_work, message, deps, envelope.message.message_id, deadline
    )
    if outcome is Outcome.DEFERRED:
        # Another live delivery holds the step; Pub/Sub brings this one back
        # later, to find the step done or, if its holder died, to take it over.
        return retry_later("another delivery holds this step; retry later")
    return Response(status_code=204)
