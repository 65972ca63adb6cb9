"""Whole-patient scenarios across the severity range. Each states the level of care, the alerts
and the medication statuses a careful clinician would expect, with the source that justifies
each expectation in a comment (keys resolve in app/rules/sources.py)."""

from __future__ import annotations

from typing import Any

from tests.factories import cows_items
from tests.rules.support import alerts, missing, run, setting, status, statuses

ABSTINENT_11_DAYS = {"cows": cows_items(0), "hours_since_last_kratom_use": 264}


def critical(ev: Any) -> set[str]:
    return {code for code, sev in alerts(ev).items() if sev == "critical"}


def test_01_mild_withdrawal_supportive_home() -> None:
    ev = run(withdrawal={"cows": cows_items(8)})
    # COWS 5-12 mild with a supportive home: ambulatory 1-WM [COWS][ASAM3].
    assert setting(ev) == "outpatient"
    assert ev.level_of_care.asam_code == "1-WM"
    assert critical(ev) == set()
    # DSM-5 moderate (5 criteria): buprenorphine the usual choice [SMITH24][BROYAN22];
    # COWS 8 and 16 h since last use meet standard induction [ACEP-BUPE][LEI21].
    assert status(ev, "buprenorphine") == "recommended"
    # Naloxone with agonist treatment considered [CDC22 rec 8].
    assert status(ev, "naloxone") == "recommended"
    # Naltrexone in active withdrawal precipitates withdrawal [VIVITROL-PI][JARKA23].
    assert status(ev, "naltrexone") == "contraindicated"
    # Lofexidine is off-label for kratom and not being considered [LUCEMYRA-PI].
    assert status(ev, "lofexidine") == "consider"


def test_02_abstinent_considering_naltrexone() -> None:
    ev = run(
        withdrawal=ABSTINENT_11_DAYS,
        urine_drug_screen={"mitragynine": "negative"},
        considering=["naltrexone"],
    )
    # No active withdrawal (COWS < 5) with support: 1-WM [COWS][ASAM3].
    assert setting(ev) == "outpatient"
    # 11 opioid-free days (>= 10) and a negative kratom assay: naltrexone an option [VIVITROL-PI].
    assert status(ev, "naltrexone") == "consider"
    assert "naltrexone_precipitated_withdrawal" not in alerts(ev)


def test_03_moderate_withdrawal_with_support() -> None:
    ev = run(withdrawal={"cows": cows_items(16)})
    # COWS 13-24 moderate with a supportive home: 2-WM [ASAM3].
    assert setting(ev) == "outpatient_extended_monitoring"
    assert ev.level_of_care.asam_code == "2-WM"
    assert status(ev, "buprenorphine") == "recommended"  # [BROYAN22]


def test_04_moderate_withdrawal_homeless() -> None:
    ev = run(withdrawal={"cows": cows_items(16)}, social={"housing": "homeless"})
    # Moderate withdrawal without a safe environment: 3.2-WM [ASAM3].
    assert setting(ev) == "residential_clinically_managed"
    # Dimension 6 needs: recovery support referral [ASAM3].
    assert status(ev, "recovery_support_services") == "recommended"


def test_05_severe_withdrawal() -> None:
    ev = run(withdrawal={"cows": cows_items(30)})
    # COWS 25-36 moderately severe: 24-hour nursing, 3.7-WM [ASAM3][COWS].
    assert setting(ev) == "inpatient_medically_monitored"
    assert status(ev, "buprenorphine") == "recommended"


def test_06_news2_high_is_an_emergency() -> None:
    ev = run(
        vitals={
            "respiratory_rate_per_min": 22,
            "heart_rate_bpm": 115,
            "temperature_c": 38.5,
            "spo2_percent": 95,
            "systolic_bp_mmhg": 105,
        }
    )
    # NEWS2 >= 7: emergency assessment [NEWS2].
    assert setting(ev) == "emergency_department"
    assert ev.level_of_care.asam_code is None
    assert "physiological_instability" in critical(ev)


def test_07_single_red_parameter() -> None:
    ev = run(vitals={"heart_rate_bpm": 135})
    # A single parameter scoring 3 is treated like NEWS2 5-6: urgent review, monitored care [NEWS2].
    assert setting(ev) == "inpatient_medically_monitored"
    assert "physiological_instability" in critical(ev)
    # Tachycardia is no reason to hold lofexidine [LUCEMYRA-PI].
    assert status(ev, "lofexidine") == "consider"


def test_08_opioid_toxicity_on_7oh() -> None:
    ev = run(
        vitals={"respiratory_rate_per_min": 7, "spo2_percent": 88, "consciousness": "voice"},
        use_history={"product_types": ["concentrated_7oh"]},
    )
    # RR <= 8, SpO2 <= 91, reduced consciousness: opioid toxicity, emergency [NEWS2][EGGLESTON19].
    assert setting(ev) == "emergency_department"
    assert {"opioid_toxicity", "overdose_risk_7oh"} <= critical(ev)  # [FDA7OH]
    assert status(ev, "naloxone") == "recommended"


def test_09_7oh_with_fentanyl_too_early_for_induction() -> None:
    ev = run(
        use_history={"product_types": ["concentrated_7oh"], "other_substances": ["fentanyl"]},
        withdrawal={
            "cows": cows_items(14),
            "hours_since_last_kratom_use": 10,
            "hours_since_last_other_opioid_use": 20,
        },
    )
    # Opioid co-use and 7-OH: critical overdose risk, naloxone [OLSEN19][FDA7OH].
    assert {"overdose_risk_7oh", "overdose_risk_opioids"} <= critical(ev)
    assert status(ev, "naloxone") == "recommended"
    # 10 h after 7-OH (< 12 h, treated as short-acting): defer standard induction [BUPLABEL].
    assert status(ev, "buprenorphine") == "consider"
    assert "precipitated_withdrawal_risk" in alerts(ev)
    assert setting(ev) == "outpatient_extended_monitoring"  # COWS 14, supportive home [ASAM3]


def test_10_benzodiazepine_co_use() -> None:
    ev = run(use_history={"other_substances": ["benzodiazepines"]})
    # Benzodiazepines with an opioid-like drug: critical overdose risk [BUPLABEL][OLSEN19].
    assert "overdose_risk_depressants" in critical(ev)
    # Do not withhold buprenorphine; manage the combination [FDADSC17].
    assert status(ev, "buprenorphine") == "recommended"
    assert alerts(ev)["respiratory_depression_risk"] == "warning"
    # No benzodiazepines for withdrawal symptoms [BUPLABEL].
    assert status(ev, "benzodiazepine") in (None, "avoid")


def test_11_alcohol_use_disorder_with_withdrawal_seizures() -> None:
    ev = run(
        medical_history={"withdrawal_seizures": True},
        co_occurring_conditions={"alcohol_use_disorder": True},
        use_history={"other_substances": ["alcohol"]},
    )
    # Seizure history with alcohol co-dependence: medically managed 4-WM [ASAMAWM][ASAM3].
    assert setting(ev) == "inpatient_medically_managed"
    assert "seizure_history" in critical(ev)


def test_12_pregnant_starting_buprenorphine() -> None:
    ev = run(
        patient={"sex_at_birth": "female", "pregnancy_status": "pregnant"},
        withdrawal={"cows": cows_items(10)},
    )
    # Pregnancy: agonist treatment preferred over withdrawal, consults [ACOG711][NAS].
    assert "pregnancy" in critical(ev)
    assert status(ev, "buprenorphine") == "recommended"
    assert status(ev, "obstetric_addiction_consult") == "recommended"
    # Do not start naltrexone during active use in pregnancy [NYSPREG].
    assert status(ev, "naltrexone") == "contraindicated"
    assert setting(ev) == "outpatient"  # mild withdrawal, supportive home [ASAM3]


def test_13_pregnant_requesting_withdrawal_only() -> None:
    ev = run(
        patient={"sex_at_birth": "female", "pregnancy_status": "pregnant"},
        considering=["withdrawal_only"],
    )
    # Withdrawal-only in pregnancy only under an experienced physician: 4-WM (conservative
    # reading of the ASAM-derived disposition table) [ACOG711][ASAM3].
    assert setting(ev) == "inpatient_medically_managed"
    assert status(ev, "withdrawal_only") == "avoid"  # [BCCSU17 rec 6]


def test_14_high_suicide_risk() -> None:
    ev = run(
        screening={
            "cssrs": {
                "wish_to_be_dead": True,
                "suicidal_thoughts": True,
                "thoughts_with_method": True,
                "intent": True,
                "plan_with_intent": True,
            }
        }
    )
    # C-SSRS Q5 yes: high risk, safety precautions, setting equipped for suicide risk
    # [CSSRS][ASAMAWM III.2].
    assert setting(ev) == "emergency_department"
    assert "suicide_risk_high" in critical(ev)
    assert status(ev, "mental_health_evaluation") == "recommended"


def test_15_hys_law_liver_injury() -> None:
    ev = run(
        labs={"alt_u_per_l": 400, "alp_u_per_l": 300, "total_bilirubin_mg_per_dl": 5.0},
        co_occurring_conditions={"chronic_pain": True},
    )
    # ALT >= 3x and bilirubin >= 2x ULN: Hy's-law range, emergency evaluation [HYS-FDA09].
    assert setting(ev) == "emergency_department"
    assert "hys_law" in critical(ev)
    # Hepatitis is reported with buprenorphine: at most consider, monitor LFTs [BUPLABEL].
    assert status(ev, "buprenorphine") == "consider"
    # LIV-02 advises avoiding hepatotoxic drugs until hepatology has assessed [HYS-FDA09].
    assert status(ev, "acetaminophen") == "avoid"
    assert status(ev, "nsaid") == "avoid"


def test_16_severe_hepatic_impairment() -> None:
    ev = run(medical_history={"hepatic_impairment_child_pugh": "C"})
    # Child-Pugh C: avoid buprenorphine/naloxone; mono-product at half dose [BUPLABEL 8.6].
    assert "hepatic_impairment_buprenorphine" in critical(ev)
    assert status(ev, "buprenorphine") == "consider"
    # Lofexidine is capped at 1 tablet four times daily for Child-Pugh C [LUCEMYRA-PI].
    lof = next(r for p in ev.phases for r in p.recommendations if r.code == "lofexidine")
    assert "0.72 mg/day" in lof.detail


def test_17_qtc_520_on_citalopram_considering_lofexidine() -> None:
    ev = run(
        labs={"qtc_ms": 520},
        considering=["lofexidine"],
        use_history={
            "current_medications": [
                {"name": "citalopram 20 mg", "classes": ["qt_prolonging", "serotonergic"]}
            ]
        },
    )
    # QTc >= 500 ms: critical, cardiac monitoring setting [KRANTZ09][DREW10].
    assert "qtc_prolongation" in critical(ev)
    assert setting(ev) == "inpatient_medically_managed"
    # No lofexidine or other QT-prolonging drugs [LUCEMYRA-PI].
    assert status(ev, "lofexidine") == "avoid"
    assert status(ev, "ondansetron") in (None, "avoid")
    assert status(ev, "hydroxyzine") in (None, "avoid")


def test_18_bradycardia_holds_alpha2_agonists() -> None:
    ev = run(vitals={"heart_rate_bpm": 48}, considering=["lofexidine"])
    # HR < 50: hold lofexidine [FISHMAN19][LUCEMYRA-PI] and clonidine [CLON-LABEL].
    assert status(ev, "lofexidine") == "avoid"
    assert "lofexidine_hold" in critical(ev)
    assert status(ev, "clonidine") == "avoid"
    assert setting(ev) == "outpatient"  # NEWS2 1 (HR 41-50): no escalation [NEWS2]


def test_19_no_vitals_no_withdrawal_scale_is_indeterminate() -> None:
    ev = run(vitals=None, withdrawal={"cows": None}, considering=["lofexidine"])
    # Without vital signs or a withdrawal scale no setting can be chosen safely [ASAMAWM III.1].
    assert ev.level_of_care.determination == "indeterminate"
    assert setting(ev) is None
    # Safety-critical gaps cap medications at consider [LUCEMYRA-PI][ACEP-BUPE].
    assert status(ev, "lofexidine") == "consider"
    assert status(ev, "buprenorphine") == "consider"
    assert {"/vitals/heart_rate_bpm", "/withdrawal/cows"} <= missing(ev)


def test_20_emergency_overrides_missing_data() -> None:
    ev = run(vitals=None, withdrawal={"cows": None}, medical_history={"seizure_in_last_24h": True})
    # A seizure in the last 24 hours is an emergency whatever else is missing [EGGLESTON19].
    assert setting(ev) == "emergency_department"
    assert ev.level_of_care.determination == "determined"


def test_21_negative_standard_screen_is_not_no_kratom() -> None:
    ev = run(urine_drug_screen={"mitragynine": "not_tested", "mitragynine_method": None})
    # Standard panels do not detect kratom: order a mitragynine assay [LABCORP][ARUP].
    assert alerts(ev)["kratom_not_detected_by_standard_panel"] == "info"
    assert status(ev, "mitragynine_assay") == "recommended"


def test_22_unreported_fentanyl_on_screen() -> None:
    ev = run(urine_drug_screen={"fentanyl": "positive"})
    # Unexpected fentanyl: critical overdose risk and an unexpected-screen warning
    # [OLSEN19][CDC22 rec 10].
    assert "overdose_risk_opioids" in critical(ev)
    assert alerts(ev)["unexpected_drug_screen"] == "warning"
    assert status(ev, "naloxone") == "recommended"


def test_23_withdrawal_only_and_declines_medication() -> None:
    ev = run(considering=["withdrawal_only"], social={"preferences": {"declines_medication": True}})
    # Withdrawal management alone is advised against; lost tolerance raises overdose risk
    # [BCCSU17 rec 6][CDC22 rec 12].
    assert alerts(ev)["withdrawal_only_not_recommended"] == "warning"
    assert status(ev, "withdrawal_only") == "avoid"
    assert status(ev, "buprenorphine") == "consider"  # offered again, not pressed
    assert status(ev, "naloxone") == "recommended"


def test_24_naltrexone_while_on_buprenorphine() -> None:
    ev = run(
        considering=["naltrexone"],
        withdrawal={"cows": cows_items(2)},
        use_history={
            "current_medications": [
                {"name": "buprenorphine/naloxone 8/2 mg", "classes": ["buprenorphine"]}
            ]
        },
        urine_drug_screen={"buprenorphine": "positive", "prescribed_analytes": ["buprenorphine"]},
    )
    # Naltrexone on an agonist precipitates withdrawal [VIVITROL-PI][JARKA23].
    assert status(ev, "naltrexone") == "contraindicated"
    assert "naltrexone_precipitated_withdrawal" in critical(ev)
    assert "unexpected_drug_screen" not in alerts(ev)  # prescribed and detected [CDC22]


def test_25_failed_outpatient_withdrawal_before() -> None:
    ev = run(medical_history={"failed_outpatient_withdrawal_management": True})
    # Failure at a lower level raises the level of care [ASAM3][GALBIS16].
    assert setting(ev) == "inpatient_medically_monitored"


def test_26_pregnancy_status_unknown() -> None:
    ev = run(patient={"sex_at_birth": "female", "pregnancy_status": "unknown"})
    # Pregnancy changes the strategy; test before choosing medication [ACOG711][NYSPREG].
    assert status(ev, "pregnancy_test") == "recommended"
    assert "/patient/pregnancy_status" in missing(ev)


def test_every_scenario_keeps_three_phases_in_order() -> None:
    ev = run()
    assert [p.phase.value for p in ev.phases] == [
        "stabilization",
        "behavioral_therapy",
        "aftercare",
    ]
    assert set(statuses(ev)) >= {"cbt", "continuing_care", "relapse_prevention_plan"}
