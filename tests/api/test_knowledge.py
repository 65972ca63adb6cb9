"""POST /v1/evaluate, GET /v1/rules[/{id}], GET /v1/knowledge."""

from __future__ import annotations

from datetime import datetime

import httpx
import orjson

from app import rules
from app.privacy import privacy_block
from app.rules.sources import SOURCES
from app.schemas.assessment import AssessmentIn
from app.security import Scope
from tests.conftest import KeyMaker
from tests.factories import assessment_data, cows_items

HTI1_FLAGS = {
    "uses_race",
    "uses_ethnicity",
    "uses_language",
    "uses_sexual_orientation",
    "uses_gender_identity",
    "uses_sex",
    "uses_date_of_birth",
    "uses_social_determinants_of_health",
    "uses_health_status_assessments",
}


async def test_evaluate_returns_the_engines_evaluation_and_stores_nothing(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    data = assessment_data(withdrawal={"cows": cows_items(14)})
    response = await client.post("/v1/evaluate", json=data, headers=auth)
    assert response.status_code == 200, response.text
    assessment = AssessmentIn.model_validate_json(orjson.dumps(data))
    expected = rules.evaluate(assessment, as_of=assessment.assessed_at).model_dump(mode="json")
    body = response.json()
    # Plan content about a patient: the 42 CFR Part 2 labels and notice travel with it.
    assert body.pop("privacy") == privacy_block()
    assert body == expected
    assert body["scores"]["cows"]["value"] == 14
    assert body["ruleset"]["version"] == rules.RULESET_VERSION
    assert [p["phase"] for p in body["phases"]] == [
        "stabilization",
        "behavioral_therapy",
        "aftercare",
    ]
    listed = await client.get(
        f"/v1/patients/{data['patient']['patient_ref']}/assessments", headers=auth
    )
    assert listed.status_code == 200
    assert listed.json()["items"] == []
    plans = await client.get("/v1/plans", headers=auth)
    assert plans.json()["items"] == []


async def test_evaluate_explains_every_recommendation(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.post("/v1/evaluate", json=assessment_data(), headers=auth)
    recommendations = [r for p in response.json()["phases"] for r in p["recommendations"]]
    assert recommendations
    for rec in recommendations:
        assert rec["rule_ids"]
        assert rec["rationale"]
        assert rec["evidence"]
        assert rec["limitations"]


async def test_evaluate_rejects_implausible_input_naming_the_field(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    # Five digits: the body's random request id never holds them by chance (it did "400").
    data = assessment_data(vitals={"heart_rate_bpm": 40017})
    response = await client.post("/v1/evaluate", json=data, headers=auth)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    pointers = [e["pointer"] for e in response.json()["errors"]]
    assert "/vitals/heart_rate_bpm" in pointers
    assert "40017" not in response.text


async def test_evaluate_needs_the_plans_read_scope(
    client: httpx.AsyncClient, make_key: KeyMaker
) -> None:
    headers = await make_key(scopes=(Scope.knowledge_read,))
    response = await client.post("/v1/evaluate", json=assessment_data(), headers=headers)
    assert response.status_code == 403
    assert (await client.post("/v1/evaluate", json=assessment_data())).status_code == 401


async def test_rules_list_every_rule_in_order_with_the_ruleset_identity(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.get("/v1/rules", headers=auth)
    assert response.status_code == 200
    body = response.json()
    assert body["ruleset_version"] == rules.RULESET_VERSION
    assert body["ruleset_hash"] == rules.RULESET_HASH
    assert [item["id"] for item in body["items"]] == [r.id for r in rules.RULES]
    assert all(item["summary"] and item["title"] for item in body["items"])


async def test_rule_detail_shows_citations_with_their_sources(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    rule = next(r for r in rules.RULES if r.thresholds)
    response = await client.get(f"/v1/rules/{rule.id}", headers=auth)
    assert response.status_code == 200
    detail = response.json()["rule"]
    assert detail["id"] == rule.id
    assert detail["rationale"] == rule.rationale
    assert detail["limitations"] == list(rule.limitations)
    assert [c["key"] for c in detail["citations"]] == [c.key for c in rule.cites]
    for citation in detail["citations"]:
        assert citation["source"]["citation"] == SOURCES[citation["key"]].citation
    assert [t["name"] for t in detail["thresholds"]] == [t.name for t in rule.thresholds]
    assert all(i.startswith("/") for i in detail["assessment_inputs"])


async def test_unknown_rule_is_404_and_malformed_id_is_422(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    missing = await client.get("/v1/rules/ZZ-99", headers=auth)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    malformed = await client.get("/v1/rules/not a rule", headers=auth)
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["pointer"] == "path:rule_id"


async def test_knowledge_gives_hti1_attributes_computed_from_declared_inputs(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.get("/v1/knowledge", headers=auth)
    assert response.status_code == 200
    body = response.json()
    assert body["ruleset_hash"] == rules.RULESET_HASH
    datetime.fromisoformat(body["release_date"])
    by_id = {i["id"]: i for i in body["interventions"]}
    assert set(by_id) == {r.id for r in rules.RULES}
    for item in by_id.values():
        assert set(item) >= HTI1_FLAGS
        assert item["citations"]
        assert item["developer"]
        assert item["funding_source"]
        assert item["release_date"]
        assert item["revision_date"]
    # The flags follow each rule's declared inputs: the COWS is a health status assessment,
    # and the QTc category depends on sex.
    for item in by_id.values():
        if "/withdrawal/cows" in item["inputs"]:
            assert item["uses_health_status_assessments"] is True
        if "/patient/sex_at_birth" in item["inputs"]:
            assert item["uses_sex"] is True
    assert any("/labs/qtc_ms" in i["inputs"] and i["uses_sex"] for i in by_id.values())
    assert not any(i["uses_race"] for i in by_id.values())


async def test_knowledge_routes_need_the_knowledge_scope(
    client: httpx.AsyncClient, make_key: KeyMaker
) -> None:
    headers = await make_key(scopes=(Scope.plans_read,))
    for path in ("/v1/rules", "/v1/rules/VS-01", "/v1/knowledge"):
        assert (await client.get(path, headers=headers)).status_code == 403
