"""42 CFR Part 2 consents recorded against a plan, and the disclosures made under them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UtcDateTime, utc_now


class PlanConsent(Base):
    """A reference to the patient's consent that governs disclosures of one plan."""

    __tablename__ = "plan_consents"
    __table_args__ = (Index("ix_plan_consents_tenant_plan", "tenant_id", "plan_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plans.id"))
    consent_ref: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str | None] = mapped_column(String(128), default=None)
    purpose: Mapped[str | None] = mapped_column(String(32), default=None)
    effective_from: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    recorded_by_client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_clients.id"))


class PlanDisclosure(Base):
    """One disclosure of a plan outside the organisation: to whom, why, and on what basis."""

    __tablename__ = "plan_disclosures"
    __table_args__ = (
        Index("ix_plan_disclosures_tenant_patient", "tenant_id", "patient_ref", "disclosed_at"),
        Index("ix_plan_disclosures_tenant_disclosed", "tenant_id", "disclosed_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plans.id"))
    patient_ref: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(128))
    purpose: Mapped[str] = mapped_column(String(32))
    basis: Mapped[str] = mapped_column(String(24))
    consent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("plan_consents.id"), default=None
    )
    emergency_reason: Mapped[str | None] = mapped_column(Text, default=None)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_clients.id"))
    user_id: Mapped[str | None] = mapped_column(String(128), default=None)
    request_id: Mapped[str | None] = mapped_column(String(64), default=None)
    disclosed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
