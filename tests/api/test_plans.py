"""Treatment plans through the real app: creation, provenance, lifecycle, ETags, revisions,
decisions, relapse prevention, idempotency and tenant isolation."""

from __future__ import annotations

import asyncio
import copy
import uuid
from collections import deque
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, select
from starlette.requests import Request

from app.models import IdempotencyRecord
from app.rules import compute_scores
from app.schemas.assessment import ASSESSMENT_EXAMPLE, AssessmentIn
from app.schemas.plan_vocab import Phase, PlanStatus
from app.services import idempotency
from app.services.clients import principal_for_key
from app.services.lifecycle import PHASE_TRANSITIONS, STATUS_TRANSITIONS
from tests.conftest import KeyMaker

PROBLEM = "application/problem+json"


def assessment(patient_ref: str = "ehr-patient-4711", **withdrawal: Any) -> dict[str, Any]:
    body = copy.deepcopy(ASSESSMENT_EXAMPLE)
    body["patient"]["patient_ref"] = patient_ref
    body["withdrawal"]["cows"].update(withdrawal)
    return body


async def create(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    *,
    status: str = "draft",
    patient_ref: str = "ehr-patient-4711",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    response = await client.post(
        "/v1/plans",
        json={"assessment": assessment(patient_ref), "status": status},
        headers=auth | (headers or {}),
    )
    assert response.status_code == 201, response.text
    return response


async def patch(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    plan: httpx.Response,
    body: dict[str, Any],
) -> httpx.Response:
    return await client.patch(
        f"/v1/plans/{plan.json()['id']}",
        json=body,
        headers=auth | {"If-Match": plan.headers["etag"]},
    )


DECISION = {
    "decision": "accepted",
    "reason_code": "agree_with_recommendation",
    "text": "discussed with patient",
    "clinician_id": "npi:1234567893",
}


def codes(evaluation: dict[str, Any]) -> dict[str, str]:
    return {r["code"]: r["status"] for p in evaluation["phases"] for r in p["recommendations"]}


# ----------------------------------------------------------------------------- create / read


async def test_create_inline_stores_assessment_and_plan(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await create(client, auth)
    plan = response.json()
    assert response.headers["location"] == f"/v1/plans/{plan['id']}"
    assert response.headers["etag"].startswith('"')  # strong, not W/
    assert plan["status"] == "draft"
    assert plan["current_phase"] == "stabilization"
    assert plan["revision"] == 1
    assert [p["phase"] for p in plan["evaluation"]["phases"]] == [
        "stabilization",
        "behavioral_therapy",
        "aftercare",
    ]
    assert plan["ruleset"] == plan["evaluation"]["ruleset"]
    labels = {label["code"] for label in plan["privacy"]["security_labels"]}
    assert labels == {"R", "SUD", "42CFRPart2", "NORDSCLCD"}
    assert "42 CFR part 2" in plan["privacy"]["redisclosure_notice"]
    # The inline assessment was stored in the same transaction and is readable.
    stored = await client.get(f"/v1/assessments/{plan['assessment_id']}", headers=auth)
    assert stored.status_code == 200
    # with its derived scores, the same the plan's evaluation shows (computed once)
    direct = compute_scores(AssessmentIn.model_validate_json(orjson.dumps(assessment())))
    assert stored.json()["scores"] == direct.model_dump(mode="json")
    assert stored.json()["scores"] == plan["evaluation"]["scores"]
    read = await client.get(response.headers["location"], headers=auth)
    assert read.json() == plan
    assert read.headers["etag"] == response.headers["etag"]
    # A strong ETag promises the same bytes (RFC 9110 8.8.1), on PostgreSQL too: no part of
    # the plan may come back re-encoded by the database (jsonb reordered keys).
    assert read.content == response.content


async def test_conditional_get_answers_304_until_the_plan_changes(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await create(client, auth)
    url, tag = created.headers["location"], created.headers["etag"]
    for held in (tag, f"W/{tag}", f'"other", {tag}', "*"):
        same = await client.get(url, headers=auth | {"If-None-Match": held})
        assert same.status_code == 304, held
        assert same.content == b""
        assert same.headers["etag"] == tag
    stale = await client.get(url, headers=auth | {"If-None-Match": '"other"'})
    assert stale.status_code == 200
    assert stale.content == created.content
    changed = await patch(client, auth, created, {"status": "active"})
    assert changed.status_code == 200
    after = await client.get(url, headers=auth | {"If-None-Match": tag})
    assert after.status_code == 200
    assert after.headers["etag"] == changed.headers["etag"] != tag
    # A plan the caller cannot see stays a 404, whatever ETag is held.
    other = await client.get(f"/v1/plans/{uuid.uuid4()}", headers=auth | {"If-None-Match": "*"})
    assert other.status_code == 404


async def test_create_from_stored_assessment(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    stored = await client.post("/v1/assessments", json=assessment(), headers=auth)
    response = await client.post(
        "/v1/plans", json={"assessment_id": stored.json()["id"], "status": "active"}, headers=auth
    )
    assert response.status_code == 201
    assert response.json()["assessment_id"] == stored.json()["id"]
    assert response.json()["status"] == "active"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="neither"),
        pytest.param(
            {"assessment_id": str(uuid.uuid4()), "assessment": ASSESSMENT_EXAMPLE}, id="both"
        ),
        pytest.param({"assessment_id": str(uuid.uuid4())}, id="unknown id"),
        pytest.param({"assessment": ASSESSMENT_EXAMPLE, "status": "completed"}, id="bad status"),
    ],
)
async def test_create_rejects_bad_requests(
    client: httpx.AsyncClient, auth: dict[str, str], body: dict[str, Any]
) -> None:
    response = await client.post("/v1/plans", json=body, headers=auth)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM


async def test_stored_evaluation_is_never_recomputed(
    client: httpx.AsyncClient, auth: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = (await create(client, auth)).json()
    from app import rules

    def changed_rules(*_: Any, **__: Any) -> Any:
        raise AssertionError("reading a plan must not re-evaluate it")

    monkeypatch.setattr(rules, "evaluate", changed_rules)
    read = await client.get(f"/v1/plans/{plan['id']}", headers=auth)
    assert read.json()["evaluation"] == plan["evaluation"]
    assert read.json()["ruleset"] == plan["ruleset"]


# ----------------------------------------------------------------------------- list


async def test_list_filters_and_keyset_pages(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    ids = [(await create(client, auth, patient_ref="p-plans")).json()["id"] for _ in range(5)]
    active = (await create(client, auth, patient_ref="p-plans", status="active")).json()["id"]
    await create(client, auth, patient_ref="p-someone-else")

    seen: list[str] = []
    cursor: str | None = None
    while True:
        params = {"patient_ref": "p-plans", "limit": "2"} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/v1/plans", params=params, headers=auth)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [active, *reversed(ids)]

    only_active = await client.get(
        "/v1/plans", params={"patient_ref": "p-plans", "status": "active"}, headers=auth
    )
    assert [p["id"] for p in only_active.json()["items"]] == [active]
    summary = only_active.json()["items"][0]
    assert summary["current_phase"] == "stabilization"
    assert summary["privacy"]["security_labels"]
    in_therapy = await client.get(
        "/v1/plans",
        params={"patient_ref": "p-plans", "phase": "behavioral_therapy"},
        headers=auth,
    )
    assert in_therapy.json()["items"] == []
    future = await client.get(
        "/v1/plans",
        params={"patient_ref": "p-plans", "updated_since": "2999-01-01T00:00:00Z"},
        headers=auth,
    )
    assert future.json()["items"] == []
    assert (await client.get("/v1/plans?limit=101", headers=auth)).status_code == 422


async def test_a_plan_edited_while_a_client_pages_is_not_skipped(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """Paging on (updated_at, id) moved an edited plan to the front, behind the client: one
    walk saw 5 of 6 plans. Pages are on the creation time, which an edit never changes."""
    plans = [await create(client, auth, patient_ref="p-walk") for _ in range(6)]
    params = {"patient_ref": "p-walk", "limit": "3"}
    first = (await client.get("/v1/plans", params=params, headers=auth)).json()
    oldest = plans[0]
    edited = await client.patch(
        f"/v1/plans/{oldest.json()['id']}",
        json={"status": "active"},
        headers=auth | {"If-Match": oldest.headers["etag"]},
    )
    assert edited.status_code == 200
    second = (
        await client.get(
            "/v1/plans", params=params | {"cursor": first["next_cursor"]}, headers=auth
        )
    ).json()
    seen = [p["id"] for p in first["items"] + second["items"]]
    assert sorted(seen) == sorted(p.json()["id"] for p in plans)
    assert second["next_cursor"] is None


# ----------------------------------------------------------------------------- lifecycle


def _path_to(target: PlanStatus) -> list[PlanStatus]:
    """Shortest sequence of allowed status changes from draft to target."""
    queue: deque[list[PlanStatus]] = deque([[PlanStatus.draft]])
    while queue:
        path = queue.popleft()
        if path[-1] is target:
            return path[1:]
        queue.extend([*path, nxt] for nxt in STATUS_TRANSITIONS[path[-1]] if nxt not in path)
    raise AssertionError(target)


STATUS_CASES = [
    pytest.param(src, dst, dst in STATUS_TRANSITIONS[src], id=f"{src.value}->{dst.value}")
    for src in PlanStatus
    for dst in PlanStatus
    if src is not dst
]


@pytest.mark.parametrize(("source", "target", "allowed"), STATUS_CASES)
async def test_status_transitions(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    source: PlanStatus,
    target: PlanStatus,
    allowed: bool,
) -> None:
    plan = await create(client, auth)
    for step in _path_to(source):
        plan = await patch(client, auth, plan, {"status": step.value})
        assert plan.status_code == 200, plan.text
    response = await patch(client, auth, plan, {"status": target.value})
    if allowed:
        assert response.status_code == 200
        assert response.json()["status"] == target.value
        assert response.headers["etag"] != plan.headers["etag"]
    else:
        assert response.status_code == 409
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["allowed"] == sorted(s.value for s in STATUS_TRANSITIONS[source])
        unchanged = await client.get(f"/v1/plans/{plan.json()['id']}", headers=auth)
        assert unchanged.json()["status"] == source.value


PHASE_CASES = [
    pytest.param(src, dst, dst in PHASE_TRANSITIONS[src], id=f"{src.value}->{dst.value}")
    for src in Phase
    for dst in Phase
    if src is not dst
]


@pytest.mark.parametrize(("source", "target", "allowed"), PHASE_CASES)
async def test_phase_transitions(
    client: httpx.AsyncClient, auth: dict[str, str], source: Phase, target: Phase, allowed: bool
) -> None:
    plan = await create(client, auth, status="active")
    walk = {
        Phase.stabilization: [],
        Phase.behavioral_therapy: [Phase.behavioral_therapy],
        Phase.aftercare: [Phase.behavioral_therapy, Phase.aftercare],
    }[source]
    for step in walk:
        plan = await patch(client, auth, plan, {"current_phase": step.value})
        assert plan.status_code == 200, plan.text
    response = await patch(client, auth, plan, {"current_phase": target.value})
    assert response.status_code == (200 if allowed else 409)
    if not allowed:
        assert response.json()["allowed"] == sorted(p.value for p in PHASE_TRANSITIONS[source])


async def test_phase_cannot_change_on_a_closed_plan(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    plan = await create(client, auth, status="active")
    plan = await patch(client, auth, plan, {"status": "completed"})
    response = await patch(client, auth, plan, {"current_phase": "behavioral_therapy"})
    assert response.status_code == 409


async def test_if_match_is_required_and_checked(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    plan = await create(client, auth)
    url = f"/v1/plans/{plan.json()['id']}"
    missing = await client.patch(url, json={"status": "active"}, headers=auth)
    assert missing.status_code == 428
    assert missing.headers["content-type"] == PROBLEM
    star = await client.patch(url, json={"status": "active"}, headers=auth | {"If-Match": "*"})
    assert star.status_code == 428
    weak = await client.patch(
        url, json={"status": "active"}, headers=auth | {"If-Match": "W/" + plan.headers["etag"]}
    )
    assert weak.status_code == 412
    ok = await patch(client, auth, plan, {"status": "active"})
    assert ok.status_code == 200
    stale = await patch(client, auth, plan, {"status": "on_hold"})  # the old ETag
    assert stale.status_code == 412
    assert (await client.get(url, headers=auth)).json()["status"] == "active"


async def test_history_records_who_and_when(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    plan = await create(client, auth, headers={"X-User-Id": "dr-ada"})
    await client.patch(
        f"/v1/plans/{plan.json()['id']}",
        json={"status": "active", "note": "consented"},
        headers=auth | {"If-Match": plan.headers["etag"], "X-User-Id": "dr-grace"},
    )
    events = (await client.get(f"/v1/plans/{plan.json()['id']}/history", headers=auth)).json()
    kinds = [(e["kind"], e["user_id"]) for e in events["items"]]
    assert kinds == [("created", "dr-ada"), ("updated", "dr-grace")]
    assert events["items"][1]["changes"]["status"] == {"from": "draft", "to": "active"}
    assert events["items"][1]["note"] == "consented"
    assert events["items"][1]["created_at"].endswith("Z")


async def test_a_note_with_nothing_to_change_is_kept_not_dropped(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    plan = await create(client, auth, status="active")
    url = f"/v1/plans/{plan.json()['id']}"
    same = await client.patch(
        url,
        json={"status": "active", "note": "reviewed, no change"},
        headers=auth | {"If-Match": plan.headers["etag"], "X-User-Id": "dr-ada"},
    )
    assert same.status_code == 200
    assert same.headers["etag"] == plan.headers["etag"]  # the plan itself did not change
    events = (await client.get(f"{url}/history", headers=auth)).json()["items"]
    assert [(e["kind"], e["note"], e["changes"]) for e in events[1:]] == [
        ("noted", "reviewed, no change", {})
    ]
    quiet = await client.patch(
        url, json={"status": "active"}, headers=auth | {"If-Match": plan.headers["etag"]}
    )
    assert quiet.status_code == 200
    assert len((await client.get(f"{url}/history", headers=auth)).json()["items"]) == 2


# ----------------------------------------------------------------------------- revisions


async def test_reassessment_makes_a_revision_with_a_diff(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    plan = await create(client, auth, status="active")
    plan_id = plan.json()["id"]
    worse = assessment(resting_pulse=4, gooseflesh=5, restlessness=5, gi_upset=5)
    response = await client.post(
        f"/v1/plans/{plan_id}/reassessments", json={"assessment": worse}, headers=auth
    )
    assert response.status_code == 201, response.text
    revision = response.json()
    assert revision["number"] == 2
    assert response.headers["location"] == f"/v1/plans/{plan_id}/revisions/2"
    cows = [s for s in revision["diff"]["scores"] if s["score"] == "cows"]
    assert cows, revision["diff"]["scores"]
    assert cows[0]["delta"] == (4 - 1) + (5 - 0) + (5 - 1) + (5 - 2)
    assert revision["diff"]["previous_revision"] == 1

    current = (await client.get(f"/v1/plans/{plan_id}", headers=auth)).json()
    assert current["revision"] == 2
    assert current["assessment_id"] == revision["assessment_id"]
    listed = (await client.get(f"/v1/plans/{plan_id}/revisions", headers=auth)).json()
    assert [r["number"] for r in listed["items"]] == [1, 2]
    assert listed["items"][0]["diff"] is None
    one = await client.get(f"/v1/plans/{plan_id}/revisions/2", headers=auth)
    assert one.json() == listed["items"][1]
    assert (await client.get(f"/v1/plans/{plan_id}/revisions/9", headers=auth)).status_code == 404


async def test_reassessment_of_another_patient_is_refused(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    plan = await create(client, auth)
    response = await client.post(
        f"/v1/plans/{plan.json()['id']}/reassessments",
        json={"assessment": assessment("someone-else")},
        headers=auth,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/assessment/patient/patient_ref"


# ----------------------------------------------------------------------------- decisions


async def test_decisions_are_recorded_and_carried_forward(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    plan = await create(client, auth, status="active")
    plan_id = plan.json()["id"]
    code = next(iter(codes(plan.json()["evaluation"])))
    decision = DECISION
    put = await client.put(
        f"/v1/plans/{plan_id}/recommendations/{code}/decision", json=decision, headers=auth
    )
    assert put.status_code == 200, put.text
    assert put.json()["made_at_revision"] == 1
    assert put.headers["etag"] != plan.headers["etag"]
    listed = (await client.get(f"/v1/plans/{plan_id}", headers=auth)).json()["decisions"]
    assert [(d["recommendation_code"], d["decision"]) for d in listed] == [(code, "accepted")]

    # The same assessment again: the recommendation persists, so the decision carries forward.
    await client.post(
        f"/v1/plans/{plan_id}/reassessments", json={"assessment": assessment()}, headers=auth
    )
    carried = (await client.get(f"/v1/plans/{plan_id}", headers=auth)).json()
    assert carried["revision"] == 2
    assert [d["recommendation_code"] for d in carried["decisions"]] == [code]


async def test_a_decision_pinned_to_a_stale_plan_is_412_and_records_nothing(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    # The clinician read revision 1; a reassessment made revision 2 before they decided.
    plan = await create(client, auth, status="active")
    plan_id = plan.json()["id"]
    code = next(iter(codes(plan.json()["evaluation"])))
    seen = plan.headers["etag"]
    reassessed = await client.post(
        f"/v1/plans/{plan_id}/reassessments", json={"assessment": assessment()}, headers=auth
    )
    assert reassessed.status_code == 201
    url = f"/v1/plans/{plan_id}/recommendations/{code}/decision"
    stale = await client.put(url, json=DECISION, headers=auth | {"If-Match": seen})
    assert stale.status_code == 412, stale.text
    assert stale.headers["content-type"] == PROBLEM
    after = (await client.get(f"/v1/plans/{plan_id}", headers=auth)).json()
    assert after["decisions"] == []
    history = (await client.get(f"/v1/plans/{plan_id}/history", headers=auth)).json()["items"]
    assert "decision" not in {event["kind"] for event in history}
    # Pinned to the current ETag it is recorded and the answer carries the next ETag; a weak
    # form of a current ETag never matches (strong comparison).
    current = reassessed.headers["etag"]
    weak = await client.put(url, json=DECISION, headers=auth | {"If-Match": f"W/{current}"})
    assert weak.status_code == 412
    ok = await client.put(url, json=DECISION, headers=auth | {"If-Match": current})
    assert ok.status_code == 200, ok.text
    assert ok.headers["etag"] != current
    # Without If-Match (or with *) a decision is still taken: the precondition is optional.
    again = await client.put(url, json=DECISION, headers=auth | {"If-Match": "*"})
    assert again.status_code == 200, again.text


async def test_decision_on_unknown_recommendation_is_404(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    plan = await create(client, auth)
    response = await client.put(
        f"/v1/plans/{plan.json()['id']}/recommendations/no_such_thing/decision",
        json={"decision": "declined", "reason_code": "other", "clinician_id": "u1"},
        headers=auth,
    )
    assert response.status_code == 404
    bad_reason = await client.put(
        f"/v1/plans/{plan.json()['id']}/recommendations/x/decision",
        json={"decision": "declined", "reason_code": "because", "clinician_id": "u1"},
        headers=auth,
    )
    assert bad_reason.status_code == 422


# ----------------------------------------------------------------------------- relapse plan


async def test_relapse_prevention_plan_is_edited_with_etags(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    plan = await create(client, auth)
    url = f"/v1/plans/{plan.json()['id']}/relapse-prevention"
    body = {
        "triggers": ["work stress"],
        "coping_strategies": ["call sponsor"],
        "warning_signs": ["skipping meetings"],
        "support_contacts": [{"name": "Sam", "relationship": "brother", "phone": "+1 555 0100"}],
    }
    assert (await client.put(url, json=body, headers=auth)).status_code == 428
    ok = await client.put(url, json=body, headers=auth | {"If-Match": plan.headers["etag"]})
    assert ok.status_code == 200, ok.text
    assert ok.json()["relapse_prevention"]["triggers"] == ["work stress"]
    assert ok.json()["relapse_prevention"]["updated_at"].endswith("Z")  # as every timestamp
    read = await client.get(f"/v1/plans/{plan.json()['id']}", headers=auth)
    assert read.headers["etag"] == ok.headers["etag"]
    assert read.content == ok.content
    stale = await client.put(url, json=body, headers=auth | {"If-Match": plan.headers["etag"]})
    assert stale.status_code == 412


async def test_follow_up_schedule_is_derived_from_aftercare(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    plan = (await create(client, auth)).json()
    assert plan["follow_up"], "aftercare recommendations must produce a schedule"
    for item in plan["follow_up"]:
        assert item["kind"] in {"visit", "lab", "reassessment"}
        assert item["due_date"] > "2026-11-26"
        assert item["recommendation_code"] in codes(plan["evaluation"])


async def test_follow_up_dates_already_set_are_kept_and_new_items_count_from_their_revision(
    client: httpx.AsyncClient, auth: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reassessment ten days in changes which items apply, not their dates: 'week 2' is
    week 2 of the episode. (Re-anchored at each reassessment, a patient reassessed monthly
    never reached the 12-month reassessment.)"""
    # The reassessments are dated months after the fixtures: let the server's clock be there.
    monkeypatch.setattr("app.api.body.utc_now", lambda: datetime(2027, 6, 1, tzinfo=UTC))
    plan = (await create(client, auth, status="active")).json()
    first = {i["code"]: i["due_date"] for i in plan["follow_up"]}
    later = assessment()
    later["assessed_at"] = "2026-12-06T14:10:00Z"  # ten days after the first
    response = await client.post(
        f"/v1/plans/{plan['id']}/reassessments", json={"assessment": later}, headers=auth
    )
    assert response.status_code == 201, response.text
    again = (await client.get(f"/v1/plans/{plan['id']}", headers=auth)).json()
    second = {i["code"]: i["due_date"] for i in again["follow_up"]}
    assert first["visit-week-2"] == "2026-12-10"  # 14 days after 2026-11-26
    assert {code: second[code] for code in first if code in second} == {
        code: due for code, due in first.items() if code in second
    }
    assert second["reassessment-month-12"] == "2027-11-26"
    # An item new in a later revision counts from that reassessment, not from the plan's
    # start (an ECG "within 30 days of starting methadone" was overdue when it appeared).
    third = assessment()
    third["assessed_at"] = "2027-02-24T14:10:00Z"
    third["considering"] = ["buprenorphine", "methadone"]
    response = await client.post(
        f"/v1/plans/{plan['id']}/reassessments", json={"assessment": third}, headers=auth
    )
    assert response.status_code == 201, response.text
    final = (await client.get(f"/v1/plans/{plan['id']}", headers=auth)).json()
    dated = {i["code"]: i["due_date"] for i in final["follow_up"]}
    assert "ecg-day-30" not in first
    assert dated["ecg-day-30"] == "2027-03-26"
    assert dated["visit-week-2"] == first["visit-week-2"]


# ----------------------------------------------------------------------------- idempotency


async def test_idempotent_replay_is_byte_for_byte(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    key = {"Idempotency-Key": f"key-{uuid.uuid4()}"}
    body = {"assessment": assessment("p-idem")}
    first = await client.post("/v1/plans", json=body, headers=auth | key)
    again = await client.post("/v1/plans", json=body, headers=auth | key)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    for header in ("location", "etag", "content-type"):
        assert again.headers[header] == first.headers[header]
    assert again.headers["idempotent-replayed"] == "true"
    page = (await client.get("/v1/plans", params={"patient_ref": "p-idem"}, headers=auth)).json()
    assert len(page["items"]) == 1

    other = await client.post(
        "/v1/plans", json={"assessment": assessment("p-idem-2")}, headers=auth | key
    )
    assert other.status_code == 422
    assert other.json()["errors"][0]["pointer"] == "header:Idempotency-Key"


async def test_a_retry_that_reserialises_the_body_is_the_same_request(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    key = {"Idempotency-Key": f"key-{uuid.uuid4()}", "Content-Type": "application/json"}
    body = {"status": "draft", "assessment": assessment("p-idem-json")}
    first = await client.post("/v1/plans", content=orjson.dumps(body), headers=auth | key)
    pretty = orjson.dumps(dict(reversed(body.items())), option=orjson.OPT_INDENT_2)
    again = await client.post("/v1/plans", content=pretty, headers=auth | key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"


async def test_a_key_released_by_a_failed_holder_is_claimed_again(
    app: FastAPI, make_key: KeyMaker
) -> None:
    # The race: our insert hits the holder's claim, then the holder fails and deletes it
    # before we read it. That was a 500 (scalar_one on no row); now the key is claimed.
    headers = await make_key()
    async with app.state.db.session(write=False) as session:
        principal = await principal_for_key(session, headers["Authorization"].split()[1])
    assert principal is not None
    key = f"race-{uuid.uuid4().hex}"
    async with app.state.db.session(write=True) as session:
        await idempotency._claim(session, principal, key, "holder")

    async with app.state.db.session(write=True) as session:
        rollback = session.rollback

        async def holder_releases_meanwhile() -> None:
            await rollback()
            await session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.key == key))
            await session.commit()

        session.rollback = holder_releases_meanwhile  # type: ignore[method-assign]
        assert await idempotency._claim(session, principal, key, "second") is None
    async with app.state.db.session(write=False) as session:
        stored = (
            await session.execute(
                select(IdempotencyRecord.request_hash).where(IdempotencyRecord.key == key)
            )
        ).scalar_one()
    assert stored == "second"


async def test_idempotency_keys_are_scoped_per_client(
    client: httpx.AsyncClient, make_key: KeyMaker
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    first_client, second_client = await make_key(tenant), await make_key(tenant)
    key = {"Idempotency-Key": f"shared-{uuid.uuid4()}"}
    body = {"assessment": assessment("p-scope")}
    a = await client.post("/v1/plans", json=body, headers=first_client | key)
    b = await client.post("/v1/plans", json=body, headers=second_client | key)
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]


async def test_concurrent_duplicates_create_exactly_one_plan(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    key = {"Idempotency-Key": f"burst-{uuid.uuid4()}"}
    body = {"assessment": assessment("p-burst")}
    responses = await asyncio.gather(
        *(client.post("/v1/plans", json=body, headers=auth | key) for _ in range(20))
    )
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {201, 409}, statuses
    created = [r for r in responses if r.status_code == 201]
    assert created
    assert len({r.json()["id"] for r in created}) == 1
    page = (await client.get("/v1/plans", params={"patient_ref": "p-burst"}, headers=auth)).json()
    assert len(page["items"]) == 1


async def test_failed_request_releases_its_key(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    key = {"Idempotency-Key": f"retry-{uuid.uuid4()}"}
    missing = {"assessment_id": str(uuid.uuid4())}
    assert (await client.post("/v1/plans", json=missing, headers=auth | key)).status_code == 422
    again = await client.post("/v1/plans", json=missing, headers=auth | key)
    assert again.status_code == 422  # re-run, not a replayed success nor a 409


# ----------------------------------------------------------------------------- tenancy


async def test_every_plan_route_hides_other_tenants(
    client: httpx.AsyncClient, make_key: KeyMaker
) -> None:
    owner, intruder = await make_key(), await make_key()
    plan = await create(client, owner)
    plan_id, etag = plan.json()["id"], plan.headers["etag"]
    code = next(iter(codes(plan.json()["evaluation"])))
    calls = [
        ("GET", f"/v1/plans/{plan_id}", None, {}),
        ("PATCH", f"/v1/plans/{plan_id}", {"status": "active"}, {"If-Match": etag}),
        ("POST", f"/v1/plans/{plan_id}/reassessments", {"assessment": assessment()}, {}),
        ("GET", f"/v1/plans/{plan_id}/revisions", None, {}),
        ("GET", f"/v1/plans/{plan_id}/revisions/1", None, {}),
        ("GET", f"/v1/plans/{plan_id}/history", None, {}),
        (
            "PUT",
            f"/v1/plans/{plan_id}/recommendations/{code}/decision",
            {"decision": "accepted", "reason_code": "other", "clinician_id": "x"},
            {},
        ),
        ("PUT", f"/v1/plans/{plan_id}/relapse-prevention", {"triggers": ["x"]}, {"If-Match": etag}),
        ("PUT", f"/v1/plans/{plan_id}/relapse-prevention", {"triggers": ["x"]}, {}),
    ]
    for method, url, body, extra in calls:
        response = await client.request(method, url, json=body, headers=intruder | extra)
        assert response.status_code == 404, (method, url, response.status_code)
    assert (await client.get("/v1/plans", headers=intruder)).json()["items"] == []
    after = await client.get(f"/v1/plans/{plan_id}", headers=owner)
    assert after.headers["etag"] == etag
    assert after.json() == plan.json()


async def test_a_plan_entered_in_error_is_kept_but_not_acted_on(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    plan = await create(client, auth, status="active")
    plan_id = plan.json()["id"]
    code = next(iter(codes(plan.json()["evaluation"])))
    marked = await patch(client, auth, plan, {"status": "entered_in_error"})
    assert marked.status_code == 200, marked.text
    etag = marked.headers["etag"]
    decision = DECISION
    consent = {
        "consent_ref": "Consent/c-1",
        "scope": "tpo",
        "effective_from": "2026-01-01T00:00:00Z",
    }
    attempts = [
        ("PUT", f"/v1/plans/{plan_id}/recommendations/{code}/decision", decision, {}),
        ("PUT", f"/v1/plans/{plan_id}/relapse-prevention", {"triggers": ["x"]}, {"If-Match": etag}),
        ("PUT", f"/v1/plans/{plan_id}/relapse-prevention", {"triggers": ["x"]}, {}),
        ("POST", f"/v1/plans/{plan_id}/consents", consent, {}),
        ("POST", f"/v1/plans/{plan_id}/disclosures", {"recipient": "org:x", "purpose": "treatment"},
         {}),
        ("POST", f"/v1/plans/{plan_id}/reassessments", {"assessment": assessment()}, {}),
        ("PATCH", f"/v1/plans/{plan_id}", {"status": "entered_in_error", "note": "later"},
         {"If-Match": etag}),
    ]  # fmt: skip
    for method, url, body, extra in attempts:
        response = await client.request(method, url, json=body, headers=auth | extra)
        assert response.status_code == 409, (url, response.text)
        assert response.json()["type"].endswith("/plan-entered-in-error")
    read = await client.get(f"/v1/plans/{plan_id}", headers=auth)
    assert read.status_code == 200  # kept for the record
    assert read.headers["etag"] == etag  # and unchanged


async def test_every_plan_representation_carries_the_privacy_labels(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    # 42 CFR Part 2: revisions, history and decisions carry SUD data too.
    plan = await create(client, auth, status="active")
    plan_id = plan.json()["id"]
    code = next(iter(codes(plan.json()["evaluation"])))
    answers = [
        await client.post(
            f"/v1/plans/{plan_id}/reassessments", json={"assessment": assessment()}, headers=auth
        ),
        await client.get(f"/v1/plans/{plan_id}/revisions/1", headers=auth),
        await client.get(f"/v1/plans/{plan_id}/history", headers=auth),
        await client.put(
            f"/v1/plans/{plan_id}/recommendations/{code}/decision", json=DECISION, headers=auth
        ),
    ]
    listed = await client.get(f"/v1/plans/{plan_id}/revisions", headers=auth)
    for answer in (*answers, listed):
        assert answer.status_code in (200, 201), answer.text
    assert len(listed.json()["items"]) == 2
    for body in [a.json() for a in answers] + listed.json()["items"]:
        labels = {label["code"] for label in body["privacy"]["security_labels"]}
        assert labels == {"R", "SUD", "42CFRPart2", "NORDSCLCD"}
        assert "42 CFR part 2" in body["privacy"]["redisclosure_notice"]


async def test_a_backdated_reassessment_is_refused(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    plan = await create(client, auth, status="active")
    plan_id = plan.json()["id"]
    earlier = assessment() | {"assessed_at": "2026-11-20T09:00:00Z"}
    refused = await client.post(
        f"/v1/plans/{plan_id}/reassessments", json={"assessment": earlier}, headers=auth
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["pointer"] == "/assessment/assessed_at"
    later = assessment() | {"assessed_at": "2026-11-27T09:00:00Z"}
    accepted = await client.post(
        f"/v1/plans/{plan_id}/reassessments", json={"assessment": later}, headers=auth
    )
    assert accepted.status_code == 201, accepted.text


async def test_history_keeps_what_each_change_replaced_or_ended(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    plan = await create(client, auth, status="active")
    plan_id = plan.json()["id"]
    statuses = codes(plan.json()["evaluation"])
    assert statuses["buprenorphine"] == "recommended"
    put = await client.put(
        f"/v1/plans/{plan_id}/recommendations/buprenorphine/decision", json=DECISION, headers=auth
    )
    assert put.status_code == 200, put.text
    url = f"/v1/plans/{plan_id}/relapse-prevention"
    first = await client.put(
        url, json={"triggers": ["payday"]}, headers=auth | {"If-Match": put.headers["etag"]}
    )
    second = await client.put(
        url, json={"triggers": ["work stress"]}, headers=auth | {"If-Match": first.headers["etag"]}
    )
    assert second.status_code == 200, second.text
    # RR 6 (opioid toxicity) is an emergency: starting buprenorphine is deferred (consider),
    # so the decision on it no longer applies, and the history says so.
    changed = assessment() | {"vitals": {**assessment()["vitals"], "respiratory_rate_per_min": 6}}
    reassessed = await client.post(
        f"/v1/plans/{plan_id}/reassessments", json={"assessment": changed}, headers=auth
    )
    assert reassessed.status_code == 201, reassessed.text
    events = (await client.get(f"/v1/plans/{plan_id}/history", headers=auth)).json()["items"]
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_kind.setdefault(event["kind"], []).append(event["changes"])
    assert by_kind["decision"][0]["text"] == DECISION["text"]
    edits = by_kind["relapse_prevention_updated"]
    assert [e["previous"]["triggers"] if e["previous"] else None for e in edits][-1] == ["payday"]
    (ended,) = by_kind["decisions_ended"]
    assert ended["revision"] == 2
    kinds = [event["kind"] for event in events]  # told in order: the cause, then its effect
    assert kinds.index("reassessed") < kinds.index("decisions_ended")
    assert ended["decisions"][0]["recommendation_code"] == "buprenorphine"
    assert (ended["decisions"][0]["was"], ended["decisions"][0]["now"]) == (
        "recommended",
        "consider",
    )


@pytest.mark.parametrize("closed", ["completed", "revoked"])
async def test_a_closed_plan_takes_no_new_decisions(
    client: httpx.AsyncClient, auth: dict[str, str], closed: str
) -> None:
    plan = await create(client, auth, status="active")
    plan_id = plan.json()["id"]
    code = next(iter(codes(plan.json()["evaluation"])))
    assert (await patch(client, auth, plan, {"status": closed})).status_code == 200
    refused = await client.put(
        f"/v1/plans/{plan_id}/recommendations/{code}/decision", json=DECISION, headers=auth
    )
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/plan-closed")
    read = (await client.get(f"/v1/plans/{plan_id}", headers=auth)).json()
    assert read["decisions"] == []


@pytest.mark.parametrize("closed", ["completed", "revoked"])
async def test_a_closed_plan_takes_no_reassessment(
    client: httpx.AsyncClient, auth: dict[str, str], closed: str
) -> None:
    """The same 409 as every other write to a closed plan (it was transition-not-allowed
    with an empty list of allowed transitions)."""
    plan = await create(client, auth, status="active")
    plan_id = plan.json()["id"]
    assert (await patch(client, auth, plan, {"status": closed})).status_code == 200
    refused = await client.post(
        f"/v1/plans/{plan_id}/reassessments", json={"assessment": assessment()}, headers=auth
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["type"].endswith("/plan-closed")
    assert "reassessments" in refused.json()["detail"]
    assert (await client.get(f"/v1/plans/{plan_id}", headers=auth)).json()["revision"] == 1


@pytest.mark.parametrize("closed", ["completed", "revoked"])
async def test_a_closed_plan_keeps_its_relapse_prevention_plan(
    client: httpx.AsyncClient, auth: dict[str, str], closed: str
) -> None:
    plan = await create(client, auth, status="active")
    plan_id = plan.json()["id"]
    ended = await patch(client, auth, plan, {"status": closed})
    assert ended.status_code == 200
    refused = await client.put(
        f"/v1/plans/{plan_id}/relapse-prevention",
        json={"triggers": ["payday"]},
        headers=auth | {"If-Match": ended.headers["etag"]},
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["type"].endswith("/plan-closed")
    assert "relapse-prevention" in refused.json()["detail"]
    read = (await client.get(f"/v1/plans/{plan_id}", headers=auth)).json()
    assert read["relapse_prevention"]["triggers"] == []
    assert (await client.get(f"/v1/plans/{plan_id}", headers=auth)).headers["etag"] == (
        ended.headers["etag"]
    )


def _request(path: str, query: bytes) -> Request:
    scope = {"type": "http", "method": "POST", "path": path, "query_string": query, "headers": []}
    return Request(scope)


def test_the_idempotency_fingerprint_reads_the_query_parsed_and_in_order() -> None:
    target = idempotency.request_target
    assert target(_request("/v1/plans", b"")) == "/v1/plans"
    same = {
        target(_request("/x", query))
        for query in (b"a=1&b=2%3A3", b"b=2:3&a=1", b"b=2%3a3&a=1", b"a=%31&b=2%3A3")
    }
    assert len(same) == 1
    # One name's repeated values keep their order: the last is the one a parameter takes.
    assert target(_request("/x", b"s=1&s=2")) != target(_request("/x", b"s=2&s=1"))
    assert target(_request("/x", b"a=1&s=2&s=1")) == target(_request("/x", b"s=2&a=1&s=1"))
