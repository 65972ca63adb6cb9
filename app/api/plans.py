"""Treatment plans: create, read, list, lifecycle, reassessments, revisions, decisions."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from starlette.responses import Response

from app.api.body import json_body, request_body_openapi
from app.api.deps import IdempotencyKey, RequestContext, context
from app.api.params import PLAN_LOCATION_ETAG_HEADERS, PageCursor, PageLimit, UserId
from app.api.responses import json_response
from app.auditing import commit_audited, note_nothing_returned
from app.errors import RequestInvalid, problem_responses
from app.pagination import (
    decode_cursor,
    decode_number_cursor,
    encode_cursor,
    encode_number_cursor,
)
from app.privacy import privacy_block
from app.schemas.assessment import PatientRef
from app.schemas.base import UtcInstantQuery
from app.schemas.plan import (
    DecisionIn,
    DecisionRecorded,
    HistoryPage,
    PlanCreate,
    PlanPage,
    PlanRead,
    PlanUpdate,
    ReassessmentIn,
    RelapsePreventionIn,
    RevisionPage,
    RevisionRead,
)
from app.schemas.plan_vocab import Phase, PlanStatus
from app.security import Scope
from app.services import plans as service
from app.services.idempotency import run_idempotent

router = APIRouter(tags=["plans"])

_READ = Annotated[RequestContext, context(Scope.plans_read)]
_WRITE = Annotated[RequestContext, context(Scope.plans_write, write=True)]
_PLAN_ID = Annotated[uuid.UUID, Path(description="The plan id.")]
_IF_MATCH_MAX_LENGTH = 200
_IF_MATCH_LINES = (
    " Several `If-Match` field lines are one comma-separated list (RFC 9110 section 5.3); "
    f"each line is at most {_IF_MATCH_MAX_LENGTH} characters."
)
_OPTIONAL_IF_MATCH_HEADER = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=_IF_MATCH_MAX_LENGTH,
        description="Optional: the plan's strong ETag as last read; if the plan changed "
        "since, 412 and nothing is recorded (`*` checks nothing)." + _IF_MATCH_LINES,
    ),
]
_IF_MATCH_HEADER = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=_IF_MATCH_MAX_LENGTH,
        description="Required: the plan's current strong ETag (428 without, 412 if stale). "
        "`*` is not a precondition here (428): a clinician's change must name the version it "
        "was made on." + _IF_MATCH_LINES,
    ),
]


def _all_if_match_lines(request: Request, first_line: str | None) -> str | None:
    """The If-Match header as one value: every field line, joined with commas (RFC 9110
    section 5.3), so that the current ETag on a second line counts as it does in a list on
    one line. The declared parameter documents the header and FastAPI checks its first line;
    every line is held to the same length here."""
    lines = request.headers.getlist("if-match")
    if any(len(line) > _IF_MATCH_MAX_LENGTH for line in lines):
        raise RequestInvalid(
            [
                {
                    "pointer": "header:If-Match",
                    "detail": f"Each If-Match field line is at most {_IF_MATCH_MAX_LENGTH} "
                    "characters.",
                    "type": "string_too_long",
                }
            ]
        )
    return ", ".join(lines) if lines else first_line


def _optional_if_match(request: Request, if_match: _OPTIONAL_IF_MATCH_HEADER = None) -> str | None:
    return _all_if_match_lines(request, if_match)


def _required_if_match(request: Request, if_match: _IF_MATCH_HEADER = None) -> str | None:
    return _all_if_match_lines(request, if_match)


_IF_NONE_MATCH_HEADER = Annotated[
    str | None,
    Header(
        alias="If-None-Match",
        max_length=_IF_MATCH_MAX_LENGTH,
        description="Optional: the ETag of the copy already held; if the plan has not changed "
        "since, 304 without a body (a cheap poll for EHRs that cache plans).",
    ),
]
_OPTIONAL_IF_MATCH = Annotated[str | None, Depends(_optional_if_match)]
_IF_MATCH = Annotated[str | None, Depends(_required_if_match)]

_ETAG_HEADER = {"ETag": PLAN_LOCATION_ETAG_HEADERS["ETag"]}


def _plan_response(row: dict[str, Any], *, status_code: int = 200) -> Response:
    headers = {"ETag": service.etag(row["id"], row["version"])}
    if status_code == 201:
        headers["Location"] = f"/v1/plans/{row['id']}"
    return json_response(service.plan_view(row), status_code=status_code, headers=headers)


@router.post(
    "/v1/plans",
    status_code=201,
    summary="Create a treatment plan",
    response_model=PlanRead,
    responses={
        201: {"description": "Created.", "headers": PLAN_LOCATION_ETAG_HEADERS},
        **problem_responses(400, 401, 403, 409, 413, 415, 422, 500),
    },
    openapi_extra=request_body_openapi(
        PlanCreate, description="A stored assessment id, or an inline assessment."
    ),
)
async def create_plan(
    request: Request,
    ctx: _WRITE,
    idempotency_key: IdempotencyKey = None,
    user_id: UserId = None,
    payload: PlanCreate = json_body(PlanCreate),
) -> Response:
    """Evaluates the assessment with the current ruleset and stores the plan as revision 1,
    with the full evaluation, the ruleset version and hash, and current phase
    `stabilization`. With an inline assessment, the assessment and the plan are stored in one
    transaction."""

    async def create() -> Response:
        row = await service.create_plan(ctx.session, ctx.principal, payload, user_id=user_id)
        return _plan_response(row, status_code=201)

    return await run_idempotent(ctx.session, ctx.principal, idempotency_key, request, create)


@router.get(
    "/v1/plans",
    summary="List treatment plans",
    response_model=PlanPage,
    responses=problem_responses(400, 401, 403, 422, 500),
)
async def list_plans(
    ctx: _READ,
    patient_ref: Annotated[PatientRef | None, Query(description="Only this patient's.")] = None,
    status: Annotated[PlanStatus | None, Query(description="Only plans in this status.")] = None,
    phase: Annotated[Phase | None, Query(description="Only plans in this phase.")] = None,
    updated_since: Annotated[
        UtcInstantQuery | None, Query(description="Only plans changed at or after this instant.")
    ] = None,
    limit: PageLimit = 20,
    cursor: PageCursor = None,
) -> Response:
    """Newest created first; keyset pagination on (created_at, id), so a plan edited while you
    page keeps its place (use `updated_since` to find what changed)."""
    rows, more = await service.list_plans(
        ctx.session,
        ctx.principal,
        patient_ref=patient_ref,
        status=status,
        phase=phase,
        updated_since=updated_since,
        limit=limit,
        after=decode_cursor(cursor) if cursor else None,
    )
    if not rows:
        note_nothing_returned()
    next_cursor = encode_cursor(rows[-1]["created_at"], rows[-1]["id"]) if more else None
    return json_response(
        {"items": [service.summary_view(r) for r in rows], "next_cursor": next_cursor}
    )


@router.get(
    "/v1/plans/{plan_id}",
    summary="Read a treatment plan",
    response_model=PlanRead,
    responses={
        200: {"description": "The plan.", "headers": _ETAG_HEADER},
        304: {"description": "Not modified since the ETag sent in If-None-Match.",
              "headers": _ETAG_HEADER},
        **problem_responses(401, 403, 404, 422, 500),
    },
)  # fmt: skip
async def get_plan(
    ctx: _READ, plan_id: _PLAN_ID, if_none_match: _IF_NONE_MATCH_HEADER = None
) -> Response:
    """The plan as recorded: its evaluation is never recomputed on read, so an old plan shows
    what was recommended then and by which ruleset version. With `If-None-Match` naming the
    current ETag, 304 and no body (RFC 9110 13.1.2, weak comparison)."""
    row = await service.get_plan(ctx.session, ctx.principal, plan_id)
    tag = service.etag(row["id"], row["version"])
    if if_none_match is not None and service.none_match_fails(if_none_match, tag):
        return Response(status_code=304, headers={"ETag": tag})
    return _plan_response(row)


@router.patch(
    "/v1/plans/{plan_id}",
    summary="Change a plan's status or phase",
    response_model=PlanRead,
    responses={
        200: {"description": "Changed.", "headers": _ETAG_HEADER},
        **problem_responses(400, 401, 403, 404, 409, 412, 413, 415, 422, 428, 500),
    },
    openapi_extra=request_body_openapi(PlanUpdate, description="The change."),
)
async def update_plan(
    ctx: _WRITE,
    plan_id: _PLAN_ID,
    if_match: _IF_MATCH,
    user_id: UserId = None,
    payload: PlanUpdate = json_body(PlanUpdate),
) -> Response:
    """Status changes follow FHIR CarePlan semantics: draft -> active | revoked; active ->
    on_hold | completed | revoked; on_hold -> active | completed | revoked; any ->
    entered_in_error. Phases move forward one at a time, back to stabilization on relapse, or
    from aftercare back to behavioral therapy.
    An illegal change is 409 and lists the allowed ones."""
    row = await service.update_plan(
        ctx.session, ctx.principal, plan_id, payload, if_match=if_match, user_id=user_id
    )
    await commit_audited(ctx.session)
    return _plan_response(row)


@router.post(
    "/v1/plans/{plan_id}/reassessments",
    status_code=201,
    summary="Reassess: new assessment, new revision",
    response_model=RevisionRead,
    responses={
        201: {
            "description": "The new revision with its diff.",
            "headers": {
                **PLAN_LOCATION_ETAG_HEADERS,
                "Location": {
                    "description": "URL of the new revision.",
                    "schema": {"type": "string", "maxLength": 200},
                },
            },
        },
        **problem_responses(400, 401, 403, 404, 409, 413, 415, 422, 500),
    },
    openapi_extra=request_body_openapi(ReassessmentIn, description="The new assessment."),
)
async def reassess_plan(
    request: Request,
    ctx: _WRITE,
    plan_id: _PLAN_ID,
    idempotency_key: IdempotencyKey = None,
    user_id: UserId = None,
    payload: ReassessmentIn = json_body(ReassessmentIn),
) -> Response:
    """Stores the assessment, evaluates it with the current ruleset and appends a revision with
    a structured diff against the previous one. Decisions carry forward while the same
    recommendation (same code and status) persists. A completed or revoked plan takes none
    (409 `plan-closed`)."""

    async def create() -> Response:
        plan, revision = await service.reassess(
            ctx.session, ctx.principal, plan_id, payload.assessment, user_id=user_id
        )
        return json_response(
            revision,
            status_code=201,
            headers={
                "Location": f"/v1/plans/{plan_id}/revisions/{revision['number']}",
                "ETag": service.etag(plan_id, plan["version"]),
            },
        )

    return await run_idempotent(ctx.session, ctx.principal, idempotency_key, request, create)


@router.get(
    "/v1/plans/{plan_id}/revisions",
    summary="List a plan's revisions",
    response_model=RevisionPage,
    responses=problem_responses(400, 401, 403, 404, 422, 500),
)
async def list_plan_revisions(
    ctx: _READ,
    plan_id: _PLAN_ID,
    limit: Annotated[
        int,
        Query(
            ge=1,
            le=100,
            description="Page size (at most 100; default 20). Each revision carries its whole "
            "evaluation, so a page can be large.",
        ),
    ] = 20,
    cursor: PageCursor = None,
) -> Response:
    """The revisions, oldest first, each with its evaluation and its diff to the previous;
    keyset pagination on the revision number (`next_cursor` is null on the last page)."""
    rows, more = await service.list_revisions(
        ctx.session,
        ctx.principal,
        plan_id,
        limit=limit,
        after=decode_number_cursor(cursor) if cursor else None,
    )
    next_cursor = encode_number_cursor(rows[-1]["number"]) if more else None
    return json_response({"items": rows, "next_cursor": next_cursor})


@router.get(
    "/v1/plans/{plan_id}/revisions/{number}",
    summary="Read one revision of a plan",
    response_model=RevisionRead,
    responses=problem_responses(401, 403, 404, 422, 500),
)
async def get_plan_revision(
    ctx: _READ,
    plan_id: _PLAN_ID,
    number: Annotated[int, Path(ge=1, le=1_000_000, description="Revision number.")],
) -> Response:
    """One revision with its evaluation and diff."""
    return json_response(await service.get_revision(ctx.session, ctx.principal, plan_id, number))


@router.get(
    "/v1/plans/{plan_id}/history",
    summary="A plan's change history",
    response_model=HistoryPage,
    responses=problem_responses(400, 401, 403, 404, 422, 500),
)
async def get_plan_history(
    ctx: _READ,
    plan_id: _PLAN_ID,
    limit: Annotated[
        int, Query(ge=1, le=100, description="Page size (at most 100; default 100).")
    ] = 100,
    cursor: PageCursor = None,
) -> Response:
    """Every change (creation, status, phase, reassessment, decision, relapse-plan edit) with
    who (client and end user) and when, oldest first; keyset pagination on (created_at, id)
    (`next_cursor` is null on the last page)."""
    rows, more = await service.history(
        ctx.session,
        ctx.principal,
        plan_id,
        limit=limit,
        after=decode_cursor(cursor) if cursor else None,
    )
    next_cursor = encode_cursor(rows[-1]["created_at"], rows[-1]["id"]) if more else None
    items = [{k: v for k, v in row.items() if k != "id"} for row in rows]
    return json_response({"items": items, "next_cursor": next_cursor, "privacy": privacy_block()})


@router.put(
    "/v1/plans/{plan_id}/recommendations/{code}/decision",
    summary="Record a clinician decision on a recommendation",
    response_model=DecisionRecorded,
    responses={
        200: {"description": "Recorded.", "headers": _ETAG_HEADER},
        **problem_responses(400, 401, 403, 404, 409, 412, 413, 415, 422, 500),
    },
    openapi_extra=request_body_openapi(DecisionIn, description="The decision."),
)
async def record_decision(
    ctx: _WRITE,
    plan_id: _PLAN_ID,
    code: Annotated[
        str,
        Path(
            max_length=64,
            pattern=r"^[a-z0-9_]+$",
            description="The recommendation code, e.g. `buprenorphine`.",
        ),
    ],
    if_match: _OPTIONAL_IF_MATCH,
    user_id: UserId = None,
    payload: DecisionIn = json_body(DecisionIn),
) -> Response:
    """Records `accepted`, `declined` or `modified` with a reason code from the published
    `DecisionReason` list. Replaces an earlier decision on the same recommendation.
    Send `If-Match` with the ETag of the plan as the clinician saw it: if a reassessment (or
    another decision) changed the plan since, the answer is 412 and nothing is recorded, so a
    decision is never filed against a recommendation the clinician did not see."""
    decision, version = await service.record_decision(
        ctx.session, ctx.principal, plan_id, code, payload, user_id=user_id, if_match=if_match
    )
    await commit_audited(ctx.session)
    return json_response(decision, headers={"ETag": service.etag(plan_id, version)})


@router.put(
    "/v1/plans/{plan_id}/relapse-prevention",
    summary="Replace the plan's relapse-prevention plan",
    response_model=PlanRead,
    responses={
        200: {"description": "Updated.", "headers": _ETAG_HEADER},
        **problem_responses(400, 401, 403, 404, 409, 412, 413, 415, 422, 428, 500),
    },
    openapi_extra=request_body_openapi(RelapsePreventionIn, description="The whole plan."),
)
async def replace_relapse_prevention(
    ctx: _WRITE,
    plan_id: _PLAN_ID,
    if_match: _IF_MATCH,
    user_id: UserId = None,
    payload: RelapsePreventionIn = json_body(RelapsePreventionIn),
) -> Response:
    """Triggers, coping strategies, warning signs, high-risk situations and support contacts,
    written with the patient. Same ETag rules as PATCH. A completed or revoked plan keeps the
    relapse-prevention plan it ended with (409 `plan-closed`)."""
    row = await service.replace_relapse_plan(
        ctx.session, ctx.principal, plan_id, payload, if_match=if_match, user_id=user_id
    )
    await commit_audited(ctx.session)
    return _plan_response(row)
