"""Bad input: every implausible or ill-typed field is named by JSON pointer, as problem+json,
and nothing the caller sent is echoed back."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import orjson
import pytest

from app.schemas.assessment import ASSESSMENT_EXAMPLE

PROBLEM = "application/problem+json"


def body_with(path: str, value: Any) -> dict[str, Any]:
    body = copy.deepcopy(ASSESSMENT_EXAMPLE)
    *parents, leaf = path.strip("/").split("/")
    node: Any = body
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[leaf] = value
    return body


async def post(client: httpx.AsyncClient, auth: dict[str, str], body: Any) -> httpx.Response:
    return await client.post("/v1/assessments", json=body, headers=auth)


def pointers(response: httpx.Response) -> set[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= problem.keys()
    return {e["pointer"] for e in problem["errors"]}


async def test_implausible_vitals_named_by_pointer(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = copy.deepcopy(ASSESSMENT_EXAMPLE)
    body["vitals"].update(
        heart_rate_bpm=400, spo2_percent=101, temperature_c=98, respiratory_rate_per_min=0
    )
    assert pointers(await post(client, auth, body)) == {
        "/vitals/heart_rate_bpm",
        "/vitals/spo2_percent",
        "/vitals/temperature_c",
        "/vitals/respiratory_rate_per_min",
    }


@pytest.mark.parametrize(
    ("path", "value"),
    [
        pytest.param("/vitals/heart_rate_bpm", 0, id="heart rate 0"),
        pytest.param("/vitals/heart_rate_bpm", 400, id="heart rate 400"),
        pytest.param("/vitals/spo2_percent", 101, id="SpO2 above 100"),
        pytest.param("/vitals/temperature_c", 98, id="Fahrenheit in a Celsius field"),
        pytest.param("/vitals/systolic_bp_mmhg", 20, id="systolic 20"),
        pytest.param("/vitals/diastolic_bp_mmhg", 150, id="diastolic above systolic"),
        pytest.param("/patient/age_years", 150, id="age 150"),
        pytest.param("/patient/weight_kg", 0, id="weight 0"),
        pytest.param("/labs/qtc_ms", 5000, id="QTc 5000"),
        pytest.param("/labs/alt_uln_u_per_l", 0, id="ULN 0"),
        pytest.param("/labs/inr", 0, id="INR 0"),
        pytest.param("/withdrawal/hours_since_last_kratom_use", -1, id="negative hours"),
        pytest.param("/withdrawal/cows/resting_pulse", 3, id="COWS pulse has no 3"),
        pytest.param("/withdrawal/cows/gooseflesh", 1, id="COWS gooseflesh only 0/3/5"),
        pytest.param("/withdrawal/cows/restlessness", 2, id="COWS restlessness has no 2"),
        pytest.param("/withdrawal/cows/gi_upset", 4, id="COWS GI has no 4"),
        pytest.param("/screening/phq9/items", [1, 1, 1], id="PHQ-9 needs 9 items"),
        pytest.param("/screening/gad7/items", [4, 0, 0, 0, 0, 0, 0], id="GAD-7 items are 0-3"),
        pytest.param("/screening/audit_c/items", [5, 0, 0], id="AUDIT-C items are 0-4"),
        pytest.param("/co_occurring_conditions/coded/0/code", "not-a-code", id="bad ICD-10"),
        pytest.param("/patient/patient_ref", "", id="empty patient ref"),
        pytest.param("/dsm5_criteria_met", ["craving", "craving"], id="duplicate criteria"),
    ],
)
async def test_each_implausible_value_is_named(
    client: httpx.AsyncClient, auth: dict[str, str], path: str, value: Any
) -> None:
    found = pointers(await post(client, auth, body_with(path, value)))
    assert any(p == path or p.startswith(path + "/") for p in found), found


@pytest.mark.parametrize(
    ("path", "value"),
    [
        pytest.param("/vitals/heart_rate_bpm", True, id="boolean is not a number"),
        pytest.param("/vitals/temperature_c", "37.2", id="string is not a number"),
        pytest.param("/vitals/heart_rate_bpm", 96.5, id="fraction is not an integer"),
        pytest.param("/patient/birth_date", 19920314, id="integer is not a date"),
        pytest.param("/assessed_at", 1764166200, id="integer is not a datetime"),
        pytest.param("/assessed_at", "2026-11-26T14:10:00", id="datetime without offset"),
        pytest.param("/vitals/on_supplemental_oxygen", 0, id="integer is not a boolean"),
        pytest.param("/vitals/on_supplemental_oxygen", "false", id="string is not a boolean"),
        pytest.param("/withdrawal/cows/sweating", True, id="boolean is not a COWS score"),
        pytest.param("/withdrawal/cows/sweating", "2", id="string is not a COWS score"),
        pytest.param("/withdrawal/cows/sweating", 1.5, id="fraction is not a COWS score"),
        pytest.param("/patient/sex_at_birth", "F", id="unknown enum value"),
    ],
)
async def test_types_are_strict(
    client: httpx.AsyncClient, auth: dict[str, str], path: str, value: Any
) -> None:
    assert path in pointers(await post(client, auth, body_with(path, value)))


async def test_whole_numbers_written_with_a_decimal_point_are_integers(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    # JSON Schema counts 96.0 as an integer: accepted and stored as 96, still range-checked.
    body = body_with("/vitals/heart_rate_bpm", 96.0)
    body["withdrawal"]["cows"]["resting_pulse"] = 2.0
    response = await post(client, auth, body)
    assert response.status_code == 201, response.text
    stored = response.json()["assessment"]
    assert stored["vitals"]["heart_rate_bpm"] == 96
    assert type(stored["withdrawal"]["cows"]["resting_pulse"]) is int
    assert "/withdrawal/cows/resting_pulse" in pointers(
        await post(client, auth, body_with("/withdrawal/cows/resting_pulse", 3.0))  # 0/1/2/4
    )


async def test_unknown_fields_are_rejected(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    body = body_with("/vitals/heart_rate", 90)
    body["surprise"] = 1
    assert pointers(await post(client, auth, body)) == {"/vitals/heart_rate", "/surprise"}


async def test_required_fields_are_named(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    assert pointers(await post(client, auth, {"patient": {}})) == {
        "/assessed_at",
        "/patient/patient_ref",
    }


async def test_cross_field_checks_point_at_the_field(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = body_with("/screening/phq9", {"items": [1, 1, 1, 1, 1, 1, 1, 1, 1], "total": 3})
    body["patient"]["birth_date"] = "2030-01-01"
    assert "/screening/phq9/total" in pointers(await post(client, auth, body))
    body = body_with("/patient/birth_date", "2030-01-01")
    assert pointers(await post(client, auth, body)) == {"/patient/birth_date"}


async def test_errors_never_echo_submitted_values(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    canary = "CANARY-7f3a-patient-name"
    body = body_with("/patient/sex_at_birth", canary)
    body["vitals"]["heart_rate_bpm"] = 987654
    body["patient"]["patient_ref"] = canary + " with spaces"
    response = await post(client, auth, body)
    assert response.status_code == 422
    assert canary not in response.text
    assert "987654" not in response.text


async def test_malformed_json_is_400(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.post(
        "/v1/assessments",
        content=b'{"patient": ',
        headers=auth | {"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
    response = await client.post(
        "/v1/assessments", content=b"\xff\xfe", headers=auth | {"content-type": "application/json"}
    )
    assert response.status_code == 400


async def test_non_object_body_is_422(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await post(client, auth, [1, 2, 3])
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == ""


async def test_wrong_content_type_is_415(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.post(
        "/v1/assessments",
        content=orjson.dumps(ASSESSMENT_EXAMPLE),
        headers=auth | {"content-type": "text/plain"},
    )
    assert response.status_code == 415
    assert response.headers["content-type"] == PROBLEM


async def test_body_over_limit_is_413(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    big = orjson.dumps(body_with("/encounter_ref", "x" * (300 * 1024)))
    response = await client.post(
        "/v1/assessments", content=big, headers=auth | {"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM


async def test_413_never_echoes_the_raw_path(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """Refused before routing, so there is no route template: the problem's instance is empty
    rather than the raw path, which can carry a patient reference."""
    big = b"{" + b" " * (300 * 1024) + b"}"
    response = await client.post(
        "/v1/patients/MRN-4471-CANARY/assessments",
        content=big,
        headers=auth | {"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert "MRN-4471-CANARY" not in response.text
    assert response.json()["instance"] == ""


async def test_chunked_body_over_limit_is_413(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(40):
            yield b" " * 8192  # 320 KiB of whitespace, no Content-Length

    response = await client.post(
        "/v1/assessments", content=chunks(), headers=auth | {"content-type": "application/json"}
    )
    assert response.status_code == 413
