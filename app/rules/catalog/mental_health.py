"""Suicide risk and co-occurring mental-health conditions (MH)."""

from __future__ import annotations

from app.rules import thresholds as th
from app.rules.define import (
    BEHAVIORAL_THERAPY,
    CRITICAL,
    EMERGENCY,
    INFO,
    MONITORING,
    RECOMMENDED,
    REFERRAL,
    STABILIZATION,
    THERAPY,
    WARNING,
    Cite,
    Family,
    rule,
)
from app.rules.facts import CODED_LIMITATION, Facts, condition_concepts_cite, sentence
from app.rules.findings import Findings

_CSSRS_READS = ("/screening/cssrs", "scores.cssrs.risk", "scores.cssrs.complete")
_CSSRS_WORDS = {
    "none": "no suicide risk identified",
    "low": "low risk (see its alert)",
    "moderate": "moderate risk (see its alert)",
    "high": "high risk (see its alert)",
}
_SCREEN_LIMIT = ("Screeners are not diagnoses; a positive screen needs clinical assessment.",)


def _mh_01(f: Facts, out: Findings) -> bool:
    c = f.scores.cssrs
    if c.band is None:
        out.missing(
            "/screening/cssrs",
            "Suicide risk was not screened; a high-risk answer would change the setting.",
        )
        out.could_require(EMERGENCY, "suicide risk not screened (C-SSRS)")
        return False
    for pointer in c.missing:
        out.missing(
            pointer,
            "Needed to grade suicide risk: unknown recency of suicidal behaviour is treated as "
            "recent; an unasked method, intent or plan question leaves the grade a lower bound "
            "until the screener is finished.",
        )
    if c.band != "high":
        if c.missing:
            out.could_require(EMERGENCY, "C-SSRS screener not finished (a lower bound)")
        return False
    unknown_recency = "/screening/cssrs/suicidal_behavior_past_3_months" in c.missing
    detail = (
        "High suicide risk on the C-SSRS screener"
        + (
            " (suicidal behaviour with recency not recorded, treated as recent)"
            if unknown_recency
            else ""
        )
        + ". Safety precautions now and same-day evaluation by a mental-health professional "
        "for possible hospitalisation; withdrawal management only in a setting equipped for "
        "suicide risk."
    )
    out.alert("suicide_risk_high", CRITICAL, "High suicide risk", detail)
    out.level(EMERGENCY, "High suicide risk on the C-SSRS screener.")
    out.recommend(
        STABILIZATION,
        "mental_health_evaluation",
        REFERRAL,
        "Same-day mental-health evaluation",
        RECOMMENDED,
        "Same-day evaluation for possible psychiatric admission; keep the patient safe until then.",
    )
    return True


MH_01 = rule(
    "MH-01",
    revision=3,
    family=Family.alert,
    title="High suicide risk",
    summary="C-SSRS Q4 or Q5 yes, or suicidal behaviour in the past 3 months: critical alert, "
    "emergency evaluation. Not screened, or the screener unfinished: the setting is only "
    "provisional.",
    rationale="Columbia's triage guidance treats these answers as high risk requiring safety "
    "precautions until a mental-health professional evaluates for hospitalisation; ASAM "
    "requires a setting equipped to manage suicide risk.",
    reads=_CSSRS_READS,
    cites=(
        Cite("CSSRS", "High risk: Q4/Q5 in the past month or behaviour in the past 3 months"),
        Cite("ASAMAWM", "Recommendation III.2: setting equipped for suicide risk"),
    ),
    limitations=(
        *_SCREEN_LIMIT,
        "Unknown recency of suicidal behaviour is treated as recent (conservative reading).",
    ),
    apply=_mh_01,
)


def _safety_plan(out: Findings, detail: str) -> None:
    out.recommend(
        STABILIZATION,
        "safety_plan",
        REFERRAL,
        "Safety plan and behavioural-health referral",
        RECOMMENDED,
        detail,
    )


def _mh_02(f: Facts, out: Findings) -> bool:
    c = f.scores.cssrs
    if c.band is None or c.band == "high":
        return False
    fired = False
    if any(p.endswith(("thoughts_with_method", "/intent", "plan_with_intent")) for p in c.missing):
        out.alert(
            "cssrs_incomplete",
            CRITICAL,
            "Suicidal thoughts: finish the C-SSRS now",
            "Q2 (suicidal thoughts) is yes but method, intent or plan was not asked; complete "
            "the screener before the patient leaves.",
        )
        # The answers given already reach at least Columbia's low tier: its safety plan
        # stands while the grade is settled.
        _safety_plan(
            out,
            "Suicidal thoughts with the screener unfinished: write a safety plan with the "
            "patient now, and finish the C-SSRS.",
        )
        fired = True
    if c.band == "moderate":
        out.alert(
            "suicide_risk_moderate",
            WARNING,
            "Moderate suicide risk",
            "C-SSRS moderate risk: behavioural-health referral and a written safety plan.",
        )
        _safety_plan(out, "Write a safety plan with the patient and refer to behavioural health.")
        fired = True
    elif c.band == "low" and not fired:  # an unfinished screener is not 'low' (above)
        # Q1/Q2 yes only: Columbia's low tier still asks for support, a safety plan and
        # follow-up; silence would read as no risk.
        out.alert(
            "suicide_risk_low",
            INFO,
            "Suicidal ideation (low risk on the C-SSRS)",
            "Wish to be dead or suicidal thoughts without method, intent, plan or recent "
            "behaviour: support, a safety plan and follow-up; ask again at each visit.",
        )
        _safety_plan(
            out,
            "Suicidal ideation (C-SSRS low risk): write a safety plan with the patient and "
            "arrange follow-up.",
        )
        fired = True
    return fired


MH_02 = rule(
    "MH-02",
    revision=4,
    family=Family.alert,
    title="Moderate, low or incompletely screened suicide risk",
    summary="C-SSRS Q3 yes or older suicidal behaviour: referral and safety plan; Q1/Q2 yes only "
    "(low): an info alert, safety plan and follow-up; Q2 yes with Q3-Q5 unanswered: finish "
    "the screener now, and a safety plan meanwhile.",
    rationale="Columbia's screener routes moderate answers to behavioural-health referral; a "
    "yes to active suicidal thoughts without the intent and plan questions leaves risk "
    "ungraded, which must not be read as low.",
    reads=_CSSRS_READS,
    cites=(
        Cite(
            "CSSRS",
            "Moderate tier, low tier (support, safety planning, follow-up) and screener flow",
        ),
    ),
    limitations=(
        *_SCREEN_LIMIT,
        "Moderate and low tiers are setting-defined by Columbia; ours follow the clinical "
        "reference [M].",
    ),
    apply=_mh_02,
)


def _mh_03(f: Facts, out: Findings) -> bool:
    phq9 = f.scores.phq9
    item9 = phq9.item9
    if item9 is None and phq9.value is not None:
        out.missing(
            "/screening/phq9/items",
            "PHQ-9 given as a total only: item 9 (thoughts of death or self-harm) needs a "
            "suicide-risk assessment whatever the total, and is unknown.",
        )
        return False
    if item9 is None or item9 < 1:
        return False
    screened = f.scores.cssrs.band is not None
    out.alert(
        "phq9_item9",
        INFO if screened else WARNING,
        "PHQ-9 item 9 positive",
        f"PHQ-9 item 9 = {item9} (thoughts of death or self-harm). "
        + (
            f"C-SSRS screener: {_CSSRS_WORDS.get(f.scores.cssrs.band or '', 'graded')}."
            if screened
            else "Complete the C-SSRS before the plan is finalised."
        ),
    )
    return True


MH_03 = rule(
    "MH-03",
    revision=3,
    family=Family.alert,
    title="PHQ-9 item 9",
    summary="Any positive answer to PHQ-9 item 9 requires a suicide-risk assessment; a PHQ-9 "
    "given as a total only reports item 9 as missing.",
    rationale="Item 9 asks about thoughts of death or self-harm; a positive answer calls for a "
    "structured suicide-risk assessment regardless of the total.",
    reads=("scores.phq9.item9", "scores.phq9.total", "scores.cssrs.risk"),
    cites=(
        Cite("PHQ9", "Item 9 content"),
        Cite("CSSRS", "Structured follow-up assessment"),
    ),
    limitations=("The item-9 action is standard practice, not part of the validation paper.",),
    apply=_mh_03,
)


def _mh_04(f: Facts, out: Findings) -> bool:
    phq, gad = f.scores.phq9, f.scores.gad7
    if phq.value is None:
        out.missing("/screening/phq9", "Depression screening guides co-occurring treatment.")
    if gad.value is None:
        out.missing("/screening/gad7", "Anxiety screening guides co-occurring treatment.")
    depression = bool(phq.positive or f.has_condition("depression"))
    anxiety = bool(gad.positive or f.has_condition("anxiety"))
    in_remission = not depression and f.has_condition("depression_in_remission")
    if in_remission:
        out.recommend(
            BEHAVIORAL_THERAPY,
            "depression_treatment",
            THERAPY,
            "Continue care for depression in remission",
            RECOMMENDED,
            "Depression in remission is coded: continue the current depression care "
            "(maintenance) and watch for relapse, which often goes with a return to use; "
            "coordinate with psychiatry.",
        )
    if depression:
        out.recommend(
            BEHAVIORAL_THERAPY,
            "depression_treatment",
            THERAPY,
            "Treat co-occurring depression",
            RECOMMENDED,
            (f"PHQ-9 {phq.value:g} ({phq.band}). " if phq.value is not None else "")
            + "Evidence-based psychotherapy and, where indicated, a non-addictive "
            "antidepressant; coordinate with psychiatry.",
        )
    if anxiety:
        out.recommend(
            BEHAVIORAL_THERAPY,
            "anxiety_treatment",
            THERAPY,
            "Treat co-occurring anxiety",
            RECOMMENDED,
            (f"GAD-7 {gad.value:g} ({gad.band}). " if gad.value is not None else "")
            + "CBT-based anxiety treatment and non-addictive medication if needed; avoid "
            "benzodiazepines.",
        )
    return depression or anxiety or in_remission


MH_04 = rule(
    "MH-04",
    revision=4,
    family=Family.behavioral_therapy,
    title="Co-occurring depression or anxiety",
    summary="PHQ-9 >= 10, GAD-7 >= 10 or a recorded diagnosis adds treatment of the condition; "
    "depression coded in remission keeps its current care.",
    rationale="Most people who use kratom report using it for pain, anxiety or depression; "
    "untreated, these conditions drive relapse. PHQ-9 and GAD-7 >= 10 identify probable "
    "disorders (sensitivity 88% and 89%).",
    reads=(
        "scores.phq9.total",
        "scores.gad7.total",
        "/co_occurring_conditions/depression",
        "/co_occurring_conditions/anxiety",
        "/co_occurring_conditions/coded",
    ),
    cites=(
        Cite(
            "ICD10CM",
            "Codes read: F32, F33, F34.1 depression (F32.4, F32.5, F33.4 in remission); F40.0, "
            "F40.1, F41 anxiety",
        ),
        *condition_concepts_cite("depression", "anxiety"),
        Cite("PHQ9", "Cut-off 10: sensitivity and specificity 88%"),
        Cite("GAD7", "Cut-off 10: sensitivity 89%, specificity 82%"),
        Cite("GARCIA20", "Kratom used for pain, anxiety, depression (91%/67%/65%)"),
    ),
    limitations=(
        CODED_LIMITATION,
        *_SCREEN_LIMIT,
        "No trial of co-occurring treatment in kratom use disorder.",
    ),
    thresholds=(th.PHQ9_POSITIVE, th.GAD7_POSITIVE),
    apply=_mh_04,
)


def _mh_05(f: Facts, out: Findings) -> bool:
    pcl = f.scores.pcl5
    social = f.a.social
    reasons = []
    if pcl.positive:
        reasons.append(f"PCL-5 {pcl.value:g} (>= {pcl.cutoff})")
    elif pcl.dsm_clusters_met:
        # PCL-5's second scoring rule: items rated >= 2 meeting every DSM-5 cluster.
        reasons.append(f"PCL-5 {pcl.value:g}, its items meeting the DSM-5 symptom clusters")
    if social is not None and social.trauma_history:
        reasons.append("trauma history")
    if f.has_condition("ptsd"):
        reasons.append("PTSD diagnosis")
    if pcl.value is None and not reasons:
        out.missing("/screening/pcl5", "A positive PTSD screen adds trauma-focused care.")
    if (social is None or social.trauma_history is None) and not reasons:
        out.missing("/social/trauma_history", "A trauma history adds trauma-focused care.")
    if not reasons:
        return False
    out.recommend(
        BEHAVIORAL_THERAPY,
        "trauma_focused_therapy",
        REFERRAL,
        "Trauma-informed care and trauma-focused therapy",
        RECOMMENDED,
        f"{sentence('; '.join(reasons))}. Refer for PTSD assessment and trauma-focused "
        "therapy; offer choices rather than directives, explain the reason for each test "
        "(e.g. observed urine collection), and offer peer support.",
    )
    return True


MH_05 = rule(
    "MH-05",
    revision=5,
    family=Family.behavioral_therapy,
    title="Trauma-focused care",
    summary="PCL-5 >= 31 or its items meeting the DSM-5 symptom clusters, trauma history or "
    "PTSD adds trauma-informed, trauma-focused care.",
    rationale="PCL-5 31-33 marks provisional PTSD; SAMHSA's trauma-informed principles (safety, "
    "transparency, peer support, collaboration, choice) reduce re-traumatisation in care.",
    reads=(
        "scores.pcl5.total",
        "scores.pcl5.dsm_clusters_met",
        "/social/trauma_history",
        "/co_occurring_conditions/ptsd",
        "/co_occurring_conditions/coded",
    ),
    cites=(
        Cite("ICD10CM", "Codes read: F43.1 post-traumatic stress disorder"),
        *condition_concepts_cite("ptsd"),
        Cite("PCL5", "Provisional PTSD cut-off 31-33"),
        Cite("SAMHSA14", "Six principles of a trauma-informed approach"),
    ),
    limitations=(
        CODED_LIMITATION,
        *_SCREEN_LIMIT,
        "A provisional PCL-5 needs a CAPS-5 or clinical interview.",
    ),
    thresholds=(th.PCL5_CUTOFF,),
    apply=_mh_05,
)


def _mh_06(f: Facts, out: Findings) -> bool:
    audit = f.scores.audit_c
    if audit.value is None:
        out.missing("/screening/audit_c", "Alcohol use changes seizure risk and level of care.")
        return False
    if not audit.positive:
        return False
    out.alert(
        "alcohol_screen_positive",
        WARNING,
        "AUDIT-C positive",
        f"AUDIT-C {audit.value:g} (positive at >= {audit.threshold}). Full alcohol assessment; "
        "if dependent, CIWA-Ar monitoring and a medically monitored setting; alcohol adds "
        "respiratory-depression risk with kratom or buprenorphine.",
    )
    out.recommend(
        STABILIZATION,
        "alcohol_assessment",
        MONITORING,
        "Full alcohol use assessment",
        RECOMMENDED,
        f"AUDIT-C {audit.value:g}: complete the full AUDIT and assess for alcohol dependence "
        "and withdrawal risk.",
    )
    return True


MH_06 = rule(
    "MH-06",
    family=Family.alert,
    title="Alcohol screen positive",
    summary="AUDIT-C >= 4 (men) or >= 3 (women, or sex unknown) triggers a full alcohol "
    "assessment.",
    rationale="Alcohol withdrawal carries seizure and delirium risk that kratom withdrawal does "
    "not, and alcohol adds to respiratory depression from opioids.",
    reads=("scores.audit_c.positive", "/patient/sex_at_birth"),
    cites=(
        Cite("AUDITC", "AUDIT-C positive thresholds"),
        Cite("ASAMAWM", "Alcohol withdrawal assessment and level of care"),
    ),
    limitations=_SCREEN_LIMIT,
    thresholds=(th.AUDITC_MALE, th.AUDITC_FEMALE),
    apply=_mh_06,
)


def _mh_07(f: Facts, out: Findings) -> bool:
    dast = f.scores.dast10
    if dast.value is None:
        out.missing(
            "/screening/dast10",
            "Screens drug use beyond kratom (polysubstance use changes overdose risk and care).",
        )
        return False
    if dast.value < th.DAST10_INTENSIVE.value:
        return False
    out.alert(
        "polysubstance_use",
        WARNING,
        "DAST-10: substantial drug use",
        f"DAST-10 {dast.value:g} ({dast.band}): intensive assessment of polysubstance use "
        "(which drugs, how, overdose history); other drugs change overdose risk, withdrawal "
        "management and the setting.",
    )
    out.recommend(
        STABILIZATION,
        "polysubstance_assessment",
        MONITORING,
        "Intensive assessment of polysubstance use",
        RECOMMENDED,
        f"DAST-10 {dast.value:g} ({dast.band}): assess each substance, route and overdose "
        "history; a urine drug screen with confirmation.",
    )
    return True


MH_07 = rule(
    "MH-07",
    family=Family.alert,
    title="Drug use screen (DAST-10)",
    summary="DAST-10 >= 6 (substantial or severe): warning and an intensive assessment of "
    "polysubstance use.",
    rationale="DAST-10 scores of 6-8 (substantial) and 9-10 (severe) call for intensive "
    "assessment; polysubstance use drives most kratom-associated overdose deaths.",
    reads=("scores.dast10.total", "scores.dast10.band"),
    cites=(
        Cite("DAST10", "6-8 substantial, 9-10 severe: intensive assessment"),
        Cite("OLSEN19", "Kratom-detected overdose deaths: other substances usually present"),
    ),
    limitations=(
        *_SCREEN_LIMIT,
        "Threshold dast10_intensive_assessment_ge awaits clinical sign-off (bands taken from the "
        "clinical reference's interpretation table).",
    ),
    thresholds=(th.DAST10_INTENSIVE,),
    apply=_mh_07,
)

RULES = (MH_01, MH_02, MH_03, MH_04, MH_05, MH_06, MH_07)
