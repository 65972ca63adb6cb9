"""Consents recorded against a plan, and disclosures checked against them (42 CFR Part 2).

A disclosure outside the organisation needs an active consent that covers its recipient and
purpose; otherwise it is refused (403), unless the caller invokes the medical-emergency
exception with the `break_glass` scope and a stated reason, which is recorded and flagged.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import utc_now
from app.errors import Forbidden, NotFound, RequestInvalid
from app.fhir.outbound import plan_bundle
from app.models import PlanConsent, PlanDisclosure
from app.privacy import REDISCLOSURE_NOTICE
from app.schemas.consent import (
    TPO_PURPOSES,
    ConsentIn,
    ConsentScope,
    DisclosureBasis,
    DisclosureIn,
    Purpose,
)
from app.security import Principal, Scope
from app.services import plans as plan_service

logger = logging.getLogger(__name__)

_CONSENT_COLUMNS = (
    PlanConsent.id,
    PlanConsent.consent_ref,
    PlanConsent.scope,
    PlanConsent.recipient,
    PlanConsent.purpose,
    PlanConsent.effective_from,
    PlanConsent.expires_at,
    PlanConsent.revoked_at,
    PlanConsent.recorded_at,
)
_DISCLOSURE_COLUMNS = (
    PlanDisclosure.id,
    PlanDisclosure.plan_id,
    PlanDisclosure.patient_ref,
    PlanDisclosure.recipient,
    PlanDisclosure.purpose,
    PlanDisclosure.basis,
    PlanDisclosure.consent_id,
    PlanDisclosure.client_id,
    PlanDisclosure.user_id,
    PlanDisclosure.emergency_reason,
    PlanDisclosure.disclosed_at,
)


class ConsentRequired(Forbidden):
    slug, title = "consent-required", "No active consent covers this disclosure"


def consent_status(row: dict[str, Any], now: datetime) -> str:
    if row["revoked_at"] is not None and row["revoked_at"] <= now:
        return "revoked"
    if now < row["effective_from"]:
        return "pending"
    if row["expires_at"] is not None and now >= row["expires_at"]:
        return "expired"
    return "active"


def consent_view(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {**row, "status": consent_status(row, now)}


def _covers(row: dict[str, Any], recipient: str, purpose: Purpose) -> bool:
    if row["scope"] == ConsentScope.tpo:
        return purpose in TPO_PURPOSES and row["recipient"] in (None, recipient)
    return bool(row["recipient"] == recipient and row["purpose"] == purpose)


def consent_scope_text(consent: dict[str, Any] | None, purpose: Purpose) -> str:
    if consent is None:
        return (
            "Disclosed without consent under the medical-emergency exception (42 CFR 2.51), "
            "for treating the emergency only."
        )
    if consent["scope"] == ConsentScope.tpo:
        return (
            f"Disclosed under the patient's consent {consent['consent_ref']} for treatment, "
            f"payment and health care operations; this disclosure: {purpose.value}."
        )
    return (
        f"Disclosed under the patient's consent {consent['consent_ref']} to this recipient "
        f"for {purpose.value} only."
    )


async def record_consent(
    session: AsyncSession,
    principal: Principal,
    plan_id: uuid.UUID,
    payload: ConsentIn,
) -> dict[str, Any]:
    plan_service.ensure_not_in_error(await _locked_plan(session, principal, plan_id))
    now = utc_now()
    row = {
        "id": uuid.uuid4(),
        "consent_ref": payload.consent_ref,
        "scope": payload.scope.value,
        "recipient": payload.recipient,
        "purpose": payload.purpose.value if payload.purpose else None,
        "effective_from": payload.effective_from,
        "expires_at": payload.expires_at,
        "revoked_at": None,
        "recorded_at": now,
    }
    await session.execute(
        insert(PlanConsent).values(
            **row,
            tenant_id=principal.tenant_id,
            plan_id=plan_id,
            recorded_by_client_id=principal.client_id,
        )
    )
    return consent_view(row, now)


async def _consents(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID
) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(*_CONSENT_COLUMNS)
        .where(PlanConsent.tenant_id == principal.tenant_id, PlanConsent.plan_id == plan_id)
        .order_by(PlanConsent.recorded_at.desc(), PlanConsent.id.desc())
    )
    return [dict(r) for r in rows.mappings()]


async def list_consents(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, now: datetime
) -> list[dict[str, Any]]:
    await plan_service.get_plan_row(session, principal, plan_id)
    return [consent_view(r, now) for r in await _consents(session, principal, plan_id)]


def _one_consent(
    principal: Principal, plan_id: uuid.UUID, consent_id: uuid.UUID
) -> tuple[Any, ...]:
    return (
        PlanConsent.tenant_id == principal.tenant_id,
        PlanConsent.plan_id == plan_id,
        PlanConsent.id == consent_id,
    )


async def _consent_view(
    session: AsyncSession, where: tuple[Any, ...], now: datetime
) -> dict[str, Any]:
    row = (await session.execute(select(*_CONSENT_COLUMNS).where(*where))).mappings().first()
    if row is None:
        raise NotFound("No consent with this id exists on this plan.")
    return consent_view(dict(row), now)


async def get_consent(
    session: AsyncSession,
    principal: Principal,
    plan_id: uuid.UUID,
    consent_id: uuid.UUID,
    now: datetime,
) -> dict[str, Any]:
    await plan_service.get_plan_row(session, principal, plan_id)
    return await _consent_view(session, _one_consent(principal, plan_id, consent_id), now)


async def revoke_consent(
    session: AsyncSession,
    principal: Principal,
    plan_id: uuid.UUID,
    consent_id: uuid.UUID,
) -> dict[str, Any]:
    """Revocation takes effect at once; revoking again keeps the first revocation time."""
    await _locked_plan(session, principal, plan_id)
    now = utc_now()
    where = _one_consent(principal, plan_id, consent_id)
    await session.execute(
        update(PlanConsent).where(*where, PlanConsent.revoked_at.is_(None)).values(revoked_at=now)
    )
    return await _consent_view(session, where, now)


async def _locked_plan(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID
) -> dict[str, Any]:
    """The plan row, locked until commit: consent changes and disclosures on one plan run one
    at a time, and each reads the clock once it holds the lock. Without it, on PostgreSQL a
    disclosure that read the consents before a concurrent revocation committed was recorded
    under the revoked consent, after its revocation time."""
    return await plan_service.get_plan_row(session, principal, plan_id, for_update=True)


def _choose_consent(
    consents: list[dict[str, Any]], payload: DisclosureIn, now: datetime
) -> dict[str, Any]:
    covering = [c for c in consents if _covers(c, payload.recipient, payload.purpose)]
    active = [c for c in covering if consent_status(c, now) == "active"]
    if active:
        return active[0]
    if not covering:
        raise ConsentRequired(
            "No consent on this plan covers this recipient and purpose. Record the patient's "
            "consent first, or use the medical-emergency exception."
        )
    status = consent_status(covering[0], now)
    raise ConsentRequired(
        f"The consent that covers this recipient and purpose is {status}; nothing was disclosed."
    )


async def check_disclosure_basis(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, payload: DisclosureIn
) -> None:
    """What a disclosure needs, checked without disclosing: a retried disclosure replays its
    first answer (the labelled records) only while the consent or emergency authority that
    allowed it still stands, so a revoked consent also stops replays (42 CFR 2.31)."""
    await _disclosure_basis(
        session, principal, await _locked_plan(session, principal, plan_id), payload, utc_now()
    )


async def _disclosure_basis(
    session: AsyncSession,
    principal: Principal,
    plan: dict[str, Any],
    payload: DisclosureIn,
    now: datetime,
) -> tuple[DisclosureBasis, dict[str, Any] | None]:
    """The basis of a disclosure (the consent used, or the emergency exception), or the
    refusal (403 or 422)."""
    plan_service.ensure_not_in_error(plan)
    if payload.emergency is not None:
        if not principal.has(Scope.break_glass):
            raise Forbidden("The medical-emergency exception needs the 'break_glass' scope.")
        if payload.purpose is not Purpose.treatment:
            # 42 CFR 2.51: without consent, only to treat a bona fide medical emergency.
            raise RequestInvalid(
                [
                    {
                        "pointer": "/purpose",
                        "detail": "The medical-emergency exception covers treatment of the "
                        "emergency only (42 CFR 2.51).",
                        "type": "emergency_purpose",
                    }
                ]
            )
        if not payload.emergency.reason.strip():
            raise RequestInvalid(
                [
                    {
                        "pointer": "/emergency/reason",
                        "detail": "State the emergency (42 CFR 2.51).",
                        "type": "missing",
                    }
                ]
            )
        return DisclosureBasis.medical_emergency, None
    consents = await _consents(session, principal, plan["id"])
    return DisclosureBasis.consent, _choose_consent(consents, payload, now)


async def disclose(
    session: AsyncSession,
    principal: Principal,
    plan_id: uuid.UUID,
    payload: DisclosureIn,
    *,
    user_id: str | None,
    request_id: str | None,
) -> dict[str, Any]:
    """Check the basis, record the disclosure and return the labelled records."""
    plan = await _locked_plan(session, principal, plan_id)
    now = utc_now()
    basis, consent = await _disclosure_basis(session, principal, plan, payload, now)
    record = {
        "id": uuid.uuid4(),
        "plan_id": plan_id,
        "patient_ref": plan["patient_ref"],
        "recipient": payload.recipient,
        "purpose": payload.purpose.value,
        "basis": basis.value,
        "consent_id": consent["id"] if consent else None,
        "client_id": principal.client_id,
        "user_id": user_id,
        "emergency_reason": payload.emergency.reason if payload.emergency else None,
        "disclosed_at": now,
    }
    await session.execute(
        insert(PlanDisclosure).values(
            **record, tenant_id=principal.tenant_id, request_id=request_id
        )
    )
    if basis is DisclosureBasis.medical_emergency:
        # The alert for post-hoc review: ids only, never the reason or patient data.
        logger.warning(
            "break-glass disclosure",
            extra={"disclosure_id": str(record["id"]), "client_id": str(principal.client_id)},
        )
    # What is disclosed shows the clinicians' decisions (a declined medication not proposed).
    plan["decisions"] = await plan_service.active_decisions(session, principal, plan_id)
    return {
        "disclosure": record,
        "consent": consent_view(consent, now) if consent else None,
        "redisclosure_notice": REDISCLOSURE_NOTICE,
        "consent_scope": consent_scope_text(consent, payload.purpose),
        "bundle": plan_bundle(plan_service.plan_view(plan)),
    }


async def list_disclosures(
    session: AsyncSession,
    principal: Principal,
    *,
    patient_ref: str | None,
    basis: DisclosureBasis | None,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> list[dict[str, Any]]:
    """Newest first, keyset on (disclosed_at, id)."""
    query = select(*_DISCLOSURE_COLUMNS).where(PlanDisclosure.tenant_id == principal.tenant_id)
    if patient_ref is not None:
        query = query.where(PlanDisclosure.patient_ref == patient_ref)
    if basis is not None:
        query = query.where(PlanDisclosure.basis == basis.value)
    if after is not None:
        query = query.where(tuple_(PlanDisclosure.disclosed_at, PlanDisclosure.id) < tuple_(*after))
    query = query.order_by(PlanDisclosure.disclosed_at.desc(), PlanDisclosure.id.desc())
    rows = await session.execute(query.limit(limit))
    return [dict(r) for r in rows.mappings()]
