"""Store, read and list assessments; always within the caller's tenant."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app import rules
from app.db import utc_now
from app.errors import NotFound
from app.models import Assessment
from app.schemas.assessment import AssessmentIn
from app.security import Principal

ASSESSMENT_TABLE = cast(Table, Assessment.__table__)  # Core: a constant, cached INSERT
# Columns every read returns; selecting them explicitly keeps reads lean.
_COLUMNS = (
    Assessment.id,
    Assessment.patient_ref,
    Assessment.assessed_at,
    Assessment.created_at,
    Assessment.ruleset_version,
    Assessment.scores,
    Assessment.document,
)


def assessment_row(payload: AssessmentIn, scores: Any = None) -> dict[str, Any]:
    """The stored form: the document as sent (normalised) and its derived scores (``scores``:
    the scores of an evaluation of this payload as JSON or JSON text, when the caller has
    one)."""
    return {
        "patient_ref": payload.patient.patient_ref,
        "assessed_at": payload.assessed_at,
        "document": payload.model_dump(mode="json", exclude_unset=True),
        "scores": scores if scores is not None else scores_of(payload),
        "ruleset_version": rules.RULESET_VERSION,
    }


def scores_of(payload: AssessmentIn) -> dict[str, Any]:
    return rules.compute_scores(payload).model_dump(mode="json")


def new_assessment(
    principal: Principal, payload: AssessmentIn, scores: Any = None
) -> dict[str, Any]:
    """The row ``create_assessment`` inserts (for callers that insert it with other rows)."""
    return assessment_row(payload, scores) | {
        "id": uuid.uuid4(),
        "tenant_id": principal.tenant_id,
        "created_by_client_id": principal.client_id,
        "created_at": utc_now(),
    }


async def create_assessment(
    session: AsyncSession,
    principal: Principal,
    payload: AssessmentIn,
    scores: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Insert one assessment with a single Core INSERT (no ORM unit of work on the hot path)."""
    row = new_assessment(principal, payload, scores)
    await session.execute(insert(ASSESSMENT_TABLE), row)
    return row


async def get_assessment(
    session: AsyncSession, principal: Principal, assessment_id: uuid.UUID
) -> dict[str, Any]:
    result = await session.execute(
        select(*_COLUMNS).where(
            Assessment.tenant_id == principal.tenant_id, Assessment.id == assessment_id
        )
    )
    row = result.mappings().first()
    if row is None:
        # Same answer for "missing" and "another tenant's": ids reveal nothing.
        raise NotFound("No assessment with this id exists for your organisation.")
    return dict(row)


async def list_patient_assessments(
    session: AsyncSession,
    principal: Principal,
    patient_ref: str,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> tuple[list[dict[str, Any]], bool]:
    """Newest first; returns one page and whether another follows."""
    query = select(*_COLUMNS).where(
        Assessment.tenant_id == principal.tenant_id, Assessment.patient_ref == patient_ref
    )
    if after is not None:
        query = query.where(tuple_(Assessment.created_at, Assessment.id) < tuple_(*after))
    query = query.order_by(Assessment.created_at.desc(), Assessment.id.desc()).limit(limit + 1)
    rows = [dict(r) for r in (await session.execute(query)).mappings()]
    return rows[:limit], len(rows) > limit
