"""Phase suggestions and the aftercare schedule derived from an evaluation."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.rules import follow_up_schedule, suggest_phase_transition
from tests.factories import cows_items
from tests.rules.support import run

RESOLVED = {"cows": cows_items(3), "hours_since_last_kratom_use": 30}


def test_resolved_withdrawal_suggests_behavioral_therapy() -> None:
    ev = run(withdrawal=RESOLVED)
    found = suggest_phase_transition(ev.model_dump(mode="json"), current_phase="stabilization")
    assert found is not None
    assert found["to_phase"] == "behavioral_therapy"
    assert found["rule_id"] == "PH-01"
    assert "COWS 3 (< 5)" in found["rationale"]


@pytest.mark.parametrize(
    "overrides",
    [
        # Two hours after the last dose withdrawal may not have begun [clinical ref 3.3].
        pytest.param({"withdrawal": RESOLVED | {"hours_since_last_kratom_use": 2}}, id="too early"),
        pytest.param(
            {"withdrawal": {"cows": cows_items(3), "hours_since_last_kratom_use": None}},
            id="last use unknown",
        ),
        pytest.param(
            {"withdrawal": RESOLVED | {"assessed_at": "2026-11-21T14:00:00Z"}}, id="COWS 5 days old"
        ),
        pytest.param(
            {"withdrawal": RESOLVED, "vitals": {"temperature_c": 39.5, "heart_rate_bpm": 112}},
            id="fever with tachycardia",
        ),
        pytest.param(
            {"withdrawal": RESOLVED, "vitals": {"measured_at": "2026-11-25T14:00:00Z"}},
            id="vital signs a day old",
        ),
    ],
)
def test_no_phase_suggestion_on_stale_early_or_unstable_data(overrides: dict[str, Any]) -> None:
    ev = run(**overrides)
    assert "withdrawal_resolved" not in {a.code for a in ev.alerts}
    assert suggest_phase_transition(ev, current_phase="stabilization") is None


def test_active_withdrawal_stays_in_stabilization() -> None:
    ev = run(withdrawal={"cows": cows_items(8)})
    assert suggest_phase_transition(ev, current_phase="stabilization") is None


def test_relapse_in_later_phase_suggests_stabilization() -> None:
    ev = run(withdrawal={"cows": cows_items(9)})
    found = suggest_phase_transition(ev, current_phase="aftercare")
    assert found is not None
    assert found["to_phase"] == "stabilization"
    assert (
        suggest_phase_transition(run(withdrawal={"cows": cows_items(0)}), current_phase="aftercare")
        is None
    )


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"patient": {"sex_at_birth": "female", "pregnancy_status": "pregnant"}},
                     id="pregnant"),
        pytest.param({"use_history": {"product_types": ["concentrated_7oh"]}}, id="7-OH product"),
    ],
)  # fmt: skip
def test_a_standing_risk_alert_does_not_hold_the_phases_back(overrides: dict[str, Any]) -> None:
    """Pregnancy or a 7-OH product stay critical alerts for good: withdrawal can still resolve
    (PH-01) and a later phase is not sent back to stabilization (PH-02)."""
    ev = run(withdrawal=RESOLVED, **overrides)
    assert any(a.severity == "critical" for a in ev.alerts)
    moved = suggest_phase_transition(ev, current_phase="stabilization")
    assert moved is not None
    assert moved["to_phase"] == "behavioral_therapy"
    assert suggest_phase_transition(ev, current_phase="behavioral_therapy") is None


def test_a_critical_alert_that_needs_inpatient_care_sends_a_patient_back() -> None:
    high_risk = {"wish_to_be_dead": True, "suicidal_thoughts": True, "intent": True,
                 "suicidal_behavior_lifetime": False}  # fmt: skip
    ev = run(withdrawal=RESOLVED, screening={"cssrs": high_risk})
    found = suggest_phase_transition(ev, current_phase="aftercare")
    assert found is not None
    assert found["rule_id"] == "PH-02"
    assert "critical alert" in found["rationale"]
    assert "withdrawal_resolved" not in {a.code for a in ev.alerts}


def test_a_critical_alert_with_a_higher_warning_setting_still_sends_back() -> None:
    """RR 26 is a critical VS-02 (3.7-WM) while a seizure disorder with alcohol asks 4-WM with a
    warning: the setting is decided by the warning, and PH-02 still sees the critical alert."""
    ev = run(
        vitals={"respiratory_rate_per_min": 26},
        withdrawal={"cows": cows_items(0)},
        use_history={"other_substances": ["alcohol"]},
        medical_history={"seizure_disorder": True},
    )
    found = suggest_phase_transition(ev, current_phase="behavioral_therapy")
    assert found is not None
    assert found["rule_id"] == "PH-02"


def test_a_critical_alert_with_an_indeterminate_setting_still_sends_back() -> None:
    """QTc 520 (critical, 4-WM) with vital signs and COWS not recorded: the setting is
    indeterminate, so only its floor (minimum_setting) shows the inpatient need."""
    ev = run(labs={"qtc_ms": 520}, vitals=None, withdrawal={"cows": None})
    assert ev.level_of_care.setting is None
    assert ev.level_of_care.minimum_setting == "inpatient_medically_managed"
    found = suggest_phase_transition(ev, current_phase="behavioral_therapy")
    assert found is not None
    assert found["rule_id"] == "PH-02"


def test_follow_up_schedule_comes_from_aftercare_recommendations() -> None:
    ev = run(considering=["buprenorphine", "methadone"])
    items = follow_up_schedule(ev.model_dump(mode="json"), start=date(2026, 11, 26))
    codes = {i["code"] for i in items}
    assert {
        "visit-week-1",
        "mitragynine-assay-week-4",
        "mitragynine-assay-week-12",
        "ecg-day-30",
        "reassessment-month-12",
    } <= codes
    assert all(i["due_date"] > "2026-11-26" for i in items)
    assert [i["due_date"] for i in items] == sorted(i["due_date"] for i in items)
    assert {i["kind"] for i in items} == {"visit", "lab", "reassessment"}
