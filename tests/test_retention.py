"""Stored replays hold patient data: Idempotency-Key records are deleted and stored CDS Hooks
responses cleared after their retention period, never before the 24 hours the contract
promises (app/retention.py). Feedback on a card still works once its response is cleared."""

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
from app.models import CdsCard, CdsHookCall, IdempotencyRecord
from app.retention import clear_hook_responses, purge_idempotency_records
from tests.cdshooks.support import PV, full_prefetch, hook_request, register
from tests.conftest import KeyMaker
from tests.factories import assessment_data


async def _plan_with_key(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    key = f"ret-{uuid.uuid4().hex}"
    body = {"assessment": assessment_data(), "status": "draft"}
    response = await client.post("/v1/plans", json=body, headers=headers | {"Idempotency-Key": key})
    assert response.status_code == 201, response.text
    return key


async def _age(app: FastAPI, key: str, hours: float) -> None:
    """Backdate an Idempotency-Key record (by key) or a stored hook call (by hookInstance)."""
    async with app.state.db.session(write=True) as session:
        when = utc_now() - timedelta(hours=hours)
        for model, column in ((IdempotencyRecord, IdempotencyRecord.key),
                              (CdsHookCall, CdsHookCall.hook_instance)):  # fmt: skip
            await session.execute(update(model).where(column == key).values(created_at=when))
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
    assert (await retention.purge_once(app.state.db, settings)).idempotency_records >= 1
    assert await _keys(app, [old, kept]) == {kept}


async def test_purge_deletes_in_batches(
    app: FastAPI, client: httpx.AsyncClient, make_key: KeyMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention, "PURGE_BATCH", 2)
    headers = await make_key()
    keys = [await _plan_with_key(client, headers) for _ in range(5)]
    for key in keys:
        await _age(app, key, 100)
    async with app.state.db.session(write=True) as session:
        assert await purge_idempotency_records(session, older_than=timedelta(hours=99)) >= 5
    assert await _keys(app, keys) == set()


async def test_retention_below_24_hours_is_refused(app: FastAPI) -> None:
    async with app.state.db.session(write=True) as session:
        with pytest.raises(ValueError, match="24 hours"):
            await purge_idempotency_records(session, older_than=timedelta(hours=23))
        with pytest.raises(ValueError, match="24 hours"):
            await clear_hook_responses(session, older_than=timedelta(hours=23))
    with pytest.raises(ValueError, match="idempotency_retention_hours"):
        Settings(idempotency_retention_hours=12)
    with pytest.raises(ValueError, match="hook_response_retention_hours"):
        Settings(hook_response_retention_hours=23)


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
    out = capsys.readouterr().out
    assert "idempotency record(s) older than 48 hours" in out
    assert "CDS Hooks response(s) older than 48 hours" in out
    assert await _keys(app, [old]) == set()


# ---------------------------------------------------------------- stored CDS Hooks responses

PV_PATH = f"/cds-services/{PV}"


async def _stored(app: FastAPI, hook_instance: str) -> bytes | None:
    async with app.state.db.session(write=False) as session:
        found = await session.execute(
            select(CdsHookCall.response).where(CdsHookCall.hook_instance == hook_instance)
        )
        response: bytes | None = found.scalar_one()
        return response


async def test_hook_responses_are_cleared_after_retention_and_feedback_still_works(
    app: FastAPI, client: httpx.AsyncClient, make_key: KeyMaker, settings: Settings
) -> None:
    ehr = await register(app)
    old, young = hook_request(prefetch=full_prefetch()), hook_request(prefetch=full_prefetch())
    answered = await client.post(PV_PATH, json=old, headers=ehr.headers(PV_PATH))
    assert answered.status_code == 200, answered.text
    assert (await client.post(PV_PATH, json=young, headers=ehr.headers(PV_PATH))).is_success
    await _age(app, old["hookInstance"], settings.hook_response_retention_hours + 1)
    await _age(app, young["hookInstance"], settings.hook_response_retention_hours - 1)

    purged = await retention.purge_once(app.state.db, settings)
    assert purged.hook_responses == 1
    assert await _stored(app, old["hookInstance"]) is None
    assert await _stored(app, young["hookInstance"]) is not None
    async with app.state.db.session(write=False) as session:  # the cards stay
        cards = (await session.execute(select(CdsCard.id))).scalars().all()
    assert {c["uuid"] for c in answered.json()["cards"]} <= {str(c) for c in cards}

    # The card's own suggestion is still accepted, a made-up one still refused.
    card = next(c for c in answered.json()["cards"] if c.get("suggestions"))
    path = f"{PV_PATH}/feedback"

    def feedback(suggestion: str) -> dict[str, object]:
        return {"feedback": [{"card": card["uuid"], "outcome": "accepted",
                              "acceptedSuggestions": [{"id": suggestion}],
                              "outcomeTimestamp": "2026-01-10T09:05:00Z"}]}  # fmt: skip

    made_up = await client.post(path, json=feedback("made-up"), headers=ehr.headers(path))
    assert made_up.status_code == 422
    assert made_up.json()["errors"][0]["pointer"] == "/feedback/0/acceptedSuggestions/0/id"
    own = card["suggestions"][0]["uuid"]
    stored = await client.post(path, json=feedback(own), headers=ehr.headers(path))
    assert stored.status_code == 200, stored.text


async def test_a_cleared_hook_instance_is_a_409_and_stores_nothing(
    app: FastAPI, client: httpx.AsyncClient, make_key: KeyMaker, settings: Settings
) -> None:
    ehr = await register(app)
    key = await make_key(tenant=ehr.tenant)
    body = hook_request(prefetch=full_prefetch())
    assert (await client.post(PV_PATH, json=body, headers=ehr.headers(PV_PATH))).is_success
    plans = (await client.get("/v1/plans", headers=key)).json()["items"]
    await _age(app, body["hookInstance"], settings.hook_response_retention_hours + 1)
    await retention.purge_once(app.state.db, settings)

    again = await client.post(PV_PATH, json=body, headers=ehr.headers(PV_PATH))
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["type"].endswith("hook-instance-expired")
    assert (await client.get("/v1/plans", headers=key)).json()["items"] == plans
