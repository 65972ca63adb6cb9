"""Treatment plans with their revisions, history, clinician decisions and idempotency records."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, JsonDocument, JsonRecord, UtcDateTime, utc_now


class Plan(Base):
    """The current state of a plan; every revision's evaluation is kept in plan_revisions."""

    __tablename__ = "plans"
    __table_args__ = (
        Index("ix_plans_tenant_updated", "tenant_id", "updated_at", "id"),
        Index("ix_plans_tenant_patient_updated", "tenant_id", "patient_ref", "updated_at", "id"),
        # The list pages on the immutable creation time (an edit must not move a plan).
        Index("ix_plans_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_plans_tenant_patient_created", "tenant_id", "patient_ref", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    patient_ref: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24))
    current_phase: Mapped[str] = mapped_column(String(24))
    revision: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)  # bumps on every change; the ETag derives from it
    assessment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assessments.id"))
    ruleset_version: Mapped[str] = mapped_column(String(32))
    ruleset_hash: Mapped[str] = mapped_column(String(80))
    evaluation: Mapped[dict[str, Any]] = mapped_column(JsonRecord)
    # Copied out of the evaluation so list pages never read the large JSON document.
    level_of_care: Mapped[str | None] = mapped_column(String(48), default=None)
    critical_alerts: Mapped[int] = mapped_column(Integer, default=0)
    suggested_phase: Mapped[dict[str, Any] | None] = mapped_column(JsonRecord, default=None)
    follow_up: Mapped[list[dict[str, Any]]] = mapped_column(JsonRecord)
    relapse_prevention: Mapped[dict[str, Any]] = mapped_column(JsonRecord)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    created_by_client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_clients.id"))


class PlanRevision(Base):
    """One evaluation of the plan: revision 1 at creation, one more per reassessment."""

    __tablename__ = "plan_revisions"
    __table_args__ = (UniqueConstraint("plan_id", "number", name="uq_plan_revisions_plan_number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plans.id"))
    number: Mapped[int] = mapped_column(Integer)
    assessment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assessments.id"))
    ruleset_version: Mapped[str] = mapped_column(String(32))
    ruleset_hash: Mapped[str] = mapped_column(String(80))
    evaluation: Mapped[dict[str, Any]] = mapped_column(JsonRecord)
    diff: Mapped[dict[str, Any] | None] = mapped_column(JsonRecord, default=None)
    suggested_phase: Mapped[dict[str, Any] | None] = mapped_column(JsonRecord, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    created_by_client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_clients.id"))


class PlanEvent(Base):
    """The plan's history: who changed what, when (status, phase, relapse plan, revisions)."""

    __tablename__ = "plan_events"
    __table_args__ = (Index("ix_plan_events_plan_created", "plan_id", "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plans.id"))
    kind: Mapped[str] = mapped_column(String(32))
    changes: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_clients.id"))
    user_id: Mapped[str | None] = mapped_column(String(128), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class PlanDecision(Base):
    """A clinician's decision on one recommendation, carried forward while it persists."""

    __tablename__ = "plan_decisions"
    __table_args__ = (Index("ix_plan_decisions_plan_code", "plan_id", "recommendation_code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plans.id"))
    recommendation_code: Mapped[str] = mapped_column(String(64))
    recommendation_status: Mapped[str] = mapped_column(String(24))
    decision: Mapped[str] = mapped_column(String(16))
    reason_code: Mapped[str] = mapped_column(String(48))
    text: Mapped[str | None] = mapped_column(Text, default=None)
    clinician_id: Mapped[str] = mapped_column(String(128))
    made_at_revision: Mapped[int] = mapped_column(Integer)
    # None while the decision applies; the revision where the recommendation changed or left.
    ended_at_revision: Mapped[int | None] = mapped_column(Integer, default=None)
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_clients.id"))


class IdempotencyRecord(Base):
    """The stored outcome of a creating POST, replayed for the same key and body."""

    __tablename__ = "idempotency_records"
    __table_args__ = (
        UniqueConstraint("client_id", "key", name="uq_idempotency_records_client_key"),
        Index("ix_idempotency_records_created", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_clients.id"))
    key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    headers: Mapped[dict[str, str] | None] = mapped_column(JsonDocument, default=None)
    body: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
