"""Registering an EHR as a CDS Hooks client: issuer, tenant, keys, allowed algorithms."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.cdshooks.jwt_auth import DEFAULT_ALGS, SUPPORTED_ALGS, IssuerConfig
from app.db import utc_now
from app.models import ApiClient, EhrIssuer
from app.security import hash_key
from app.services.clients import get_or_create_tenant


@dataclass(frozen=True, slots=True)
class RegisteredIssuer:
    issuer: str
    tenant_id: uuid.UUID
    tenant_name: str
    client_id: uuid.UUID
    created: bool


def check_jwks(jwks: Any) -> dict[str, Any]:
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list) or not jwks["keys"]:
        raise ValueError("the JWKS must be an object with a non-empty 'keys' list")
    kids: set[Any] = set()
    for key in jwks["keys"]:
        if not isinstance(key, dict) or not key.get("kid") or not key.get("kty"):
            raise ValueError("every key needs 'kid' and 'kty'")
        if "d" in key or key.get("kty") == "oct":
            raise ValueError("the JWKS must hold public keys only (no 'd', no 'oct')")
        # A token's kid must pick exactly one key (reliability.md section 6, check 4).
        if not isinstance(key["kid"], str) or key["kid"] in kids:
            raise ValueError("every key needs a 'kid' string of its own (duplicate kid)")
        kids.add(key["kid"])
    return jwks


async def register_issuer(
    session: AsyncSession,
    *,
    issuer: str,
    tenant_name: str,
    jwks: dict[str, Any] | None = None,
    jwks_url: str | None = None,
    algs: Iterable[str] = (),
    ehr_tenants: Iterable[str] | None = None,
    insecure_allowed: frozenset[str] = frozenset(),
) -> RegisteredIssuer:
    """Create or update the issuer (keys, algorithms); creates the tenant if new."""
    if not issuer or len(issuer) > 255:
        raise ValueError("the issuer must be 1-255 characters")
    allowed = frozenset(algs) or DEFAULT_ALGS
    if jwks is not None:
        jwks = check_jwks(jwks)
    insecure = jwks_url is not None and urlsplit(jwks_url).scheme != "https"
    if insecure and jwks_url not in insecure_allowed:
        raise ValueError("the JWKS URL must be https://")
    tenants = frozenset(ehr_tenants) if ehr_tenants is not None else None
    IssuerConfig(  # raises ValueError for a bad combination
        tenant_id="check", jwks=jwks, jwks_url=jwks_url, allowed_algs=allowed, ehr_tenants=tenants
    )
    if not allowed <= SUPPORTED_ALGS:  # pragma: no cover - IssuerConfig checks it
        raise ValueError("unsupported algorithm")
    tenant = await get_or_create_tenant(session, tenant_name)
    row = (
        await session.execute(select(EhrIssuer).where(EhrIssuer.issuer == issuer))
    ).scalar_one_or_none()
    created = row is None
    if row is None:
        client = ApiClient(
            id=uuid.uuid4(),
            tenant_id=tenant.id,
            name=f"ehr:{issuer}"[:64],
            key_prefix="ehr-jwt",
            # A service client: its key is never issued, so it cannot authenticate.
            key_hash=hash_key(secrets.token_urlsafe(32)),
            scopes=[],
            created_at=utc_now(),
        )
        session.add(client)
        await session.flush()
        row = EhrIssuer(
            id=uuid.uuid4(),
            issuer=issuer,
            tenant_id=tenant.id,
            client_id=client.id,
            created_at=utc_now(),
            allowed_algs=sorted(allowed),
        )
        session.add(row)
    elif row.tenant_id != tenant.id:
        raise ValueError("this issuer is registered for another tenant")
    row.jwks = jwks
    row.jwks_url = jwks_url
    row.allowed_algs = sorted(allowed)
    row.ehr_tenants = sorted(tenants) if tenants is not None else None
    row.disabled_at = None
    await session.flush()
    return RegisteredIssuer(issuer, tenant.id, tenant.name, row.client_id, created)
