"""Row-level security on PostgreSQL: the second wall between tenants.

Every query already filters by the caller's tenant. On PostgreSQL the patient-data tables also
carry a row-level security policy (migration c1a0d17e0002) that only shows rows of the tenant
named by the transaction-local setting ``kratom_cds.tenant_id``, so a query that forgot its
filter still cannot read or write another tenant's rows. Once a request's session is bound to
its tenant, every transaction it begins sets that value first (``after_begin``); an unbound
session sees no tenant's rows at all. Maintenance commands that must read across tenants
(``kratom-cds audit verify``) set ``kratom_cds.rls_bypass``. PostgreSQL superusers bypass
row-level security entirely, so production must run the service as an ordinary role.
SQLite (one organisation's embedded database) has no row-level security.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

TENANT_SETTING = "kratom_cds.tenant_id"
BYPASS_SETTING = "kratom_cds.rls_bypass"
_INFO_KEY = "kratom_cds.tenant_id"
_SET_TENANT = text(f"SELECT set_config('{TENANT_SETTING}', :tenant, true)")
_SET_BYPASS = text(f"SELECT set_config('{BYPASS_SETTING}', 'on', true)")


@event.listens_for(Session, "after_begin")
def _apply_tenant(session: Session, _transaction: SessionTransaction, connection: Any) -> None:
    tenant = session.info.get(_INFO_KEY)
    if tenant is not None and connection.dialect.name == "postgresql":
        connection.execute(_SET_TENANT, {"tenant": tenant})


async def bind_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Bind the session to a tenant: this transaction and every later one sees only its rows."""
    session.info[_INFO_KEY] = str(tenant_id)
    if session.in_transaction() and session.get_bind().dialect.name == "postgresql":
        await session.execute(_SET_TENANT, {"tenant": str(tenant_id)})


async def set_row_tenant(connection: AsyncConnection, tenant_id: uuid.UUID | None) -> None:
    """PostgreSQL: this transaction's rows are the tenant's (None: tenant-less rows, such as
    refusals before authentication), for a session not bound to one tenant."""
    await connection.execute(_SET_TENANT, {"tenant": str(tenant_id) if tenant_id else ""})


async def bypass_row_security(session: AsyncSession) -> None:
    """For maintenance that reads across tenants (audit verification), this transaction only."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(_SET_BYPASS)
