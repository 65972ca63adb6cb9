"""Request and SQL statement time budgets: 503 problem with Retry-After, nothing half-stored."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app.config import Settings
from app.services import plans as plan_service
from tests.security.support import PROBLEM, assessment, custom_app, http, key_for


def _slow_statement(settings: Settings, seconds: float) -> Any:
    """One SQL statement that runs about this long: pg_sleep, or a counting recursive CTE on
    SQLite (about 4 million rows a second here; it only has to outlast the budgets below)."""
    if settings.is_sqlite:
        rows = int(seconds * 4_000_000)
        return text(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < :n) "
            "SELECT count(*) FROM c"
        ).bindparams(n=rows)
    return text("SELECT pg_sleep(:s)").bindparams(s=seconds)


async def _nothing_stored(client: Any, auth: dict[str, str], patient_ref: str) -> None:
    plans = await client.get("/v1/plans", params={"patient_ref": patient_ref}, headers=auth)
    assert plans.json()["items"] == []
    stored = await client.get(f"/v1/patients/{patient_ref}/assessments", headers=auth)
    assert stored.json()["items"] == []


@pytest.mark.parametrize("where", ["handler", "sql"])
async def test_request_over_budget_is_503_and_rolled_back(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    original = plan_service.create_plan

    async def slow_create(session: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        row = await original(session, *args, **kwargs)  # assessment and plan rows flushed
        if where == "sql":  # the budget runs out in the middle of a statement
            # PostgreSQL cancels the statement; SQLite's inline statement holds the loop, so
            # the cancellation lands right after it, still before the commit.
            await session.execute(_slow_statement(settings, 1.5))
        else:
            await asyncio.sleep(5)
        return row

    monkeypatch.setattr(plan_service, "create_plan", slow_create)
    async with custom_app(settings, request_timeout_s=0.5) as app, http(app) as client:
        auth = await key_for(app)
        ref = f"p-{uuid.uuid4().hex[:8]}"
        response = await client.post(
            "/v1/plans", json={"assessment": assessment(ref)}, headers=auth
        )
        assert response.status_code == 503
        assert response.headers["content-type"] == PROBLEM
        assert response.headers["retry-after"] == "1"
        assert response.json()["type"].endswith("/request-timeout")
        monkeypatch.setattr(plan_service, "create_plan", original)
        await _nothing_stored(client, auth, ref)
        # The worker keeps serving, and the write path works again.
        ok = await client.post("/v1/plans", json={"assessment": assessment(ref)}, headers=auth)
        assert ok.status_code == 201


async def test_statement_timeout_is_503_and_rolled_back(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = plan_service.create_plan

    async def slow_sql(session: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        row = await original(session, *args, **kwargs)
        await session.execute(_slow_statement(settings, 3))
        return row

    monkeypatch.setattr(plan_service, "create_plan", slow_sql)
    async with custom_app(settings, db_statement_timeout_ms=200) as app, http(app) as client:
        if not settings.is_sqlite:
            async with app.state.db.engine.connect() as conn:
                applied = (await conn.execute(text("SHOW statement_timeout"))).scalar_one()
            assert applied == "200ms"
        auth = await key_for(app)
        ref = f"p-{uuid.uuid4().hex[:8]}"
        response = await client.post(
            "/v1/plans", json={"assessment": assessment(ref)}, headers=auth
        )
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == PROBLEM
        assert response.headers["retry-after"] == "1"
        assert response.json()["type"].endswith("/database-timeout")
        monkeypatch.setattr(plan_service, "create_plan", original)
        await _nothing_stored(client, auth, ref)


async def test_sqlite_busy_is_503_and_other_database_errors_stay_500(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = plan_service.create_plan
    error: list[Exception] = []

    async def failing(*args: Any, **kwargs: Any) -> dict[str, Any]:
        await original(*args, **kwargs)
        raise error[0]

    monkeypatch.setattr(plan_service, "create_plan", failing)
    async with custom_app(settings) as app, http(app) as client:
        auth = await key_for(app)
        ref = f"p-{uuid.uuid4().hex[:8]}"
        body = {"assessment": assessment(ref)}
        error[:] = [OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))]
        busy = await client.post("/v1/plans", json=body, headers=auth)
        assert busy.status_code == 503
        assert busy.json()["type"].endswith("/database-timeout")
        error[:] = [OperationalError("INSERT", {}, sqlite3.OperationalError("disk I/O error"))]
        other = await client.post("/v1/plans", json=body, headers=auth)
        assert other.status_code == 500
        assert other.headers["content-type"] == PROBLEM
        monkeypatch.setattr(plan_service, "create_plan", original)
        await _nothing_stored(client, auth, ref)
