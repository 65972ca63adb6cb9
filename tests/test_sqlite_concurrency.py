"""Concurrency on the inline SQLite driver (app/sqlite_inline.py): many mixed reads and writes
in flight at once never stall the event loop on SQLite's lock, never fail with "database is
locked", and lose nothing. The app-level test also runs on PostgreSQL."""

from __future__ import annotations

import asyncio
import copy
import sqlite3
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from app.config import Settings
from app.db import Database, make_engine
from app.schemas.assessment import ASSESSMENT_EXAMPLE
from app.sqlite_inline import DRIVER, InlineConnection
from tests.conftest import KeyMaker


def _assessment(patient_ref: str) -> dict[str, Any]:
    body = copy.deepcopy(ASSESSMENT_EXAMPLE)
    body["patient"]["patient_ref"] = patient_ref
    return body


async def test_many_concurrent_mixed_requests_all_succeed(
    client: httpx.AsyncClient, make_key: KeyMaker
) -> None:
    auth = await make_key()
    ref = f"p-{uuid.uuid4().hex[:8]}"
    plan = await client.post("/v1/plans", json={"assessment": _assessment(ref)}, headers=auth)
    assert plan.status_code == 201, plan.text
    plan_id = plan.json()["id"]
    replay_key = {"Idempotency-Key": f"conc-{uuid.uuid4().hex}"}

    def calls(i: int) -> list[Any]:
        return [
            client.post("/v1/assessments", json=_assessment(ref), headers=auth),
            client.post("/v1/plans", json={"assessment": _assessment(ref)}, headers=auth),
            client.post("/v1/evaluate", json=_assessment(ref), headers=auth),
            client.get(f"/v1/plans/{plan_id}", headers=auth),
            client.get(f"/v1/patients/{ref}/assessments", headers=auth),
            client.get("/v1/plans", params={"patient_ref": ref}, headers=auth),
            client.post(
                "/v1/assessments", json=_assessment(ref), headers=auth | replay_key
            ),  # one stores, the others replay it (or see it in progress)
            client.post(
                "/v1/assessments",
                json=_assessment(ref),
                headers=auth | {"Idempotency-Key": f"k-{i}-{uuid.uuid4().hex}"},
            ),
        ]

    started = time.monotonic()
    responses = await asyncio.wait_for(
        asyncio.gather(*(call for i in range(12) for call in calls(i))), timeout=60
    )
    elapsed = time.monotonic() - started
    statuses = Counter((r.request.method, r.status_code) for r in responses)
    assert all(r.status_code in (200, 201, 409) for r in responses), statuses
    conflicts = [r for r in responses if r.status_code == 409]
    assert all(r.json()["type"].endswith("/idempotency-in-progress") for r in conflicts)
    # Nothing waited for SQLite's busy timeout (5 s).
    assert elapsed < 30, elapsed
    # 12 plain + 12 keyed + 1 for the shared key, all stored; plans 1 + 12.
    stored = await client.get(f"/v1/patients/{ref}/assessments?limit=100", headers=auth)
    assert len(stored.json()["items"]) == 12 + 12 + 1 + 13  # a plan stores its assessment
    plans = await client.get("/v1/plans", params={"patient_ref": ref, "limit": 100}, headers=auth)
    assert len(plans.json()["items"]) == 13


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> Any:
    db = Database(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'inline.db'}"))
    async with db.session(write=True) as session:
        await session.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)"))
        await session.commit()
    yield db
    await db.dispose()


async def _count(db: Database) -> int:
    async with db.session(write=False) as session:
        return int((await session.execute(text("SELECT count(*) FROM t"))).scalar_one())


async def test_default_url_runs_on_the_inline_driver(sqlite_db: Database) -> None:
    assert sqlite_db.engine.dialect.driver == DRIVER
    assert sqlite_db.engine.dialect.name == "sqlite"
    # Plain AsyncConnection.execute works too (it insists the driver awaits).
    async with sqlite_db.engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar_one() == "wal"
    engine = make_engine(Settings(database_url="sqlite+inline:///:memory:"))
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await engine.dispose()


async def test_a_session_opened_read_only_that_writes_waits_instead_of_stalling(
    sqlite_db: Database,
) -> None:
    """A writer suspends inside its open write transaction; meanwhile a session opened with
    write=False inserts. Inline, a busy-wait would block the loop (and the holder) until the
    busy timeout; the engine makes the second transaction wait its turn instead."""
    holder_wrote = asyncio.Event()

    async def holder() -> None:
        async with sqlite_db.session(write=True) as session:
            await session.execute(text("INSERT INTO t (who) VALUES ('holder')"))
            holder_wrote.set()
            await asyncio.sleep(0.2)  # a real suspension inside the write transaction
            await session.commit()

    async def sneaky() -> None:
        await holder_wrote.wait()
        async with sqlite_db.session(write=False) as session:
            await session.execute(text("INSERT INTO t (who) VALUES ('reader-session')"))
            await session.commit()

    started = time.monotonic()
    await asyncio.wait_for(asyncio.gather(holder(), sneaky()), timeout=4)
    assert time.monotonic() - started < 2
    assert await _count(sqlite_db) == 2


async def test_a_task_may_open_a_second_session_inside_its_transaction(
    sqlite_db: Database,
) -> None:
    async def nested() -> None:
        async with sqlite_db.session(write=True) as outer:
            await outer.execute(text("INSERT INTO t (who) VALUES ('outer')"))
            async with sqlite_db.session(write=False) as inner:  # same task: no self-deadlock
                await inner.execute(text("SELECT count(*) FROM t"))
            await outer.commit()

    await asyncio.wait_for(nested(), timeout=4)
    assert await _count(sqlite_db) == 1


async def test_a_cancelled_waiter_does_not_lose_the_lock(sqlite_db: Database) -> None:
    release = asyncio.Event()
    wrote = asyncio.Event()

    async def holder() -> None:
        async with sqlite_db.session(write=True) as session:
            await session.execute(text("INSERT INTO t (who) VALUES ('holder')"))
            wrote.set()
            await release.wait()
            await session.commit()

    async def waiter() -> None:
        async with sqlite_db.session(write=True) as session:
            await session.execute(text("INSERT INTO t (who) VALUES ('cancelled')"))
            await session.commit()

    holding = asyncio.create_task(holder())
    await wrote.wait()
    waiting = asyncio.create_task(waiter())
    await asyncio.sleep(0.05)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    release.set()
    await holding
    async with asyncio.timeout(4):
        async with sqlite_db.session(write=True) as session:
            await session.execute(text("INSERT INTO t (who) VALUES ('after')"))
            await session.commit()
    assert await _count(sqlite_db) == 2


async def test_concurrent_sessions_interleave_without_errors(sqlite_db: Database) -> None:
    async def worker(i: int) -> None:
        for j in range(20):
            async with sqlite_db.session(write=bool(j % 2)) as session:
                await session.execute(text("SELECT count(*) FROM t"))
                await asyncio.sleep(0)
                await session.execute(text("INSERT INTO t (who) VALUES (:w)"), {"w": f"{i}-{j}"})
                await asyncio.sleep(0)
                await session.commit()

    await asyncio.wait_for(asyncio.gather(*(worker(i) for i in range(16))), timeout=30)
    assert await _count(sqlite_db) == 16 * 20


async def test_a_request_cancelled_during_its_commit_still_commits_and_frees_the_lock(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The COMMIT of a write runs off the loop; cancelling the request mid-commit (a request
    timeout) waits for it rather than leaving SQLite mid-commit on a connection in reuse."""
    committing = asyncio.Event()
    loop = asyncio.get_running_loop()

    def slow_commit(self: sqlite3.Connection) -> None:
        loop.call_soon_threadsafe(committing.set)
        time.sleep(0.3)
        sqlite3.Connection.commit(self)

    monkeypatch.setattr(InlineConnection, "commit", slow_commit)

    async def write() -> None:
        async with sqlite_db.session(write=True) as session:
            await session.execute(text("INSERT INTO t (who) VALUES ('slow')"))
            await session.commit()

    task = asyncio.create_task(write())
    await committing.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    monkeypatch.undo()
    async with asyncio.timeout(4):
        assert await _count(sqlite_db) == 1  # the commit finished
        async with sqlite_db.session(write=True) as session:
            await session.execute(text("INSERT INTO t (who) VALUES ('next')"))
            await session.commit()
    assert await _count(sqlite_db) == 2
