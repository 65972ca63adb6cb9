"""Assessments: store one, read one, list a patient's (newest first)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from app import auditing as audit
from app.api.body import json_body, request_body_openapi
from app.api.deps import IdempotencyKey, RequestContext, context
from app.api.params import PageCursor, PageLimit
from app.api.responses import json_response
from app.errors import problem_responses
from app.pagination import decode_cursor, encode_cursor
from app.schemas.assessment import AssessmentIn, PatientRef
from app.schemas.records import AssessmentPage, AssessmentRead
from app.security import Scope
from app.services import assessments as service
from app.services.idempotency import run_idempotent

router = APIRouter(tags=["assessments"])

_READ = Annotated[RequestContext, context(Scope.assessments_read)]
_WRITE = Annotated[RequestContext, context(Scope.assessments_write, write=True)]


def _read_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "patient_ref": row["patient_ref"],
        "assessed_at": row["assessed_at"],
        "created_at": row["created_at"],
        "ruleset_version": row["ruleset_version"],
        "scores": row["scores"],
        "assessment": row["document"],
    }


@router.post(
    "/v1/assessments",
    status_code=201,
    summary="Store an assessment",
    response_model=AssessmentRead,
    responses={
        201: {
            "description": "Stored. `Location` points at the new assessment.",
            "headers": {
                "Location": {
                    "description": "URL of the stored assessment.",
                    "schema": {"type": "string", "maxLength": 200},
                }
            },
        },
        **problem_responses(400, 401, 403, 409, 413, 415, 422, 500),
    },
    openapi_extra=request_body_openapi(AssessmentIn, description="The assessment to store."),
)
async def create_assessment(
    request: Request,
    ctx: _WRITE,
    idempotency_key: IdempotencyKey = None,
    payload: AssessmentIn = json_body(AssessmentIn),
) -> Response:
    """Validates the assessment, computes its scores and stores both. Assessments are
    immutable: a reassessment is a new assessment."""

    async def create() -> Response:
        row = await service.create_assessment(ctx.session, ctx.principal, payload)
        audit.note(patient_ref=row["patient_ref"], resource_id=row["id"])
        return json_response(
            _read_view(row),
            status_code=201,
            headers={"Location": f"/v1/assessments/{row['id']}"},
        )

    return await run_idempotent(ctx.session, ctx.principal, idempotency_key, request, create)


@router.get(
    "/v1/assessments/{assessment_id}",
    summary="Read a stored assessment",
    response_model=AssessmentRead,
    responses=problem_responses(401, 403, 404, 422, 500),
)
async def get_assessment(
    ctx: _READ,
    assessment_id: Annotated[uuid.UUID, Path(description="The assessment id.")],
) -> Response:
    """One assessment of the caller's organisation; another organisation's id is 404."""
    row = await service.get_assessment(ctx.session, ctx.principal, assessment_id)
    audit.note(patient_ref=row["patient_ref"])
    return json_response(_read_view(row))


@router.get(
    "/v1/patients/{patient_ref}/assessments",
    summary="List a patient's assessments, newest first",
    response_model=AssessmentPage,
    responses=problem_responses(400, 401, 403, 422, 500),
)
async def list_patient_assessments(
    ctx: _READ,
    patient_ref: Annotated[PatientRef, Path()],
    limit: PageLimit = 20,
    cursor: PageCursor = None,
) -> Response:
    """Keyset-paginated on (created_at, id): pages stay stable while new assessments arrive."""
    after = decode_cursor(cursor) if cursor else None
    rows, more = await service.list_patient_assessments(
        ctx.session, ctx.principal, patient_ref, limit=limit, after=after
    )
    if not rows:
        audit.note_nothing_returned()
    next_cursor = encode_cursor(rows[-1]["created_at"], rows[-1]["id"]) if more else None
    return json_response({"items": [_read_view(r) for r in rows], "next_cursor": next_cursor})
