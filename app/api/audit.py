"""The audit trail (scope `audit:read`): events, and each patient's accounting of disclosures."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from app.api.deps import RequestContext, context
from app.api.params import PageCursor
from app.api.responses import json_response
from app.errors import problem_responses
from app.pagination import decode_cursor, encode_cursor
from app.schemas.assessment import PatientRef
from app.schemas.audit import AuditAction, AuditEventPage, AuditOutcome, DisclosurePage
from app.schemas.base import UtcInstantQuery
from app.security import Scope
from app.services import audit as service

router = APIRouter(tags=["audit"])

_AUDIT = Annotated[RequestContext, context(Scope.audit_read)]
_LIMIT = Annotated[int, Query(ge=1, le=500, description="Page size (at most 500).")]
_SINCE = Annotated[
    UtcInstantQuery | None, Query(description="Only events at or after this instant.")
]
_UNTIL = Annotated[UtcInstantQuery | None, Query(description="Only events before this instant.")]

_EVENT_FIELDS = (
    "id", "seq", "occurred_at", "request_id", "client_id", "user_id", "patient_ref",
    "resource_type", "resource_id", "action", "outcome", "method", "route", "http_status",
    "prev_hash", "hash",
)  # fmt: skip


def _event_view(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in _EVENT_FIELDS}


@router.get(
    "/v1/audit-events",
    summary="List audit events",
    response_model=AuditEventPage,
    responses=problem_responses(400, 401, 403, 422, 500),
)
async def list_audit_events(
    ctx: _AUDIT,
    patient_ref: Annotated[PatientRef | None, Query(description="Only this patient's.")] = None,
    action: Annotated[AuditAction | None, Query(description="Only this action.")] = None,
    outcome: Annotated[AuditOutcome | None, Query(description="Only this outcome.")] = None,
    client_id: Annotated[uuid.UUID | None, Query(description="Only this API client's.")] = None,
    user_id: Annotated[
        str | None,
        Query(max_length=128, pattern=r"^[A-Za-z0-9._:@/-]+$", description="Only this user's."),
    ] = None,
    since: _SINCE = None,
    until: _UNTIL = None,
    limit: _LIMIT = 50,
    cursor: PageCursor = None,
) -> Response:
    """Every audited request of your organisation (reads and writes of patient data, and
    refused attempts: 403, 404, validation errors), newest first; keyset pagination on
    (occurred_at, id). Each event carries its position in the organisation's hash chain
    (`kratom-cds audit verify` checks it). Requests refused for a missing or invalid key
    (401) cannot be attributed to an organisation: they are kept in the system chain, which
    only `kratom-cds audit verify` and database operators see. Reading the trail is audited
    too."""
    rows, more = await service.list_events(
        ctx.session,
        ctx.principal.tenant_id,
        patient_ref=patient_ref,
        action=action,
        outcome=outcome,
        client_id=client_id,
        user_id=user_id,
        since=since,
        until=until,
        limit=limit,
        after=decode_cursor(cursor) if cursor else None,
    )
    next_cursor = encode_cursor(rows[-1]["occurred_at"], rows[-1]["id"]) if more else None
    return json_response({"items": [_event_view(r) for r in rows], "next_cursor": next_cursor})


@router.get(
    "/v1/patients/{patient_ref}/disclosures",
    summary="A patient's accounting of disclosures",
    response_model=DisclosurePage,
    responses=problem_responses(400, 401, 403, 422, 500),
)
async def list_patient_disclosures(
    ctx: _AUDIT,
    patient_ref: Annotated[PatientRef, Path()],
    since: _SINCE = None,
    until: _UNTIL = None,
    limit: _LIMIT = 50,
    cursor: PageCursor = None,
) -> Response:
    """Who received this patient's data, when and through which route: every successful
    request of your organisation's clients that returned the patient's data (reads, lists
    filtered to the patient, evaluations, CDS Hooks answers, and the plan or assessment
    returned by a create or update), with the API client and the end user when given. Newest
    first. An unknown patient has an empty accounting."""
    rows, more = await service.list_disclosures(
        ctx.session,
        ctx.principal.tenant_id,
        patient_ref,
        since=since,
        until=until,
        limit=limit,
        after=decode_cursor(cursor) if cursor else None,
    )
    next_cursor = encode_cursor(rows[-1]["occurred_at"], rows[-1]["id"]) if more else None
    items = [{k: v for k, v in r.items() if k != "id"} | {"event_id": r["id"]} for r in rows]
    return json_response({"patient_ref": patient_ref, "items": items, "next_cursor": next_cursor})
