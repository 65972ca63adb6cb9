"""Phase transitions the rules can vouch for (PH). Run last: they read what the other rules
found."""

from __future__ import annotations

from app.rules import thresholds as th
from app.rules.define import CRITICAL, INFO, INPATIENT_OR_EMERGENCY, Cite, Family, rule
from app.rules.facts import (
    Facts,
    cows_not_current,
    elapsed_text,
    other_opioid_wait_hours,
    past_every_opioid_wait,
    vitals_not_current,
)
from app.rules.findings import Findings

#: Holds of an alpha-2 agonist for a low heart rate or blood pressure. While the patient
#: takes the drug held, its effect on the vital signs is not stable yet; a hold of a drug
#: only considered says nothing NEWS2 does not.
_VITAL_SIGN_HOLDS = {"lofexidine_hold": "lofexidine", "clonidine_hold": "clonidine"}


def _other_opioid_pending(f: Facts, out: Findings) -> list[str]:
    """Withdrawal from another opioid may still be to come: its last dose is not recorded,
    or is more recent than the wait by which its withdrawal shows (the same waits that time
    buprenorphine induction: 72 h after methadone). An agonist maintenance treatment
    (buprenorphine, methadone) covers the other opioid, so no withdrawal is awaited."""
    w = f.a.withdrawal
    hours = w.hours_since_last_other_opioid_use if w is not None else None
    on_agonist = f.med_classes is not None and bool(f.med_classes & _AGONIST_MAINTENANCE)
    if on_agonist:
        return []
    use = f.a.use_history
    if not f.unprescribed_opioid:
        # None known, or prescribed and continued (no withdrawal awaited from it): the 24 h
        # window over the last opioid (hours_since_last_use) applies. Other opioids not asked
        # about could be methadone, unless the last one was past even its wait.
        if (use is None or use.other_substances is None) and not past_every_opioid_wait(hours):
            out.missing(
                "/use_history/other_substances",
                "Another opioid (fentanyl, methadone) brings its own, later withdrawal.",
            )
            return ["other opioid use not recorded"]
        return []
    if hours is None:
        out.missing(
            "/withdrawal/hours_since_last_other_opioid_use",
            "Withdrawal from the other opioid may still be to come: its last dose decides.",
        )
        return ["time since the last other opioid not recorded"]
    need = max(th.WITHDRAWAL_ONSET_MAX_HOURS.value, other_opioid_wait_hours(f))
    if hours < need:
        return [
            f"last other opioid {hours:g} h ago (< {need:g} h): its withdrawal may not have begun"
        ]
    return []


_AGONIST_MAINTENANCE = frozenset({"buprenorphine", "methadone"})


def _not_yet_resolved(f: Facts, out: Findings) -> list[str]:
    """Why resolution cannot be vouched for (empty: it can)."""
    why = []
    cows_age = cows_not_current(f)
    if cows_age is not None:
        why.append(f"COWS scored {elapsed_text(cows_age)} ago")
    hours = f.hours_since_last_use()
    if hours is None:
        why.append("time since last use not recorded")
    elif hours < th.WITHDRAWAL_ONSET_MAX_HOURS.value:
        why.append(f"last use {hours:g} h ago: withdrawal may not have begun")
    why += _other_opioid_pending(f, out)
    news2 = f.scores.news2
    if news2.value is None or not news2.complete:
        why.append("vital signs incomplete")
    elif news2.band != "low" or news2.red_flags:
        why.append(f"NEWS2 {news2.value:g} ({news2.band})")
    if vitals_not_current(f) is not None:
        why.append("vital signs not current")
    # Only what destabilises blocks resolution: a vital-sign alert, or a critical alert whose
    # rule asked for inpatient or emergency care. A standing risk (pregnancy, a 7-OH product,
    # benzodiazepine co-use) stays critical for good and must not hold the plan back forever.
    acute = {lv.rule.id for lv in out.levels if lv.setting in INPATIENT_OR_EMERGENCY}
    if any(
        a.rule.id.startswith("VS-")
        or _VITAL_SIGN_HOLDS.get(a.code) in f.current_alpha2
        or (a.severity is CRITICAL and a.rule.id in acute)
        for a in out.alerts
    ):
        why.append("a vital-sign alert, or a critical one that needs inpatient care, stands")
    # An unanswered question that could need inpatient or emergency care (suicide risk not
    # screened, a seizure today not asked) holds the move; one that could only change the
    # ambulatory setting (a 7-OH product's daily use) does not, or it would hold it for ever.
    acute_questions = [q.question for q in out.open_levels if q.setting in INPATIENT_OR_EMERGENCY]
    if acute_questions:
        why.append(f"open question: {acute_questions[0]}")
    return why


def _ph_01(f: Facts, out: Findings) -> bool:
    cows = f.scores.cows.value
    if cows is None or cows >= th.COWS_MILD.value or _not_yet_resolved(f, out):
        return False
    hours = f.hours_since_last_use() or 0.0
    out.alert(
        "withdrawal_resolved",
        INFO,
        "Withdrawal resolved: stabilization can be completed",
        f"COWS {cows:g} (< 5), last use {elapsed_text(hours)} ago, vital signs current and "
        f"stable (NEWS2 {f.scores.news2.value:g}, no red flag or vital-sign alert). A "
        "clinician confirms the move to behavioural therapy and relapse prevention."
        + _subjective_note(f),
    )
    return True


def _subjective_note(f: Facts) -> str:
    """Kratom withdrawal can be mostly subjective (a low COWS with a high SOWS): the
    patient's own score is named for the clinician who confirms the move."""
    sows = f.scores.sows
    if sows.value is None or sows.value == 0:
        return ""
    return (
        f" SOWS {sows.value:g} of {sows.maximum}: ask whether the patient's own withdrawal "
        "symptoms have settled before confirming."
    )


PH_01 = rule(
    "PH-01",
    revision=6,
    family=Family.alert,
    title="Withdrawal resolved",
    summary="COWS < 5, scored within 12 hours, last use >= 24 hours ago, other opioid use "
    "recorded and any unprescribed other opioid's last dose past its wait (72 h after "
    "methadone, 24 h otherwise) unless on agonist maintenance, vital signs current, "
    "complete and stable (NEWS2 low, no red flag, no vital-sign alert or hold of lofexidine "
    "or clonidine being taken, no critical alert or "
    "open question that needs or could need inpatient care): an info alert that "
    "stabilization can be completed (a plan suggests the next phase from it).",
    rationale="Stabilization is complete when withdrawal has resolved and vital signs are "
    "stable. A low COWS shows resolution only after the onset window has passed (kratom "
    "withdrawal begins within about 12-24 hours of the last dose) and only while it is "
    "current; NEWS2 low with no single red parameter is the stable-observation tier.",
    reads=(
        "scores.cows.total",
        "/withdrawal/assessed_at",
        "derived.hours_since_last_use",
        "/withdrawal/hours_since_last_other_opioid_use",
        "/use_history/other_substances",
        "derived.unprescribed_opioid",
        "derived.long_acting_opioid",
        "derived.extended_release_opioid",
        "derived.medication_classes",
        "derived.current_alpha2",
        "scores.news2.total",
        "scores.news2.band",
        "scores.news2.red_flags",
        "scores.news2.complete",
        "derived.vitals_age_hours",
        "scores.sows.total",
    ),
    cites=(
        Cite("COWS", "< 5: no active withdrawal"),
        Cite("SINGH14", "Kratom withdrawal symptoms and course"),
        Cite("LEI21", "Withdrawal timing after last kratom use"),
        Cite("NEWS2", "Low score (0-4) without a red parameter: routine observation"),
        Cite("BUPLABEL", "Waits after the last dose of other opioids (methadone: longest)"),
    ),
    limitations=(
        "The onset window (12-24 h) comes from secondary sources [L]; 24 h is its upper end "
        "(configurable).",
        "A COWS older than 12 hours is not taken as current: the engine's currency window for "
        "observations (NEWS2's 12-hourly minimum), borrowed for COWS [L].",
        "Another opioid's withdrawal is awaited for the engine's buprenorphine induction "
        "wait after it (the time by which its withdrawal is expected to show; 72 h after "
        "methadone), at least 24 h: practice convention, not a measured onset [L].",
        "A screen result counts as prescribed when marked so, named by a current medication, "
        "or (the opiates assay) beside any prescribed full agonist [L].",
        "SOWS is not used: a high subjective score with a low COWS is plausible, so a "
        "clinician should ask about symptoms before confirming.",
    ),
    thresholds=(
        th.COWS_MILD,
        th.WITHDRAWAL_ONSET_MAX_HOURS,
        th.VITALS_MAX_AGE_HOURS,
        th.BUP_MIN_HOURS_SHORT_ACTING,
        th.BUP_MIN_HOURS_EXTENDED_RELEASE,
        th.BUP_MIN_HOURS_METHADONE,
    ),
    apply=_ph_01,
)

RULES = (PH_01,)
