"""B5's baseline: the smallest FastAPI app with a health route, started the way the services are."""

from __future__ import annotations

from fastapi import FastAPI


def app() -> FastAPI:
    """Factory for ``uvicorn --factory bench.bare_app:app``."""
    bare = FastAPI(title="bare")

    @bare.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return bare
