"""FHIR R4 -> AssessmentIn: published examples (tests/fhir/data, see README) and edge cases."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from app.fhir import (
    FhirMapping,
    Reason,
    assessment_from_fhir,
    reference_aliases,
    resources_from_bundle,
    resources_from_prefetch,
    warm_up,
)
from app.rules import evaluate

DATA = Path(__file__).parent / "data"
NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
PT = "pt-42"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
MEANING = "http://terminology.hl7.org/CodeSystem/referencerange-meaning"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SYNTHEA_PATIENT = "da2c7b0a-791a-4b8f-9a30-dc3d8cf1ec75"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def run(resources: list[Any], patient_ref: str = PT) -> FhirMapping:
    return assessment_from_fhir(resources, patient_ref=patient_ref, assessed_at=NOW)


def dump(mapping: FhirMapping) -> dict[str, Any]:
    return mapping.assessment.model_dump(mode="json", exclude_none=True)


def reasons(mapping: FhirMapping) -> dict[str, set[Reason]]:
    out: dict[str, set[Reason]] = {}
    for issue in [*mapping.unsupported, *mapping.ignored]:
        out.setdefault(issue.ref, set()).add(issue.reason)
    return out


def obs(
    oid: str,
    code: str,
    *,
    value: float | None = None,
    unit: str | None = None,
    when: str = "2026-01-10T09:00:00Z",
    status: str = "final",
    subject: str = f"Patient/{PT}",
    **extra: Any,
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": oid,
        "status": status,
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": subject},
        "effectiveDateTime": when,
    }
    if value is not None:
        resource["valueQuantity"] = {"value": value, "system": UCUM, "code": unit, "unit": unit}
    resource.update(extra)
    return resource


def qualitative(oid: str, code: str, answer: str, **extra: Any) -> dict[str, Any]:
    concept = {"coding": [{"system": SNOMED, "code": answer}]}
    return obs(oid, code, valueCodeableConcept=concept, **extra)


def high(value: float, unit: str | None = None) -> list[dict[str, Any]]:
    bound: dict[str, Any] = {"value": value}
    if unit:
        bound |= {"system": UCUM, "code": unit}
    return [{"low": {"value": 0}, "high": bound}]


# ---------------------------------------------------------------------------- HL7 R4 examples


@pytest.mark.parametrize(
    ("file", "group", "field", "expected"),
    [
        ("fhir-r4-observation-heart-rate.json", "vitals", "heart_rate_bpm", 44),
        ("fhir-r4-observation-respiratory-rate.json", "vitals", "respiratory_rate_per_min", 26),
        ("fhir-r4-observation-body-temperature.json", "vitals", "temperature_c", 36.5),
        ("fhir-r4-observation-oxygen-saturation.json", "vitals", "spo2_percent", 95),
        ("fhir-r4-observation-blood-pressure.json", "vitals", "systolic_bp_mmhg", 107),
        ("fhir-r4-observation-blood-pressure.json", "vitals", "diastolic_bp_mmhg", 60),
        # 185 [lb_av] x 0.45359237 kg
        ("fhir-r4-observation-body-weight.json", "patient", "weight_kg", 83.91),
    ],
)
def test_hl7_vital_sign_examples(file: str, group: str, field: str, expected: float) -> None:
    resource = load(file)
    mapping = run([resource], patient_ref="example")
    assert dump(mapping)[group][field] == expected
    assert mapping.used == [f"Observation/{resource['id']}"]
    assert not [i for i in mapping.unsupported if i.reason is not Reason.effective_time_imprecise]


def test_hl7_vitals_together_with_the_panel() -> None:
    files = [
        "fhir-r4-observation-vital-signs-panel.json",
        "fhir-r4-observation-heart-rate.json",
        "fhir-r4-observation-blood-pressure.json",
        "fhir-r4-observation-respiratory-rate.json",
        "fhir-r4-observation-body-temperature.json",
    ]
    mapping = run([load(f) for f in files], patient_ref="example")
    vitals = dump(mapping)["vitals"]
    assert vitals == {
        "measured_at": "1999-07-03T12:00:00Z",  # "1999-07-02" ends then at UTC-12
        "heart_rate_bpm": 44,
        "systolic_bp_mmhg": 107,
        "diastolic_bp_mmhg": 60,
        "respiratory_rate_per_min": 26,
        "temperature_c": 36.5,
    }
    found = reasons(mapping)
    assert found["Observation/vitals-panel"] == {Reason.panel_not_used}
    # effectiveDateTime "1999-07-02" is a date: its latest instant dates the vitals (they
    # were left undated, so the rules took 27-year-old vitals as current), and it is reported.
    assert Reason.effective_time_imprecise in found["Observation/heart-rate"]
    bp_input = next(i for i in mapping.inputs if i.field == "/vitals/systolic_bp_mmhg")
    assert (bp_input.code, bp_input.source_value, bp_input.source_unit) == ("8480-6", 107, "mm[Hg]")


def test_hl7_lab_examples_are_reported_not_guessed() -> None:
    creatinine = load("fhir-r4-observation-lab-creatinine-local-code.json")  # local code
    mapping = run([creatinine], patient_ref="f201")
    assert "labs" not in dump(mapping)
    assert reasons(mapping) == {"Observation/f204": {Reason.unrecognised_code}}
    glucose = load("fhir-r4-observation-lab-glucose.json")  # LOINC, but not an input we use
    assert reasons(run([glucose], patient_ref="f001")) == {
        "Observation/f001": {Reason.unrecognised_code}
    }
    # ...and about another patient than the one asked for:
    assert reasons(run([glucose])) == {"Observation/f001": {Reason.subject_mismatch}}


def test_hl7_condition_example() -> None:
    mapping = run([load("fhir-r4-condition.json")], patient_ref="example")
    assert dump(mapping)["co_occurring_conditions"]["coded"] == [
        {"system": "snomedct", "code": "39065001", "display": "Burnt Ear"}
    ]


@pytest.mark.parametrize(
    ("status", "used"),
    [("active", True), ("recurrence", True), ("relapse", True), ("remission", False),
     ("resolved", False), ("inactive", False)],
)  # fmt: skip
def test_recurrence_and_relapse_are_active_conditions(status: str, used: bool) -> None:
    # FHIR R4 condition-clinical: recurrence and relapse are specialisations of active.
    condition = copy.deepcopy(load("fhir-r4-condition.json"))
    condition["clinicalStatus"]["coding"][0]["code"] = status
    mapping = run([condition], patient_ref="example")
    assert ("co_occurring_conditions" in dump(mapping)) is used
    assert (Reason.not_active in reasons(mapping).get("Condition/example", set())) is not used


def test_hl7_questionnaire_responses() -> None:
    gcs = load("fhir-r4-questionnaireresponse-glasgow-coma-score.json")
    mapping = run([gcs], patient_ref="example")
    assert reasons(mapping) == {"QuestionnaireResponse/gcs": {Reason.unrecognised_code}}
    assert "screening" not in dump(mapping)
    # Its subject is a contained Patient ("#patsub"): identity cannot be confirmed.
    generic = load("fhir-r4-questionnaireresponse.json")
    mapping = run([generic])
    assert reasons(mapping) == {"QuestionnaireResponse/3141": {Reason.subject_mismatch}}


# ---------------------------------------------------------------------------- Synthea bundle


def test_results_after_the_assessment_time_are_not_used() -> None:
    """Evaluating Synthea's chart as of 2019-06-01: its 2020 results did not exist then. They
    were used (vitals 'measured' a year after the assessment) and the 2019 ones reported as
    superseded."""
    resources = resources_from_bundle(load("synthea-r4-patient-bundle-tom-goodwin.json"))
    as_of = datetime(2019, 6, 1, tzinfo=UTC)
    mapping = assessment_from_fhir(resources, patient_ref=SYNTHEA_PATIENT, assessed_at=as_of)
    data = dump(mapping)
    assert data["vitals"]["measured_at"] == "2019-05-07T23:55:41Z"  # not the 2020 panel
    assert (data["vitals"]["systolic_bp_mmhg"], data["vitals"]["diastolic_bp_mmhg"]) == (107, 70)
    assert "labs" not in data  # its liver tests are all from 2020
    assert all(
        datetime.fromisoformat(i.effective) <= as_of
        for i in mapping.inputs
        if i.effective is not None and "T" in i.effective
    )
    later = [i for i in mapping.ignored if i.reason is Reason.after_assessment]
    assert later
    assert all(i.pointer == "/effective" for i in later)
    # A little clock difference between the EHR and this service is tolerated.
    heart = obs("hr-1", "8867-4", value=90, unit="/min", when="2026-01-10T12:03:00Z")
    assert dump(run([heart]))["vitals"]["heart_rate_bpm"] == 90
    late = obs("hr-2", "8867-4", value=90, unit="/min", when="2026-01-10T12:06:00Z")
    assert reasons(run([late]))["Observation/hr-2"] == {Reason.after_assessment}


def test_synthea_bundle() -> None:
    resources = resources_from_bundle(load("synthea-r4-patient-bundle-tom-goodwin.json"))
    mapping = run(resources, patient_ref=SYNTHEA_PATIENT)
    data = dump(mapping)
    assert data["patient"] == {
        "patient_ref": SYNTHEA_PATIENT,
        "birth_date": "1968-04-30",
        "sex_at_birth": "male",  # from the US Core birthsex extension, not Patient.gender
        "weight_kg": 86.78,  # the most recent of six weights
    }
    # BP panel coded 55284-4 (not 85354-9), most recent of six.
    assert data["vitals"] == {
        "measured_at": "2020-05-12T23:55:41Z",
        "systolic_bp_mmhg": 127,
        "diastolic_bp_mmhg": 72,
    }
    assert data["labs"]["alt_u_per_l"] == pytest.approx(23.278)
    assert set(data["labs"]) == {
        "collected_at",
        "alt_u_per_l",
        "ast_u_per_l",
        "alp_u_per_l",
        "total_bilirubin_mg_per_dl",
    }
    assert [c["code"] for c in data["co_occurring_conditions"]["coded"]] == [
        "162864005",
        "15777000",
        "271737000",
        "55822004",
    ]
    assert data["use_history"]["current_medications"] == [
        {"name": "Simvistatin 10 MG", "rxnorm_code": "316672", "classes": []}
    ]
    by_reason: dict[Reason, list[str]] = {}
    for issue in [*mapping.unsupported, *mapping.ignored]:
        by_reason.setdefault(issue.reason, []).append(issue.detail)
    assert len(by_reason[Reason.uln_missing]) == 4  # Synthea sends no reference ranges
    assert by_reason[Reason.unit_not_supported] == ["33914-3: UCUM unit 'mL/min' not supported"]
    assert by_reason[Reason.medication_class_unknown] == ["RxNorm 316672 is not in the class table"]
    assert len(by_reason[Reason.superseded]) == 10
    assert "Claim is not read" in by_reason[Reason.resource_type_not_used]
    assert f"Patient/{SYNTHEA_PATIENT}" in mapping.used
    # Whole-blood potassium and creatinine are not serum values: reported, not mapped.
    assert any("6298-4" in d for d in by_reason[Reason.unrecognised_code])


# ---------------------------------------------------------------------------- CDS Hooks


def test_cds_hooks_patient_view_prefetch() -> None:
    request = load("cds-hooks-patient-view-request.json")
    resources = resources_from_prefetch(request["prefetch"])
    mapping = run(resources, patient_ref=request["context"]["patientId"])
    assert dump(mapping)["patient"] == {"patient_ref": "1288992", "birth_date": "1925-12-23"}
    assert reasons(mapping) == {"Patient/1288992": {Reason.administrative_gender_not_used}}


def test_cds_hooks_prefetch_with_snipped_placeholders_is_reported_invalid() -> None:
    resources = resources_from_prefetch(load("cds-hooks-prefetch-data-example.json")["prefetch"])
    assert [r["resourceType"] for r in resources] == ["Patient", "Observation"]  # "user" skipped
    mapping = run(resources)
    assert {i.reason for i in mapping.unsupported} == {Reason.invalid_resource}
    assert mapping.used == []


def test_order_sign_draft_orders_are_not_current_medications() -> None:
    context = load("cds-hooks-order-sign-context-r4.json")["context"]
    resources = resources_from_bundle(context["draftOrders"])
    mapping = run(resources, patient_ref=context["patientId"])
    assert "use_history" not in dump(mapping)
    kinds = {ref.split("/")[0]: r for ref, r in reasons(mapping).items()}
    # The published example puts doseQuantity directly in Dosage (the STU3 shape); R4 moved
    # it to Dosage.doseAndRate, so R4B validation reports it.
    assert kinds["MedicationRequest"] == {Reason.invalid_resource}
    assert kinds["NutritionOrder"] == {Reason.resource_type_not_used}
    unvalidated = assessment_from_fhir(
        resources, patient_ref=context["patientId"], assessed_at=NOW, validate=False
    )
    kinds = {ref.split("/")[0]: r for ref, r in reasons(unvalidated).items()}
    assert kinds["MedicationRequest"] == {Reason.not_active}  # status "draft"


def test_prefetch_nulls_bundles_and_duplicates() -> None:
    hr = obs("hr-1", "8867-4", value=112, unit="/min")
    prefetch = {
        "patient": {"resourceType": "Patient", "id": PT, "birthDate": "1990-04-02"},
        "vitals": {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": hr}]},
        "again": {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": hr}]},
        "conditions": None,
        "user": "123",
    }
    resources = resources_from_prefetch(prefetch)
    assert [r["id"] for r in resources] == [PT, "hr-1"]
    assert dump(run(resources))["vitals"] == {
        "measured_at": "2026-01-10T09:00:00Z",
        "heart_rate_bpm": 112,
    }
    assert resources_from_prefetch(None) == []
    with pytest.raises(ValueError, match="not a Bundle"):
        resources_from_bundle({"resourceType": "Patient"})


# ---------------------------------------------------------------------------- units


@pytest.mark.parametrize(
    ("code", "value", "unit", "field", "expected"),
    [
        ("8310-5", 98.6, "[degF]", "temperature_c", 37.0),
        ("8310-5", 104, "[degF]", "temperature_c", 40.0),
        ("29463-7", 72500, "g", "weight_kg", 72.5),
        ("29463-7", 160, "[lb_av]", "weight_kg", 72.57),
        ("8867-4", 71.5, "{beats}/min", "heart_rate_bpm", 72),
        ("59408-5", 96.4, "%", "spo2_percent", 96),
    ],
)
def test_unit_conversion(code: str, value: float, unit: str, field: str, expected: float) -> None:
    data = dump(run([obs("o1", code, value=value, unit=unit)]))
    group = "patient" if field == "weight_kg" else "vitals"
    assert data[group][field] == expected


@pytest.mark.parametrize(
    ("code", "value", "unit", "field", "expected"),
    [
        ("2601-3", 0.85, "mmol/L", "magnesium_mmol_per_l", 0.85),
        ("19123-9", 2.0, "mg/dL", "magnesium_mmol_per_l", 0.823),  # 2.0 x 10 / 24.305
        ("19123-9", 2.0, "mg/dl", "magnesium_mmol_per_l", 0.823),  # UCUM: l is also litre
        ("2601-3", 1.7, "meq/L", "magnesium_mmol_per_l", 0.85),
        ("2823-3", 4.1, "meq/L", "potassium_mmol_per_l", 4.1),
        ("2160-0", 88.42, "umol/L", "creatinine_mg_per_dl", 1.0),
        ("14682-9", 0.9, "mg/dL", "creatinine_mg_per_dl", 0.9),
        ("62238-1", 96, "mL/min/{1.73_m2}", "egfr_ml_min_1_73m2", 96),
        ("98979-8", 61, "mL/min/1.73m2", "egfr_ml_min_1_73m2", 61),
        ("8636-3", 0.452, "s", "qtc_ms", 452),
        ("6301-6", 1.1, "{INR}", "inr", 1.1),
        ("34714-6", 2.5, "1", "inr", 2.5),
    ],
)
def test_lab_units(code: str, value: float, unit: str, field: str, expected: float) -> None:
    mapping = run([obs("lab", code, value=value, unit=unit)])
    assert dump(mapping)["labs"][field] == pytest.approx(expected)
    assert mapping.unsupported == []


def test_inr_without_a_unit_is_a_ratio() -> None:
    resource = obs("inr", "6301-6", valueQuantity={"value": 1.3})
    assert dump(run([resource]))["labs"]["inr"] == 1.3


@pytest.mark.parametrize(
    ("resource", "detail"),
    [
        (obs("t", "8310-5", value=310, unit="K"), "8310-5: UCUM unit 'K' not supported"),
        (
            obs("t", "8867-4", valueQuantity={"value": 80, "unit": "bpm"}),
            "8867-4: unit 'bpm' is not a UCUM code",
        ),
        (
            obs(
                "t", "2823-3", valueQuantity={"value": 4, "system": "http://acme", "code": "mmol/L"}
            ),
            "2823-3: unit 'mmol/L' is not a UCUM code",
        ),
        (obs("t", "33914-3", value=72, unit="mL/min"), "33914-3: UCUM unit 'mL/min' not supported"),
        (obs("t", "19123-9", value=2, unit="mg"), "19123-9: UCUM unit 'mg' not supported"),
    ],
)
def test_unknown_units_are_reported(resource: dict[str, Any], detail: str) -> None:
    mapping = run([resource])
    assert [(i.reason, i.detail, i.pointer) for i in mapping.unsupported] == [
        (Reason.unit_not_supported, detail, "/valueQuantity")
    ]
    assert mapping.used == []
    assert "vitals" not in dump(mapping)
    assert "labs" not in dump(mapping)


@pytest.mark.parametrize(
    ("code", "value", "unit", "comparator"),
    [
        ("62238-1", 60, "mL/min/{1.73_m2}", ">"),  # eGFR ">60": lofexidine's renal cut-off
        ("1742-6", 1000, "U/L", ">"),  # ALT above the analyser's range
        ("2823-3", 2.5, "mmol/L", "<"),  # potassium below it
        ("8867-4", 40, "/min", "<="),
    ],
)
def test_a_bound_is_not_read_as_a_measurement(
    code: str, value: float, unit: str, comparator: str
) -> None:
    # FHIR R4 Quantity.comparator: "<" means the real value is less than the stated one.
    quantity = {"value": value, "system": UCUM, "code": unit, "comparator": comparator}
    mapping = run([obs("lab", code, valueQuantity=quantity)])
    assert [(i.reason, i.pointer) for i in mapping.unsupported] == [
        (Reason.value_not_exact, "/valueQuantity/comparator")
    ]
    assert "labs" not in dump(mapping)
    assert "vitals" not in dump(mapping)
    exact = run([obs("lab", code, value=value, unit=unit)])
    assert Reason.value_not_exact not in {i.reason for i in exact.unsupported}


def test_missing_value_is_reported() -> None:
    mapping = run([obs("hr", "8867-4", valueString="fast")])
    assert [i.reason for i in mapping.unsupported] == [Reason.value_missing]


# ---------------------------------------------------------------------------- reference ranges


def test_reference_range_high_is_the_uln() -> None:
    resources = [
        obs("alt", "1742-6", value=120, unit="U/L", referenceRange=high(40, "U/L")),
        obs("ast", "1920-8", value=2, unit="ukat/L", referenceRange=high(0.6)),  # range unitless
        obs("bili", "1975-2", value=34.2, unit="umol/L", referenceRange=high(20.5, "umol/L")),
        obs("alp", "6768-6", value=96, unit="U/L"),  # no range
    ]
    mapping = run(resources)
    labs = dump(mapping)["labs"]
    assert labs["alt_u_per_l"] == 120
    assert labs["alt_uln_u_per_l"] == 40
    assert labs["ast_u_per_l"] == 120  # 2 ukat/L x 60
    assert labs["ast_uln_u_per_l"] == 36
    assert labs["total_bilirubin_mg_per_dl"] == pytest.approx(2.0)
    assert labs["total_bilirubin_uln_mg_per_dl"] == pytest.approx(1.199)
    assert labs["alp_u_per_l"] == 96
    assert "alp_uln_u_per_l" not in labs
    assert [(i.ref, i.reason) for i in mapping.unsupported] == [
        ("Observation/alp", Reason.uln_missing)
    ]


def test_age_specific_or_non_normal_ranges_are_not_a_uln() -> None:
    ranges = [
        {"high": {"value": 50}, "appliesTo": [{"text": "pregnant"}]},
        {"high": {"value": 300}, "type": {"coding": [{"system": MEANING, "code": "treatment"}]}},
    ]
    mapping = run([obs("alt", "1742-6", value=30, unit="U/L", referenceRange=ranges)])
    assert "alt_uln_u_per_l" not in dump(mapping)["labs"]
    assert [i.reason for i in mapping.unsupported] == [Reason.uln_missing]


# ---------------------------------------------------------------------------- status and recency


@pytest.mark.parametrize("status", ["entered-in-error", "preliminary", "cancelled", "registered"])
def test_unusable_observation_status_is_ignored(status: str) -> None:
    mapping = run([obs("hr", "8867-4", value=80, unit="/min", status=status)])
    assert "vitals" not in dump(mapping)
    assert [(i.reason, i.pointer) for i in mapping.ignored] == [
        (Reason.status_not_usable, "/status")
    ]


def test_entered_in_error_does_not_hide_a_valid_result() -> None:
    resources = [
        obs("old", "8867-4", value=80, unit="/min", when="2026-01-10T08:00:00Z"),
        obs("err", "8867-4", value=150, unit="/min", status="entered-in-error"),
    ]
    assert dump(run(resources))["vitals"]["heart_rate_bpm"] == 80


def test_most_recent_wins_and_older_are_superseded() -> None:
    resources = [
        obs("hr-old", "8867-4", value=70, unit="/min", when="2026-01-09T09:00:00Z"),
        obs("hr-new", "8867-4", value=110, unit="/min", when="2026-01-10T08:00:00+01:00"),
        obs("hr-mid", "8867-4", value=90, unit="/min", when="2026-01-09T23:00:00Z"),
    ]
    mapping = run(resources)
    assert dump(mapping)["vitals"] == {"measured_at": "2026-01-10T07:00:00Z", "heart_rate_bpm": 110}
    assert {i.ref for i in mapping.ignored if i.reason is Reason.superseded} == {
        "Observation/hr-old",
        "Observation/hr-mid",
    }


def test_unusable_most_recent_result_is_not_replaced_by_an_older_one() -> None:
    resources = [
        obs("t-old", "8310-5", value=37.0, unit="Cel", when="2026-01-09T09:00:00Z"),
        obs("t-new", "8310-5", value=310, unit="K", when="2026-01-10T09:00:00Z"),
    ]
    mapping = run(resources)
    assert "vitals" not in dump(mapping)
    assert reasons(mapping) == {
        "Observation/t-old": {Reason.superseded},
        "Observation/t-new": {Reason.unit_not_supported},
    }


def test_group_time_is_the_oldest_result_used() -> None:
    resources = [
        obs("hr", "8867-4", value=80, unit="/min", when="2026-01-10T09:00:00Z"),
        obs("rr", "9279-1", value=16, unit="/min", when="2026-01-10T07:30:00Z"),
    ]
    assert dump(run(resources))["vitals"]["measured_at"] == "2026-01-10T07:30:00Z"


# ---------------------------------------------------------------------------- partial dates


@pytest.mark.parametrize(
    ("when", "measured_at"),
    [
        # The end of that day, month or year at UTC-12: the latest instant the date can mean,
        # so the age used is the youngest it can be (a stale value never looks older).
        ("2019-03-01", "2019-03-02T12:00:00Z"),
        ("2019-03", "2019-04-01T12:00:00Z"),
        ("2019-12", "2020-01-01T12:00:00Z"),
        ("2020-02", "2020-03-01T12:00:00Z"),
        ("2019", "2020-01-01T12:00:00Z"),
    ],
)
def test_a_date_without_a_time_dates_the_vitals_at_its_latest_instant(
    when: str, measured_at: str
) -> None:
    """A date-only effectiveDateTime (a valid FHIR dateTime) was dropped: the vitals had no
    measured_at and were taken as current by the rules (VS-06 never warned)."""
    mapping = run([obs("hr", "8867-4", value=80, unit="/min", when=when)])
    assert dump(mapping)["vitals"] == {"measured_at": measured_at, "heart_rate_bpm": 80}
    (issue,) = mapping.unsupported
    assert (issue.ref, issue.reason) == ("Observation/hr", Reason.effective_time_imprecise)
    assert "latest" in issue.detail


def test_one_date_only_vital_does_not_blank_the_others_times() -> None:
    resources = [
        obs("hr", "8867-4", value=80, unit="/min", when="2026-01-10T09:00:00Z"),
        obs("rr", "9279-1", value=16, unit="/min", when="2025-12-01"),
    ]
    vitals = dump(run(resources))["vitals"]
    assert vitals["measured_at"] == "2025-12-02T12:00:00Z"  # the oldest, at its latest
    # ...and the date-only one is not the oldest when a full time is older still.
    resources[1]["effectiveDateTime"] = "2026-01-10"
    resources[0]["effectiveDateTime"] = "2026-01-09T20:00:00-05:00"
    assert dump(run(resources))["vitals"]["measured_at"] == "2026-01-10T01:00:00Z"


@pytest.mark.parametrize("when", ["2026-01-10", "2026-01", "2026", "2026-01-11"])
def test_a_date_only_vital_of_today_is_current_not_in_the_future(when: str) -> None:
    """Its latest instant is after the assessment: it is counted as of the assessment (age 0),
    never as dated after it. 2026-01-11 is already 'today' at UTC+14 when NOW is 12:00Z."""
    mapping = run([obs("hr", "8867-4", value=80, unit="/min", when=when)])
    assert dump(mapping)["vitals"]["measured_at"] == "2026-01-10T12:00:00Z"  # NOW
    assert Reason.after_assessment not in reasons(mapping)["Observation/hr"]


def test_a_date_that_began_after_the_assessment_everywhere_is_not_used() -> None:
    """2026-01-11 begins at 2026-01-10T10:00Z at UTC+14: before then it existed nowhere."""
    heart = obs("hr", "8867-4", value=80, unit="/min", when="2026-01-11")
    early = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
    mapping = assessment_from_fhir([heart], patient_ref=PT, assessed_at=early)
    assert "vitals" not in dump(mapping)
    assert reasons(mapping) == {"Observation/hr": {Reason.after_assessment}}


def test_newest_value_with_full_and_partial_times_mixed() -> None:
    """Order by the period's start: a full time within a date-only value's day is the
    precise, newer reading; a later date beats an earlier full time."""
    same_day = [
        obs("hr-date", "8867-4", value=70, unit="/min", when="2026-01-09"),
        obs("hr-full", "8867-4", value=90, unit="/min", when="2026-01-09T18:00:00Z"),
    ]
    mapping = run(same_day)
    assert dump(mapping)["vitals"] == {"measured_at": "2026-01-09T18:00:00Z", "heart_rate_bpm": 90}
    assert reasons(mapping) == {"Observation/hr-date": {Reason.superseded}}
    later_date = [
        obs("hr-full", "8867-4", value=90, unit="/min", when="2026-01-07T18:00:00Z"),
        obs("hr-date", "8867-4", value=70, unit="/min", when="2026-01-08"),
    ]
    mapping = run(later_date)
    assert dump(mapping)["vitals"] == {"measured_at": "2026-01-09T12:00:00Z", "heart_rate_bpm": 70}
    assert Reason.superseded in reasons(mapping)["Observation/hr-full"]


def test_labs_and_scales_dated_without_a_time_keep_their_time_too() -> None:
    qtc = obs("qtc", "8636-3", value=470, unit="ms", when="2025-06")
    assert dump(run([qtc]))["labs"]["collected_at"] == "2025-07-01T12:00:00Z"


# ---------------------------------------------------------------------------- vitals details


def test_bp_panel_and_lone_components() -> None:
    def comp(code: str, value: float) -> dict[str, Any]:
        return {
            "code": {"coding": [{"system": LOINC, "code": code}]},
            "valueQuantity": {"value": value, "system": UCUM, "code": "mm[Hg]"},
        }

    panel = obs("bp", "85354-9", component=[comp("8480-6", 148), comp("8462-4", 94)])
    lone = obs("sys", "8480-6", value=150, unit="mm[Hg]")
    mapping = run([panel, lone])
    vitals = dump(mapping)["vitals"]
    assert (vitals["systolic_bp_mmhg"], vitals["diastolic_bp_mmhg"]) == (148, 94)
    assert reasons(mapping) == {"Observation/sys": {Reason.bp_outside_panel}}


def test_supplemental_oxygen_from_pulse_oximetry_components() -> None:
    flow = {
        "code": {"coding": [{"system": LOINC, "code": "3151-8"}]},
        "valueQuantity": {"value": 2, "system": UCUM, "code": "L/min"},
    }
    spo2 = obs("ox", "59408-5", value=94, unit="%", component=[flow])
    vitals = dump(run([spo2]))["vitals"]
    assert (vitals["spo2_percent"], vitals["on_supplemental_oxygen"]) == (94, True)


def test_implausible_values_are_dropped_with_their_resource_only() -> None:
    def comp(code: str, value: float) -> dict[str, Any]:
        return {
            "code": {"coding": [{"system": LOINC, "code": code}]},
            "valueQuantity": {"value": value, "system": UCUM, "code": "mm[Hg]"},
        }

    resources = [
        obs("hr", "8867-4", value=400, unit="/min"),
        obs("bp", "85354-9", component=[comp("8480-6", 90), comp("8462-4", 95)]),
        obs("rr", "9279-1", value=18, unit="/min"),
    ]
    mapping = run(resources)
    assert dump(mapping)["vitals"] == {
        "measured_at": "2026-01-10T09:00:00Z",
        "respiratory_rate_per_min": 18,
    }
    assert {(i.ref, i.reason) for i in mapping.unsupported} == {
        ("Observation/hr", Reason.implausible_value),
        ("Observation/bp", Reason.implausible_value),  # diastolic >= systolic: both dropped
    }
    assert mapping.used == ["Observation/rr"]
    assert [i.field for i in mapping.inputs] == ["/vitals/respiratory_rate_per_min"]


# ---------------------------------------------------------------------------- patient


def test_patient_birthsex_extension_and_partial_birth_date() -> None:
    patient = {
        "resourceType": "Patient",
        "id": PT,
        "gender": "female",
        "birthDate": "1990-04",
        "extension": [
            {
                "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex",
                "valueCode": "F",
            }
        ],
    }
    mapping = run([patient])
    assert dump(mapping)["patient"] == {"patient_ref": PT, "sex_at_birth": "female"}
    assert reasons(mapping) == {f"Patient/{PT}": {Reason.partial_date}}


def test_administrative_gender_is_not_sex_at_birth() -> None:
    mapping = run([{"resourceType": "Patient", "id": PT, "gender": "male"}])
    assert "sex_at_birth" not in dump(mapping)["patient"]
    assert [(i.reason, i.pointer) for i in mapping.ignored] == [
        (Reason.administrative_gender_not_used, "/gender")
    ]


def test_other_patients_and_their_data_are_ignored() -> None:
    resources = [
        {"resourceType": "Patient", "id": "someone-else", "birthDate": "1950-01-01"},
        obs("hr", "8867-4", value=80, unit="/min", subject="Patient/someone-else"),
        obs("rr", "9279-1", value=16, unit="/min", subject=f"urn:uuid:{PT}"),
        obs("t", "8310-5", value=37, unit="Cel", subject=f"Group/{PT}"),
    ]
    mapping = run(resources)
    assert dump(mapping)["patient"] == {"patient_ref": PT}
    assert dump(mapping)["vitals"]["respiratory_rate_per_min"] == 16
    assert {i.ref for i in mapping.ignored if i.reason is Reason.subject_mismatch} == {
        "Patient/someone-else",
        "Observation/hr",
        "Observation/t",
    }


def test_pregnancy_status_and_test() -> None:
    resources = [
        qualitative("ps", "82810-3", "60001007"),
        qualitative("hcg", "2106-3", "260385009"),
    ]
    data = dump(run(resources))
    assert data["patient"]["pregnancy_status"] == "not_pregnant"
    assert data["labs"]["pregnancy_test"] == "negative"


# ---------------------------------------------------------------------------- urine drug screen


def test_urine_drug_screen() -> None:
    v3 = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
    resources = [
        qualitative("opi", "19295-5", "260385009"),  # Negative
        obs("fen", "59673-4", valueString="Positive"),
        qualitative("bup", "93494-3", "10828004"),
        obs(
            "coc",
            "19359-9",
            value=320,
            unit="ng/mL",
            interpretation=[{"coding": [{"system": v3, "code": "POS"}]}],
        ),
        obs("thc", "18282-4", value=12, unit="ng/mL"),  # no cut-off, no flag
    ]
    mapping = run(resources)
    uds = dump(mapping)["urine_drug_screen"]
    assert uds == {
        "collected_at": "2026-01-10T09:00:00Z",
        "opiates": "negative",
        "fentanyl": "positive",
        "buprenorphine": "positive",
        "cocaine": "positive",
        "prescribed_analytes": [],
    }
    assert reasons(mapping) == {"Observation/thc": {Reason.result_not_interpretable}}


def test_mitragynine_confirmation_outranks_screen() -> None:
    screen = qualitative("scr", "75649-4", "260385009")
    confirmation = qualitative("lcms", "72732-1", "10828004")
    uds = dump(run([confirmation, screen]))["urine_drug_screen"]
    assert (uds["mitragynine"], uds["mitragynine_method"]) == ("positive", "lc_ms_ms")
    only_screen = dump(run([screen]))["urine_drug_screen"]
    assert (only_screen["mitragynine"], only_screen["mitragynine_method"]) == (
        "negative",
        "immunoassay",
    )


# ---------------------------------------------------------------------------- conditions


def condition(
    cid: str, system: str, code: str, clinical: str = "active", **extra: Any
) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": cid,
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": clinical,
                }
            ]
        },
        "code": {"coding": [{"system": system, "code": code, "display": f"dx {code}"}]},
        "subject": {"reference": f"Patient/{PT}"},
        **extra,
    }


def test_a_pulse_characteristic_is_not_a_qtc() -> None:
    """LOINC 44974-4 is a pulse characteristic (rhythm/quality), not a QTc: it once shared the
    QTc slot, so a later 'regular pulse' superseded a QTc of 520 ms and hid it."""
    qtc = obs("qtc", "8636-3", value=520, unit="ms", when="2026-01-10T08:00:00Z")
    pulse = obs(
        "pulse",
        "44974-4",
        when="2026-01-10T10:00:00Z",
        valueCodeableConcept={"coding": [{"system": SNOMED, "code": "271636001"}]},
    )
    mapping = run([qtc, pulse])
    assert dump(mapping)["labs"]["qtc_ms"] == 520
    assert reasons(mapping) == {"Observation/pulse": {Reason.unrecognised_code}}


def test_results_about_someone_else_are_not_this_patients() -> None:
    """A result whose focus is another person (a fetus, a donor), or whose subject is named
    only by an identifier, cannot be this patient's heart rate."""
    fetal = obs("fetal", "8867-4", value=150, unit="/min", focus=[{"reference": "Patient/fetus"}])
    by_mrn = obs("mrn", "8867-4", value=120, unit="/min")
    by_mrn["subject"] = {"identifier": {"system": "urn:mrn", "value": "OTHER"}}
    own = obs("own", "8867-4", value=80, unit="/min", focus=[{"reference": f"Patient/{PT}"}])
    mapping = run([fetal, by_mrn, own])
    assert dump(mapping)["vitals"]["heart_rate_bpm"] == 80
    assert reasons(mapping) == {
        "Observation/fetal": {Reason.subject_mismatch},
        "Observation/mrn": {Reason.subject_mismatch},
    }


def test_an_undated_result_is_not_called_older() -> None:
    """Without effective[x] a result's time is unknown: the dated one is used, and the undated
    one is reported as such, not as 'superseded by a more recent result'."""
    undated = obs("hr-undated", "8867-4", value=60, unit="/min")
    del undated["effectiveDateTime"]
    dated = obs("hr-dated", "8867-4", value=100, unit="/min", when="2026-01-09T08:00:00Z")
    mapping = run([undated, dated])
    assert dump(mapping)["vitals"]["heart_rate_bpm"] == 100
    assert reasons(mapping) == {"Observation/hr-undated": {Reason.effective_time_imprecise}}


def test_modifiers_are_not_ignored() -> None:
    """R4 modifier elements change the meaning: an order not to give methadone is not a
    current medication, and a modifierExtension that is not understood is not read past."""
    methadone = {
        "resourceType": "MedicationRequest",
        "id": "dnp",
        "status": "active",
        "intent": "order",
        "doNotPerform": True,
        "subject": {"reference": f"Patient/{PT}"},
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "6813"}]},
    }
    modified = obs(
        "mod",
        "8867-4",
        value=40,
        unit="/min",
        modifierExtension=[{"url": "https://ehr.example.org/not-measured", "valueBoolean": True}],
    )
    mapping = run([methadone, modified])
    assert "use_history" not in dump(mapping)
    assert "vitals" not in dump(mapping)
    assert reasons(mapping) == {
        "MedicationRequest/dnp": {Reason.not_active},
        "Observation/mod": {Reason.modifier_extension},
    }


def test_a_problem_list_reaches_the_medication_safety_checks() -> None:
    """No medical history is recorded through FHIR, but the chart's coded long QT syndrome and
    CKD answer the lofexidine avoid-list questions: avoid, not 'history not recorded'."""
    icd = "http://hl7.org/fhir/sid/icd-10-cm"
    mapping = run([condition("c1", icd, "I45.81"), condition("c2", SNOMED, "709044004")])
    assert "medical_history" not in dump(mapping)
    evaluation = evaluate(mapping.assessment, as_of=NOW)
    lofexidine = next(
        r for p in evaluation.phases for r in p.recommendations if r.code == "lofexidine"
    )
    assert lofexidine.status == "avoid"
    assert {"LOF-03", "LOF-05"} <= set(lofexidine.rule_ids)


def test_conditions() -> None:
    icd = "http://hl7.org/fhir/sid/icd-10-cm"
    error = {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                "code": "entered-in-error",
            }
        ]
    }
    resources = [
        condition("dep", icd, "F32.1"),
        condition("gad", SNOMED, "21897009"),
        condition("old", icd, "F41.1", clinical="resolved"),
        condition("err", icd, "F11.20", verificationStatus=error),
        condition("bad", icd, "not-a-code"),
        condition("loc", "http://acme.org/dx", "123"),
        condition("dup", icd, "F32.1"),
    ]
    mapping = run(resources)
    assert dump(mapping)["co_occurring_conditions"]["coded"] == [
        {"system": "icd10cm", "code": "F32.1", "display": "dx F32.1"},
        {"system": "snomedct", "code": "21897009", "display": "dx 21897009"},
    ]
    found = reasons(mapping)
    assert found["Condition/old"] == {Reason.not_active}
    assert found["Condition/err"] == {Reason.status_not_usable}
    assert found["Condition/bad"] == {Reason.unrecognised_code}
    assert found["Condition/loc"] == {Reason.unrecognised_code}
    assert found["Condition/dup"] == {Reason.duplicate}  # every unused resource is reported


# ---------------------------------------------------------------------------- medications


def methadone_statement(**extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "MedicationStatement",
        "id": "ms",
        "status": "active",
        "subject": {"reference": f"Patient/{PT}"},
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": "6813", "display": "methadone"}]
        },
        **extra,
    }


def test_medications_and_the_rxnorm_class_table() -> None:
    rxnorm = "http://www.nlm.nih.gov/research/umls/rxnorm"
    statement = methadone_statement(id="ms-1")
    stopped = {**statement, "id": "ms-2", "status": "stopped"}
    request = {
        "resourceType": "MedicationRequest",
        "id": "mr-1",
        "status": "active",
        "intent": "order",
        "subject": {"reference": f"Patient/{PT}"},
        "contained": [
            {
                "resourceType": "Medication",
                "id": "med",
                "code": {"coding": [{"system": rxnorm, "code": "1819"}], "text": "buprenorphine"},
            }
        ],
        "medicationReference": {"reference": "#med"},
    }
    unknown = {
        **request,
        "id": "mr-2",
        "contained": [],
        "medicationReference": {"reference": "Medication/m9"},
    }
    medication = {
        "resourceType": "Medication",
        "id": "m9",
        "code": {"coding": [{"system": rxnorm, "code": "1049221", "display": "Oxycodone 5 MG"}]},
    }
    # A product-level code (SCD 1049221) is not in the ingredient table: the ingredient is
    # recognised by name; a drug known neither way is listed without classes and reported.
    unnamed = {
        **statement,
        "id": "ms-3",
        "medicationCodeableConcept": {"coding": [{"system": rxnorm, "code": "999999"}],
                                      "text": "Acmeprofen 10 MG"},
    }  # fmt: skip
    mapping = run([statement, stopped, request, unknown, medication, unnamed])
    assert dump(mapping)["use_history"]["current_medications"] == [
        {"name": "methadone", "rxnorm_code": "6813", "classes": ["methadone", "qt_prolonging"]},
        {"name": "buprenorphine", "rxnorm_code": "1819", "classes": ["buprenorphine"]},
        {"name": "Oxycodone 5 MG", "rxnorm_code": "1049221", "classes": ["opioid_agonist"]},
        {"name": "Acmeprofen 10 MG", "rxnorm_code": "999999", "classes": []},
    ]
    found = reasons(mapping)
    assert found["MedicationStatement/ms-2"] == {Reason.not_active}
    assert "MedicationRequest/mr-2" not in found
    assert found["MedicationStatement/ms-3"] == {Reason.medication_class_unknown}


def _oxycodone_request(reference: dict[str, Any], rid: str = "rx-1") -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": "active",
        "intent": "order",
        "subject": {"reference": f"Patient/{PT}"},
        "medicationReference": reference,
    }


def test_a_medication_reference_without_the_medication_is_read_by_its_display() -> None:
    """R4 medication[x] may be a Reference whose display is the only text sent; the opioid
    was reported medication_not_identified (and naltrexone was not checked against it)."""
    request = _oxycodone_request(
        {"reference": "Medication/abc", "display": "oxycodone hydrochloride 5 MG Oral Tablet"}
    )
    mapping = run([request])
    assert dump(mapping)["use_history"]["current_medications"] == [
        {"name": "oxycodone hydrochloride 5 MG Oral Tablet", "classes": ["opioid_agonist"]}
    ]
    assert "MedicationRequest/rx-1" not in reasons(mapping)
    # Neither a Medication nor a display: still reported, never guessed.
    bare = run([_oxycodone_request({"reference": "Medication/abc"})])
    assert reasons(bare)["MedicationRequest/rx-1"] == {Reason.medication_not_identified}


def test_medications_included_by_the_medication_searches_are_read() -> None:
    """`_include=...:medication` adds the Medication to both medication searches (as an
    entry with its own fullUrl, kept once); each reference resolves to it."""
    url = "https://ehr.example.org/fhir/Medication/abc"

    def search(resource: dict[str, Any]) -> dict[str, Any]:
        medication = {
            "resourceType": "Medication",
            "id": "abc",
            "code": {"coding": [{"system": RXNORM, "code": "7804", "display": "oxycodone"}]},
        }
        return {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [
                {"fullUrl": f"https://ehr.example.org/fhir/{resource['resourceType']}/x",
                 "resource": resource, "search": {"mode": "match"}},
                {"fullUrl": url, "resource": medication, "search": {"mode": "include"}},
            ],
        }  # fmt: skip

    statement = {
        "resourceType": "MedicationStatement",
        "id": "ms-1",
        "status": "active",
        "subject": {"reference": f"Patient/{PT}"},
        "medicationReference": {"reference": "Medication/abc"},
    }
    prefetch = {
        "medicationRequests": search(_oxycodone_request({"reference": url})),
        "medicationStatements": search(statement),
    }
    mapping = assessment_from_fhir(
        resources_from_prefetch(prefetch),
        patient_ref=PT,
        assessed_at=NOW,
        aliases=reference_aliases(prefetch.values()),
    )
    assert dump(mapping)["use_history"]["current_medications"] == [
        {"name": "oxycodone", "rxnorm_code": "7804", "classes": ["opioid_agonist"]}
    ]
    # the statement names the same drug as the request: kept once, and said so
    assert reasons(mapping) == {"MedicationStatement/ms-1": {Reason.duplicate}}


def test_a_medication_code_without_text_is_named_by_the_reference_display() -> None:
    medication = {
        "resourceType": "Medication",
        "id": "abc",
        "code": {"coding": [{"system": RXNORM, "code": "1049621"}]},  # a product, no name
    }
    reference = {"reference": "Medication/abc", "display": "Oxycodone HCl 5 MG Oral Tablet"}
    mapping = run([_oxycodone_request(reference), medication])
    assert dump(mapping)["use_history"]["current_medications"] == [
        {
            "name": "Oxycodone HCl 5 MG Oral Tablet",
            "rxnorm_code": "1049621",
            "classes": ["opioid_agonist"],
        }
    ]


# ---------------------------------------------------------------------------- instruments


def qr(
    url: str, answers: dict[str, dict[str, Any]], qid: str = "qr-1", **extra: Any
) -> dict[str, Any]:
    return {
        "resourceType": "QuestionnaireResponse",
        "id": qid,
        "questionnaire": url,
        "status": "completed",
        "subject": {"reference": f"Patient/{PT}"},
        "authored": "2026-01-10T08:00:00Z",
        "item": [{"linkId": k, "answer": [v]} for k, v in answers.items()],
        **extra,
    }


PHQ9_ITEMS = [
    "44250-9",
    "44255-8",
    "44259-0",
    "44254-1",
    "44251-7",
    "44258-2",
    "44252-5",
    "44253-3",
    "44260-8",
]
LA = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]


def test_phq9_questionnaire_response_with_loinc_answers() -> None:
    scores = [2, 2, 1, 2, 1, 1, 1, 0, 1]
    answers = {
        f"/{code}": {"valueCoding": {"system": LOINC, "code": LA[s]}}
        for code, s in zip(PHQ9_ITEMS, scores, strict=True)
    }
    answers["/44261-6"] = {"valueInteger": 11}
    mapping = run([qr("http://loinc.org/q/44249-1|2.72", answers)])
    assert dump(mapping)["screening"]["phq9"] == {"items": scores, "total": 11}
    assert mapping.used == ["QuestionnaireResponse/qr-1"]


def test_phq9_inconsistent_total_is_dropped() -> None:
    answers = {code: {"valueInteger": 1} for code in PHQ9_ITEMS} | {"44261-6": {"valueInteger": 20}}
    mapping = run([qr("http://loinc.org/q/44249-1", answers)])
    assert "screening" not in dump(mapping)
    assert [i.reason for i in mapping.unsupported] == [Reason.implausible_value]


def test_gad7_ordinal_values_and_unscorable_answers() -> None:
    codes = ["69725-0", "68509-3", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"]
    ordinal = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
    answers = {
        c: {
            "valueCoding": {
                "system": LOINC,
                "code": "LA-x",
                "extension": [{"url": ordinal, "valueDecimal": 2}],
            }
        }
        for c in codes
    }
    assert dump(run([qr("http://loinc.org/q/69737-5", answers)]))["screening"]["gad7"] == {
        "items": [2] * 7
    }
    answers[codes[0]] = {"valueCoding": {"system": LOINC, "code": "LA-unknown"}}
    mapping = run([qr("http://loinc.org/q/69737-5", answers)])
    assert "screening" not in dump(mapping)
    assert {i.reason for i in mapping.unsupported} == {
        Reason.answer_score_unknown,
        Reason.instrument_incomplete,
    }


def test_totals_as_observations_and_phq9_item9() -> None:
    resources = [
        obs("phq-total", "44261-6", valueInteger=14),
        obs(
            "phq-9", "44260-8", valueCodeableConcept={"coding": [{"system": LOINC, "code": LA[2]}]}
        ),
        obs("audit", "75626-2", valueInteger=5),
        obs("gad", "70274-6", valueQuantity={"value": 9, "system": UCUM, "code": "{score}"}),
    ]
    mapping = run(resources)
    assert dump(mapping)["screening"] == {
        "phq9": {"total": 14, "item9": 2},
        "audit_c": {"total": 5},
        "gad7": {"total": 9},
    }
    assert "Observation/phq-9" in mapping.used


def test_panel_observation_with_members() -> None:
    codes = ["68518-0", "68519-8", "68520-6"]
    members = [obs(f"a{n}", code, valueInteger=n) for n, code in enumerate(codes)]
    panel = obs(
        "auditc", "72109-2", hasMember=[{"reference": f"Observation/a{n}"} for n in range(3)]
    )
    mapping = run([panel, *members])
    assert dump(mapping)["screening"]["audit_c"] == {"items": [0, 1, 2]}
    loose = run(members)
    assert {i.reason for i in loose.unsupported} == {Reason.instrument_incomplete}


def test_cows_questionnaire_response() -> None:
    items = {
        "resting_pulse": 1, "sweating": 1, "restlessness": 1, "pupil_size": 1,
        "bone_joint_aches": 2, "runny_nose_tearing": 1, "gi_upset": 2, "tremor": 1,
        "yawning": 1, "anxiety_irritability": 2, "gooseflesh": 0,
    }  # fmt: skip
    url = "https://kratom-cds.dev/fhir/Questionnaire/cows"
    answers = {k: {"valueInteger": v} for k, v in items.items()}
    withdrawal = dump(run([qr(url, answers)]))["withdrawal"]
    assert withdrawal == {"assessed_at": "2026-01-10T08:00:00Z", "cows": items}
    del answers["gooseflesh"]
    mapping = run([qr(url, answers)])
    assert "withdrawal" not in dump(mapping)
    assert [i.reason for i in mapping.unsupported] == [Reason.instrument_incomplete]
    answers["gooseflesh"] = {"valueInteger": 2}  # COWS gooseflesh allows 0, 3, 5
    assert [i.reason for i in run([qr(url, answers)]).unsupported] == [Reason.implausible_value]


CSSRS = ["93246-7", "93247-5", "93248-3", "93249-1", "93250-9", "93267-3", "93269-9"]
YES = {"valueCoding": {"system": LOINC, "code": "LA33-6", "display": "Yes"}}
NO = {"valueCoding": {"system": LOINC, "code": "LA32-8", "display": "No"}}


def test_cssrs_screener_with_loinc_yes_no_answers() -> None:
    """The shape of the HL7 US Behavioral Health Profiles example C-SSRS-example-1 (linkIds
    "/<LOINC item>", LOINC Yes/No answers): a yes to Q2 and Q4 is read as such, so the
    rules see high risk (MH-01), not an unscreened patient."""
    answers = dict(zip((f"/{c}" for c in CSSRS), [YES, YES, NO, YES, NO, NO], strict=False))
    mapping = run([qr("http://loinc.org/q/93373-9", answers)])
    assert dump(mapping)["screening"]["cssrs"] == {
        "wish_to_be_dead": True,
        "suicidal_thoughts": True,
        "thoughts_with_method": False,
        "intent": True,
        "plan_with_intent": False,
        "suicidal_behavior_lifetime": False,
    }
    assert mapping.used == ["QuestionnaireResponse/qr-1"]
    evaluation = evaluate(mapping.assessment, as_of=NOW)
    assert "MH-01" in {a.rule_id for a in evaluation.alerts}


def test_cssrs_booleans_and_what_is_not_an_answer() -> None:
    url = "https://kratom-cds.dev/fhir/Questionnaire/c-ssrs"
    answers = {CSSRS[0]: {"valueBoolean": False}, CSSRS[1]: {"valueBoolean": False}}
    answers[CSSRS[5]] = {"valueBoolean": True}
    answers[CSSRS[6]] = {"valueBoolean": True}
    assert dump(run([qr(url, answers)]))["screening"]["cssrs"] == {
        "wish_to_be_dead": False,
        "suicidal_thoughts": False,
        "suicidal_behavior_lifetime": True,
        "suicidal_behavior_past_3_months": True,
    }
    # A number is neither yes nor no; without Q6 (always asked) the screen is incomplete.
    answers[CSSRS[5]] = {"valueInteger": 1}
    mapping = run([qr(url, answers)])
    assert "screening" not in dump(mapping)
    assert {i.reason for i in mapping.unsupported} == {
        Reason.answer_score_unknown,
        Reason.instrument_incomplete,
    }


def test_cssrs_panel_observation_with_members() -> None:
    members = [
        obs("q1", CSSRS[0], valueCodeableConcept={"coding": [NO["valueCoding"]]}),
        obs("q2", CSSRS[1], valueCodeableConcept={"coding": [NO["valueCoding"]]}),
        obs("q6", CSSRS[5], valueBoolean=False),
    ]
    panel = obs(
        "cssrs", "93373-9", hasMember=[{"reference": f"Observation/{m['id']}"} for m in members]
    )
    mapping = run([panel, *members])
    assert dump(mapping)["screening"]["cssrs"] == {
        "wish_to_be_dead": False,
        "suicidal_thoughts": False,
        "suicidal_behavior_lifetime": False,
    }
    assert not mapping.unsupported


@pytest.mark.parametrize(
    ("url", "answers", "days", "used"),
    [
        # PHQ-9 and GAD-7 ask about the last 2 weeks, PCL-5 and the C-SSRS about the past month
        ("http://loinc.org/q/44249-1", {"44261-6": {"valueInteger": 3}}, 14, True),
        ("http://loinc.org/q/44249-1", {"44261-6": {"valueInteger": 3}}, 15, False),
        ("http://loinc.org/q/69737-5", {"70274-6": {"valueInteger": 3}}, 15, False),
        ("https://kratom-cds.dev/fhir/Questionnaire/c-ssrs", {}, 30, True),
        ("https://kratom-cds.dev/fhir/Questionnaire/c-ssrs", {}, 31, False),
        # AUDIT-C's questions name no period: its age is not judged here
        ("http://loinc.org/q/72109-2", {"75626-2": {"valueInteger": 3}}, 400, True),
    ],
)
def test_screens_older_than_their_recall_period_are_not_used(
    url: str, answers: dict[str, Any], days: int, used: bool
) -> None:
    if "c-ssrs" in url:
        answers = {CSSRS[0]: NO, CSSRS[1]: NO, CSSRS[5]: NO}
    authored = (NOW - timedelta(days=days)).isoformat()
    mapping = run([qr(url, answers, authored=authored)])
    assert ("screening" in dump(mapping)) is used
    if not used:
        assert reasons(mapping) == {"QuestionnaireResponse/qr-1": {Reason.outside_recall_period}}
        assert f"{days} days before the assessment" in mapping.ignored[0].detail


def test_a_screen_without_a_usable_time_is_not_used() -> None:
    resource = qr("http://loinc.org/q/44249-1", {"44261-6": {"valueInteger": 3}})
    del resource["authored"]
    mapping = run([resource])
    assert "screening" not in dump(mapping)
    assert reasons(mapping) == {"QuestionnaireResponse/qr-1": {Reason.effective_time_imprecise}}


def test_a_stale_phq9_takes_its_item9_observation_with_it() -> None:
    when = "2025-12-01T09:00:00Z"
    resources = [
        obs("phq-total", "44261-6", valueInteger=14, when=when),
        obs("phq-9", "44260-8", valueInteger=2, when=when),
    ]
    mapping = run(resources)
    assert "screening" not in dump(mapping)
    assert reasons(mapping) == {
        "Observation/phq-total": {Reason.outside_recall_period},
        "Observation/phq-9": {Reason.outside_recall_period},
    }


def test_in_progress_questionnaire_is_ignored() -> None:
    mapping = run([qr("http://loinc.org/q/44249-1", {}, status="in-progress")])
    assert [i.reason for i in mapping.ignored] == [Reason.status_not_usable]


# ---------------------------------------------------------------------------- robustness


def test_invalid_resources_are_reported() -> None:
    bad = obs("hr", "8867-4", valueQuantity={"value": "fast", "system": UCUM, "code": "/min"})
    mapping = run([bad, "not an object", {"resourceType": "Observation", "status": "final"}])
    assert [i.reason for i in mapping.unsupported] == [Reason.invalid_resource] * 3
    assert "fast" not in mapping.model_dump_json()


def test_validation_can_be_turned_off_and_warm_up() -> None:
    warm_up()
    hr = obs("hr", "8867-4", value=80, unit="/min")
    fast = assessment_from_fhir([hr], patient_ref=PT, assessed_at=NOW, validate=False)
    assert fast.assessment == run([hr]).assessment


def test_input_list_is_not_modified() -> None:
    resources = [obs("hr", "8867-4", value=98.6, unit="[degF]")]
    before = copy.deepcopy(resources)
    run(resources)
    assert resources == before


def test_caller_errors() -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        assessment_from_fhir([], patient_ref=PT, assessed_at=datetime(2026, 1, 1))
    with pytest.raises(ValidationError):
        run([], patient_ref="not a valid ref!")
    assert dump(run([])) == {
        "assessed_at": "2026-01-10T12:00:00Z",
        "patient": {"patient_ref": PT},
        "considering": [],
    }


def test_every_unsupported_reason_has_a_value_free_text() -> None:
    from app.fhir.result import IGNORED_REASONS, REASON_TEXT

    assert set(REASON_TEXT) == set(Reason) - IGNORED_REASONS


def test_transaction_bundle_references_resolve_through_full_urls() -> None:
    """FHIR R4 Bundle rules: a reference inside a Bundle resolves against the entries'
    fullUrl, and a urn:uuid fullUrl need not equal the resource's id (or the resource may have
    none). Such a heart rate and medication were dropped as 'about another patient' and
    'not identified'."""
    from app.fhir import reference_aliases

    patient_url = "urn:uuid:2f0c6b52-9f1f-4a4e-8f57-3c4ed8d3b0a1"
    med_url = "urn:uuid:7d1e0c4a-2b8c-4f0e-9a6e-1b2c3d4e5f60"
    other_url = "urn:uuid:0b3d2a1c-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
    heart = obs("hr-1", "8867-4", value=130, unit="/min", subject=patient_url)
    stranger = obs("hr-2", "8867-4", value=60, unit="/min", subject=other_url)
    request = {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "subject": {"reference": patient_url},
        "medicationReference": {"reference": med_url},
    }
    medication = {
        "resourceType": "Medication",
        "code": {"coding": [{"system": RXNORM, "code": "6813", "display": "methadone"}]},
    }
    entries = [
        (patient_url, {"resourceType": "Patient", "id": PT}),
        (other_url, {"resourceType": "Patient", "id": "someone-else"}),
        ("urn:uuid:1", heart),
        ("urn:uuid:2", stranger),
        (med_url, medication),
        ("urn:uuid:3", request),
    ]
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": url, "resource": r, "request": {"method": "POST", "url": r["resourceType"]}}
            for url, r in entries
        ],
    }
    mapping = assessment_from_fhir(
        resources_from_bundle(bundle),
        patient_ref=PT,
        assessed_at=NOW,
        aliases=reference_aliases([bundle]),
    )
    assessment = dump(mapping)
    assert assessment["vitals"]["heart_rate_bpm"] == 130
    assert assessment["use_history"]["current_medications"][0]["classes"] == [
        "methadone",
        "qt_prolonging",
    ]
    assert reasons(mapping)["Observation/hr-2"] == {Reason.subject_mismatch}
    # Without the Bundle's fullUrls the same resources cannot be placed (the old behaviour).
    unresolved = run(resources_from_bundle(bundle))
    assert "vitals" not in dump(unresolved)


def test_an_ongoing_medication_and_a_local_today_are_not_after_the_assessment() -> None:
    """The after_assessment filter reads when a thing began: a medication taken since 2025
    whose period ends in 2027 is current, and a date-only result dated the next day in UTC
    may be 'today' east of UTC (both were dropped)."""
    statement = {
        "resourceType": "MedicationStatement",
        "id": "ms-1",
        "status": "active",
        "subject": {"reference": f"Patient/{PT}"},
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": "6813", "display": "methadone"}]
        },
        "effectivePeriod": {"start": "2025-01-01", "end": "2027-12-31"},
    }
    planned = {**statement, "id": "ms-2", "effectivePeriod": {"start": "2026-03-01"}}
    heart = obs("hr-1", "8867-4", value=90, unit="/min", when="2026-01-11")  # NOW is 01-10
    mapping = run([statement, planned, heart])
    data = dump(mapping)
    assert [m["name"] for m in data["use_history"]["current_medications"]] == ["methadone"]
    assert data["vitals"]["heart_rate_bpm"] == 90
    assert reasons(mapping)["MedicationStatement/ms-2"] == {Reason.after_assessment}


def test_a_full_url_naming_another_patient_entry_is_not_ours() -> None:
    """A second, id-less Patient in the Bundle (a newborn, a relative) is not the patient
    mapped when an entry carries patient_ref: its data is about another patient."""
    from app.fhir import reference_aliases

    ours, other = "urn:uuid:aaaa", "urn:uuid:bbbb"
    heart = obs("hr-9", "8867-4", value=44, unit="/min", subject=other)
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": ours, "resource": {"resourceType": "Patient", "id": PT}},
            {"fullUrl": other, "resource": {"resourceType": "Patient"}},
            {"fullUrl": "urn:uuid:cccc", "resource": heart},
        ],
    }
    mapping = assessment_from_fhir(
        resources_from_bundle(bundle),
        patient_ref=PT,
        assessed_at=NOW,
        aliases=reference_aliases([bundle]),
    )
    assert "vitals" not in dump(mapping)
    assert reasons(mapping)["Observation/hr-9"] == {Reason.subject_mismatch}


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        # The Observation Synthea records: "Total score [DAST-10]"
        (
            [obs("dast", "82667-7", valueQuantity={"value": 7, "system": UCUM, "code": "{score}"})],
            7,
        ),
        # A DAST-10 panel carrying its total as a member
        (
            [
                obs("panel", "82666-9", hasMember=[{"reference": "Observation/total"}]),
                obs("total", "82667-7", valueInteger=2),
            ],
            2,
        ),
        # A LOINC-form QuestionnaireResponse with the total item
        ([qr("http://loinc.org/q/82666-9", {"82667-7": {"valueInteger": 0}})], 0),
    ],
)
def test_dast10_total_from_fhir(resources: list[dict[str, Any]], expected: int) -> None:
    mapping = run(resources)
    assert dump(mapping)["screening"]["dast10"] == {"total": expected}
    assert not mapping.unsupported


def test_dast10_outside_its_year_or_out_of_range_is_not_used() -> None:
    stale = (NOW - timedelta(days=366)).isoformat()
    mapping = run([obs("dast", "82667-7", valueInteger=7, when=stale)])
    assert "screening" not in dump(mapping)
    assert reasons(mapping) == {"Observation/dast": {Reason.outside_recall_period}}
    recent = (NOW - timedelta(days=300)).isoformat()
    assert dump(run([obs("dast", "82667-7", valueInteger=7, when=recent)]))["screening"] == {
        "dast10": {"total": 7}
    }
    mapping = run([obs("dast", "82667-7", valueInteger=11)])
    assert "screening" not in dump(mapping)
    assert reasons(mapping) == {"Observation/dast": {Reason.implausible_value}}


def test_dast10_items_alone_are_reported_not_scored() -> None:
    mapping = run([qr("http://loinc.org/q/82666-9", {"1": {"valueBoolean": True}})])
    assert "screening" not in dump(mapping)
    assert reasons(mapping) == {"QuestionnaireResponse/qr-1": {Reason.instrument_incomplete}}


ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"


@pytest.mark.parametrize(
    ("system", "code", "onset", "recent"),
    [
        (ICD10, "R56.9", {"onsetDateTime": "2026-01-10T09:00:00Z"}, True),  # 3 h before
        (SNOMED, "91175000", {"onsetPeriod": {"start": "2026-01-09T12:00:00Z"}}, True),  # 24 h
        (SNOMED, "91175000", {"onsetDateTime": "2026-01-09T11:59:00Z"}, False),  # 24 h 1 min
        (ICD10, "R56.9", {}, False),  # no onset: when it happened is unknown
        (ICD10, "R56.9", {"onsetDateTime": "2026-01-10T14:00:00Z"}, False),  # after assessed_at
        # Epilepsy is a disorder: a recent onset date is the diagnosis, not a seizure.
        (ICD10, "G40.909", {"onsetDateTime": "2026-01-10T09:00:00Z"}, False),
    ],
)
def test_a_seizure_condition_with_a_recent_onset_is_a_seizure_in_the_last_24h(
    system: str, code: str, onset: dict[str, Any], recent: bool
) -> None:
    mapping = run([condition("sz", system, code, **onset)])
    history = dump(mapping).get("medical_history", {})
    assert history.get("seizure_in_last_24h") is (True if recent else None)
    if recent:
        assert any(i.field == "/medical_history/seizure_in_last_24h" for i in mapping.inputs)
    if onset.get("onsetDateTime", "") > NOW.isoformat():
        # A Condition that began after the assessment did not exist then.
        assert reasons(mapping) == {"Condition/sz": {Reason.after_assessment}}
        return
    # Still a coded condition either way: the problem list is not lost.
    assert dump(mapping)["co_occurring_conditions"]["coded"][0]["code"] == code


def test_a_seizure_onset_given_as_a_date_is_reported_not_guessed() -> None:
    mapping = run([condition("sz", ICD10, "R56.9", onsetDateTime="2026-01-10")])
    assert "medical_history" not in dump(mapping)
    assert reasons(mapping) == {"Condition/sz": {Reason.effective_time_imprecise}}
    # A date long past is simply not recent: nothing to report.
    old = run([condition("sz", ICD10, "R56.9", onsetDateTime="2025-06-01")])
    assert "medical_history" not in dump(old)
    assert not reasons(old)


def test_an_ended_seizure_this_morning_still_counts_and_an_old_one_is_not_active() -> None:
    """A seizure that has ended is charted resolved: it still happened in the last 24 hours.
    An ended seizure outside them is reported not active, as any other ended Condition."""
    this_morning = condition(
        "sz", ICD10, "R56.9", clinical="resolved", onsetDateTime="2026-01-10T06:00:00Z"
    )
    mapping = run([this_morning])
    assert dump(mapping)["medical_history"] == {"seizure_in_last_24h": True}
    assert "Condition/sz" in mapping.used
    assert not reasons(mapping)
    last_year = condition(
        "old", SNOMED, "91175000", clinical="resolved", onsetDateTime="2025-01-10T06:00:00Z"
    )
    mapping = run([last_year])
    assert "medical_history" not in dump(mapping)
    assert reasons(mapping) == {"Condition/old": {Reason.not_active}}
    # Both: the recent one answers, the old one is still reported.
    mapping = run([last_year, this_morning])
    assert dump(mapping)["medical_history"] == {"seizure_in_last_24h": True}
    assert reasons(mapping) == {"Condition/old": {Reason.not_active}}


@pytest.mark.parametrize(
    ("clinical", "times"),
    [
        # A seizure that began 30 h ago and lasted until 2 h ago
        ("active", {"onsetPeriod": {"start": "2026-01-09T06:00:00Z",
                                    "end": "2026-01-10T10:00:00Z"}}),
        # Charted resolved, abated 2 h ago
        ("resolved", {"onsetDateTime": "2026-01-09T06:00:00Z",
                      "abatementDateTime": "2026-01-10T10:00:00Z"}),
    ],
)  # fmt: skip
def test_a_seizure_that_lasted_into_the_last_24h_counts(
    clinical: str, times: dict[str, Any]
) -> None:
    mapping = run([condition("sz", ICD10, "R56.9", clinical=clinical, **times)])
    assert dump(mapping)["medical_history"] == {"seizure_in_last_24h": True}
    assert not reasons(mapping)


def test_seizure_edge_reports() -> None:
    # A date entirely after the assessment is not "unknown": the Condition did not exist yet.
    later = run([condition("sz", ICD10, "R56.9", onsetDateTime="2026-01-12")])
    assert "medical_history" not in dump(later)
    assert reasons(later) == {"Condition/sz": {Reason.after_assessment}}
    # A date-only onset in a period: reported at that field, once, also when it has ended.
    dated = condition(
        "sz", ICD10, "R56.9", clinical="resolved", onsetPeriod={"start": "2026-01-10"}
    )
    mapping = run([dated])
    assert "medical_history" not in dump(mapping)
    issues = [i for i in [*mapping.unsupported, *mapping.ignored] if i.ref == "Condition/sz"]
    assert [(i.reason, i.pointer) for i in issues] == [
        (Reason.effective_time_imprecise, "/onsetPeriod/start")
    ]
    # An ICD-10-CM code the coded list refuses (no dot) does not answer it either.
    dotless = run([condition("sz", ICD10, "R569", onsetDateTime="2026-01-10T09:00:00Z")])
    assert "medical_history" not in dump(dotless)


def test_a_recent_seizure_past_the_coded_list_cap_is_used_not_reported_dropped() -> None:
    others = [condition(f"c{n}", ICD10, f"Z{n + 10}.0") for n in range(50)]  # 50 distinct
    seizure = condition("sz", ICD10, "R56.9", onsetDateTime="2026-01-10T09:00:00Z")
    mapping = run([*others, seizure])
    assert dump(mapping)["medical_history"] == {"seizure_in_last_24h": True}
    assert "Condition/sz" in mapping.used
    assert "Condition/sz" not in reasons(mapping)
    assert len(dump(mapping)["co_occurring_conditions"]["coded"]) == 50  # the cap held


# ---------------------------------------------------------------- audit of the mapping (2026-11-28)


def test_what_did_not_exist_or_was_not_taken_at_the_assessment_is_not_used() -> None:
    # An "active" statement whose period ended before the assessment: not taken now.
    ended = run([methadone_statement(effectivePeriod={"start": "2023-01-01", "end": "2024-01-01"})])
    assert "use_history" not in dump(ended)
    assert reasons(ended) == {"MedicationStatement/ms": {Reason.not_active}}
    ongoing = run([methadone_statement(effectivePeriod={"start": "2023-01-01"})])
    assert dump(ongoing)["use_history"]["current_medications"]
    # A Condition recorded, or an order written, after the assessment did not exist then.
    later = condition("hx", ICD10, "F41.1", recordedDate="2026-02-01T00:00:00Z")
    order = {
        "resourceType": "MedicationRequest",
        "id": "mr",
        "status": "active",
        "intent": "order",
        "authoredOn": "2026-02-01T00:00:00Z",
        "subject": {"reference": f"Patient/{PT}"},
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "6813"}]},
    }
    mapping = run([later, order])
    assert reasons(mapping) == {
        "Condition/hx": {Reason.after_assessment},
        "MedicationRequest/mr": {Reason.after_assessment},
    }
    # A result still being collected after the assessment is not a result of that time.
    potassium = obs("k", "2823-3", value=2.9, unit="mmol/L")
    del potassium["effectiveDateTime"]
    potassium["effectivePeriod"] = {"start": "2026-01-10T06:00:00Z", "end": "2026-01-11T06:00:00Z"}
    mapping = run([potassium])
    assert "labs" not in dump(mapping)
    assert reasons(mapping) == {"Observation/k": {Reason.after_assessment}}


def test_an_entered_in_error_condition_without_a_system_is_still_excluded() -> None:
    wrong = condition(
        "x", ICD10, "F10.20", verificationStatus={"coding": [{"code": "entered-in-error"}]}
    )
    mapping = run([wrong])
    assert "co_occurring_conditions" not in dump(mapping)
    assert reasons(mapping) == {"Condition/x": {Reason.status_not_usable}}


def test_a_phq9_item9_newer_than_the_total_is_reported_not_hidden() -> None:
    mapping = run(
        [
            obs("total", "44261-6", valueInteger=4, when="2026-01-05T09:00:00Z"),
            obs("i9", "44260-8", valueInteger=3, when="2026-01-10T09:00:00Z"),
        ]
    )
    assert dump(mapping)["screening"]["phq9"] == {"total": 4}
    assert reasons(mapping) == {"Observation/i9": {Reason.instrument_incomplete}}
    assert any(i.ref == "Observation/i9" for i in mapping.unsupported)


def test_a_screening_total_given_as_a_bound_is_not_a_score() -> None:
    bound = qr(
        "http://loinc.org/q/44249-1",
        {"44261-6": {"valueQuantity": {"value": 20, "comparator": ">="}}},
    )
    mapping = run([bound])
    assert "screening" not in dump(mapping)
    assert Reason.answer_score_unknown in reasons(mapping)["QuestionnaireResponse/qr-1"]


def test_a_patient_without_an_id_does_not_override_the_one_named() -> None:
    def patient(sex: str, birth: str, **extra: Any) -> dict[str, Any]:
        return {
            "resourceType": "Patient",
            "birthDate": birth,
            "extension": [
                {
                    "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex",
                    "valueCode": sex,
                }
            ],
            **extra,
        }

    mapping = run([patient("F", "1950-01-01"), patient("M", "1990-01-01", id=PT)])
    assert dump(mapping)["patient"]["sex_at_birth"] == "male"
    assert dump(mapping)["patient"]["birth_date"] == "1990-01-01"
    assert [i.reason for i in [*mapping.unsupported, *mapping.ignored]] == [Reason.subject_mismatch]
    # Alone, a Patient without an id is the one the query named.
    alone = run([patient("F", "1950-01-01")])
    assert dump(alone)["patient"]["sex_at_birth"] == "female"


def test_a_result_naming_no_subject_beside_another_patient_is_not_used() -> None:
    other = {"resourceType": "Patient", "id": "someone-else"}
    heart_rate = obs("hr", "8867-4", value=40, unit="/min")
    del heart_rate["subject"]
    mapping = run([other, heart_rate])
    assert "vitals" not in dump(mapping)
    assert reasons(mapping)["Observation/hr"] == {Reason.subject_mismatch}
    # Alone (a query already scoped to the patient), it is the patient's.
    assert dump(run([heart_rate]))["vitals"]["heart_rate_bpm"] == 40


def test_a_screen_value_contradicted_by_its_interpretation_is_reported_not_read() -> None:
    interpretation = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
    conflicting = obs(
        "op",
        "19295-5",
        valueCodeableConcept={"coding": [{"system": SNOMED, "code": "260415000"}]},
        interpretation=[{"coding": [{"system": interpretation, "code": "POS"}]}],
    )
    mapping = run([conflicting])
    assert "urine_drug_screen" not in dump(mapping)
    assert reasons(mapping) == {"Observation/op": {Reason.result_not_interpretable}}
    agreeing = {
        **conflicting,
        "interpretation": [{"coding": [{"system": interpretation, "code": "NEG"}]}],
    }
    assert dump(run([agreeing]))["urine_drug_screen"]["opiates"] == "negative"
