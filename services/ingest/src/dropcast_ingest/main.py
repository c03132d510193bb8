"""The ingest app factory (``uvicorn dropcast_ingest.main:app``)."""

from __future__ import annotations

from fastapi import FastAPI

from dropcast_common.http import install_error_handlers
from dropcast_common.logs import setup_logging
from dropcast_ingest.api import router
from dropcast_ingest.bootstrap import IngestDeps, bootstrap


def create_app(deps: IngestDeps | None = None) -> FastAPI:
    """Build the app; tests pass deps with fakes, production wires from settings."""
    deps = deps or bootstrap()
    setup_logging(deps.settings.log_format, deps.settings.log_level, deps.settings.project)
    app = FastAPI(title="dropcast ingest", version=deps.settings.version)
    app.state.deps = deps
    install_error_handlers(app)
    app.include_router(router)
    return app


def app() -> FastAPI:
    """Factory entry point for ``uvicorn --factory dropcast_ingest.main:app``."""
    return create_app()
