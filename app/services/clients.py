"""Tenants and API clients: creation, lookup by key, first-start bootstrap."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import utc_now
from app.models import ApiClient, Tenant
from app.security import (
    DEFAULT_CLIENT_SCOPES,
    Principal,
    Scope,
    display_prefix,
    generate_key,
    hash_key,
)


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A freshly created client; ``key`` exists only here and is never stored."""

    client_id: uuid.UUID
    tenant_id: uuid.UUID
    tenant_name: str
    key: str
    scopes: tuple[str, ...]


async def get_or_create_tenant(session: AsyncSession, name: str) -> Tenant:
    tenant = (await session.execute(select(Tenant).where(Tenant.name == name))).scalar_one_or_none()
    if tenant is None:
        tenant = Tenant(id=uuid.uuid4(), name=name, created_at=utc_now())
        session.add(tenant)
        await session.flush()
    return tenant


async def create_client(
    session: AsyncSession, *, tenant_name: str, name: str, scopes: Iterable[Scope | str]
) -> IssuedKey:
    """Create an API client for the tenant (created if needed) and return its one-time key."""
    valid = {s.value for s in Scope}
    scope_list = sorted({str(s.value if isinstance(s, Scope) else s) for s in scopes})
    unknown = [s for s in scope_list if s not in valid]
    if unknown or not scope_list:
        raise ValueError(f"unknown or empty scopes: {unknown}; valid: {sorted(valid)}")
    tenant = await get_or_create_tenant(session, tenant_name)
    key = generate_key()
    client = ApiClient(
        id=uuid.uuid4(),
        tenant_id=tenant.id,
        name=name,
        key_prefix=display_prefix(key),
        key_hash=hash_key(key),
        scopes=scope_list,
        created_at=utc_now(),
    )
    session.add(client)
    await session.flush()
    return IssuedKey(client.id, tenant.id, tenant.name, key, tuple(scope_list))


async def principal_for_key(session: AsyncSession, key: str) -> Principal | None:
    """The principal behind an API key, or None when it is unknown or revoked."""
    row = (
        await session.execute(
            select(ApiClient.id, ApiClient.tenant_id, ApiClient.scopes).where(
                ApiClient.key_hash == hash_key(key), ApiClient.revoked_at.is_(None)
            )
        )
    ).first()
    if row is None:
        return None
    return Principal(client_id=row.id, tenant_id=row.tenant_id, scopes=frozenset(row.scopes))


async def bootstrap_development_key(session: AsyncSession) -> IssuedKey | None:
    """On a database with no tenants, create ``default`` and a development key."""
    count = (await session.execute(select(func.count()).select_from(Tenant))).scalar_one()
    if count:
        return None
    return await create_client(
        session, tenant_name="default", name="development", scopes=DEFAULT_CLIENT_SCOPES
    )
