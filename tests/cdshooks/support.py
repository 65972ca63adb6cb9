"""Helpers for CDS Hooks endpoint tests: a registered EHR issuer, signed JWTs, prefetch data,
and the checks anchors.md (d) asks of every response."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI

from app.cdshooks.registration import register_issuer

BASE = "http://testserver"
PV = "kratom-cds-patient-view"
OS = "kratom-cds-order-sign"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
PT = "pt-42"

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(kid: str = "k1") -> dict[str, Any]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(RSA_KEY.public_key()))
    return {**jwk, "kid": kid, "use": "sig", "alg": "RS384"}


@dataclass
class Ehr:
    issuer: str
    tenant: str
    tenant_id: uuid.UUID

    def token(self, path: str, **overrides: Any) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": BASE + path,
            "iat": now,
            "exp": now + 300,
            "jti": str(uuid.uuid4()),
        }
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(claims, RSA_KEY, algorithm="RS384", headers={"kid": "k1", "typ": "JWT"})

    def headers(self, path: str, **overrides: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(path, **overrides)}"}


async def register(app: FastAPI, **kwargs: Any) -> Ehr:
    issuer = f"https://ehr-{uuid.uuid4().hex[:8]}.example.org"
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    options: dict[str, Any] = {"jwks": {"keys": [public_jwk()]}} | kwargs
    async with app.state.db.session(write=True) as session:
        done = await register_issuer(session, issuer=issuer, tenant_name=tenant, **options)
        await session.commit()
    return Ehr(issuer, tenant, done.tenant_id)


def obs(
    oid: str,
    code: str,
    value: float | None = None,
    unit: str | None = None,
    *,
    category: str | None = None,
    when: str = "2026-01-10T09:00:00Z",
    **extra: Any,
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": f"Patient/{PT}"},
        "effectiveDateTime": when,
    }
    if category:
        resource["category"] = [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": category,
                    }
                ]
            }
        ]
    if value is not None:
        resource["valueQuantity"] = {"value": value, "unit": unit, "system": UCUM, "code": unit}
    resource.update(extra)
    return resource


def searchset(*resources: dict[str, Any]) -> dict[str, Any] | None:
    if not resources:
        return None
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }


def full_prefetch(*, heart_rate: float = 112, qtc: float | None = None) -> dict[str, Any]:
    """Every key of our templates: vitals and labs given, the other searches empty (null)."""
    labs = [obs("alt-1", "1742-6", 40, "U/L", referenceRange=[{"high": {"value": 40,
            "unit": "U/L", "system": UCUM, "code": "U/L"}}])]  # fmt: skip
    if qtc is not None:
        labs.append(obs("qtc-1", "8636-3", qtc, "ms"))
    return {
        "patient": {
            "resourceType": "Patient",
            "id": PT,
            "birthDate": "1990-04-02",
            "extension": [
                {
                    "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex",
                    "valueCode": "M",
                }
            ],
        },
        "vitals": searchset(
            obs("hr-1", "8867-4", heart_rate, "/min", category="vital-signs"),
            obs(
                "bp-1",
                "85354-9",
                category="vital-signs",
                component=[
                    {
                        "code": {"coding": [{"system": LOINC, "code": "8480-6"}]},
                        "valueQuantity": {
                            "value": 148,
                            "unit": "mmHg",
                            "system": UCUM,
                            "code": "mm[Hg]",
                        },
                    },
                    {
                        "code": {"coding": [{"system": LOINC, "code": "8462-4"}]},
                        "valueQuantity": {
                            "value": 94,
                            "unit": "mmHg",
                            "system": UCUM,
                            "code": "mm[Hg]",
                        },
                    },
                ],
            ),
            obs("rr-1", "9279-1", 18, "/min", category="vital-signs"),
            obs("t-1", "8310-5", 99.5, "[degF]", category="vital-signs"),
            obs("spo2-1", "59408-5", 97, "%", category="vital-signs"),
        ),
        "labs": searchset(*labs),
        "drugScreen": searchset(
            obs(
                "uds-1",
                "19295-5",
                valueCodeableConcept={"coding": [{"system": SNOMED, "code": "260385009"}]},
            )
        ),
        "pregnancy": None,
        "instrumentScores": None,
        "questionnaireResponses": None,
        "conditions": None,
        "medicationStatements": None,
        "medicationRequests": None,
    }


def hook_request(
    hook: str = "patient-view", prefetch: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "hook": hook,
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/pr-1", "patientId": PT},
        "prefetch": full_prefetch() if prefetch is None else prefetch,
    }
    body.update(extra)
    return body


def draft_orders(*meds: tuple[str, str | None, str]) -> dict[str, Any]:
    """(id, rxnorm code or None, text) per MedicationRequest."""
    entries = []
    for rid, code, name in meds:
        concept: dict[str, Any] = {"text": name}
        if code:
            concept["coding"] = [{"system": RXNORM, "code": code, "display": name}]
        entries.append(
            {
                "resource": {
                    "resourceType": "MedicationRequest",
                    "id": rid,
                    "status": "draft",
                    "intent": "order",
                    "subject": {"reference": f"Patient/{PT}"},
                    "medicationCodeableConcept": concept,
                }
            }
        )
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def empties(value: Any, where: str = "") -> list[str]:
    """Paths of null, "", [] or {} values (the spec's "Use of JSON" rule)."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{where}/{key}"
            if item is None or item == "" or item == [] or item == {}:
                found.append(path)
            else:
                found += empties(item, path)
    elif isinstance(value, list):
        for n, item in enumerate(value):
            path = f"{where}/{n}"
            if item is None or item == "" or item == [] or item == {}:
                found.append(path)
            else:
                found += empties(item, path)
    return found


def check_cards_response(body: dict[str, Any]) -> None:
    """The anchors.md (d) assertions, on one response body."""
    assert set(body) <= {"cards", "systemActions"}
    assert isinstance(body["cards"], list)
    if body["cards"]:
        assert empties(body) == [], empties(body)
    for card in body["cards"]:
        assert len(card["summary"]) < 140
        assert card["indicator"] in ("info", "warning", "critical")
        assert card["source"]["label"]
        uuid.UUID(card["uuid"])
        if "suggestions" in card:
            assert card["selectionBehavior"] in ("at-most-one", "any")
            for suggestion in card["suggestions"]:
                assert suggestion["label"]
                for action in suggestion.get("actions", []):
                    assert action["type"] in ("create", "update", "delete")
                    assert action["description"]
                    assert isinstance(action.get("resource", {}), dict)
        for reason in card.get("overrideReasons", []):
            assert reason["display"]
            assert reason["code"]
            assert reason["system"]
        for link in card.get("links", []):
            assert link["type"] in ("absolute", "smart")
            assert link["url"]
            assert link["label"]
