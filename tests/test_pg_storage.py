"""PostgreSQL storage of the large documents: lz4, not pglz (migration c1a0d17e0004), as
json text kept exactly as written, not parsed into jsonb (c1a0d17e0007).

Runs against PostgreSQL in both test runs (the ``postgres_url`` fixture)."""

from __future__ import annotations

import orjson
from sqlalchemy import text

from app.config import Settings
from app.db import Database
from app.schemas.assessment import ASSESSMENT_EXAMPLE, AssessmentIn
from app.schemas.plan import PlanCreate
from app.security import Principal
from app.services.clients import create_client
from app.services.plans import create_plan
from app.tenancy import bind_tenant


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
