"""The structured diff between two revisions' evaluations (app/services/plan_diff.py)."""

from __future__ import annotations

from typing import Any

from app.services.plan_diff import diff_evaluations, score_changes
from tests.rules.support import run


def _evaluation(**overrides: Any) -> dict[str, Any]:
    return run(**overrides).model_dump(mode="json")


def test_an_alert_escalating_under_the_same_code_is_a_change() -> None:
    # NEWS2 chart: RR 25 scores 3 (a single red parameter: VS-02, urgent review); adding
    # HR 135 and SpO2 91 takes NEWS2 to >= 7 (VS-01, emergency) under the same code.
    before = _evaluation(vitals={"respiratory_rate_per_min": 25})
    after = _evaluation(
        vitals={"respiratory_rate_per_min": 25, "heart_rate_bpm": 135, "spo2_percent": 91}
    )
    diff = diff_evaluations(before, after, previous_revision=1)
    changed = {c["code"]: c for c in diff["alerts"]["changed"]}
    assert changed["physiological_instability"]["from_rule"] == "VS-02"
    assert changed["physiological_instability"]["to_rule"] == "VS-01"
    unchanged = diff_evaluations(before, before, previous_revision=1)
    assert unchanged["alerts"] == {"added": [], "removed": [], "changed": []}


def test_liver_multiples_are_followed_even_when_the_r_ratio_stays() -> None:
    before = _evaluation(labs={"alt_u_per_l": 48, "alp_u_per_l": 96})
    after = _evaluation(labs={"alt_u_per_l": 144, "alp_u_per_l": 288})
    liver = [s for s in diff_evaluations(before, after, previous_revision=1)["scores"]
             if s["score"] == "liver"]  # fmt: skip
    assert liver, "ALT from 1.2x to 3.6x ULN must show"
    assert liver[0]["from"]["alt_x_uln"] < liver[0]["to"]["alt_x_uln"]


def test_score_deltas_keep_the_precision_of_the_values() -> None:
    """ALT 1.1x -> 1.3x ULN is a change of 0.2, not 0.19999999999999996."""
    before = {"liver": {"value": 1.1}, "cows": {"total": 8}}
    after = {"liver": {"value": 1.3}, "cows": {"total": 14}}
    deltas = {c["score"]: c["delta"] for c in score_changes(before, after)}
    assert deltas == {"cows": 6, "liver": 0.2}
    assert isinstance(deltas["cows"], int)


def test_an_alert_whose_title_changed_shows_both_titles() -> None:
    def evaluation(title: str) -> dict[str, object]:
        alert = {"code": "qtc_prolongation", "severity": "critical", "rule_id": "QT-01",
                 "title": title}  # fmt: skip
        return {"alerts": [alert]}

    diff = diff_evaluations(evaluation("Old"), evaluation("New"), previous_revision=1)
    [changed] = diff["alerts"]["changed"]
    assert (changed["from_title"], changed["title"]) == ("Old", "New")
