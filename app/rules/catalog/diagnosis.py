"""Diagnosis coding (DX): the ICD-10-CM code a kratom use disorder is usually recorded under."""

from __future__ import annotations

from app.rules import thresholds as th
from app.rules.define import INFO, Cite, Family, rule
from app.rules.facts import Facts, condition_concepts_cite
from app.rules.findings import Findings

#: (code, title) by DSM-5 severity and withdrawal. Kratom is not a DSM-5 named class, so a
#: kratom-only disorder maps to "other (or unknown) substance"; the F19.13x codes (mild use
#: disorder with withdrawal) exist from ICD-10-CM FY2023.
_CODES = {
    ("mild", False): ("F19.10", "Other psychoactive substance abuse, uncomplicated"),
    ("mild", True): (
        "F19.130",
        "Other psychoactive substance abuse with withdrawal, uncomplicated",
    ),
    ("moderate_or_severe", False): (
        "F19.20",
        "Other psychoactive substance dependence, uncomplicated",
    ),
    ("moderate_or_severe", True): (
        "F19.230",
        "Other psychoactive substance dependence with withdrawal, uncomplicated",
    ),
}


def _dx_03(f: Facts, out: Findings) -> bool:
    dsm5 = f.scores.dsm5
    if dsm5.value is None:
        out.missing("/dsm5_criteria_met", "The diagnosis and its code follow the DSM-5 count.")
        return False
    if dsm5.missing:
        # E.g. whether an opioid is taken only under supervision: the count (and so the
        # code) may still change.
        for pointer in dsm5.missing:
            out.missing(pointer, "The DSM-5 count, and so the diagnosis code, depends on it.")
        return False
    if dsm5.value < 2 or dsm5.pharmacological_only:
        return False  # no use disorder, or tolerance and withdrawal only (a clinician decides)
    severity = "mild" if dsm5.band == "mild" else "moderate_or_severe"
    withdrawal = f.withdrawal_present
    code, title = _CODES[(severity, withdrawal)]
    cows = f.scores.cows.value
    if cows is None:
        state = (
            ", withdrawal not scored (no COWS): if present the code is "
            f"{_CODES[(severity, True)][0]}"
        )
    elif withdrawal:
        state = f", in withdrawal (COWS {cows:g})"
    else:
        state = ""
    detail = (
        f"DSM-5: {dsm5.value} criteria ({dsm5.band}){state}. Kratom has no ICD-10-CM code of "
        f"its own; it is usually recorded as other psychoactive substance use: {code} "
        f"({title}). A coder verifies it: withdrawal with delirium or perceptual disturbance "
        "has its own code, and remission (F19.11/F19.21) is not assessed here."
    )
    if f.has_condition("opioid_use_disorder") or f.opioid_coexposure:
        detail += (
            " Opioids are also used or an opioid use disorder is recorded: withdrawal may be "
            "opioid withdrawal, and a coder may record the kratom use under the opioid use "
            "disorder (F11) instead of F19; not both for the same use."
        )
    out.alert("diagnosis_code_suggestion", INFO, f"Suggested diagnosis code: {code}", detail)
    return True


DX_03 = rule(
    "DX-03",
    revision=2,
    family=Family.alert,
    title="Diagnosis code suggestion",
    summary="A kratom use disorder (DSM-5 >= 2 criteria, not tolerance and withdrawal alone, "
    "the count complete) gets an info alert suggesting its ICD-10-CM code: F19.10 mild, "
    "F19.20 moderate or severe, F19.130 / F19.230 in withdrawal (COWS >= 5); with opioid use "
    "or a recorded opioid use disorder it says that F11 may be used instead.",
    rationale="Kratom is not one of DSM-5's named substance classes, so a kratom-only disorder "
    "maps to the other (or unknown) substance category; severity follows the DSM-5 count. "
    "Some clinicians code kratom under opioid use disorder, which is defensible when a "
    "classical opioid use disorder co-occurs.",
    reads=(
        "scores.dsm5.count",
        "scores.dsm5.severity",
        "scores.dsm5.pharmacological_only",
        "derived.withdrawal_present",
        "scores.cows.total",
        "derived.opioid_coexposure",
        "/co_occurring_conditions/opioid_use_disorder",
        "/co_occurring_conditions/coded",
    ),
    cites=(
        Cite("DSM5", "Severity by criteria count: 2-3 mild, 4-5 moderate, 6+ severe"),
        Cite(
            "ICD10CM",
            "F19.10, F19.130, F19.20, F19.230: other psychoactive substance abuse or "
            "dependence, uncomplicated or with withdrawal",
        ),
        Cite("LEVOUNIS", "Kratom coded under opioid use disorder by some clinicians"),
        *condition_concepts_cite("opioid_use_disorder"),
    ),
    limitations=(
        "No kratom-specific ICD-10-CM code exists: the F19 mapping is the usual convention, "
        "not an official instruction; a coder reviews it.",
        "Remission, and withdrawal with delirium or perceptual disturbance, are not assessed "
        "here and change the code.",
        "Withdrawal is taken from COWS >= 5; COWS has not been validated for kratom.",
    ),
    thresholds=(th.COWS_MILD,),
    apply=_dx_03,
)

RULES = (DX_03,)
