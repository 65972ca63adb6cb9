"""The application factory: lifespan, middleware, routers, error handlers, OpenAPI."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi_offline import FastAPIOffline

from app import __version__
from app.api import assessments, health, plans
from app.api.deps import reject_unknown_query_params
from app.config import Settings, get_settings
from app.db import Database, verify_sqlite_pragmas
from app.errors import install_error_handlers
from app.middleware import BodyLimitMiddleware, RequestIdMiddleware
from app.migrations_state import head_revision
from app.openapi import DESCRIPTION, TAGS, install_openapi, operation_id

logger = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings)
        if settings.is_sqlite:
            await verify_sqlite_pragmas(db.engine)
        app.state.db = db
        app.state.migration_head = head_revision()
        try:
            yield
        finally:
            await db.dispose()

    docs = "/docs" if settings.docs_enabled else None
    redoc = "/redoc" if settings.docs_enabled else None
    app = FastAPIOffline(
        docs_url=docs,
        redoc_url=redoc,
        title="kratom-cds",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        separate_input_output_schemas=False,
        dependencies=[Depends(reject_unknown_query_params)],
    )
    app.state.settings = settings
    app.include_router(health.router)
    app.include_router(assessments.router)
    app.include_router(plans.router)
    install_error_handlers(app)
    install_openapi(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestIdMiddleware)
    return app
