"""The audit trail: append-only, hash-chained events, one per audited request.

Each tenant has its own chain; refusals that carry no tenant (401) go to the ``system`` chain.
``audit_chain_heads`` holds each chain's last position and hash: appending locks that row (so
concurrent writers on PostgreSQL stay linear) and ``kratom-cds audit verify`` checks it against
the last event, so deleting the newest events is detected as well.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UtcDateTime

SYSTEM_CHAIN = "system"


class AuditEvent(Base):
    """One audited request. Never updated or deleted (database triggers refuse both)."""

    __tablename__ = "audit_events"
    __table_args__ = (
        UniqueConstraint("chain", "seq", name="uq_audit_events_chain_seq"),
        Index("ix_audit_events_tenant_occurred", "tenant_id", "occurred_at", "id"),
        Index(
            "ix_audit_events_tenant_patient_occurred",
            "tenant_id",
            "patient_ref",
            "occurred_at",
            "id",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(String(36))  # the tenant id, or "system"
    seq: Mapped[int] = mapped_column(BigInteger)  # 1, 2, 3... within the chain
    tenant_id: Mapped[uuid.UUID | None] = mapped_column()
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    request_id: Mapped[str] = mapped_column(String(64))
    client_id: Mapped[uuid.UUID | None] = mapped_column()
    user_id: Mapped[str | None] = mapped_column(String(128))
    patient_ref: Mapped[str | None] = mapped_column(String(64))
    resource_type: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(8))
    route: Mapped[str] = mapped_column(String(128))
    http_status: Mapped[int] = mapped_column(SmallInteger)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditChainHead(Base):
    """The newest position and hash of one chain (a row lock serialises appends)."""

    __tablename__ = "audit_chain_heads"

    chain: Mapped[str] = mapped_column(String(36), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
