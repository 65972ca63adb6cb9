"""Physiological instability, opioid toxicity, seizures and cardiac symptoms (VS, SZ)."""

from __future__ import annotations

from app.rules import thresholds as th
from app.rules.define import (
    CRITICAL,
    EMERGENCY,
    MANAGED,
    MEDICATION,
    MONITORED,
    MONITORING,
    RECOMMENDED,
    STABILIZATION,
    WARNING,
    Cite,
    Family,
    Status,
    rule,
)
from app.rules.facts import (
    CODED_HISTORY_LIMITATION,
    CODED_LIMITATION,
    Facts,
    condition_concepts_cite,
    elapsed_text,
    history_cites,
    missing_if_dated_after,
    sentence,
    vitals_not_current,
)
from app.rules.findings import Findings

_NEWS2_READS = (
    "scores.news2.total",
    "scores.news2.band",
    "scores.news2.red_flags",
    "scores.news2.complete",
)
_NEWS2_LIMIT = (
    "NEWS2 was validated for acute illness in hospital, not for withdrawal management; the "
    "mapping of its response tiers to withdrawal-management settings is an engine design "
    "choice [L].",
)


def _vs_01(f: Facts, out: Findings) -> bool:
    news2 = f.scores.news2
    for pointer in news2.missing:
        out.missing(
            pointer,
            "Needed for NEWS2; with it missing, physiological instability "
            "cannot be excluded and the NEWS2 total is only a lower bound.",
        )
    total = news2.value
    if total is None or total < th.NEWS2_HIGH.value:
        return False
    out.alert(
        "physiological_instability",
        CRITICAL,
        f"NEWS2 {total:g}: emergency assessment",
        f"NEWS2 {total:g} (>=7, high). Emergency assessment within 30 minutes by a team with "
        "critical-care skills and continuous monitoring; not suitable for ambulatory or "
        "residential withdrawal management.",
    )
    out.level(EMERGENCY, f"NEWS2 {total:g} (>=7): emergency response.")
    return True


VS_01 = rule(
    "VS-01",
    family=Family.alert,
    title="NEWS2 high: emergency response",
    summary="NEWS2 >= 7 raises a critical alert and sends the patient to emergency assessment.",
    rationale="NEWS2 >= 7 is the RCP's high-risk tier: emergency assessment within 30 minutes "
    "and continuous monitoring; no withdrawal-management setting outside acute care fits it.",
    reads=_NEWS2_READS,
    cites=(Cite("NEWS2", "Aggregate >= 7 triggers an emergency response"),),
    limitations=_NEWS2_LIMIT,
    thresholds=(th.NEWS2_HIGH,),
    apply=_vs_01,
)


def _vs_02(f: Facts, out: Findings) -> bool:
    news2 = f.scores.news2
    total = news2.value
    if total is None or total >= th.NEWS2_HIGH.value:
        return False
    if total < th.NEWS2_MEDIUM.value and not news2.red_flags:
        return False
    why = (
        f"NEWS2 {total:g} (5-6, medium)"
        if total >= th.NEWS2_MEDIUM.value
        else f"single red parameter ({', '.join(news2.red_flags)} scored 3)"
    )
    out.alert(
        "physiological_instability",
        CRITICAL,
        "NEWS2 red flag: urgent clinical review within 1 hour",
        f"{why}. Urgent review within 1 hour by a clinician competent in acute illness, at "
        "least hourly observations; ambulatory withdrawal management is unsafe until resolved.",
    )
    out.level(
        MONITORED,
        f"{why}: needs a monitored setting with 24-hour nursing until reviewed.",
    )
    return True


VS_02 = rule(
    "VS-02",
    family=Family.alert,
    title="NEWS2 medium or single red parameter",
    summary="NEWS2 5-6, or any single parameter scoring 3, raises a critical alert and requires "
    "at least medically monitored inpatient withdrawal management.",
    rationale="The RCP treats NEWS2 5-6 as the key threshold for urgent review and a single "
    "parameter scoring 3 like a score of 5-6; ASAM dimension 2 (biomedical instability) moves "
    "such a patient out of ambulatory care.",
    reads=_NEWS2_READS,
    cites=(
        Cite("NEWS2", "5-6 or a single 3: urgent review within 1 hour"),
        Cite("ASAM3", "Biomedical instability raises the level of care"),
    ),
    limitations=_NEWS2_LIMIT,
    thresholds=(th.NEWS2_MEDIUM, th.NEWS2_RED),
    apply=_vs_02,
)


def _vs_03(f: Facts, out: Findings) -> bool:
    signs = f.opioid_toxicity_signs()
    if not signs:
        return False
    found = ", ".join(signs)
    age = vitals_not_current(f)
    # Signs recorded long ago are re-checked first: naloxone given to a patient now in
    # withdrawal precipitates it. The emergency stands until they are re-checked (VS-06).
    seen = f" (recorded {elapsed_text(age)} ago: re-check now)" if age is not None else ""
    v = f.a.vitals
    assert v is not None  # noqa: S101 (there are signs)
    rr = v.respiratory_rate_per_min
    # Naloxone is for opioid overdose with respiratory or CNS depression (its label): low
    # SpO2 with a recorded, undepressed breathing rate in an alert patient is not that.
    undepressed = rr is not None and rr > th.OPIOID_TOX_RR.value and v.consciousness == "alert"
    status: Status | None
    if undepressed:
        title = "Low oxygen saturation"
        advice = (
            f" with a respiratory rate of {rr}/min and alert, in a person exposed to kratom (a "
            "mu-opioid agonist). Treat as an emergency: oxygen, airway and breathing support, "
            "look for other causes of hypoxia; naloxone if breathing slows or consciousness "
            "falls."
        )
        # No status of its own: the take-home kit (NAL-01) still decides naloxone's.
        status, detail = (
            None,
            (
                f"{found} with breathing at {rr}/min and alert: find the cause of the low oxygen "
                f"first; give naloxone per emergency protocol if breathing slows (<= "
                f"{th.OPIOID_TOX_RR.value:g}/min) or consciousness falls (in a patient in "
                "withdrawal it precipitates more withdrawal)."
            ),
        )
    else:
        title = "Possible opioid toxicity"
        advice = (
            " in a person exposed to kratom (a mu-opioid agonist). Treat as an emergency: "
            "airway and breathing support, naloxone per protocol."
        )
        status = RECOMMENDED
        detail = (
            f"Give naloxone per emergency protocol now for suspected opioid toxicity ({found})."
            if age is None
            else f"Re-check breathing, SpO2 and consciousness now ({found} were recorded "
            f"{elapsed_text(age)} ago); if still present, give naloxone per emergency protocol."
        )
    out.alert("opioid_toxicity", CRITICAL, title, f"{found}{seen}{advice}")
    out.level(EMERGENCY, f"Possible opioid toxicity ({found}{seen}).")
    out.recommend(STABILIZATION, "naloxone", MEDICATION, "Naloxone", status, detail)
    return True


VS_03 = rule(
    "VS-03",
    revision=3,
    family=Family.alert,
    title="Opioid toxicity pattern",
    summary="Respiratory rate <= 8, SpO2 <= 91% or reduced consciousness: emergency and naloxone "
    "(signs recorded over 12 hours ago: re-check them first; low SpO2 alone with an "
    "undepressed breathing rate and alert: naloxone only if breathing or consciousness falls).",
    rationale="Kratom alkaloids are mu-opioid agonists (7-OH far more potent); respiratory "
    "depression and coma are reported in kratom-only exposures, and the risk multiplies with "
    "other depressants. These are the NEWS2 score-3 values for breathing and oxygenation.",
    reads=(
        "/vitals/respiratory_rate_per_min",
        "/vitals/spo2_percent",
        "/vitals/consciousness",
        "derived.vitals_age_hours",
    ),
    cites=(
        Cite("NEWS2", "RR <= 8 and SpO2 <= 91% score 3; any CVPU scores 3"),
        Cite("EGGLESTON19", "Respiratory depression 2.8%, coma 2.3% of kratom-only exposures"),
        Cite("BUPLABEL", "Respiratory depression with CNS depressants"),
        Cite("NALOXONE-PI", "Naloxone: opioid overdose with respiratory or CNS depression"),
    ),
    limitations=(
        "Low SpO2 or confusion have other causes (pneumonia, hypoglycaemia, head injury); the "
        "rule sends to emergency assessment, it does not diagnose.",
    ),
    thresholds=(th.OPIOID_TOX_RR, th.OPIOID_TOX_SPO2),
    apply=_vs_03,
)


def _vs_04(f: Facts, out: Findings) -> bool:
    v = f.a.vitals
    if v is None or v.temperature_c is None or v.heart_rate_bpm is None:
        return False
    if v.temperature_c < th.FEVER_EVAL_C.value or v.heart_rate_bpm < th.FEVER_EVAL_HR.value:
        return False
    out.alert(
        "fever_with_tachycardia",
        WARNING,
        "Fever with tachycardia: look for another cause",
        f"Temperature {v.temperature_c:g} C with heart rate {v.heart_rate_bpm}/min. Evaluate "
        "for infection or another toxidrome before attributing it to withdrawal.",
    )
    return True


VS_04 = rule(
    "VS-04",
    family=Family.alert,
    title="Fever with tachycardia",
    summary="Temperature >= 39.1 C with heart rate >= 111/min prompts a search for infection or "
    "another toxidrome.",
    rationale="Fever is reported in kratom withdrawal, but high fever with tachycardia (NEWS2 "
    "scores 2 for each) is more often infection or another toxidrome; missing it is the harm.",
    reads=("/vitals/temperature_c", "/vitals/heart_rate_bpm"),
    cites=(
        Cite("NEWS2", "Temperature >= 39.1 and pulse 111-130 each score 2"),
        Cite("SINGH14", "Fever among kratom withdrawal symptoms"),
    ),
    limitations=(
        "Attributing this combination to a cause other than withdrawal is expert convention [L].",
    ),
    thresholds=(th.FEVER_EVAL_C, th.FEVER_EVAL_HR),
    apply=_vs_04,
)


def _vs_05(f: Facts, out: Findings) -> bool:
    h = f.history
    for name in ("syncope", "chest_pain_or_palpitations"):
        if h is None or getattr(h, name) is None:
            # Each unanswered question is a gap, also beside other (e.g. coded) history.
            out.missing(
                f"/medical_history/{name}", "Syncope or palpitations would call for an ECG."
            )
    if h is None:
        return False
    found = [
        label
        for label, flag in (
            ("syncope", h.syncope),
            ("chest pain or palpitations", h.chest_pain_or_palpitations),
        )
        if flag
    ]
    if not found:
        return False
    out.alert(
        "cardiac_symptoms",
        WARNING,
        "Cardiac symptoms: ECG and urgent medical evaluation",
        f"{sentence(' and '.join(found))} reported. Obtain an ECG (QTc, Brugada pattern) and "
        "an urgent medical evaluation before QT-prolonging or bradycardic treatment.",
    )
    out.recommend(
        STABILIZATION,
        "ecg",
        MONITORING,
        "12-lead ECG",
        RECOMMENDED,
        f"ECG now: {' and '.join(found)} reported.",
    )
    # An arrhythmia would be an unstable comorbidity (ASAM dimension 2): until the ECG and
    # the evaluation rule it out, an ambulatory setting is only provisional.
    out.could_require(MONITORED, f"{' and '.join(found)}: ECG and medical evaluation pending")
    return True


VS_05 = rule(
    "VS-05",
    revision=4,
    family=Family.alert,
    title="Syncope, chest pain or palpitations",
    summary="Syncope, chest pain or palpitations call for an ECG and urgent medical evaluation; "
    "until then a setting below 3.7-WM is only provisional.",
    rationale="Mitragynine blocks hERG channels; QTc prolongation, ventricular fibrillation and "
    "an acquired Brugada pattern with syncope are reported in heavy kratom users.",
    reads=(
        "/medical_history/syncope",
        "/medical_history/chest_pain_or_palpitations",
        "/co_occurring_conditions/coded",
    ),
    cites=(
        Cite("LEONG21B", "hERG blockade and cardiotoxicity review"),
        Cite("HOLTON24", "Acquired type 1 Brugada pattern with syncope at ~100 g/day"),
        Cite("ASAM3", "Dimension 2: an unstable medical condition raises the level of care"),
        *history_cites("syncope", "chest_pain_or_palpitations"),
    ),
    limitations=(
        "Evidence is case reports and small series.",
        "Holding the setting provisional at 3.7-WM until the ECG is read is the clinical "
        "reference's 'unstable comorbidity' step of ASAM dimension 2, applied before the "
        "cause is known [L].",
        CODED_HISTORY_LIMITATION,
    ),
    apply=_vs_05,
)


#: The vital signs themselves (a heart rate alone drives the lofexidine hold).
_MEASURED = (
    "heart_rate_bpm",
    "systolic_bp_mmhg",
    "diastolic_bp_mmhg",
    "respiratory_rate_per_min",
    "temperature_c",
    "spo2_percent",
    "consciousness",
)


def _vs_06(f: Facts, out: Findings) -> bool:
    v = f.a.vitals
    missing_if_dated_after(
        f,
        out,
        "/vitals/measured_at",
        v.measured_at if v is not None else None,
        "The vital signs are",
        "check the times (they are used as if current)",
    )
    if (
        v is not None
        and v.measured_at is None
        and any(getattr(v, k) is not None for k in _MEASURED)
    ):
        # Taken as of the assessment (the usual case: measured at the visit), but said so.
        out.missing(
            "/vitals/measured_at",
            "The vital signs have no measurement time, so they are taken to be as of the "
            "assessment: record when they were taken (a set over 12 hours old is not current).",
        )
    age = vitals_not_current(f)
    if age is None:
        return False
    shown = elapsed_text(age)
    out.missing(
        "/vitals",
        f"The vital signs on file are {shown} old, past NEWS2's least frequent observations "
        "(12-hourly): current ones are needed.",
    )
    out.alert(
        "vital_signs_not_current",
        WARNING,
        f"Vital signs are {shown} old",
        f"The latest vital signs were taken {shown} before this assessment. NEWS2, its alerts "
        "and the level of care below are computed from them and may not describe the patient "
        "now: record current vital signs.",
    )
    out.recommend(
        STABILIZATION,
        "current_vital_signs",
        MONITORING,
        "Record current vital signs",
        RECOMMENDED,
        f"The last set is {shown} old: heart rate, blood pressure, respiratory rate, SpO2, "
        "temperature and level of consciousness, then reassess.",
    )
    return True


VS_06 = rule(
    "VS-06",
    family=Family.alert,
    title="Vital signs not current",
    summary="Vital signs taken more than 12 hours before the assessment are flagged (warning), "
    "listed as missing current data, and a current set is recommended; lofexidine and "
    "clonidine stay at most consider and the level of care provisional until then.",
    rationale="NEWS2 asks for observations at least every 12 hours even at a score of 0; an "
    "older set does not describe the patient now, yet hold parameters and the choice of "
    "setting depend on current heart rate and blood pressure. Old values are still shown and "
    "scored (a past red flag is not hidden), but never taken as current.",
    reads=("derived.vitals_age_hours", *(f"/vitals/{k}" for k in _MEASURED)),
    cites=(Cite("NEWS2", "Minimum 12-hourly observations at NEWS2 0"),),
    limitations=(
        "The 12-hour window is NEWS2's monitoring minimum for stable inpatients, applied to "
        "every setting; a stricter local policy may be wanted before medication doses.",
        "Without a measurement time (vitals.measured_at) the vital signs are taken to be as of "
        "the assessment, and the time is listed as a missing input.",
    ),
    thresholds=(th.VITALS_MAX_AGE_HOURS,),
    apply=_vs_06,
    revision=4,
)

_SEDATIVE_EXPOSURE = "alcohol, benzodiazepine or other sedative use"


def _sz_01(f: Facts, out: Findings) -> bool:
    h = f.history
    if h is None or h.seizure_in_last_24h is None:
        out.missing(
            "/medical_history/seizure_in_last_24h",
            "A seizure in the last 24 hours requires emergency evaluation.",
        )
        out.could_require(EMERGENCY, "seizure in the last 24 hours not recorded")
        return False
    if not h.seizure_in_last_24h:
        return False
    out.alert(
        "seizure_active",
        CRITICAL,
        "Seizure in the last 24 hours",
        "Emergency evaluation: kratom toxicity, alcohol or sedative withdrawal and structural "
        "causes must be excluded.",
    )
    out.level(EMERGENCY, "Seizure in the last 24 hours.")
    return True


SZ_01 = rule(
    "SZ-01",
    revision=2,
    family=Family.alert,
    title="Recent seizure",
    summary="A seizure in the last 24 hours is an emergency; not recorded: the setting is only "
    "provisional.",
    rationale="Seizures occur in 6.1% of kratom-only poison-centre exposures, and alcohol or "
    "sedative withdrawal seizures can progress; a recent seizure needs emergency evaluation.",
    reads=("/medical_history/seizure_in_last_24h",),
    cites=(
        Cite("EGGLESTON19", "Seizure in 6.1% of kratom-only exposures"),
        Cite("ASAMAWM", "Withdrawal seizures need medically managed care"),
    ),
    limitations=("The seizure's cause is not known to the engine.",),
    apply=_sz_01,
)


def _sz_02(f: Facts, out: Findings) -> bool:
    h = f.history
    use = f.a.use_history
    withdrawal_seizure = bool(
        (h is not None and h.withdrawal_seizures)
        or (use is not None and "seizure" in use.prior_withdrawal_complications)
    )
    disorder = bool((h is not None and h.seizure_disorder) or f.has_condition("seizure_disorder"))
    if h is None or h.withdrawal_seizures is None:
        out.missing(
            "/medical_history/withdrawal_seizures",
            "Withdrawal-seizure history raises the level of care.",
        )
    if (h is None or h.seizure_disorder is None) and not disorder:
        out.missing(
            "/medical_history/seizure_disorder",
            "A seizure disorder calls for seizure precautions in withdrawal.",
        )
    depressant = f.alcohol or f.benzodiazepine or f.sedative_other
    if not (withdrawal_seizure or disorder):
        unknown = h is None or h.withdrawal_seizures is None
        if depressant and (unknown or h is None or h.seizure_disorder is None):
            out.could_require(MANAGED, f"seizure history not recorded ({_SEDATIVE_EXPOSURE})")
        elif unknown:
            out.could_require(MONITORED, "withdrawal-seizure history not recorded")
        return False
    what = "withdrawal seizures" if withdrawal_seizure else "a seizure disorder"
    out.alert(
        "seizure_history",
        CRITICAL if withdrawal_seizure else WARNING,
        f"History of {what}",
        f"History of {what}"
        + (f" with {_SEDATIVE_EXPOSURE}: medically managed withdrawal." if depressant else ".")
        + " Seizure precautions; review drugs that lower the seizure threshold.",
    )
    if depressant:
        out.level(
            MANAGED,
            f"History of {what} with {_SEDATIVE_EXPOSURE}.",
        )
    else:
        if f.substances is None:
            # Alcohol or sedative use not asked: it would make this a medically managed setting.
            out.could_require(MANAGED, f"history of {what}; {_SEDATIVE_EXPOSURE} not recorded")
        if withdrawal_seizure:
            out.level(MONITORED, "History of withdrawal seizures.")
    return True


SZ_02 = rule(
    "SZ-02",
    revision=6,
    family=Family.alert,
    title="Seizure history",
    summary="Withdrawal seizures (critical) or a seizure disorder (warning); with alcohol or "
    "sedative co-use, medically managed inpatient withdrawal (4-WM). Seizure history not "
    "recorded: a less intensive setting is only provisional.",
    rationale="Alcohol and sedative withdrawal, unlike opioid withdrawal, carry seizure risk; "
    "with a seizure history ASAM places withdrawal in a medically managed setting. A history "
    "of complicated withdrawal raises ASAM dimension 1 risk.",
    reads=(
        "/medical_history/withdrawal_seizures",
        "/medical_history/seizure_disorder",
        "/use_history/prior_withdrawal_complications",
        "/co_occurring_conditions/seizure_disorder",
        "/co_occurring_conditions/coded",
        "derived.alcohol",
        "derived.benzodiazepine",
        "derived.sedative_other",
        "/use_history/other_substances",
    ),
    cites=(
        Cite("ICD10CM", "Codes read: G40 epilepsy and recurrent seizures"),
        *condition_concepts_cite("seizure_disorder"),
        Cite("ASAMAWM", "Seizure history with alcohol withdrawal: medically managed setting"),
        Cite("ASAM3", "Complicated-withdrawal history raises dimension 1 risk"),
        Cite("EGGLESTON19", "Seizures in kratom exposures"),
    ),
    limitations=(
        CODED_LIMITATION,
        "Kratom withdrawal itself is not known to cause seizures; the escalation rests on "
        "alcohol/sedative guidance [M].",
    ),
    apply=_sz_02,
)

RULES = (VS_01, VS_02, VS_03, VS_04, VS_05, VS_06, SZ_01, SZ_02)
