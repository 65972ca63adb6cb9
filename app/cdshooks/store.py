"""Database-backed issuer registry and JWT-id replay store for ``CdsJwtVerifier``."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.cdshooks.jwt_auth import CLOCK_SKEW_SECONDS, IssuerConfig
from app.db import insert_ignoring_duplicates, utc_now
from app.models import CdsJti, EhrIssuer

PURGE_EVERY = 200  # calls between deletions of expired jti rows (per process)


ISSUER_CACHE_SECONDS = 30.0  # how long a registered issuer's row is reused in a process


@dataclass(frozen=True, slots=True)
class CachedIssuer:
    config: IssuerConfig
    client_id: uuid.UUID
    loaded_at: float


class DbIssuerRegistry:
    """Issuers from ``ehr_issuers``, kept per process for ``ISSUER_CACHE_SECONDS`` (so a key
    rotation or a disabled issuer takes effect within that time); unknown issuers are not
    cached, so a new registration works at once."""

    def __init__(
        self,
        session: AsyncSession,
        cache: dict[str, CachedIssuer] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._session = session
        self._cache = cache if cache is not None else {}
        self._clock = clock
        self.client_ids: dict[str, uuid.UUID] = {}

    async def get_issuer(self, iss: str) -> IssuerConfig | None:
        if len(iss) > 255:
            return None
        cached = self._cache.get(iss)
        if cached is not None and self._clock() - cached.loaded_at < ISSUER_CACHE_SECONDS:
            self.client_ids[iss] = cached.client_id
            return cached.config
        row = (
            await self._session.execute(
                select(
                    EhrIssuer.tenant_id,
                    EhrIssuer.client_id,
                    EhrIssuer.jwks,
                    EhrIssuer.jwks_url,
                    EhrIssuer.allowed_algs,
                    EhrIssuer.ehr_tenants,
                ).where(EhrIssuer.issuer == iss, EhrIssuer.disabled_at.is_(None))
            )
        ).first()
        if row is None:
            self._cache.pop(iss, None)
            return None
        config = IssuerConfig(
            tenant_id=str(row.tenant_id),
            jwks=row.jwks,
            jwks_url=row.jwks_url,
            allowed_algs=frozenset(row.allowed_algs),
            ehr_tenants=frozenset(row.ehr_tenants) if row.ehr_tenants is not None else None,
        )
        if len(self._cache) > 1000:
            self._cache.clear()
        self._cache[iss] = CachedIssuer(config, row.client_id, self._clock())
        self.client_ids[iss] = row.client_id
        return config


# Built once per dialect (a Core statement, bound per call): every CDS Hooks call runs it.
_JTI = cast(Table, CdsJti.__table__)
_REMEMBER = insert_ignoring_duplicates(_JTI, ["issuer", "jti"])


class DbJtiStore:
    """``INSERT ... ON CONFLICT DO NOTHING`` on (issuer, jti), committed at once so the jti
    stays burned even when the request fails later; the unique key holds across workers."""

    calls = 0

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def remember(self, iss: str, jti: str, expires_at: datetime) -> bool:
        session = self._session
        if session.get_bind().dialect.name == "postgresql" and not session.in_transaction():
            # One statement that must stand on its own: autocommit saves the BEGIN and COMMIT
            # round trips. (Not on SQLite, whose engine serialises transactions at BEGIN.)
            connection = await session.connection(
                execution_options={"isolation_level": "AUTOCOMMIT"}
            )
        else:
            connection = await session.connection()
        result: Any = await connection.execute(
            _REMEMBER[connection.dialect.name],
            {"id": uuid.uuid4(), "issuer": iss, "jti": jti, "expires_at": expires_at},
        )
        DbJtiStore.calls += 1
        if DbJtiStore.calls % PURGE_EVERY == 0:
            await self.purge()
        await self._session.commit()
        return bool(result.rowcount == 1)

    async def purge(self) -> None:
        # Rows live until the token could no longer be accepted (exp + allowed skew).
        cutoff = utc_now() - timedelta(seconds=CLOCK_SKEW_SECONDS)
        await self._session.execute(delete(CdsJti).where(CdsJti.expires_at < cutoff))
