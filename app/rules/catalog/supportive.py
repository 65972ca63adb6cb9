"""Symptomatic non-addictive care, nutrition, supportive care and monitoring (SYM, NUT,
MON)."""

from __future__ import annotations

from app.rules import thresholds as th
from app.rules.catalog.exposures import benzodiazepine_taken_note
from app.rules.catalog.organs import qt_critical, qt_drugs_taken
from app.rules.define import (
    AVOID,
    CONSIDER,
    MEDICATION,
    MONITORING,
    NUTRITION,
    RECOMMENDED,
    STABILIZATION,
    SUPPORT,
    Cite,
    Family,
    Status,
    rule,
)
from app.rules.facts import (
    CODED_LIMITATION,
    Facts,
    condition_concepts_cite,
    name_words,
    sentence,
    vitals_not_current,
)
from app.rules.findings import Findings

_SYMPTOM_LIMIT = (
    "Symptomatic drugs come from opioid-withdrawal protocols; no kratom-specific trials.",
)
_WHO = Cite("WHO09", "Standard withdrawal care: symptomatic relief, rest, hydration")
#: What QT-01's critical tier reads (the QT notes agree with it).
_QT_READS = (
    "scores.qtc.category",
    "/medical_history/congenital_long_qt",
    "/co_occurring_conditions/coded",
    "derived.medication_classes",
    "/considering",
)


def _qt_note(f: Facts) -> str:
    """The QT caution in words that agree with QT-01, which decides the status: in its
    critical tier (it advises against QT drugs) avoid; when the QTc is merely prolonged, prefer
    an alternative, and if it is needed, correct potassium and magnesium and repeat the ECG."""
    qtc = f.scores.qtc
    if qt_critical(f):
        shown = f"QTc {qtc.value:g} ms" if qtc.value is not None else "Long QT"
        return f" {shown}: QT-prolonging, avoid adding."
    if qtc.value is None:
        return " Check QTc first (QT-prolonging)."
    if qtc.band != "normal":
        return (
            f" QTc {qtc.value:g} ms (prolonged): QT-prolonging, prefer an alternative; if "
            "needed, correct potassium and magnesium and repeat the ECG."
        )
    return " QT-prolonging: mind other QT drugs."


_LOPERAMIDE_NAMES = frozenset({"loperamide", "imodium"})


def _loperamide(f: Facts) -> tuple[Status, str]:
    """Loperamide's status and caution. Its label: avoid with QT risk factors (congenital long
    QT) and with other QT-prolonging drugs such as methadone; cardiac deaths mostly at higher
    than labelled doses, often taken to self-treat opioid withdrawal."""
    labelled = " At labelled doses only: higher doses cause Torsades de Pointes."
    qtc = f.scores.qtc
    if qt_critical(f):
        shown = f"QTc {qtc.value:g} ms" if qtc.value is not None else "Long QT"
        return AVOID, f" {shown}: its label says avoid with QT risk factors; oral rehydration."
    # Loperamide on the medication list is this drug, not another QT drug.
    taken = [n for n in qt_drugs_taken(f) if not _LOPERAMIDE_NAMES & name_words(n)]
    if taken:
        return AVOID, (
            f" Taken with {', '.join(taken)} (QT-prolonging): its label says avoid the "
            "combination; oral rehydration."
        )
    adding = [d for d in ("lofexidine", "methadone") if d in f.a.considering]
    if adding:
        labelled += (
            f" Its label says avoid combining it with QT-prolonging drugs ({' or '.join(adding)} "
            "is considered): use one or the other, or monitor the ECG."
        )
    if qtc.band not in (None, "normal"):
        labelled += f" QTc {qtc.value:g} ms (prolonged): prefer an alternative."
    return CONSIDER, labelled


def _sym_01(f: Facts, out: Findings) -> bool:
    gi = f.flat["/withdrawal/cows/gi_upset"]
    if not gi:
        return False
    status, caution = _loperamide(f)
    out.recommend(
        STABILIZATION,
        "loperamide",
        MEDICATION,
        "Loperamide for diarrhoea",
        status,
        f"COWS GI item {gi}: loperamide for diarrhoea.{caution}",
    )
    out.recommend(
        STABILIZATION,
        "ondansetron",
        MEDICATION,
        "Ondansetron for nausea",
        CONSIDER,
        f"COWS GI item {gi}: antiemetic for nausea or vomiting." + _qt_note(f),
    )
    return True


SYM_01 = rule(
    "SYM-01",
    revision=3,
    family=Family.stabilization,
    title="GI symptoms",
    summary="COWS GI item >= 1: loperamide and an antiemetic, with a QTc check; loperamide "
    "avoided with long QT, a QTc in QT-01's critical tier or another QT-prolonging drug taken.",
    rationale="Diarrhoea, nausea and cramps are part of kratom withdrawal; opioid-withdrawal "
    "protocols treat them symptomatically. Ondansetron prolongs QT, which stacks with kratom "
    "and lofexidine; loperamide's label advises against it with QT risk factors or other QT "
    "drugs, and its cardiac deaths follow high doses taken to self-treat opioid withdrawal.",
    reads=("/withdrawal/cows/gi_upset", *_QT_READS, "/use_history/current_medications"),
    cites=(
        _WHO,
        Cite("SINGH14", "Kratom withdrawal symptoms include diarrhoea"),
        Cite("LUCEMYRA-PI", "QT stacking with other QT-prolonging drugs"),
        Cite("LOPERAMIDE-PI", "Avoid with QT risk factors or QT drugs; high-dose cardiac deaths"),
    ),
    limitations=_SYMPTOM_LIMIT,
    apply=_sym_01,
)


def _sym_02(f: Facts, out: Findings) -> bool:
    aches = f.flat["/withdrawal/cows/bone_joint_aches"]
    pain = f.has_condition("chronic_pain")
    if not (aches or pain):
        return False
    why = f"COWS aches item {aches}" if aches else "chronic pain"
    h = f.history
    child = h.hepatic_impairment_child_pugh if h is not None else None
    labs = f.a.labs
    inr = labs.inr if labs is not None else None
    # Hy's-law range or a raised INR (possible liver failure): LIV-02/LIV-03 advise avoiding
    # hepatotoxic drugs, so neither analgesic is offered until hepatology has assessed.
    severe_liver = f.scores.liver.hys_law_range or (inr is not None and inr >= th.INR_FAILURE.value)
    hepatic = (
        f.liver_injury
        or child in ("B", "C")
        or f.has_condition("liver_disease")
        or bool(h is not None and h.liver_injury_symptoms)
    )
    if severe_liver:
        acetaminophen_status = AVOID
        acetaminophen_note = (
            " Hy's-law range or INR >= 1.5 (possible liver failure): avoid until hepatology has "
            "assessed."
        )
    else:
        acetaminophen_status = CONSIDER
        acetaminophen_note = (
            " Liver injury, disease or impairment: lower the maximum daily dose with hepatology "
            "advice."
            if hepatic
            else ""
        )
    out.recommend(
        STABILIZATION,
        "acetaminophen",
        MEDICATION,
        "Acetaminophen",
        acetaminophen_status,
        f"{sentence(why)}: acetaminophen for aches." + acetaminophen_note,
    )
    egfr = f.egfr  # as given, else estimated from creatinine
    reasons = []
    if egfr is not None and egfr < th.NSAID_AVOID_EGFR.value:
        reasons.append(f"{f.egfr_text} (acute kidney injury, further loss of kidney function)")
    if egfr is None and h is not None and h.chronic_kidney_disease:
        reasons.append("chronic kidney disease recorded and eGFR unknown (avoid below 30)")
    if child == "C":
        reasons.append("Child-Pugh C cirrhosis (sodium retention, kidney injury, bleeding)")
    if severe_liver:
        reasons.append("Hy's-law range or INR >= 1.5 (hepatotoxicity, bleeding)")
    if reasons:
        out.recommend(
            STABILIZATION,
            "nsaid",
            MEDICATION,
            "NSAID (e.g. ibuprofen)",
            AVOID,
            f"Avoid NSAIDs: {'; '.join(reasons)}."
            + ("" if severe_liver else " Acetaminophen instead, at the adjusted dose."),
        )
        return True
    out.recommend(
        STABILIZATION,
        "nsaid",
        MEDICATION,
        "NSAID (e.g. ibuprofen)",
        CONSIDER,
        f"{sentence(why)}: an NSAID for aches, with the usual renal, gastrointestinal and "
        "bleeding precautions"
        + ("; in pregnancy only on obstetric advice." if f.pregnant else ".")
        + (" Renal function unknown: check it first." if egfr is None else ""),
    )
    return True


SYM_02 = rule(
    "SYM-02",
    revision=10,
    family=Family.stabilization,
    title="Aches and pain",
    summary="Aches (COWS item >= 1) or chronic pain: acetaminophen (dose lowered with liver "
    "injury, disease or impairment: ALT > 3x or ALP > 2x ULN, Child-Pugh B/C, recorded liver "
    "disease or symptoms) or an NSAID; Hy's-law range or INR >= 1.5: both avoided until "
    "hepatology has assessed; eGFR < 30, CKD with eGFR unknown, or Child-Pugh C: NSAIDs "
    "avoided.",
    rationale="Muscle and joint pain dominate kratom withdrawal; non-opioid analgesics are the "
    "protocol choice; acetaminophen needs dose limits when the liver is injured.",
    reads=(
        "/withdrawal/cows/bone_joint_aches",
        "/co_occurring_conditions/chronic_pain",
        "/co_occurring_conditions/coded",
        "derived.liver_injury",
        "scores.liver.hys_law_range",
        "/labs/inr",
        "/medical_history/hepatic_impairment_child_pugh",
        "/medical_history/liver_injury_symptoms",
        "/co_occurring_conditions/liver_disease",
        "/medical_history/chronic_kidney_disease",
        "derived.pregnant",
        "derived.egfr",
    ),
    cites=(
        Cite("CKDEPI21", "eGFR estimated from creatinine when none is given"),
        _WHO,
        Cite("SINGH14", "Muscle pain in kratom withdrawal"),
        Cite("LIVERTOX", "Kratom liver injury"),
        Cite("BEERS23", "Avoid NSAIDs at creatinine clearance < 30 mL/min"),
        Cite("EASL18", "NSAIDs should not be used in patients with ascites"),
        Cite(
            "ICD10CM",
            "Codes read: G89.2 chronic pain, G89.4 chronic pain syndrome; K70-K77 diseases of "
            "liver, B18 chronic viral hepatitis",
        ),
        *condition_concepts_cite("chronic_pain", "liver_disease"),
    ),
    limitations=(
        CODED_LIMITATION,
        *_SYMPTOM_LIMIT,
        "Bleeding risk is not checked; cirrhosis is read from Child-Pugh class C only (ascites "
        "is not an input), so Child-Pugh B with ascites is not caught.",
        "The Beers criteria are for adults 65 and older and use creatinine clearance; the "
        "eGFR < 30 cut-off is applied at every age (conservative).",
    ),
    thresholds=(
        th.LIVER_ALT_WARN_X,
        th.LIVER_ALP_WARN_X,
        th.INR_FAILURE,
        th.NSAID_AVOID_EGFR,
    ),
    apply=_sym_02,
)


#: The Beers Criteria apply from this age (BEERS23: adults 65 years old and older).
_BEERS_AGE = 65


def _sym_03(f: Facts, out: Findings) -> bool:
    anxiety = f.flat["/withdrawal/cows/anxiety_irritability"]
    disorder = f.has_condition("anxiety")  # recorded, or a coded F40.0/F40.1/F41
    if not (anxiety or disorder or f.scores.gad7.positive):
        return False
    depressed = f.opioid_toxicity_signs()
    unchecked = f.scores.news2.value is None or vitals_not_current(f) is not None
    if depressed:
        # Hydroxyzine sedates too: no CNS depressant on top of depressed breathing.
        status, detail = (
            AVOID,
            (
                f"Not now: {', '.join(depressed)} (possible opioid toxicity); no sedating drug "
                "until the emergency has been assessed."
            ),
        )
    elif (age := f.age_years()) is not None and age >= _BEERS_AGE:
        status, detail = (
            AVOID,
            (
                f"Age {age}: the Beers Criteria advise avoiding first-generation antihistamines "
                "such as hydroxyzine from 65 (strongly anticholinergic: confusion, falls); "
                "non-drug sleep and anxiety measures first."
            ),
        )
    else:
        status, detail = (
            CONSIDER,
            (
                "Non-benzodiazepine option for withdrawal anxiety and sleep, with sleep hygiene."
                + _qt_note(f)
                + (
                    " Check breathing (RR, SpO2) first: no current vital signs."
                    if unchecked
                    else ""
                )
            ),
        )
    out.recommend(
        STABILIZATION,
        "hydroxyzine",
        MEDICATION,
        "Hydroxyzine for anxiety or insomnia",
        status,
        detail,
    )
    taken = benzodiazepine_taken_note(f)  # "avoid" means do not start one, not stop this one
    alcohol_or_sedative_disorder = f.has_condition("alcohol_use_disorder") or f.has_condition(
        "sedative_use_disorder"
    )
    if alcohol_or_sedative_disorder and not depressed:
        # Alcohol or sedative withdrawal is the exception: benzodiazepines are its first-line
        # treatment, so they are a prescriber's decision here, not something to avoid.
        out.recommend(
            STABILIZATION,
            "benzodiazepine",
            MEDICATION,
            "Benzodiazepines",
            CONSIDER,
            "Not for kratom withdrawal anxiety or insomnia; but with an alcohol or sedative use "
            "disorder, alcohol or sedative withdrawal is treated with a benzodiazepine "
            "(first line), in a monitored setting and with the respiratory-depression risk of "
            "kratom and buprenorphine in mind."
            + (
                " No current vital signs: check breathing (RR, SpO2) before any dose."
                if unchecked
                else ""
            )
            + taken,
        )
        return True
    out.recommend(
        STABILIZATION,
        "benzodiazepine",
        MEDICATION,
        "Benzodiazepines",
        AVOID,
        "Avoid starting one for withdrawal anxiety or insomnia: respiratory depression with "
        "kratom or buprenorphine, and dependence." + taken,
    )
    return True


SYM_03 = rule(
    "SYM-03",
    revision=9,
    family=Family.stabilization,
    title="Anxiety and insomnia",
    summary="Withdrawal anxiety, anxiety disorder (recorded or coded) or GAD-7 >= 10: "
    "hydroxyzine (QTc check; avoided from age 65, Beers Criteria); benzodiazepines avoided, "
    "except with an alcohol or sedative use disorder, whose withdrawal they treat (then "
    "consider). Breathing or consciousness depressed now (RR <= 8, SpO2 <= 91% or not alert): "
    "both avoided; no current vital signs: check breathing first.",
    rationale="Non-addictive options are preferred (seed treatment model); labelling warns of "
    "respiratory depression with benzodiazepines and opioids; hydroxyzine prolongs QT.",
    reads=(
        "/withdrawal/cows/anxiety_irritability",
        "/co_occurring_conditions/anxiety",
        "scores.gad7.total",
        *_QT_READS,
        "/co_occurring_conditions/alcohol_use_disorder",
        "/co_occurring_conditions/sedative_use_disorder",
        "/co_occurring_conditions/coded",
        "/vitals/respiratory_rate_per_min",
        "/vitals/spo2_percent",
        "/vitals/consciousness",
        "derived.vitals_age_hours",
        "/patient/age_years",
        "/patient/birth_date",
        "derived.medication_classes",
    ),
    cites=(
        _WHO,
        Cite("BUPLABEL", "Benzodiazepines with buprenorphine: respiratory depression"),
        Cite("FDA-BZD20", "A benzodiazepine taken: no abrupt stop or quick cut"),
        Cite(
            "BEERS23",
            "First-generation antihistamines: avoid from 65 (highly anticholinergic)",
            strength="Strong",
            quality="Moderate",
        ),
        Cite("GALBIS16", "Scheduled hydroxyzine in severe kratom withdrawal"),
        Cite(
            "ASAMAWM",
            "Benzodiazepines are first-line for alcohol withdrawal (pharmacotherapy sections; "
            "recommendation number not re-read)",
        ),
        *condition_concepts_cite("anxiety", "alcohol_use_disorder"),
    ),
    limitations=_SYMPTOM_LIMIT,
    thresholds=(th.OPIOID_TOX_RR, th.OPIOID_TOX_SPO2),
    apply=_sym_03,
)


def _nut_01(f: Facts, out: Findings) -> bool:
    gi = f.flat["/withdrawal/cows/gi_upset"] or 0
    weight = f.flat["/patient/weight_kg"]
    if weight is None:
        out.missing(
            "/patient/weight_kg", "Kratom suppresses appetite; weight tracks nutritional recovery."
        )
    out.recommend(
        STABILIZATION,
        "nutrition_hydration",
        NUTRITION,
        "Nutrition and hydration",
        RECOMMENDED,
        "Regular meals and fluids; weigh at baseline and during treatment (kratom suppresses "
        "appetite)."
        + (" Vomiting or diarrhoea: oral rehydration and check electrolytes." if gi >= 3 else ""),
    )
    out.recommend(
        STABILIZATION,
        "supportive_environment",
        SUPPORT,
        "Quiet, supportive environment",
        RECOMMENDED,
        "Quiet surroundings, rest, clear information and reassurance; no forced exercise.",
    )
    return True


NUT_01 = rule(
    "NUT-01",
    family=Family.stabilization,
    title="Nutrition, hydration and supportive care",
    summary="Everyone: nutrition, hydration, weight check and a quiet supportive environment.",
    rationale="WHO standard withdrawal care includes a quiet environment, rest, hydration, "
    "information and empathy (not forced exercise); weight loss is reported with kratom.",
    reads=("/withdrawal/cows/gi_upset", "/patient/weight_kg"),
    cites=(_WHO, Cite("GALBIS16", "Appetite suppression and weight loss")),
    limitations=("Deficiency states are not assessed (no nutrition labs in the input).",),
    apply=_nut_01,
)


def _mon_01(f: Facts, out: Findings) -> bool:
    news2 = f.scores.news2
    total = news2.value
    if total is None:
        cadence = "Record vital signs and COWS now; the monitoring frequency depends on them."
    elif total >= th.NEWS2_HIGH.value:
        cadence = "NEWS2 >= 7: continuous monitoring."
    elif total >= th.NEWS2_MEDIUM.value or news2.red_flags:
        cadence = "NEWS2 medium or red flag: observations at least hourly."
    elif total >= 1:
        cadence = "NEWS2 1-4: observations at least every 4-6 hours."
    else:
        cadence = "NEWS2 0: observations at least every 12 hours."
    out.recommend(
        STABILIZATION,
        "withdrawal_monitoring",
        MONITORING,
        "Withdrawal and vital-sign monitoring",
        RECOMMENDED,
        f"{cadence} Score COWS with each review and at 30 minutes and about 2 hours after the "
        "first buprenorphine dose; track SOWS as a trend.",
    )
    return True


MON_01 = rule(
    "MON-01",
    family=Family.stabilization,
    title="Monitoring schedule",
    summary="Observation frequency by NEWS2 tier; COWS at each review and after induction doses.",
    rationale="NEWS2 sets observation frequency (12-hourly at 0 to continuous at >= 7); the COWS "
    "form suggests scoring before and about 30 minutes and 2 hours after the first dose.",
    reads=(
        "scores.news2.total",
        "scores.news2.band",
        "scores.news2.red_flags",
    ),
    cites=(
        Cite("NEWS2", "Observation frequency by score"),
        Cite("COWS", "Scoring schedule around induction"),
    ),
    limitations=("COWS is not validated for kratom; SOWS may capture subjective symptoms.",),
    apply=_mon_01,
)

RULES = (SYM_01, SYM_02, SYM_03, NUT_01, MON_01)
