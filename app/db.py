"""Engine, session factory, ORM base and the column types shared by every table."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import JSON, DateTime, Dialect, MetaData, Table, event, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql.dml import Insert
from sqlalchemy.types import TypeDecorator

from app import sqlite_inline
from app.config import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utc_now() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend.

    SQLite has no timezone type: values are stored as naive UTC and re-labelled UTC on load, so
    ordering and keyset comparisons behave the same as on PostgreSQL's ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self,
        value: datetime | None,
        dialect: Dialect,  # noqa: ARG002 (SQLAlchemy's signature)
    ) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JsonDocument = JSON().with_variant(JSONB(), "postgresql")
#: A document stored and read whole, never queried inside (an assessment, an evaluation):
#: PostgreSQL ``json`` keeps the exact text written, where ``jsonb`` parses it into its binary
#: form on every insert and prints it back on every read. For a 75 KB evaluation that parse
#: measured 0.8 ms of PostgreSQL CPU per insert (2.07 against 1.25 ms) and 0.2 ms per read.
JsonRecord = JSON()


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def insert_ignoring_duplicates(table: Table, key: list[str]) -> dict[str, Insert]:
    """``INSERT ... ON CONFLICT (key) DO NOTHING`` by dialect name (PostgreSQL and SQLite
    spell it alike, but each needs its own dialect's insert). Built once, bound per call."""
    return {
        "postgresql": pg_insert(table).on_conflict_do_nothing(index_elements=key),
        "sqlite": sqlite_insert(table).on_conflict_do_nothing(index_elements=key),
    }


def make_engine(settings: Settings) -> AsyncEngine:
    """The async engine for the configured database, with per-backend safety settings."""
    kwargs: dict[str, Any] = {
        "json_serializer": _json_dumps,
        "json_deserializer": orjson.loads,
        "pool_size": settings.db_pool_size,
        "max_overflow": 0,
    }
    if settings.is_sqlite:
        # Every SQLite URL (sqlite+aiosqlite://, sqlite+inline://, sqlite://) runs on the inline
        # driver: sqlite3 calls on the event loop, one transaction at a time (app/sqlite_inline).
        url = make_url(settings.database_url).set(drivername=f"sqlite+{sqlite_inline.DRIVER}")
        if not sqlite_inline.InlineSQLiteDialect._is_url_file_db(url):
            del kwargs["pool_size"], kwargs["max_overflow"]  # one shared in-memory connection
        engine = create_async_engine(url, **kwargs)
        _configure_sqlite(
            engine,
            busy_timeout_ms=settings.sqlite_busy_timeout_ms,
            statement_timeout_ms=settings.db_statement_timeout_ms,
        )
        return engine
    kwargs["connect_args"] = {
        "server_settings": {
            "statement_timeout": str(settings.db_statement_timeout_ms),
            "synchronous_commit": "on",
        }
    }
    engine = create_async_engine(settings.database_url, **kwargs)
    _ping_idle_connections(engine, settings.db_ping_idle_seconds)
    return engine


def _ping_idle_connections(engine: AsyncEngine, idle_seconds: float) -> None:
    """``pool_pre_ping``, for connections that sat idle in the pool only.

    SQLAlchemy's pre-ping on asyncpg costs three round trips (BEGIN, ``;``, ROLLBACK) on every
    checkout, and a CDS Hooks call checks out twice: six of its ~24 round trips. A connection
    in steady use has just proved itself; one idle for longer than ``idle_seconds`` (where a
    database restart or a dropped idle TCP connection would have killed it) is pinged and, if
    dead, replaced before the request sees it. A connection that dies mid-use still fails that
    request (503) and is discarded, as with pre-ping."""
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "checkin")
    def _idle_from(_dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(sync_engine, "checkout")
    def _ping_if_idle(
        dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry, _proxy: Any
    ) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return  # new, or back from use moments ago
        try:
            sync_engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # The pool discards this connection and checks out another (a new one if needed).
            raise DisconnectionError("pooled connection failed its ping") from exc


def _configure_sqlite(
    engine: AsyncEngine, *, busy_timeout_ms: int, statement_timeout_ms: int
) -> None:
    # The inline dialect emits BEGIN itself (SQLAlchemy's documented pysqlite fix, so that
    # transactions and savepoints span reads as well as writes), the sqlite3 module never does.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged write survives power loss
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()
        dbapi_connection.limit_statement_time(statement_timeout_ms)


async def verify_sqlite_pragmas(engine: AsyncEngine) -> None:
    """Refuse to start when SQLite is not in the durable mode the service promises."""
    async with engine.connect() as conn:
        journal = (await conn.execute(text("PRAGMA journal_mode"))).scalar_one()
        synchronous = (await conn.execute(text("PRAGMA synchronous"))).scalar_one()
        foreign_keys = (await conn.execute(text("PRAGMA foreign_keys"))).scalar_one()
    if str(journal).lower() != "wal" or int(synchronous) != 2 or int(foreign_keys) != 1:
        raise RuntimeError(
            f"SQLite is not durable: journal_mode={journal} synchronous={synchronous} "
            f"foreign_keys={foreign_keys} (expected wal, 2=FULL, 1)"
        )


class Database:
    """What the app keeps in its lifespan: the engine and the session factory."""

    def __init__(self, settings: Settings) -> None:
        self.engine = make_engine(settings)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite allows one writer. The inline engine runs one transaction at a time in the
        # process (app/sqlite_inline.py), so no session, reader or writer, ever waits for
        # another inside SQLite, and no session-level writer lock is needed (or wanted: it
        # would be a second lock to order). Kept as an attribute for code that checks it.
        self.write_lock: asyncio.Lock | None = None
        self.is_sqlite = settings.is_sqlite

    @contextlib.asynccontextmanager
    async def session(self, *, write: bool) -> AsyncIterator[AsyncSession]:
        """One session; rolled back unless the caller committed.

        ``write`` says whether the session may write. On SQLite the engine serialises every
        transaction (so a session that writes is safe either way); on PostgreSQL it changes
        nothing. It is kept so call sites state their intent."""
        del write
        async with self.sessions() as session:
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise

    async def dispose(self) -> None:
        await self.engine.dispose()
