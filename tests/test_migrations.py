"""Alembic builds the whole schema, round-trips, and matches the ORM models."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from app.db import Base
from app.migrations_state import alembic_config
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
