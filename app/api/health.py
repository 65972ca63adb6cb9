"""Liveness and readiness probes (no authentication, no patient data)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import Response

from app.api.deps import database
from app.api.responses import json_response
from app.errors import problem_response, problem_responses
from app.schemas.base import ReadModel

router = APIRouter(tags=["health"])


class Health(ReadModel):
    status: str


class Readiness(ReadModel):
    status: str
    database: str
    migration: str


@router.get("/healthz", summary="Liveness", response_model=Health, responses=problem_responses(500))
async def healthz() -> Response:
    """The process is up and serving."""
    return json_response({"status": "ok"})


# Load balancers probe with HEAD: the same answer without a body (kept out of the OpenAPI
# document, where it would duplicate the GET operations).
@router.head("/healthz", include_in_schema=False)
async def healthz_head() -> Response:
    return Response(status_code=200, media_type="application/json")


@router.head("/readyz", include_in_schema=False)
async def readyz_head(request: Request) -> Response:
    answer = await readyz(request)
    return Response(status_code=answer.status_code, media_type=answer.media_type)


@router.get(
    "/readyz", summary="Readiness", response_model=Readiness, responses=problem_responses(500, 503)
)
async def readyz(request: Request) -> Response:
    """The database is reachable and its schema is at the migration head this build expects."""
    expected: str = request.app.state.migration_head
    try:
        async with database(request).engine.connect() as conn:
            current = (
                await conn.execute(text("SELECT version_num FROM alembic_version"))
            ).scalar_one_or_none()
    except (SQLAlchemyError, OSError):
        return problem_response(
            request,
            status=503,
            slug="not-ready",
            title="Not ready",
            detail="The database is unreachable or not migrated.",
        )
    if current != expected:
        return problem_response(
            request,
            status=503,
            slug="not-ready",
            title="Not ready",
            detail="The database schema is not at the expected migration.",
        )
    return json_response({"status": "ready", "database": "ok", "migration": current})
