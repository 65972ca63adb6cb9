"""Prometheus metrics (admin scope): request counts and latency by route, rules fired."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

from app.api.deps import RequestContext, context
from app.errors import problem_responses
from app.security import Scope

router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text format.",
            "content": {"text/plain": {"schema": {"type": "string", "maxLength": 10_000_000}}},
        },
        **problem_responses(401, 403, 422, 500),
    },
)
async def metrics(
    request: Request, _ctx: Annotated[RequestContext, context(Scope.admin)]
) -> Response:
    """Counts and latency histograms by route template and status, and evaluations by rule
    fired. Labels never carry patient data (route templates, not paths)."""
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
