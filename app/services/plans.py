"""Treatment plans: create, read, list, change status/phase, reassess, decide, edit the
relapse-prevention plan. Every query is tenant-scoped; handlers commit."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Any, cast

import orjson
from sqlalchemy import Select, Table, func, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from app import auditing as audit
from app import rules
from app.db import utc_now
from app.errors import DomainError, NotFound, RequestInvalid
from app.models import Plan, PlanDecision, PlanEvent, PlanRevision
from app.privacy import privacy_block
from app.schemas.assessment import AssessmentIn
from app.schemas.jsonout import dump_json
from app.schemas.plan import DecisionIn, PlanCreate, PlanUpdate, RelapsePreventionIn
from app.schemas.plan_vocab import Phase, PlanStatus
from app.security import Principal
from app.services import assessments
from app.services.evaluation import evaluate
from app.services.inserts import InsertBatch
from app.services.lifecycle import (
    PHASE_CHANGE_STATUSES,
    PHASE_TRANSITIONS,
    STATUS_TRANSITIONS,
    allowed_phases,
    allowed_statuses,
)
from app.services.plan_diff import diff_evaluations

EMPTY_RELAPSE_PLAN: dict[str, Any] = {
    "triggers": [],
    "coping_strategies": [],
    "warning_signs": [],
    "high_risk_situations": [],
    "support_contacts": [],
    "updated_at": None,
}


# Core tables for the hot inserts: a constant INSERT with separate parameters is compiled
# once and skips the ORM's per-statement value coercion (performance-baseline.md section 5).
PLAN_TABLE = cast(Table, Plan.__table__)
REVISION_TABLE = cast(Table, PlanRevision.__table__)
EVENT_TABLE = cast(Table, PlanEvent.__table__)


class PlanEnteredInError(DomainError):
    status, slug, title = 409, "plan-entered-in-error", "Plan entered in error"


def ensure_not_in_error(row: dict[str, Any]) -> None:
    """A plan marked entered-in-error is kept for the record only: no decisions, edits,
    consents or disclosures (a wrong record must not be acted on or sent elsewhere)."""
    if row["status"] == PlanStatus.entered_in_error.value:
        raise PlanEnteredInError(
            "This plan was marked entered-in-error: it cannot be changed or disclosed."
        )


class PlanClosed(DomainError):
    status, slug, title = 409, "plan-closed", "Plan closed"


def ensure_open(row: dict[str, Any], *, change: str = "new clinician decisions") -> None:
    """Decisions and relapse-plan edits are about a plan in use: a completed or revoked plan
    (terminal states, as in FHIR CarePlan) is kept as it ended."""
    ensure_not_in_error(row)
    if PlanStatus(row["status"]) not in PHASE_CHANGE_STATUSES:
        raise PlanClosed(
            f"This plan is {row['status']}: it takes no {change}. Create a new plan (or "
            "reactivate this one, where allowed) to continue."
        )


class TransitionNotAllowed(DomainError):
    status, slug, title = 409, "transition-not-allowed", "Transition not allowed"

    def __init__(self, detail: str, *, allowed: list[str]) -> None:
        super().__init__(detail)
        self.allowed = allowed

    def extensions(self) -> dict[str, Any] | None:
        return {"allowed": self.allowed}


class PreconditionRequired(DomainError):
    status, slug, title = 428, "precondition-required", "If-Match required"


class PreconditionFailed(DomainError):
    status, slug, title = 412, "precondition-failed", "The plan has changed"


class RecommendationNotFound(DomainError):
    status, slug, title = 404, "recommendation-not-found", "No such recommendation"


def etag(plan_id: uuid.UUID, version: int) -> str:
    """A strong ETag: opaque, changes with every write to the plan."""
    return '"' + hashlib.sha256(f"{plan_id}:{version}".encode()).hexdigest()[:24] + '"'


def check_if_match(if_match: str | None, plan_id: uuid.UUID, version: int) -> None:
    if if_match is None or not if_match.strip() or if_match.strip() == "*":
        raise PreconditionRequired("Send If-Match with the ETag from your last read of this plan.")
    current = etag(plan_id, version)
    # Strong comparison (RFC 9110 13.1.1): a weak validator never matches.
    candidates = [tag.strip() for tag in if_match.split(",")]
    if current not in candidates:
        raise PreconditionFailed(
            "The plan changed since you read it (or the ETag is weak); read it again."
        )


def none_match_fails(if_none_match: str, current: str) -> bool:
    """Whether If-None-Match names the current representation (`*`, or any listed tag by
    weak comparison: RFC 9110 13.1.2), so a GET answers 304."""
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or current in tags


def check_optional_if_match(if_match: str | None, plan_id: uuid.UUID, version: int) -> None:
    """An If-Match that is sent must match (412 otherwise); none, or ``*``, checks nothing.
    For writes that may go without a precondition but that a screen can pin to what it showed
    (a decision made on a recommendation a newer revision has since changed)."""
    if if_match is None or not if_match.strip() or if_match.strip() == "*":
        return
    check_if_match(if_match, plan_id, version)


def _assessment_from_document(document: dict[str, Any]) -> AssessmentIn:
    # Re-validate through the same strict JSON path the API uses.
    return AssessmentIn.model_validate_json(orjson.dumps(document))


def evaluation_json(assessment: AssessmentIn) -> dict[str, Any]:
    """The evaluation of ``assessment`` as of its own time, as JSON objects (what plan rows
    store and the diff, cards and FHIR bundle read)."""
    return evaluate(assessment, as_of=assessment.assessed_at).model_dump(mode="json")


#: What a new plan derives from its evaluation: the PH-01/PH-02 suggestion, the follow-up
#: schedule and the list columns (``evaluation_columns``).
_DERIVED_FROM: Any = {
    "alerts": {"__all__": {"severity", "code", "detail"}},
    "scores": {"cows": {"value"}},
    "level_of_care": {"setting", "determination"},
    "phases": {"__all__": {"recommendations": {"__all__": {"code", "status", "rule_ids"}}}},
    "ruleset": True,
}


def _evaluate_for_storage(
    assessment: AssessmentIn,
) -> tuple[orjson.Fragment, dict[str, Any], orjson.Fragment]:
    """A new plan's evaluation as JSON text, written once and embedded verbatim in the plan
    row, the revision row and the response (the ~75 KB document as Python objects was the
    largest single cost of creating a plan), with the few facts the plan derives from it and
    the scores for the assessment row."""
    evaluation = evaluate(assessment, as_of=assessment.assessed_at)
    return (
        orjson.Fragment(dump_json(evaluation)),
        evaluation.model_dump(mode="json", include=_DERIVED_FROM),
        orjson.Fragment(dump_json(evaluation.scores)),
    )


def _suggestion(evaluation: dict[str, Any], phase: Phase, revision: int) -> dict[str, Any] | None:
    found = rules.suggest_phase_transition(evaluation, current_phase=phase.value)
    if found is None:
        return None
    return {"from_phase": phase.value, **found, "revision": revision}


async def _load_assessment(
    session: AsyncSession,
    principal: Principal,
    payload: PlanCreate,
    inserts: InsertBatch,
    scores: Any,
) -> tuple[uuid.UUID, AssessmentIn]:
    if payload.assessment is not None:
        # ``scores``: from the plan's evaluation (JSON or JSON text), not computed twice.
        row = assessments.new_assessment(principal, payload.assessment, scores)
        inserts.add(assessments.ASSESSMENT_TABLE, row)  # written with the plan
        return row["id"], payload.assessment
    assessment_id = payload.assessment_id or uuid.UUID(int=0)  # set: PlanCreate checks one
    try:
        row = await assessments.get_assessment(session, principal, assessment_id)
    except NotFound:
        raise RequestInvalid(
            [
                {
                    "pointer": "/assessment_id",
                    "detail": "No assessment with this id exists for your organisation.",
                    "type": "not_found",
                }
            ]
        ) from None
    return row["id"], _assessment_from_document(row["document"])


def _event_row(
    principal: Principal,
    plan_id: uuid.UUID,
    kind: str,
    changes: dict[str, Any],
    *,
    user_id: str | None,
    note: str | None = None,
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "tenant_id": principal.tenant_id,
        "plan_id": plan_id,
        "kind": kind,
        "changes": changes,
        "note": note,
        "client_id": principal.client_id,
        "user_id": user_id,
        "created_at": utc_now(),
    }


async def _event(session: AsyncSession, *args: Any, **kwargs: Any) -> None:
    """Insert one history event now (arguments as for ``_event_row``)."""
    await session.execute(insert(EVENT_TABLE), _event_row(*args, **kwargs))


async def create_plan(
    session: AsyncSession,
    principal: Principal,
    payload: PlanCreate,
    *,
    user_id: str | None,
    evaluation: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``evaluation``: the caller's evaluation of ``payload.assessment`` (JSON form), when it
    already has one; it is not evaluated twice. The returned row's ``evaluation`` is that
    dict, or else JSON text (an ``orjson.Fragment``) for the response to embed."""
    inserts = InsertBatch()
    stored: Any = evaluation
    derived = evaluation
    scores: Any = evaluation["scores"] if evaluation is not None else None
    if evaluation is None and payload.assessment is not None:
        stored, derived, scores = _evaluate_for_storage(payload.assessment)
    assessment_id, assessment = await _load_assessment(session, principal, payload, inserts, scores)
    if derived is None:  # a stored assessment: evaluated now
        stored, derived, _ = _evaluate_for_storage(assessment)
    now = utc_now()
    plan_id = uuid.uuid4()
    phase = Phase.stabilization
    suggestion = _suggestion(derived, phase, 1)
    ruleset = derived["ruleset"]
    row = {
        "id": plan_id,
        "tenant_id": principal.tenant_id,
        "patient_ref": assessment.patient.patient_ref,
        "status": payload.status,
        "current_phase": phase.value,
        "revision": 1,
        "version": 1,
        "assessment_id": assessment_id,
        "ruleset_version": ruleset["version"],
        "ruleset_hash": ruleset["hash"],
        "evaluation": stored,
        **evaluation_columns(derived),
        "suggested_phase": suggestion,
        "follow_up": rules.follow_up_schedule(derived, start=assessment.assessed_at.date()),
        "relapse_prevention": EMPTY_RELAPSE_PLAN,
        "created_at": now,
        "updated_at": now,
        "created_by_client_id": principal.client_id,
    }
    inserts.add(PLAN_TABLE, row)
    inserts.add(
        REVISION_TABLE,
        {
            "id": uuid.uuid4(),
            "tenant_id": principal.tenant_id,
            "plan_id": plan_id,
            "number": 1,
            "assessment_id": assessment_id,
            "ruleset_version": ruleset["version"],
            "ruleset_hash": ruleset["hash"],
            "evaluation": stored,
            "diff": None,
            "suggested_phase": suggestion,
            "created_at": now,
            "created_by_client_id": principal.client_id,
        },
    )
    changes = {"status": payload.status, "revision": 1}
    inserts.add(EVENT_TABLE, _event_row(principal, plan_id, "created", changes, user_id=user_id))
    await inserts.execute(session)  # assessment (when inline), plan, revision, event
    audit.note(patient_ref=row["patient_ref"], resource_id=plan_id)
    return row | {"decisions": []}


_PLAN_COLUMNS = tuple(Plan.__table__.columns)


def get_plan_query(tenant_id: uuid.UUID, plan_id: uuid.UUID) -> Select[Any]:
    return select(*_PLAN_COLUMNS).where(Plan.tenant_id == tenant_id, Plan.id == plan_id)


async def get_plan_row(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, *, for_update: bool = False
) -> dict[str, Any]:
    query = get_plan_query(principal.tenant_id, plan_id)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).mappings().first()
    if row is None:
        raise NotFound("No plan with this id exists for your organisation.")
    audit.note(patient_ref=row["patient_ref"])
    return dict(row)


async def active_decisions(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID
) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(
            PlanDecision.recommendation_code,
            PlanDecision.recommendation_status,
            PlanDecision.decision,
            PlanDecision.reason_code,
            PlanDecision.text,
            PlanDecision.clinician_id,
            PlanDecision.made_at_revision,
            PlanDecision.decided_at,
        )
        .where(
            PlanDecision.tenant_id == principal.tenant_id,
            PlanDecision.plan_id == plan_id,
            PlanDecision.ended_at_revision.is_(None),
        )
        .order_by(PlanDecision.decided_at, PlanDecision.id)
    )
    return [dict(r) for r in rows.mappings()]


async def get_plan(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID
) -> dict[str, Any]:
    row = await get_plan_row(session, principal, plan_id)
    row["decisions"] = await active_decisions(session, principal, plan_id)
    return row


def list_plans_query(
    tenant_id: uuid.UUID,
    *,
    patient_ref: str | None = None,
    status: PlanStatus | None = None,
    phase: Phase | None = None,
    updated_since: datetime | None = None,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None = None,
) -> Select[Any]:
    """Newest created first, keyset on (created_at, id), which an edit never changes (paging
    on updated_at skipped a plan edited during the walk); fetches limit + 1 to detect more."""
    columns = (
        Plan.id,
        Plan.patient_ref,
        Plan.status,
        Plan.current_phase,
        Plan.revision,
        Plan.ruleset_version,
        Plan.level_of_care,
        Plan.critical_alerts,
        Plan.created_at,
        Plan.updated_at,
    )
    query = select(*columns).where(Plan.tenant_id == tenant_id)
    if patient_ref is not None:
        query = query.where(Plan.patient_ref == patient_ref)
    if status is not None:
        query = query.where(Plan.status == status.value)
    if phase is not None:
        query = query.where(Plan.current_phase == phase.value)
    if updated_since is not None:
        query = query.where(Plan.updated_at >= updated_since)
    if after is not None:
        query = query.where(tuple_(Plan.created_at, Plan.id) < tuple_(*after))
    ordered = query.order_by(Plan.created_at.desc(), Plan.id.desc())
    return cast("Select[Any]", ordered.limit(limit + 1))


async def list_plans(
    session: AsyncSession,
    principal: Principal,
    *,
    patient_ref: str | None,
    status: PlanStatus | None,
    phase: Phase | None,
    updated_since: datetime | None,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> tuple[list[dict[str, Any]], bool]:
    query = list_plans_query(
        principal.tenant_id,
        patient_ref=patient_ref,
        status=status,
        phase=phase,
        updated_since=updated_since,
        limit=limit,
        after=after,
    )
    rows = [dict(r) for r in (await session.execute(query)).mappings()]
    return rows[:limit], len(rows) > limit


async def update_plan(
    session: AsyncSession,
    principal: Principal,
    plan_id: uuid.UUID,
    payload: PlanUpdate,
    *,
    if_match: str | None,
    user_id: str | None,
) -> dict[str, Any]:
    row = await get_plan_row(session, principal, plan_id, for_update=True)
    check_if_match(if_match, plan_id, row["version"])
    status, phase = PlanStatus(row["status"]), Phase(row["current_phase"])
    changes: dict[str, Any] = {}
    values: dict[str, Any] = {}
    if payload.status is not None and payload.status != status:
        if payload.status not in STATUS_TRANSITIONS[status]:
            raise TransitionNotAllowed(
                f"A plan in status '{status.value}' cannot become '{payload.status.value}'.",
                allowed=allowed_statuses(status),
            )
        changes["status"] = {"from": status.value, "to": payload.status.value}
        values["status"] = payload.status.value
    if payload.current_phase is not None and payload.current_phase != phase:
        effective_status = PlanStatus(values.get("status", status))
        if effective_status not in PHASE_CHANGE_STATUSES:
            raise TransitionNotAllowed(
                f"The phase of a '{effective_status.value}' plan cannot change.", allowed=[]
            )
        if payload.current_phase not in PHASE_TRANSITIONS[phase]:
            raise TransitionNotAllowed(
                f"The phase cannot move from '{phase.value}' to '{payload.current_phase.value}'.",
                allowed=allowed_phases(phase),
            )
        changes["current_phase"] = {"from": phase.value, "to": payload.current_phase.value}
        values["current_phase"] = payload.current_phase.value
        suggestion = row["suggested_phase"]
        if suggestion and suggestion.get("to_phase") == payload.current_phase.value:
            changes["confirmed_suggestion"] = suggestion
            values["suggested_phase"] = None
        elif suggestion:
            values["suggested_phase"] = None  # the plan moved elsewhere; the suggestion is moot
    if not changes:
        if payload.note:
            ensure_not_in_error(row)  # kept for the record only: nothing is added to it
            # Nothing to change, but the clinician's note is not dropped: kept in the history
            # (the plan itself, and so its ETag, stay as they are).
            await _event(
                session, principal, plan_id, "noted", {}, user_id=user_id, note=payload.note
            )
        return await get_plan(session, principal, plan_id)
    values |= {"version": row["version"] + 1, "updated_at": utc_now()}
    await session.execute(update(Plan).where(Plan.id == plan_id).values(values))
    await _event(
        session, principal, plan_id, "updated", changes, user_id=user_id, note=payload.note
    )
    return await get_plan(session, principal, plan_id)


async def reassess(
    session: AsyncSession,
    principal: Principal,
    plan_id: uuid.UUID,
    assessment: AssessmentIn,
    *,
    user_id: str | None,
    evaluation: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Store the new assessment, evaluate it (unless the caller did: ``evaluation``), append a
    revision with its diff."""
    row = await get_plan_row(session, principal, plan_id, for_update=True)
    if assessment.patient.patient_ref != row["patient_ref"]:
        raise RequestInvalid(
            [
                {
                    "pointer": "/assessment/patient/patient_ref",
                    "detail": "The reassessment is for a different patient than the plan.",
                    "type": "cross_field",
                }
            ]
        )
    ensure_open(row, change="reassessments")  # the same answer as every other closed-plan write
    if assessment.assessed_at < datetime.fromisoformat(row["evaluation"]["evaluated_at"]):
        # A backdated reassessment would read as a trend in the wrong direction.
        raise RequestInvalid(
            [
                {
                    "pointer": "/assessment/assessed_at",
                    "detail": "A reassessment cannot be dated before the plan's current revision.",
                    "type": "cross_field",
                }
            ]
        )
    if evaluation is None:
        evaluation = evaluation_json(assessment)
    stored = await assessments.create_assessment(
        session, principal, assessment, evaluation["scores"]
    )
    number = row["revision"] + 1
    diff = diff_evaluations(row["evaluation"], evaluation, previous_revision=row["revision"])
    phase = Phase(row["current_phase"])
    suggestion = _suggestion(evaluation, phase, number)
    now = utc_now()
    await session.execute(
        insert(PlanRevision).values(
            id=uuid.uuid4(),
            tenant_id=principal.tenant_id,
            plan_id=plan_id,
            number=number,
            assessment_id=stored["id"],
            ruleset_version=evaluation["ruleset"]["version"],
            ruleset_hash=evaluation["ruleset"]["hash"],
            evaluation=evaluation,
            diff=diff,
            suggested_phase=suggestion,
            created_at=now,
            created_by_client_id=principal.client_id,
        )
    )
    await session.execute(
        update(Plan)
        .where(Plan.id == plan_id)
        .values(
            revision=number,
            version=row["version"] + 1,
            assessment_id=stored["id"],
            ruleset_version=evaluation["ruleset"]["version"],
            ruleset_hash=evaluation["ruleset"]["hash"],
            evaluation=evaluation,
            **evaluation_columns(evaluation),
            suggested_phase=suggestion,
            follow_up=_carried_schedule(
                row["follow_up"],
                rules.follow_up_schedule(evaluation, start=assessment.assessed_at.date()),
            ),
            updated_at=now,
        )
    )
    # The history tells it in order: the reassessment, then the decisions it ended.
    await _event(session, principal, plan_id, "reassessed", {"revision": number}, user_id=user_id)
    await _end_stale_decisions(session, principal, plan_id, evaluation, number, user_id=user_id)
    revision = {
        "number": number,
        "assessment_id": stored["id"],
        "ruleset": evaluation["ruleset"],
        "evaluation": evaluation,
        "diff": diff,
        "suggested_phase_transition": suggestion,
        "created_at": now,
        "privacy": privacy_block(),
    }
    return await get_plan(session, principal, plan_id), revision


def _carried_schedule(
    previous: list[dict[str, Any]] | None, fresh: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """A reassessment changes which follow-up items apply, not the dates already set: an
    item still scheduled keeps its due date ('week 12' stays week 12 of the episode; re-dated
    at each reassessment, a patient reassessed monthly never reached the 12-month one); an
    item new in this revision counts from the reassessment (an ECG within 30 days of starting
    methadone counts from when methadone came up)."""
    kept = {item["code"]: item["due_date"] for item in previous or []}
    items = [item | {"due_date": kept.get(item["code"], item["due_date"])} for item in fresh]
    return sorted(items, key=lambda i: (i["due_date"], i["code"]))


def recommendation_statuses(evaluation: dict[str, Any]) -> dict[str, str]:
    return {
        rec["code"]: rec["status"]
        for phase in evaluation.get("phases", [])
        for rec in phase.get("recommendations", [])
    }


async def _end_stale_decisions(
    session: AsyncSession,
    principal: Principal,
    plan_id: uuid.UUID,
    evaluation: dict[str, Any],
    revision: int,
    *,
    user_id: str | None,
) -> None:
    """A decision carries forward only while the same recommendation (code and status) stays."""
    statuses = recommendation_statuses(evaluation)
    ended = []
    for decision in await active_decisions(session, principal, plan_id):
        if statuses.get(decision["recommendation_code"]) != decision["recommendation_status"]:
            await session.execute(
                update(PlanDecision)
                .where(
                    PlanDecision.plan_id == plan_id,
                    PlanDecision.recommendation_code == decision["recommendation_code"],
                    PlanDecision.ended_at_revision.is_(None),
                )
                .values(ended_at_revision=revision)
            )
            ended.append(
                {
                    "recommendation_code": decision["recommendation_code"],
                    "decision": decision["decision"],
                    "was": decision["recommendation_status"],
                    "now": statuses.get(decision["recommendation_code"]),
                }
            )
    if ended:
        # The reassessment changed what these decisions were about: they no longer apply.
        changes = {"revision": revision, "decisions": ended}
        await _event(session, principal, plan_id, "decisions_ended", changes, user_id=user_id)


async def record_decision(
    session: AsyncSession,
    principal: Principal,
    plan_id: uuid.UUID,
    code: str,
    payload: DecisionIn,
    *,
    user_id: str | None,
    if_match: str | None = None,
) -> tuple[dict[str, Any], int]:
    row = await get_plan_row(session, principal, plan_id, for_update=True)
    ensure_open(row)
    check_optional_if_match(if_match, plan_id, row["version"])
    status = recommendation_statuses(row["evaluation"]).get(code)
    if status is None:
        raise RecommendationNotFound(
            "The current revision of this plan has no recommendation with this code."
        )
    # A new decision replaces the previous one on the same recommendation.
    await session.execute(
        update(PlanDecision)
        .where(
            PlanDecision.plan_id == plan_id,
            PlanDecision.recommendation_code == code,
            PlanDecision.ended_at_revision.is_(None),
        )
        .values(ended_at_revision=row["revision"])
    )
    now = utc_now()
    await session.execute(
        insert(PlanDecision).values(
            id=uuid.uuid4(),
            tenant_id=principal.tenant_id,
            plan_id=plan_id,
            recommendation_code=code,
            recommendation_status=status,
            decision=payload.decision.value,
            reason_code=payload.reason_code.value,
            text=payload.text,
            clinician_id=payload.clinician_id,
            made_at_revision=row["revision"],
            decided_at=now,
            client_id=principal.client_id,
        )
    )
    await session.execute(
        update(Plan).where(Plan.id == plan_id).values(version=row["version"] + 1, updated_at=now)
    )
    await _event(
        session,
        principal,
        plan_id,
        "decision",
        {
            "recommendation_code": code,
            "decision": payload.decision.value,
            "reason_code": payload.reason_code.value,
            "text": payload.text,
            "clinician_id": payload.clinician_id,
        },
        user_id=user_id,
    )
    decision = {
        "recommendation_code": code,
        "recommendation_status": status,
        "decision": payload.decision.value,
        "reason_code": payload.reason_code.value,
        "text": payload.text,
        "clinician_id": payload.clinician_id,
        "made_at_revision": row["revision"],
        "privacy": privacy_block(),
        "decided_at": now,
    }
    return decision, row["version"] + 1  # the plan's new version, for the response's ETag


async def replace_relapse_plan(
    session: AsyncSession,
    principal: Principal,
    plan_id: uuid.UUID,
    payload: RelapsePreventionIn,
    *,
    if_match: str | None,
    user_id: str | None,
) -> dict[str, Any]:
    row = await get_plan_row(session, principal, plan_id, for_update=True)
    # A plan that cannot take this edit says so whatever the precondition (409, not 428).
    ensure_open(row, change="relapse-prevention edits")
    check_if_match(if_match, plan_id, row["version"])
    now = utc_now()
    stamp = now.isoformat().replace("+00:00", "Z")  # as every other timestamp we answer
    document = payload.model_dump(mode="json") | {"updated_at": stamp}
    await session.execute(
        update(Plan)
        .where(Plan.id == plan_id)
        .values(relapse_prevention=document, version=row["version"] + 1, updated_at=now)
    )
    await _event(
        session,
        principal,
        plan_id,
        "relapse_prevention_updated",
        {
            "sections": sorted(k for k, v in payload.model_dump().items() if v),
            "previous": row.get("relapse_prevention"),  # the history can show what was replaced
        },
        user_id=user_id,
    )
    return await get_plan(session, principal, plan_id)


_REVISION_COLUMNS = (
    PlanRevision.number,
    PlanRevision.assessment_id,
    PlanRevision.ruleset_version,
    PlanRevision.ruleset_hash,
    PlanRevision.evaluation,
    PlanRevision.diff,
    PlanRevision.suggested_phase,
    PlanRevision.created_at,
)


def _revision_view(r: Any) -> dict[str, Any]:
    return {
        "number": r["number"],
        "assessment_id": r["assessment_id"],
        "ruleset": {"version": r["ruleset_version"], "hash": r["ruleset_hash"]},
        "evaluation": r["evaluation"],
        "diff": r["diff"],
        "suggested_phase_transition": r["suggested_phase"],
        "created_at": r["created_at"],
        "privacy": privacy_block(),
    }


async def list_revisions(
    session: AsyncSession,
    principal: Principal,
    plan_id: uuid.UUID,
    *,
    limit: int,
    after: int | None = None,
) -> tuple[list[dict[str, Any]], bool]:
    """Oldest first, keyset on the revision number (each revision carries its whole
    evaluation, so a page is bounded); fetches limit + 1 to detect more."""
    await get_plan_row(session, principal, plan_id)  # 404 for another tenant's plan
    query = select(*_REVISION_COLUMNS).where(
        PlanRevision.tenant_id == principal.tenant_id, PlanRevision.plan_id == plan_id
    )
    if after is not None:
        query = query.where(PlanRevision.number > after)
    query = query.order_by(PlanRevision.number).limit(limit + 1)
    rows = (await session.execute(query)).mappings().all()
    return [_revision_view(r) for r in rows[:limit]], len(rows) > limit


async def get_revision(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, number: int
) -> dict[str, Any]:
    await get_plan_row(session, principal, plan_id)  # 404 for another tenant's plan
    query = select(*_REVISION_COLUMNS).where(
        PlanRevision.tenant_id == principal.tenant_id,
        PlanRevision.plan_id == plan_id,
        PlanRevision.number == number,
    )
    row = (await session.execute(query)).mappings().first()
    if row is None:
        raise NotFound("This plan has no revision with this number.")
    return _revision_view(row)


async def history(
    session: AsyncSession,
    principal: Principal,
    plan_id: uuid.UUID,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None = None,
) -> tuple[list[dict[str, Any]], bool]:
    """Oldest first, keyset on (created_at, id); fetches limit + 1 to detect more. Rows carry
    ``id`` for the next cursor."""
    await get_plan_row(session, principal, plan_id)
    query = select(
        PlanEvent.id,
        PlanEvent.kind,
        PlanEvent.changes,
        PlanEvent.note,
        PlanEvent.client_id,
        PlanEvent.user_id,
        PlanEvent.created_at,
    ).where(PlanEvent.tenant_id == principal.tenant_id, PlanEvent.plan_id == plan_id)
    if after is not None:
        query = query.where(tuple_(PlanEvent.created_at, PlanEvent.id) > tuple_(*after))
    query = query.order_by(PlanEvent.created_at, PlanEvent.id).limit(limit + 1)
    rows = [dict(r) for r in (await session.execute(query)).mappings()]
    return rows[:limit], len(rows) > limit


async def count_plans(session: AsyncSession, principal: Principal) -> int:
    query = select(func.count()).select_from(Plan).where(Plan.tenant_id == principal.tenant_id)
    return int((await session.execute(query)).scalar_one())


def plan_view(row: dict[str, Any]) -> dict[str, Any]:
    relapse = row["relapse_prevention"] or EMPTY_RELAPSE_PLAN
    return {
        "id": row["id"],
        "patient_ref": row["patient_ref"],
        "status": row["status"],
        "current_phase": row["current_phase"],
        "revision": row["revision"],
        "assessment_id": row["assessment_id"],
        "ruleset": {"version": row["ruleset_version"], "hash": row["ruleset_hash"]},
        "evaluation": row["evaluation"],
        "suggested_phase_transition": row["suggested_phase"],
        "decisions": row.get("decisions", []),
        "follow_up": row["follow_up"],
        "relapse_prevention": relapse,
        "privacy": privacy_block(),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def evaluation_columns(evaluation: dict[str, Any]) -> dict[str, Any]:
    """The evaluation facts that list pages show, stored as plain columns."""
    return {
        "level_of_care": (evaluation.get("level_of_care") or {}).get("setting"),
        "critical_alerts": sum(
            1 for a in evaluation.get("alerts", []) if a.get("severity") == "critical"
        ),
    }


def summary_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "patient_ref": row["patient_ref"],
        "status": row["status"],
        "current_phase": row["current_phase"],
        "revision": row["revision"],
        "level_of_care": row["level_of_care"],
        "critical_alerts": row["critical_alerts"],
        "ruleset_version": row["ruleset_version"],
        "privacy": privacy_block(),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }
