"""A stored assessment: the whole validated document plus the columns queries need."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, JsonRecord, UtcDateTime, utc_now


class Assessment(Base):
    __tablename__ = "assessments"
    __table_args__ = (
        Index(
            "ix_assessments_tenant_patient_created", "tenant_id", "patient_ref", "created_at", "id"
        ),
        Index("ix_assessments_tenant_created", "tenant_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    patient_ref: Mapped[str] = mapped_column(String(64))
    assessed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    created_by_client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_clients.id"))
    document: Mapped[dict[str, Any]] = mapped_column(JsonRecord)
    scores: Mapped[dict[str, Any]] = mapped_column(JsonRecord)
    ruleset_version: Mapped[str] = mapped_column(String(32))
