"""The application factory: assembles settings, connections and routers.

Nothing is created at import time; the lifespan opens and closes connections.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from api.routers import chain, health
from api.state import ServiceState
from notary.config import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """A FastAPI app for `settings` (read from NOTARY_* when not given)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        state = ServiceState.open(settings or Settings())
        try:
            yield {"service": state}
        finally:
            state.close()

    app = FastAPI(
        title="notary",
        version="0.1.0",
        lifespan=lifespan,
        description="Blockchain-anchored notarisation of issued documents.",
    )
    app.include_router(health.router)
    app.include_router(chain.router, prefix="/v1")
    return app
