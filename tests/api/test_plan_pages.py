"""A plan's revisions and history are keyset-paginated like the plan list (limit at most 100,
opaque cursors, `next_cursor` null on the last page), and If-Match is read from every field
line (RFC 9110 section 5.3)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from app.models import PlanEvent
from app.pagination import encode_cursor, encode_number_cursor
from tests.api.test_plans import DECISION, PROBLEM, assessment, create
from tests.conftest import KeyMaker


async def pages(
    client: httpx.AsyncClient, auth: dict[str, str], url: str, **params: str
) -> list[dict[str, Any]]:
    """Every page of ``url``, following `next_cursor` until it is null."""
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(1000):
        query = params | ({"cursor": cursor} if cursor else {})
        response = await client.get(url, params=query, headers=auth)
        assert response.status_code == 200, response.text
        page = response.json()
        assert "next_cursor" in page
        limit = int(params.get("limit", len(page["items"]) or 1))
        assert len(page["items"]) <= limit
        found.append(page)
        cursor = page["next_cursor"]
        if cursor is None:
            return found
        assert len(page["items"]) == limit  # only a full page has a next one
    raise AssertionError("the cursor never ended")


async def reassessed(client: httpx.AsyncClient, auth: dict[str, str], times: int) -> str:
    plan_id: str = (await create(client, auth, status="active")).json()["id"]
    for _ in range(times):
        response = await client.post(
            f"/v1/plans/{plan_id}/reassessments", json={"assessment": assessment()}, headers=auth
        )
        assert response.status_code == 201, response.text
    return plan_id


# ----------------------------------------------------------------------------- revisions


async def test_revisions_are_paged_oldest_first_without_gaps_or_duplicates(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    plan_id = await reassessed(client, auth, 21)  # 22 revisions
    url = f"/v1/plans/{plan_id}/revisions"

    default = await pages(client, auth, url)
    assert [len(p["items"]) for p in default] == [20, 2]  # the default page size is 20
    small = await pages(client, auth, url, limit="5")
    assert [len(p["items"]) for p in small] == [5, 5, 5, 5, 2]
    numbers = [r["number"] for p in small for r in p["items"]]
    assert numbers == list(range(1, 23))
    assert [r["number"] for p in default for r in p["items"]] == numbers
    exact = await pages(client, auth, url, limit="11")  # a last page that is full
    assert [len(p["items"]) for p in exact] == [11, 11]
    everything = await pages(client, auth, url, limit="100")
    assert len(everything) == 1
    assert everything[0]["next_cursor"] is None

    # Each listed revision is the one read alone, with its diff against the previous one.
    listed = {r["number"]: r for p in small for r in p["items"]}
    assert listed[1]["diff"] is None
    for number in (2, 6, 22):
        alone = await client.get(f"{url}/{number}", headers=auth)
        assert alone.status_code == 200
        assert listed[number] == alone.json()
        assert listed[number]["diff"]["previous_revision"] == number - 1


async def test_a_revision_page_is_stable_while_revisions_are_added(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    plan_id = await reassessed(client, auth, 3)
    url = f"/v1/plans/{plan_id}/revisions"
    first = (await client.get(url, params={"limit": "2"}, headers=auth)).json()
    added = await client.post(
        f"/v1/plans/{plan_id}/reassessments", json={"assessment": assessment()}, headers=auth
    )
    assert added.status_code == 201
    rest = await pages(client, auth, url, limit="2", cursor=first["next_cursor"])
    numbers = [r["number"] for r in first["items"]] + [
        r["number"] for p in rest for r in p["items"]
    ]
    assert numbers == [1, 2, 3, 4, 5]


# ----------------------------------------------------------------------------- history


async def test_history_is_paged_oldest_first_without_gaps_or_duplicates(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    plan_id = (await create(client, auth, status="active")).json()["id"]
    for i in range(103):  # 104 events with the creation
        decided = await client.put(
            f"/v1/plans/{plan_id}/recommendations/naloxone/decision",
            json=DECISION | {"text": f"note {i}"},
            headers=auth,
        )
        assert decided.status_code == 200, decided.text
    url = f"/v1/plans/{plan_id}/history"

    default = await pages(client, auth, url)
    assert [len(p["items"]) for p in default] == [100, 4]  # the default page size is 100
    small = await pages(client, auth, url, limit="7")
    assert len(small) == 15
    assert len(small[-1]["items"]) == 6
    events = [e for p in small for e in p["items"]]
    assert events == [e for p in default for e in p["items"]]
    assert [e["kind"] for e in events] == ["created"] + ["decision"] * 103
    assert [e["changes"]["text"] for e in events[1:]] == [f"note {i}" for i in range(103)]
    assert all(p["privacy"]["security_labels"] for p in small)
    assert all(set(e) == set(events[0]) for e in events)  # the cursor's key is not an item field


async def test_history_pages_split_events_recorded_at_the_same_instant(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    plan_id = (await create(client, auth, status="active")).json()["id"]
    for i in range(8):
        await client.put(
            f"/v1/plans/{plan_id}/recommendations/naloxone/decision",
            json=DECISION | {"text": f"note {i}"},
            headers=auth,
        )
    same = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)
    async with app.state.db.session(write=True) as session:
        await session.execute(
            update(PlanEvent).where(PlanEvent.plan_id == uuid.UUID(plan_id)).values(created_at=same)
        )
        await session.commit()
    url = f"/v1/plans/{plan_id}/history"
    whole = (await client.get(url, headers=auth)).json()["items"]
    assert len(whole) == 9
    for limit in ("1", "2", "4"):
        paged = [e for p in await pages(client, auth, url, limit=limit) for e in p["items"]]
        assert paged == whole, limit


# ----------------------------------------------------------------------------- both lists


@pytest.mark.parametrize("tail", ["revisions", "history"])
async def test_bad_cursors_and_limits_are_refused(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str], tail: str
) -> None:
    documented = app.openapi()["paths"][f"/v1/plans/{{plan_id}}/{tail}"]["get"]["responses"]
    assert {"400", "422"} <= set(documented)
    plan_id = (await create(client, auth)).json()["id"]
    url = f"/v1/plans/{plan_id}/{tail}"
    foreign = (  # a well-formed cursor of the other list
        encode_cursor(datetime(2030, 1, 1, tzinfo=UTC), uuid.uuid4())
        if tail == "revisions"
        else encode_number_cursor(1)
    )
    for cursor in ("abc", "WzBd", "WyIxIl0", "WzEuNV0", "Wzk5OTk5OTk5OTk5OV0", foreign):
        # "abc": not JSON; [0]; ["1"]; [1.5]; [999999999999999]
        response = await client.get(url, params={"cursor": cursor}, headers=auth)
        assert response.status_code == 400, (cursor, response.text)
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["type"].endswith("/invalid-cursor")
    for limit in ("0", "101", "-1", "abc"):
        response = await client.get(url, params={"limit": limit}, headers=auth)
        assert response.status_code == 422, (limit, response.text)
        assert response.headers["content-type"] == PROBLEM


@pytest.mark.parametrize("tail", ["revisions", "history"])
async def test_pages_of_another_tenants_plan_are_404(
    client: httpx.AsyncClient, make_key: KeyMaker, tail: str
) -> None:
    owner, intruder = await make_key(), await make_key()
    plan_id = await reassessed(client, owner, 2)
    url = f"/v1/plans/{plan_id}/{tail}"
    cursor = (await client.get(url, params={"limit": "1"}, headers=owner)).json()["next_cursor"]
    assert cursor
    for params in ({}, {"limit": "1"}, {"cursor": cursor}):
        response = await client.get(url, params=params, headers=intruder)
        assert response.status_code == 404, (params, response.text)
        assert response.headers["content-type"] == PROBLEM
    missing = await client.get(f"/v1/plans/{uuid.uuid4()}/{tail}", headers=owner)
    assert missing.status_code == 404


# ----------------------------------------------------------------------------- If-Match lines


def lines(auth: dict[str, str], *if_match: str) -> list[tuple[str, str]]:
    return [*auth.items(), *(("If-Match", tag) for tag in if_match)]


async def test_if_match_field_lines_are_one_list(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    plan = await create(client, auth)
    plan_id, tag = plan.json()["id"], plan.headers["etag"]
    url = f"/v1/plans/{plan_id}"

    stale = await client.patch(url, json={"status": "active"}, headers=lines(auth, '"0"', '"1"'))
    assert stale.status_code == 412
    patched = await client.patch(url, json={"status": "active"}, headers=lines(auth, '"0"', tag))
    assert patched.status_code == 200, patched.text
    tag = patched.headers["etag"]

    relapse = await client.put(
        f"{url}/relapse-prevention", json={"triggers": ["stress"]}, headers=lines(auth, '"0"', tag)
    )
    assert relapse.status_code == 200, relapse.text
    tag = relapse.headers["etag"]

    decision_url = f"{url}/recommendations/naloxone/decision"
    refused = await client.put(decision_url, json=DECISION, headers=lines(auth, '"0"', '"1"'))
    assert refused.status_code == 412
    decided = await client.put(decision_url, json=DECISION, headers=lines(auth, '"0"', tag))
    assert decided.status_code == 200, decided.text

    # The same list on one line is the same precondition.
    tag = decided.headers["etag"]
    one_line = await client.patch(
        url, json={"status": "on_hold"}, headers=auth | {"If-Match": f'"0", {tag}'}
    )
    assert one_line.status_code == 200


async def test_every_if_match_line_is_held_to_the_documented_length(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    plan = await create(client, auth)
    url, tag = f"/v1/plans/{plan.json()['id']}", plan.headers["etag"]
    long_line = ", ".join(f'"{i:024x}"' for i in range(8))  # 222 characters
    for if_match in ((long_line, tag), (tag, long_line), (long_line,)):
        response = await client.patch(
            url, json={"status": "active"}, headers=lines(auth, *if_match)
        )
        assert response.status_code == 422, if_match
        assert response.json()["errors"][0]["pointer"] == "header:If-Match"
    # Many short lines are fine: each is within the limit.
    many = [f'"{i:024x}"' for i in range(20)]
    response = await client.patch(url, json={"status": "active"}, headers=lines(auth, *many, tag))
    assert response.status_code == 200, response.text
    assert (await client.get(url, headers=auth)).json()["status"] == "active"
