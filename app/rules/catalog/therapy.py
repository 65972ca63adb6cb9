"""Behavioural therapy and relapse prevention (TH, PAIN)."""

from __future__ import annotations

from app.rules.define import (
    BEHAVIORAL_THERAPY,
    CONSIDER,
    EDUCATION,
    NO_KRATOM_GUIDELINE,
    RECOMMENDED,
    THERAPY,
    Cite,
    Family,
    rule,
)
from app.rules.facts import CODED_LIMITATION, Facts, condition_concepts_cite, offer_status
from app.rules.findings import Findings

_PSYCHOSOCIAL_LIMIT = (
    NO_KRATOM_GUIDELINE,
    "Psychosocial evidence comes from other substance use disorders (effects smallest for "
    "polysubstance use; about a third of participants dropped out).",
)
_DUTRA = Cite(
    "DUTRA08", "Psychosocial treatments: moderate effects; CBT and relapse prevention beneficial"
)


def _th_01(f: Facts, out: Findings) -> bool:
    status, note = offer_status(f)
    out.recommend(
        BEHAVIORAL_THERAPY,
        "cbt",
        THERAPY,
        "Cognitive behavioural therapy",
        status,
        "Individual CBT: identify triggers, build coping skills, practise relapse prevention."
        + note,
    )
    out.recommend(
        BEHAVIORAL_THERAPY,
        "contingency_management",
        THERAPY,
        "Contingency management",
        status,
        "Incentives for negative kratom-specific urine tests and attendance, where available."
        + note,
    )
    return True


TH_01 = rule(
    "TH-01",
    revision=2,
    family=Family.behavioral_therapy,
    title="CBT and contingency management",
    summary="Everyone: CBT as the cornerstone and contingency management where available.",
    rationale="In a meta-analysis of psychosocial treatments, contingency management had the "
    "strongest effect and CBT and relapse prevention were beneficial; contingency management "
    "effects persist up to a year after incentives end.",
    reads=("scores.dsm5.count", "derived.remission"),
    cites=(
        _DUTRA,
        Cite("PRENDERGAST06", "Contingency management d about 0.42 (0.65 for opiates)"),
        Cite("GINLEY21", "Abstinence advantage persists up to 1 year"),
    ),
    limitations=_PSYCHOSOCIAL_LIMIT,
    apply=_th_01,
)


def _th_02(f: Facts, out: Findings) -> bool:
    declines = f.flat["/social/preferences/declines_group_therapy"]
    if declines is None:
        out.missing(
            "/social/preferences/declines_group_therapy",
            "Ask whether the patient will join groups: individual and peer options replace "
            "them for those who decline.",
        )
    if declines:
        out.recommend(
            BEHAVIORAL_THERAPY,
            "group_therapy",
            THERAPY,
            "Group therapy",
            CONSIDER,
            "The patient declines group therapy: respect it and revisit later.",
        )
        out.recommend(
            BEHAVIORAL_THERAPY,
            "individual_therapy",
            THERAPY,
            "Individual counselling instead of groups",
            RECOMMENDED,
            "Alternative to groups: more individual sessions, peer recovery coaching, or "
            "online mutual-help meetings.",
        )
        return True
    out.recommend(
        BEHAVIORAL_THERAPY,
        "group_therapy",
        THERAPY,
        "Group therapy",
        RECOMMENDED,
        "Groups with others in recovery: community, shared experience and accountability.",
    )
    return False


TH_02 = rule(
    "TH-02",
    revision=2,
    family=Family.behavioral_therapy,
    title="Group therapy or its alternatives",
    summary="Group therapy, or individual counselling and peer options when the patient "
    "declines groups.",
    rationale="Group and peer formats add community and accountability; twelve-step "
    "facilitation matched CBT on most outcomes in alcohol use disorder. Patient choice is part "
    "of trauma-informed care.",
    reads=("/social/preferences/declines_group_therapy",),
    cites=(
        Cite("KELLY20", "AA/TSF at least as effective as CBT/MET for alcohol use disorder"),
        Cite("SAMHSA14", "Empowerment, voice and choice"),
    ),
    limitations=_PSYCHOSOCIAL_LIMIT,
    apply=_th_02,
)


def _th_03(f: Facts, out: Findings) -> bool:
    status, note = offer_status(f)
    out.recommend(
        BEHAVIORAL_THERAPY,
        "life_skills",
        EDUCATION,
        "Life-skills training",
        status,
        "Stress management, emotional regulation and relapse-prevention planning skills." + note,
    )
    return True


TH_03 = rule(
    "TH-03",
    revision=2,
    family=Family.behavioral_therapy,
    title="Life-skills training",
    summary="Everyone: stress management, emotional regulation and relapse-prevention skills.",
    rationale="Relapse-prevention skills training is among the psychosocial treatments with "
    "benefit; the seed treatment model lists life skills in phase 2.",
    reads=("scores.dsm5.count", "derived.remission"),
    cites=(_DUTRA, Cite("MCKAY21", "Relapse-prevention content of continuing care")),
    limitations=_PSYCHOSOCIAL_LIMIT,
    apply=_th_03,
)


def _pain_01(f: Facts, out: Findings) -> bool:
    if not f.has_condition("chronic_pain"):
        if f.a.co_occurring_conditions is None:
            out.missing(
                "/co_occurring_conditions",
                "Pain, depression and anxiety drive kratom use and relapse.",
            )
        elif f.condition("chronic_pain") is None:
            out.missing(
                "/co_occurring_conditions/chronic_pain",
                "Chronic pain drives kratom use and relapse; it adds a pain plan.",
            )
        return False
    out.recommend(
        BEHAVIORAL_THERAPY,
        "pain_management",
        THERAPY,
        "Non-opioid pain management plan",
        RECOMMENDED,
        "Chronic pain: a non-opioid and non-drug pain plan (physical therapy, psychological "
        "pain care); divided buprenorphine doses may also help pain.",
    )
    return True


PAIN_01 = rule(
    "PAIN-01",
    revision=4,
    family=Family.behavioral_therapy,
    title="Chronic pain",
    summary="Chronic pain adds a non-opioid pain management plan.",
    rationale="Pain is the most common reason for kratom use (68% in one survey); untreated "
    "pain drives relapse. Divided buprenorphine dosing helped pain in a VA series.",
    reads=(
        "/co_occurring_conditions/chronic_pain",
        "/co_occurring_conditions/coded",
    ),
    cites=(
        Cite("ICD10CM", "Codes read: G89.2 chronic pain, G89.4 chronic pain syndrome"),
        *condition_concepts_cite("chronic_pain"),
        Cite("GRUND17", "68% use kratom for pain"),
        Cite("LEI21", "Divided buprenorphine doses for pain"),
        Cite("CDC22", "Nonopioid therapies preferred for chronic pain"),
    ),
    limitations=(
        CODED_LIMITATION,
        NO_KRATOM_GUIDELINE,
    ),
    apply=_pain_01,
)

RULES = (TH_01, TH_02, TH_03, PAIN_01)
