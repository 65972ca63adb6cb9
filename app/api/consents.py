"""Consents on a plan and disclosures of it outside the organisation (42 CFR Part 2)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from app import auditing as audit
from app.api.body import json_body, request_body_openapi
from app.api.deps import IdempotencyKey, RequestContext, context
from app.api.params import PageCursor, PageLimit, UserId
from app.api.responses import json_response
from app.auditing import commit_audited
from app.db import utc_now
from app.errors import problem_responses
from app.pagination import decode_cursor, encode_cursor
from app.schemas.assessment import PatientRef
from app.schemas.consent import (
    ConsentIn,
    ConsentList,
    ConsentRead,
    DisclosureBasis,
    DisclosureIn,
    DisclosureList,
    DisclosureResult,
)
from app.security import Scope
from app.services import consents as service
from app.services.idempotency import run_idempotent

router = APIRouter(tags=["consents"])

_PLAN_ID = Annotated[uuid.UUID, Path(description="The plan id.")]


@router.post(
    "/v1/plans/{plan_id}/consents",
    status_code=201,
    summary="Record a consent",
    response_model=ConsentRead,
    responses={
        201: {
            "description": "Recorded. `Location` points at the new consent.",
            "headers": {
                "Location": {
                    "description": "URL of the consent.",
                    "schema": {"type": "string", "maxLength": 200},
                }
            },
        },
        **problem_responses(400, 401, 403, 404, 409, 413, 415, 422, 500),
    },
    openapi_extra=request_body_openapi(ConsentIn, description="The consent reference."),
)
async def record_consent(
    request: Request,
    ctx: Annotated[RequestContext, context(Scope.plans_write, write=True)],
    plan_id: _PLAN_ID,
    idempotency_key: IdempotencyKey = None,
    payload: ConsentIn = json_body(ConsentIn),
) -> Response:
    """Records the patient's consent (held in the EHR) that governs disclosures of this plan:
    a TPO consent (treatment, payment and health care operations, optionally limited to one
    recipient) or a specific recipient and purpose, with its effective and expiry times."""

    async def create() -> Response:
        row = await service.record_consent(ctx.session, ctx.principal, plan_id, payload)
        location = f"/v1/plans/{plan_id}/consents/{row['id']}"
        return json_response(row, status_code=201, headers={"Location": location})

    return await run_idempotent(ctx.session, ctx.principal, idempotency_key, request, create)


@router.get(
    "/v1/plans/{plan_id}/consents",
    summary="List a plan's consents",
    response_model=ConsentList,
    responses=problem_responses(401, 403, 404, 422, 500),
)
async def list_consents(
    ctx: Annotated[RequestContext, context(Scope.plans_read)], plan_id: _PLAN_ID
) -> Response:
    """Every consent recorded on the plan, newest first, each with its status now."""
    rows = await service.list_consents(ctx.session, ctx.principal, plan_id, utc_now())
    return json_response({"items": rows})


@router.get(
    "/v1/plans/{plan_id}/consents/{consent_id}",
    summary="Read a consent",
    response_model=ConsentRead,
    responses=problem_responses(401, 403, 404, 422, 500),
)
async def get_consent(
    ctx: Annotated[RequestContext, context(Scope.plans_read)],
    plan_id: _PLAN_ID,
    consent_id: Annotated[uuid.UUID, Path(description="The consent record id.")],
) -> Response:
    """One consent recorded on the plan, with its status now."""
    row = await service.get_consent(ctx.session, ctx.principal, plan_id, consent_id, utc_now())
    return json_response(row)


@router.post(
    "/v1/plans/{plan_id}/consents/{consent_id}/revocation",
    summary="Revoke a consent",
    response_model=ConsentRead,
    responses=problem_responses(401, 403, 404, 422, 500),
)
async def revoke_consent(
    ctx: Annotated[RequestContext, context(Scope.plans_write, write=True)],
    plan_id: _PLAN_ID,
    consent_id: Annotated[uuid.UUID, Path(description="The consent record id.")],
) -> Response:
    """The patient revoked the consent: from now on it permits no disclosure. Revoking an
    already revoked consent keeps the first revocation time."""
    row = await service.revoke_consent(ctx.session, ctx.principal, plan_id, consent_id)
    await commit_audited(ctx.session)
    return json_response(row)


@router.post(
    "/v1/plans/{plan_id}/disclosures",
    summary="Disclose a plan to another organisation",
    response_model=DisclosureResult,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 415, 422, 500),
    openapi_extra=request_body_openapi(DisclosureIn, description="Recipient and purpose."),
)
async def disclose_plan(
    request: Request,
    # Sending patient data outside the organisation is a write of consequence (it creates
    # an entry in the accounting of disclosures), not a read.
    ctx: Annotated[RequestContext, context(Scope.plans_write, write=True)],
    plan_id: _PLAN_ID,
    user_id: UserId = None,
    idempotency_key: IdempotencyKey = None,
    payload: DisclosureIn = json_body(DisclosureIn),
) -> Response:
    """Exports the plan as labelled FHIR to a recipient outside your organisation when an
    active consent covers the recipient and purpose (403 `consent-required` otherwise: no
    consent, expired, not yet effective or revoked). Under the medical-emergency exception
    (`emergency.reason`, scope `break_glass`) it discloses without consent and flags the
    disclosure for post-hoc review. Every disclosure is recorded for the patient's
    accounting of disclosures, and the response carries the 42 CFR 2.32 notice and what the
    consent allows."""
    if payload.emergency is not None:
        audit.note_break_glass()  # audited as `break_glass`, refused attempts included

    async def create() -> Response:
        result = await service.disclose(
            ctx.session,
            ctx.principal,
            plan_id,
            payload,
            user_id=user_id,
            request_id=request.scope.get("state", {}).get("audit_request_id"),
        )
        return json_response(result)

    async def still_allowed() -> None:
        await service.check_disclosure_basis(ctx.session, ctx.principal, plan_id, payload)

    # A retried disclosure (same key and body) replays the first answer: one entry in the
    # accounting of disclosures, not two; and only while its consent still stands.
    return await run_idempotent(
        ctx.session, ctx.principal, idempotency_key, request, create, recheck=still_allowed
    )


@router.get(
    "/v1/disclosures",
    summary="Accounting of disclosures",
    response_model=DisclosureList,
    responses=problem_responses(400, 401, 403, 422, 500),
)
async def list_disclosures(
    ctx: Annotated[RequestContext, context(Scope.audit_read)],
    patient_ref: Annotated[PatientRef | None, Query(description="Only this patient's.")] = None,
    basis: Annotated[
        DisclosureBasis | None,
        Query(description="`medical_emergency` lists break-glass disclosures for review."),
    ] = None,
    limit: PageLimit = 20,
    cursor: PageCursor = None,
) -> Response:
    """Every disclosure of your organisation's plans outside it, newest first: recipient,
    date, purpose, and the consent used or the emergency basis."""
    rows = await service.list_disclosures(
        ctx.session,
        ctx.principal,
        patient_ref=patient_ref,
        basis=basis,
        limit=limit + 1,
        after=decode_cursor(cursor) if cursor else None,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1]["disclosed_at"], rows[-1]["id"]) if more else None
    return json_response({"items": rows, "next_cursor": next_cursor})
