"""EHR integration: registered CDS Hooks issuers, seen JWT ids, hook calls, cards, feedback."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, JsonDocument, UtcDateTime, utc_now


class EhrIssuer(Base):
    """A CDS client (EHR) trusted to call our CDS Hooks services for one tenant.

    ``client_id`` is a service API client created with it (no usable key, no scopes): rows
    the hook calls write (assessments, plans) name it as their creator.
    """

    __tablename__ = "ehr_issuers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    issuer: Mapped[str] = mapped_column(String(255), unique=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_clients.id"))
    jwks: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument, default=None)
    jwks_url: Mapped[str | None] = mapped_column(String(2000), default=None)
    allowed_algs: Mapped[list[str]] = mapped_column(JsonDocument)
    ehr_tenants: Mapped[list[str] | None] = mapped_column(JsonDocument, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)


class CdsJti(Base):
    """A JWT id already accepted; the unique key refuses a replay in every worker."""

    __tablename__ = "cds_jtis"
    __table_args__ = (
        UniqueConstraint("issuer", "jti", name="uq_cds_jtis_issuer_jti"),
        Index("ix_cds_jtis_expires", "expires_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    issuer: Mapped[str] = mapped_column(String(255))
    jti: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CdsHookCall(Base):
    """One answered hook call, kept so that a repeated hookInstance replays the same cards
    (per service: an EHR may send one hook firing's hookInstance to several services) when
    the request is the same one (``request_hash``)."""

    __tablename__ = "cds_hook_calls"
    __table_args__ = (
        UniqueConstraint(
            "issuer",
            "hook_instance",
            "service_id",
            name="uq_cds_hook_calls_issuer_instance_service",
        ),
        Index("ix_cds_hook_calls_tenant_created", "tenant_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    issuer: Mapped[str] = mapped_column(String(255))
    hook_instance: Mapped[str] = mapped_column(String(128))
    service_id: Mapped[str] = mapped_column(String(64))
    hook: Mapped[str] = mapped_column(String(64))
    plan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("plans.id"), default=None)
    ruleset_version: Mapped[str] = mapped_column(String(32))
    # The exact bytes sent (JSONB would reorder keys; a replay must be byte-identical).
    # Cleared (None) after its retention period: it holds the patient's findings.
    response: Mapped[bytes | None] = mapped_column(LargeBinary)
    # SHA-256 (hex) of what the answer depends on (hook, context, prefetch, fhirServer): a
    # repeated hookInstance is replayed only for the same request. None: stored before it.
    request_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class CdsCard(Base):
    """A card we returned: what rule and ruleset version it stands for (feedback analytics)."""

    __tablename__ = "cds_cards"
    __table_args__ = (Index("ix_cds_cards_tenant_rule", "tenant_id", "rule_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # the card's uuid
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    hook_call_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cds_hook_calls.id"))
    service_id: Mapped[str] = mapped_column(String(64))
    rule_id: Mapped[str] = mapped_column(String(64))
    ruleset_version: Mapped[str] = mapped_column(String(32))
    indicator: Mapped[str] = mapped_column(String(16))
    # What feedback may accept (the stored response that showed them is cleared in time).
    suggestion_ids: Mapped[list[str]] = mapped_column(JsonDocument)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class CdsFeedback(Base):
    """A clinician's outcome on one card, as the EHR reported it."""

    __tablename__ = "cds_feedback"
    __table_args__ = (
        UniqueConstraint("card_id", "outcome", "outcome_at", name="uq_cds_feedback_card_outcome"),
        Index("ix_cds_feedback_tenant_rule", "tenant_id", "rule_id", "ruleset_version"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    card_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cds_cards.id"))
    rule_id: Mapped[str] = mapped_column(String(64))
    ruleset_version: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))
    accepted_suggestions: Mapped[list[str] | None] = mapped_column(JsonDocument, default=None)
    override_system: Mapped[str | None] = mapped_column(String(255), default=None)
    override_code: Mapped[str | None] = mapped_column(String(64), default=None)
    override_display: Mapped[str | None] = mapped_column(String(255), default=None)
    user_comment: Mapped[str | None] = mapped_column(Text, default=None)
    outcome_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
