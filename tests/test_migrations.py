"""Alembic builds the whole schema, round-trips, and matches the ORM models."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import orjson
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from app.db import Base
from app.migrations_state import alembic_config
from app.models import CdsCard
from tests.conftest import TEST_DATABASE_ENV
from tests.dbutil import fresh_database


def _diff_and_tables(url: str) -> tuple[list[object], set[str]]:
    def inspect_sync(conn: Connection) -> tuple[list[object], set[str]]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata)), set(inspect(conn).get_table_names())

    async def run() -> tuple[list[object], set[str]]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(inspect_sync)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_upgrade_downgrade_upgrade_matches_models(tmp_path: Path) -> None:
    with fresh_database(os.environ.get(TEST_DATABASE_ENV), tmp_path) as url:
        cfg = alembic_config(url)
        command.upgrade(cfg, "head")
        command.downgrade(cfg, "base")
        _, tables = _diff_and_tables(url)
        assert tables <= {"alembic_version"}
        command.upgrade(cfg, "head")
        diff, tables = _diff_and_tables(url)
        assert diff == []
        assert set(Base.metadata.tables) <= tables


def test_hook_call_migration_keeps_each_cards_suggestion_ids(tmp_path: Path) -> None:
    """c1a0d17e0010 lets stored hook responses be cleared: the cards answered before it get
    their suggestion ids from the stored response, so feedback on them is still checked."""
    tenant, call, card, bare = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    response = {"cards": [
        {"uuid": str(card), "suggestions": [{"uuid": "s-1"}, {"uuid": "s-2"}]},
        {"uuid": str(bare)},
    ]}  # fmt: skip
    now = datetime.now(UTC)
    tenants = sa.table(
        "tenants", sa.column("id", sa.Uuid()), sa.column("name"), sa.column("created_at")
    )
    calls = sa.table(
        "cds_hook_calls",
        *(sa.column(c, sa.Uuid()) for c in ("id", "tenant_id")),
        *(sa.column(c) for c in ("issuer", "hook_instance", "service_id", "hook")),
        sa.column("ruleset_version"),
        sa.column("response", sa.LargeBinary()),
        sa.column("created_at"),
    )
    cards = sa.table(
        "cds_cards",
        *(sa.column(c, sa.Uuid()) for c in ("id", "tenant_id", "hook_call_id")),
        *(sa.column(c) for c in ("service_id", "rule_id", "ruleset_version", "indicator")),
        sa.column("created_at"),
    )

    async def insert_rows(url: str) -> None:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.execute(tenants.insert().values(id=tenant, name="t", created_at=now))
                await conn.execute(calls.insert().values(
                    id=call, tenant_id=tenant, issuer="https://ehr", hook_instance="h",
                    service_id="s", hook="patient-view", ruleset_version="1",
                    response=orjson.dumps(response), created_at=now,
                ))  # fmt: skip
                for card_id in (card, bare):
                    await conn.execute(cards.insert().values(
                        id=card_id, tenant_id=tenant, hook_call_id=call, service_id="s",
                        rule_id="VS-01", ruleset_version="1", indicator="info", created_at=now,
                    ))  # fmt: skip
        finally:
            await engine.dispose()

    async def clear_responses(url: str) -> None:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.execute(calls.update().values(response=None))
        finally:
            await engine.dispose()

    async def suggestion_ids(url: str) -> dict[uuid.UUID, list[str]]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(sa.select(CdsCard.id, CdsCard.suggestion_ids))
                return {row.id: row.suggestion_ids for row in rows}
        finally:
            await engine.dispose()

    with fresh_database(os.environ.get(TEST_DATABASE_ENV), tmp_path) as url:
        cfg = alembic_config(url)
        command.upgrade(cfg, "c1a0d17e0009")
        asyncio.run(insert_rows(url))
        command.upgrade(cfg, "head")
        assert asyncio.run(suggestion_ids(url)) == {card: ["s-1", "s-2"], bare: []}
        # The purge clears the response; a rollback and roll-forward of this migration then
        # has nothing to recover the ids from, and must still apply (the service migrates on
        # start).
        asyncio.run(clear_responses(url))
        command.downgrade(cfg, "c1a0d17e0009")
        command.upgrade(cfg, "head")
        assert asyncio.run(suggestion_ids(url)) == {card: [], bare: []}
