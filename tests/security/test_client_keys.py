"""`kratom-cds list-clients | rotate-client | revoke-client` against the app's database.

The CLI opens its own engine, as another process would, so "works immediately, also in other
workers" is what these tests see: the app (another engine) refuses the old key on the very next
request, because keys are looked up in the database on every request, never cached.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app import cli
from app.config import Settings, get_settings
from app.models import ApiClient
from app.security import hash_key
from app.services import clients
from app.services.clients import principal_for_key
from tests.conftest import KeyMaker

PROBE = "/v1/knowledge"


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("KRATOM_CDS_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = await asyncio.to_thread(cli.main, list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _key(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


async def test_list_rotate_revoke(
    client: httpx.AsyncClient,
    make_key: KeyMaker,
    capsys: pytest.CaptureFixture[str],
    cli_env: None,
) -> None:
    tenant = f"keys-{uuid.uuid4().hex[:8]}"
    old = await make_key(tenant=tenant)
    assert (await client.get(PROBE, headers=old)).status_code == 200

    code, out, _ = await run_cli(capsys, "list-clients", "--tenant", tenant)
    assert code == 0
    header, *rows = out.strip().splitlines()
    assert header.split("\t") == [
        "id", "name", "tenant", "key_prefix", "scopes", "created_at", "revoked_at", "last_used_at"
    ]  # fmt: skip
    assert len(rows) == 1
    client_id, _name, listed_tenant, prefix, scopes, _created, revoked, used = rows[0].split("\t")
    assert (listed_tenant, revoked) == (tenant, "-")
    assert used != "-"  # the probe request above used the key
    assert "plans:read" in scopes.split(",")
    assert _key(old).startswith(prefix)
    assert _key(old) not in out
    assert hash_key(_key(old)) not in out

    code, out, err = await run_cli(capsys, "rotate-client", client_id)
    assert code == 0, err
    new_key = out.strip()
    assert new_key.startswith("kcds_")
    assert new_key != _key(old)
    new = {"Authorization": f"Bearer {new_key}"}
    assert (await client.get(PROBE, headers=old)).status_code == 401
    assert (await client.get(PROBE, headers=new)).status_code == 200

    code, out, _ = await run_cli(capsys, "list-clients", "--tenant", tenant)
    assert new_key not in out
    assert hash_key(new_key) not in out
    assert out.strip().splitlines()[1].split("\t")[0] == client_id  # same client, same id

    code, out, _ = await run_cli(capsys, "revoke-client", client_id)
    assert code == 0
    assert "Revoked" in out
    response = await client.get(PROBE, headers=new)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"

    code, out, _ = await run_cli(capsys, "list-clients", "--tenant", tenant)
    assert out.strip().splitlines()[1].split("\t")[6] != "-"  # revoked_at

    # A revoked client cannot be brought back by rotating it; revoking again is harmless.
    code, _, err = await run_cli(capsys, "rotate-client", client_id)
    assert code == 1
    assert "No active API client" in err
    code, _, _ = await run_cli(capsys, "revoke-client", client_id)
    assert code == 0


async def test_unknown_client_ids(capsys: pytest.CaptureFixture[str], cli_env: None) -> None:
    for command in ("rotate-client", "revoke-client"):
        code, _, err = await run_cli(capsys, command, str(uuid.uuid4()))
        assert code == 1
        assert "No active API client" in err
        code, _, err = await run_cli(capsys, command, "not-a-uuid")
        assert code == 1


async def test_list_clients_of_all_tenants(
    make_key: KeyMaker, capsys: pytest.CaptureFixture[str], cli_env: None
) -> None:
    a, b = f"la-{uuid.uuid4().hex[:8]}", f"lb-{uuid.uuid4().hex[:8]}"
    await make_key(tenant=a)
    await make_key(tenant=b)
    code, out, _ = await run_cli(capsys, "list-clients")
    tenants = {line.split("\t")[2] for line in out.strip().splitlines()[1:]}
    assert code == 0
    assert {a, b} <= tenants


async def _last_used(app: FastAPI, client_id: uuid.UUID) -> datetime | None:
    async with app.state.db.session(write=False) as session:
        value: datetime | None = (
            await session.execute(select(ApiClient.last_used_at).where(ApiClient.id == client_id))
        ).scalar_one()
    return value


async def test_last_use_is_recorded_at_most_every_few_minutes(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_key: KeyMaker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``last_used_at`` shows which keys are idle (to retire them) without a write per request:
    the first request writes it, later ones within LAST_USE_RESOLUTION_SECONDS do not. A route
    that stores nothing (the probe) still keeps it."""
    headers = await make_key(tenant=f"use-{uuid.uuid4().hex[:8]}")
    async with app.state.db.session(write=False) as session:
        principal = await principal_for_key(session, _key(headers))
    assert principal is not None
    assert await _last_used(app, principal.client_id) is None

    before = datetime.now(UTC)
    assert (await client.get(PROBE, headers=headers)).status_code == 200
    first = await _last_used(app, principal.client_id)
    assert first is not None
    assert first >= before - timedelta(seconds=1)

    assert (await client.get(PROBE, headers=headers)).status_code == 200
    assert await _last_used(app, principal.client_id) == first  # within the interval: no write

    monkeypatch.setattr(clients, "LAST_USE_RESOLUTION_SECONDS", 0.0)
    assert (await client.get(PROBE, headers=headers)).status_code == 200
    later = await _last_used(app, principal.client_id)
    assert later is not None
    assert later > first


async def test_a_first_request_that_fails_does_not_hide_the_next_use(
    app: FastAPI, client: httpx.AsyncClient, make_key: KeyMaker
) -> None:
    # The failed request's transaction (and its last_used_at write) is rolled back: the
    # next request must write it, not believe it already did.
    headers = await make_key(tenant=f"use-{uuid.uuid4().hex[:8]}")
    async with app.state.db.session(write=False) as session:
        principal = await principal_for_key(session, _key(headers))
    assert principal is not None
    missing = await client.get(f"/v1/plans/{uuid.uuid4()}", headers=headers)
    assert missing.status_code == 404
    assert (await client.get(PROBE, headers=headers)).status_code == 200
    assert await _last_used(app, principal.client_id) is not None
