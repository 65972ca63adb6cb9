"""PostgreSQL storage of the large documents: lz4, not pglz (migration c1a0d17e0004)."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from app.schemas.assessment import ASSESSMENT_EXAMPLE
from app.tenancy import bypass_row_security


async def test_plan_documents_are_stored_with_lz4(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    if app.state.db.is_sqlite:
        pytest.skip("TOAST compression exists on PostgreSQL only")
    response = await client.post(
        "/v1/plans", json={"assessment": ASSESSMENT_EXAMPLE, "status": "draft"}, headers=auth
    )
    assert response.status_code == 201, response.text
    plan_id = uuid.UUID(response.json()["id"])
    async with app.state.db.session(write=False) as session:
        await bypass_row_security(session)
        methods = (
            await session.execute(
                text(
                    "SELECT pg_column_compression(p.evaluation), "
                    "pg_column_compression(r.evaluation) "
                    "FROM plans p JOIN plan_revisions r ON r.plan_id = p.id WHERE p.id = :id"
                ),
                {"id": plan_id},
            )
        ).one()
    assert tuple(methods) == ("lz4", "lz4")  # 75 KB each: compressed, and with lz4
