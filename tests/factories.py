"""Plain builders for tests: valid objects with keyword overrides, no fixtures.

`make_assessment(**overrides)` starts from a complete, stable, mild outpatient assessment
(every group given, so no rule is blocked by a gap) and deep-merges the overrides: a dict
merges into the group, any other value (including None, which removes an optional group)
replaces it.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from functools import cache
from typing import Any

import orjson

from app.schemas.assessment import AssessmentIn

AS_OF = datetime(2026, 11, 26, 14, 30, tzinfo=UTC)

#: Published allowed scores of each COWS item (Wesson & Ling 2003), in assessment order.
COWS_ALLOWED: dict[str, tuple[int, ...]] = {
    "resting_pulse": (0, 1, 2, 4),
    "sweating": (0, 1, 2, 3, 4),
    "restlessness": (0, 1, 3, 5),
    "pupil_size": (0, 1, 2, 5),
    "bone_joint_aches": (0, 1, 2, 4),
    "runny_nose_tearing": (0, 1, 2, 4),
    "gi_upset": (0, 1, 2, 3, 5),
    "tremor": (0, 1, 2, 4),
    "yawning": (0, 1, 2, 4),
    "anxiety_irritability": (0, 1, 2, 4),
    "gooseflesh": (0, 3, 5),
}


@cache
def _cows_solution(total: int, fixed: tuple[tuple[str, int], ...]) -> tuple[int, ...]:
    pinned = dict(fixed)
    names = list(COWS_ALLOWED)
    free = [n for n in names if n not in pinned]
    target = total - sum(pinned.values())
    # Fill the free items as evenly as possible (max 48 in all), by depth-first search.

    def search(i: int, remaining: int) -> list[int] | None:
        if i == len(free):
            return [] if remaining == 0 else None
        for value in sorted(
            COWS_ALLOWED[free[i]], key=lambda v: abs(v - remaining / (len(free) - i))
        ):
            if value <= remaining:
                rest = search(i + 1, remaining - value)
                if rest is not None:
                    return [value, *rest]
        return None

    found = search(0, target)
    if found is None:
        raise ValueError(f"no COWS item combination totals {total} with {pinned}")
    values = dict(zip(free, found, strict=True)) | pinned
    return tuple(values[n] for n in names)


def cows_items(total: int, **fixed: int) -> dict[str, int]:
    """COWS items with valid (published) values that sum to `total`."""
    values = _cows_solution(total, tuple(sorted(fixed.items())))
    return dict(zip(COWS_ALLOWED, values, strict=True))


BASE: dict[str, Any] = {
    "assessed_at": "2026-11-26T14:10:00Z",
    "encounter_ref": "enc-test-1",
    "patient": {
        "patient_ref": "test-patient-1",
        "age_years": 38,
        "sex_at_birth": "male",
        "pregnancy_status": "not_applicable",
        "weight_kg": 80.0,
    },
    "vitals": {
        "measured_at": "2026-11-26T14:05:00Z",
        "heart_rate_bpm": 78,
        "systolic_bp_mmhg": 128,
        "diastolic_bp_mmhg": 80,
        "respiratory_rate_per_min": 16,
        "temperature_c": 36.8,
        "spo2_percent": 98,
        "on_supplemental_oxygen": False,
        "consciousness": "alert",
    },
    "urine_drug_screen": {
        "collected_at": "2026-11-26T13:40:00Z",
        "mitragynine": "positive",
        "mitragynine_method": "lc_ms_ms",
        "opiates": "negative",
        "fentanyl": "negative",
        "oxycodone": "negative",
        "methadone": "negative",
        "buprenorphine": "negative",
        "benzodiazepines": "negative",
        "amphetamines": "negative",
        "cocaine": "negative",
        "cannabinoids": "negative",
        "alcohol_etg": "negative",
        "prescribed_analytes": [],
    },
    "labs": {
        "collected_at": "2026-11-26T13:45:00Z",
        "alt_u_per_l": 30,
        "alt_uln_u_per_l": 40,
        "ast_u_per_l": 28,
        "ast_uln_u_per_l": 40,
        "alp_u_per_l": 90,
        "alp_uln_u_per_l": 120,
        "total_bilirubin_mg_per_dl": 0.7,
        "total_bilirubin_uln_mg_per_dl": 1.2,
        "inr": 1.0,
        "potassium_mmol_per_l": 4.2,
        "magnesium_mmol_per_l": 0.85,
        "creatinine_mg_per_dl": 0.9,
        "egfr_ml_min_1_73m2": 98,
        "qtc_ms": 420,
    },
    "medical_history": {
        "prior_overdose": False,
        "withdrawal_seizures": False,
        "complicated_withdrawal": False,
        "seizure_in_last_24h": False,
        "seizure_disorder": False,
        "syncope": False,
        "chest_pain_or_palpitations": False,
        "recent_myocardial_infarction": False,
        "severe_coronary_insufficiency": False,
        "heart_failure": False,
        "bradyarrhythmia": False,
        "cerebrovascular_disease": False,
        "chronic_kidney_disease": False,
        "congenital_long_qt": False,
        "hepatic_impairment_child_pugh": "none",
        "liver_injury_symptoms": False,
        "failed_outpatient_withdrawal_management": False,
    },
    "withdrawal": {
        "assessed_at": "2026-11-26T14:00:00Z",
        "cows": cows_items(8),
        "hours_since_last_kratom_use": 16,
    },
    "dsm5_criteria_met": [
        "larger_amounts_or_longer",
        "unsuccessful_cut_down",
        "craving",
        "tolerance",
        "withdrawal",
    ],
    "use_history": {
        "product_types": ["leaf_powder"],
        "grams_per_day": 15,
        "doses_per_day": 3,
        "duration_months": 24,
        "route": "oral",
        "prior_withdrawal_attempts": 1,
        "prior_withdrawal_complications": [],
        "other_substances": [],
        "prescribed_opioid_under_supervision": False,
        "current_medications": [],
    },
    "co_occurring_conditions": {
        "depression": False,
        "anxiety": False,
        "ptsd": False,
        "chronic_pain": False,
        "liver_disease": False,
        "cardiac_disease": False,
        "seizure_disorder": False,
        "opioid_use_disorder": False,
        "alcohol_use_disorder": False,
        "sedative_use_disorder": False,
    },
    "screening": {
        "phq9": {"items": [1, 1, 0, 1, 0, 0, 0, 0, 0]},
        "gad7": {"items": [1, 1, 0, 1, 0, 0, 0]},
        "pcl5": {"total": 12},
        "cssrs": {
            "wish_to_be_dead": False,
            "suicidal_thoughts": False,
            "suicidal_behavior_lifetime": False,
        },
        "audit_c": {"items": [1, 0, 0]},
    },
    "social": {
        "housing": "stable",
        "support_person_available": True,
        "has_transportation": True,
        "employment": "employed",
        "legal_issues": False,
        "trauma_history": False,
        "preferences": {
            "declines_group_therapy": False,
            "wants_complementary_therapies": False,
            "prefers_outpatient": True,
            "declines_medication": False,
        },
    },
    "considering": ["buprenorphine"],
}


def merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Deep merge: dicts merge, other values (lists, scalars, None) replace."""
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        elif value is None and key in out and key != "considering":
            del out[key]
        else:
            out[key] = copy.deepcopy(value)
    return out


def assessment_data(**overrides: Any) -> dict[str, Any]:
    """The JSON document of `make_assessment(**overrides)`."""
    return merge(BASE, overrides)


def make_assessment(**overrides: Any) -> AssessmentIn:
    """A valid assessment, validated the way the API validates request bodies."""
    return AssessmentIn.model_validate_json(orjson.dumps(assessment_data(**overrides)))
