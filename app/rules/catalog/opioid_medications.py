"""Buprenorphine, naloxone, naltrexone and methadone (BUP, NAL, NTX, MTD)."""

from __future__ import annotations

from app.rules import thresholds as th
from app.rules.define import (
    AVOID,
    BEHAVIORAL_THERAPY,
    CONSIDER,
    CONTRAINDICATED,
    CRITICAL,
    MEDICATION,
    NO_KRATOM_GUIDELINE,
    RECOMMENDED,
    STABILIZATION,
    WARNING,
    Cite,
    Family,
    rule,
)
from app.rules.facts import (
    CODED_HISTORY_LIMITATION,
    Facts,
    condition_concepts_cite,
    cows_not_current,
    elapsed_text,
    history_cites,
    missing_if_dated_after,
    other_opioid_wait_hours,
    past_every_opioid_wait,
)
from app.rules.findings import Findings
from app.schemas.evaluation import Status

_BUP = "buprenorphine"
_BUP_TITLE = "Buprenorphine (buprenorphine/naloxone)"


def _bup(out: Findings, status: Status | None, detail: str) -> None:
    out.recommend(STABILIZATION, _BUP, MEDICATION, _BUP_TITLE, status, detail)


_KRATOM_SERIES = (
    NO_KRATOM_GUIDELINE,
    "Buprenorphine is approved for opioid use disorder; use for kratom use disorder is "
    "off-label and rests on case series (no controlled trials).",
)
_AGONIST_CLASSES = frozenset({"buprenorphine", "methadone", "opioid_agonist"})
#: The screen's opioid results other than kratom's: what can show heroin, fentanyl, oxycodone.
_STANDARD_OPIOIDS = ("opiates", "fentanyl", "oxycodone", "methadone", "buprenorphine")
_OPIOID_ANALYTES = frozenset(
    {
        "mitragynine",
        "seven_hydroxymitragynine",
        "opiates",
        "fentanyl",
        "oxycodone",
        "methadone",
        "buprenorphine",
    }
)


def _declines_medication(f: Facts) -> bool:
    return bool(f.flat["/social/preferences/declines_medication"])


def _severe_hepatic(f: Facts) -> bool:
    """Child-Pugh C: the buprenorphine label halves the starting and titration doses (BUP-04)."""
    return f.history is not None and f.history.hepatic_impairment_child_pugh == "C"


def _mg(low: float, high: float, f: Facts, unit: str = "mg") -> str:
    """A buprenorphine dose range, halved in severe hepatic impairment (and saying so)."""
    if _severe_hepatic(f):
        return f"{low / 2:g}-{high / 2:g} {unit} (half doses: Child-Pugh C)"
    return f"{low:g}-{high:g} {unit}"


def _dose_hint(f: Facts) -> str:
    grams = f.a.use_history.grams_per_day if f.a.use_history is not None else None
    # A starting dose means nothing in remission or to a patient already taking buprenorphine.
    if grams is None or f.remission is not None or "buprenorphine" in (f.med_classes or ()):
        return ""
    if grams < th.KRATOM_DOSE_LOW_G.value:
        low, high = 4, 8
    elif grams <= th.KRATOM_DOSE_HIGH_G.value:
        low, high = 8, 12
    else:
        low, high = 12, 16
    return (
        f" Starting-range hint for {grams:g} g/day: buprenorphine {_mg(low, high, f, 'mg/day')}"
        f"; a soft hint: stabilising doses vary, commonly {_mg(8, 16, f, 'mg/day')}."
    )


def _bup_01(f: Facts, out: Findings) -> bool:
    count = f.scores.dsm5.value
    band = f.scores.dsm5.band
    if _declines_medication(f):
        status = CONSIDER
        why = "The patient declines medication: offer again with information; do not pressure."
    elif f.pregnant and f.withdrawal_present and (count is None or count < 2):
        # Pregnancy with physical dependence is the indication in itself (PRG-01), whatever
        # the criteria count says or whether it was taken.
        status = RECOMMENDED
        why = (
            f"Pregnant with physical dependence (COWS {f.scores.cows.value:g}): buprenorphine "
            "is the usual first choice over withdrawal alone."
        )
    elif count is None:
        status = CONSIDER
        why = "DSM-5 criteria not assessed, so the indication is unconfirmed."
    elif count >= 4 or (f.pregnant and count >= 2):
        status = RECOMMENDED
        why = (
            f"DSM-5 {band} ({count:g} criteria)"
            + (", pregnant" if f.pregnant else "")
            + (": buprenorphine maintenance is the usual first choice for kratom use disorder.")
        )
    elif count >= 2 and "buprenorphine" in (f.med_classes or ()):
        # Use again on maintenance (a relapse): continue it and adjust the dose; a mild
        # count must not weaken the advice below what remission on it gets.
        status = RECOMMENDED
        why = (
            f"DSM-5 {band} ({count:g} criteria) on buprenorphine maintenance: continue it and "
            "adjust the dose to cravings and withdrawal; review adherence and supervision."
        )
    elif count >= 2:
        status = CONSIDER
        why = (
            f"DSM-5 mild ({count:g} criteria): buprenorphine is an "
            "option through shared decision-making."
        )
    elif "buprenorphine" in (f.med_classes or ()):
        status = RECOMMENDED
        why = (
            ("In remission" if f.remission is not None else "Below the DSM-5 threshold")
            + f" on buprenorphine maintenance ({count:g} criteria now): continue it; any "
            "change is a shared decision."
        )
    elif f.remission is not None:
        status = CONSIDER
        why = f"In remission ({f.remission}): continue the current treatment."
    elif f.relapse_suspected:
        status = CONSIDER
        why = (
            "A use disorder in remission is coded, but withdrawal now suggests a relapse: "
            "review the DSM-5 criteria; buprenorphine is an option."
        )
    else:
        status = CONSIDER
        why = f"DSM-5 criteria not met ({count:g}): maintenance is not indicated on this basis" + (
            "; it may still treat withdrawal." if f.withdrawal_present else "."
        )
    _bup(
        out,
        status,
        why + _dose_hint(f),
    )
    return status is RECOMMENDED


BUP_01 = rule(
    "BUP-01",
    revision=6,
    family=Family.stabilization,
    title="Buprenorphine for kratom use disorder",
    summary="Recommends buprenorphine for moderate-severe kratom use disorder (or pregnancy "
    "with dependence), and its continuation in remission on buprenorphine maintenance; offers "
    "it for mild disorder or withdrawal; gives a dose hint from grams per day.",
    rationale="Buprenorphine is the option most clinicians choose for kratom use disorder: in "
    "a 28-patient series most stabilised on 8-16 mg and 20 of 28 stayed in treatment (mean 11 "
    "months); home and early inductions are reported without adverse events.",
    reads=(
        "scores.dsm5.count",
        "scores.dsm5.severity",
        "/social/preferences/declines_medication",
        "/use_history/grams_per_day",
        "derived.pregnant",
        "derived.withdrawal_present",
        "derived.remission",
        "derived.medication_classes",
        "/medical_history/hepatic_impairment_child_pugh",
    ),
    cites=(
        Cite("SMITH24", "Buprenorphine most often chosen; no controlled trials"),
        Cite("BROYAN22", "28-patient long-term series"),
        Cite("WEISS21", "Dose ranges by grams per day (8 patients)"),
        Cite("KIYO23", "Home induction case reports"),
        Cite("BUPLABEL", "Child-Pugh C: half the starting and titration doses (section 8.6)"),
    ),
    limitations=(
        *_KRATOM_SERIES,
        "The grams-per-day dose hint comes from 8 patients; a larger series found no dose "
        "correlation.",
    ),
    thresholds=(th.KRATOM_DOSE_LOW_G, th.KRATOM_DOSE_HIGH_G),
    apply=_bup_01,
)


def _bup_02(f: Facts, out: Findings) -> bool:
    if f.med_classes is not None and "buprenorphine" in f.med_classes:
        # Already on buprenorphine: there is no induction to time (and no precipitated
        # withdrawal from the next dose); the maintenance dose is what is adjusted.
        _bup(
            out,
            None,
            "Already taking buprenorphine: induction timing does not apply; continue it and "
            "adjust the maintenance dose to cravings and withdrawal.",
        )
        return False
    cows = f.scores.cows.value
    w = f.a.withdrawal
    missing_if_dated_after(
        f,
        out,
        "/withdrawal/assessed_at",
        w.assessed_at if w is not None else None,
        "The withdrawal scale is",
        "check the times before timing induction by it",
    )
    long_acting = f.long_acting_opioid or f.extended_release_opioid
    min_cows = (th.BUP_MIN_COWS_LONG_ACTING if long_acting else th.BUP_MIN_COWS).value
    problems: list[str] = []
    gaps: list[str] = []
    cows_age = cows_not_current(f)
    if cows is not None and cows_age is not None:
        # Induction needs withdrawal present now: an old score cannot show it (hazard HZ-03).
        gaps.append(f"COWS scored {elapsed_text(cows_age)} ago: score it again")
        out.missing("/withdrawal/cows", "The COWS is not current: induction needs it now.")
    if cows is None:
        gaps.append("COWS not scored")
        out.missing(
            "/withdrawal/cows",
            "Standard buprenorphine induction needs objective "
            "withdrawal (COWS) to avoid precipitated withdrawal.",
        )
    elif cows < min_cows:
        problems.append(f"COWS {cows:g} < {min_cows:g}")
    hours_k = w.hours_since_last_kratom_use if w is not None else None
    # A product not recorded (or "unknown") could be a 7-OH concentrate: its longer wait.
    need_k = (
        th.BUP_MIN_HOURS_SHORT_ACTING if f.seven_oh_possible else th.BUP_MIN_HOURS_KRATOM
    ).value
    if f.seven_oh_unexcluded:
        out.missing(
            "/use_history/product_types",
            "A concentrated 7-OH product needs a longer wait before induction.",
        )
    if hours_k is None:
        gaps.append("time since last kratom use unknown")
        out.missing(
            "/withdrawal/hours_since_last_kratom_use",
            "Time since last use decides when standard induction is safe.",
        )
    elif hours_k < need_k:
        unknown = " for a product not recorded, as for 7-OH" if f.seven_oh_unexcluded else ""
        problems.append(f"{hours_k:g} h since last kratom (< {need_k:g} h{unknown})")
    use = f.a.use_history
    if f.med_classes is None:
        # Unreviewed medications cannot exclude methadone maintenance (72 h wait).
        gaps.append("current medications not reviewed")
        out.missing(
            "/use_history/current_medications",
            "A prescribed opioid (methadone: 72 h) changes when induction is safe (omitted "
            "means not reviewed).",
        )
    hours_o = w.hours_since_last_other_opioid_use if w is not None else None
    if (
        not f.long_acting_opioid
        and not past_every_opioid_wait(hours_o)
        and (use is None or use.other_substances is None)
    ):
        # Other opioids not asked about: fentanyl or methadone (and their longer waits)
        # cannot be excluded, so the timing cannot be confirmed (hazard HZ-03). A prescribed
        # opioid on the list does not exclude illicit methadone; methadone known already
        # takes the longest wait.
        gaps.append("other opioid use not recorded")
        out.missing(
            "/use_history/other_substances",
            "Other opioids (fentanyl, methadone) need their own wait before standard induction.",
        )
    if f.opioid_coexposure:
        need_o = other_opioid_wait_hours(f)
        if hours_o is None:
            gaps.append("time since last other opioid unknown")
            out.missing(
                "/withdrawal/hours_since_last_other_opioid_use",
                "Other opioids need their own wait before standard induction.",
            )
        elif hours_o < need_o:
            problems.append(f"{hours_o:g} h since last other opioid (< {need_o:g} h)")
    if problems:
        text = "; ".join(problems)
        out.alert(
            "precipitated_withdrawal_risk",
            WARNING,
            "Too early for standard buprenorphine induction",
            f"{text}. Defer the first dose and reassess COWS, or consider low-dose "
            "(micro-) initiation, which needs no withdrawal period.",
        )
        _bup(
            out,
            CONSIDER,
            f"Defer standard induction ({text}); or low-dose initiation.",
        )
        return True
    if gaps:
        _bup(
            out,
            CONSIDER,
            f"Induction timing cannot be confirmed ({'; '.join(gaps)}): score COWS and confirm "
            f"the last dose before a standard first dose (needs COWS >= {min_cows:g}).",
        )
        return True
    _bup(
        out,
        None,
        f"Induction criteria met (COWS {cows:g} >= {min_cows:g}, last kratom {hours_k:g} h "
        f"ago): first dose {_mg(2, 4, f)}, reassess COWS at 30-60 minutes and about 2 hours.",
    )
    return False


BUP_02 = rule(
    "BUP-02",
    revision=11,
    family=Family.stabilization,
    title="Buprenorphine induction timing",
    summary="Standard induction needs COWS >= 8 (>= 13 after methadone or an extended-release "
    "opioid) and >= 8 h since last kratom (12 h after 7-OH, a product not recorded or "
    "short-acting opioids, 24 h after "
    "an extended-release one, 72 h after methadone, prescribed methadone included); otherwise "
    "defer or use low-dose initiation. Other opioid use or current medications not recorded, "
    "or a COWS scored more than 12 hours ago: at most "
    "consider. Already taking buprenorphine: no induction to time.",
    rationale="Starting buprenorphine before objective withdrawal risks precipitated "
    "withdrawal; ED protocols use COWS >= 8 (ACEP >= 13 after long-acting opioids). Induction "
    "as early as 8 h after last kratom use was safe in a VA series.",
    reads=(
        "scores.cows.total",
        "/withdrawal/assessed_at",
        "/withdrawal/hours_since_last_kratom_use",
        "/withdrawal/hours_since_last_other_opioid_use",
        "/use_history/product_types",
        "/use_history/other_substances",
        "derived.opioid_coexposure",
        "derived.long_acting_opioid",
        "derived.extended_release_opioid",
        "derived.medication_classes",
        "/medical_history/hepatic_impairment_child_pugh",
    ),
    cites=(
        Cite("ACEP-BUPE", "COWS >= 8; >= 13 after methadone or long-acting opioids"),
        Cite("GUO21", "87% of ED protocols use COWS 8"),
        Cite("LEI21", "Induction from 8 h after last kratom use"),
        Cite(
            "BUPLABEL",
            "Label: start with clear withdrawal; >= 4 h / >= 24 h floors; Child-Pugh C: half doses",
        ),
        Cite("MARWAH20", "Low-dose initiation without a withdrawal period"),
    ),
    limitations=(
        *_KRATOM_SERIES,
        "COWS is not validated for kratom; low-dose initiation is not studied in kratom use "
        "disorder.",
    ),
    thresholds=(
        th.BUP_MIN_HOURS_EXTENDED_RELEASE,
        th.BUP_MIN_COWS,
        th.BUP_MIN_COWS_LONG_ACTING,
        th.BUP_MIN_HOURS_KRATOM,
        th.BUP_MIN_HOURS_SHORT_ACTING,
        th.BUP_MIN_HOURS_METHADONE,
    ),
    apply=_bup_02,
)


def _bup_03(f: Facts, out: Findings) -> bool:
    if not (f.benzodiazepine or f.sedative_other or f.alcohol):
        return False
    out.alert(
        "respiratory_depression_risk",
        WARNING,
        "Buprenorphine with CNS depressants",
        "Benzodiazepines, alcohol or other sedatives with buprenorphine risk respiratory "
        "depression. Do not simply withhold buprenorphine: counsel, coordinate with the "
        "sedative prescriber, taper sedatives where possible, prescribe naloxone.",
    )
    _bup(
        out,
        None,
        "CNS depressant co-use: counsel and coordinate; do not withhold.",
    )
    return True


BUP_03 = rule(
    "BUP-03",
    family=Family.stabilization,
    title="Buprenorphine with CNS depressants",
    summary="Benzodiazepine, sedative or alcohol use with buprenorphine: manage, do not withhold.",
    rationale="The label warns of respiratory depression with CNS depressants; FDA (2017) "
    "advised against withholding buprenorphine from patients taking benzodiazepines because "
    "untreated opioid use disorder carries greater risk.",
    reads=(
        "derived.benzodiazepine",
        "derived.sedative_other",
        "derived.alcohol",
    ),
    cites=(
        Cite("BUPLABEL", "Respiratory depression with CNS depressants"),
        Cite("FDADSC17", "Do not withhold; manage the combination carefully"),
    ),
    limitations=_KRATOM_SERIES,
    apply=_bup_03,
)


def _bup_04(f: Facts, out: Findings) -> bool:
    h = f.history
    child = h.hepatic_impairment_child_pugh if h is not None else None
    # Child-Pugh grades chronic liver disease: recorded absent, no class applies.
    unassessed = child is None and f.condition("liver_disease") is not False
    if unassessed:
        out.missing(
            "/medical_history/hepatic_impairment_child_pugh",
            "Hepatic impairment changes the buprenorphine product and dose.",
        )
    if child == "C":
        out.alert(
            "hepatic_impairment_buprenorphine",
            CRITICAL,
            "Severe hepatic impairment: no buprenorphine/naloxone",
            "Child-Pugh C: avoid the combination product (naloxone exposure rises sharply). "
            "If buprenorphine is used, use buprenorphine alone at half the starting and "
            "titration doses, and monitor.",
        )
        detail = "Child-Pugh C: buprenorphine alone, half doses; no combination product."
    elif child == "B":
        out.alert(
            "hepatic_impairment_buprenorphine",
            WARNING,
            "Moderate hepatic impairment: induce with buprenorphine alone",
            "Child-Pugh B: buprenorphine/naloxone may not be appropriate, especially for "
            "induction; induce with buprenorphine alone and monitor for toxicity.",
        )
        detail = "Child-Pugh B: induce with buprenorphine alone; monitor."
    elif f.liver_injury:
        detail = (
            "Liver injury (ALT > 3x or ALP > 2x ULN, Hy's-law range or INR >= 1.5): hepatitis "
            "is reported with buprenorphine; monitor liver tests closely."
        )
    elif unassessed:
        # A safety input missing: at most consider (Child-Pugh C halves the doses and rules
        # out the combination product).
        known = f.condition("liver_disease")
        detail = (
            "Hepatic impairment (Child-Pugh) not recorded"
            + (" with chronic liver disease" if known else ", nor chronic liver disease")
            + ": assess it before choosing the product and dose (Child-Pugh C: buprenorphine "
            "alone at half doses)."
        )
    else:
        return False
    out.recommend(STABILIZATION, _BUP, MEDICATION, _BUP_TITLE, CONSIDER, detail)
    return True


BUP_04 = rule(
    "BUP-04",
    revision=4,
    family=Family.stabilization,
    title="Buprenorphine and the liver",
    summary="Child-Pugh C (critical) or B (warning), or liver injury (ALT > 3x or ALP > 2x ULN, "
    "Hy's-law range, INR >= 1.5), or Child-Pugh not recorded without chronic liver disease "
    "recorded absent: buprenorphine at most `consider`, with the product and dose change.",
    rationale="Buprenorphine/naloxone should be avoided in severe and may be inappropriate in "
    "moderate hepatic impairment (naloxone exposure rises more than buprenorphine); "
    "buprenorphine alone at half dose in severe impairment; hepatitis is reported. The clinical "
    "reference's LIV-04 asks for hepatic dose adjustments at ALT > 3x or ALP > 2x ULN: kratom "
    "injury is usually cholestatic or mixed, so a rise led by ALP counts as much as one led by "
    "ALT.",
    reads=(
        "/medical_history/hepatic_impairment_child_pugh",
        "derived.liver_injury",
        "/co_occurring_conditions/liver_disease",
        "/co_occurring_conditions/coded",
    ),
    cites=(
        Cite("BUPLABEL", "Hepatic impairment, section 8.6; baseline and periodic LFTs"),
        Cite("ICD10CM", "Codes read: K70-K77 diseases of liver, B18 chronic viral hepatitis"),
        *condition_concepts_cite("liver_disease"),
        Cite("LIVERTOX", "Kratom liver injury is cholestatic or mixed"),
        Cite("HYS-FDA09", "Drug-induced liver injury signal levels"),
    ),
    limitations=(*_KRATOM_SERIES, "Child-Pugh class is taken as given."),
    thresholds=(th.LIVER_ALT_WARN_X, th.LIVER_ALP_WARN_X, th.INR_FAILURE),
    apply=_bup_04,
)


def _nal_01(f: Facts, out: Findings) -> bool:
    h = f.history
    prior = h.prior_overdose if h is not None else None
    if prior is None:
        out.missing("/medical_history/prior_overdose", "A prior overdose makes naloxone essential.")
    classes = f.med_classes or frozenset()
    considering = f.a.considering
    risks = [
        text
        for text, present in (
            ("concentrated 7-OH or extract", f.concentrated),
            ("other opioids", f.opioid_coexposure),
            ("CNS depressants", f.benzodiazepine or f.sedative_other or f.alcohol),
            ("prior overdose", bool(prior)),
            (
                "opioid agonist treatment",
                bool(classes & _AGONIST_CLASSES)
                or "buprenorphine" in considering
                or "methadone" in considering,
            ),
            (
                "withdrawal-only plan (lost tolerance)",
                f.withdrawal_only,
            ),
            ("naltrexone treatment (lost tolerance if opioids are used)", "naltrexone" in classes),
            (
                "co-use or product not recorded (high-potency opioids not excluded)",
                f.substances is None or f.product_unknown,
            ),
        )
        if present
    ]
    if risks:
        out.recommend(
            STABILIZATION,
            "naloxone",
            MEDICATION,
            "Naloxone kit",
            RECOMMENDED,
            f"Overdose risk ({', '.join(risks)}): prescribe naloxone and train the patient "
            "and family.",
        )
        return True
    out.recommend(
        STABILIZATION,
        "naloxone",
        MEDICATION,
        "Naloxone kit",
        CONSIDER,
        "Kratom is an opioid-like product and tolerance falls after withdrawal: offer a "
        "naloxone kit.",
    )
    return False


NAL_01 = rule(
    "NAL-01",
    revision=6,
    family=Family.stabilization,
    title="Naloxone for overdose risk",
    summary="Naloxone is recommended with any overdose risk factor (7-OH or extract, opioid or "
    "depressant co-use, prior overdose, agonist or naltrexone treatment, withdrawal-only plan), "
    "otherwise offered.",
    rationale="CDC recommends offering naloxone when overdose risk is elevated, including "
    "with benzodiazepines or opioid use disorder; most kratom-associated overdose deaths "
    "involved other opioids, and lost tolerance after withdrawal raises risk.",
    reads=(
        "/medical_history/prior_overdose",
        "derived.concentrated_product",
        "derived.opioid_coexposure",
        "derived.benzodiazepine",
        "derived.sedative_other",
        "derived.alcohol",
        "derived.medication_classes",
        "/considering",
        "derived.withdrawal_only",
        "/use_history/other_substances",
        "/use_history/product_types",
        "/co_occurring_conditions/coded",
    ),
    cites=(
        Cite("CDC22", "Recommendation 8: offer naloxone when overdose risk is increased"),
        Cite("VIVITROL-PI", "Section 5.1: vulnerability to opioid overdose"),
        Cite("OLSEN19", "Kratom-detected overdose deaths"),
        Cite("BCCSU17", "Overdose risk after withdrawal management"),
        *history_cites("prior_overdose"),
    ),
    limitations=(
        "Naloxone reverses opioid effects only; not sedative or alcohol toxicity.",
        CODED_HISTORY_LIMITATION,
        "A coded SNOMED CT drug overdose names no drug: any drug overdose counts as a prior "
        "overdose (CDC's risk factor is a history of overdose), while ICD-10-CM codes count "
        "only opioid poisonings.",
    ),
    apply=_nal_01,
)


def _other_opioid_hours(f: Facts) -> float | None:
    w = f.a.withdrawal
    return w.hours_since_last_other_opioid_use if w is not None else None


def _other_opioid_time_unknown(f: Facts) -> bool:
    """Another opioid is (or was) used and the time of its last dose is not recorded."""
    w = f.a.withdrawal
    return f.opioid_coexposure and (w is None or w.hours_since_last_other_opioid_use is None)


def _ntx_01(f: Facts, out: Findings) -> bool:
    classes = f.med_classes or frozenset()
    on_agonist = bool(classes & _AGONIST_CLASSES)
    # A product not recorded (or "unknown") could be a 7-OH concentrate: its longer interval.
    days_needed = (
        th.NTX_AFTER_AGONIST_DAYS
        if (on_agonist or f.seven_oh_possible or f.long_acting_opioid)
        else th.NTX_OPIOID_FREE_DAYS
    ).value
    if f.seven_oh_unexcluded:
        out.missing(
            "/use_history/product_types",
            "A concentrated 7-OH product needs a longer opioid-free interval before naltrexone.",
        )
    hours = f.hours_since_last_use()
    positives = sorted(f.uds_positive & _OPIOID_ANALYTES)
    cows = f.scores.cows.value
    continuing = "naltrexone" in classes
    if on_agonist:
        status = CONTRAINDICATED
        why = "the patient takes an opioid agonist (it would precipitate withdrawal)"
    elif f.withdrawal_present:
        status, why = CONTRAINDICATED, f"the patient is in acute withdrawal (COWS {cows:g})"
    elif positives:
        status, why = CONTRAINDICATED, f"the urine is positive for {', '.join(positives)}"
    elif continuing:
        # Continuing is not starting: the opioid-free interval is for the first dose.
        status, why = CONSIDER, "already taking naltrexone"
    elif (
        hours is None
        and (bound := _other_opioid_hours(f)) is not None
        and (bound < days_needed * 24)
    ):
        # The kratom time is unknown, but another opioid this recent already rules it out.
        status, why = (
            AVOID,
            f"only {bound / 24:.1f} days since the last other opioid (needs >= "
            f"{days_needed:g} opioid-free days); kratom's last use not recorded",
        )
        out.missing(
            "/withdrawal/hours_since_last_kratom_use",
            "Naltrexone needs a confirmed opioid-free interval, including kratom.",
        )
    elif hours is None:
        # Not a silent default: an unknown interval is not an opioid-free one (HZ-07).
        status, why = AVOID, "the time since the last kratom or opioid use is not recorded"
        out.missing(
            "/withdrawal/hours_since_last_kratom_use",
            "Naltrexone needs a confirmed opioid-free interval, including kratom.",
        )
    elif hours < days_needed * 24:
        status, why = (
            AVOID,
            (
                f"only {hours / 24:.1f} days since last use (needs >= {days_needed:g} opioid-free "
                "days" + (", as for 7-OH: product not recorded)" if f.seven_oh_unexcluded else ")")
            ),
        )
    else:
        status, why = CONSIDER, f"opioid-free for {hours / 24:.1f} days"
        if _other_opioid_time_unknown(f):
            # The interval above is kratom's alone: other opioids may have been used since,
            # and an unknown interval is not an opioid-free one (HZ-07).
            status = AVOID
            why = f"{hours / 24:.1f} days since last use; last use of other opioids not recorded"
            out.missing(
                "/withdrawal/hours_since_last_other_opioid_use",
                "Naltrexone needs a confirmed opioid-free interval for every opioid used.",
            )
        uds = f.a.urine_drug_screen
        untested = (None, "not_tested")
        if uds is not None and all(getattr(uds, a) in untested for a in _STANDARD_OPIOIDS):
            # A screen without any opioid result is not a negative one.
            why += "; the drug screen has no opioid result"
            out.missing(
                "/urine_drug_screen/opiates",
                "Naltrexone needs a screen negative for opioids (and kratom).",
            )
        if f.med_classes is None:
            why += "; current medications not reviewed (an opioid agonist rules it out)"
            out.missing(
                "/use_history/current_medications",
                "An opioid agonist prescription contraindicates naltrexone (omitted means not "
                "reviewed).",
            )
    if continuing and status is CONSIDER:
        detail = (
            "Already taking naltrexone: continue it (the opioid-free interval is for starting "
            "it) and check adherence; a missed dose leaves lost tolerance unprotected."
        )
    elif status is CONSIDER and hours is not None:
        detail = (
            f"Naltrexone is an option for relapse prevention ({why}). Confirm with a negative "
            "kratom-specific test (standard screens cannot) and consider a naloxone challenge."
        )
    else:
        detail = f"Not now: {why}. Ask explicitly about kratom and 7-OH before any naltrexone."
    out.recommend(
        BEHAVIORAL_THERAPY,
        "naltrexone",
        MEDICATION,
        "Naltrexone",
        status,
        detail,
    )
    if status in (AVOID, CONTRAINDICATED) and ("naltrexone" in f.a.considering):
        out.alert(
            "naltrexone_precipitated_withdrawal",
            CRITICAL,
            "Naltrexone now could precipitate withdrawal",
            f"Naltrexone is being considered, but {why}. Precipitated withdrawal after "
            "naltrexone is reported with undisclosed kratom use.",
            ("naltrexone",),
        )
    return status in (AVOID, CONTRAINDICATED)


NTX_01 = rule(
    "NTX-01",
    revision=11,
    family=Family.behavioral_therapy,
    title="Naltrexone timing",
    summary="Naltrexone only after >= 10 opioid-free days (14 after agonists, 7-OH or a "
    "product not recorded); "
    "contraindicated on an agonist, in withdrawal or with a positive opioid or kratom screen; "
    "avoided while the time since last use (kratom, or another opioid used) is not "
    "recorded.",
    rationale="The naltrexone label requires 7-10 opioid-free days (up to 2 weeks after "
    "buprenorphine or methadone) to avoid precipitated withdrawal severe enough to need "
    "hospitalisation; this happened with undisclosed kratom use.",
    reads=(
        "derived.hours_since_last_use",
        "/withdrawal/hours_since_last_other_opioid_use",
        "derived.opioid_coexposure",
        "derived.medication_classes",
        "derived.withdrawal_present",
        "derived.uds_positive",
        *(f"/urine_drug_screen/{a}" for a in _STANDARD_OPIOIDS),
        "/use_history/product_types",
        "derived.long_acting_opioid",
        "/considering",
    ),
    cites=(
        Cite("VIVITROL-PI", "Opioid-free 7-10 days; up to 2 weeks after agonists"),
        Cite("JARKA23", "Precipitated withdrawal after naltrexone with kratom use"),
        Cite("LEVOUNIS", "Naltrexone among options reported as effective"),
    ),
    limitations=(NO_KRATOM_GUIDELINE, "No kratom-specific naltrexone data."),
    thresholds=(th.NTX_OPIOID_FREE_DAYS, th.NTX_AFTER_AGONIST_DAYS),
    apply=_ntx_01,
)


def _ntx_02(f: Facts, out: Findings) -> bool:
    if not f.pregnant:
        return False
    hours = f.hours_since_last_use()
    active = (
        f.withdrawal_present
        or bool(f.uds_positive & _OPIOID_ANALYTES)
        or hours is None
        or hours < th.NTX_OPIOID_FREE_DAYS.value * 24
        # Already on naltrexone, it is not being initiated (NTX-01 continues it).
        or (_other_opioid_time_unknown(f) and "naltrexone" not in (f.med_classes or ()))
    )
    if not active:
        return False
    out.recommend(
        BEHAVIORAL_THERAPY,
        "naltrexone",
        MEDICATION,
        "Naltrexone",
        CONTRAINDICATED,
        "Pregnant with active (or unconfirmed absence of) opioid-like use: do not initiate "
        "naltrexone; buprenorphine or methadone is preferred.",
    )
    if "naltrexone" in f.a.considering:
        out.alert(
            "naltrexone_in_pregnancy",
            CRITICAL,
            "Do not start naltrexone in pregnancy during active use",
            "Pregnant and actively using (or not confirmed abstinent): naltrexone should not "
            "be initiated.",
            ("naltrexone",),
        )
    return True


NTX_02 = rule(
    "NTX-02",
    revision=4,
    family=Family.behavioral_therapy,
    title="Naltrexone in pregnancy",
    summary="Pregnant with active use (or abstinence unconfirmed, including another opioid "
    "whose last use is not recorded): naltrexone contraindicated.",
    rationale="Guidance for opioid use disorder in pregnancy says not to initiate naltrexone "
    "in a patient actively using opioids; agonist treatment is preferred.",
    reads=(
        "derived.pregnant",
        "derived.hours_since_last_use",
        "/withdrawal/hours_since_last_other_opioid_use",
        "derived.opioid_coexposure",
        "derived.withdrawal_present",
        "derived.uds_positive",
        "/considering",
    ),
    cites=(Cite("NYSPREG", "Do not initiate naltrexone during active opioid use"),),
    limitations=("Extrapolated from opioid use disorder in pregnancy [L].",),
    thresholds=(th.NTX_OPIOID_FREE_DAYS,),
    apply=_ntx_02,
)


def _mtd_01(f: Facts, out: Findings) -> bool:
    classes = f.med_classes or frozenset()
    if "methadone" not in f.a.considering and "methadone" not in classes:
        return False
    qtc = f.scores.qtc
    if qtc.value is None:
        status = CONSIDER
        detail = "No QTc on file: ECG before starting, within 30 days and yearly."
        out.missing("/labs/qtc_ms", "Methadone needs a baseline ECG.")
    elif qtc.value >= th.QTC_HIGH_RISK.value:
        status = AVOID
        detail = (
            f"QTc {qtc.value:g} ms (>= 500): consider reducing or stopping methadone, remove "
            "contributors (hypokalaemia, interacting drugs) or switch therapy."
        )
        out.alert(
            "methadone_qtc",
            CRITICAL,
            "Methadone with QTc >= 500 ms",
            detail,
            ("methadone",),
        )
    elif qtc.value >= th.QTC_PROLONGED_MALE.value:  # KRANTZ09's 450-500 band includes 450
        status = CONSIDER
        detail = (
            f"QTc {qtc.value:g} ms (450-500): discuss risks and benefits and monitor ECG more "
            "often."
        )
    else:
        status = CONSIDER
        detail = f"QTc {qtc.value:g} ms: ECG again within 30 days, yearly, and above 100 mg/day."
    age = f.flat["derived.lab_age_days"]
    if qtc.value is not None and (age is None or age > th.ECG_MAX_AGE_DAYS.value):
        # The panel's baseline ECG is one taken before treatment, not any tracing on file.
        if age is None:
            out.missing("/labs/collected_at", "The QTc's date decides whether it is a baseline.")
        detail = (
            f"The QTc on file is {'undated' if age is None else f'{age:g} days old'}: a "
            f"baseline ECG before starting. {detail}"
        )
    out.recommend(
        STABILIZATION,
        "methadone",
        MEDICATION,
        "Methadone",
        status,
        "Dispensed only through an opioid treatment programme for opioid use disorder. " + detail,
    )
    return True


MTD_01 = rule(
    "MTD-01",
    revision=3,
    family=Family.stabilization,
    title="Methadone and QTc",
    summary="When methadone is considered or taken: QTc >= 500 ms avoid (critical); 450-500 "
    "discuss and monitor; no ECG, or one older than 30 days or undated, get a baseline.",
    rationale="Methadone prolongs QTc; an expert panel recommends ECG before treatment, within "
    "30 days and yearly, discussion at 450-500 ms and action above 500 ms.",
    reads=(
        "scores.qtc.category",
        "/labs/qtc_ms",
        "derived.lab_age_days",
        "/considering",
        "derived.medication_classes",
    ),
    cites=(
        Cite("KRANTZ09", "QTc screening in methadone treatment"),
        Cite("SAMHSAQT", "Cardiac risk management plan"),
        Cite("LEVOUNIS", "Methadone mentioned as potentially effective for kratom use disorder"),
    ),
    limitations=(
        NO_KRATOM_GUIDELINE,
        "Exactly 500 ms is treated as >= 500 (the panel text leaves it uncovered).",
        "Methadone thresholds are sex-neutral.",
    ),
    thresholds=(th.QTC_HIGH_RISK, th.ECG_MAX_AGE_DAYS),
    apply=_mtd_01,
)

RULES = (BUP_01, BUP_02, BUP_03, BUP_04, NAL_01, NTX_01, NTX_02, MTD_01)
