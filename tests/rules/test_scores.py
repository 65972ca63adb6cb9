"""Scores against worked examples and band edges from their sources."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from app.rules import compute_scores
from app.rules.facts import Facts
from app.schemas.evaluation import Scores
from tests.factories import cows_items, make_assessment
from tests.rules.support import run


def run_facts(**overrides: Any) -> Facts:
    a = make_assessment(**overrides)
    return Facts(a, compute_scores(a), a.assessed_at)


def scores(**overrides: Any) -> Scores:
    return compute_scores(make_assessment(**overrides))


# COWS bands [COWS]: <5 none, 5-12 mild, 13-24 moderate, 25-36 moderately severe, >36 severe.
@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "none"),
        (4, "none"),
        (5, "mild"),
        (12, "mild"),
        (13, "moderate"),
        (24, "moderate"),
        (25, "moderately_severe"),
        (36, "moderately_severe"),
        (37, "severe"),
        (48, "severe"),
    ],
)
def test_cows_bands(total: int, band: str) -> None:
    s = scores(withdrawal={"cows": cows_items(total)})
    assert (s.cows.value, s.cows.band) == (total, band)


def test_cows_maximum_is_48_from_item_maxima() -> None:
    # Every item at its published maximum: 4+4+5+5+4+4+5+4+4+4+5 = 48 [COWS].
    top = {
        "resting_pulse": 4,
        "sweating": 4,
        "restlessness": 5,
        "pupil_size": 5,
        "bone_joint_aches": 4,
        "runny_nose_tearing": 4,
        "gi_upset": 5,
        "tremor": 4,
        "yawning": 4,
        "anxiety_irritability": 4,
        "gooseflesh": 5,
    }
    assert scores(withdrawal={"cows": top}).cows.value == 48


def test_cows_missing_is_reported_not_defaulted() -> None:
    s = scores(withdrawal={"cows": None})
    assert s.cows.value is None
    assert s.cows.band is None
    assert s.cows.missing == ("/withdrawal/cows",)


def test_sows_is_a_trend_without_bands() -> None:
    items = [2, 1, 1, 1, 1, 0, 1, 1, 1, 3, 2, 1, 0, 1, 1, 3]
    s = scores(withdrawal={"sows": {"version": "handelsman_16", "items": items}})
    assert (s.sows.value, s.sows.band, s.sows.maximum) == (20, None, 64)
    g = scores(withdrawal={"sows": {"version": "gossop_10", "items": [3] * 10}})
    assert (g.sows.value, g.sows.maximum) == (30, 30)


# DSM-5 [DSM5]: 0-1 none, 2-3 mild, 4-5 moderate, >= 6 severe.
CRITERIA = [
    "larger_amounts_or_longer",
    "unsuccessful_cut_down",
    "time_spent",
    "craving",
    "role_failure",
    "social_interpersonal_problems",
    "activities_given_up",
    "hazardous_use",
    "use_despite_physical_or_psychological_problem",
]


@pytest.mark.parametrize(
    ("count", "band"),
    [
        (0, "none"),
        (1, "none"),
        (2, "mild"),
        (3, "mild"),
        (4, "moderate"),
        (5, "moderate"),
        (6, "severe"),
        (9, "severe"),
    ],
)
def test_dsm5_severity(count: int, band: str) -> None:
    s = scores(dsm5_criteria_met=CRITERIA[:count])
    assert (s.dsm5.value, s.dsm5.band) == (count, band)


def test_dsm5_excludes_tolerance_and_withdrawal_under_supervision() -> None:
    criteria = ["craving", "time_spent", "tolerance", "withdrawal"]
    supervised = scores(
        dsm5_criteria_met=criteria, use_history={"prescribed_opioid_under_supervision": True}
    )
    assert (supervised.dsm5.value, supervised.dsm5.band) == (2, "mild")
    assert set(supervised.dsm5.excluded) == {"tolerance", "withdrawal"}
    unsupervised = scores(dsm5_criteria_met=criteria)
    assert (unsupervised.dsm5.value, unsupervised.dsm5.band) == (4, "moderate")
    unknown = scores(
        dsm5_criteria_met=criteria, use_history={"prescribed_opioid_under_supervision": None}
    )
    assert "/use_history/prescribed_opioid_under_supervision" in unknown.dsm5.missing


# NEWS2 chart 1 [NEWS2], one parameter at a time from an all-normal baseline.
@pytest.mark.parametrize(
    ("field", "value", "points"),
    [
        ("respiratory_rate_per_min", 8, 3),
        ("respiratory_rate_per_min", 9, 1),
        ("respiratory_rate_per_min", 11, 1),
        ("respiratory_rate_per_min", 12, 0),
        ("respiratory_rate_per_min", 20, 0),
        ("respiratory_rate_per_min", 21, 2),
        ("respiratory_rate_per_min", 24, 2),
        ("respiratory_rate_per_min", 25, 3),
        ("spo2_percent", 91, 3),
        ("spo2_percent", 92, 2),
        ("spo2_percent", 93, 2),
        ("spo2_percent", 94, 1),
        ("spo2_percent", 95, 1),
        ("spo2_percent", 96, 0),
        ("systolic_bp_mmhg", 90, 3),
        ("systolic_bp_mmhg", 91, 2),
        ("systolic_bp_mmhg", 100, 2),
        ("systolic_bp_mmhg", 101, 1),
        ("systolic_bp_mmhg", 110, 1),
        ("systolic_bp_mmhg", 111, 0),
        ("systolic_bp_mmhg", 219, 0),
        ("systolic_bp_mmhg", 220, 3),
        ("heart_rate_bpm", 40, 3),
        ("heart_rate_bpm", 41, 1),
        ("heart_rate_bpm", 50, 1),
        ("heart_rate_bpm", 51, 0),
        ("heart_rate_bpm", 90, 0),
        ("heart_rate_bpm", 91, 1),
        ("heart_rate_bpm", 110, 1),
        ("heart_rate_bpm", 111, 2),
        ("heart_rate_bpm", 130, 2),
        ("heart_rate_bpm", 131, 3),
        ("temperature_c", 35.0, 3),
        ("temperature_c", 35.1, 1),
        ("temperature_c", 36.0, 1),
        ("temperature_c", 36.1, 0),
        ("temperature_c", 38.0, 0),
        ("temperature_c", 38.1, 1),
        ("temperature_c", 39.0, 1),
        ("temperature_c", 39.1, 2),
        ("on_supplemental_oxygen", True, 2),
        ("consciousness", "new_confusion", 3),
        ("consciousness", "voice", 3),
        ("consciousness", "pain", 3),
        ("consciousness", "unresponsive", 3),
    ],
)
def test_news2_parameter_bands(field: str, value: Any, points: int) -> None:
    vitals: dict[str, Any] = {field: value}
    if field == "systolic_bp_mmhg" and value <= 100:
        vitals["diastolic_bp_mmhg"] = 50
    s = scores(vitals=vitals)
    assert s.news2.value == points
    assert (s.news2.red_flags != ()) is (points == 3)


@pytest.mark.parametrize(
    ("vitals", "total", "band"),
    [
        ({}, 0, "low"),
        ({"respiratory_rate_per_min": 22, "heart_rate_bpm": 115}, 4, "low"),
        ({"respiratory_rate_per_min": 25}, 3, "low_medium"),
        ({"respiratory_rate_per_min": 22, "heart_rate_bpm": 115, "spo2_percent": 95}, 5, "medium"),
        (
            {
                "respiratory_rate_per_min": 22,
                "heart_rate_bpm": 115,
                "spo2_percent": 94,
                "temperature_c": 38.5,
            },
            6,
            "medium",
        ),
        (
            {
                "respiratory_rate_per_min": 22,
                "heart_rate_bpm": 115,
                "spo2_percent": 95,
                "temperature_c": 38.5,
                "systolic_bp_mmhg": 105,
            },
            7,
            "high",
        ),
    ],
)
def test_news2_totals_and_response_bands(vitals: dict[str, Any], total: int, band: str) -> None:
    s = scores(vitals=vitals)
    assert (s.news2.value, s.news2.band, s.news2.complete) == (total, band, True)


def test_news2_partial_vitals_are_a_lower_bound() -> None:
    s = scores(vitals={"temperature_c": None, "consciousness": None})
    assert s.news2.complete is False
    assert set(s.news2.missing) == {"/vitals/temperature_c", "/vitals/consciousness"}
    assert scores(vitals=None).news2.value is None


# Liver [ACG14][HYS-FDA09].
@pytest.mark.parametrize(
    ("labs", "r", "pattern"),
    [
        ({"alt_u_per_l": 200, "alp_u_per_l": 120}, 5.0, "hepatocellular"),
        ({"alt_u_per_l": 200, "alp_u_per_l": 300}, 2.0, "cholestatic"),
        ({"alt_u_per_l": 160, "alp_u_per_l": 160}, 3.0, "mixed"),
        # Below the injury signal levels (ALT > 3x, ALP > 2x ULN) nothing is classified.
        ({"alt_u_per_l": 80, "alp_u_per_l": 120}, 2.0, None),
        ({"alt_u_per_l": 120, "alp_u_per_l": 120}, 3.0, None),
        ({"alt_u_per_l": 48, "alp_u_per_l": 96}, 1.5, None),
    ],
)
def test_r_ratio_patterns(labs: dict[str, Any], r: float, pattern: str | None) -> None:
    s = scores(labs=labs)
    assert (s.liver.r_ratio, s.liver.pattern) == (r, pattern)
    assert s.liver.band == (pattern or "elevated")


def test_dilin_median_kratom_case_is_mixed_and_in_hys_range() -> None:
    # DILIN kratom cases at onset (median ALT 326, ALP 292 U/L, bilirubin 9.5 mg/dL) with
    # typical ULNs: R = (326/40)/(292/120) = 3.35, mixed, as DILIN reported (median R 3.0).
    s = scores(labs={"alt_u_per_l": 326, "alp_u_per_l": 292, "total_bilirubin_mg_per_dl": 9.5})
    assert s.liver.pattern == "mixed"
    assert s.liver.r_ratio == pytest.approx(3.35, abs=0.01)
    assert s.liver.hys_law_range is True
    assert s.liver.band == "hys_law_range"


def test_hys_law_edges() -> None:
    assert scores(labs={"alt_u_per_l": 120, "total_bilirubin_mg_per_dl": 2.4}).liver.hys_law_range
    assert not scores(
        labs={"alt_u_per_l": 119, "total_bilirubin_mg_per_dl": 2.4}
    ).liver.hys_law_range
    assert not scores(
        labs={"ast_u_per_l": 120, "total_bilirubin_mg_per_dl": 2.3}
    ).liver.hys_law_range
    unknown = scores(labs={"alt_u_per_l": 200, "total_bilirubin_mg_per_dl": None})
    assert unknown.liver.hys_law_range is None


def test_a_liver_value_sent_without_its_uln_is_not_called_missing() -> None:
    """Only what was not sent is missing: a bilirubin without its ULN lists the ULN, not the
    bilirubin (the value is on file; it just cannot be graded)."""
    liver = scores(
        labs={
            "alt_u_per_l": 40,
            "alt_uln_u_per_l": 40,
            "ast_u_per_l": None,
            "total_bilirubin_mg_per_dl": 0.5,
            "total_bilirubin_uln_mg_per_dl": None,
        }
    ).liver
    assert "/labs/total_bilirubin_uln_mg_per_dl" in liver.missing
    assert "/labs/total_bilirubin_mg_per_dl" not in liver.missing
    assert "/labs/ast_u_per_l" in liver.missing
    assert {"/labs/alt_u_per_l", "/labs/alt_uln_u_per_l"} <= set(liver.inputs_used)
    assert "/labs/total_bilirubin_mg_per_dl" not in liver.inputs_used  # not graded


# QTc by sex [RAUTAHARJU09][KRANTZ09].
@pytest.mark.parametrize(
    ("sex", "qtc", "band"),
    [
        ("male", 449, "normal"),
        ("male", 450, "prolonged"),
        ("female", 459, "normal"),
        ("female", 460, "prolonged"),
        ("unknown", 450, "prolonged"),
        ("male", 499, "prolonged"),
        ("female", 500, "high_risk"),
    ],
)
def test_qtc_category(sex: str, qtc: int, band: str) -> None:
    s = scores(
        patient={"sex_at_birth": sex, "pregnancy_status": "not_pregnant"}, labs={"qtc_ms": qtc}
    )
    assert s.qtc.band == band


# PHQ-9 [PHQ9] and GAD-7 [GAD7] bands.
@pytest.mark.parametrize(
    ("total", "band"),
    [
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately_severe"),
        (19, "moderately_severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_bands(total: int, band: str) -> None:
    s = scores(screening={"phq9": {"total": total, "item9": 0, "items": None}})
    assert (s.phq9.band, s.phq9.positive) == (band, total >= 10)


def test_phq9_total_without_item9_reports_the_gap() -> None:
    s = scores(screening={"phq9": {"total": 12, "items": None}})
    assert s.phq9.item9 is None
    assert "/screening/phq9/item9" in s.phq9.missing


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_bands(total: int, band: str) -> None:
    s = scores(screening={"gad7": {"total": total, "items": None}})
    assert (s.gad7.band, s.gad7.positive) == (band, total >= 10)


def test_pcl5_cutoff_and_clusters() -> None:
    assert scores(screening={"pcl5": {"total": 30}}).pcl5.positive is False
    assert scores(screening={"pcl5": {"total": 31}}).pcl5.positive is True
    # B: item 1; C: item 6; D: items 8, 9; E: items 15, 16 rated >= 2 [PCL5 cluster rule].
    items = [2, 0, 0, 0, 0, 2, 0, 2, 2, 0, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0]
    assert scores(screening={"pcl5": {"items": items, "total": None}}).pcl5.dsm_clusters_met
    items[14] = 1
    assert not scores(screening={"pcl5": {"items": items, "total": None}}).pcl5.dsm_clusters_met


@pytest.mark.parametrize(
    ("answers", "level"),
    [
        ({}, "none"),
        ({"wish_to_be_dead": True}, "low"),
        (
            {
                "suicidal_thoughts": True,
                "thoughts_with_method": False,
                "intent": False,
                "plan_with_intent": False,
            },
            "low",
        ),
        (
            {
                "suicidal_thoughts": True,
                "thoughts_with_method": True,
                "intent": False,
                "plan_with_intent": False,
            },
            "moderate",
        ),
        (
            {"suicidal_behavior_lifetime": True, "suicidal_behavior_past_3_months": False},
            "moderate",
        ),
        (
            {
                "suicidal_thoughts": True,
                "thoughts_with_method": True,
                "intent": True,
                "plan_with_intent": False,
            },
            "high",
        ),
        (
            {
                "suicidal_thoughts": True,
                "thoughts_with_method": True,
                "intent": True,
                "plan_with_intent": True,
            },
            "high",
        ),
        ({"suicidal_behavior_lifetime": True, "suicidal_behavior_past_3_months": True}, "high"),
    ],
)
def test_cssrs_risk_levels(answers: dict[str, Any], level: str) -> None:
    # Columbia triage: Q4/Q5 or behaviour in 3 months = high; Q3 or older behaviour moderate
    # [CSSRS].
    s = scores(screening={"cssrs": answers})
    assert s.cssrs.band == level


@pytest.mark.parametrize(
    ("sex", "total", "positive"),
    [
        ("male", 3, False),
        ("male", 4, True),
        ("female", 2, False),
        ("female", 3, True),
        ("unknown", 3, True),
    ],
)
def test_audit_c_by_sex(sex: str, total: int, positive: bool) -> None:
    s = scores(
        patient={"sex_at_birth": sex, "pregnancy_status": "not_pregnant"},
        screening={"audit_c": {"total": total, "items": None}},
    )
    assert s.audit_c.positive is positive


def test_every_score_cites_its_source() -> None:
    s = scores()
    for name in type(s).model_fields:
        assert getattr(s, name).citation.source_key


def test_dast10_reverses_item_3_and_checks_a_given_total() -> None:
    """DAST-10 [DAST10]: a yes scores 1 except item 3 ('always able to stop'), where a no
    does; bands 0 none, 1-2 low, 3-5 moderate, 6-8 substantial, 9-10 severe."""
    all_no = run(screening={"dast10": {"items": [False] * 10}})
    assert (all_no.scores.dast10.value, all_no.scores.dast10.band) == (1, "low")
    all_yes = run(screening={"dast10": {"items": [True] * 10}})
    assert (all_yes.scores.dast10.value, all_yes.scores.dast10.band) == (9, "severe")
    for total, band in ((0, "none"), (2, "low"), (3, "moderate"), (8, "substantial")):
        assert run(screening={"dast10": {"total": total}}).scores.dast10.band == band
    with pytest.raises(ValidationError):
        make_assessment(screening={"dast10": {"items": [False] * 10, "total": 0}})


def test_egfr_is_estimated_from_creatinine_with_ckd_epi_2021() -> None:
    """The race-free CKD-EPI 2021 creatinine equation (Inker 2021; NKF): a 55-year-old woman
    with creatinine 0.9 mg/dL has an eGFR of about 76 (the worked example); an eGFR given is
    used as given; without sex at birth or an adult age nothing is estimated."""
    woman = {"sex_at_birth": "female", "pregnancy_status": "not_pregnant", "age_years": 55}
    facts = run_facts(patient=woman, labs={"egfr_ml_min_1_73m2": None, "creatinine_mg_per_dl": 0.9})
    assert facts.egfr is not None
    assert abs(facts.egfr - 76) <= 1
    assert "CKD-EPI 2021" in facts.egfr_text
    given = run_facts(labs={"egfr_ml_min_1_73m2": 48, "creatinine_mg_per_dl": 0.9})
    assert (given.egfr, given.egfr_text) == (48, "eGFR 48")
    # Sex at birth not recorded: the lower (more cautious) of the two forms, and said so.
    unknown_sex = {"sex_at_birth": "unknown", "pregnancy_status": "not_pregnant"}
    lower = run_facts(
        patient=unknown_sex | {"age_years": 55},
        labs={"egfr_ml_min_1_73m2": None, "creatinine_mg_per_dl": 0.9},
    )
    as_man = run_facts(
        patient={"age_years": 55}, labs={"egfr_ml_min_1_73m2": None, "creatinine_mg_per_dl": 0.9}
    )
    assert lower.egfr == min(as_man.egfr or 0, facts.egfr)
    assert "sex at birth not recorded" in lower.egfr_text
    minor = run_facts(patient={"age_years": 16}, labs={"egfr_ml_min_1_73m2": None})
    assert minor.egfr is None
