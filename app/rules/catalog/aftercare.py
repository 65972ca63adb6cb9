"""Aftercare and maintenance (AC)."""

from __future__ import annotations

from app.rules import thresholds as th
from app.rules.define import (
    AFTERCARE,
    COMPLEMENTARY,
    CONSIDER,
    EDUCATION,
    LAB,
    MONITORING,
    NO_KRATOM_GUIDELINE,
    RECOMMENDED,
    REFERRAL,
    SUPPORT,
    Cite,
    Family,
    rule,
)
from app.rules.facts import (
    CODED_LIMITATION,
    Facts,
    condition_concepts_cite,
    offer_status,
    sentence,
)
from app.rules.findings import Findings

_AFTERCARE_LIMIT = (
    NO_KRATOM_GUIDELINE,
    "Continuing-care evidence comes mainly from alcohol and other drug use disorders.",
)
_MCKAY = Cite("MCKAY21", "Longer continuing care with active engagement works better")


def _ac_01(f: Facts, out: Findings) -> bool:
    status, note = offer_status(f)
    out.recommend(
        AFTERCARE,
        "continuing_care",
        REFERRAL,
        "Continuing care",
        status,
        f"At least {th.CONTINUING_CARE_MONTHS.value:g} months of scheduled follow-up with "
        "active outreach (calls, reminders, incentives): weekly during induction and early "
        "stabilisation, then every 2-4 weeks; reassess and adapt the plan as status changes."
        + note,
    )
    return True


AC_01 = rule(
    "AC-01",
    revision=2,
    family=Family.aftercare,
    title="Continuing care",
    summary="Everyone: at least 12 months of continuing care with active outreach.",
    rationale="Continuing care of longer planned duration with active efforts to keep patients "
    "engaged gives more consistent benefit, most for higher-risk patients.",
    reads=("scores.dsm5.count", "derived.remission"),
    cites=(
        _MCKAY,
        Cite("MCKAY09", "Continuing care review"),
        Cite("BROYAN22", "Visits and testing at weeks 4, 8 and 12 in a kratom series"),
    ),
    limitations=(*_AFTERCARE_LIMIT, "Visit cadence follows opioid treatment convention [L]."),
    thresholds=(th.CONTINUING_CARE_MONTHS,),
    apply=_ac_01,
)


def _ac_02(f: Facts, out: Findings) -> bool:
    status, note = offer_status(f)
    out.recommend(
        AFTERCARE,
        "mutual_help",
        SUPPORT,
        "Mutual-help and peer support",
        status,
        "Offer choices: twelve-step groups, SMART Recovery, peer recovery coaching, online "
        "meetings." + note,
    )
    return True


AC_02 = rule(
    "AC-02",
    revision=2,
    family=Family.aftercare,
    title="Mutual-help options",
    summary="Everyone: mutual-help and peer-support options offered as choices.",
    rationale="A Cochrane review found AA and twelve-step facilitation at least as effective "
    "as CBT for alcohol use disorder, and better for continuous abstinence.",
    reads=("scores.dsm5.count", "derived.remission"),
    cites=(Cite("KELLY20", "27 studies, 10,565 participants"),),
    limitations=(*_AFTERCARE_LIMIT, "No mutual-help evidence exists for kratom use disorder."),
    apply=_ac_02,
)


_AC_03_ASK = (
    "Unstable housing, no support person, no transport and legal problems each add a "
    "recovery-support referral (ASAM dimension 6)."
)


def _ac_03(f: Facts, out: Findings) -> bool:
    s = f.a.social
    needs = []
    if s is None:
        out.missing("/social", "Housing, support and transport shape aftercare.")
    else:
        if s.housing in ("unstable", "homeless"):
            needs.append(f"housing ({s.housing.value})")
        if s.support_person_available is False:
            needs.append("no support person")
        if s.has_transportation is False:
            needs.append("no transportation (offer telehealth)")
        if s.legal_issues:
            needs.append("legal issues")
        for pointer, value in (
            ("/social/housing", s.housing),
            ("/social/support_person_available", s.support_person_available),
            ("/social/has_transportation", s.has_transportation),
            ("/social/legal_issues", s.legal_issues),
        ):
            if value is None:  # unasked is not "no need": ask before settling aftercare
                out.missing(pointer, _AC_03_ASK)
    out.recommend(
        AFTERCARE,
        "social_support",
        SUPPORT,
        "Social support network",
        RECOMMENDED,
        "Involve family and friends the patient chooses, and recovery groups, for "
        "encouragement and accountability.",
    )
    if needs:
        out.recommend(
            AFTERCARE,
            "recovery_support_services",
            REFERRAL,
            "Recovery support services",
            RECOMMENDED,
            f"Refer for {', '.join(needs)}.",
        )
    return bool(needs)


AC_03 = rule(
    "AC-03",
    revision=2,
    family=Family.aftercare,
    title="Social support and recovery environment",
    summary="Everyone: build a support network; unstable housing, no support person, no "
    "transport or legal issues add a recovery-support referral.",
    rationale="ASAM dimension 6 (recovery environment) is a main driver of relapse risk; "
    "unsafe housing and lack of support call for more support.",
    reads=(
        "/social/housing",
        "/social/support_person_available",
        "/social/has_transportation",
        "/social/legal_issues",
    ),
    cites=(Cite("ASAM3", "Dimension 6: recovery/living environment"), _MCKAY),
    limitations=_AFTERCARE_LIMIT,
    apply=_ac_03,
)


def _ac_04(f: Facts, out: Findings) -> bool:
    status, note = offer_status(f)
    out.recommend(
        AFTERCARE,
        "relapse_prevention_plan",
        EDUCATION,
        "Written relapse-prevention plan",
        status,
        "Triggers and high-risk situations, coping strategies, a craving plan, who to call, "
        "naloxone, what to do after a lapse (a lapse is not failure) and how to re-enter more "
        "intensive care." + note,
    )
    return True


AC_04 = rule(
    "AC-04",
    revision=2,
    family=Family.aftercare,
    title="Relapse-prevention plan",
    summary="Everyone: a written relapse-prevention plan.",
    rationale="Relapse-prevention planning (high-risk situations and strategies) is part of "
    "continuing care; overdose risk after a lapse makes naloxone and a re-entry path part of it.",
    reads=("scores.dsm5.count", "derived.remission"),
    cites=(_MCKAY, Cite("BCCSU17", "Relapse-prevention planning with withdrawal management")),
    limitations=_AFTERCARE_LIMIT,
    apply=_ac_04,
)


def _ac_05(f: Facts, out: Findings) -> bool:
    parts = ["kratom-specific urine tests at weeks 4, 8 and 12, then at intervals"]
    considering = f.a.considering
    classes = f.med_classes or frozenset()
    if "buprenorphine" in considering or "buprenorphine" in classes:
        parts.append("liver tests periodically on buprenorphine")
    if f.scores.liver.band not in (None, "within_normal_limits"):
        parts.append("liver tests until normal")  # any enzyme above its upper limit
    if "methadone" in considering or "methadone" in classes:
        parts.append("ECG within 30 days and yearly on methadone")
    out.recommend(
        AFTERCARE,
        "monitoring_labs",
        LAB,
        "Monitoring tests",
        RECOMMENDED,
        sentence("; ".join(parts)) + ".",
    )
    return True


AC_05 = rule(
    "AC-05",
    revision=2,
    family=Family.aftercare,
    title="Monitoring tests",
    summary="Kratom-specific urine tests at weeks 4, 8 and 12; liver tests on buprenorphine or "
    "while any liver enzyme is above its upper limit; ECGs on methadone.",
    rationale="A kratom buprenorphine series tested at weeks 4, 8 and 12 (68-82% negative); "
    "buprenorphine labelling asks for periodic liver tests; methadone needs ECGs at 30 days "
    "and yearly.",
    reads=("/considering", "derived.medication_classes", "scores.liver.band"),
    cites=(
        Cite("BROYAN22", "Mitragynine-negative 68/82/82% at weeks 4/8/12"),
        Cite("BUPLABEL", "Periodic liver tests"),
        Cite("KRANTZ09", "ECG within 30 days and yearly"),
        Cite("LABCORP", "Specific mitragynine assay"),
    ),
    limitations=_AFTERCARE_LIMIT,
    apply=_ac_05,
)


def _ac_06(f: Facts, out: Findings) -> bool:
    wants = f.flat["/social/preferences/wants_complementary_therapies"]
    if wants is None:
        out.missing(
            "/social/preferences/wants_complementary_therapies",
            "Complementary therapies are adjuncts offered to patients who want them: ask.",
        )
    out.recommend(
        AFTERCARE,
        "complementary_therapies",
        COMPLEMENTARY,
        "Complementary therapies as adjuncts",
        CONSIDER,
        ("The patient is interested: " if wants else "")
        + "auricular (NADA) acupuncture, massage or meditation as adjuncts only, never in "
        "place of medication or psychotherapy.",
    )
    return bool(wants)


AC_06 = rule(
    "AC-06",
    revision=2,
    family=Family.aftercare,
    title="Complementary therapies",
    summary="Acupuncture, massage and meditation offered as adjuncts (never replacements).",
    rationale="Systematic reviews find weak evidence for acupuncture on core outcomes, though "
    "NADA may improve retention; patient interest supports engagement.",
    reads=("/social/preferences/wants_complementary_therapies",),
    cites=(
        Cite("RAND15", "Weak or insufficient evidence for core SUD outcomes"),
        Cite("BAKER16", "NADA may improve retention, not craving or withdrawal"),
    ),
    limitations=(
        *_AFTERCARE_LIMIT,
        "No kratom-specific evidence for massage or meditation [L].",
    ),
    apply=_ac_06,
)


def _ac_07(f: Facts, out: Findings) -> bool:
    status, note = offer_status(f)
    out.recommend(
        AFTERCARE,
        "long_term_follow_up",
        MONITORING,
        "Long-term follow-up",
        status,
        "Treat kratom use disorder as a chronic condition: periodic reassessment (COWS, DSM-5, "
        "PHQ-9, GAD-7) after the first year and a fast route back into care." + note,
    )
    return True


AC_07 = rule(
    "AC-07",
    revision=2,
    family=Family.aftercare,
    title="Long-term follow-up",
    summary="Everyone: long-term follow-up with periodic reassessment and a route back to care.",
    rationale="Addiction is a chronic condition; continuing care that adapts to status changes "
    "outperforms fixed-duration care.",
    reads=("scores.dsm5.count", "derived.remission"),
    cites=(Cite("MCKAY09", "Adaptive continuing care"), _MCKAY),
    limitations=_AFTERCARE_LIMIT,
    apply=_ac_07,
)


def _ac_08(f: Facts, out: Findings) -> bool:
    s = f.scores
    found = [
        name
        for name, flag in (
            (
                "depression",
                f.has_condition("depression")
                or f.has_condition("depression_in_remission")
                or s.phq9.positive,
            ),
            ("anxiety", f.has_condition("anxiety") or s.gad7.positive),
            ("PTSD", f.has_condition("ptsd") or s.pcl5.positive),
            ("chronic pain", f.has_condition("chronic_pain")),
        )
        if flag
    ]
    if not found:
        return False
    out.recommend(
        AFTERCARE,
        "ongoing_condition_care",
        REFERRAL,
        "Ongoing treatment of underlying conditions",
        RECOMMENDED,
        f"Keep treating {', '.join(found)}: these often drove kratom use and drive relapse.",
    )
    return True


AC_08 = rule(
    "AC-08",
    revision=4,
    family=Family.aftercare,
    title="Underlying conditions",
    summary="Depression, anxiety, PTSD or chronic pain: ongoing treatment in aftercare.",
    rationale="Kratom is used mainly to self-treat pain and emotional conditions; without "
    "ongoing treatment these relapse drivers persist.",
    reads=(
        "/co_occurring_conditions/depression",
        "/co_occurring_conditions/anxiety",
        "/co_occurring_conditions/coded",
        "/co_occurring_conditions/ptsd",
        "/co_occurring_conditions/chronic_pain",
        "scores.phq9.total",
        "scores.gad7.total",
        "scores.pcl5.total",
    ),
    cites=(
        Cite(
            "ICD10CM",
            "Codes read: F32, F33, F34.1 depression; F40.0, F40.1, F41 anxiety; F43.1 PTSD; "
            "G89.2, G89.4 chronic pain",
        ),
        *condition_concepts_cite("depression", "anxiety", "ptsd", "chronic_pain"),
        Cite("GRUND17", "Use for pain (68%) and emotional conditions (66%)"),
        Cite("GARCIA20", "Use for pain, anxiety, depression"),
    ),
    limitations=(*_AFTERCARE_LIMIT, CODED_LIMITATION),
    apply=_ac_08,
)

RULES = (AC_01, AC_02, AC_03, AC_04, AC_05, AC_06, AC_07, AC_08)
