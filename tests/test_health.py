"""Liveness, readiness, and SQLite's durability settings verified at start-up."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from app.config import Settings
from app.db import make_engine, verify_sqlite_pragmas
from app.migrations_state import head_revision


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_migration_head(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "database": "ok", "migration": head_revision()}


async def test_readyz_is_503_when_schema_is_behind(client: httpx.AsyncClient, app: FastAPI) -> None:
    expected = app.state.migration_head
    app.state.migration_head = "some-future-revision"
    try:
        response = await client.get("/readyz")
    finally:
        app.state.migration_head = expected
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"


async def test_database_runs_durable(settings: Settings) -> None:
    """An acknowledged write must survive a crash: WAL + synchronous=FULL on SQLite,
    synchronous_commit=on and a statement timeout on PostgreSQL."""
    engine = make_engine(settings)
    try:
        async with engine.connect() as conn:
            if settings.is_sqlite:
                await verify_sqlite_pragmas(engine)
                assert (await conn.execute(text("PRAGMA journal_mode"))).scalar_one() == "wal"
                assert (await conn.execute(text("PRAGMA synchronous"))).scalar_one() == 2
                assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar_one() == 1
            else:
                sync = (await conn.execute(text("SHOW synchronous_commit"))).scalar_one()
                timeout = (await conn.execute(text("SHOW statement_timeout"))).scalar_one()
                assert sync == "on"
                assert timeout == "5s"
    finally:
        await engine.dispose()


async def test_start_up_refuses_non_durable_sqlite(tmp_path: object) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    plain = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/plain.db")
    try:
        with pytest.raises(RuntimeError, match="not durable"):
            await verify_sqlite_pragmas(plain)
    finally:
        await plain.dispose()


async def test_started_app_has_tuned_the_garbage_collector(app: FastAPI) -> None:
    """Startup freezes what it built and raises the young-generation trigger (app.main._tune_gc;
    without it evaluate throughput fell by a third): a started app leaves both in place."""
    import gc

    del app  # started by the fixture's lifespan
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold()[0] == 10_000


async def test_head_probes_answer_without_a_body(client: httpx.AsyncClient) -> None:
    for path in ("/healthz", "/readyz"):
        response = await client.head(path)
        assert response.status_code == 200, path
        assert response.content == b""
