"""What the rules read: the assessment flattened to JSON pointers, its scores, and the few
derived exposures several rules share (computed once per evaluation)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from app.rules import thresholds as th
from app.rules.scores import LiverRatios, liver_ratios
from app.rules.types import Cite
from app.schemas.assessment import (
    CLOCK_TOLERANCE,
    AssessmentIn,
    CoOccurringConditions,
    CowsItems,
    Labs,
    MedicalHistory,
    Medication,
    Patient,
    Preferences,
    ScreenResult,
    Social,
    UrineDrugScreen,
    UseHistory,
    Vitals,
    Withdrawal,
)

if TYPE_CHECKING:
    from app.rules.findings import Findings
from app.schemas.evaluation import Scores, Status


def _keys(prefix: str, model: type[BaseModel]) -> tuple[str, ...]:
    return tuple(f"{prefix}/{name}" for name in model.model_fields)


_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("vitals", _keys("/vitals", Vitals)),
    ("urine_drug_screen", _keys("/urine_drug_screen", UrineDrugScreen)),
    ("labs", _keys("/labs", Labs)),
    ("medical_history", _keys("/medical_history", MedicalHistory)),
    ("withdrawal", _keys("/withdrawal", Withdrawal)),
    ("use_history", _keys("/use_history", UseHistory)),
    ("co_occurring_conditions", _keys("/co_occurring_conditions", CoOccurringConditions)),
    ("social", _keys("/social", Social)),
)
_PATIENT = _keys("/patient", Patient)
_PREFERENCES = _keys("/social/preferences", Preferences)
_COWS = _keys("/withdrawal/cows", CowsItems)
_NO_COWS = dict.fromkeys(_COWS)
_NONE = {name: dict.fromkeys(keys) for name, keys in _GROUPS}
_NO_PREFERENCES = dict.fromkeys(_PREFERENCES)

#: Every key a rule may read: JSON pointers into the assessment plus `scores.*` values.
SCORE_KEYS = (
    "scores.cows.total",
    "scores.cows.band",
    "scores.sows.total",
    "scores.dsm5.count",
    "scores.dsm5.severity",
    "scores.dsm5.pharmacological_only",
    "scores.news2.total",
    "scores.news2.band",
    "scores.news2.red_flags",
    "scores.news2.complete",
    "scores.liver.alt_x_uln",
    "scores.liver.ast_x_uln",
    "scores.liver.alp_x_uln",
    "scores.liver.bilirubin_x_uln",
    "scores.liver.r_ratio",
    "scores.liver.pattern",
    "scores.liver.band",
    "scores.liver.hys_law_range",
    "scores.qtc.category",
    "scores.qtc.threshold_ms",
    "scores.phq9.total",
    "scores.phq9.item9",
    "scores.gad7.total",
    "scores.pcl5.total",
    "scores.pcl5.dsm_clusters_met",
    "scores.cssrs.risk",
    "scores.cssrs.complete",
    "scores.audit_c.positive",
    "scores.dast10.total",
    "scores.dast10.band",
)
#: Derived values several rules share, and the assessment inputs each one depends on.
DERIVED_INPUTS: dict[str, tuple[str, ...]] = {
    "derived.medication_classes": ("/use_history/current_medications",),
    "derived.lab_age_days": ("/labs/collected_at", "/assessed_at"),
    "derived.vitals_age_hours": ("/vitals/measured_at", "/assessed_at"),
    "derived.uds_positive": ("/urine_drug_screen",),
    "derived.concentrated_product": ("/use_history/product_types",),
    "derived.opioid_coexposure": (
        "/withdrawal/hours_since_last_other_opioid_use",
        "/use_history/other_substances",
        "/use_history/current_medications",
        "/urine_drug_screen",
        "/co_occurring_conditions/opioid_use_disorder",
        "/co_occurring_conditions/coded",
    ),
    "derived.unprescribed_opioid": (
        "/use_history/other_substances",
        "/urine_drug_screen",
        "/urine_drug_screen/prescribed_analytes",
        "/use_history/current_medications",
    ),
    "derived.fentanyl": ("/use_history/other_substances", "/urine_drug_screen/fentanyl"),
    "derived.long_acting_opioid": (
        "/use_history/other_substances",
        "/use_history/current_medications",
        "/urine_drug_screen/methadone",
    ),
    "derived.benzodiazepine": (
        "/use_history/other_substances",
        "/use_history/current_medications",
        "/urine_drug_screen/benzodiazepines",
    ),
    "derived.sedative_other": (
        "/use_history/other_substances",
        "/use_history/current_medications",
        "/urine_drug_screen/barbiturates",
        "/urine_drug_screen/xylazine",
        "/co_occurring_conditions/sedative_use_disorder",
        "/co_occurring_conditions/coded",
    ),
    "derived.alcohol": (
        "/use_history/other_substances",
        "/urine_drug_screen/alcohol_etg",
        "scores.audit_c.positive",
        "/co_occurring_conditions/alcohol_use_disorder",
        "/co_occurring_conditions/coded",
    ),
    "derived.pregnant": ("/patient/pregnancy_status", "/labs/pregnancy_test"),
    "derived.pregnancy_unknown": (
        "/patient/pregnancy_status",
        "/patient/sex_at_birth",
        "/labs/pregnancy_test",
    ),
    "derived.withdrawal_present": ("scores.cows.total",),
    "derived.withdrawal_only": (
        "/considering",
        "/social/preferences/declines_medication",
        "/use_history/current_medications",
        "scores.dsm5.count",
        "derived.pregnant",
        "derived.withdrawal_present",
    ),
    "derived.current_alpha2": ("/use_history/current_medications",),
    "derived.extended_release_opioid": ("/use_history/current_medications",),
    "derived.remission": (
        "scores.dsm5.count",
        "/dsm5_criteria_met",
        "/use_history/current_medications",
        "/co_occurring_conditions/coded",
        "scores.cows.total",
    ),
    "derived.liver_injury": (
        "scores.liver.alt_x_uln",
        "scores.liver.alp_x_uln",
        "scores.liver.hys_law_range",
        "/labs/inr",
    ),
    "derived.hours_since_last_use": (
        "/withdrawal/hours_since_last_kratom_use",
        "/withdrawal/hours_since_last_other_opioid_use",
    ),
    "derived.egfr": (
        "/labs/egfr_ml_min_1_73m2",
        "/labs/creatinine_mg_per_dl",
        "/patient/age_years",
        "/patient/birth_date",
        "/patient/sex_at_birth",
        "/patient/pregnancy_status",
        "/labs/pregnancy_test",
    ),
}
DERIVED_KEYS = tuple(DERIVED_INPUTS)
KNOWN_KEYS: frozenset[str] = frozenset(
    {
        *(k for _, keys in _GROUPS for k in keys),
        *_PATIENT,
        *_PREFERENCES,
        *_COWS,
        "/assessed_at",
        "/dsm5_criteria_met",
        "/considering",
        "/screening/cssrs",
        *SCORE_KEYS,
        *DERIVED_KEYS,
    }
)

_OPIOID_SUBSTANCES = frozenset(
    {"heroin", "fentanyl", "prescription_opioids", "methadone", "buprenorphine"}
)
_OPIOID_ANALYTES = frozenset({"opiates", "fentanyl", "oxycodone", "methadone", "buprenorphine"})
_SEDATIVE_SUBSTANCES = frozenset({"other_sedatives", "gabapentinoids", "xylazine"})
_ANALYTES = (
    "mitragynine",
    "seven_hydroxymitragynine",
    "opiates",
    "fentanyl",
    "oxycodone",
    "methadone",
    "buprenorphine",
    "benzodiazepines",
    "amphetamines",
    "cocaine",
    "cannabinoids",
    "alcohol_etg",
    "barbiturates",
    "xylazine",
)


_ANALYTE_KEYS = tuple((n, f"/urine_drug_screen/{n}") for n in _ANALYTES)


def _flatten(a: AssessmentIn, s: Scores, as_of: datetime) -> dict[str, Any]:
    flat: dict[str, Any] = dict(zip(_PATIENT, a.patient.__dict__.values(), strict=True))
    for name, keys in _GROUPS:
        group = getattr(a, name)
        if group is None:
            flat.update(_NONE[name])
        else:
            flat.update(zip(keys, group.__dict__.values(), strict=True))
    prefs = a.social.preferences if a.social is not None else None
    if prefs is None:
        flat.update(_NO_PREFERENCES)
    else:
        flat.update(zip(_PREFERENCES, prefs.__dict__.values(), strict=True))
    cows_items = a.withdrawal.cows if a.withdrawal is not None else None
    if cows_items is None:
        flat.update(_NO_COWS)
    else:
        flat.update(zip(_COWS, cows_items.__dict__.values(), strict=True))
    flat["/assessed_at"] = a.assessed_at
    flat["/dsm5_criteria_met"] = a.dsm5_criteria_met
    flat["/considering"] = a.considering
    flat["/screening/cssrs"] = a.screening.cssrs if a.screening is not None else None
    cows, news2, liver, qtc = s.cows, s.news2, s.liver, s.qtc
    flat.update(
        {
            "scores.cows.total": cows.value,
            "scores.cows.band": cows.band,
            "scores.sows.total": s.sows.value,
            "scores.dsm5.count": s.dsm5.value,
            "scores.dsm5.severity": s.dsm5.band,
            "scores.dsm5.pharmacological_only": s.dsm5.pharmacological_only,
            "scores.news2.total": news2.value,
            "scores.news2.band": news2.band,
            "scores.news2.red_flags": news2.red_flags,
            "scores.news2.complete": news2.complete,
            "scores.liver.alt_x_uln": liver.alt_x_uln,
            "scores.liver.ast_x_uln": liver.ast_x_uln,
            "scores.liver.alp_x_uln": liver.alp_x_uln,
            "scores.liver.bilirubin_x_uln": liver.bilirubin_x_uln,
            "scores.liver.r_ratio": liver.r_ratio,
            "scores.liver.pattern": liver.pattern,
            "scores.liver.band": liver.band,
            "scores.liver.hys_law_range": liver.hys_law_range,
            "scores.qtc.category": qtc.band,
            "scores.qtc.threshold_ms": qtc.prolonged_threshold_ms,
            "scores.phq9.total": s.phq9.value,
            "scores.phq9.item9": s.phq9.item9,
            "scores.gad7.total": s.gad7.value,
            "scores.pcl5.total": s.pcl5.value,
            "scores.pcl5.dsm_clusters_met": s.pcl5.dsm_clusters_met,
            "scores.cssrs.risk": s.cssrs.band,
            "scores.cssrs.complete": s.cssrs.complete,
            "scores.audit_c.positive": s.audit_c.positive,
            "scores.dast10.total": s.dast10.value,
            "scores.dast10.band": s.dast10.band,
        }
    )
    meds = a.use_history.current_medications if a.use_history is not None else None
    flat["derived.medication_classes"] = (
        None if meds is None else sorted({c for m in meds for c in classes_of(m)})
    )
    measured = a.vitals.measured_at if a.vitals is not None else None
    flat["derived.vitals_age_hours"] = (
        None if measured is None else round((as_of - measured).total_seconds() / 3600, 1)
    )
    collected = a.labs.collected_at if a.labs is not None else None
    flat["derived.lab_age_days"] = (
        None if collected is None else round((as_of - collected).total_seconds() / 86400, 1)
    )
    return flat


def _egfr(a: AssessmentIn, age: int | None) -> tuple[float | None, str]:
    """Kidney function for the dosing rules: the eGFR as given, else estimated from serum
    creatinine with the race-free CKD-EPI 2021 equation (adults, sex at birth known):
    142 x min(Scr/k, 1)^a x max(Scr/k, 1)^-1.200 x 0.9938^age (x 1.012 female), k 0.7/0.9,
    a -0.241/-0.302 (female/male). The text says which, for the rules' explanations."""
    labs = a.labs
    if labs is None:
        return None, ""
    if labs.egfr_ml_min_1_73m2 is not None:
        return labs.egfr_ml_min_1_73m2, f"eGFR {labs.egfr_ml_min_1_73m2:g}"
    scr, sex = labs.creatinine_mg_per_dl, a.patient.sex_at_birth
    # Not for minors (the equation is for adults), nor in pregnancy, where creatinine
    # equations do not hold: then kidney function stays unknown, and is asked for.
    pregnant = a.patient.pregnancy_status == "pregnant" or labs.pregnancy_test == "positive"
    if scr is None or age is None or age < 18 or pregnant:
        return None, ""
    how = f"estimated from creatinine {scr:g}, CKD-EPI 2021"
    if sex in ("female", "male"):
        value = _ckd_epi_2021(scr, age, female=sex == "female")
    else:
        # Sex at birth not recorded (or intersex): the lower of the two estimates, the one
        # that doses more cautiously, and said so.
        value = min(_ckd_epi_2021(scr, age, female=True), _ckd_epi_2021(scr, age, female=False))
        how += ", the lower of its female and male forms (sex at birth not recorded)"
    return float(value), f"eGFR {value:g} ({how})"


def _ckd_epi_2021(scr: float, age: int, *, female: bool) -> int:
    k, alpha = (0.7, -0.241) if female else (0.9, -0.302)
    ratio = scr / k
    value: float = 142 * min(ratio, 1) ** alpha * max(ratio, 1) ** -1.200 * 0.9938**age
    return round(value * (1.012 if female else 1.0))


def sentence(text: str) -> str:
    """`text` with its first letter capitalised and the rest kept (str.capitalize would turn
    "PCL-5" into "Pcl-5" and "ECG" into "ecg"); a word such as "eGFR" is kept as it is."""
    if text[1:2].isupper():
        return text
    return text[:1].upper() + text[1:]


def elapsed_text(hours: float) -> str:
    """'14 hours', '3 days' or '27 years': a time span given in hours, for people."""
    if hours < 48:
        return f"{hours:g} hours"
    days = hours / 24
    return f"{days:.0f} days" if days < 730 else f"{days / 365.25:.0f} years"


def missing_if_dated_after(
    f: Facts, out: Findings, pointer: str, when: datetime | None, subject: str, then: str
) -> None:
    """A result stamped after the assessment (beyond the clock tolerance) is listed to check:
    '{subject} dated 2 days after the assessment: {then}.'"""
    if when is None or when - f.as_of <= CLOCK_TOLERANCE:
        return
    ahead = round((when - f.as_of).total_seconds() / 3600, 1)
    out.missing(pointer, f"{subject} dated {elapsed_text(ahead)} after the assessment: {then}.")


def _not_current(age_hours: float | None) -> float | None:
    """The age of an observation past the engine's currency window (NEWS2's 12-hourly
    minimum), else None."""
    return (
        age_hours if age_hours is not None and age_hours > th.VITALS_MAX_AGE_HOURS.value else None
    )


def other_opioid_wait_hours(f: Facts) -> float:
    """Hours after the last other opioid before its withdrawal shows, as timed for
    buprenorphine induction: methadone 72, an extended-release opioid 24, others 12."""
    return (
        th.BUP_MIN_HOURS_METHADONE
        if f.long_acting_opioid
        else th.BUP_MIN_HOURS_EXTENDED_RELEASE
        if f.extended_release_opioid
        else th.BUP_MIN_HOURS_SHORT_ACTING
    ).value


def past_every_opioid_wait(hours: float | None) -> bool:
    """A last other opioid this long ago is past even methadone's wait."""
    return hours is not None and hours >= th.BUP_MIN_HOURS_METHADONE.value


def cows_not_current(f: Facts) -> float | None:
    """The age in hours of a withdrawal scale scored more than 12 hours before the
    evaluation (the window borrowed for COWS), else None. Undated, it is taken as scored with
    the assessment."""
    w = f.a.withdrawal
    if w is None or w.assessed_at is None:
        return None
    return _not_current((f.as_of - w.assessed_at).total_seconds() / 3600)


def vitals_not_current(f: Facts) -> float | None:
    """The age in hours of vital signs older than NEWS2's 12-hourly minimum, else None."""
    return _not_current(f.flat["derived.vitals_age_hours"])


#: Coded diagnoses that answer a co-occurring condition flag: flag -> (ICD-10-CM prefixes,
#: ICD-10-CM prefixes excluded, SNOMED CT concept ids). ICD-10-CM is hierarchical, so a
#: category prefix covers all its subcodes. Use disorders per the DSM-5 crosswalk: F1x.1x
#: mild, F1x.2x moderate or severe, "in remission" excluded (no withdrawal to expect).
#: Depression in (partial or full) remission is its own flag: its care is continued, not
#: started (the more conservative reading than ignoring it). SNOMED CT concepts match exactly
#: (subsumption needs a terminology service), so only the concepts listed count. A flag set
#: to True or a matching code both mean yes; a code never turns a recorded True into no.
_DEPRESSION_REMISSION = ("F32.4", "F32.5", "F33.4")  # partial, full; recurrent in remission
_CONDITION_CODES: dict[str, tuple[tuple[str, ...], tuple[str, ...], frozenset[str]]] = {
    "alcohol_use_disorder": (
        ("F10.1", "F10.2"),
        ("F10.11", "F10.21"),
        frozenset({"7200002", "66590003"}),
    ),
    "sedative_use_disorder": (("F13.1", "F13.2"), ("F13.11", "F13.21"), frozenset()),
    "opioid_use_disorder": (
        ("F11.1", "F11.2"),
        ("F11.11", "F11.21"),
        frozenset({"5602001", "75544000"}),
    ),
    # Major depressive disorder (single episode F32, recurrent F33), dysthymia (F34.1);
    # SNOMED CT major depressive disorder, major depression single episode (Synthea's).
    "depression": (
        ("F32", "F33", "F34.1"),
        _DEPRESSION_REMISSION,
        frozenset({"370143000", "36923009"}),
    ),
    "depression_in_remission": (_DEPRESSION_REMISSION, (), frozenset()),
    # Agoraphobia, social phobia (F40.0, F40.1); panic, generalized and other anxiety (F41);
    # SNOMED CT anxiety disorder, generalized anxiety disorder.
    "anxiety": (("F40.0", "F40.1", "F41"), (), frozenset({"197480006", "21897009"})),
    # Post-traumatic stress disorder.
    "ptsd": (("F43.1",), (), frozenset({"47505003"})),
    # Diseases of liver (K70-K77, the ICD-10-CM block: alcoholic, toxic, failure, chronic
    # hepatitis, fibrosis and cirrhosis, fatty liver...), chronic viral hepatitis (B18);
    # SNOMED CT cirrhosis of liver, chronic liver disease.
    "liver_disease": (
        ("K70", "K71", "K72", "K73", "K74", "K75", "K76", "K77", "B18"),
        (),
        frozenset({"19943007", "328383001"}),
    ),
    # Chronic pain; chronic pain syndrome; SNOMED CT chronic pain (finding).
    "chronic_pain": (("G89.2", "G89.4"), (), frozenset({"82423001"})),
    # Epilepsy and recurrent seizures; SNOMED CT epilepsy, seizure disorder (Synthea's code).
    "seizure_disorder": (("G40",), (), frozenset({"84757009", "128613002"})),
    # Other psychoactive substance (kratom's usual code) or opioid use disorder, in remission.
    "use_disorder_in_remission": (("F19.11", "F19.21", "F11.11", "F11.21"), (), frozenset()),
}
#: Coded diagnoses that answer a medical-history flag yes: flag -> (ICD-10-CM prefixes, SNOMED
#: CT concept ids). A code only ever says yes (a recorded False is overridden, never a True):
#: a problem list in the chart must reach the medication safety checks (an EHR's long QT
#: syndrome must contraindicate lofexidine, not leave it "not recorded").
_HISTORY_CODES: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {
    # Long QT syndrome (ICD-10-CM does not separate congenital from acquired: read as long QT).
    "congenital_long_qt": (("I45.81",), frozenset({"9651007"})),
    # Heart failure; hypertensive heart (and chronic kidney) disease with heart failure.
    # SNOMED CT heart failure; congestive, chronic congestive (Synthea's), acute heart failure.
    "heart_failure": (
        ("I50", "I11.0", "I13.0", "I13.2"),
        frozenset({"84114007", "42343007", "88805009", "56675007"}),
    ),
    # ICD-10-CM codes an acute (I21) or subsequent (I22) infarction for 4 weeks from onset.
    "recent_myocardial_infarction": (("I21", "I22"), frozenset()),
    # AV and bundle-branch blocks, other conduction disorders (not pre-excitation or long QT),
    # sick sinus syndrome, bradycardia.
    "bradyarrhythmia": (
        (
            "I44",
            "I45.0",
            "I45.1",
            "I45.2",
            "I45.3",
            "I45.4",
            "I45.5",
            "I45.89",
            "I45.9",
            "I49.5",
            "R00.1",
        ),
        frozenset({"48867003", "36083008"}),
    ),
    # Cerebrovascular diseases, transient ischaemic attacks, their personal history.
    "cerebrovascular_disease": (
        ("I60", "I61", "I62", "I63", "I64", "I65", "I66", "I67", "I68", "I69", "G45", "Z86.73"),
        frozenset({"230690007"}),
    ),
    # All stages, as N18: SNOMED CT CKD; stages 1-5 and end-stage renal disease (Synthea's).
    "chronic_kidney_disease": (
        ("N18",),
        frozenset(
            {
                "709044004",  # chronic kidney disease
                "431855005",  # stage 1
                "431856006",  # stage 2
                "433144002",  # stage 3
                "431857002",  # stage 4
                "433146000",  # stage 5
                "46177005",  # end-stage renal disease
            }
        ),
    ),
    "syncope": (("R55",), frozenset({"271594007"})),
    # Palpitations; chest pain (R07.1, R07.2, R07.8x, R07.9; R07.0 is throat pain).
    "chest_pain_or_palpitations": (
        ("R00.2", "R07.1", "R07.2", "R07.8", "R07.9"),
        frozenset({"80313002"}),
    ),
    # Alcohol or sedative withdrawal with delirium or with perceptual disturbances.
    "complicated_withdrawal": (
        ("F10.231", "F10.232", "F10.931", "F10.932", "F13.231", "F13.232", "F13.931", "F13.932"),
        frozenset(),
    ),
}
#: Poisoning by opium, heroin, other opioids, methadone, synthetic narcotics (fentanyl,
#: tramadol...) or unspecified narcotics: the 6th character 1-4 (accidental, intentional,
#: assault, undetermined) is a poisoning, 5 an adverse effect and 6 underdosing are not.
_OPIOID_POISONING = ("T40.0", "T40.1", "T40.2", "T40.3", "T40.4", "T40.6")
#: SNOMED CT "Drug overdose" (the concept Synthea records after an overdose): it names no
#: drug, and CDC's risk factor is a history of overdose, so any drug overdose counts.
_OVERDOSE_CONCEPTS = frozenset({"55680006"})


def coded_history(a: AssessmentIn) -> frozenset[str]:
    """The medical-history flags that the coded diagnoses answer yes."""
    c = a.co_occurring_conditions
    if c is None or not c.coded:
        return frozenset()
    found: set[str] = set()
    for condition in c.coded:
        code = condition.code
        if condition.system == "icd10cm":
            found.update(
                f for f, (prefixes, _) in _HISTORY_CODES.items() if code.startswith(prefixes)
            )
            if code.startswith(_OPIOID_POISONING) and len(code) >= 7 and code[6] in "1234":
                found.add("prior_overdose")
        else:
            found.update(f for f, (_, snomed) in _HISTORY_CODES.items() if code in snomed)
            if code in _OVERDOSE_CONCEPTS:
                found.add("prior_overdose")
    return frozenset(found)


def condition_concepts_cite(*flags: str) -> tuple[Cite, ...]:
    """The SNOMED CT concepts that answer these co-occurring condition flags, as a citation
    (none when no concept is read for them)."""
    read = [
        f"{flag.replace('_', ' ')}: {', '.join(sorted(_CONDITION_CODES[flag][2]))}"
        for flag in flags
        if _CONDITION_CODES[flag][2]
    ]
    return (Cite("SNOMEDCT", "Concepts read: " + "; ".join(read)),) if read else ()


def history_cites(*flags: str) -> tuple[Cite, ...]:
    """The codes that answer these medical-history flags, as a rule's citations."""
    icd, snomed = [], []
    for flag in flags:
        name = flag.replace("_", " ")
        if flag == "prior_overdose":
            icd.append(f"{name}: T40.0-T40.4, T40.6 poisoning (6th character 1-4)")
            snomed.append(f"{name}: {', '.join(sorted(_OVERDOSE_CONCEPTS))} drug overdose")
            continue
        if flag not in _HISTORY_CODES:
            continue  # no code says it (e.g. "severe" coronary insufficiency)
        prefixes, concepts = _HISTORY_CODES[flag]
        icd.append(f"{name}: {', '.join(prefixes)}")
        if concepts:
            snomed.append(f"{name}: {', '.join(sorted(concepts))}")
    cites = [Cite("ICD10CM", "Codes read as yes: " + "; ".join(icd))]
    if snomed:
        cites.append(Cite("SNOMEDCT", "Concepts read as yes: " + "; ".join(snomed)))
    return tuple(cites)


def _history(a: AssessmentIn, coded: frozenset[str]) -> MedicalHistory | None:
    """The medical history as recorded, with the flags coded diagnoses answer set to yes."""
    if not coded:
        return a.medical_history
    recorded = a.medical_history or MedicalHistory()
    return recorded.model_copy(update=dict.fromkeys(coded, True))


#: What a rule that reads coded medical history says about it.
CODED_HISTORY_LIMITATION = (
    "A coded diagnosis (ICD-10-CM by category; the few SNOMED CT concepts listed, without "
    "subsumption) answers a medical-history question yes, never no; an ICD-10-CM long QT "
    "syndrome (I45.81) counts as congenital long QT."
)


#: What a rule that reads coded diagnoses says about them.
CODED_LIMITATION = (
    "Coded diagnoses count by ICD-10-CM category (a use disorder in remission counts only "
    "as remission, never as active); "
    "SNOMED CT codes count only for the few concepts listed, without subsumption, so a more "
    "specific SNOMED CT concept is not read: record the condition's flag as well."
)


def coded_conditions(a: AssessmentIn) -> frozenset[str]:
    """The condition flags that the coded diagnoses answer yes."""
    c = a.co_occurring_conditions
    if c is None or not c.coded:
        return frozenset()
    found = set()
    for condition in c.coded:
        code = condition.code
        icd = condition.system == "icd10cm"
        for flag, (prefixes, excluded, snomed) in _CONDITION_CODES.items():
            if icd:
                if code.startswith(prefixes) and not code.startswith(excluded):
                    found.add(flag)
            elif code in snomed:
                found.add(flag)
    return frozenset(found)


#: Alpha-2 agonists by generic and brand name (words of a medication's name) and by RxNorm
#: ingredient code (app/fhir/codes.py reads the same names). "Do not combine lofexidine and
#: clonidine" needs the drug itself: both carry the same class tags.
ALPHA2_NAMES: dict[str, tuple[str, ...]] = {
    "lofexidine": ("lofexidine", "lucemyra"),
    "clonidine": ("clonidine", "catapres", "kapvay"),
}
ALPHA2_RXNORM = {"2599": "clonidine"}
_WORD = re.compile(r"[a-z0-9]+")
#: Words in a full agonist's name that mark an extended-release or long-acting form (a
#: transdermal fentanyl patch included): buprenorphine induction waits longer after them.
_EXTENDED_RELEASE_WORDS = frozenset(
    {
        *("er", "xr", "cr", "sr", "la", "extended", "transdermal", "patch"),
        # Brand names of extended-release full agonists (morphine: MS Contin, Kadian, Avinza;
        # oxycodone: OxyContin, Xtampza; hydrocodone: Hysingla, Zohydro; hydromorphone:
        # Exalgo; fentanyl patch: Duragesic; tramadol: ConZip).
        *("contin", "oxycontin", "kadian", "avinza", "xtampza", "hysingla", "zohydro"),
        *("exalgo", "duragesic", "conzip"),
    }
)
#: Drugs whose own class changes the rules' timing (methadone's 72 h, naltrexone's 14 days):
#: recognised by name too, so a methadone tagged only "opioid_agonist" still waits 72 h.
_CLASS_NAMES: dict[str, tuple[str, ...]] = {
    "methadone": ("methadone", "methadose", "dolophine", "diskets"),
    "buprenorphine": (
        *("buprenorphine", "suboxone", "subutex", "zubsolv", "sublocade", "brixadi"),
        *("butrans", "belbuca"),
    ),
    "naltrexone": ("naltrexone", "vivitrol", "revia"),
}


def name_words(name: str) -> set[str]:
    """The words of a medication's name ("oxycodone-acetaminophen 5/325" -> oxycodone, ...)."""
    return set(_WORD.findall(name.lower()))


def named_classes(medication: Medication) -> set[str]:
    """The timing-relevant classes a medication's name shows (methadone, buprenorphine,
    naltrexone), whatever the caller tagged."""
    words = name_words(medication.name)
    return {cls for cls, names in _CLASS_NAMES.items() if not words.isdisjoint(names)}


def classes_of(medication: Medication) -> set[str]:
    """A medication's classes: as tagged, plus those its name shows (``named_classes``)."""
    return {c.value for c in medication.classes} | named_classes(medication)


def extended_release_opioid(meds: list[Medication] | None) -> bool:
    """A current full agonist in an extended-release or long-acting form, by its name."""
    return any(
        "opioid_agonist" in {c.value for c in m.classes}
        and not _EXTENDED_RELEASE_WORDS.isdisjoint(name_words(m.name))
        for m in meds or ()
    )


def alpha2_drug(medication: Medication) -> str | None:
    """The alpha-2 agonist a current medication is (by RxNorm code or name), if any."""
    if medication.rxnorm_code in ALPHA2_RXNORM:
        return ALPHA2_RXNORM[medication.rxnorm_code]
    words = name_words(medication.name)
    return next((drug for drug, names in ALPHA2_NAMES.items() if not words.isdisjoint(names)), None)


_ALPHA2_TREATMENTS = frozenset({"lofexidine", "clonidine"})

#: Medication classes of DSM-5's "on maintenance therapy" specifier: an agonist, a partial
#: agonist or an antagonist taken as prescribed.
_MAINTENANCE = ("buprenorphine", "methadone", "naltrexone")


def maintenance(classes: frozenset[str]) -> str | None:
    """The maintenance therapy taken (DSM-5's "on maintenance therapy"), if any."""
    on = next((c for c in _MAINTENANCE if c in classes), None)
    return f"on {on} maintenance therapy" if on is not None else None


def _remission(
    counted: tuple[str, ...] | None,
    classes: frozenset[str],
    coded: frozenset[str],
    withdrawal_present: bool,
) -> str | None:
    """Why the DSM-5 count reads as remission, not as no disorder: no criterion met but
    craving (DSM-5: none for 3 months or more, craving excepted), and the patient is on
    maintenance treatment or a use disorder in remission is coded. One other criterion met
    is below the threshold but not remission."""
    if counted is None or set(counted) - {"craving"}:
        return None
    on = maintenance(classes)
    if on is not None:
        return on
    # Withdrawal now (COWS) is the withdrawal criterion met: a coded remission is out of date.
    if "use_disorder_in_remission" in coded and not withdrawal_present:
        return "a use disorder in remission is coded"
    return None


def offer_status(f: Facts) -> tuple[Status, str]:
    """Psychosocial and aftercare care for a use disorder; without one (DSM-5 < 2 criteria,
    and not in remission) it is offered rather than recommended. In remission it continues."""
    count = f.scores.dsm5.value
    if f.remission is not None:
        return Status.recommended, f" (In remission, {f.remission}: continue.)"
    if f.relapse_suspected:
        return Status.recommended, " (Coded remission with withdrawal now: a relapse is likely.)"
    on = maintenance(f.med_classes or frozenset())
    if count is not None and count < 2 and on is not None:
        return Status.recommended, f" (Below the DSM-5 threshold {on}: continue.)"
    if count is not None and count < 2:
        return Status.consider, " (DSM-5 criteria for a use disorder not met: offer.)"
    return Status.recommended, ""


def _prescribed_analytes(
    uds: UrineDrugScreen | None, meds: list[Medication] | None
) -> frozenset[str]:
    """Screen analytes a prescription explains: those the caller marked prescribed, those a
    current medication names (oxycodone, fentanyl, methadone, buprenorphine, by name or
    class), and the opiates assay beside any prescribed full agonist [L]."""
    explained = {x.value for x in uds.prescribed_analytes} if uds is not None else set()
    for m in meds or ():
        named = name_words(m.name) | classes_of(m)
        explained |= named & _OPIOID_ANALYTES
        if "opioid_agonist" in named:
            explained.add("opiates")
    return frozenset(explained)


def _liver_injury(scores: Scores, a: AssessmentIn, x: LiverRatios) -> bool:
    """Liver injury that changes medication choices: the drug-induced injury signal levels
    (ALT > 3x or ALP > 2x ULN, LIV-04), Hy's-law range (LIV-02) or an INR >= 1.5 (LIV-03).
    Kratom injury is usually cholestatic or mixed, so ALP counts as well as ALT."""
    liver = scores.liver
    inr = a.labs.inr if a.labs is not None else None
    return bool(
        liver.hys_law_range
        or (x.alt is not None and x.alt > th.LIVER_ALT_WARN_X.value)
        or (x.alp is not None and x.alp > th.LIVER_ALP_WARN_X.value)
        or (inr is not None and inr >= th.INR_FAILURE.value)
    )


class Facts:
    """The assessment as the rules see it. Attributes are plain values; `flat` maps every
    readable key to its value (None = not given)."""

    __slots__ = (
        "a",
        "alcohol",
        "as_of",
        "benzodiazepine",
        "coded",
        "coded_history",
        "concentrated",
        "current_alpha2",
        "egfr",
        "egfr_text",
        "extended_release_opioid",
        "fentanyl",
        "flat",
        "history",
        "liver_injury",
        "liver_x",
        "long_acting_opioid",
        "med_classes",
        "meds",
        "opioid_coexposure",
        "pregnancy_unknown",
        "pregnant",
        "product_unknown",
        "relapse_suspected",
        "remission",
        "scores",
        "sedative_other",
        "seven_oh",
        "seven_oh_possible",
        "seven_oh_unexcluded",
        "substances",
        "uds_positive",
        "unprescribed_opioid",
        "withdrawal_only",
        "withdrawal_only_why",
        "withdrawal_present",
    )

    def __init__(self, a: AssessmentIn, scores: Scores, as_of: datetime) -> None:
        self.a = a
        self.as_of = as_of
        self.scores = scores
        flat = self.flat = _flatten(a, scores, as_of)
        use = a.use_history
        subs = self.substances = (
            None if use is None or use.other_substances is None else frozenset(use.other_substances)
        )
        classes = flat["derived.medication_classes"]
        med = self.med_classes = frozenset(classes) if classes is not None else None
        meds = self.meds = a.use_history.current_medications if a.use_history is not None else None
        self.current_alpha2 = frozenset(filter(None, map(alpha2_drug, meds or ())))
        self.coded = coded_conditions(a)
        self.coded_history = coded_history(a)
        # The medical history the rules read: as recorded, plus what coded diagnoses answer.
        self.history = _history(a, self.coded_history)
        uds = a.urine_drug_screen
        positive: frozenset[str] = frozenset()
        if uds is not None:
            positive = frozenset(n for n, k in _ANALYTE_KEYS if flat[k] == "positive")
        self.uds_positive = positive
        s = subs or frozenset()
        m = med or frozenset()
        products = use.product_types if use is not None else ()
        self.seven_oh = "concentrated_7oh" in products
        self.concentrated = self.seven_oh or "extract" in products
        # Which product is used is not known: a concentrated 7-OH product is not excluded.
        self.product_unknown = not self.concentrated and (not products or "unknown" in products)
        # A 7-OH concentrate recorded, or not excluded (a product not recorded or "unknown",
        # whatever else is recorded beside it): the longer 7-OH waits apply.
        self.seven_oh_unexcluded = not self.seven_oh and (not products or "unknown" in products)
        self.seven_oh_possible = self.seven_oh or self.seven_oh_unexcluded
        self.fentanyl = "fentanyl" in s or "fentanyl" in positive
        # Buprenorphine in the urine of a patient prescribed it is their treatment, not
        # co-use (the supervision exclusion of DSM-5, section 1.1 of the clinical reference);
        # buprenorphine taken unprescribed (other_substances) still counts, and so does a
        # prescribed full agonist (its medication class), whose overdose risk with kratom adds.
        opioid_positive = positive & _OPIOID_ANALYTES
        if uds is not None and "buprenorphine" in opioid_positive:
            prescribed = {x.value for x in uds.prescribed_analytes}
            if "buprenorphine" in prescribed or "buprenorphine" in m:
                opioid_positive -= {"buprenorphine"}
        # Opioids taken outside a prescription (or a screen result no prescription explains):
        # their withdrawal is still to come after the last dose.
        self.unprescribed_opioid = bool(
            s & _OPIOID_SUBSTANCES or opioid_positive - _prescribed_analytes(uds, meds)
        )
        w = a.withdrawal
        self.opioid_coexposure = bool(
            s & _OPIOID_SUBSTANCES
            or "opioid_agonist" in m
            or "methadone" in m  # tagged by its own class, still a full agonist
            or opioid_positive
            or self.has_condition("opioid_use_disorder")
            # A recorded time of the last other opioid says one was used, whatever else says.
            or (w is not None and w.hours_since_last_other_opioid_use is not None)
        )
        self.long_acting_opioid = "methadone" in s or "methadone" in m or "methadone" in positive
        self.extended_release_opioid = extended_release_opioid(meds)
        self.benzodiazepine = (
            "benzodiazepines" in s or "benzodiazepine" in m or "benzodiazepines" in positive
        )
        self.sedative_other = bool(
            s & _SEDATIVE_SUBSTANCES
            or "other_cns_depressant" in m
            or "barbiturates" in positive
            or "xylazine" in positive
            or self.has_condition("sedative_use_disorder")
        )
        self.alcohol = bool(
            "alcohol" in s
            or "alcohol_etg" in positive
            or scores.audit_c.positive
            or self.has_condition("alcohol_use_disorder")
        )
        status = a.patient.pregnancy_status
        test = a.labs.pregnancy_test if a.labs is not None else None
        self.pregnant = status == "pregnant" or test == "positive"
        self.pregnancy_unknown = (
            not self.pregnant
            and a.patient.sex_at_birth != "male"
            and (status is None or status == "unknown")
            and test != "negative"
        )
        cows = scores.cows.value
        self.withdrawal_present = cows is not None and cows >= th.COWS_MILD.value
        counted = scores.dsm5.criteria_counted if scores.dsm5.value is not None else None
        self.remission = _remission(
            counted, med or frozenset(), self.coded, self.withdrawal_present
        )
        # A coded remission with withdrawal now and no maintenance therapy: a relapse is likely,
        # so care stays at least as it is in remission (DX-01 asks for the criteria review).
        self.relapse_suspected = (
            self.remission is None
            and "use_disorder_in_remission" in self.coded
            and self.withdrawal_present
            and maintenance(med or frozenset()) is None
        )
        # A plan without maintenance medication (the same lost-tolerance risk, the same
        # setting in pregnancy): considered as such, the patient declines medication, or only
        # an alpha-2 agonist is considered for someone on no maintenance therapy whom
        # maintenance would treat (a use disorder, or pregnancy with physical dependence:
        # BUP-01's indications).
        prefs = a.social.preferences if a.social is not None else None
        considered = set(a.considering)
        count = scores.dsm5.value
        indicated = (count is not None and count >= 2) or (
            self.pregnant and self.withdrawal_present
        )
        self.withdrawal_only_why = (
            "withdrawal only is considered"
            if "withdrawal_only" in considered
            else "medication is declined"
            if prefs is not None and prefs.declines_medication
            else "only lofexidine or clonidine is considered"
            if considered
            and considered <= _ALPHA2_TREATMENTS
            and indicated
            and maintenance(med or frozenset()) is None
            else None
        )
        self.withdrawal_only = self.withdrawal_only_why is not None
        self.liver_x = liver_ratios(a.labs)
        self.liver_injury = _liver_injury(scores, a, self.liver_x)
        self.egfr, self.egfr_text = _egfr(a, self.age_years())
        flat.update(
            {
                "derived.uds_positive": sorted(positive) if positive else [],
                "derived.concentrated_product": self.concentrated,
                "derived.opioid_coexposure": self.opioid_coexposure,
                "derived.unprescribed_opioid": self.unprescribed_opioid,
                "derived.fentanyl": self.fentanyl,
                "derived.long_acting_opioid": self.long_acting_opioid,
                "derived.extended_release_opioid": self.extended_release_opioid,
                "derived.benzodiazepine": self.benzodiazepine,
                "derived.sedative_other": self.sedative_other,
                "derived.alcohol": self.alcohol,
                "derived.pregnant": self.pregnant,
                "derived.pregnancy_unknown": self.pregnancy_unknown,
                "derived.withdrawal_present": self.withdrawal_present,
                "derived.withdrawal_only": self.withdrawal_only,
                "derived.liver_injury": self.liver_injury,
                "derived.remission": self.remission,
                "derived.current_alpha2": sorted(self.current_alpha2),
                "derived.hours_since_last_use": self.hours_since_last_use(),
                "derived.egfr": self.egfr,
            }
        )

    def condition(self, name: str) -> bool | None:
        """A co-occurring condition flag as recorded, or True when a coded diagnosis says so
        (None: neither recorded nor coded)."""
        c = self.a.co_occurring_conditions
        flag: bool | None = getattr(c, name, None) if c is not None else None
        return True if name in self.coded else flag

    def has_condition(self, name: str) -> bool:
        return bool(self.condition(name))

    def classes_besides(self, drug: str) -> frozenset[str] | None:
        """Classes of the current medications other than `drug` itself (None: medications
        not reviewed): a patient already on lofexidine is not "on a BP-lowering drug" when
        lofexidine is the question."""
        if self.meds is None:
            return None
        return frozenset(c for m in self.meds if alpha2_drug(m) != drug for c in classes_of(m))

    def opioid_toxicity_signs(self) -> list[str]:
        """The opioid-toxicity pattern in the vital signs (RR <= 8, SpO2 <= 91%, not alert),
        in words; empty when none (or no vital signs)."""
        v = self.a.vitals
        if v is None:
            return []
        signs = []
        rr, spo2 = v.respiratory_rate_per_min, v.spo2_percent
        if rr is not None and rr <= th.OPIOID_TOX_RR.value:
            signs.append(f"respiratory rate {rr}/min")
        if spo2 is not None and spo2 <= th.OPIOID_TOX_SPO2.value:
            signs.append(f"SpO2 {spo2}%")
        if v.consciousness is not None and v.consciousness != "alert":
            signs.append(f"consciousness {v.consciousness.value}")
        return signs

    def age_years(self) -> int | None:
        """Age in whole years at ``as_of``: ``age_years`` as given, else from ``birth_date``."""
        p = self.a.patient
        if p.age_years is not None:
            return p.age_years
        if p.birth_date is None:
            return None
        today = self.as_of.date()
        born = p.birth_date
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))

    def hours_since_last_use(self) -> float | None:
        """Hours since the last kratom or other opioid, whichever is more recent; None while
        the kratom time is not recorded (another opioid's time says nothing about kratom's,
        and taking it alone once cleared naltrexone for a patient whose kratom use was
        unknown)."""
        w = self.a.withdrawal
        if w is None or w.hours_since_last_kratom_use is None:
            return None
        other = w.hours_since_last_other_opioid_use
        kratom = w.hours_since_last_kratom_use
        return kratom if other is None else min(kratom, other)

    def screen(self, analyte: str) -> ScreenResult | None:
        """A urine drug screen result, or None when no screen or not reported."""
        value: ScreenResult | None = self.flat.get(f"/urine_drug_screen/{analyte}")
        return value
