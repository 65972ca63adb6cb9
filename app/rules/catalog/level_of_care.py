"""Withdrawal-management level of care from withdrawal severity, history and environment
(LOC). Safety rules (VS, SZ, MH, LIV, QT, PRG) add their own demands; the most intensive
setting demanded wins."""

from __future__ import annotations

from app.rules import thresholds as th
from app.rules.define import (
    EXTENDED,
    MONITORED,
    OUTPATIENT,
    RESIDENTIAL,
    Cite,
    Family,
    rule,
)
from app.rules.facts import (
    CODED_HISTORY_LIMITATION,
    CODED_LIMITATION,
    Facts,
    condition_concepts_cite,
    history_cites,
    sentence,
)
from app.rules.findings import Findings

_ASAM = Cite("ASAM3", "Withdrawal-management levels 1-WM to 4-WM and who fits each")
_MAPPING = (
    "COWS has not been validated for kratom, and kratom withdrawal can be mostly subjective "
    "(a low COWS with a high SOWS is plausible).",
    "The mapping from COWS bands to ASAM levels is an engine design choice [L]; severity "
    "scales alone should not decide the level of care.",
)
_ENV_READS = ("/social/housing", "/social/support_person_available", "/social/has_transportation")


def _loc_01(f: Facts, out: Findings) -> bool:
    total = f.scores.cows.value
    if total is None or total < th.COWS_MODERATELY_SEVERE.value:
        return False
    out.level(
        MONITORED,
        f"COWS {total:g} ({f.scores.cows.band.replace('_', ' ') if f.scores.cows.band else ''}"
        "): severe withdrawal needs 24-hour nursing and physician availability.",
    )
    return True


LOC_01 = rule(
    "LOC-01",
    family=Family.level_of_care,
    title="Severe withdrawal",
    summary="COWS >= 25 (moderately severe or severe): at least medically monitored inpatient "
    "withdrawal management (3.7-WM).",
    rationale="ASAM places severe withdrawal needing 24-hour nursing and physician availability "
    "at 3.7-WM; COWS 25-36 is moderately severe and > 36 severe.",
    reads=("scores.cows.total", "scores.cows.band"),
    cites=(_ASAM, Cite("COWS", "Bands 25-36 and > 36")),
    limitations=_MAPPING,
    thresholds=(th.COWS_MODERATELY_SEVERE,),
    apply=_loc_01,
)


#: In the order they are named ("other" last).
_COMPLICATION_NAMES = {
    "seizure": "a seizure",
    "delirium": "delirium",
    "hallucinations": "hallucinations",
    "severe_dehydration": "severe dehydration",
    "other": "other complications",
}


def _loc_02(f: Facts, out: Findings) -> bool:
    h = f.history
    use = f.a.use_history
    reasons = []
    if h is None:
        out.missing(
            "/medical_history",
            "Complicated or failed previous withdrawal raises the level of care.",
        )
        out.could_require(MONITORED, "medical history not recorded")
    else:
        for name, what in (
            ("complicated_withdrawal", "A complicated previous withdrawal"),
            ("failed_outpatient_withdrawal_management", "Failed outpatient withdrawal management"),
        ):
            if getattr(h, name) is None:  # omitted means not asked, not "no"
                out.missing(f"/medical_history/{name}", f"{what} raises the level of care.")
                out.could_require(MONITORED, f"{what.lower()}: not recorded")
        if h.complicated_withdrawal:
            reasons.append("complicated previous withdrawal")
    # Any recorded complication makes the previous withdrawal a complicated one, severe
    # dehydration included (the conservative reading of "complicated withdrawal").
    recorded = set() if use is None else {c.value for c in use.prior_withdrawal_complications}
    if recorded:
        names = [name for c, name in _COMPLICATION_NAMES.items() if c in recorded]
        named = " and ".join(filter(None, (", ".join(names[:-1]), names[-1])))
        reasons.append(f"previous withdrawal complicated by {named}")
    if h is not None and h.failed_outpatient_withdrawal_management:
        reasons.append("failed outpatient withdrawal management before")
    if not reasons:
        return False
    out.level(MONITORED, f"{sentence('; '.join(reasons))}.")
    return True


LOC_02 = rule(
    "LOC-02",
    revision=5,
    family=Family.level_of_care,
    title="Complicated or failed previous withdrawal",
    summary="Complicated withdrawal history or failed outpatient withdrawal: at least 3.7-WM; "
    "either not recorded: a less intensive setting is only provisional.",
    rationale="ASAM dimension 1 risk rises with a history of complicated withdrawal and with "
    "failure at a lower level; a severe kratom case failed two outpatient attempts and needed "
    "inpatient care.",
    reads=(
        "/medical_history/complicated_withdrawal",
        "/medical_history/failed_outpatient_withdrawal_management",
        "/use_history/prior_withdrawal_complications",
        "/co_occurring_conditions/coded",
    ),
    cites=(
        _ASAM,
        Cite("GALBIS16", "Two failed outpatient attempts, then inpatient success"),
        *history_cites("complicated_withdrawal"),
    ),
    limitations=(
        "History is self-reported.",
        "Any complication recorded for a previous withdrawal (severe dehydration or 'other' "
        "included) is read as a complicated withdrawal: the conservative reading, as ASAM "
        "does not list which complications count.",
        CODED_HISTORY_LIMITATION,
    ),
    apply=_loc_02,
)


def _loc_03(f: Facts, out: Findings) -> bool:
    c = f.a.co_occurring_conditions
    if c is None:
        out.missing(
            "/co_occurring_conditions", "Alcohol or sedative use disorder raises the level of care."
        )
        if f.alcohol or f.benzodiazepine or f.sedative_other:
            out.could_require(MONITORED, "alcohol or sedative use disorder not recorded")
        return False
    flags = (
        (
            "alcohol_use_disorder",
            "alcohol use disorder",
            f.condition("alcohol_use_disorder"),
            f.alcohol,
        ),
        (
            "sedative_use_disorder",
            "sedative use disorder",
            f.condition("sedative_use_disorder"),
            f.benzodiazepine or f.sedative_other,
        ),
    )
    for field, name, flag, used in flags:
        if flag is None and used:
            # Use is reported but the disorder was not asked about: not read as 'no'.
            out.missing(
                f"/co_occurring_conditions/{field}",
                f"Use is reported: is there an {name}? It raises the level of care.",
            )
            out.could_require(MONITORED, f"{name} not recorded although use is reported")
    found = [name for _, name, flag, _ in flags if flag]
    if not found:
        return False
    out.level(
        MONITORED,
        f"Co-occurring {' and '.join(found)}: withdrawal may carry seizure and delirium risk.",
    )
    return True


LOC_03 = rule(
    "LOC-03",
    revision=5,
    family=Family.level_of_care,
    title="Alcohol or sedative co-dependence",
    summary="Co-occurring alcohol or sedative use disorder (flag, or a coded F10/F13 use-disorder "
    "diagnosis): at least 3.7-WM; alcohol or sedative use reported with the disorder not "
    "recorded: listed as missing, and a less intensive setting is only provisional.",
    rationale="Alcohol and sedative withdrawal carry seizure and delirium risk; ASAM raises the "
    "level of care for sedative/alcohol co-dependence.",
    reads=(
        "/co_occurring_conditions/alcohol_use_disorder",
        "/co_occurring_conditions/sedative_use_disorder",
        "/co_occurring_conditions/coded",
        "derived.alcohol",
        "derived.benzodiazepine",
        "derived.sedative_other",
    ),
    cites=(
        _ASAM,
        Cite("ASAMAWM", "Alcohol withdrawal risk and level of care"),
        Cite(
            "ICD10CM",
            "Codes read: F10, F13 .1x/.2x alcohol and sedative use disorders (not in remission)",
        ),
        *condition_concepts_cite("alcohol_use_disorder", "sedative_use_disorder"),
    ),
    limitations=(
        CODED_LIMITATION,
        "Current withdrawal from alcohol or sedatives is not scored by the engine "
        "(no CIWA-Ar input).",
    ),
    apply=_loc_03,
)


def _environment(f: Facts, out: Findings) -> tuple[bool, str]:
    """Whether home supports ambulatory care; unknown counts as not (recorded as missing)."""
    s = f.a.social
    housing = s.housing if s is not None else None
    support = s.support_person_available if s is not None else None
    if housing is None:
        out.missing(
            "/social/housing",
            "A safe home decides between ambulatory and residential "
            "care; treated as not stable until recorded.",
        )
    if support is None:
        out.missing(
            "/social/support_person_available",
            "A support person decides between "
            "ambulatory and residential care; treated as absent until recorded.",
        )
    transport = s.has_transportation if s is not None else None
    if transport is None:
        out.missing(
            "/social/has_transportation",
            "Daily ambulatory care needs a way to get there (ASAM dimension 6); treated as "
            "absent until recorded.",
        )
    if housing == "stable" and support and transport:
        return True, "stable housing, a support person and transportation"
    missing = [
        text
        for text, bad in (
            ("housing not stable or not recorded", housing != "stable"),
            ("no support person recorded", not support),
            # ASAM dimension 6 lists no transport beside an unsafe home and no support.
            ("no transportation or not recorded", not transport),
        )
        if bad
    ]
    return False, "; ".join(missing)


def _loc_04(f: Facts, out: Findings) -> bool:
    total = f.scores.cows.value
    if total is None or not (th.COWS_MODERATE.value <= total < th.COWS_MODERATELY_SEVERE.value):
        return False
    safe_home, why = _environment(f, out)
    if safe_home:
        out.level(
            EXTENDED,
            f"COWS {total:g} (moderate) with {why}: day programme with all-day monitoring.",
        )
    else:
        out.level(
            RESIDENTIAL,
            f"COWS {total:g} (moderate) and {why}: 24-hour supported residential setting.",
        )
    return True


LOC_04 = rule(
    "LOC-04",
    revision=3,
    family=Family.level_of_care,
    title="Moderate withdrawal",
    summary="COWS 13-24: 2-WM with a safe home and support person (and transportation recorded), "
    "otherwise 3.2-WM.",
    rationale="ASAM places moderate withdrawal at 2-WM when there is a supportive home for the "
    "nights, and at clinically managed residential 3.2-WM without a safe environment.",
    reads=("scores.cows.total", *_ENV_READS),
    cites=(_ASAM, Cite("COWS", "Band 13-24 moderate")),
    limitations=(
        *_MAPPING,
        "Unknown housing, support or transportation is treated as unsafe or absent (conservative).",
    ),
    thresholds=(th.COWS_MODERATE, th.COWS_MODERATELY_SEVERE),
    apply=_loc_04,
)


def _loc_05(f: Facts, out: Findings) -> bool:
    total = f.scores.cows.value
    if total is not None and total >= th.COWS_MODERATE.value:
        return False
    if total is None and f.scores.news2.value is None and f.scores.sows.value is None:
        return False
    safe_home, why = _environment(f, out)
    sows = f.scores.sows
    subjective = sows.value is not None and sows.value > 0
    if total is None:
        severity = "COWS not scored (severity unknown)"
    elif total >= th.COWS_MILD.value:
        severity = f"COWS {total:g} (mild)"
    else:
        # Kratom withdrawal can be mostly subjective: with a SOWS, a low COWS rules nothing out.
        severity = f"COWS {total:g} (" + (
            "no objective withdrawal signs)" if subjective else "no active withdrawal)"
        )
    if subjective:
        severity += f", SOWS {sows.value:g} of {sows.maximum}"
        if total is not None and total < th.COWS_MILD.value:
            severity += " (subjective withdrawal: reassess, a low COWS can understate it)"
    if safe_home:
        out.level(OUTPATIENT, f"{severity} with {why}: office-based care.")
    else:
        out.level(
            EXTENDED,
            f"{severity} and {why}: ambulatory care with extended on-site monitoring.",
        )
    return True


LOC_05 = rule(
    "LOC-05",
    revision=4,
    family=Family.level_of_care,
    title="Mild or no withdrawal",
    summary="COWS <= 12 (or not scored, provisionally): 1-WM with a safe home and support "
    "person (and transportation recorded), otherwise 2-WM.",
    rationale="ASAM 1-WM fits mild withdrawal managed with daily or less-than-daily outpatient "
    "supervision; without a supportive home, extended monitoring (2-WM) is the safer step.",
    reads=("scores.cows.total", "scores.news2.total", "scores.sows.total", *_ENV_READS),
    cites=(_ASAM, Cite("ASAMAWM", "Low support or an unsafe environment: more intensive care")),
    limitations=(
        *_MAPPING,
        "Stepping up to 2-WM without support is a conservative convention [L].",
    ),
    thresholds=(th.COWS_MILD, th.COWS_MODERATE),
    apply=_loc_05,
)

RULES = (LOC_01, LOC_02, LOC_03, LOC_04, LOC_05)
