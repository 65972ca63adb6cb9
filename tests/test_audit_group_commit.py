"""Group commit of audit events (app.auditing.GroupCommitter): reads and refusals that arrive
together share one transaction, each request still waits until its own event is durable, and
the hash chains stay intact, on SQLite and PostgreSQL (row-level security included)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.auditing import GroupCommitter
from app.config import Settings
from app.db import Database
from app.models import AuditEvent
from app.security import Scope
from app.services.audit import chain_of, verify_chain
from app.tenancy import bypass_row_security
from tests.api.test_audit import create_plan, events, issue
from tests.test_row_level_security import restricted_app  # noqa: F401 - fixture

Batches = list[list[str]]


@pytest.fixture
def batches(monkeypatch: pytest.MonkeyPatch) -> Batches:
    """The chains of each batch the committer wrote."""
    seen: Batches = []
    write = GroupCommitter._write

    async def spy(self: GroupCommitter, batch: list[tuple[Any, Any]]) -> bool:
        seen.append([chain_of(entry.tenant_id) for entry, _ in batch])
        return await write(self, batch)

    monkeypatch.setattr(GroupCommitter, "_write", spy)
    return seen


async def test_concurrent_reads_share_commits_and_keep_the_chain(
    app: FastAPI, client: httpx.AsyncClient, batches: Batches
) -> None:
    headers, issued = await issue(app, f"t-{uuid.uuid4().hex[:12]}")
    plan = await create_plan(client, headers, "pt-group-1")
    reads = await asyncio.gather(
        *(client.get(f"/v1/plans/{plan['id']}", headers=headers) for _ in range(20))
    )
    assert [r.status_code for r in reads] == [200] * 20
    stored = await events(app, tenant_id=issued.tenant_id, action="read")
    assert len(stored) == 20  # every read recorded before its response was sent
    assert max(len(b) for b in batches) > 1  # and some were committed together
    async with app.state.db.session(write=False) as session:
        await bypass_row_security(session)
        report = await verify_chain(session, chain_of(issued.tenant_id))
    assert report.broken is None
    assert report.events >= 21  # the create and the 20 reads, in one unbroken chain


async def test_a_batch_of_several_tenants_and_refusals_under_row_level_security(
    restricted_app: FastAPI,  # noqa: F811 - fixture
    postgres_url: str,
    batches: Batches,
) -> None:
    a, issued_a = await issue(restricted_app, f"t-{uuid.uuid4().hex[:12]}")
    b, issued_b = await issue(restricted_app, f"t-{uuid.uuid4().hex[:12]}")
    knowledge_only, _ = await issue(
        restricted_app, f"t-{uuid.uuid4().hex[:12]}", (Scope.knowledge_read,)
    )
    transport = httpx.ASGITransport(app=restricted_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as rc:
        plan_a = await create_plan(rc, a, "pt-group-a")
        plan_b = await create_plan(rc, b, "pt-group-b")
        calls = [rc.get(f"/v1/plans/{plan_a['id']}", headers=a) for _ in range(4)]
        calls += [rc.get(f"/v1/plans/{plan_b['id']}", headers=b) for _ in range(4)]
        calls += [rc.get(f"/v1/plans/{plan_a['id']}") for _ in range(2)]  # 401: system chain
        calls += [rc.get(f"/v1/plans/{plan_a['id']}", headers=knowledge_only)]  # 403
        answers = await asyncio.gather(*calls)
    assert [r.status_code for r in answers] == [200] * 8 + [401] * 2 + [403]
    assert any(len(set(chains)) > 1 for chains in batches)  # tenants mixed in one commit
    db = Database(Settings(database_url=postgres_url))  # as the owner: sees every tenant
    try:
        async with db.session(write=False) as session:
            await bypass_row_security(session)
            for issued in (issued_a, issued_b):
                reads = await session.scalar(
                    select(func.count())
                    .select_from(AuditEvent)
                    .where(AuditEvent.tenant_id == issued.tenant_id, AuditEvent.action == "read")
                )
                assert reads == 4
                report = await verify_chain(session, chain_of(issued.tenant_id))
                assert report.broken is None
    finally:
        await db.dispose()
