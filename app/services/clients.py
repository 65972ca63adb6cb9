"""Tenants and API clients: creation, lookup by key, first-start bootstrap."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import utc_now
from app.models import ApiClient, Tenant
from app.models.audit import SYSTEM_CHAIN
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


# Names are shown in tab-separated listings and audit reports: printable, one line.
_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,100}$")


async def create_client(
    session: AsyncSession, *, tenant_name: str, name: str, scopes: Iterable[Scope | str]
) -> IssuedKey:
    """Create an API client for the tenant (created if needed) and return its one-time key."""
    for what, value in (("tenant name", tenant_name), ("client name", name)):
        if not _NAME.match(value):
            raise ValueError(f"{what} must be 1-100 printable characters (no tabs or line breaks)")
    if tenant_name == SYSTEM_CHAIN:
        raise ValueError(f"'{SYSTEM_CHAIN}' names the operators' audit chain, not a tenant")
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


# Built once: every authenticated request runs it, and building the statement (and its cache
# key) cost about as much as executing it.
# A Core statement on the session's connection: the ORM execution path cost as much again.
_CLIENTS = cast(Table, ApiClient.__table__)
_KEY_LOOKUP = select(_CLIENTS.c.id, _CLIENTS.c.tenant_id, _CLIENTS.c.scopes).where(
    _CLIENTS.c.key_hash == bindparam("key_hash"), _CLIENTS.c.revoked_at.is_(None)
)


#: How stale ``last_used_at`` may be: each worker writes it at most this often per key, so
#: tracking costs one small UPDATE per key and worker every five minutes, not one per request.
LAST_USE_RESOLUTION_SECONDS = 300.0
_last_use_written: dict[uuid.UUID, float] = {}
_RECORD_USE = (
    update(_CLIENTS)
    .where(_CLIENTS.c.id == bindparam("client_id"))
    .values(last_used_at=bindparam("used_at"))
)


async def record_use(session: AsyncSession, client_id: uuid.UUID) -> bool:
    """Set the key's ``last_used_at`` in the session's transaction, unless this worker did so
    less than ``LAST_USE_RESOLUTION_SECONDS`` ago. True when written (the caller commits)."""
    now = time.monotonic()
    written = _last_use_written.get(client_id)
    if written is not None and now - written < LAST_USE_RESOLUTION_SECONDS:
        return False
    if len(_last_use_written) >= 10_000:
        _last_use_written.clear()
    _last_use_written[client_id] = now
    connection = await session.connection()
    await connection.execute(_RECORD_USE, {"client_id": client_id, "used_at": utc_now()})
    return True


def forget_use(client_id: uuid.UUID) -> None:
    """The transaction that wrote ``last_used_at`` was rolled back: write it next time."""
    _last_use_written.pop(client_id, None)


async def principal_for_key(session: AsyncSession, key: str) -> Principal | None:
    """The principal behind an API key, or None when it is unknown or revoked.

    Deliberately uncached: one indexed lookup per request, so a revocation or rotation
    committed by any process takes effect on the very next request in every worker.
    """
    connection = await session.connection()
    row = (await connection.execute(_KEY_LOOKUP, {"key_hash": hash_key(key)})).first()
    if row is None:
        return None
    return Principal(client_id=row.id, tenant_id=row.tenant_id, scopes=frozenset(row.scopes))


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """What ``kratom-cds list-clients`` shows: never the key or its hash."""

    id: uuid.UUID
    name: str
    tenant_name: str
    key_prefix: str
    scopes: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


async def list_clients(
    session: AsyncSession, *, tenant_name: str | None = None
) -> list[ClientInfo]:
    """Every API client (of one tenant when named), oldest first."""
    query = (
        select(
            ApiClient.id,
            ApiClient.name,
            Tenant.name.label("tenant_name"),
            ApiClient.key_prefix,
            ApiClient.scopes,
            ApiClient.created_at,
            ApiClient.revoked_at,
            ApiClient.last_used_at,
        )
        .join(Tenant, Tenant.id == ApiClient.tenant_id)
        .order_by(ApiClient.created_at, ApiClient.id)
    )
    if tenant_name is not None:
        query = query.where(Tenant.name == tenant_name)
    return [
        ClientInfo(
            id=row.id,
            name=row.name,
            tenant_name=row.tenant_name,
            key_prefix=row.key_prefix,
            scopes=tuple(row.scopes),
            created_at=row.created_at,
            revoked_at=row.revoked_at,
            last_used_at=row.last_used_at,
        )
        for row in await session.execute(query)
    ]


class ClientNotFound(LookupError):
    """No API client with this id, or it is revoked (a revoked client cannot be rotated)."""


async def rotate_client(session: AsyncSession, client_id: uuid.UUID) -> IssuedKey:
    """Give the client a new key (returned once); the old key stops working at commit.

    The client keeps its id, tenant and scopes, so audit rows and rate limits stay attached.
    """
    key = generate_key()
    updated = await session.execute(
        update(ApiClient)
        .where(ApiClient.id == client_id, ApiClient.revoked_at.is_(None))
        .values(key_prefix=display_prefix(key), key_hash=hash_key(key))
        .returning(ApiClient.tenant_id, ApiClient.scopes)
    )
    row = updated.first()
    if row is None:
        raise ClientNotFound(str(client_id))
    tenant = await session.get_one(Tenant, row.tenant_id)
    return IssuedKey(client_id, tenant.id, tenant.name, key, tuple(row.scopes))


async def revoke_client(session: AsyncSession, client_id: uuid.UUID) -> datetime:
    """Revoke the client's key; effective for every worker as soon as the caller commits.

    Keys are looked up in the database on every request (no in-process cache), so no worker
    can keep accepting a revoked key. Revoking twice keeps the first revocation time.
    """
    client = await session.get(ApiClient, client_id)
    if client is None:
        raise ClientNotFound(str(client_id))
    if client.revoked_at is None:
        client.revoked_at = utc_now()
        await session.flush()
    return client.revoked_at


async def bootstrap_development_key(session: AsyncSession) -> IssuedKey | None:
    """On a database with no tenants, create ``default`` and a development key."""
    count = (await session.execute(select(func.count()).select_from(Tenant))).scalar_one()
    if count:
        return None
    return await create_client(
        session, tenant_name="default", name="development", scopes=DEFAULT_CLIENT_SCOPES
    )
