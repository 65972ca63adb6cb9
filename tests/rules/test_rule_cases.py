"""One case table per rule id: each row says whether the rule fires at, or just past, the
threshold its source gives (the citation is in the row's comment or the table's heading).

`fired` is the rule's own trace flag; `check` asserts the effect a clinician would see.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import pytest

from app.rules import RULES
from app.schemas.evaluation import Evaluation
from tests.factories import cows_items
from tests.rules.support import alerts, detail, fired, missing, run, setting, status

_DSM3 = ["craving", "tolerance", "withdrawal"]


def _title(ev: Evaluation, code: str) -> str:
    return next(a.title for a in ev.alerts if a.code == code)


def _advises(ev: Evaluation, code: str) -> tuple[str, ...]:
    return next(a.advises_against for a in ev.alerts if a.code == code)


def _alert_detail(ev: Evaluation, code: str) -> str:
    return next(a.detail for a in ev.alerts if a.code == code)


class Case(NamedTuple):
    rule_id: str
    name: str
    overrides: dict[str, Any]
    fires: bool
    check: Callable[[Evaluation], bool] | None = None


C = Case
#: Rules that apply to everyone (no non-firing row exists).
ALWAYS = {"NUT-01", "MON-01", "TH-01", "TH-03", "AC-01", "AC-02", "AC-04", "AC-05", "AC-07"}

# NEWS2 chart [NEWS2]: RR 22 = 2, HR 115 = 2, T 38.5 = 1, SpO2 95 = 1, SBP 105 = 1.
NEWS2_7 = {
    "respiratory_rate_per_min": 22,
    "heart_rate_bpm": 115,
    "temperature_c": 38.5,
    "spo2_percent": 95,
    "systolic_bp_mmhg": 105,
}
NEWS2_6 = NEWS2_7 | {"systolic_bp_mmhg": 128}
NEWS2_4 = {"respiratory_rate_per_min": 22, "heart_rate_bpm": 115}
FEMALE = {"sex_at_birth": "female", "pregnancy_status": "not_pregnant"}
PREGNANT = {"sex_at_birth": "female", "pregnancy_status": "pregnant"}
Q2_YES = {"suicidal_thoughts": True, "wish_to_be_dead": True}
#: The screen's opioid results other than kratom's.
STANDARD_OPIOIDS = ("opiates", "fentanyl", "oxycodone", "methadone", "buprenorphine")
NO_RECENT_USE = {"cows": cows_items(0), "hours_since_last_kratom_use": 264}
UDS_MITRA_NEG = {"urine_drug_screen": {"mitragynine": "negative"}}


def coded(code: str, system: str = "icd10cm") -> dict[str, Any]:
    return {"co_occurring_conditions": {"coded": [{"system": system, "code": code}]}}


def cows(total: int, **fixed: int) -> dict[str, Any]:
    return {"withdrawal": {"cows": cows_items(total, **fixed)}}


def sev(code: str, severity: str) -> Callable[[Evaluation], bool]:
    return lambda ev: alerts(ev).get(code) == severity


def at(code: str, value: str) -> Callable[[Evaluation], bool]:
    return lambda ev: status(ev, code) == value


def loc(value: str) -> Callable[[Evaluation], bool]:
    return lambda ev: setting(ev) == value


def provisional(because: str) -> Callable[[Evaluation], bool]:
    """The setting is provisional, and the rationale names the open question."""
    return lambda ev: (
        ev.level_of_care.determination.value == "provisional"
        and because in ev.level_of_care.rationale
    )


CASES: list[Case] = [
    # ---- VS-01 NEWS2 >= 7 emergency [NEWS2]
    C("VS-01", "NEWS2 7 fires, emergency", {"vitals": NEWS2_7}, True, loc("emergency_department")),
    C("VS-01", "NEWS2 6 silent", {"vitals": NEWS2_6}, False),
    # ---- VS-02 NEWS2 5-6 or single 3 [NEWS2]
    C(
        "VS-02",
        "NEWS2 6 fires, 3.7-WM",
        {"vitals": NEWS2_6},
        True,
        loc("inpatient_medically_monitored"),
    ),
    C("VS-02", "NEWS2 4 silent", {"vitals": NEWS2_4}, False),
    C("VS-02", "RR 25 alone (single 3) fires", {"vitals": {"respiratory_rate_per_min": 25}}, True),
    C("VS-02", "RR 24 (scores 2) silent", {"vitals": {"respiratory_rate_per_min": 24}}, False),
    C("VS-02", "HR 131 (single 3) fires", {"vitals": {"heart_rate_bpm": 131}}, True),
    C("VS-02", "NEWS2 7 belongs to VS-01", {"vitals": NEWS2_7}, False),
    # ---- VS-03 opioid toxicity: RR <= 8, SpO2 <= 91, not alert [NEWS2][EGGLESTON19]
    C(
        "VS-03",
        "RR 8 fires, naloxone",
        {"vitals": {"respiratory_rate_per_min": 8}},
        True,
        lambda ev: (
            status(ev, "naloxone") == "recommended" and setting(ev) == "emergency_department"
        ),
    ),
    C("VS-03", "RR 9 silent", {"vitals": {"respiratory_rate_per_min": 9}}, False),
    C(
        "VS-03",
        "signs 20 h old: emergency stands, provisional; re-check before naloxone",
        {"vitals": {"measured_at": "2026-11-25T18:30:00Z", "respiratory_rate_per_min": 7}},
        True,
        lambda ev: (
            setting(ev) == "emergency_department"
            and ev.level_of_care.determination.value == "provisional"
            and detail(ev, "naloxone").startswith("Re-check")
        ),
    ),
    C("VS-03", "SpO2 91 fires", {"vitals": {"spo2_percent": 91}}, True),
    C("VS-03", "SpO2 92 silent", {"vitals": {"spo2_percent": 92}}, False),
    # [NALOXONE-PI]: naloxone is for overdose shown by respiratory and/or CNS depression.
    C(
        "VS-03",
        "SpO2 90 with RR 24 and alert: emergency, naloxone only if breathing slows",
        {"vitals": {"spo2_percent": 90, "respiratory_rate_per_min": 24}},
        True,
        lambda ev: (
            setting(ev) == "emergency_department"
            and "Give naloxone per emergency protocol now" not in detail(ev, "naloxone")
            and "if breathing slows" in detail(ev, "naloxone")
            and _alert_detail(ev, "opioid_toxicity").count("other causes of hypoxia") == 1
        ),
    ),
    C(
        "VS-03",
        "SpO2 90 with RR 24 but responds only to voice: naloxone now",
        {"vitals": {"spo2_percent": 90, "respiratory_rate_per_min": 24, "consciousness": "voice"}},
        True,
        lambda ev: "Give naloxone per emergency protocol now" in detail(ev, "naloxone"),
    ),
    C(
        "VS-03",
        "SpO2 90 with RR not recorded: naloxone now (depression not excluded)",
        {"vitals": {"spo2_percent": 90, "respiratory_rate_per_min": None}},
        True,
        lambda ev: "Give naloxone per emergency protocol now" in detail(ev, "naloxone"),
    ),
    C("VS-03", "responds to voice fires", {"vitals": {"consciousness": "voice"}}, True),
    C("VS-03", "new confusion fires", {"vitals": {"consciousness": "new_confusion"}}, True),
    # ---- VS-04 T >= 39.1 with HR >= 111 [NEWS2]
    C(
        "VS-04",
        "39.1 C and HR 111 fires",
        {"vitals": {"temperature_c": 39.1, "heart_rate_bpm": 111}},
        True,
        sev("fever_with_tachycardia", "warning"),
    ),
    C("VS-04", "39.0 C silent", {"vitals": {"temperature_c": 39.0, "heart_rate_bpm": 111}}, False),
    C("VS-04", "HR 110 silent", {"vitals": {"temperature_c": 39.1, "heart_rate_bpm": 110}}, False),
    # ---- VS-05 syncope / chest pain [LEONG21B][HOLTON24]
    C(
        "VS-05",
        "syncope fires, ECG",
        {"medical_history": {"syncope": True}},
        True,
        at("ecg", "recommended"),
    ),
    C(
        "VS-05",
        "palpitations fires",
        {"medical_history": {"chest_pain_or_palpitations": True}},
        True,
    ),
    C("VS-05", "neither silent", {}, False),
    C(
        "VS-05",
        "history not asked but a CKD code on the problem list: both questions still open",
        {"medical_history": None} | coded("433144002", system="snomedct"),
        False,
        lambda ev: (
            {"/medical_history/syncope", "/medical_history/chest_pain_or_palpitations"}
            <= missing(ev)
        ),
    ),
    C(
        "VS-05",
        "syncope answered, chest pain not asked: only chest pain is open",
        {"medical_history": {"syncope": False, "chest_pain_or_palpitations": None}},
        False,
        lambda ev: (
            "/medical_history/chest_pain_or_palpitations" in missing(ev)
            and "/medical_history/syncope" not in missing(ev)
        ),
    ),
    # An arrhythmia is an unstable comorbidity [ASAM3] (clinical reference LOC-02 row).
    C(
        "VS-05",
        "current chest pain, office setting: provisional until the ECG and evaluation",
        {"medical_history": {"chest_pain_or_palpitations": True}},
        True,
        provisional("chest pain or palpitations: ECG and medical evaluation pending"),
    ),
    # ---- VS-06 vital signs not current: NEWS2 asks for observations at least 12-hourly
    # [NEWS2]. The base assessment (tests.factories) is at 2026-11-26T14:30Z.
    C(
        "VS-06",
        "12.1 hours old fires: warning, current set recommended, level provisional",
        {"vitals": {"measured_at": "2026-11-26T02:24:00Z"}, "considering": ["lofexidine"]},
        True,
        lambda ev: (
            alerts(ev)["vital_signs_not_current"] == "warning"
            and "/vitals" in missing(ev)
            and status(ev, "current_vital_signs") == "recommended"
            and ev.level_of_care.determination.value == "provisional"
            and "12.1 hours old" in ev.level_of_care.rationale
            and status(ev, "lofexidine") == "consider"
        ),
    ),
    C(
        "VS-06",
        "12.0 hours old silent",
        {"vitals": {"measured_at": "2026-11-26T02:30:00Z"}, "considering": ["lofexidine"]},
        False,
        at("lofexidine", "recommended"),
    ),
    C(
        "VS-06",
        "no measurement time: taken as of the assessment, the time listed missing",
        {"vitals": {"measured_at": None}, "considering": ["lofexidine"]},
        False,
        lambda ev: (
            "/vitals/measured_at" in missing(ev)
            and "vital_signs_not_current" not in alerts(ev)
            and status(ev, "lofexidine") == "recommended"
        ),
    ),
    C(
        "VS-06",
        "an undated heart rate alone: the time listed missing (it drives the lofexidine hold)",
        {
            "vitals": {
                "measured_at": None,
                "systolic_bp_mmhg": None,
                "diastolic_bp_mmhg": None,
                "respiratory_rate_per_min": None,
                "temperature_c": None,
                "spo2_percent": None,
                "consciousness": None,
            }
        },
        False,
        lambda ev: "/vitals/measured_at" in missing(ev),
    ),
    C(
        "VS-06",
        "dated 3 days after the assessment: listed to check, not silently current",
        {"vitals": {"measured_at": "2026-11-29T14:30:00Z"}},
        False,
        lambda ev: "/vitals/measured_at" in missing(ev),
    ),
    C(
        "VS-06",
        "dated 4 minutes after the assessment: within clock tolerance, nothing listed",
        {"vitals": {"measured_at": "2026-11-26T14:34:00Z"}},
        False,
        lambda ev: "/vitals/measured_at" not in missing(ev),
    ),
    C(
        "VS-06",
        "no vital signs at all: no measurement time asked for",
        {"vitals": None},
        False,
        lambda ev: "/vitals/measured_at" not in missing(ev),
    ),
    C(
        "VS-06",
        "dated current vital signs: nothing missing",
        {},
        False,
        lambda ev: "/vitals/measured_at" not in missing(ev) and "/vitals" not in missing(ev),
    ),
    C(
        "VS-06",
        "years old: the age is said in years, and a red flag in them is still shown",
        {
            "vitals": {"measured_at": "1999-07-02T00:00:00Z", "heart_rate_bpm": 44},
            "considering": ["lofexidine"],
        },
        True,
        lambda ev: (
            "27 years" in next(a.title for a in ev.alerts if a.code == "vital_signs_not_current")
            and alerts(ev)["lofexidine_hold"] == "critical"
        ),
    ),
    # ---- DX-03 diagnosis code [DSM5 severity 2-3 mild, 4+ moderate/severe] [ICD10CM F19.x];
    # withdrawal = COWS >= 5 [COWS]. The base: 5 criteria, COWS 8.
    C(
        "DX-03",
        "moderate, in withdrawal: F19.230",
        {},
        True,
        lambda ev: (
            alerts(ev)["diagnosis_code_suggestion"] == "info"
            and "F19.230" in _title(ev, "diagnosis_code_suggestion")
        ),
    ),
    C(
        "DX-03",
        "moderate, not in withdrawal (COWS 4): F19.20",
        {"withdrawal": {"cows": cows_items(4)}},
        True,
        lambda ev: "F19.20" in _title(ev, "diagnosis_code_suggestion"),
    ),
    C(
        "DX-03",
        "mild (3 criteria), COWS 4: F19.10",
        {"dsm5_criteria_met": _DSM3, "withdrawal": {"cows": cows_items(4)}},
        True,
        lambda ev: "F19.10" in _title(ev, "diagnosis_code_suggestion"),
    ),
    C(
        "DX-03",
        "mild (3 criteria), COWS 5: F19.130",
        {"dsm5_criteria_met": _DSM3, "withdrawal": {"cows": cows_items(5)}},
        True,
        lambda ev: "F19.130" in _title(ev, "diagnosis_code_suggestion"),
    ),
    C(
        "DX-03",
        "one criterion: no use disorder, silent",
        {"dsm5_criteria_met": ["craving"]},
        False,
        lambda ev: "diagnosis_code_suggestion" not in alerts(ev),
    ),
    C(
        "DX-03",
        "tolerance and withdrawal only: a clinician decides, silent",
        {"dsm5_criteria_met": ["tolerance", "withdrawal"]},
        False,
    ),
    C(
        "DX-03",
        "criteria not recorded: silent, asked for",
        {"dsm5_criteria_met": None},
        False,
        lambda ev: "/dsm5_criteria_met" in missing(ev),
    ),
    C(
        "DX-03",
        "supervision answer missing (the count may change): no code, the answer asked for",
        {"use_history": {"prescribed_opioid_under_supervision": None}},
        False,
        lambda ev: (
            "diagnosis_code_suggestion" not in alerts(ev)
            and "/use_history/prescribed_opioid_under_supervision" in missing(ev)
        ),
    ),
    C(
        "DX-03",
        "no COWS: the uncomplicated code, and the withdrawal code named",
        {"withdrawal": {"cows": None}},
        True,
        lambda ev: (
            "F19.20" in _title(ev, "diagnosis_code_suggestion")
            and "F19.230" in _alert_detail(ev, "diagnosis_code_suggestion")
        ),
    ),
    C(
        "DX-03",
        "opioid use disorder recorded: F11 named as the alternative",
        {"co_occurring_conditions": {"opioid_use_disorder": True}},
        True,
        lambda ev: "F11" in _alert_detail(ev, "diagnosis_code_suggestion"),
    ),
    # ---- SZ-01 seizure in 24 h [EGGLESTON19]
    C(
        "SZ-01",
        "recent seizure fires, emergency",
        {"medical_history": {"seizure_in_last_24h": True}},
        True,
        loc("emergency_department"),
    ),
    C("SZ-01", "no recent seizure silent", {}, False),
    C(
        "SZ-01",
        "seizure in the last 24 h not recorded: the setting is provisional",
        {"medical_history": {"seizure_in_last_24h": None}},
        False,
        provisional("seizure in the last 24 hours not recorded"),
    ),
    # ---- SZ-02 seizure history [ASAMAWM]
    C(
        "SZ-02",
        "withdrawal seizures fire critical, 3.7-WM",
        {"medical_history": {"withdrawal_seizures": True}},
        True,
        lambda ev: (
            alerts(ev)["seizure_history"] == "critical"
            and setting(ev) == "inpatient_medically_monitored"
        ),
    ),
    C(
        "SZ-02",
        "with alcohol: 4-WM",
        {
            "medical_history": {"withdrawal_seizures": True},
            "use_history": {"other_substances": ["alcohol"]},
        },
        True,
        loc("inpatient_medically_managed"),
    ),
    C(
        "SZ-02",
        "seizure disorder alone is a warning",
        {"medical_history": {"seizure_disorder": True}},
        True,
        sev("seizure_history", "warning"),
    ),
    C("SZ-02", "no history silent", {}, False),
    C(
        "SZ-02",
        "withdrawal seizures, alcohol and sedative use not asked: 3.7-WM, 4-WM possible",
        {
            "medical_history": {"withdrawal_seizures": True},
            "use_history": {"other_substances": None},
            "screening": {"audit_c": None},
        },
        True,
        lambda ev: (
            setting(ev) == "inpatient_medically_monitored"
            and provisional("alcohol, benzodiazepine or other sedative use not recorded")(ev)
        ),
    ),
    # A coded diagnosis answers the flags [ICD10CM]: G40 epilepsy and recurrent seizures;
    # [SNOMEDCT] 84757009 epilepsy, 128613002 seizure disorder (the concept Synthea records).
    # A seizure finding (91175000) is an event, not a disorder: the question stays open.
    *(
        C(
            "SZ-02",
            f"{what} coded, history not asked: "
            + ("warning, not asked again" if disorder else "not a disorder, still asked"),
            {
                "medical_history": {"seizure_disorder": None},
                "co_occurring_conditions": {
                    "seizure_disorder": None,
                    "coded": [{"system": system, "code": code}],
                },
            },
            disorder,
            (
                lambda ev: (
                    alerts(ev)["seizure_history"] == "warning"
                    and "/medical_history/seizure_disorder" not in missing(ev)
                )
            )
            if disorder
            else lambda ev: "/medical_history/seizure_disorder" in missing(ev),
        )
        for what, system, code, disorder in (
            ("epilepsy (G40.909)", "icd10cm", "G40.909", True),
            ("SNOMED CT epilepsy (84757009)", "snomedct", "84757009", True),
            ("SNOMED CT seizure disorder (128613002)", "snomedct", "128613002", True),
            ("SNOMED CT seizure finding (91175000)", "snomedct", "91175000", False),
        )
    ),
    C(
        "SZ-02",
        "seizure history not asked: reported missing",
        {"medical_history": {"withdrawal_seizures": None, "seizure_disorder": None}},
        False,
        lambda ev: (
            {"/medical_history/withdrawal_seizures", "/medical_history/seizure_disorder"}
            <= missing(ev)
        ),
    ),
    # ---- MH-01 C-SSRS high risk [CSSRS][ASAMAWM III.2]
    C(
        "MH-01",
        "Q4 intent fires, emergency",
        {
            "screening": {
                "cssrs": Q2_YES
                | {"thoughts_with_method": True, "intent": True, "plan_with_intent": False}
            }
        },
        True,
        lambda ev: (
            setting(ev) == "emergency_department" and alerts(ev)["suicide_risk_high"] == "critical"
        ),
    ),
    C(
        "MH-01",
        "behaviour in past 3 months fires",
        {
            "screening": {
                "cssrs": {
                    "suicidal_behavior_lifetime": True,
                    "suicidal_behavior_past_3_months": True,
                }
            }
        },
        True,
    ),
    C(
        "MH-01",
        "behaviour with unknown recency fires (conservative)",
        {"screening": {"cssrs": {"suicidal_behavior_lifetime": True}}},
        True,
        lambda ev: "/screening/cssrs/suicidal_behavior_past_3_months" in missing(ev),
    ),
    C(
        "MH-01",
        "behaviour > 3 months ago silent",
        {
            "screening": {
                "cssrs": {
                    "suicidal_behavior_lifetime": True,
                    "suicidal_behavior_past_3_months": False,
                }
            }
        },
        False,
    ),
    C("MH-01", "no risk silent", {}, False),
    C(
        "MH-01",
        "C-SSRS not given: the setting is provisional (suicide risk could need the ED)",
        {"screening": {"cssrs": None}},
        False,
        provisional("suicide risk not screened"),
    ),
    C(
        "MH-01",
        "complete, negative C-SSRS: the setting is determined",
        {},
        False,
        lambda ev: ev.level_of_care.determination.value == "determined",
    ),
    C(
        "MH-01",
        "Q2 yes, Q3-Q5 not asked: the grade is a lower bound, and says so",
        {
            "screening": {
                "cssrs": Q2_YES
                | {"thoughts_with_method": None, "intent": None, "plan_with_intent": None}
            }
        },
        False,
        lambda ev: any(
            m.input == "/screening/cssrs/intent" and "lower bound" in m.reason
            for m in ev.missing_inputs
        ),
    ),
    # ---- MH-02 moderate / incomplete [CSSRS]
    C(
        "MH-02",
        "Q1/Q2 yes only: low risk, info alert and safety plan [CSSRS]",
        {
            "screening": {
                "cssrs": Q2_YES
                | {
                    "thoughts_with_method": False,
                    "intent": False,
                    "plan_with_intent": False,
                    "suicidal_behavior_lifetime": False,
                }
            }
        },
        True,
        lambda ev: (
            alerts(ev)["suicide_risk_low"] == "info" and status(ev, "safety_plan") == "recommended"
        ),
    ),
    C(
        "MH-02",
        "Q3 method fires moderate",
        {
            "screening": {
                "cssrs": Q2_YES
                | {"thoughts_with_method": True, "intent": False, "plan_with_intent": False}
            }
        },
        True,
        lambda ev: (
            alerts(ev)["suicide_risk_moderate"] == "warning"
            and status(ev, "safety_plan") == "recommended"
        ),
    ),
    C(
        "MH-02",
        "Q2 yes without Q3-Q5 fires critical",
        {"screening": {"cssrs": Q2_YES}},
        True,
        sev("cssrs_incomplete", "critical"),
    ),
    C(
        "MH-02",
        "Q2 yes, method/intent/plan not asked: finish it, never 'low' [CSSRS]",
        {
            "screening": {
                "cssrs": {
                    "wish_to_be_dead": True,
                    "suicidal_thoughts": True,
                    "suicidal_behavior_lifetime": False,
                }
            }
        },
        True,
        lambda ev: (
            alerts(ev)["cssrs_incomplete"] == "critical"
            and "suicide_risk_low" not in alerts(ev)
            # The answers given reach at least the low tier: its safety plan stands meanwhile.
            and status(ev, "safety_plan") == "recommended"
        ),
    ),
    C(
        "MH-02",
        "Q1 only: low tier, not silent [CSSRS]",
        {"screening": {"cssrs": {"wish_to_be_dead": True}}},
        True,
        lambda ev: alerts(ev)["suicide_risk_low"] == "info",
    ),
    C(
        "MH-02",
        "no ideation silent",
        {"screening": {"cssrs": {"wish_to_be_dead": False, "suicidal_thoughts": False}}},
        False,
    ),
    # ---- MH-03 PHQ-9 item 9 [PHQ9]
    C(
        "MH-03",
        "item 9 = 1 fires",
        {"screening": {"phq9": {"items": [1, 1, 0, 1, 0, 0, 0, 0, 1]}}},
        True,
    ),
    C("MH-03", "item 9 = 0 silent", {}, False),
    C(
        "MH-03",
        "item 9 = 1 with a negative C-SSRS: says so (no alert to point to)",
        {"screening": {"phq9": {"items": [0, 0, 0, 0, 0, 0, 0, 0, 1]}}},
        True,
        lambda ev: (
            "no suicide risk identified" in _alert_detail(ev, "phq9_item9")
            and "included above" not in _alert_detail(ev, "phq9_item9")
        ),
    ),
    C(
        "MH-03",
        "total only: item 9 reported missing",
        {"screening": {"phq9": {"items": None, "total": 14}}},
        False,
        lambda ev: "/screening/phq9/items" in missing(ev),
    ),
    # ---- MH-04 PHQ-9 / GAD-7 >= 10 [PHQ9][GAD7]
    C(
        "MH-04",
        "PHQ-9 10 fires",
        {"screening": {"phq9": {"items": [2, 2, 1, 1, 1, 1, 1, 1, 0]}}},
        True,
        at("depression_treatment", "recommended"),
    ),
    C(
        "MH-04",
        "PHQ-9 9 silent",
        {"screening": {"phq9": {"items": [2, 2, 1, 1, 1, 1, 1, 0, 0]}}},
        False,
    ),
    C(
        "MH-04",
        "GAD-7 10 fires",
        {"screening": {"gad7": {"items": [2, 2, 2, 1, 1, 1, 1]}}},
        True,
        at("anxiety_treatment", "recommended"),
    ),
    C("MH-04", "GAD-7 9 silent", {"screening": {"gad7": {"items": [2, 2, 1, 1, 1, 1, 1]}}}, False),
    # Coded diagnoses [ICD10CM]: F32-F33 major depressive disorder (remission F32.4/F32.5/
    # F33.4x excluded), F41.1 generalized anxiety disorder.
    C(
        "MH-04",
        "major depression coded (F33.1), flag not recorded, PHQ-9 negative: treated",
        {
            "co_occurring_conditions": {
                "depression": None,
                "coded": [{"system": "icd10cm", "code": "F33.1"}],
            }
        },
        True,
        at("depression_treatment", "recommended"),
    ),
    C(
        "MH-04",
        "depression in full remission coded (F32.5), PHQ-9 negative: current care continued",
        {"co_occurring_conditions": {"coded": [{"system": "icd10cm", "code": "F32.5"}]}},
        True,
        lambda ev: (
            status(ev, "depression_treatment") == "recommended"
            and "remission" in detail(ev, "depression_treatment")
        ),
    ),
    C(
        "MH-04",
        "recurrent depression in partial remission (F33.41) and a positive PHQ-9: treated",
        {
            "co_occurring_conditions": {"coded": [{"system": "icd10cm", "code": "F33.41"}]},
            "screening": {"phq9": {"items": [2, 2, 2, 2, 2, 0, 0, 0, 0]}},
        },
        True,
        lambda ev: (
            "PHQ-9 10" in detail(ev, "depression_treatment")
            and "Continue care" not in detail(ev, "depression_treatment")
        ),
    ),
    C(
        "MH-04",
        "a code outside the categories read (F34.0 cyclothymia): silent",
        {"co_occurring_conditions": {"coded": [{"system": "icd10cm", "code": "F34.0"}]}},
        False,
        lambda ev: status(ev, "depression_treatment") is None,
    ),
    C(
        "MH-04",
        "generalized anxiety disorder coded (F41.1): treated",
        {"co_occurring_conditions": {"coded": [{"system": "icd10cm", "code": "F41.1"}]}},
        True,
        at("anxiety_treatment", "recommended"),
    ),
    # ---- MH-05 PCL-5 >= 31 or trauma [PCL5][SAMHSA14]
    C(
        "MH-05",
        "PCL-5 31 fires",
        {"screening": {"pcl5": {"total": 31}}},
        True,
        at("trauma_focused_therapy", "recommended"),
    ),
    C("MH-05", "PCL-5 30 silent", {"screening": {"pcl5": {"total": 30}}}, False),
    # The cluster rule [PCL5]: items >= 2 with >= 1 of B (1-5), >= 1 of C (6-7), >= 2 of D
    # (8-14), >= 2 of E (15-20): provisional PTSD even at a total of 12.
    C(
        "MH-05",
        "PCL-5 12, items meeting every DSM-5 cluster: fires",
        {
            "screening": {
                "pcl5": {
                    "total": 12,
                    "items": [2, 0, 0, 0, 0, 2, 0, 2, 2, *[0] * 5, 2, 2, *[0] * 4],
                }
            }
        },
        True,
        lambda ev: "DSM-5 symptom clusters" in detail(ev, "trauma_focused_therapy"),
    ),
    C(
        "MH-05",
        "PCL-5 12, E cluster short by one item: silent",
        {
            "screening": {
                "pcl5": {
                    "total": 11,
                    "items": [2, 0, 0, 0, 0, 2, 0, 2, 2, *[0] * 5, 2, 1, *[0] * 4],
                }
            }
        },
        False,
    ),
    C("MH-05", "trauma history fires", {"social": {"trauma_history": True}}, True),
    C(
        "MH-05",
        "trauma history not asked, PCL-5 negative: trauma history listed missing",
        {"social": {"trauma_history": None}, "screening": {"pcl5": {"total": 10}}},
        False,
        lambda ev: "/social/trauma_history" in missing(ev),
    ),
    C(
        "MH-05",
        "PTSD coded (F43.10) fires",
        {
            "co_occurring_conditions": {
                "ptsd": None,
                "coded": [{"system": "icd10cm", "code": "F43.10"}],
            }
        },
        True,
        at("trauma_focused_therapy", "recommended"),
    ),
    # ---- MH-06 AUDIT-C >= 4 men, >= 3 women [AUDITC]
    C("MH-06", "man 4 fires", {"screening": {"audit_c": {"items": [2, 1, 1]}}}, True),
    C("MH-06", "man 3 silent", {"screening": {"audit_c": {"items": [1, 1, 1]}}}, False),
    C(
        "MH-06",
        "woman 3 fires",
        {"patient": FEMALE, "screening": {"audit_c": {"items": [1, 1, 1]}}},
        True,
    ),
    C(
        "MH-06",
        "woman 2 silent",
        {"patient": FEMALE, "screening": {"audit_c": {"items": [1, 1, 0]}}},
        False,
    ),
    # ---- OD-01 7-OH / extract [FDA7OH]
    C(
        "OD-01",
        "7-OH critical",
        {"use_history": {"product_types": ["concentrated_7oh"]}},
        True,
        sev("overdose_risk_7oh", "critical"),
    ),
    C(
        "OD-01",
        "extract warning",
        {"use_history": {"product_types": ["extract"]}},
        True,
        sev("overdose_risk_extract", "warning"),
    ),
    C(
        "OD-01",
        "extract and an unknown product: warning, and an office setting provisional",
        {"use_history": {"product_types": ["extract", "unknown"]}, "withdrawal": None},
        True,
        lambda ev: (
            sev("overdose_risk_extract", "warning")(ev)
            and "a product recorded unknown" in ev.level_of_care.rationale
        ),
    ),
    C("OD-01", "leaf silent", {}, False),
    # ---- OD-02 opioid co-use [OLSEN19][POST19]
    C(
        "OD-02",
        "fentanyl use fires",
        {"use_history": {"other_substances": ["fentanyl"]}},
        True,
        sev("overdose_risk_opioids", "critical"),
    ),
    C("OD-02", "fentanyl on screen fires", {"urine_drug_screen": {"fentanyl": "positive"}}, True),
    C("OD-02", "none silent", {}, False),
    C(
        "OD-02",
        "buprenorphine on screen, prescribed: treatment, not co-use (silent)",
        {
            "urine_drug_screen": {
                "buprenorphine": "positive",
                "prescribed_analytes": ["buprenorphine"],
            }
        },
        False,
    ),
    C(
        "OD-02",
        "buprenorphine on screen, on buprenorphine treatment: silent",
        {
            "urine_drug_screen": {"buprenorphine": "positive"},
            "use_history": {
                "current_medications": [
                    {"name": "buprenorphine/naloxone 8/2 mg", "classes": ["buprenorphine"]}
                ]
            },
        },
        False,
    ),
    C(
        "OD-02",
        "buprenorphine on screen, not prescribed: fires",
        {"urine_drug_screen": {"buprenorphine": "positive"}},
        True,
    ),
    C(
        "OD-02",
        "oxycodone on screen, prescribed: still co-use (fires)",
        {"urine_drug_screen": {"oxycodone": "positive", "prescribed_analytes": ["oxycodone"]}},
        True,
    ),
    # ---- OD-03 depressants [POST19][BUPLABEL]
    # [FDA-BZD20]: a benzodiazepine taken steadily is not stopped abruptly or cut quickly.
    C(
        "OD-03",
        "alprazolam prescribed: the alert says not to stop it abruptly",
        {
            "use_history": {
                "current_medications": [{"name": "alprazolam 1 mg", "classes": ["benzodiazepine"]}]
            }
        },
        True,
        lambda ev: "do not stop it abruptly" in _alert_detail(ev, "overdose_risk_depressants"),
    ),
    C(
        "SYM-03",
        "anxiety on prescribed clonazepam: avoid starting one, do not stop this one",
        cows(8, anxiety_irritability=2)
        | {
            "use_history": {
                "current_medications": [{"name": "clonazepam", "classes": ["benzodiazepine"]}]
            }
        },
        True,
        lambda ev: (
            status(ev, "benzodiazepine") == "avoid"
            and "do not stop it abruptly" in detail(ev, "benzodiazepine")
        ),
    ),
    C(
        "OD-03",
        "benzodiazepines critical",
        {"use_history": {"other_substances": ["benzodiazepines"]}},
        True,
        sev("overdose_risk_depressants", "critical"),
    ),
    C(
        "OD-03",
        "alcohol warning",
        {"use_history": {"other_substances": ["alcohol"]}},
        True,
        sev("overdose_risk_depressants", "warning"),
    ),
    C("OD-03", "none silent", {}, False),
    # ---- PRG-01 pregnancy [ACOG711][NYSPREG]
    C(
        "PRG-01",
        "pregnant fires",
        {"patient": PREGNANT},
        True,
        lambda ev: (
            alerts(ev)["pregnancy"] == "critical"
            and status(ev, "obstetric_addiction_consult") == "recommended"
        ),
    ),
    C(
        "PRG-01",
        "pregnant, withdrawal only: 4-WM",
        {"patient": PREGNANT, "considering": ["withdrawal_only"]},
        True,
        loc("inpatient_medically_managed"),
    ),
    C(
        "PRG-01",
        "positive test fires",
        {"patient": FEMALE, "labs": {"pregnancy_test": "positive"}},
        True,
    ),
    C("PRG-01", "not pregnant silent", {"patient": FEMALE}, False),
    C(
        "PRG-01",
        "pregnant, lofexidine and clonidine considered: at most consider",
        {"patient": PREGNANT, "considering": ["lofexidine", "clonidine"]},
        True,
        lambda ev: status(ev, "lofexidine") == status(ev, "clonidine") == "consider",
    ),
    # ---- PRG-02 unknown pregnancy status [ACOG711]
    C(
        "PRG-02",
        "female, status unknown fires",
        {"patient": {"sex_at_birth": "female", "pregnancy_status": "unknown"}},
        True,
        at("pregnancy_test", "recommended"),
    ),
    C(
        "PRG-02",
        "female, negative test silent",
        {
            "patient": {"sex_at_birth": "female", "pregnancy_status": "unknown"},
            "labs": {"pregnancy_test": "negative"},
        },
        False,
    ),
    C("PRG-02", "male silent", {}, False),
    C(
        "PRG-02",
        "status unknown, lofexidine considered: at most consider until tested [ACOG711]",
        {
            "patient": {"sex_at_birth": "female", "pregnancy_status": "unknown"},
            "considering": ["lofexidine"],
        },
        True,
        lambda ev: (
            status(ev, "lofexidine") == "consider"
            and "Pregnancy status unknown" in detail(ev, "lofexidine")
        ),
    ),
    C(
        "PRG-02",
        "status unknown with a withdrawal-only plan: the setting is provisional",
        {
            "patient": {"sex_at_birth": "female", "pregnancy_status": "unknown"},
            "considering": ["withdrawal_only"],
        },
        True,
        provisional("pregnancy status unknown with a withdrawal-only plan"),
    ),
    # ---- UDS-01 kratom-specific assay [LABCORP][ARUP]
    C(
        "UDS-01",
        "not tested fires",
        {"urine_drug_screen": {"mitragynine": "not_tested"}},
        True,
        lambda ev: (
            status(ev, "mitragynine_assay") == "recommended"
            and "kratom_not_detected_by_standard_panel" in alerts(ev)
        ),
    ),
    C("UDS-01", "no screen fires", {"urine_drug_screen": None}, True),
    C(
        "UDS-01",
        "immunoassay positive: confirm",
        {"urine_drug_screen": {"mitragynine_method": "immunoassay"}},
        True,
        at("mitragynine_assay", "consider"),
    ),
    C("UDS-01", "LC-MS/MS positive silent", {}, False),
    # ---- UDS-02 unexpected screen [CDC22 rec 10]
    C(
        "UDS-02",
        "screen dated a day after the assessment: listed to check",
        {"urine_drug_screen": {"collected_at": "2026-11-27T14:00:00Z"}},
        False,
        lambda ev: "/urine_drug_screen/collected_at" in missing(ev),
    ),
    C(
        "UDS-02",
        "unreported cocaine fires",
        {"urine_drug_screen": {"cocaine": "positive"}},
        True,
        sev("unexpected_drug_screen", "warning"),
    ),
    C(
        "UDS-02",
        "reported cocaine silent",
        {
            "urine_drug_screen": {"cocaine": "positive"},
            "use_history": {"other_substances": ["cocaine"]},
        },
        False,
    ),
    C(
        "UDS-02",
        "prescribed buprenorphine not detected fires",
        {"urine_drug_screen": {"prescribed_analytes": ["buprenorphine"]}},
        True,
    ),
    # ---- DX-01 DSM-5 >= 2 criteria [DSM5]
    C("DX-01", "1 criterion fires", {"dsm5_criteria_met": ["craving"]}, True),
    C("DX-01", "2 criteria silent", {"dsm5_criteria_met": ["craving", "time_spent"]}, False),
    # ---- DX-02 pharmacological only [SMITH24]
    C(
        "DX-02",
        "tolerance + withdrawal fires",
        {"dsm5_criteria_met": ["tolerance", "withdrawal"]},
        True,
    ),
    C(
        "DX-02",
        "tolerance + craving silent",
        {"dsm5_criteria_met": ["tolerance", "craving"]},
        False,
    ),
    C(
        "DX-02",
        "supervised opioid: excluded, silent",
        {
            "dsm5_criteria_met": ["tolerance", "withdrawal", "craving"],
            "use_history": {"prescribed_opioid_under_supervision": True},
        },
        False,
    ),
    # ---- TX-01 withdrawal only [BCCSU17 rec 6][CDC22 rec 12]
    C(
        "TX-01",
        "withdrawal only fires",
        {"considering": ["withdrawal_only"]},
        True,
        at("withdrawal_only", "avoid"),
    ),
    C("TX-01", "not considered silent", {}, False),
    # Lofexidine and clonidine treat withdrawal symptoms, not the use disorder: considered
    # alone, with no maintenance medication taken, the plan is withdrawal management alone.
    C(
        "TX-01",
        "only lofexidine considered: a plan without maintenance medication, naloxone recommended",
        {"considering": ["lofexidine"]},
        True,
        lambda ev: (
            status(ev, "withdrawal_only") == "avoid"
            and status(ev, "naloxone") == "recommended"
            and "only lofexidine or clonidine"
            in _alert_detail(ev, "withdrawal_only_not_recommended")
        ),
    ),
    C(
        "TX-01",
        "only lofexidine considered, no use disorder (DSM-5 1 criterion): silent",
        {"considering": ["lofexidine"], "dsm5_criteria_met": ["withdrawal"]},
        False,
        lambda ev: status(ev, "withdrawal_only") is None,
    ),
    C(
        "TX-01",
        "pregnant in withdrawal, only clonidine, DSM-5 not assessed: fires (dependence)",
        {"patient": PREGNANT, "considering": ["clonidine"], "dsm5_criteria_met": None},
        True,
        loc("inpatient_medically_managed"),
    ),
    C(
        "TX-01",
        "lofexidine with buprenorphine considered: silent",
        {"considering": ["lofexidine", "buprenorphine"]},
        False,
    ),
    C(
        "TX-01",
        "lofexidine considered on buprenorphine maintenance: silent",
        {
            "considering": ["lofexidine"],
            "use_history": {
                "current_medications": [{"name": "Suboxone", "classes": ["buprenorphine"]}]
            },
        },
        False,
    ),
    C(
        "PRG-01",
        "pregnant, only clonidine considered: 4-WM as a withdrawal-only plan",
        {"patient": PREGNANT, "considering": ["clonidine"]},
        True,
        loc("inpatient_medically_managed"),
    ),
    # ---- LIV-01 R ratio [ACG14], classified at the injury signal levels of LIV-04
    # (ALT > 3x or ALP > 2x ULN [LIVERTOX][HYS-FDA09]); ULNs: ALT 40, ALP 120.
    C(
        "LIV-01",
        "ALT 4x, ALP 1.33x: R 3.0 mixed fires",
        {"labs": {"alt_u_per_l": 160, "alp_u_per_l": 160}},
        True,
        lambda ev: ev.scores.liver.pattern == "mixed" and ev.scores.liver.r_ratio == 3.0,
    ),
    C(
        "LIV-01",
        "ALP 2.5x led (kratom's usual injury): cholestatic fires",
        {"labs": {"alt_u_per_l": 60, "alp_u_per_l": 300}},
        True,
        lambda ev: ev.scores.liver.pattern == "cholestatic",
    ),
    C(
        "LIV-01",
        "ALT 2.5x, ALP 0.83x: below injury levels, R 3.0 not classified",
        {"labs": {"alt_u_per_l": 100, "alp_u_per_l": 100}},
        False,
        lambda ev: ev.scores.liver.pattern is None and ev.scores.liver.band == "elevated",
    ),
    C(
        "LIV-01",
        "ALT 1.2x, ALP 0.8x (the shipped example): no cholestatic label",
        {"labs": {"alt_u_per_l": 48, "alp_u_per_l": 96}},
        False,
        lambda ev: ev.scores.liver.pattern is None,
    ),
    C("LIV-01", "ALT exactly 3x silent (> 3x)", {"labs": {"alt_u_per_l": 120}}, False),
    C("LIV-01", "ALP exactly 2x silent (> 2x)", {"labs": {"alp_u_per_l": 240}}, False),
    C("LIV-01", "normal silent", {}, False),
    # ---- LIV-02 Hy's law ALT >= 3x and bilirubin >= 2x [HYS-FDA09]
    # A value without its laboratory ULN cannot be graded: a Hy's-law range [HYS-FDA09] is not
    # excluded, so the setting is provisional (never read as normal).
    C(
        "LIV-02",
        "ALT graded normal but AST 900 without its ULN, bilirubin 4x: provisional",
        {"labs": {"ast_u_per_l": 900, "ast_uln_u_per_l": None, "total_bilirubin_mg_per_dl": 4.8}},
        False,
        provisional("Hy's-law range cannot be excluded"),
    ),
    C(
        "LIV-02",
        "ALT 200 and bilirubin 4.0 without the bilirubin ULN: provisional, could need ED",
        {
            "labs": {
                "alt_u_per_l": 200,
                "total_bilirubin_mg_per_dl": 4.0,
                "total_bilirubin_uln_mg_per_dl": None,
            }
        },
        False,
        provisional("Hy's-law range cannot be excluded"),
    ),
    # [BILI-REF] adult total bilirubin upper limits 1.0-1.2 mg/dL: a bilirubin below 1.0 is
    # under 2x any limit of 0.5 or more, so no ULN is needed to exclude Hy's law.
    C(
        "LIV-02",
        "ALT 200, bilirubin 0.9 without ULNs (Synthea-style labs): not held provisional",
        {
            "labs": {
                "alt_u_per_l": 200,
                "alt_uln_u_per_l": None,
                "total_bilirubin_mg_per_dl": 0.9,
                "total_bilirubin_uln_mg_per_dl": None,
            }
        },
        False,
        lambda ev: "Hy's-law range cannot be excluded" not in ev.level_of_care.rationale,
    ),
    C(
        "LIV-02",
        "bilirubin 0.9 below 1.0 but its own ULN 0.4 sent (2.25x), ALT ungraded: provisional",
        {
            "labs": {
                "alt_u_per_l": 500,
                "alt_uln_u_per_l": None,
                "total_bilirubin_mg_per_dl": 0.9,
                "total_bilirubin_uln_mg_per_dl": 0.4,
            }
        },
        False,
        provisional("Hy's-law range cannot be excluded"),
    ),
    C(
        "LIV-02",
        "bilirubin 0.9 without ULN: LIV-02 does not ask for the bilirubin ULN",
        {
            "labs": {
                "alt_u_per_l": 200,
                "alt_uln_u_per_l": None,
                "ast_u_per_l": None,
                "total_bilirubin_mg_per_dl": 0.9,
                "total_bilirubin_uln_mg_per_dl": None,
            }
        },
        False,
        lambda ev: (
            not any(
                "LIV-02" in m.rule_ids
                for m in ev.missing_inputs
                if m.input.startswith("/labs/total_bilirubin")
            )
        ),
    ),
    C(
        "LIV-02",
        "ALT 200, bilirubin 1.0 without ULNs: still provisional",
        {
            "labs": {
                "alt_u_per_l": 200,
                "alt_uln_u_per_l": None,
                "total_bilirubin_mg_per_dl": 1.0,
                "total_bilirubin_uln_mg_per_dl": None,
            }
        },
        False,
        provisional("Hy's-law range cannot be excluded"),
    ),
    C(
        "LIV-02",
        "bilirubin without ULN but ALT graded below 3x: not held provisional for it",
        {
            "labs": {
                "alt_u_per_l": 60,
                "total_bilirubin_mg_per_dl": 4.0,
                "total_bilirubin_uln_mg_per_dl": None,
            }
        },
        False,
        lambda ev: "Hy's-law range cannot be excluded" not in ev.level_of_care.rationale,
    ),
    C(
        "LIV-02",
        "3x and 2x fires, emergency",
        {"labs": {"alt_u_per_l": 120, "total_bilirubin_mg_per_dl": 2.4}},
        True,
        loc("emergency_department"),
    ),
    C(
        "LIV-02",
        "ALT 2.975x silent",
        {"labs": {"alt_u_per_l": 119, "total_bilirubin_mg_per_dl": 2.4}},
        False,
    ),
    C(
        "LIV-02",
        "bilirubin 1.92x silent",
        {"labs": {"alt_u_per_l": 120, "total_bilirubin_mg_per_dl": 2.3}},
        False,
    ),
    # ---- LIV-03 INR >= 1.5 [HYS-FDA09 DILIN grades]
    C("LIV-03", "INR 1.5 fires", {"labs": {"inr": 1.5}}, True, loc("emergency_department")),
    C("LIV-03", "INR 1.4 silent", {"labs": {"inr": 1.4}}, False),
    # With abnormal liver tests, an unrecorded INR or symptoms cannot rule liver failure out.
    C(
        "LIV-03",
        "ALT 2x, INR not recorded: provisional, INR asked",
        {"labs": {"alt_u_per_l": 80, "inr": None}},
        False,
        lambda ev: (
            provisional("abnormal liver tests without an INR")(ev) and "/labs/inr" in missing(ev)
        ),
    ),
    C(
        "LIV-03",
        "ALT 2x, symptoms not asked: provisional, symptoms asked",
        {"labs": {"alt_u_per_l": 80}, "medical_history": {"liver_injury_symptoms": None}},
        False,
        lambda ev: (
            provisional("jaundice, dark urine or pruritus not asked")(ev)
            and "/medical_history/liver_injury_symptoms" in missing(ev)
        ),
    ),
    C(
        "LIV-03",
        "normal liver tests, INR not recorded: no liver-failure question",
        {"labs": {"inr": None}},
        False,
        lambda ev: "without an INR" not in ev.level_of_care.rationale,
    ),
    C(
        "LIV-05",
        "symptoms not asked, no liver tests: listed missing",
        {"medical_history": {"liver_injury_symptoms": None}, "labs": None},
        False,
        lambda ev: "/medical_history/liver_injury_symptoms" in missing(ev),
    ),
    C(
        "LIV-05",
        "symptoms not asked, liver tests normal: not asked for (nothing would change)",
        {"medical_history": {"liver_injury_symptoms": None}},
        False,
        lambda ev: "/medical_history/liver_injury_symptoms" not in missing(ev),
    ),
    C(
        "LIV-03",
        "raised ALT with confusion fires",
        {"labs": {"alt_u_per_l": 80}, "vitals": {"consciousness": "new_confusion"}},
        True,
    ),
    # Clinical reference red flags: jaundice/dark urine/pruritus with abnormal LFTs -> liver
    # emergency pathway [LIVERTOX].
    C(
        "LIV-03",
        "jaundice with cholestatic labs fires, buprenorphine deferred",
        {
            "labs": {"alt_u_per_l": 80, "alp_u_per_l": 480, "total_bilirubin_mg_per_dl": 12.0},
            "medical_history": {"liver_injury_symptoms": True},
            "considering": ["buprenorphine"],
        },
        True,
        lambda ev: (
            setting(ev) == "emergency_department"
            and alerts(ev)["acute_liver_failure"] == "critical"
            and status(ev, "buprenorphine") != "recommended"
        ),
    ),
    C(
        "LIV-03",
        "symptoms with normal liver tests silent",
        {"medical_history": {"liver_injury_symptoms": True}},
        False,
    ),
    # ---- LIV-04 ALT > 3x or ALP > 2x [LIVERTOX]
    C(
        "LIV-04",
        "ALT 3.02x fires",
        {"labs": {"alt_u_per_l": 121}},
        True,
        at("liver_panel_repeat", "recommended"),
    ),
    C("LIV-04", "ALT 3.0x silent", {"labs": {"alt_u_per_l": 120}}, False),
    C("LIV-04", "ALP 2.01x fires", {"labs": {"alp_u_per_l": 241}}, True),
    C("LIV-04", "ALP 2.0x silent", {"labs": {"alp_u_per_l": 240}}, False),
    C(
        "LIV-04",
        "ALT 3.005x (shown 3.0) fires: thresholds compare unrounded ratios",
        {"labs": {"alt_u_per_l": 120.2}},
        True,
        lambda ev: (
            status(ev, "liver_panel_repeat") == "recommended"
            and "ALT 3.005x ULN" in _alert_detail(ev, "liver_injury")
        ),
    ),
    C(
        "LIV-04",
        "ALP 2.004x (shown 2.0) fires",
        {"labs": {"alp_u_per_l": 240.96}},
        True,
        at("liver_panel_repeat", "recommended"),
    ),
    # ---- LIV-05 symptoms without tests [LIVERTOX]
    C(
        "LIV-05",
        "symptoms, no labs fires",
        {"medical_history": {"liver_injury_symptoms": True}, "labs": None},
        True,
    ),
    C(
        "LIV-05",
        "symptoms with labs silent",
        {"medical_history": {"liver_injury_symptoms": True}},
        False,
    ),
    # ---- QT-01 QTc >= 450 men, >= 460 women, >= 500 [RAUTAHARJU09][KRANTZ09]
    C(
        "QT-01",
        "man 450 warning",
        {"labs": {"qtc_ms": 450}, "considering": []},
        True,
        sev("qtc_prolongation", "warning"),
    ),
    C("QT-01", "man 449 silent", {"labs": {"qtc_ms": 449}}, False),
    C(
        "QT-01",
        "470 on methadone maintenance: discuss and monitor, not avoid [KRANTZ09]",
        {
            "labs": {"qtc_ms": 470},
            "use_history": {
                "current_medications": [
                    {"name": "methadone 80 mg", "classes": ["methadone", "qt_prolonging"]}
                ]
            },
        },
        True,
        lambda ev: (
            status(ev, "methadone") != "avoid"
            and status(ev, "lofexidine") == "avoid"
            and "monitor" in next(a.detail for a in ev.alerts if a.code == "qtc_prolongation")
        ),
    ),
    C(
        "QT-01",
        "510 on methadone: avoid (reduce or switch above 500 ms) [KRANTZ09]",
        {
            "labs": {"qtc_ms": 510},
            "use_history": {
                "current_medications": [
                    {"name": "methadone 80 mg", "classes": ["methadone", "qt_prolonging"]}
                ]
            },
        },
        True,
        at("methadone", "avoid"),
    ),
    C("QT-01", "woman 460 fires", {"patient": FEMALE, "labs": {"qtc_ms": 460}}, True),
    C("QT-01", "woman 459 silent", {"patient": FEMALE, "labs": {"qtc_ms": 459}}, False),
    C(
        "QT-01",
        "450 with lofexidine considered is critical against other QT drugs, not lofexidine",
        {"labs": {"qtc_ms": 450}, "considering": ["lofexidine"]},
        True,
        lambda ev: (
            alerts(ev)["qtc_prolongation"] == "critical"
            and "lofexidine" not in _advises(ev, "qtc_prolongation")
            and "ondansetron" in _advises(ev, "qtc_prolongation")
            and status(ev, "lofexidine") == "consider"
        ),
    ),
    C(
        "QT-01",
        "470 with methadone considered: methadone discussed and monitored, not avoided [KRANTZ09]",
        {"labs": {"qtc_ms": 470}, "considering": ["methadone"]},
        True,
        lambda ev: (
            status(ev, "methadone") == "consider"
            and "methadone" not in _advises(ev, "qtc_prolongation")
            and "discuss" in detail(ev, "methadone")
        ),
    ),
    C(
        "QT-01",
        "470 with lofexidine and methadone both considered: each advised against (they stack)",
        {"labs": {"qtc_ms": 470}, "considering": ["lofexidine", "methadone"]},
        True,
        lambda ev: {"lofexidine", "methadone"} <= set(_advises(ev, "qtc_prolongation")),
    ),
    C(
        "QT-01",
        "470 with Lucemyra taken (no class tagged): critical, other QT drugs avoided",
        cows(8, gi_upset=1)
        | {
            "labs": {"qtc_ms": 470},
            "use_history": {"current_medications": [{"name": "Lucemyra 0.18 mg", "classes": []}]},
        },
        True,
        lambda ev: (
            alerts(ev)["qtc_prolongation"] == "critical"
            and status(ev, "ondansetron") == "avoid"
            and "lofexidine" not in _advises(ev, "qtc_prolongation")
        ),
    ),
    C(
        "QT-01",
        "500 critical, 4-WM",
        {"labs": {"qtc_ms": 500}},
        True,
        lambda ev: (
            alerts(ev)["qtc_prolongation"] == "critical"
            and setting(ev) == "inpatient_medically_managed"
        ),
    ),
    C(
        "QT-01",
        "congenital long QT critical",
        {"medical_history": {"congenital_long_qt": True}},
        True,
        sev("qtc_prolongation", "critical"),
    ),
    # ---- LAB-01 baseline tests [BUPLABEL][LUCEMYRA-PI]
    C(
        "LAB-01",
        "results dated 2 days after the assessment: listed to check",
        {"labs": {"collected_at": "2026-11-28T14:00:00Z"}},
        False,
        lambda ev: "/labs/collected_at" in missing(ev),
    ),
    C(
        "LAB-01",
        "no labs fires",
        {"labs": None},
        True,
        lambda ev: all(
            status(ev, c) == "recommended" for c in ("liver_panel", "ecg", "electrolytes")
        ),
    ),
    C(
        "LAB-01",
        "labs 31 days old fires",
        {"labs": {"collected_at": "2026-10-26T13:45:00Z"}},
        True,
        at("liver_panel", "recommended"),
    ),
    C(
        "LAB-01",
        "ALT 900 and AST 700 without limits: a warning, both limits missing [HYS]",
        {
            "labs": {
                "alt_u_per_l": 900,
                "alt_uln_u_per_l": None,
                "ast_u_per_l": 700,
                "ast_uln_u_per_l": None,
            }
        },
        True,
        lambda ev: (
            alerts(ev)["liver_tests_ungraded"] == "warning"
            and {"/labs/alt_uln_u_per_l", "/labs/ast_uln_u_per_l"} <= missing(ev)
            and "ALT 900 U/L"
            in next(a.detail for a in ev.alerts if a.code == "liver_tests_ungraded")
        ),
    ),
    C(
        "LAB-01",
        "undated liver tests: the date is what is missing",
        {"labs": {"collected_at": None}},
        True,
        lambda ev: "/labs/collected_at" in missing(ev) and "undated" in detail(ev, "liver_panel"),
    ),
    C(
        "LAB-01",
        "old labs without ALT: no ALT, not 'N days old'",
        {"labs": {"collected_at": "2026-10-01T13:45:00Z", "alt_u_per_l": None}},
        True,
        lambda ev: detail(ev, "liver_panel").startswith("No ALT"),
    ),
    C(
        "LAB-01",
        "labs 30 days old silent",
        {"labs": {"collected_at": "2026-10-27T14:30:00Z"}},
        False,
    ),
    C(
        "LAB-01",
        "ALT without its upper limit of normal: the limit is what is missing",
        {"labs": {"alt_uln_u_per_l": None}},
        True,
        lambda ev: (
            "/labs/alt_uln_u_per_l" in missing(ev)
            and "/labs/alt_u_per_l" not in missing(ev)
            and "upper limit of normal" in detail(ev, "liver_panel")
        ),
    ),
    C(
        "LAB-01",
        "no ALT: ALT missing",
        {"labs": {"alt_u_per_l": None}},
        True,
        lambda ev: "/labs/alt_u_per_l" in missing(ev) and "No ALT" in detail(ev, "liver_panel"),
    ),
    C(
        "LAB-01",
        "potassium given, magnesium not: only magnesium missing",
        {"labs": {"magnesium_mmol_per_l": None}},
        True,
        lambda ev: (
            "/labs/magnesium_mmol_per_l" in missing(ev)
            and "/labs/potassium_mmol_per_l" not in missing(ev)
            and status(ev, "electrolytes") == "recommended"
        ),
    ),
    # ---- LOC-01 COWS >= 25 [ASAM3][COWS]
    C("LOC-01", "COWS 25 fires, 3.7-WM", cows(25), True, loc("inpatient_medically_monitored")),
    C("LOC-01", "COWS 24 silent", cows(24), False),
    # ---- LOC-02 complicated / failed withdrawal [ASAM3][GALBIS16]
    C(
        "LOC-02",
        "complicated withdrawal fires",
        {"medical_history": {"complicated_withdrawal": True}},
        True,
        loc("inpatient_medically_monitored"),
    ),
    C(
        "LOC-02",
        "failed outpatient fires",
        {"medical_history": {"failed_outpatient_withdrawal_management": True}},
        True,
    ),
    C("LOC-02", "neither silent", {}, False),
    C(
        "LOC-02",
        "severe dehydration in a previous withdrawal fires (a complication)",
        {"use_history": {"prior_withdrawal_complications": ["severe_dehydration"]}},
        True,
        lambda ev: (
            setting(ev) == "inpatient_medically_monitored"
            and "severe dehydration" in ev.level_of_care.rationale
        ),
    ),
    C(
        "LOC-02",
        "a seizure and other complications named in a sentence",
        {"use_history": {"prior_withdrawal_complications": ["other", "seizure"]}},
        True,
        lambda ev: "complicated by a seizure and other complications" in ev.level_of_care.rationale,
    ),
    C(
        "LOC-02",
        "delirium in a previous withdrawal fires",
        {"use_history": {"prior_withdrawal_complications": ["delirium"]}},
        True,
        loc("inpatient_medically_monitored"),
    ),
    C(
        "LOC-02",
        "a recorded complication fires without a medical history",
        {
            "medical_history": None,
            "use_history": {"prior_withdrawal_complications": ["other"]},
        },
        True,
        lambda ev: "LOC-02" in ev.level_of_care.rule_ids and "/medical_history" in missing(ev),
    ),
    C(
        "LOC-02",
        "complicated withdrawal not recorded, outpatient: provisional",
        {"medical_history": {"complicated_withdrawal": None}},
        False,
        provisional("a complicated previous withdrawal: not recorded"),
    ),
    C(
        "LOC-02",
        "complicated withdrawal not recorded, already 3.7-WM (COWS 26): not provisional for it",
        {"medical_history": {"complicated_withdrawal": None}, **cows(26)},
        False,
        lambda ev: ev.level_of_care.determination.value == "determined",
    ),
    C(
        "LOC-02",
        "withdrawal history not asked: reported missing",
        {
            "medical_history": {
                "complicated_withdrawal": None,
                "failed_outpatient_withdrawal_management": None,
            }
        },
        False,
        lambda ev: (
            {
                "/medical_history/complicated_withdrawal",
                "/medical_history/failed_outpatient_withdrawal_management",
            }
            <= missing(ev)
        ),
    ),
    # ---- LOC-03 alcohol / sedative use disorder [ASAMAWM]
    C(
        "LOC-03",
        "coded F10.20 (alcohol use disorder, moderate/severe): 3.7-WM [ICD][ASAMAWM]",
        {
            "co_occurring_conditions": {
                "alcohol_use_disorder": None,
                "coded": [{"system": "icd10cm", "code": "F10.20"}],
            }
        },
        True,
        loc("inpatient_medically_monitored"),
    ),
    C(
        "LOC-03",
        "coded F10.21 (in remission): silent",
        {
            "co_occurring_conditions": {
                "alcohol_use_disorder": None,
                "coded": [{"system": "icd10cm", "code": "F10.21"}],
            }
        },
        False,
    ),
    C(
        "LOC-03",
        "coded SNOMED 66590003 (alcohol dependence): fires",
        {
            "co_occurring_conditions": {
                "alcohol_use_disorder": None,
                "coded": [{"system": "snomedct", "code": "66590003"}],
            }
        },
        True,
    ),
    C(
        "LOC-03",
        "benzodiazepine and alcohol use, disorders not recorded: both listed missing",
        {
            "use_history": {"other_substances": ["benzodiazepines", "alcohol"]},
            "co_occurring_conditions": {
                "alcohol_use_disorder": None,
                "sedative_use_disorder": None,
            },
        },
        False,
        lambda ev: (
            {
                "/co_occurring_conditions/alcohol_use_disorder",
                "/co_occurring_conditions/sedative_use_disorder",
            }
            <= missing(ev)
        ),
    ),
    C(
        "LOC-03",
        "alcohol use disorder fires",
        {"co_occurring_conditions": {"alcohol_use_disorder": True}},
        True,
        loc("inpatient_medically_monitored"),
    ),
    C("LOC-03", "none silent", {}, False),
    C(
        "LOC-03",
        "alcohol use reported, disorder not recorded: provisional",
        {
            "use_history": {"other_substances": ["alcohol"]},
            "co_occurring_conditions": {"alcohol_use_disorder": None},
        },
        False,
        provisional("alcohol use disorder not recorded although use is reported"),
    ),
    # ---- LOC-04 COWS 13-24 [ASAM3]
    C(
        "LOC-04",
        "COWS 13 with support: 2-WM",
        cows(13),
        True,
        loc("outpatient_extended_monitoring"),
    ),
    C(
        "LOC-04",
        "COWS 13 homeless: 3.2-WM",
        cows(13) | {"social": {"housing": "homeless"}},
        True,
        loc("residential_clinically_managed"),
    ),
    C("LOC-04", "COWS 24 fires", cows(24), True),
    C("LOC-04", "COWS 12 silent", cows(12), False),
    C("LOC-04", "COWS 25 silent", cows(25), False),
    # ---- LOC-05 COWS <= 12 [ASAM3]
    C("LOC-05", "COWS 12 with support: 1-WM", cows(12), True, loc("outpatient")),
    # A low COWS with a high SOWS is plausible in kratom withdrawal (clinical reference 2.3):
    # the rationale must not say "no active withdrawal".
    C(
        "LOC-05",
        "COWS 3 with SOWS 64 of 64: subjective withdrawal named, not 'no active withdrawal'",
        {
            "withdrawal": {
                "cows": cows_items(3),
                "sows": {"version": "handelsman_16", "items": [4] * 16},
            }
        },
        True,
        lambda ev: (
            "SOWS 64 of 64" in ev.level_of_care.rationale
            and "no active withdrawal" not in ev.level_of_care.rationale
        ),
    ),
    C(
        "LOC-05",
        "COWS 4 without support: 2-WM",
        cows(4) | {"social": {"support_person_available": False}},
        True,
        loc("outpatient_extended_monitoring"),
    ),
    C("LOC-05", "COWS 13 silent", cows(13), False),
    # ---- BUP-01 indication [SMITH24][BROYAN22]
    C(
        "BUP-01",
        "4 criteria: recommended",
        {"dsm5_criteria_met": ["craving", "tolerance", "withdrawal", "time_spent"]},
        True,
        at("buprenorphine", "recommended"),
    ),
    C(
        "BUP-01",
        "3 criteria (mild): consider",
        {"dsm5_criteria_met": ["craving", "tolerance", "withdrawal"]},
        False,
        at("buprenorphine", "consider"),
    ),
    C(
        "BUP-01",
        "3 criteria (mild) on buprenorphine maintenance (relapse): recommended, continue",
        {
            "dsm5_criteria_met": ["craving", "larger_amounts_or_longer", "unsuccessful_cut_down"],
            "use_history": {
                "current_medications": [{"name": "Subutex 16 mg", "classes": ["buprenorphine"]}]
            },
        },
        True,
        lambda ev: (
            status(ev, "buprenorphine") == "recommended"
            and "continue it and adjust the dose" in detail(ev, "buprenorphine")
        ),
    ),
    C(
        "BUP-01",
        "declines medication: consider",
        {"social": {"preferences": {"declines_medication": True}}},
        False,
        at("buprenorphine", "consider"),
    ),
    # [BUPLABEL] section 8.6: Child-Pugh C halves the starting and titration doses.
    C(
        "BUP-01",
        "Child-Pugh C: the dose hint is halved",
        {
            "use_history": {"grams_per_day": 15},
            "medical_history": {"hepatic_impairment_child_pugh": "C"},
        },
        True,
        lambda ev: (
            "2-4 mg/day (half doses: Child-Pugh C)" in detail(ev, "buprenorphine")
            and "4-8 mg/day (half" in detail(ev, "buprenorphine")
        ),
    ),
    C(
        "BUP-01",
        "already taking buprenorphine: no starting-range hint",
        {
            "use_history": {
                "grams_per_day": 15,
                "current_medications": [{"name": "Subutex 16 mg", "classes": ["buprenorphine"]}],
            }
        },
        True,
        lambda ev: "Starting-range" not in detail(ev, "buprenorphine"),
    ),
    # [BEERS23]: first-generation antihistamines are avoided from 65.
    C(
        "SYM-03",
        "age 65 with withdrawal anxiety: hydroxyzine avoided (Beers)",
        cows(8, anxiety_irritability=2) | {"patient": {"age_years": 65}},
        True,
        lambda ev: status(ev, "hydroxyzine") == "avoid" and "Beers" in detail(ev, "hydroxyzine"),
    ),
    C(
        "SYM-03",
        "age 64 with withdrawal anxiety: hydroxyzine consider",
        cows(8, anxiety_irritability=2) | {"patient": {"age_years": 64}},
        True,
        at("hydroxyzine", "consider"),
    ),
    # ---- BUP-02 induction timing: COWS >= 8, >= 8 h [ACEP-BUPE][LEI21]
    # A product not recorded could be a 7-OH concentrate: its 12 h wait [BUPLABEL] applies.
    C(
        "BUP-02",
        "other substances never asked, last other opioid 8,000 h ago: no gap",
        {
            "withdrawal": {"hours_since_last_other_opioid_use": 8000},
            "use_history": {"other_substances": None},
        },
        False,
        at("buprenorphine", "recommended"),
    ),
    C(
        "BUP-02",
        "prescribed oxycodone 14 h ago, other substances never asked: timing unconfirmed",
        {
            "withdrawal": {"hours_since_last_other_opioid_use": 14},
            "use_history": {
                "other_substances": None,
                "current_medications": [{"name": "oxycodone 5 mg", "classes": ["opioid_agonist"]}],
            },
        },
        True,
        lambda ev: (
            status(ev, "buprenorphine") == "consider"
            and "/use_history/other_substances" in missing(ev)
        ),
    ),
    C(
        "BUP-02",
        "10 h, COWS 10, product not recorded: deferred as for 7-OH",
        {
            **cows(10),
            "withdrawal": {"hours_since_last_kratom_use": 10},
            "use_history": {"product_types": []},
        },
        True,
        lambda ev: (
            status(ev, "buprenorphine") == "consider"
            and "as for 7-OH" in detail(ev, "buprenorphine")
            and "/use_history/product_types" in missing(ev)
        ),
    ),
    C(
        "BUP-02",
        "10 h, COWS 10, extract and an unknown product: deferred as for 7-OH",
        {
            **cows(10),
            "withdrawal": {"hours_since_last_kratom_use": 10},
            "use_history": {"product_types": ["extract", "unknown"]},
        },
        True,
        lambda ev: (
            status(ev, "buprenorphine") == "consider"
            and "as for 7-OH" in detail(ev, "buprenorphine")
        ),
    ),
    C(
        "BUP-02",
        "12 h, COWS 10, product not recorded: induction criteria met",
        {
            **cows(10),
            "withdrawal": {"hours_since_last_kratom_use": 12},
            "use_history": {"product_types": []},
        },
        False,
        lambda ev: "Induction criteria met" in detail(ev, "buprenorphine"),
    ),
    C(
        "BUP-02",
        "Child-Pugh C: first dose 1-2 mg",
        {**cows(14), "medical_history": {"hepatic_impairment_child_pugh": "C"}},
        False,
        lambda ev: (
            "first dose 1-2 mg (half doses: Child-Pugh C)" in detail(ev, "buprenorphine")
            and "2-4 mg," not in detail(ev, "buprenorphine")
        ),
    ),
    C(
        "BUP-02",
        "COWS dated a day after the assessment: listed to check before induction",
        {"withdrawal": {"assessed_at": "2026-11-27T14:00:00Z"}},
        False,
        lambda ev: "/withdrawal/assessed_at" in missing(ev),
    ),
    C(
        "BUP-02",
        "COWS 7 defers",
        cows(7),
        True,
        lambda ev: (
            status(ev, "buprenorphine") == "consider"
            and "precipitated_withdrawal_risk" in alerts(ev)
        ),
    ),
    C("BUP-02", "COWS 8 silent", cows(8), False, at("buprenorphine", "recommended")),
    C(
        "BUP-02",
        "already on buprenorphine: no induction timing, no precipitated-withdrawal alert",
        cows(3)
        | {
            "use_history": {
                "current_medications": [
                    {"name": "buprenorphine 16 mg", "classes": ["buprenorphine"]}
                ]
            }
        },
        False,
        lambda ev: (
            "precipitated_withdrawal_risk" not in alerts(ev)
            and "Already taking buprenorphine" in detail(ev, "buprenorphine")
        ),
    ),
    C(
        "BUP-02",
        "prescribed methadone 6 h ago: defer (72 h) [BUPLABEL][ACEP-BUPE]",
        {
            "withdrawal": {
                "cows": cows_items(14),
                "hours_since_last_kratom_use": 10,
                "hours_since_last_other_opioid_use": 6,
            },
            "use_history": {
                "current_medications": [{"name": "methadone 80 mg", "classes": ["methadone"]}]
            },
        },
        True,
        lambda ev: (
            status(ev, "buprenorphine") == "consider"
            and "precipitated_withdrawal_risk" in alerts(ev)
        ),
    ),
    C(
        "BUP-02",
        "other opioid use never asked: timing unconfirmed, at most consider",
        {"use_history": {"other_substances": None}, "urine_drug_screen": None},
        True,
        lambda ev: (
            status(ev, "buprenorphine") == "consider"
            and "/use_history/other_substances" in missing(ev)
        ),
    ),
    C(
        "BUP-02",
        "7.5 h since kratom defers",
        {"withdrawal": {"hours_since_last_kratom_use": 7.5}},
        True,
    ),
    C("BUP-02", "8 h silent", {"withdrawal": {"hours_since_last_kratom_use": 8}}, False),
    C(
        "BUP-02",
        "7-OH 10 h defers (12 h)",
        {
            "use_history": {"product_types": ["concentrated_7oh"]},
            "withdrawal": {"hours_since_last_kratom_use": 10},
        },
        True,
    ),
    C(
        "BUP-02",
        "after methadone COWS 12 defers (13)",
        {
            "use_history": {"other_substances": ["methadone"]},
            "withdrawal": {"cows": cows_items(12), "hours_since_last_other_opioid_use": 96},
        },
        True,
    ),
    C(
        "BUP-02",
        "after methadone COWS 13 at 72 h silent",
        {
            "use_history": {"other_substances": ["methadone"]},
            "withdrawal": {"cows": cows_items(13), "hours_since_last_other_opioid_use": 72},
        },
        False,
    ),
    C(
        "BUP-02",
        "no COWS caps at consider",
        {"withdrawal": {"cows": None}},
        True,
        at("buprenorphine", "consider"),
    ),
    # ---- BUP-03 CNS depressants [BUPLABEL][FDADSC17]
    C(
        "BUP-03",
        "benzodiazepines fire, not withheld",
        {"use_history": {"other_substances": ["benzodiazepines"]}},
        True,
        lambda ev: (
            "respiratory_depression_risk" in alerts(ev)
            and status(ev, "buprenorphine") == "recommended"
        ),
    ),
    C("BUP-03", "none silent", {}, False),
    # ---- BUP-04 hepatic impairment [BUPLABEL 8.6]
    # Child-Pugh C halves the doses and rules out the combination product [BUPLABEL]: not
    # recorded, the product and dose cannot be chosen, so at most consider.
    C(
        "BUP-04",
        "Child-Pugh not recorded, liver disease not asked: consider, listed missing",
        {
            "medical_history": {"hepatic_impairment_child_pugh": None},
            "co_occurring_conditions": {"liver_disease": None},
        },
        True,
        lambda ev: (
            status(ev, "buprenorphine") == "consider"
            and "/medical_history/hepatic_impairment_child_pugh" in missing(ev)
        ),
    ),
    C(
        "BUP-04",
        "Child-Pugh not recorded, chronic liver disease recorded absent: no class applies",
        {"medical_history": {"hepatic_impairment_child_pugh": None}},
        False,
        lambda ev: (
            status(ev, "buprenorphine") == "recommended"
            and not any(
                m.input == "/medical_history/hepatic_impairment_child_pugh"
                and "BUP-04" in m.rule_ids
                for m in ev.missing_inputs
            )
        ),
    ),
    C(
        "BUP-04",
        "Child-Pugh not recorded with cirrhosis coded (K74.60): consider",
        {"medical_history": {"hepatic_impairment_child_pugh": None}} | coded("K74.60"),
        True,
        at("buprenorphine", "consider"),
    ),
    C(
        "BUP-04",
        "Child-Pugh C critical",
        {"medical_history": {"hepatic_impairment_child_pugh": "C"}},
        True,
        lambda ev: (
            alerts(ev)["hepatic_impairment_buprenorphine"] == "critical"
            and status(ev, "buprenorphine") == "consider"
        ),
    ),
    C(
        "BUP-04",
        "Child-Pugh B warning",
        {"medical_history": {"hepatic_impairment_child_pugh": "B"}},
        True,
        sev("hepatic_impairment_buprenorphine", "warning"),
    ),
    C(
        "BUP-04",
        "Child-Pugh A silent",
        {"medical_history": {"hepatic_impairment_child_pugh": "A"}},
        False,
    ),
    # Liver injury at LIV-04's levels (ALT > 3x or ALP > 2x ULN) [LIVERTOX][HYS-FDA09].
    C(
        "BUP-04",
        "ALT 3.5x: consider, liver tests",
        {"labs": {"alt_u_per_l": 140}},
        True,
        lambda ev: (
            status(ev, "buprenorphine") == "consider"
            and "monitor liver tests closely" in detail(ev, "buprenorphine")
        ),
    ),
    C(
        "BUP-04",
        "ALP 2.5x (cholestatic, ALT 1.5x): consider",
        {"labs": {"alt_u_per_l": 60, "alp_u_per_l": 300}},
        True,
        at("buprenorphine", "consider"),
    ),
    C(
        "BUP-04",
        "ALT 3x and ALP 2x exactly: silent",
        {"labs": {"alt_u_per_l": 120, "alp_u_per_l": 240}},
        False,
        at("buprenorphine", "recommended"),
    ),
    # ---- NAL-01 naloxone [CDC22 rec 8]
    # [VIVITROL-PI] 5.1: vulnerability to opioid overdose on naltrexone (lost tolerance).
    C(
        "NAL-01",
        "on extended-release naltrexone: naloxone recommended",
        {
            "considering": [],
            "use_history": {
                "other_substances": [],
                "product_types": ["leaf_powder"],
                "current_medications": [{"name": "Vivitrol", "classes": ["naltrexone"]}],
            },
        },
        True,
        lambda ev: (
            status(ev, "naloxone") == "recommended"
            and "naltrexone treatment" in detail(ev, "naloxone")
        ),
    ),
    C(
        "NAL-01",
        "prior overdose: recommended",
        {"medical_history": {"prior_overdose": True}, "considering": []},
        True,
        at("naloxone", "recommended"),
    ),
    C("NAL-01", "no risk: consider", {"considering": []}, False, at("naloxone", "consider")),
    # ---- NTX-01 opioid-free interval [VIVITROL-PI][JARKA23]
    C("NTX-01", "in withdrawal: contraindicated", {}, True, at("naltrexone", "contraindicated")),
    # An unknown interval is not an opioid-free one [VIVITROL-PI][JARKA23] (hazard HZ-07).
    C(
        "NTX-01",
        "naltrexone and methadone both on the list: contraindicated, not 'continue it'",
        {
            "use_history": {
                "current_medications": [
                    {"name": "naltrexone", "classes": ["naltrexone"]},
                    {"name": "methadone", "classes": ["methadone"]},
                ]
            }
        },
        True,
        lambda ev: (
            status(ev, "naltrexone") == "contraindicated"
            and detail(ev, "naltrexone").startswith("Not now")
        ),
    ),
    C(
        "NTX-01",
        "already taking naltrexone, last use not recorded: continue it, not 'avoid'",
        {
            "use_history": {
                "current_medications": [{"name": "naltrexone", "classes": ["naltrexone"]}]
            },
            "urine_drug_screen": {"mitragynine": "negative"},
            "withdrawal": {"cows": cows_items(0), "hours_since_last_kratom_use": None},
        },
        False,
        lambda ev: (
            status(ev, "naltrexone") == "consider"
            and "Already taking naltrexone: continue it" in detail(ev, "naltrexone")
        ),
    ),
    C(
        "NTX-01",
        "considered, last use not recorded, no withdrawal: avoid with the critical alert",
        {
            "considering": ["naltrexone"],
            "urine_drug_screen": {"mitragynine": "not_tested"},
            "withdrawal": {"cows": cows_items(3), "hours_since_last_kratom_use": None},
        },
        True,
        lambda ev: (
            status(ev, "naltrexone") == "avoid"
            and sev("naltrexone_precipitated_withdrawal", "critical")(ev)
        ),
    ),
    C(
        "NTX-01",
        "9.96 days: avoid",
        {"withdrawal": NO_RECENT_USE | {"hours_since_last_kratom_use": 239}} | UDS_MITRA_NEG,
        True,
        at("naltrexone", "avoid"),
    ),
    C(
        "NTX-01",
        "11 days, negative assay: consider",
        {"withdrawal": NO_RECENT_USE} | UDS_MITRA_NEG,
        False,
        at("naltrexone", "consider"),
    ),
    # A product not recorded could be a 7-OH concentrate: its 14-day interval [VIVITROL-PI].
    C(
        "NTX-01",
        "11 days, product not recorded: avoid, as for 7-OH, and the product asked",
        {"withdrawal": NO_RECENT_USE, "use_history": {"product_types": []}} | UDS_MITRA_NEG,
        True,
        lambda ev: (
            status(ev, "naltrexone") == "avoid"
            and "as for 7-OH" in detail(ev, "naltrexone")
            and "/use_history/product_types" in missing(ev)
        ),
    ),
    # A screen without any standard opioid result is not an opioid-negative one.
    *(
        C(
            "NTX-01",
            f"11 days, {what}: consider, no opioid result named",
            {"withdrawal": NO_RECENT_USE, "urine_drug_screen": screen},
            False,
            lambda ev: (
                status(ev, "naltrexone") == "consider"
                and "no opioid result" in detail(ev, "naltrexone")
                and "/urine_drug_screen/opiates" in missing(ev)
            ),
        )
        for what, screen in (
            (
                "only benzodiazepines tested",
                dict.fromkeys(("mitragynine", "mitragynine_method", *STANDARD_OPIOIDS))
                | {"benzodiazepines": "negative"},
            ),
            (
                "opioids not tested, mitragynine negative",
                dict.fromkeys(STANDARD_OPIOIDS, "not_tested") | {"mitragynine": "negative"},
            ),
        )
    ),
    C(
        "NTX-01",
        "12 days, extract and an unknown product: avoid, as for 7-OH",
        {
            "withdrawal": NO_RECENT_USE | {"hours_since_last_kratom_use": 288},
            "use_history": {"product_types": ["extract", "unknown"]},
        }
        | UDS_MITRA_NEG,
        True,
        at("naltrexone", "avoid"),
    ),
    C(
        "NTX-01",
        "15 days, product not recorded: consider",
        {
            "withdrawal": NO_RECENT_USE | {"hours_since_last_kratom_use": 360},
            "use_history": {"product_types": []},
        }
        | UDS_MITRA_NEG,
        False,
        at("naltrexone", "consider"),
    ),
    C(
        "NTX-01",
        "heroin user, last heroin use unknown: avoid, not called opioid-free (label: 7-10 "
        "opioid-free days [VIVITROL-PI])",
        {
            "withdrawal": NO_RECENT_USE,
            "use_history": {"other_substances": ["heroin"]},
            "urine_drug_screen": None,
        },
        True,
        lambda ev: (
            status(ev, "naltrexone") == "avoid"
            and "opioid-free for" not in detail(ev, "naltrexone")
            and "/withdrawal/hours_since_last_other_opioid_use" in missing(ev)
        ),
    ),
    C(
        "NTX-01",
        "7-OH at 11 days: avoid (14)",
        {"withdrawal": NO_RECENT_USE, "use_history": {"product_types": ["concentrated_7oh"]}}
        | UDS_MITRA_NEG,
        True,
        at("naltrexone", "avoid"),
    ),
    C(
        "NTX-01",
        "considered while contraindicated: critical alert",
        {"considering": ["naltrexone"]},
        True,
        sev("naltrexone_precipitated_withdrawal", "critical"),
    ),
    # ---- NTX-02 pregnancy [NYSPREG]
    C(
        "NTX-02",
        "pregnant, already on naltrexone, OUD coded with no time recorded: continued, not "
        "initiated",
        {
            "patient": PREGNANT,
            "withdrawal": NO_RECENT_USE,
            "co_occurring_conditions": {"opioid_use_disorder": True},
            "use_history": {
                "current_medications": [{"name": "naltrexone 50 mg", "classes": ["naltrexone"]}]
            },
        }
        | UDS_MITRA_NEG,
        False,
        lambda ev: status(ev, "naltrexone") != "contraindicated",
    ),
    C(
        "NTX-02",
        "pregnant, heroin use with its last dose not recorded: contraindicated [NYSPREG]",
        {
            "patient": PREGNANT,
            "withdrawal": NO_RECENT_USE,
            "use_history": {"other_substances": ["heroin"]},
            "considering": ["naltrexone"],
        }
        | UDS_MITRA_NEG,
        True,
        lambda ev: (
            status(ev, "naltrexone") == "contraindicated"
            and alerts(ev).get("naltrexone_in_pregnancy") == "critical"
        ),
    ),
    C(
        "NTX-02",
        "pregnant and using fires",
        {"patient": PREGNANT},
        True,
        at("naltrexone", "contraindicated"),
    ),
    C("NTX-02", "not pregnant silent", {}, False),
    # ---- MTD-01 methadone QTc [KRANTZ09]
    # [KRANTZ09]: 450-500 ms is discussed and monitored; 450 is in the band.
    C(
        "MTD-01",
        "female, QTc 450 on methadone: discuss and monitor (the band includes 450)",
        {
            "patient": FEMALE,
            "labs": {"qtc_ms": 450},
            "use_history": {
                "current_medications": [{"name": "methadone", "classes": ["methadone"]}]
            },
        },
        True,
        lambda ev: "discuss risks and benefits" in detail(ev, "methadone"),
    ),
    C(
        "MTD-01",
        "considered, QTc 420: consider",
        {"considering": ["methadone"]},
        True,
        at("methadone", "consider"),
    ),
    C(
        "MTD-01",
        "QTc 500: avoid",
        {"considering": ["methadone"], "labs": {"qtc_ms": 500}},
        True,
        lambda ev: status(ev, "methadone") == "avoid" and "methadone_qtc" in alerts(ev),
    ),
    C("MTD-01", "not considered silent", {}, False),
    # ---- LOF-01 lofexidine base [LUCEMYRA-PI]
    C(
        "LOF-01",
        "considered in withdrawal: recommended",
        {"considering": ["lofexidine"]},
        True,
        at("lofexidine", "recommended"),
    ),
    C("LOF-01", "not considered: consider", {}, False, at("lofexidine", "consider")),
    C(
        "LOF-01",
        "age not recorded: consider, listed missing (not read as adult)",
        {"considering": ["lofexidine"], "patient": {"age_years": None}},
        False,
        lambda ev: status(ev, "lofexidine") == "consider" and "/patient/age_years" in missing(ev),
    ),
    # The label's hepatic and renal limits replace the usual dose (never shown beside it).
    C(
        "LOF-01",
        "Child-Pugh C: 1 tablet four times daily, the usual 0.54 mg not shown",
        {"considering": ["lofexidine"], "medical_history": {"hepatic_impairment_child_pugh": "C"}},
        True,
        lambda ev: (
            "At most 1 tablet (0.18 mg) four times daily (0.72 mg/day" in detail(ev, "lofexidine")
            and "0.54 mg" not in detail(ev, "lofexidine")
            and "2.88" not in detail(ev, "lofexidine")
        ),
    ),
    C(
        "LOF-01",
        "Child-Pugh B with eGFR 25: the lower limit (1 tablet) wins, both named",
        {
            "considering": ["lofexidine"],
            "medical_history": {"hepatic_impairment_child_pugh": "B"},
            "labs": {"egfr_ml_min_1_73m2": 25},
        },
        True,
        lambda ev: (
            "At most 1 tablet" in detail(ev, "lofexidine")
            and "Child-Pugh B and eGFR 25" in detail(ev, "lofexidine")
        ),
    ),
    # The label: correct electrolytes before the first dose; unmeasured is not normal.
    C(
        "LOF-01",
        "potassium and magnesium unmeasured: consider",
        {
            "labs": {"potassium_mmol_per_l": None, "magnesium_mmol_per_l": None},
            "considering": ["lofexidine"],
        },
        False,
        lambda ev: (
            status(ev, "lofexidine") == "consider"
            and {"/labs/potassium_mmol_per_l", "/labs/magnesium_mmol_per_l"} <= missing(ev)
        ),
    ),
    # ---- LOF-02 holds: HR < 50, SBP < 90, DBP < 50 [FISHMAN19]
    C(
        "LOF-02",
        "HR 49, lofexidine considered: holds, critical alert",
        {"vitals": {"heart_rate_bpm": 49}, "considering": ["lofexidine"]},
        True,
        lambda ev: (
            status(ev, "lofexidine") == "avoid" and alerts(ev)["lofexidine_hold"] == "critical"
        ),
    ),
    C(
        "LOF-02",
        "HR 49, lofexidine already taken: holds, critical alert",
        {
            "vitals": {"heart_rate_bpm": 49},
            "use_history": {
                "current_medications": [{"name": "lofexidine", "classes": ["alpha2_agonist"]}]
            },
        },
        True,
        lambda ev: alerts(ev)["lofexidine_hold"] == "critical",
    ),
    C(
        "LOF-02",
        "HR 49, lofexidine not planned: avoid, no alert about a drug nobody gives",
        {"vitals": {"heart_rate_bpm": 49}, "considering": []},
        True,
        lambda ev: status(ev, "lofexidine") == "avoid" and "lofexidine_hold" not in alerts(ev),
    ),
    C(
        "LOF-02",
        "HR 50 caution",
        {"vitals": {"heart_rate_bpm": 50}},
        True,
        lambda ev: status(ev, "lofexidine") == "consider" and "lofexidine_hold" not in alerts(ev),
    ),
    C(
        "LOF-02",
        "HR 60 silent",
        {"vitals": {"heart_rate_bpm": 60}, "considering": ["lofexidine"]},
        False,
        at("lofexidine", "recommended"),
    ),
    C(
        "LOF-02",
        "normal but 13 hours old: at most consider",
        {"vitals": {"measured_at": "2026-11-26T01:30:00Z"}, "considering": ["lofexidine"]},
        True,
        lambda ev: (
            status(ev, "lofexidine") == "consider" and "13 hours old" in detail(ev, "lofexidine")
        ),
    ),
    C(
        "LOF-02",
        "SBP 89 holds",
        {"vitals": {"systolic_bp_mmhg": 89, "diastolic_bp_mmhg": 60}},
        True,
        at("lofexidine", "avoid"),
    ),
    C(
        "LOF-02",
        "DBP 49 holds",
        {"vitals": {"diastolic_bp_mmhg": 49}},
        True,
        at("lofexidine", "avoid"),
    ),
    C(
        "LOF-02",
        "no vitals caps at consider",
        {"vitals": None, "considering": ["lofexidine"]},
        True,
        at("lofexidine", "consider"),
    ),
    # ---- LOF-03 congenital long QT [LUCEMYRA-PI]
    C(
        "LOF-03",
        "congenital long QT: avoid",
        {"medical_history": {"congenital_long_qt": True}},
        True,
        at("lofexidine", "avoid"),
    ),
    C("LOF-03", "absent silent", {}, False),
    C(
        "LOF-03",
        "not asked: consider",
        {"medical_history": {"congenital_long_qt": None}, "considering": ["lofexidine"]},
        True,
        lambda ev: (
            status(ev, "lofexidine") == "consider"
            and "/medical_history/congenital_long_qt" in missing(ev)
        ),
    ),
    # ---- LOF-04 QTc [LUCEMYRA-PI][KRANTZ09]
    C("LOF-04", "QTc 500: avoid", {"labs": {"qtc_ms": 500}}, True, at("lofexidine", "avoid")),
    C(
        "LOF-04",
        "no ECG caps at consider",
        {"labs": {"qtc_ms": None}, "considering": ["lofexidine"]},
        True,
        at("lofexidine", "consider"),
    ),
    C("LOF-04", "QTc 420 silent", {}, False),
    # ECG before treatment and within 30 days [KRANTZ09], applied to lofexidine by analogy.
    C(
        "LOF-04",
        "QTc 400 days old: consider, repeat the ECG",
        {"labs": {"collected_at": "2025-10-22T13:45:00Z"}, "considering": ["lofexidine"]},
        True,
        lambda ev: (
            status(ev, "lofexidine") == "consider"
            and "days old: repeat the ECG" in detail(ev, "lofexidine")
        ),
    ),
    C(
        "LOF-04",
        "old tracing with QTc 500 still avoid",
        {"labs": {"collected_at": "2025-10-22T13:45:00Z", "qtc_ms": 500}},
        True,
        at("lofexidine", "avoid"),
    ),
    C(
        "LOF-04",
        "undated QTc: consider, date reported missing",
        {"labs": {"collected_at": None}, "considering": ["lofexidine"]},
        True,
        lambda ev: status(ev, "lofexidine") == "consider" and "/labs/collected_at" in missing(ev),
    ),
    # ---- LOF-05 avoid list [LUCEMYRA-PI]
    # Creatinine equations do not hold in pregnancy: no estimate there [CKDEPI21].
    C(
        "LOF-05",
        "pregnant with creatinine 1.2 and no eGFR: no estimate, eGFR asked for",
        {
            "patient": PREGNANT,
            "considering": ["lofexidine"],
            "labs": {"egfr_ml_min_1_73m2": None, "creatinine_mg_per_dl": 1.2},
        },
        False,
        lambda ev: (
            "/labs/egfr_ml_min_1_73m2" in missing(ev)
            and "estimated" not in (detail(ev, "lofexidine") or "")
        ),
    ),
    C(
        "LOF-05",
        "estimated eGFR 22 named as eGFR (not 'EGFR') on the avoid list",
        {
            "considering": ["lofexidine"],
            "labs": {"egfr_ml_min_1_73m2": None, "creatinine_mg_per_dl": 3.5},
        },
        True,
        lambda ev: "eGFR 22 (estimated" in _alert_detail(ev, "lofexidine_avoid"),
    ),
    C(
        "LOF-05",
        "recent MI: avoid",
        {"medical_history": {"recent_myocardial_infarction": True}},
        True,
        at("lofexidine", "avoid"),
    ),
    C(
        "LOF-05",
        "BP-lowering drug: avoid",
        {
            "use_history": {
                "current_medications": [{"name": "amlodipine", "classes": ["bp_lowering"]}]
            }
        },
        True,
        at("lofexidine", "avoid"),
    ),
    C("LOF-05", "none silent", {}, False),
    C(
        "LOF-05",
        "lofexidine itself is the only alpha-2 taken: not its own avoid reason",
        {
            "considering": ["lofexidine"],
            "use_history": {
                "current_medications": [
                    {"name": "lofexidine 0.54 mg QID", "classes": ["alpha2_agonist"]}
                ]
            },
        },
        False,
        lambda ev: "lofexidine_avoid" not in alerts(ev),
    ),
    # Omitted means not reviewed (HZ-03): an unanswered avoid-list item caps at consider.
    C(
        "LOF-05",
        "avoid-list items unanswered: consider, each reported",
        {
            "medical_history": {"recent_myocardial_infarction": None, "bradyarrhythmia": None},
            "considering": ["lofexidine"],
        },
        True,
        lambda ev: (
            status(ev, "lofexidine") == "consider"
            and {
                "/medical_history/recent_myocardial_infarction",
                "/medical_history/bradyarrhythmia",
            }
            <= missing(ev)
        ),
    ),
    C(
        "LOF-05",
        "medications not reviewed: consider",
        {"use_history": {"current_medications": None}, "considering": ["lofexidine"]},
        True,
        lambda ev: (
            status(ev, "lofexidine") == "consider"
            and "/use_history/current_medications" in missing(ev)
        ),
    ),
    # ---- LOF-01 dose depends on renal and hepatic function; adults only [LUCEMYRA-PI]
    C(
        "LOF-01",
        "eGFR and creatinine unknown: at most consider",
        cows(10)
        | {
            "labs": {"egfr_ml_min_1_73m2": None, "creatinine_mg_per_dl": None},
            "considering": ["lofexidine"],
        },
        False,  # LOF-01 'fires' when it recommends
        lambda ev: (
            status(ev, "lofexidine") == "consider" and "/labs/egfr_ml_min_1_73m2" in missing(ev)
        ),
    ),
    C(
        "LOF-01",
        "hepatic impairment not recorded: at most consider",
        cows(10)
        | {
            "medical_history": {"hepatic_impairment_child_pugh": None},
            "considering": ["lofexidine"],
        },
        False,  # LOF-01 'fires' when it recommends
        lambda ev: (
            status(ev, "lofexidine") == "consider"
            and "/medical_history/hepatic_impairment_child_pugh" in missing(ev)
        ),
    ),
    C(
        "LOF-01",
        "age 15: at most consider",
        cows(10) | {"patient": {"age_years": 15}, "considering": ["lofexidine"]},
        False,  # LOF-01 'fires' when it recommends
        lambda ev: (
            status(ev, "lofexidine") == "consider" and "age 15" in detail(ev, "lofexidine").lower()
        ),
    ),
    C(
        "LOF-01",
        "age 18: recommended",
        cows(10) | {"patient": {"age_years": 18}, "considering": ["lofexidine"]},
        True,
        at("lofexidine", "recommended"),
    ),
    # ---- CLO-01 clonidine base [GALBIS16]
    C(
        "CLO-01",
        "considered in withdrawal: recommended",
        {"considering": ["clonidine"]},
        True,
        at("clonidine", "recommended"),
    ),
    C("CLO-01", "not considered: consider", {}, False, at("clonidine", "consider")),
    # ---- CLO-02 holds: SBP < 90, DBP < 60, HR < 50 [CLON-LABEL]
    C(
        "CLO-02",
        "SBP 89 holds",
        {"vitals": {"systolic_bp_mmhg": 89, "diastolic_bp_mmhg": 60}},
        True,
        at("clonidine", "avoid"),
    ),
    C(
        "CLO-02",
        "DBP 59 holds",
        {"vitals": {"diastolic_bp_mmhg": 59}},
        True,
        at("clonidine", "avoid"),
    ),
    C("CLO-02", "HR 49 holds", {"vitals": {"heart_rate_bpm": 49}}, True, at("clonidine", "avoid")),
    C(
        "CLO-02",
        "SBP 90 DBP 60 HR 50 (not held, near the limits): consider, recheck each dose",
        {
            "considering": ["clonidine"],
            "vitals": {"systolic_bp_mmhg": 90, "diastolic_bp_mmhg": 60, "heart_rate_bpm": 50},
        },
        True,
        lambda ev: (
            status(ev, "clonidine") == "consider"
            and "near the hold limits" in detail(ev, "clonidine")
        ),
    ),
    C(
        "CLO-02",
        "SBP 100 HR 60: silent (above the caution tier)",
        {"vitals": {"systolic_bp_mmhg": 100, "diastolic_bp_mmhg": 70, "heart_rate_bpm": 60}},
        False,
    ),
    # ---- CLO-03 both alpha-2 agonists [LUCEMYRA-PI]
    C(
        "CLO-03",
        "both considered fires",
        {"considering": ["lofexidine", "clonidine"]},
        True,
        lambda ev: status(ev, "lofexidine") == "consider" and status(ev, "clonidine") == "consider",
    ),
    C("CLO-03", "one considered silent", {"considering": ["clonidine"]}, False),
    C(
        "CLO-03",
        "clonidine considered while taking lofexidine (by name): avoid, do not combine",
        {
            "considering": ["clonidine"],
            "use_history": {
                "current_medications": [
                    {"name": "Lofexidine 0.18 mg tablet", "classes": ["alpha2_agonist"]}
                ]
            },
        },
        True,
        lambda ev: (
            status(ev, "clonidine") == "avoid"
            and "Already taking lofexidine" in _alert_detail(ev, "alpha2_combination")
        ),
    ),
    C(
        "CLO-03",
        "lofexidine considered while taking clonidine (RxNorm 2599, brand-free name): avoid",
        {
            "considering": ["lofexidine"],
            "use_history": {
                "current_medications": [
                    {"name": "BP tablet", "rxnorm_code": "2599", "classes": ["alpha2_agonist"]}
                ]
            },
        },
        True,
        at("lofexidine", "avoid"),
    ),
    C(
        "CLO-03",
        "lofexidine considered while already taking lofexidine: no combination (silent)",
        {
            "considering": ["lofexidine"],
            "use_history": {
                "current_medications": [{"name": "Lucemyra", "classes": ["alpha2_agonist"]}]
            },
        },
        False,
    ),
    # ---- SYM-03 with alcohol use disorder: benzodiazepines treat alcohol withdrawal [ASAMAWM]
    C(
        "SYM-03",
        "anxiety with an alcohol use disorder: benzodiazepine consider, not avoid",
        cows(10, anxiety_irritability=2)
        | {"co_occurring_conditions": {"alcohol_use_disorder": True}},
        True,
        lambda ev: (
            status(ev, "benzodiazepine") == "consider" and "alcohol" in detail(ev, "benzodiazepine")
        ),
    ),
    C(
        "SYM-03",
        "alcohol use disorder but RR 6 and responds to voice: benzodiazepine still avoid",
        cows(10, anxiety_irritability=2)
        | {
            "co_occurring_conditions": {"alcohol_use_disorder": True},
            "vitals": {"respiratory_rate_per_min": 6, "consciousness": "voice"},
        },
        True,
        at("benzodiazepine", "avoid"),
    ),
    C(
        "SYM-03",
        "anxiety without: benzodiazepine avoid",
        cows(10, anxiety_irritability=2),
        True,
        at("benzodiazepine", "avoid"),
    ),
    # ---- CLO-04 clonidine label cautions [CLON-LABEL precautions and interactions]
    C(
        "CLO-04",
        "recent MI and a beta-blocker: warning, at most consider",
        {
            "medical_history": {"recent_myocardial_infarction": True},
            "use_history": {
                "current_medications": [
                    {"name": "metoprolol", "classes": ["hr_lowering", "bp_lowering"]}
                ]
            },
            "considering": ["clonidine"],
        },
        True,
        lambda ev: (
            alerts(ev)["clonidine_caution"] == "warning" and status(ev, "clonidine") == "consider"
        ),
    ),
    C(
        "CLO-04",
        "conduction disturbance not recorded: at most consider",
        {"medical_history": {"bradyarrhythmia": None}, "considering": ["clonidine"]},
        True,
        at("clonidine", "consider"),
    ),
    C(
        "CLO-04",
        "none of them: silent",
        {"considering": ["clonidine"]},
        False,
        at("clonidine", "recommended"),
    ),
    C(
        "CLO-04",
        "clonidine itself is the only alpha-2 taken: no caution against itself",
        {
            "considering": ["clonidine"],
            "use_history": {
                "current_medications": [{"name": "Catapres 0.1 mg", "classes": ["alpha2_agonist"]}]
            },
        },
        False,
        at("clonidine", "recommended"),
    ),
    # ---- SYM-01..03 symptomatic care [WHO09]
    C("SYM-01", "GI item 1 fires", cows(8, gi_upset=1), True, at("loperamide", "consider")),
    C("SYM-01", "GI item 0 silent", cows(8, gi_upset=0), False),
    # The QT note agrees with QT-01's status [LUCEMYRA-PI][KRANTZ09]: prolonged alone (warning)
    # is "prefer an alternative" at consider; >= 500 ms or with a QT drug is "avoid".
    C(
        "SYM-01",
        "GI item with QTc 475 (male, prolonged): consider, prefer an alternative",
        cows(8, gi_upset=1) | {"labs": {"qtc_ms": 475}},
        True,
        lambda ev: (
            status(ev, "ondansetron") == "consider"
            and "prefer an alternative" in detail(ev, "ondansetron")
            and "avoid adding" not in detail(ev, "ondansetron")
        ),
    ),
    C(
        "SYM-01",
        "GI item with QTc 475 and lofexidine considered: avoid, says avoid",
        cows(8, gi_upset=1) | {"labs": {"qtc_ms": 475}, "considering": ["lofexidine"]},
        True,
        lambda ev: (
            status(ev, "ondansetron") == "avoid" and "avoid adding" in detail(ev, "ondansetron")
        ),
    ),
    C(
        "SYM-01",
        "GI item with QTc 510: avoid, says avoid",
        cows(8, gi_upset=1) | {"labs": {"qtc_ms": 510}},
        True,
        lambda ev: (
            status(ev, "ondansetron") == "avoid" and "avoid adding" in detail(ev, "ondansetron")
        ),
    ),
    # Loperamide [LOPERAMIDE-PI]: avoid with QT risk factors (congenital long QT) and with
    # other QT-prolonging drugs such as methadone; labelled doses only.
    C(
        "SYM-01",
        "loperamide with congenital long QT: avoid",
        cows(8, gi_upset=1) | {"medical_history": {"congenital_long_qt": True}},
        True,
        lambda ev: status(ev, "loperamide") == "avoid" and "label" in detail(ev, "loperamide"),
    ),
    C(
        "SYM-01",
        "loperamide with QTc 510: avoid",
        cows(8, gi_upset=1) | {"labs": {"qtc_ms": 510}},
        True,
        at("loperamide", "avoid"),
    ),
    C(
        "SYM-01",
        "loperamide with methadone taken (QTc normal): avoid, names methadone",
        cows(8, gi_upset=1)
        | {
            "labs": {"qtc_ms": 430},
            "use_history": {
                "current_medications": [{"name": "methadone 60 mg", "classes": ["methadone"]}]
            },
        },
        True,
        lambda ev: status(ev, "loperamide") == "avoid" and "methadone" in detail(ev, "loperamide"),
    ),
    C(
        "SYM-01",
        "loperamide with lofexidine only considered: consider, says avoid combining",
        cows(8, gi_upset=1) | {"considering": ["lofexidine"]},
        True,
        lambda ev: (
            status(ev, "loperamide") == "consider" and "avoid combining" in detail(ev, "loperamide")
        ),
    ),
    C(
        "SYM-01",
        "loperamide already on the medication list is not a second QT drug to itself",
        cows(8, gi_upset=1)
        | {
            "use_history": {
                "current_medications": [{"name": "loperamide 2 mg", "classes": ["qt_prolonging"]}]
            }
        },
        True,
        at("loperamide", "consider"),
    ),
    C(
        "SYM-01",
        "loperamide, no QT risk: consider at labelled doses only",
        cows(8, gi_upset=1),
        True,
        lambda ev: (
            status(ev, "loperamide") == "consider"
            and "labelled doses only" in detail(ev, "loperamide")
        ),
    ),
    C(
        "SYM-02",
        "aches with eGFR 29: NSAID avoid [BEERS23]",
        cows(8, bone_joint_aches=1) | {"labs": {"egfr_ml_min_1_73m2": 29}},
        True,
        lambda ev: status(ev, "nsaid") == "avoid" and status(ev, "acetaminophen") == "consider",
    ),
    C(
        "SYM-02",
        "aches with Child-Pugh C: NSAID avoid [EASL18]",
        cows(8, bone_joint_aches=1) | {"medical_history": {"hepatic_impairment_child_pugh": "C"}},
        True,
        lambda ev: status(ev, "nsaid") == "avoid" and "Child-Pugh C" in detail(ev, "nsaid"),
    ),
    C(
        "SYM-02",
        "aches with eGFR 30: NSAID consider",
        cows(8, bone_joint_aches=1) | {"labs": {"egfr_ml_min_1_73m2": 30}},
        True,
        at("nsaid", "consider"),
    ),
    C(
        "SYM-02",
        "aches item 1 fires",
        cows(8, bone_joint_aches=1),
        True,
        at("acetaminophen", "consider"),
    ),
    # A coded liver disease counts as recorded liver disease [ICD10CM] K70-K77, B18 [SNOMEDCT].
    *(
        C(
            "SYM-02",
            f"aches with {what} coded: acetaminophen dose lowered",
            cows(8, bone_joint_aches=1) | coded(code, system=system),
            True,
            lambda ev: "lower the maximum daily dose" in detail(ev, "acetaminophen"),
        )
        for what, system, code in (
            ("alcoholic cirrhosis K70.30", "icd10cm", "K70.30"),
            ("fatty liver K76.0", "icd10cm", "K76.0"),
            ("chronic hepatitis C B18.2", "icd10cm", "B18.2"),
            ("SNOMED CT cirrhosis 19943007", "snomedct", "19943007"),
        )
    ),
    C(
        "SYM-02",
        "aches with K80.20 gallstones coded (not a liver disease): no dose note",
        cows(8, bone_joint_aches=1) | coded("K80.20"),
        True,
        lambda ev: "lower the maximum daily dose" not in detail(ev, "acetaminophen"),
    ),
    C(
        "SYM-02",
        "aches with ALP 2.5x: acetaminophen dose lowered [LIVERTOX]",
        cows(8, bone_joint_aches=1) | {"labs": {"alp_u_per_l": 300}},
        True,
        lambda ev: "lower the maximum daily dose" in detail(ev, "acetaminophen"),
    ),
    C(
        "SYM-02",
        "aches with INR 1.6 (possible liver failure): acetaminophen and NSAID avoided",
        cows(8, bone_joint_aches=1) | {"labs": {"inr": 1.6}},
        True,
        lambda ev: (
            status(ev, "acetaminophen") == "avoid"
            and status(ev, "nsaid") == "avoid"
            and "hepatology" in detail(ev, "acetaminophen")
        ),
    ),
    C(
        "SYM-02",
        "aches with ALT 4x (not Hy's range): acetaminophen dose lowered",
        cows(8, bone_joint_aches=1) | {"labs": {"alt_u_per_l": 160}},
        True,
        lambda ev: (
            status(ev, "acetaminophen") == "consider"
            and "lower the maximum daily dose" in detail(ev, "acetaminophen")
        ),
    ),
    C(
        "SYM-02",
        "aches, CKD recorded, eGFR and creatinine unknown: NSAID avoided",
        cows(8, bone_joint_aches=1)
        | {
            "medical_history": {"chronic_kidney_disease": True},
            "labs": {"egfr_ml_min_1_73m2": None, "creatinine_mg_per_dl": None},
        },
        True,
        at("nsaid", "avoid"),
    ),
    # No eGFR but a creatinine: estimated with the race-free CKD-EPI 2021 equation [CKDEPI21]
    # (male, 38 years, creatinine 3.5 mg/dL: about 22), not read as unknown.
    C(
        "SYM-02",
        "aches, creatinine 3.5 without an eGFR: NSAID avoided on the estimate",
        cows(8, bone_joint_aches=1)
        | {"labs": {"egfr_ml_min_1_73m2": None, "creatinine_mg_per_dl": 3.5}},
        True,
        lambda ev: (
            status(ev, "nsaid") == "avoid"
            and "estimated from creatinine 3.5, CKD-EPI 2021" in detail(ev, "nsaid")
        ),
    ),
    C(
        "LOF-01",
        "creatinine 3.5 without an eGFR: 1 tablet four times daily on the estimate",
        cows(10)
        | {
            "labs": {"egfr_ml_min_1_73m2": None, "creatinine_mg_per_dl": 3.5},
            "considering": ["lofexidine"],
        },
        True,
        lambda ev: (
            "At most 1 tablet" in detail(ev, "lofexidine")
            and "/labs/egfr_ml_min_1_73m2" not in missing(ev)
        ),
    ),
    C(
        "SYM-03",
        "RR 7 with withdrawal anxiety: hydroxyzine avoided too",
        {"vitals": {"respiratory_rate_per_min": 7}},
        True,
        at("hydroxyzine", "avoid"),
    ),
    C(
        "SYM-03",
        "coded F41.1, no COWS anxiety, GAD-7 below 10: hydroxyzine offered",
        {
            **cows(8, anxiety_irritability=0),
            "co_occurring_conditions": {
                "anxiety": None,
                "coded": [{"system": "icd10cm", "code": "F41.1"}],
            },
        },
        True,
        at("hydroxyzine", "consider"),
    ),
    C(
        "SYM-02",
        "aches with ALT 2x: no liver dose note",
        cows(8, bone_joint_aches=1) | {"labs": {"alt_u_per_l": 80}},
        True,
        lambda ev: "lower the maximum daily dose" not in detail(ev, "acetaminophen"),
    ),
    C("SYM-02", "no aches, no pain silent", cows(8, bone_joint_aches=0), False),
    C(
        "SYM-02",
        "chronic pain coded (G89.4), no aches: acetaminophen considered",
        {
            **cows(8, bone_joint_aches=0),
            "co_occurring_conditions": {"coded": [{"system": "icd10cm", "code": "G89.4"}]},
        },
        True,
        at("acetaminophen", "consider"),
    ),
    C(
        "SYM-03",
        "anxiety item 1 fires",
        cows(8, anxiety_irritability=1),
        True,
        lambda ev: status(ev, "benzodiazepine") == "avoid",
    ),
    C("SYM-03", "no anxiety silent", cows(8, anxiety_irritability=0), False),
    # ---- always-on supportive and psychosocial care
    C("NUT-01", "everyone", {}, True, at("nutrition_hydration", "recommended")),
    C("MON-01", "everyone", {}, True, at("withdrawal_monitoring", "recommended")),
    C("TH-01", "everyone", {}, True, at("cbt", "recommended")),
    C(
        "TH-02",
        "declines groups: alternatives",
        {"social": {"preferences": {"declines_group_therapy": True}}},
        True,
        lambda ev: (
            status(ev, "group_therapy") == "consider"
            and status(ev, "individual_therapy") == "recommended"
        ),
    ),
    C("TH-02", "accepts groups", {}, False, at("group_therapy", "recommended")),
    C(
        "TH-02",
        "groups not asked: still offered, the question listed missing",
        {"social": {"preferences": {"declines_group_therapy": None}}},
        False,
        lambda ev: (
            status(ev, "group_therapy") == "recommended"
            and "/social/preferences/declines_group_therapy" in missing(ev)
        ),
    ),
    C("TH-03", "everyone", {}, True, at("life_skills", "recommended")),
    C(
        "PAIN-01",
        "chronic pain fires",
        {"co_occurring_conditions": {"chronic_pain": True}},
        True,
        at("pain_management", "recommended"),
    ),
    C("PAIN-01", "no pain silent", {}, False),
    C(
        "PAIN-01",
        "other conditions recorded, chronic pain not asked: listed missing",
        {"co_occurring_conditions": {"chronic_pain": None}},
        False,
        lambda ev: "/co_occurring_conditions/chronic_pain" in missing(ev),
    ),
    C(
        "PAIN-01",
        "chronic pain coded (G89.29) fires",
        {
            "co_occurring_conditions": {
                "chronic_pain": None,
                "coded": [{"system": "icd10cm", "code": "G89.29"}],
            }
        },
        True,
        at("pain_management", "recommended"),
    ),
    C(
        "PAIN-01",
        "acute pain coded (G89.11) silent: only chronic pain counts",
        {"co_occurring_conditions": {"coded": [{"system": "icd10cm", "code": "G89.11"}]}},
        False,
    ),
    C("AC-01", "everyone", {}, True, at("continuing_care", "recommended")),
    C("AC-02", "everyone", {}, True, at("mutual_help", "recommended")),
    C(
        "AC-03",
        "homeless: referral",
        {"social": {"housing": "homeless"}},
        True,
        at("recovery_support_services", "recommended"),
    ),
    C("AC-03", "stable silent", {}, False),
    C(
        "AC-03",
        "legal issues not asked: listed missing, not read as none",
        {"social": {"legal_issues": None}},
        False,
        lambda ev: "/social/legal_issues" in missing(ev),
    ),
    C(
        "AC-03",
        "housing not asked without withdrawal: AC-03 itself lists it",
        {"social": {"housing": None}, "withdrawal": NO_RECENT_USE},
        False,
        lambda ev: any(
            m.input == "/social/housing" and "AC-03" in m.rule_ids for m in ev.missing_inputs
        ),
    ),
    C("AC-04", "everyone", {}, True, at("relapse_prevention_plan", "recommended")),
    # ---- PH-01 withdrawal resolved: COWS < 5 [COWS], past the ~12-24 h onset window [SINGH14]
    # [LEI21], vital signs current and stable (NEWS2 low, no red flag) [NEWS2]
    C(
        "PH-01",
        "COWS 3, last use 30 h ago, stable vitals: fires",
        {"withdrawal": {"cows": cows_items(3), "hours_since_last_kratom_use": 30}},
        True,
        sev("withdrawal_resolved", "info"),
    ),
    C(
        "PH-01",
        "COWS 3 with a SOWS recorded: the patient's own score named for the confirmation",
        {
            "withdrawal": {
                "cows": cows_items(3),
                "hours_since_last_kratom_use": 30,
                "sows": {"version": "gossop_10", "items": [2] * 10},
            }
        },
        True,
        lambda ev: "SOWS 20 of 30" in _alert_detail(ev, "withdrawal_resolved"),
    ),
    C(
        "PH-01",
        "COWS 3, last use 24 h ago (the window's end): fires",
        {"withdrawal": {"cows": cows_items(3), "hours_since_last_kratom_use": 24}},
        True,
    ),
    C(
        "PH-01",
        "COWS 3, last use 23 h ago: silent (withdrawal may not have begun)",
        {"withdrawal": {"cows": cows_items(3), "hours_since_last_kratom_use": 23}},
        False,
    ),
    C(
        "PH-01",
        "COWS 5, last use 30 h ago: silent (mild withdrawal)",
        {"withdrawal": {"cows": cows_items(5), "hours_since_last_kratom_use": 30}},
        False,
    ),
    C(
        "PH-01",
        "COWS 3 scored 13 h before the assessment: silent (not current)",
        {
            "withdrawal": {
                "cows": cows_items(3),
                "hours_since_last_kratom_use": 30,
                "assessed_at": "2026-11-26T01:00:00Z",
            }
        },
        False,
    ),
    C(
        "PH-01",
        "COWS 3, NEWS2 6 (medium): silent",
        {
            "withdrawal": {"cows": cows_items(3), "hours_since_last_kratom_use": 30},
            "vitals": NEWS2_6,
        },
        False,
    ),
    # Another opioid's withdrawal comes later: the engine's own induction waits after it
    # [BUPLABEL] (72 h after methadone), at least the 24 h window.
    C(
        "PH-01",
        "fentanyl screen positive, its last dose not recorded: silent, time asked",
        {
            "withdrawal": {"cows": cows_items(1), "hours_since_last_kratom_use": 48},
            "use_history": {"other_substances": ["fentanyl"]},
            "urine_drug_screen": {"fentanyl": "positive"},
        },
        False,
        lambda ev: "/withdrawal/hours_since_last_other_opioid_use" in missing(ev),
    ),
    C(
        "PH-01",
        "illicit methadone 26 h ago (< 72 h): silent",
        {
            "withdrawal": {
                "cows": cows_items(1),
                "hours_since_last_kratom_use": 72,
                "hours_since_last_other_opioid_use": 26,
            },
            "use_history": {"other_substances": ["methadone"]},
        },
        False,
    ),
    C(
        "PH-01",
        "illicit methadone 72 h ago: fires",
        {
            "withdrawal": {
                "cows": cows_items(1),
                "hours_since_last_kratom_use": 80,
                "hours_since_last_other_opioid_use": 72,
            },
            "use_history": {"other_substances": ["methadone"]},
        },
        True,
    ),
    C(
        "PH-01",
        "heroin 23 h ago (short-acting: the 24 h window): silent",
        {
            "withdrawal": {
                "cows": cows_items(1),
                "hours_since_last_kratom_use": 48,
                "hours_since_last_other_opioid_use": 23,
            },
            "use_history": {"other_substances": ["heroin"]},
        },
        False,
    ),
    C(
        "PH-01",
        "heroin 24 h ago: fires",
        {
            "withdrawal": {
                "cows": cows_items(1),
                "hours_since_last_kratom_use": 48,
                "hours_since_last_other_opioid_use": 24,
            },
            "use_history": {"other_substances": ["heroin"]},
        },
        True,
    ),
    C(
        "PH-01",
        "methadone maintenance, heroin time not recorded: fires (the agonist covers it)",
        {
            "withdrawal": {"cows": cows_items(1), "hours_since_last_kratom_use": 48},
            "use_history": {
                "other_substances": ["heroin"],
                "current_medications": [{"name": "methadone 60 mg", "classes": ["methadone"]}],
            },
        },
        True,
    ),
    C(
        "PH-01",
        "other opioid use never asked: silent, listed missing",
        {
            "withdrawal": {"cows": cows_items(1), "hours_since_last_kratom_use": 48},
            "use_history": {"other_substances": None},
            "urine_drug_screen": None,
        },
        False,
        lambda ev: "/use_history/other_substances" in missing(ev),
    ),
    C(
        "PH-01",
        "lofexidine taken and held for heart rate 45 (NEWS2 still low): silent",
        {
            "withdrawal": {"cows": cows_items(1), "hours_since_last_kratom_use": 60},
            "vitals": {"heart_rate_bpm": 45},
            "use_history": {"current_medications": [{"name": "Lucemyra 0.18 mg", "classes": []}]},
            "considering": ["lofexidine"],
        },
        False,
        sev("lofexidine_hold", "critical"),
    ),
    C(
        "PH-01",
        "clonidine only considered, held for diastolic 58 (NEWS2 low): fires",
        {
            "withdrawal": {"cows": cows_items(2), "hours_since_last_kratom_use": 48},
            "vitals": {"systolic_bp_mmhg": 108, "diastolic_bp_mmhg": 58},
            "considering": ["clonidine"],
        },
        True,
    ),
    C(
        "PH-01",
        "prescribed oxycodone explains an oxycodone-positive screen: fires",
        {
            "withdrawal": {"cows": cows_items(2), "hours_since_last_kratom_use": 48},
            "use_history": {
                "current_medications": [{"name": "oxycodone 5 mg", "classes": ["opioid_agonist"]}]
            },
            "urine_drug_screen": {"oxycodone": "positive"},
        },
        True,
    ),
    C(
        "PH-01",
        "prescribed oxycodone does not explain a fentanyl-positive screen: silent",
        {
            "withdrawal": {"cows": cows_items(2), "hours_since_last_kratom_use": 48},
            "use_history": {
                "current_medications": [{"name": "oxycodone 5 mg", "classes": ["opioid_agonist"]}]
            },
            "urine_drug_screen": {"fentanyl": "positive"},
        },
        False,
    ),
    C(
        "PH-01",
        "other substances not asked, last other opioid 8,000 h ago (past every wait): fires",
        {
            "withdrawal": {
                "cows": cows_items(1),
                "hours_since_last_kratom_use": 48,
                "hours_since_last_other_opioid_use": 8000,
            },
            "use_history": {"other_substances": None},
        },
        True,
    ),
    # ---- PREF-01 declined medication: voice and choice [SAMHSA14]
    C(
        "PRG-01",
        "pregnant, medication preference not asked: a setting below 4-WM is provisional",
        {"patient": PREGNANT, "social": {"preferences": {"declines_medication": None}}},
        True,
        provisional("whether medication is declined not recorded"),
    ),
    C(
        "PREF-01",
        "medication preference not asked: listed missing, nothing qualified",
        {"social": {"preferences": {"declines_medication": None}}},
        False,
        lambda ev: "/social/preferences/declines_medication" in missing(ev),
    ),
    C(
        "PREF-01",
        "declines medication, lofexidine considered: consider, offered as a choice",
        {
            "social": {"preferences": {"declines_medication": True}},
            "considering": ["lofexidine"],
        },
        True,
        lambda ev: (
            status(ev, "lofexidine") == "consider"
            and "declines medication" in detail(ev, "lofexidine")
        ),
    ),
    C(
        "PREF-01",
        "declines medication: naloxone still recommended, no methadone added",
        {
            "social": {"preferences": {"declines_medication": True}},
            "medical_history": {"prior_overdose": True},
            "considering": [],
        },
        True,
        lambda ev: status(ev, "naloxone") == "recommended" and status(ev, "methadone") is None,
    ),
    C(
        "PREF-01",
        "medication not declined: silent",
        {"considering": ["lofexidine"]},
        False,
        at("lofexidine", "recommended"),
    ),
    # ---- Remission: < 2 DSM-5 criteria on maintenance treatment, or a use disorder coded in
    # remission, is DSM-5's remission ("on maintenance therapy"), not no disorder [DSM5]
    # [DSM5]: withdrawal now (COWS >= 5) is the withdrawal criterion met: a coded remission
    # is not read as remission without maintenance therapy.
    C(
        "DX-01",
        "coded remission, craving only, COWS 8: relapse likely, care kept as in remission",
        {
            "dsm5_criteria_met": ["craving"],
            "co_occurring_conditions": {"coded": [{"system": "icd10cm", "code": "F19.21"}]},
        },
        True,
        lambda ev: (
            "dsm5_remission_contradicted" in alerts(ev)
            and status(ev, "continuing_care") == "recommended"
            and "relapse" in detail(ev, "buprenorphine")
        ),
    ),
    C(
        "DX-01",
        "F19.21 coded, no criteria recorded, COWS 12: flagged, not read as remission",
        {
            "dsm5_criteria_met": [],
            "co_occurring_conditions": {"coded": [{"system": "icd10cm", "code": "F19.21"}]},
            **cows(12),
        },
        True,
        lambda ev: (
            "dsm5_remission_contradicted" in alerts(ev)
            and "dsm5_remission" not in alerts(ev)
            and "In remission" not in (detail(ev, "buprenorphine") or "")
        ),
    ),
    C(
        "DX-01",
        "1 criterion on buprenorphine maintenance: remission, not 'not met'",
        {
            "dsm5_criteria_met": ["craving"],
            "use_history": {
                "prescribed_opioid_under_supervision": True,
                "current_medications": [
                    {"name": "buprenorphine/naloxone 16/4 mg", "classes": ["buprenorphine"]}
                ],
            },
        },
        True,
        lambda ev: (
            "dsm5_remission" in alerts(ev)
            and "dsm5_not_met" not in alerts(ev)
            and status(ev, "buprenorphine") == "recommended"
            and "continue" in detail(ev, "buprenorphine")
            and "Starting-range" not in detail(ev, "buprenorphine")
            and status(ev, "cbt") == "recommended"
            and status(ev, "continuing_care") == "recommended"
        ),
    ),
    C(
        "DX-01",
        "no criteria, F19.21 coded (dependence in remission), no medication, COWS 2: remission",
        {
            "dsm5_criteria_met": [],
            "co_occurring_conditions": {"coded": [{"system": "icd10cm", "code": "F19.21"}]},
            **cows(2),
        },
        True,
        lambda ev: (
            "dsm5_remission" in alerts(ev)
            and status(ev, "buprenorphine") == "consider"
            and status(ev, "continuing_care") == "recommended"
        ),
    ),
    C(
        "DX-01",
        "1 criterion, no treatment, nothing coded: not met, care offered",
        {"dsm5_criteria_met": ["craving"]},
        True,
        lambda ev: "dsm5_not_met" in alerts(ev) and status(ev, "continuing_care") == "consider",
    ),
    # ---- BUP-02 timing gaps [ACEP-BUPE][BUPLABEL]: any recorded other-opioid time counts;
    # unreviewed medications cannot exclude methadone; an old COWS is not withdrawal now
    C(
        "BUP-02",
        "other opioid 3 h ago (other_substances empty): too early",
        {
            "withdrawal": {
                "cows": cows_items(9),
                "hours_since_last_kratom_use": 16,
                "hours_since_last_other_opioid_use": 3,
            }
        },
        True,
        lambda ev: (
            status(ev, "buprenorphine") == "consider"
            and "precipitated_withdrawal_risk" in alerts(ev)
        ),
    ),
    C(
        "BUP-02",
        "current medications not reviewed: at most consider",
        {
            "use_history": {"current_medications": None},
            "withdrawal": {"cows": cows_items(9), "hours_since_last_kratom_use": 16},
        },
        True,
        lambda ev: (
            status(ev, "buprenorphine") == "consider"
            and "current medications not reviewed" in detail(ev, "buprenorphine")
        ),
    ),
    C(
        "BUP-02",
        "COWS scored 53 h before the assessment: score it again, provisional setting",
        {
            "withdrawal": {
                "assessed_at": "2026-11-24T09:00:00Z",
                "cows": cows_items(10),
                "hours_since_last_kratom_use": 16,
            }
        },
        True,
        lambda ev: (
            status(ev, "buprenorphine") == "consider"
            and "score it again" in detail(ev, "buprenorphine")
            and ev.level_of_care.determination.value == "provisional"
        ),
    ),
    # Extended-release full agonists: > 24 h and COWS >= 13 [BUPLABEL][ACEP-BUPE]
    C(
        "BUP-02",
        "oxycodone ER 14 h ago, COWS 9: too early (needs 24 h and COWS 13)",
        {
            "use_history": {
                "current_medications": [
                    {"name": "oxycodone extended-release 40 mg", "classes": ["opioid_agonist"]}
                ]
            },
            "withdrawal": {
                "cows": cows_items(9),
                "hours_since_last_kratom_use": 16,
                "hours_since_last_other_opioid_use": 14,
            },
        },
        True,
        lambda ev: (
            status(ev, "buprenorphine") == "consider"
            and "14 h since last other opioid (< 24 h)"
            in _alert_detail(ev, "precipitated_withdrawal_risk")
            and "COWS 9 < 13" in _alert_detail(ev, "precipitated_withdrawal_risk")
        ),
    ),
    C(
        "BUP-02",
        "fentanyl patch 25 h ago, COWS 14: induction criteria met",
        {
            "use_history": {
                "other_substances": [],
                "current_medications": [
                    {"name": "fentanyl 25 mcg/h transdermal patch", "classes": ["opioid_agonist"]}
                ],
            },
            "withdrawal": {
                "cows": cows_items(14),
                "hours_since_last_kratom_use": 26,
                "hours_since_last_other_opioid_use": 25,
            },
        },
        False,
        lambda ev: "precipitated_withdrawal_risk" not in alerts(ev),
    ),
    # ---- MTD-01: the baseline ECG is a current one [KRANTZ09]
    C(
        "MTD-01",
        "methadone with a 543-day-old QTc: baseline ECG first",
        {
            "considering": ["methadone"],
            "labs": {"qtc_ms": 430, "collected_at": "2025-06-01T10:00:00Z"},
        },
        True,
        lambda ev: "baseline ECG before starting" in detail(ev, "methadone"),
    ),
    # ---- OD-01/OD-02: ASAM 1-WM is not for daily high-potency opioid use > 2 weeks [ASAM3]
    C(
        "OD-02",
        "fentanyl, mild withdrawal, safe home: office-based only provisional",
        {
            "use_history": {"other_substances": ["fentanyl"]},
            "withdrawal": {
                "cows": cows_items(6),
                "hours_since_last_kratom_use": 30,
                "hours_since_last_other_opioid_use": 30,
            },
        },
        True,
        provisional("daily high-potency opioid use for more than 2 weeks not excluded"),
    ),
    C(
        "OD-01",
        "concentrated 7-OH, mild withdrawal: office-based only provisional",
        {
            "use_history": {"product_types": ["concentrated_7oh"]},
            "withdrawal": {"cows": cows_items(6), "hours_since_last_kratom_use": 30},
        },
        True,
        provisional("(concentrated 7-OH)"),
    ),
    # ---- UDS-02: a prescribed full agonist explains its own screen [CDC22]
    C(
        "UDS-02",
        "oxycodone prescribed (opioid agonist class), oxycodone positive: expected",
        {
            "use_history": {
                "current_medications": [{"name": "oxycodone 5 mg", "classes": ["opioid_agonist"]}]
            },
            "urine_drug_screen": {"oxycodone": "positive"},
        },
        False,
    ),
    C("AC-05", "everyone", {}, True, at("monitoring_labs", "recommended")),
    C(
        "AC-05",
        "ALT 1.5x (below injury levels): liver tests until normal",
        {"labs": {"alt_u_per_l": 60}},
        True,
        lambda ev: "liver tests until normal" in detail(ev, "monitoring_labs"),
    ),
    C(
        "AC-05",
        "methadone taken: ECG keeps its capitals (str.capitalize lowercased them)",
        {
            "labs": {"alt_u_per_l": 30},
            "use_history": {
                "current_medications": [{"name": "methadone", "classes": ["methadone"]}]
            },
            "considering": [],
        },
        True,
        lambda ev: "ECG within 30 days" in detail(ev, "monitoring_labs"),
    ),
    C(
        "AC-05",
        "normal liver tests: none until normal",
        {},
        True,
        lambda ev: "until normal" not in detail(ev, "monitoring_labs"),
    ),
    C(
        "AC-06",
        "wants complementary",
        {"social": {"preferences": {"wants_complementary_therapies": True}}},
        True,
        at("complementary_therapies", "consider"),
    ),
    C(
        "AC-06",
        "not interested: still offered as consider",
        {},
        False,
        at("complementary_therapies", "consider"),
    ),
    C(
        "AC-06",
        "interest not asked: offered as consider, the question listed missing",
        {"social": {"preferences": {"wants_complementary_therapies": None}}},
        False,
        lambda ev: (
            status(ev, "complementary_therapies") == "consider"
            and "/social/preferences/wants_complementary_therapies" in missing(ev)
        ),
    ),
    C("AC-07", "everyone", {}, True, at("long_term_follow_up", "recommended")),
    C(
        "AC-08",
        "depression: ongoing care",
        {"co_occurring_conditions": {"depression": True}},
        True,
        at("ongoing_condition_care", "recommended"),
    ),
    C("AC-08", "none silent", {}, False),
    C(
        "AC-08",
        "positive PHQ-9 with no conditions recorded: ongoing care",
        {
            "co_occurring_conditions": None,
            "screening": {"phq9": {"items": [2, 2, 2, 2, 2, 0, 0, 0, 0]}},
        },
        True,
        at("ongoing_condition_care", "recommended"),
    ),
    C(
        "AC-08",
        "chronic pain syndrome coded (G89.4): ongoing care",
        {"co_occurring_conditions": {"coded": [{"system": "icd10cm", "code": "G89.4"}]}},
        True,
        lambda ev: "chronic pain" in detail(ev, "ongoing_condition_care"),
    ),
    # ---- coded co-occurring conditions in SNOMED CT [SNOMEDCT], the concepts Synthea and
    # problem lists record: each answers its flag as the ICD-10-CM category does.
    *(
        C(
            rule_id,
            f"SNOMED CT {concept} ({what}) coded: {code} {value}",
            coded(concept, system="snomedct"),
            True,
            at(code, value),
        )
        for rule_id, concept, what, code, value in (
            (
                "MH-04",
                "370143000",
                "major depressive disorder",
                "depression_treatment",
                "recommended",
            ),
            (
                "MH-04",
                "36923009",
                "major depression, single episode",
                "depression_treatment",
                "recommended",
            ),
            (
                "MH-04",
                "21897009",
                "generalized anxiety disorder",
                "anxiety_treatment",
                "recommended",
            ),
            ("MH-04", "197480006", "anxiety disorder", "anxiety_treatment", "recommended"),
            ("MH-05", "47505003", "PTSD", "trauma_focused_therapy", "recommended"),
            ("PAIN-01", "82423001", "chronic pain", "pain_management", "recommended"),
            ("AC-08", "82423001", "chronic pain", "ongoing_condition_care", "recommended"),
        )
    ),
    C(
        "SYM-03",
        "SNOMED CT generalized anxiety disorder, no COWS anxiety, GAD-7 below 10: hydroxyzine",
        {**cows(8, anxiety_irritability=0), **coded("21897009", system="snomedct")},
        True,
        at("hydroxyzine", "consider"),
    ),
    C(
        "SYM-02",
        "SNOMED CT chronic pain, no aches: acetaminophen considered",
        {**cows(8, bone_joint_aches=0), **coded("82423001", system="snomedct")},
        True,
        at("acetaminophen", "consider"),
    ),
    C(
        "MH-04",
        "SNOMED CT depressive disorder (35489007, not a concept read): silent",
        coded("35489007", system="snomedct"),
        False,
        lambda ev: status(ev, "depression_treatment") is None,
    ),
    # ---- coded medical history [ICD10CM][SNOMEDCT]: a chart's problem list answers the
    # history questions yes (over a recorded no), never no.
    C("LOF-03", "I45.81 long QT coded: avoid", coded("I45.81"), True, at("lofexidine", "avoid")),
    C(
        "LOF-03",
        "SNOMED long QT syndrome: avoid",
        coded("9651007", system="snomedct"),
        True,
        at("lofexidine", "avoid"),
    ),
    C("QT-01", "I45.81 coded: QT-01 fires", coded("I45.81"), True),
    C("QT-01", "I45.6 pre-excitation is not long QT", coded("I45.6"), False),
    C("LOF-05", "I21.4 acute MI coded: avoid", coded("I21.4"), True, at("lofexidine", "avoid")),
    C("LOF-05", "N18.3 CKD coded: avoid", coded("N18.3"), True, at("lofexidine", "avoid")),
    C("LOF-05", "I25.2 old MI is not recent: silent", coded("I25.2"), False),
    # [SNOMEDCT] CKD by stage and end-stage renal disease, heart failure kinds (Synthea's codes).
    *(
        C(
            "LOF-05",
            f"SNOMED CT {concept} CKD coded: avoid",
            coded(concept, system="snomedct"),
            True,
            at("lofexidine", "avoid"),
        )
        for concept in ("433144002", "431857002", "46177005")
    ),
    *(
        C(
            "LOF-04",
            f"SNOMED CT {concept} heart failure coded: ECG monitoring note",
            coded(concept, system="snomedct") | {"considering": ["lofexidine"]},
            True,
            lambda ev: "ECG monitoring during treatment: heart failure" in detail(ev, "lofexidine"),
        )
        for concept in ("88805009", "42343007")
    ),
    C(
        "CLO-04",
        "I44.1 AV block coded: caution",
        coded("I44.1") | {"considering": ["clonidine"]},
        True,
        sev("clonidine_caution", "warning"),
    ),
    C(
        "NAL-01",
        "T40.411A fentanyl poisoning coded: recommended",
        coded("T40.411A") | {"considering": []},
        True,
        at("naloxone", "recommended"),
    ),
    C(
        "NAL-01",
        "SNOMED CT 55680006 drug overdose coded (Synthea's): recommended",
        coded("55680006", system="snomedct") | {"considering": []},
        True,
        lambda ev: (
            status(ev, "naloxone") == "recommended"
            and "prior overdose" in detail(ev, "naloxone")
            and "/medical_history/prior_overdose" not in missing(ev)
        ),
    ),
    C(
        "NAL-01",
        "T40.415A adverse effect is not an overdose",
        coded("T40.415A") | {"considering": []},
        False,
        at("naloxone", "consider"),
    ),
    C("VS-05", "R55 syncope coded: ECG", coded("R55"), True, at("ecg", "recommended")),
    C("VS-05", "SNOMED syncope fires", coded("271594007", system="snomedct"), True),
    C("VS-05", "R07.0 throat pain silent", coded("R07.0"), False),
    C(
        "LOC-02",
        "F10.231 withdrawal delirium coded: 3.7-WM",
        coded("F10.231"),
        True,
        loc("inpatient_medically_monitored"),
    ),
    C("LOC-02", "F10.239 uncomplicated withdrawal coded: silent", coded("F10.239"), False),
    # ---- second clinical review of 1.28.0 (ruleset 1.29.0)
    # An unknown kratom time is not bounded by another opioid's time [VIVITROL-PI][NYSPREG].
    C(
        "NTX-02",
        "pregnant, kratom time unknown, other opioid 300 h ago: contraindicated",
        {
            "patient": PREGNANT,
            "urine_drug_screen": {"mitragynine": "not_tested"},
            "considering": ["naltrexone"],
            "withdrawal": {
                "cows": cows_items(0),
                "hours_since_last_kratom_use": None,
                "hours_since_last_other_opioid_use": 300,
            },
            "use_history": {"other_substances": ["prescription_opioids"]},
        },
        True,
        lambda ev: (
            status(ev, "naltrexone") == "contraindicated"
            and alerts(ev)["naltrexone_in_pregnancy"] == "critical"
        ),
    ),
    C(
        "NTX-01",
        "kratom time unknown, other opioid 300 h ago: avoid (interval not confirmed), missing",
        {
            "considering": [],
            "urine_drug_screen": {"mitragynine": "not_tested"},
            "withdrawal": {
                "cows": cows_items(0),
                "hours_since_last_kratom_use": None,
                "hours_since_last_other_opioid_use": 300,
            },
            "use_history": {"other_substances": ["prescription_opioids"]},
        },
        True,
        lambda ev: (
            status(ev, "naltrexone") == "avoid"
            and "/withdrawal/hours_since_last_kratom_use" in missing(ev)
            and "not recorded" in detail(ev, "naltrexone")
        ),
    ),
    # ALP-led (cholestatic) injury with symptoms is the liver emergency pathway [LIVERTOX].
    C(
        "LIV-03",
        "ALP 4x ULN with jaundice: emergency",
        {"labs": {"alp_u_per_l": 480}, "medical_history": {"liver_injury_symptoms": True}},
        True,
        loc("emergency_department"),
    ),
    C(
        "LIV-03",
        "ALP at its ULN with jaundice: silent",
        {"labs": {"alp_u_per_l": 120}, "medical_history": {"liver_injury_symptoms": True}},
        False,
    ),
    # Extended-release full agonists wait 24 h [clinical reference 4.1]; by brand name too.
    C(
        "BUP-02",
        "MS Contin 13 h ago: extended-release wait, at most consider",
        {
            **cows(13),
            "withdrawal": {"hours_since_last_other_opioid_use": 13},
            "use_history": {
                "current_medications": [
                    {"name": "MS Contin 30 mg tablet", "classes": ["opioid_agonist"]}
                ]
            },
        },
        True,
        at("buprenorphine", "consider"),
    ),
    # Methadone named but tagged only as an opioid agonist: still methadone (72 h, ECG).
    C(
        "MTD-01",
        "methadone by name, tagged opioid_agonist: its ECG check fires",
        {
            "use_history": {
                "current_medications": [
                    {
                        "name": "Methadone 60 mg oral solution",
                        "classes": ["opioid_agonist", "qt_prolonging"],
                    }
                ]
            }
        },
        True,
    ),
    C(
        "BUP-02",
        "methadone by name 13 h ago: 72 h wait, at most consider",
        {
            **cows(13),
            "withdrawal": {"hours_since_last_other_opioid_use": 13},
            "use_history": {
                "current_medications": [
                    {"name": "Methadone 60 mg oral solution", "classes": ["opioid_agonist"]}
                ]
            },
        },
        True,
        at("buprenorphine", "consider"),
    ),
    # QT drugs stack [LUCEMYRA-PI][KRANTZ09]: two or more with a normal QTc warn.
    C(
        "QT-01",
        "methadone and citalopram, lofexidine considered, QTc 440: warning",
        {
            "labs": {"qtc_ms": 440},
            "considering": ["lofexidine"],
            "use_history": {
                "current_medications": [
                    {"name": "methadone 90 mg", "classes": ["methadone", "qt_prolonging"]},
                    {"name": "citalopram 20 mg", "classes": ["qt_prolonging", "serotonergic"]},
                ]
            },
        },
        True,
        lambda ev: (
            alerts(ev)["qt_drug_combination"] == "warning"
            and "ECG before adding lofexidine" in _alert_detail(ev, "qt_drug_combination")
        ),
    ),
    C(
        "QT-01",
        "one QT drug, nothing added, QTc 440: silent",
        {
            "labs": {"qtc_ms": 440},
            "use_history": {
                "current_medications": [{"name": "citalopram 20 mg", "classes": ["qt_prolonging"]}]
            },
        },
        False,
    ),
    # Lofexidine label: ECG monitoring in heart failure and with other QT drugs.
    C(
        "LOF-04",
        "heart failure, QTc normal: ECG monitoring note",
        {"medical_history": {"heart_failure": True}, "considering": ["lofexidine"]},
        True,
        lambda ev: "ECG monitoring during treatment: heart failure" in detail(ev, "lofexidine"),
    ),
    C("LOF-04", "QTc 420, nothing to monitor: silent", {"considering": ["lofexidine"]}, False),
    C(
        "LOF-04",
        "heart failure not recorded: asked, and the monitoring note says so",
        {"medical_history": {"heart_failure": None}, "considering": ["lofexidine"]},
        True,
        lambda ev: (
            "/medical_history/heart_failure" in missing(ev)
            and "heart failure not recorded" in detail(ev, "lofexidine")
        ),
    ),
    # Lofexidine label: avoid in chronic renal failure; an eGFR below 30 is read so.
    C(
        "LOF-05",
        "eGFR 29, CKD not flagged: avoid",
        {"labs": {"egfr_ml_min_1_73m2": 29}, "considering": ["lofexidine"]},
        True,
        at("lofexidine", "avoid"),
    ),
    C(
        "LOF-05",
        "eGFR 30: not the avoid list (dose cap only)",
        {"labs": {"egfr_ml_min_1_73m2": 30}, "considering": ["lofexidine"]},
        False,
    ),
    # ---- clinical review of 1.30.0 (ruleset 1.31.0)
    # Declining medication is a withdrawal-only plan [ACOG711][BCCSU17]: in pregnancy 4-WM.
    C(
        "PRG-01",
        "pregnant and declines medication: medically managed setting",
        {"patient": PREGNANT, "social": {"preferences": {"declines_medication": True}}},
        True,
        loc("inpatient_medically_managed"),
    ),
    C(
        "TX-01",
        "declines medication: withdrawal alone advised against, naloxone recommended",
        {"social": {"preferences": {"declines_medication": True}}},
        True,
        lambda ev: (
            alerts(ev)["withdrawal_only_not_recommended"] == "warning"
            and status(ev, "naloxone") == "recommended"
        ),
    ),
    # Unknown co-use or product: high-potency opioids not excluded [ASAM3][FDA7OH].
    C(
        "OD-02",
        "other substance use not recorded: provisional, naloxone recommended",
        {"use_history": {"other_substances": None}, "considering": []},
        False,
        lambda ev: (
            provisional("other substance use not recorded")(ev)
            and status(ev, "naloxone") == "recommended"
        ),
    ),
    C(
        "OD-01",
        "product unknown: reported missing, provisional",
        {"use_history": {"product_types": ["unknown"]}},
        False,
        lambda ev: (
            "/use_history/product_types" in missing(ev) and provisional("product not recorded")(ev)
        ),
    ),
    # Pregnancy with physical dependence is the indication, criteria taken or not [ACOG711].
    C(
        "BUP-01",
        "pregnant, COWS 9, DSM-5 not assessed: recommended",
        {"patient": PREGNANT, "dsm5_criteria_met": None, **cows(9)},
        True,
        lambda ev: (
            status(ev, "buprenorphine") == "recommended"
            and "physical dependence" in detail(ev, "buprenorphine")
        ),
    ),
    # DSM-5 remission allows craving only [DSM5].
    C(
        "DX-01",
        "on buprenorphine, hazardous use met: below the threshold, not remission",
        {
            "dsm5_criteria_met": ["hazardous_use"],
            "use_history": {
                "current_medications": [
                    {"name": "buprenorphine/naloxone 8 mg", "classes": ["buprenorphine"]}
                ]
            },
        },
        True,
        lambda ev: (
            "dsm5_below_threshold_on_maintenance" in alerts(ev)
            and "dsm5_remission" not in alerts(ev)
            and status(ev, "buprenorphine") == "recommended"
        ),
    ),
    C(
        "DX-01",
        "on buprenorphine, craving only: remission",
        {
            "dsm5_criteria_met": ["craving"],
            "use_history": {
                "current_medications": [
                    {"name": "buprenorphine/naloxone 8 mg", "classes": ["buprenorphine"]}
                ]
            },
        },
        True,
        lambda ev: "dsm5_remission" in alerts(ev),
    ),
    # An emergency from high suicide risk does not rest on the vital signs [CSSRS].
    C(
        "MH-01",
        "high risk with vital signs 20 h old: emergency, determined",
        {
            "screening": {"cssrs": Q2_YES | {"intent": True, "suicidal_behavior_lifetime": False}},
            "vitals": {"measured_at": "2026-11-25T18:30:00Z"},
        },
        True,
        lambda ev: (
            setting(ev) == "emergency_department"
            and ev.level_of_care.determination.value == "determined"
        ),
    ),
    C(
        "UDS-01",
        "positive, method not recorded: not called an immunoassay",
        {"urine_drug_screen": {"mitragynine": "positive", "mitragynine_method": None}},
        True,
        lambda ev: "(method not recorded)" in detail(ev, "mitragynine_assay"),
    ),
    # CDC Recommendation 10: expected and unexpected results [CDC22].
    C(
        "UDS-02",
        "tramadol prescribed, oxycodone positive: unexpected",
        {
            "use_history": {
                "current_medications": [{"name": "tramadol 50 mg", "classes": ["opioid_agonist"]}]
            },
            "urine_drug_screen": {"oxycodone": "positive"},
        },
        True,
        lambda ev: "oxycodone" in _alert_detail(ev, "unexpected_drug_screen"),
    ),
    C(
        "UDS-02",
        "oxycodone prescribed, oxycodone positive: expected",
        {
            "use_history": {
                "current_medications": [
                    {"name": "oxycodone 5 mg tablet", "classes": ["opioid_agonist"]}
                ]
            },
            "urine_drug_screen": {"oxycodone": "positive"},
        },
        False,
    ),
    C(
        "UDS-02",
        "on buprenorphine, buprenorphine negative: prescribed but not detected",
        {
            "use_history": {
                "current_medications": [
                    {"name": "buprenorphine/naloxone 8 mg", "classes": ["buprenorphine"]}
                ]
            },
            "urine_drug_screen": {"buprenorphine": "negative"},
        },
        True,
        lambda ev: (
            "prescribed but not detected: buprenorphine"
            in _alert_detail(ev, "unexpected_drug_screen").lower()
        ),
    ),
    # ASAM dimension 6: no transport pushes a patient up a level [ASAM3][ASAMAWM].
    C(
        "LOC-05",
        "mild withdrawal, no transportation: 2-WM",
        {"social": {"has_transportation": False}},
        True,
        loc("outpatient_extended_monitoring"),
    ),
    C(
        "LOC-04",
        "COWS 13, no transportation: residential",
        {**cows(13), "social": {"has_transportation": False}},
        True,
        loc("residential_clinically_managed"),
    ),
    # Transport not recorded is treated as absent, as an unrecorded home or support person is.
    C(
        "LOC-05",
        "mild withdrawal, transportation not recorded: 2-WM, and asked",
        {"social": {"has_transportation": None}},
        True,
        lambda ev: (
            setting(ev) == "outpatient_extended_monitoring"
            and "/social/has_transportation" in missing(ev)
        ),
    ),
    C(
        "LOC-04",
        "COWS 13, transportation not recorded: residential",
        {**cows(13), "social": {"has_transportation": None}},
        True,
        loc("residential_clinically_managed"),
    ),
    # ---- MH-07 DAST-10 >= 6: intensive assessment [DAST10]
    C(
        "MH-07",
        "DAST-10 6 (items, item 3 reversed): warning, assessment recommended",
        # yes to 1, 2, 4, 5, 6 and no to item 3 ("always able to stop", reversed): 6
        {"screening": {"dast10": {"items": [True, True, False, True, True, True] + [False] * 4}}},
        True,
        lambda ev: (
            alerts(ev)["polysubstance_use"] == "warning"
            and ev.scores.dast10.value == 6
            and status(ev, "polysubstance_assessment") == "recommended"
        ),
    ),
    C(
        "MH-07",
        "DAST-10 5: silent (moderate: further investigation)",
        {"screening": {"dast10": {"total": 5}}},
        False,
        lambda ev: ev.scores.dast10.band == "moderate",
    ),
    C(
        "MH-07",
        "not screened: reported missing",
        {},
        False,
        lambda ev: "/screening/dast10" in missing(ev),
    ),
    # ---- review of this session's changes (ruleset 1.33.0)
    C(
        "NTX-01",
        "heroin 2 h ago, kratom time unknown: avoid, not cleared",
        {
            "considering": ["naltrexone"],
            "urine_drug_screen": {"mitragynine": "not_tested"},
            "withdrawal": {
                "cows": cows_items(0),
                "hours_since_last_kratom_use": None,
                "hours_since_last_other_opioid_use": 2,
            },
            "use_history": {"other_substances": ["heroin"]},
        },
        True,
        lambda ev: (
            status(ev, "naltrexone") == "avoid"
            and alerts(ev)["naltrexone_precipitated_withdrawal"] == "critical"
        ),
    ),
    C(
        "LOF-05",
        "no medical history, eGFR 20: avoid (a lab, not history)",
        {
            "medical_history": None,
            "labs": {"egfr_ml_min_1_73m2": 20},
            "considering": ["lofexidine"],
        },
        True,
        at("lofexidine", "avoid"),
    ),
    C(
        "QT-01",
        "Methadose taken, methadone considered: one drug, no combination",
        {
            "considering": ["methadone"],
            "use_history": {
                "current_medications": [{"name": "Methadose 60 mg", "classes": ["opioid_agonist"]}]
            },
        },
        False,
    ),
    C(
        "UDS-02",
        "oxycodone-acetaminophen prescribed, oxycodone positive: expected",
        {
            "use_history": {
                "current_medications": [
                    {"name": "oxycodone-acetaminophen 5/325", "classes": ["opioid_agonist"]}
                ]
            },
            "urine_drug_screen": {"oxycodone": "positive"},
        },
        False,
    ),
    # Unknown seizure history with alcohol use: 4-WM may be needed [ASAMAWM].
    C(
        "SZ-02",
        "alcohol use, withdrawal seizures not recorded: provisional",
        {
            "use_history": {"other_substances": ["alcohol"]},
            "medical_history": {"withdrawal_seizures": None},
        },
        False,
        provisional("seizure history not recorded"),
    ),
]


@pytest.mark.parametrize("case", [pytest.param(c, id=f"{c.rule_id} {c.name}") for c in CASES])
def test_rule_case(case: Case) -> None:
    ev = run(**case.overrides)
    assert fired(ev, case.rule_id) is case.fires
    if case.check is not None:
        assert case.check(ev), case.name


def test_every_rule_has_a_case_table() -> None:
    by_rule: dict[str, set[bool]] = {}
    for c in CASES:
        by_rule.setdefault(c.rule_id, set()).add(c.fires)
    assert set(by_rule) == {r.id for r in RULES}
    for rule_id, outcomes in by_rule.items():
        expected = {True} if rule_id in ALWAYS else {True, False}
        assert outcomes == expected, rule_id
