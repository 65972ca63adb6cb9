"""What a stored evaluation implies over time: a suggested phase move (a clinician confirms
it) and the aftercare schedule. Both read an evaluation, as a model or as its JSON dump."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from app.rules import thresholds as th
from app.rules.define import INPATIENT_OR_EMERGENCY
from app.schemas.evaluation import Evaluation

#: Visits: weekly for 4 weeks, every 2 weeks to week 12, then every 4 weeks to a year [L].
VISIT_WEEKS = (1, 2, 3, 4, 6, 8, 10, 12, *range(16, 53, 4))
#: Kratom-specific urine tests as in the 28-patient buprenorphine series [BROYAN22].
ASSAY_WEEKS = (4, 8, 12)
_ACTIVE = ("recommended", "consider")
_INPATIENT_OR_EMERGENCY = frozenset(s.value for s in INPATIENT_OR_EMERGENCY)


def _as_dict(evaluation: Evaluation | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(evaluation, Evaluation):
        return evaluation.model_dump(mode="json")
    return evaluation


def _recommendations(ev: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {r["code"]: r for p in ev["phases"] for r in p["recommendations"]}


def suggest_phase_transition(
    evaluation: Evaluation | Mapping[str, Any], *, current_phase: str
) -> dict[str, str] | None:
    """PH-01: stabilization -> behavioral_therapy once the rule PH-01 vouches that withdrawal
    has resolved (a current COWS < 5 past the onset window, vital signs current and stable:
    its `withdrawal_resolved` alert), in an ambulatory setting. PH-02: back to
    stabilization from a later phase on a critical alert with an inpatient or emergency
    setting, or on active withdrawal (COWS >= 5). Moving on to aftercare needs time
    in phase, which one evaluation cannot show, so it is never suggested here."""
    ev = _as_dict(evaluation)
    loc = ev["level_of_care"]
    # A critical alert sends a patient back only with a setting that needs inpatient or
    # emergency care: pregnancy or a 7-OH product stay critical for good in an office setting.
    # An indeterminate setting (inputs missing) has no `setting`: its floor decides.
    acute = bool({loc["setting"], loc.get("minimum_setting")} & _INPATIENT_OR_EMERGENCY)
    critical = acute and any(a["severity"] == "critical" for a in ev["alerts"])
    cows = ev["scores"]["cows"]["value"]
    if current_phase == "stabilization":
        resolved = next((a for a in ev["alerts"] if a["code"] == "withdrawal_resolved"), None)
        ambulatory = loc["setting"] in ("outpatient", "outpatient_extended_monitoring")
        # PH-01 itself (it runs after every other rule) already requires no destabilising
        # alert and no open question that could need inpatient care; one that could only
        # change the ambulatory setting leaves the setting provisional, not the move.
        if resolved is not None and ambulatory and loc["determination"] != "indeterminate":
            return {
                "to_phase": "behavioral_therapy",
                "rule_id": "PH-01",
                "rationale": resolved["detail"],
            }
        return None
    if critical or (cows is not None and cows >= th.COWS_MILD.value):
        why = (
            "a critical alert that needs inpatient or emergency care"
            if critical
            else f"active withdrawal (COWS {cows:g})"
        )
        return {
            "to_phase": "stabilization",
            "rule_id": "PH-02",
            "rationale": f"Reassessment shows {why}: return to stabilization. A clinician "
            "confirms the move.",
        }
    return None


def follow_up_schedule(
    evaluation: Evaluation | Mapping[str, Any], *, start: date
) -> list[dict[str, Any]]:
    """Dated aftercare items derived from the aftercare recommendations (ISO dates)."""
    ev = _as_dict(evaluation)
    recs = _recommendations(ev)
    items: list[dict[str, Any]] = []

    def add(kind: str, code: str, title: str, days: int, rec_code: str) -> None:
        rec = recs.get(rec_code)
        if rec is None or rec["status"] not in _ACTIVE:
            return
        items.append(
            {
                "kind": kind,
                "code": code,
                "title": title,
                "due_date": (start + timedelta(days=days)).isoformat(),
                "recommendation_code": rec_code,
                "rule_ids": list(rec["rule_ids"]),
            }
        )

    for week in VISIT_WEEKS:
        add(
            "visit",
            f"visit-week-{week}",
            f"Follow-up visit (week {week})",
            week * 7,
            "continuing_care",
        )
    for week in ASSAY_WEEKS:
        add(
            "lab",
            f"mitragynine-assay-week-{week}",
            f"Kratom-specific urine test (week {week})",
            week * 7,
            "monitoring_labs",
        )
    methadone = recs.get("methadone")
    if methadone is not None and methadone["status"] in _ACTIVE:
        add("lab", "ecg-day-30", "ECG within 30 days of starting methadone", 30, "methadone")
    add(
        "reassessment", "reassessment-month-12", "12-month reassessment", 365, "long_term_follow_up"
    )
    items.sort(key=lambda i: (i["due_date"], i["code"]))
    return items
