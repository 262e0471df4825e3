"""The application factory: assembles settings, state, middleware, errors and routers.

Nothing is created at import time; the lifespan opens and closes connections.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from anyio import to_thread
from fastapi import FastAPI

from api import assets, openapi, problems
from api.metrics import Metrics, service_metrics
from api.middleware import ServiceMiddleware
from api.routers import (
    batches,
    chain,
    docs,
    document_reads,
    documents,
    health,
    issuers,
    label,
    pages,
    revocations,
    service,
    station_exports,
    station_signing,
    stations,
    verify,
)
from api.security_headers import SecurityHeadersMiddleware
from api.state import WORKER_THREADS, ServiceState
from notary.settings.config import Settings

STATIC_DIR = Path(__file__).parent / "static"
DESCRIPTION = """Blockchain-anchored notarisation of issued documents.

Issuing agencies notarise and revoke with `Authorization: Bearer <api key>`; anyone
verifies with `POST /v1/verify`. Errors are RFC 9457 `application/problem+json`.
Each document's verification page is `/v/<leaf>` (the target of its QR code).
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """A FastAPI app for `settings` (read from NOTARY_* when not given)."""
    metrics = service_metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
        state = ServiceState.open(settings or Settings())
        state.metrics = metrics
        # Everything built so far lives as long as the process: keep it out of the
        # collector's reach. Full collections otherwise walked this whole heap (web3,
        # pydantic, SQLAlchemy) and paused the process long enough to set the p99 of
        # single submissions.
        gc.freeze()
        try:
            yield {"service": state}
        finally:
            state.close()

    app = FastAPI(
        title="notary",
        version="0.1.0",
        lifespan=lifespan,
        description=DESCRIPTION,
        docs_url=None,  # api/routers/docs.py serves both from local files
        redoc_url=None,
    )
    _assemble(app, metrics)
    return app


def _assemble(app: FastAPI, metrics: Metrics) -> None:
    problems.install(app)
    app.add_middleware(ServiceMiddleware, metrics=metrics)
    app.add_middleware(SecurityHeadersMiddleware, policies=docs.POLICIES)
    app.include_router(health.router)
    app.include_router(docs.router)
    app.include_router(label.router)
    app.include_router(pages.router)
    for module in (
        documents,
        document_reads,
        revocations,
        verify,
        issuers,
        batches,
        chain,
        service,
        stations,
        station_exports,
        station_signing,
    ):
        app.include_router(module.router, prefix="/v1")
    app.mount("/static", assets.static_files(STATIC_DIR), name="static")
    openapi.install(app)
