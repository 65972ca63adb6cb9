"""Idempotency-Key records (stored replays hold patient data) are deleted after their
retention period, never before the 24 hours the contract promises (app/retention.py)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from app import retention
from app.cli import main
from app.config import Settings
from app.db import utc_now
from app.main import create_app
from app.models import IdempotencyRecord
from app.services import idempotency
from app.services.idempotency import purge_expired
from tests.conftest import KeyMaker
from tests.factories import assessment_data


async def _plan_with_key(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    key = f"ret-{uuid.uuid4().hex}"
    body = {"assessment": assessment_data(), "status": "draft"}
    response = await client.post("/v1/plans", json=body, headers=headers | {"Idempotency-Key": key})
    assert response.status_code == 201, response.text
    return key


async def _age(app: FastAPI, key: str, hours: float) -> None:
    async with app.state.db.session(write=True) as session:
        await session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.key == key)
            .values(created_at=utc_now() - timedelta(hours=hours))
        )
        await session.commit()


async def _keys(app: FastAPI, keys: list[str]) -> set[str]:
    async with app.state.db.session(write=False) as session:
        found = await session.execute(
            select(IdempotencyRecord.key).where(IdempotencyRecord.key.in_(keys))
        )
        return set(found.scalars())


async def test_records_past_retention_are_deleted_and_younger_ones_replay(
    app: FastAPI, client: httpx.AsyncClient, make_key: KeyMaker, settings: Settings
) -> None:
    headers = await make_key()
    old, kept = await _plan_with_key(client, headers), await _plan_with_key(client, headers)
    await _age(app, old, settings.idempotency_retention_hours + 1)
    await _age(app, kept, settings.idempotency_retention_hours - 1)
    assert await retention.purge_once(app.state.db, settings) >= 1
    assert await _keys(app, [old, kept]) == {kept}


async def test_purge_deletes_in_batches(
    app: FastAPI, client: httpx.AsyncClient, make_key: KeyMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(idempotency, "PURGE_BATCH", 2)
    headers = await make_key()
    keys = [await _plan_with_key(client, headers) for _ in range(5)]
    for key in keys:
        await _age(app, key, 100)
    async with app.state.db.session(write=True) as session:
        assert await purge_expired(session, older_than=timedelta(hours=99)) >= 5
    assert await _keys(app, keys) == set()


async def test_retention_below_24_hours_is_refused(app: FastAPI) -> None:
    async with app.state.db.session(write=True) as session:
        with pytest.raises(ValueError, match="24 hours"):
            await purge_expired(session, older_than=timedelta(hours=23))
    with pytest.raises(ValueError, match="idempotency_retention_hours"):
        Settings(idempotency_retention_hours=12)


async def test_each_worker_purges_in_the_background(
    settings: Settings, make_key: KeyMaker, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second app instance on the same database, with a one-second interval, deletes an
    expired record on its own; at shutdown its task is cancelled."""
    monkeypatch.setattr(retention, "FIRST_RUN_MAX_DELAY_S", 0.05)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        old = await _plan_with_key(client, await make_key())
    await _age(app, old, settings.idempotency_retention_hours + 1)
    worker = create_app(settings.model_copy(update={"purge_interval_seconds": 1}))
    async with worker.router.lifespan_context(worker):
        task = worker.state.purger
        assert task is not None
        for _ in range(100):
            if not await _keys(app, [old]):
                break
            await asyncio.sleep(0.05)
        assert await _keys(app, [old]) == set()
    assert task.cancelled()
    quiet = create_app(settings)  # purge_interval_seconds=0: no task
    async with quiet.router.lifespan_context(quiet):
        assert quiet.state.purger is None


async def test_purge_command(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_key: KeyMaker,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    old = await _plan_with_key(client, await make_key())
    await _age(app, old, settings.idempotency_retention_hours + 1)
    monkeypatch.setenv("KRATOM_CDS_DATABASE_URL", settings.database_url)
    monkeypatch.setattr("app.cli.get_settings", lambda: Settings())
    assert await asyncio.to_thread(main, ["purge"]) == 0
    assert "idempotency record(s) older than 48 hours" in capsys.readouterr().out
    assert await _keys(app, [old]) == set()
