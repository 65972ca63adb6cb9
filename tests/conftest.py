"""Fixtures: one migrated database per test session (SQLite by default, PostgreSQL when
KRATOM_CDS_TEST_DATABASE_URL is set), the real app over httpx, and per-test tenants.

Tests are isolated by tenant: every test makes its own tenant and keys, and every query the
service runs is tenant-scoped, so no test can see another's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from alembic import command
from fastapi import FastAPI

from app.config import Settings
from app.main import create_app
from app.migrations_state import alembic_config
from app.security import DEFAULT_CLIENT_SCOPES, Scope
from app.services.clients import create_client
from tests.dbutil import fresh_database

TEST_DATABASE_ENV = "KRATOM_CDS_TEST_DATABASE_URL"
TEST_PG_ENV = "KRATOM_CDS_TEST_PG_URL"
DEFAULT_TEST_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"

KeyMaker = Callable[..., Awaitable[dict[str, str]]]


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(os.environ.get(TEST_DATABASE_ENV), tmp_path_factory.mktemp("db")) as url:
        command.upgrade(alembic_config(url), "head")
        yield url


@pytest.fixture(scope="session")
def postgres_url(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated PostgreSQL database for tests of PostgreSQL-only behaviour (pool pinging,
    TOAST compression): the suite's own on a PostgreSQL run; on a SQLite run a fresh one on
    the local server (KRATOM_CDS_TEST_PG_URL), so both runs cover them."""
    if database_url.startswith("postgresql"):
        yield database_url
        return
    base = os.environ.get(TEST_PG_ENV, DEFAULT_TEST_PG_URL)
    with fresh_database(base, tmp_path_factory.mktemp("pg")) as url:
        command.upgrade(alembic_config(url), "head")
        yield url


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    # purge_interval_seconds=0: no background purge deleting rows while a test inspects them
    # (tests/test_retention.py runs it on purpose).
    return Settings(
        database_url=database_url, bootstrap_dev_key=False, db_pool_size=5, purge_interval_seconds=0
    )


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def make_key(app: FastAPI) -> KeyMaker:
    """Create an API client (in a new tenant unless one is named) and return auth headers."""

    async def make(
        tenant: str | None = None, scopes: tuple[Scope | str, ...] = DEFAULT_CLIENT_SCOPES
    ) -> dict[str, str]:
        async with app.state.db.session(write=True) as session:
            issued = await create_client(
                session,
                tenant_name=tenant or f"t-{uuid.uuid4().hex[:12]}",
                name="test",
                scopes=scopes,
            )
            await session.commit()
        return {"Authorization": f"Bearer {issued.key}"}

    return make


@pytest.fixture
async def auth(make_key: KeyMaker) -> dict[str, str]:
    return await make_key()


@pytest.fixture
def tmp_db_dir(tmp_path: Path) -> Path:
    return tmp_path
