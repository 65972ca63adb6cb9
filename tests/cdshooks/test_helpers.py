"""Unit tests of the CDS Hooks helpers: pruning, summaries, draft-order drugs, fetch rules,
issuer registration."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from app import cli
from app.cdshooks.cards import prune, summary
from app.cdshooks.config import CdsSettings
from app.cdshooks.fetch import allowed_server, render
from app.cdshooks.orders import draft_drugs
from app.cdshooks.registration import check_jwks, register_issuer
from app.config import Settings
from tests.cdshooks.support import check_cards_response, draft_orders, public_jwk

DATA = Path(__file__).parents[1] / "fhir" / "data"


def test_prune_drops_empty_members_but_keeps_false_and_zero() -> None:
    value = {"a": None, "b": "", "c": [], "d": {}, "e": False, "f": 0, "g": [{"x": None}],
             "h": {"i": [None, "", {"j": 1}]}}  # fmt: skip
    assert prune(value) == {"e": False, "f": 0, "h": {"i": [{"j": 1}]}}


def test_summary_is_under_140_characters() -> None:
    assert summary("short") == "short"
    long = summary("word " * 60)
    assert len(long) < 140
    assert long.endswith("…")
    assert summary("a\n  b") == "a b"


def test_draft_drugs_by_rxnorm_and_name() -> None:
    orders = draft_orders(
        ("1", "1819", "buprenorphine"),
        ("2", None, "Lucemyra 0.18 MG Oral Tablet"),
        ("3", "7243", "Naltrexone 50 MG"),
        ("4", None, "Catapres-TTS"),
        ("5", "617993", "Amoxicillin"),
    )
    found = {d.drug: d for d in draft_drugs(orders)}
    assert set(found) == {"buprenorphine", "lofexidine", "naltrexone", "clonidine"}
    assert found["buprenorphine"].label == "RxNorm 1819"
    assert found["lofexidine"].label == "name 'lucemyra'"
    assert found["clonidine"].resource_ids == ("MedicationRequest/4",)


def test_two_orders_of_one_drug_are_one_finding_with_both_orders() -> None:
    orders = draft_orders(("mr-1", None, "Lofexidine 0.18 MG"), ("mr-2", None, "Lucemyra"))
    (found,) = draft_drugs(orders)
    assert found.drug == "lofexidine"
    assert found.resource_ids == ("MedicationRequest/mr-1", "MedicationRequest/mr-2")


def test_published_order_sign_example_has_no_checked_drug() -> None:
    context = json.loads((DATA / "cds-hooks-order-sign-context-r4.json").read_text())["context"]
    assert draft_drugs(context["draftOrders"]) == []


def _referencing(reference: dict[str, Any], *entries: dict[str, Any]) -> dict[str, Any]:
    orders = draft_orders(("mr-1", None, "unused"))
    draft = orders["entry"][0]["resource"]
    del draft["medicationCodeableConcept"]
    draft["medicationReference"] = reference
    orders["entry"] += list(entries)
    return orders


def _medication(rid: str | None, name: str) -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": "Medication", "code": {"text": name}}
    return resource | ({"id": rid} if rid else {})


@pytest.mark.parametrize(
    ("reference", "full_url", "rid"),
    [
        ("Medication/lofex", "Medication/lofex", "lofex"),  # the fullUrl itself
        ("urn:uuid:5e1c", "urn:uuid:5e1c", None),  # a transaction's id-less entry
        ("Medication/lofex", "https://ehr.example.org/fhir/Medication/lofex", "lofex"),
        ("Medication/lofex", "urn:uuid:5e1c", "lofex"),  # by Medication/<id>
        ("Medication/lofex", None, "lofex"),  # an entry without a fullUrl
        ("https://ehr.example.org/fhir/Medication/lofex", "urn:uuid:5e1c", "lofex"),
    ],
)
def test_draft_drug_named_by_a_medication_entry_of_draft_orders(
    reference: str, full_url: str | None, rid: str | None
) -> None:
    entry: dict[str, Any] = {"resource": _medication(rid, "Lofexidine 0.18 MG Oral Tablet")}
    if full_url:
        entry["fullUrl"] = full_url
    (found,) = draft_drugs(_referencing({"reference": reference}, entry))
    assert (found.drug, found.resource_ids) == ("lofexidine", ("MedicationRequest/mr-1",))


def test_draft_drug_reference_falls_back_to_its_display() -> None:
    # Not in draftOrders: its display names it.
    (found,) = draft_drugs(_referencing({"reference": "Medication/x", "display": "Lucemyra"}))
    assert found.drug == "lofexidine"
    # A resource of another type under that id is not the medication.
    other = {"fullUrl": "Medication/x", "resource": {"resourceType": "Substance", "id": "x",
             "code": {"text": "clonidine"}}}  # fmt: skip
    assert draft_drugs(_referencing({"reference": "Medication/x"}, other)) == []
    # A Medication entry without a name: the reference's display still counts.
    unnamed = {"fullUrl": "Medication/x", "resource": _medication("x", "")}
    (found,) = draft_drugs(_referencing({"reference": "Medication/x", "display": "clonidine"},
                                        unnamed))  # fmt: skip
    assert found.drug == "clonidine"


def test_fhir_server_rules() -> None:
    settings = CdsSettings(fhir_allowed_urls=["http://localhost:8080/fhir"])
    assert allowed_server("https://ehr.example.org/fhir", settings)
    assert allowed_server("http://localhost:8080/fhir/", settings)
    assert not allowed_server("http://ehr.example.org/fhir", settings)
    assert not allowed_server("https://user:pw@ehr.example.org/fhir", settings)
    assert not allowed_server("https://ehr.example.org/fhir?x=1", settings)
    assert not allowed_server("file:///etc/passwd", settings)


def test_render_templates() -> None:
    assert render("Patient/{{context.patientId}}", {"patientId": "p1"}) == "Patient/p1"
    assert render("Patient/{{context.patientId}}", {}) is None
    assert render("X?u={{userPractitionerId}}", {"patientId": "p"}) is None


def test_jwks_checks() -> None:
    check_jwks({"keys": [public_jwk()]})
    for bad in ({}, {"keys": []}, {"keys": [{"kty": "RSA"}]},
                {"keys": [{**public_jwk(), "d": "secret"}]},
                {"keys": [{"kty": "oct", "kid": "h", "k": "c2VjcmV0"}]},
                {"keys": [public_jwk(), public_jwk()]},  # one kid, two keys
                {"keys": [public_jwk("k1"), {**public_jwk("k2"), "kid": ["k2"]}]}):  # fmt: skip
        with pytest.raises(ValueError, match=r"JWKS|kid|public"):
            check_jwks(bad)
    check_jwks({"keys": [public_jwk("k1"), public_jwk("k2")]})


async def test_register_issuer_validates_and_updates(app: FastAPI) -> None:
    async with app.state.db.session(write=True) as session:
        with pytest.raises(ValueError, match="https"):
            await register_issuer(
                session, issuer="https://a.example", tenant_name="t-reg", jwks_url="http://x/j"
            )
        with pytest.raises(ValueError, match="subset"):
            await register_issuer(
                session,
                issuer="https://a.example",
                tenant_name="t-reg",
                jwks={"keys": [public_jwk()]},
                algs=["HS256"],
            )
        first = await register_issuer(
            session,
            issuer="https://reg.example",
            tenant_name="t-reg",
            jwks={"keys": [public_jwk()]},
        )
        second = await register_issuer(
            session,
            issuer="https://reg.example",
            tenant_name="t-reg",
            jwks_url="https://reg.example/jwks",
            algs=["RS256"],
        )
        assert first.created
        assert not second.created
        assert first.client_id == second.client_id
        with pytest.raises(ValueError, match="another tenant"):
            await register_issuer(
                session, issuer="https://reg.example", tenant_name="t-other",
                jwks={"keys": [public_jwk()]},
            )  # fmt: skip
        await session.rollback()


ANCHOR_RESPONSE = {
    "cards": [
        {
            "uuid": "7d1e0c3a-5f0b-4c1e-8d55-2a9f1b6c0e77",
            "summary": "Moderate withdrawal signs: consider supervised withdrawal phase",
            "indicator": "warning",
            "detail": "Heart rate 112/min and BP 148/94 on 2025-01-10.",
            "source": {
                "label": "Example SUD rules v1.3.0",
                "url": "https://cds.example.org/rules/R-WD-002",
                "topic": {"system": "https://cds.example.org/topics", "code": "withdrawal-phase",
                          "display": "Withdrawal phase"},
            },
            "selectionBehavior": "at-most-one",
            "suggestions": [{"label": "Order COWS assessment", "isRecommended": True,
                             "actions": [{"type": "create", "description": "Create a request",
                                          "resource": {"resourceType": "ServiceRequest"}}]}],
            "overrideReasons": [{"system": "https://cds.example.org/override",
                                 "code": "already-assessed", "display": "Already assessed today"}],
        }
    ]
}  # fmt: skip


def test_the_response_checker_accepts_the_anchor_vector_and_catches_spec_breaks() -> None:
    """anchors.md (d): our checker passes the published vector and fails the usual breaks."""
    check_cards_response(ANCHOR_RESPONSE)
    check_cards_response({"cards": []})
    breaks = [
        lambda c: c.pop("selectionBehavior"),  # sandbox-cds-services style
        lambda c: c["overrideReasons"][0].pop("display"),
        lambda c: c.update(detail=None),
        lambda c: c.update(links=[]),
        lambda c: c.update(summary="x" * 140),
        lambda c: c["suggestions"][0]["actions"][0].update(type="CREATE"),  # cqf-ruler#11
    ]
    for mutate in breaks:
        broken = copy.deepcopy(ANCHOR_RESPONSE)
        mutate(broken["cards"][0])
        with pytest.raises((AssertionError, KeyError)):
            check_cards_response(broken)


def test_register_ehr_command(
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [public_jwk()]}))
    issuer = "https://cli-ehr.example.org"
    args = ["register-ehr", "--issuer", issuer, "--tenant", "t-cli", "--jwks-file", str(jwks)]
    assert cli.main([*args, "--allow-alg", "RS384", "--allow-alg", "RS256"]) == 0
    assert (
        "Registered issuer https://cli-ehr.example.org for tenant 't-cli'"
        in capsys.readouterr().out
    )
    assert cli.main(args) == 0
    assert capsys.readouterr().out.startswith("Updated issuer")
    bad = tmp_path / "private.json"
    bad.write_text(json.dumps({"keys": [{**public_jwk(), "d": "x"}]}))
    with pytest.raises(SystemExit):
        cli.main(["register-ehr", "--issuer", issuer, "--tenant", "t-cli", "--jwks-file", str(bad)])
    with pytest.raises(SystemExit):  # exactly one of --jwks-file / --jwks-url
        cli.main(["register-ehr", "--issuer", issuer, "--tenant", "t-cli"])
