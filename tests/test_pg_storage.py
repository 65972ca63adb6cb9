"""PostgreSQL storage of the large documents: lz4, not pglz (migration c1a0d17e0004), as
json text kept exactly as written, not parsed into jsonb (c1a0d17e0007).

Runs against PostgreSQL in both test runs (the ``postgres_url`` fixture)."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

import orjson
from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.config import Settings
from app.db import Database
from app.migrations_state import alembic_config
from app.schemas.assessment import ASSESSMENT_EXAMPLE, AssessmentIn
from app.schemas.plan import PlanCreate
from app.security import Principal
from app.services.clients import create_client
from app.services.plans import create_plan
from app.tenancy import bind_tenant
from tests.conftest import DEFAULT_TEST_PG_URL, TEST_PG_ENV
from tests.dbutil import fresh_database


async def test_plan_documents_are_stored_as_json_text_with_lz4(postgres_url: str) -> None:
    db = Database(Settings(database_url=postgres_url))
    try:
        async with db.session(write=True) as session:
            issued = await create_client(
                session, tenant_name="lz4-storage", name="test", scopes=["plans:write"]
            )
            await bind_tenant(session, issued.tenant_id)
            principal = Principal(issued.client_id, issued.tenant_id, frozenset())
            assessment = AssessmentIn.model_validate_json(orjson.dumps(ASSESSMENT_EXAMPLE))
            plan = await create_plan(
                session, principal, PlanCreate(assessment=assessment, status="draft"), user_id=None
            )
            await session.commit()
            methods = (
                await session.execute(
                    text(
                        "SELECT pg_column_compression(p.evaluation), "
                        "pg_column_compression(r.evaluation), "
                        "pg_typeof(p.evaluation)::text, pg_typeof(r.evaluation)::text, "
                        "left(p.evaluation::text, 16) "
                        "FROM plans p JOIN plan_revisions r ON r.plan_id = p.id WHERE p.id = :id"
                    ),
                    {"id": plan["id"]},
                )
            ).one()
            kinds = (
                await session.execute(
                    text(
                        "SELECT data_type FROM information_schema.columns WHERE "
                        "table_name = 'assessments' AND column_name IN ('document', 'scores')"
                    )
                )
            ).scalars()
            assessment_types = list(kinds)
    finally:
        await db.dispose()
    assert tuple(methods[:2]) == ("lz4", "lz4")  # 75 KB each: compressed, and with lz4
    assert tuple(methods[2:4]) == ("json", "json")
    # The text as written, in our key order (jsonb would have reordered it by key length).
    assert methods[4] == '{"evaluated_at":'
    assert assessment_types == ["json", "json"]


def test_the_json_migration_keeps_existing_rows_in_lz4(tmp_path: Path) -> None:
    """c1a0d17e0007 changes column types, which rewrites the table and resets the column's
    compression: rows already stored must come out in lz4 both ways, not in pglz."""
    document = orjson.dumps({"text": [f"item {n} " * 20 for n in range(400)]}).decode()

    async def run(url: str, sql: str, **params: object) -> list[tuple[object, ...]]:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                # A bare row (no tenant or client): foreign keys are not the point here.
                await conn.execute(text("SET session_replication_role = replica"))
                return [tuple(r) for r in (await conn.execute(text(sql), params)).all()]
        finally:
            await engine.dispose()

    check = (
        "SELECT pg_typeof(document)::text, pg_column_compression(document), "
        "pg_typeof(scores)::text, pg_column_compression(scores) FROM assessments"
    )
    base = os.environ.get(TEST_PG_ENV, DEFAULT_TEST_PG_URL)
    with fresh_database(base, tmp_path) as url:
        cfg = alembic_config(url)
        command.upgrade(cfg, "c1a0d17e0006")
        asyncio.run(
            run(
                url,
                "INSERT INTO assessments (id, tenant_id, patient_ref, assessed_at, created_at, "
                "created_by_client_id, document, scores, ruleset_version) VALUES (:id, :t, 'p', "
                "now(), now(), :c, CAST(:doc AS jsonb), CAST(:doc AS jsonb), '1') RETURNING id",
                id=uuid.uuid4(),
                t=uuid.uuid4(),
                c=uuid.uuid4(),
                doc=document,
            )
        )
        assert asyncio.run(run(url, check)) == [("jsonb", "lz4", "jsonb", "lz4")]
        command.upgrade(cfg, "head")
        assert asyncio.run(run(url, check)) == [("json", "lz4", "json", "lz4")]
        command.downgrade(cfg, "c1a0d17e0006")
        assert asyncio.run(run(url, check)) == [("jsonb", "lz4", "jsonb", "lz4")]
