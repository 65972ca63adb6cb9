"""Throwaway databases for tests: a SQLite file, or a fresh PostgreSQL database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url


def _admin_dsn(url: str) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


async def _pg(dsn: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def fresh_database(base_url: str | None, tmp_dir: Path) -> Iterator[str]:
    """Yield the URL of a new, empty database; drop it afterwards."""
    if not base_url or base_url.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{tmp_dir / f'test-{uuid.uuid4().hex[:8]}.db'}"
        return
    name = f"kcds_test_{uuid.uuid4().hex[:12]}"
    admin = _admin_dsn(base_url)
    asyncio.run(_pg(admin, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_pg(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
