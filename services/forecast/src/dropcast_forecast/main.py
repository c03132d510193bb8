"""The forecast app factory (``uvicorn --factory dropcast_forecast.main:app``)."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from dropcast_common.http import install_error_handlers
from dropcast_common.logs import setup_logging
from dropcast_forecast.api import router
from dropcast_forecast.bootstrap import ForecastDeps, bootstrap

log = logging.getLogger("dropcast.forecast")


def create_app(deps: ForecastDeps | None = None, *, warm_pool: bool = False) -> FastAPI:
    """Build the app; tests pass deps with fakes, production wires from settings.

    With ``warm_pool`` the worker pool (one process per CPU the container may
    use, Prophet imported) starts in the background as the app starts: the
    health check answers at once, and the first work message finds the
    workers ready instead of paying their start-up.
    """
    deps = deps or bootstrap()
    setup_logging(deps.settings.log_format, deps.settings.log_level, deps.settings.project)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if warm_pool:
            threading.Thread(target=_warm_up, name="warm-pool", daemon=True).start()
        # The pool is the process's, not the app's: it stops at exit (see parallel.py),
        # and stopping it here could wait on workers that are still starting.
        yield

    app = FastAPI(title="dropcast forecast", version=deps.settings.version, lifespan=lifespan)
    app.state.deps = deps
    install_error_handlers(app)
    app.include_router(router)
    return app


def _warm_up() -> None:
    from dropcast_forecasting.pool.cpus import available_cpus
    from dropcast_forecasting.pool.parallel import warm_up

    try:
        warm_up(available_cpus())
    except Exception:  # a cold first request still works; say why it will be slower
        log.exception("could not warm the forecast worker pool")


def app() -> FastAPI:
    """Factory entry point for ``uvicorn --factory dropcast_forecast.main:app``."""
    from dropcast_forecasting.pool.parallel import always_use_pool

    always_use_pool()
    return create_app(warm_pool=True)
