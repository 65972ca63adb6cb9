"""PostgreSQL pool health: an idle pooled connection is checked before use (app/db.py,
``_ping_idle_connections``), one in steady use is not (pre-ping's three round trips saved)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.config import Settings
from app.db import make_engine


async def _kill_pooled_connection(postgres_url: str, idle_seconds: float) -> list[int]:
    """Run a query, have the server kill that pooled connection, then query again.

    Returns the backend pids of the two queries (raises if the second query fails)."""
    settings = Settings(database_url=postgres_url)
    engine = make_engine(settings.model_copy(update={"db_ping_idle_seconds": idle_seconds}))
    killer = make_engine(settings)
    try:
        async with engine.connect() as conn:
            first = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with killer.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
            await conn.commit()
        async with engine.connect() as conn:
            second = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        return [first, second]
    finally:
        await engine.dispose()
        await killer.dispose()


async def test_idle_connection_is_checked_and_replaced(postgres_url: str) -> None:
    first, second = await _kill_pooled_connection(postgres_url, idle_seconds=0)
    assert second != first  # the dead connection was discarded before use


async def test_connection_in_steady_use_is_not_pinged(postgres_url: str) -> None:
    """The counter-proof: below the idle threshold nothing is checked, so the killed connection
    reaches the query, which fails (and SQLAlchemy discards the connection)."""
    with pytest.raises(DBAPIError):
        await _kill_pooled_connection(postgres_url, idle_seconds=3600)
