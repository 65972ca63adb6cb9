"""Lofexidine and clonidine for withdrawal symptoms, with their hold parameters (LOF, CLO)."""

from __future__ import annotations

from collections.abc import Callable

from app.rules import thresholds as th
from app.rules.define import (
    AVOID,
    CONSIDER,
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
    elapsed_text,
    history_cites,
    sentence,
    vitals_not_current,
)
from app.rules.findings import Findings
from app.schemas.evaluation import Status

_LOF = "lofexidine"
_LOF_TITLE = "Lofexidine"
_CLO = "clonidine"
_CLO_TITLE = "Clonidine"
_VITALS = ("/vitals/heart_rate_bpm", "/vitals/systolic_bp_mmhg", "/vitals/diastolic_bp_mmhg")
_VITALS_NOW = (*_VITALS, "derived.vitals_age_hours")
_LABEL = Cite("LUCEMYRA-PI", "Lofexidine label: dosing, warnings, hepatic and renal dosing")
_OFF_LABEL = (
    NO_KRATOM_GUIDELINE,
    "Lofexidine is approved for opioid withdrawal (up to 14 days); no kratom-specific data "
    "exist, so use for kratom is off-label.",
)
_BP_LOWERING = frozenset({"bp_lowering", "hr_lowering", "alpha2_agonist"})
#: Medical history on both alpha-2 agonists' labels (lofexidine: avoid; clonidine: caution).
_CARDIO_RENAL = (
    ("severe_coronary_insufficiency", "severe coronary insufficiency"),
    ("recent_myocardial_infarction", "recent myocardial infarction"),
    ("cerebrovascular_disease", "cerebrovascular disease"),
    ("chronic_kidney_disease", "chronic kidney disease"),
    ("bradyarrhythmia", "bradyarrhythmia"),
)
_CARDIO_NAMES = tuple(name for name, _ in _CARDIO_RENAL)
_ADULT_AGE = 18  # LUCEMYRA-PI 8.4: safety and effectiveness not established in pediatric patients


def _in_play(f: Facts, drug: str) -> bool:
    """Being considered or already taken: a hold alert is for a drug someone will give; for
    one nobody plans, the recommendation's own status and detail say it."""
    return drug in f.a.considering or drug in f.current_alpha2


def _lof(out: Findings, status: Status | None, detail: str) -> None:
    out.recommend(STABILIZATION, _LOF, MEDICATION, _LOF_TITLE, status, detail)


def _clo(out: Findings, status: Status | None, detail: str) -> None:
    out.recommend(STABILIZATION, _CLO, MEDICATION, _CLO_TITLE, status, detail)


def both_alpha2(out: Findings, status: Status, detail: str) -> None:
    """The same status and reason for lofexidine and clonidine (pregnancy, combinations)."""
    _lof(out, status, detail)
    _clo(out, status, detail)


def _vitals_gap(f: Facts, out: Findings, drug: str) -> list[str]:
    v = f.a.vitals
    values = (
        (None, None, None)
        if v is None
        else (v.heart_rate_bpm, v.systolic_bp_mmhg, v.diastolic_bp_mmhg)
    )
    gaps = [p for p, x in zip(_VITALS, values, strict=True) if x is None]
    for pointer in gaps:
        out.missing(
            pointer,
            f"Heart rate and blood pressure must be checked before each "
            f"{drug} dose (hold parameters).",
        )
    return gaps


def _old_vitals(
    f: Facts, out: Findings, offer: Callable[[Findings, Status | None, str], None]
) -> bool:
    """Vital signs past NEWS2's 12-hour window are not the hold check (VS-06): at most
    consider. A hold found in them still stands (checked first)."""
    age = vitals_not_current(f)
    if age is None:
        return False
    offer(
        out,
        CONSIDER,
        f"The vital signs on file are {elapsed_text(age)} old: check heart rate and blood "
        "pressure before any dose.",
    )
    return True


_TABLET_MG = 0.18  # the only lofexidine tablet strength (label)
#: The label's maximum tablets per dose by Child-Pugh class (four doses a day).
_CHILD_PUGH_TABLETS = {"A": 3, "B": 2, "C": 1}


def _near_hold_limits(hr: int, sbp: int) -> list[str]:
    """The caution tier (recheck before each dose): HR < 60 or SBP < 100, in words."""
    return [
        text
        for text, low in (
            (f"heart rate {hr}", hr < th.LOF_CAUTION_HR.value),
            (f"systolic {sbp}", sbp < th.LOF_CAUTION_SBP.value),
        )
        if low
    ]


def _lof_01(f: Facts, out: Findings) -> bool:
    considered = "lofexidine" in f.a.considering
    status = RECOMMENDED if considered and f.withdrawal_present else CONSIDER
    caps = []
    age = f.age_years()
    if age is None:
        # Not read as adult: the label has not established use in pediatric patients.
        out.missing("/patient/age_years", "Lofexidine is not established under 18 (label).")
        status = CONSIDER
        caps.append(f"age not recorded: the label has not established use under {_ADULT_AGE}")
    elif age < _ADULT_AGE:
        status = CONSIDER
        caps.append(f"age {age}: the label has not established use under {_ADULT_AGE}")
    h = f.history
    child = h.hepatic_impairment_child_pugh if h is not None else None
    if child is None:
        # 'none' is an answer; omitted is not: the label lowers the dose by Child-Pugh class.
        out.missing(
            "/medical_history/hepatic_impairment_child_pugh",
            "Hepatic impairment sets the lofexidine dose.",
        )
        status = CONSIDER
        caps.append("hepatic impairment not recorded: the dose depends on it")
    # The label's hepatic and renal limits, in tablets per dose (four doses a day).
    limits = []
    if child in _CHILD_PUGH_TABLETS:
        limits.append((_CHILD_PUGH_TABLETS[child], f"Child-Pugh {child}"))
    labs = f.a.labs
    egfr = f.egfr  # as given, else estimated from creatinine
    if egfr is not None and egfr < th.LOF_RENAL_SEVERE_EGFR.value:
        limits.append((1, f.egfr_text))
    elif egfr is not None and egfr < th.LOF_RENAL_MILD_EGFR.value:
        limits.append((2, f.egfr_text))
    elif egfr is None:
        out.missing(
            "/labs/egfr_ml_min_1_73m2",
            "Renal function sets the lofexidine dose (an eGFR, or creatinine with age and sex).",
        )
        status = CONSIDER
        caps.append("renal function (eGFR) unknown: the dose depends on it")
    low = []
    k = labs.potassium_mmol_per_l if labs is not None else None
    mg = labs.magnesium_mmol_per_l if labs is not None else None
    if k is not None and k < th.POTASSIUM_LOW.value:
        low.append(f"potassium {k:g} mmol/L")
    if mg is not None and mg < th.MAGNESIUM_LOW.value:
        low.append(f"magnesium {mg:g} mmol/L")
    if low:
        status = CONSIDER
        caps.append(f"correct {' and '.join(low)} before the first dose")
    unknown = [
        (pointer, name)
        for pointer, name, value in (
            ("/labs/potassium_mmol_per_l", "potassium", k),
            ("/labs/magnesium_mmol_per_l", "magnesium", mg),
        )
        if value is None
    ]
    for pointer, name in unknown:
        out.missing(
            pointer, f"The lofexidine label asks to correct low {name} before the first dose."
        )
    if unknown:
        status = CONSIDER
        caps.append(f"check {' and '.join(n for _, n in unknown)} before the first dose")
    if limits:
        # Only the adjusted dose is shown: the usual one first would invite a dose over it.
        tablets = min(n for n, _ in limits)
        why = " and ".join(w for _, w in limits)
        dose = (
            f"At most {tablets} tablet{'s' if tablets > 1 else ''} "
            f"({round(tablets * _TABLET_MG, 2):g} mg) four times daily "
            f"({round(4 * tablets * _TABLET_MG, 2):g} mg/day; {why}), 5-6 h apart, for the "
            "peak days"
        )
    else:
        dose = (
            "0.54 mg (3 tablets) four times daily, 5-6 h apart, for the peak days; max "
            f"{th.LOF_MAX_DOSE_MG.value:g} mg per dose and {th.LOF_MAX_DAILY_MG.value:g} mg/day"
        )
    detail = (
        f"Off-label for kratom. {dose}, up to {th.LOF_MAX_DAYS.value:g} days; taper over 2-4 "
        "days. Buprenorphine is more effective for opioid withdrawal."
    )
    if caps:
        detail += " " + sentence("; ".join(caps)) + "."
    _lof(out, status, detail)
    return status is RECOMMENDED


LOF_01 = rule(
    "LOF-01",
    revision=6,
    family=Family.stabilization,
    title="Lofexidine for withdrawal symptoms",
    summary="Offers lofexidine (recommended when it is being considered and withdrawal is "
    "present) with label dose limits, hepatic and renal caps and electrolyte correction; "
    "low or unmeasured potassium or magnesium, unrecorded hepatic impairment or eGFR, or age "
    "under 18 or not recorded: at most consider.",
    rationale="Lofexidine mitigates opioid withdrawal symptoms; the label caps doses, reduces "
    "them for hepatic and renal impairment and asks to correct electrolytes first. "
    "Buprenorphine outperforms alpha-2 agonists for opioid withdrawal.",
    reads=(
        "/considering",
        "derived.withdrawal_present",
        "/patient/age_years",
        "/patient/birth_date",
        "/medical_history/hepatic_impairment_child_pugh",
        "derived.egfr",
        "/labs/potassium_mmol_per_l",
        "/labs/magnesium_mmol_per_l",
    ),
    cites=(
        Cite("CKDEPI21", "eGFR estimated from creatinine when none is given"),
        _LABEL,
        Cite("LUCEMYRA-PI", "8.4 Pediatric use: safety and effectiveness not established"),
        Cite("ASAMNPG", "Buprenorphine more effective than alpha-2 agonists"),
    ),
    limitations=_OFF_LABEL,
    thresholds=(
        th.LOF_MAX_DOSE_MG,
        th.LOF_MAX_DAILY_MG,
        th.LOF_MAX_DAYS,
        th.LOF_RENAL_MILD_EGFR,
        th.LOF_RENAL_SEVERE_EGFR,
        th.POTASSIUM_LOW,
        th.MAGNESIUM_LOW,
    ),
    apply=_lof_01,
)


def _lof_02(f: Facts, out: Findings) -> bool:
    if _vitals_gap(f, out, "lofexidine"):
        _lof(
            out,
            CONSIDER,
            "Vital signs missing: check heart rate and blood pressure before any dose.",
        )
        return True
    v = f.a.vitals
    if v is None:  # pragma: no cover - excluded by _vitals_gap
        return False
    hr, sbp, dbp = v.heart_rate_bpm or 0, v.systolic_bp_mmhg or 0, v.diastolic_bp_mmhg or 0
    hold = [
        text
        for text, bad in (
            (f"heart rate {hr}", hr < th.LOF_HOLD_HR.value),
            (f"systolic {sbp}", sbp < th.LOF_HOLD_SBP.value),
            (f"diastolic {dbp}", dbp < th.LOF_HOLD_DBP.value),
        )
        if bad
    ]
    if hold:
        text = ", ".join(hold)
        if _in_play(f, _LOF):  # an alert about a drug nobody plans would only be noise
            out.alert(
                "lofexidine_hold",
                CRITICAL,
                "Hold lofexidine",
                f"{text}: below the hold limits (HR < 50, SBP < 90, DBP < 50). Do not give "
                "lofexidine now; reassess.",
                (_LOF,),
            )
        _lof(out, AVOID, f"Hold: {text}.")
        return True
    if _old_vitals(f, out, _lof):
        return True
    caution = _near_hold_limits(hr, sbp)
    if not caution:
        return False
    text = ", ".join(caution)
    if _in_play(f, _LOF):
        out.alert(
            "lofexidine_caution",
            WARNING,
            "Lofexidine: low-normal heart rate or blood pressure",
            f"{text}: recheck before each dose and consider a lower dose.",
        )
    _lof(out, CONSIDER, f"Caution ({text}): recheck before each dose; lower dose.")
    return True


LOF_02 = rule(
    "LOF-02",
    revision=3,
    family=Family.stabilization,
    title="Lofexidine hold parameters",
    summary="HR < 50, SBP < 90 or DBP < 50: hold (avoid; a critical alert when lofexidine is "
    "considered or taken); HR < 60 or SBP < 100: caution (consider); vitals missing or older "
    "than 12 hours: at most consider.",
    rationale="The label says to check vital signs before dosing and to reduce, delay or skip "
    "a dose for clinically significant hypotension or bradycardia (42% orthostatic "
    "hypotension, 32% bradycardia at 2.88 mg/day); the phase 3 trial defined these events as "
    "SBP < 90, DBP < 50 or pulse < 50.",
    reads=(*_VITALS_NOW, "/considering", "derived.current_alpha2"),
    cites=(_LABEL, Cite("FISHMAN19", "Vital-sign adverse-event definitions")),
    limitations=(
        *_OFF_LABEL,
        "A > 20% fall from baseline and orthostatic criteria are not checked (no baseline input).",
    ),
    thresholds=(
        th.LOF_HOLD_HR,
        th.LOF_HOLD_SBP,
        th.LOF_HOLD_DBP,
        th.LOF_CAUTION_HR,
        th.LOF_CAUTION_SBP,
    ),
    apply=_lof_02,
)


def _lof_03(f: Facts, out: Findings) -> bool:
    h = f.history
    if h is None or h.congenital_long_qt is None:
        out.missing(
            "/medical_history/congenital_long_qt", "Congenital long QT rules out lofexidine."
        )
        _lof(out, CONSIDER, "Congenital long QT not asked: rule it out first (label).")
        return True
    if not h.congenital_long_qt:
        return False
    _lof(out, AVOID, "Congenital long QT syndrome: avoid lofexidine (label).")
    return True


LOF_03 = rule(
    "LOF-03",
    revision=3,
    family=Family.stabilization,
    title="Lofexidine and congenital long QT",
    summary="Congenital long QT syndrome: avoid lofexidine; not recorded: at most consider.",
    rationale="The label says to avoid lofexidine in congenital long QT syndrome (QT "
    "prolongation; one post-marketing torsades case).",
    reads=("/medical_history/congenital_long_qt", "/co_occurring_conditions/coded"),
    cites=(_LABEL, *history_cites("congenital_long_qt")),
    limitations=(*_OFF_LABEL, CODED_HISTORY_LIMITATION),
    apply=_lof_03,
)


def _lof_04(f: Facts, out: Findings) -> bool:
    qtc = f.scores.qtc
    if qtc.value is None:
        _lof(out, CONSIDER, "No QTc on file: ECG before the first dose.")
        return True
    age = f.flat["derived.lab_age_days"]
    if age is None or age > th.ECG_MAX_AGE_DAYS.value:
        # An old tracing is not today's QTc (kratom and withdrawal both move it).
        if age is None:
            out.missing("/labs/collected_at", "The QTc's date decides whether it is current.")
        _lof(
            out,
            CONSIDER,
            f"QTc {qtc.value:g} ms is "
            + ("undated" if age is None else f"{age:g} days old")
            + ": repeat the ECG before the first dose.",
        )
        if qtc.band != "high_risk":
            return True
    if qtc.band == "high_risk":
        _lof(out, AVOID, f"QTc {qtc.value:g} ms (>= 500): avoid; cardiology input.")
        return True
    if qtc.band == "prolonged":
        _lof(out, CONSIDER, f"QTc {qtc.value:g} ms (prolonged): ECG monitoring if used.")
        return True
    reasons = _ecg_monitoring_reasons(f)
    h = f.history
    if h is None or h.heart_failure is None:
        # Not "no heart failure": the label's monitoring note depends on it.
        out.missing(
            "/medical_history/heart_failure",
            "Lofexidine in heart failure needs ECG monitoring (label).",
        )
        reasons.append("heart failure not recorded: monitor if present")
    if not reasons:
        return False
    _lof(out, None, f"ECG monitoring during treatment: {', '.join(reasons)} (label).")
    return True


def _ecg_monitoring_reasons(f: Facts) -> list[str]:
    """The label's reasons for ECG monitoring on lofexidine: heart failure, bradyarrhythmia,
    hepatic or renal impairment, other QT-prolonging drugs."""
    h = f.history
    egfr = f.egfr
    others = f.classes_besides(_LOF) or frozenset()  # named classes included
    return [
        text
        for text, present in (
            ("heart failure", h is not None and h.heart_failure),
            ("bradyarrhythmia", h is not None and h.bradyarrhythmia),
            (
                "hepatic impairment",
                h is not None and h.hepatic_impairment_child_pugh in ("A", "B", "C"),
            ),
            (
                "renal impairment",
                (h is not None and h.chronic_kidney_disease)
                or (egfr is not None and egfr < th.LOF_RENAL_MILD_EGFR.value),
            ),
            (
                "another QT-prolonging drug",
                bool({"qt_prolonging", "methadone"} & others),
            ),
        )
        if present
    ]


LOF_04 = rule(
    "LOF-04",
    revision=5,
    family=Family.stabilization,
    title="Lofexidine and QTc",
    summary="QTc >= 500 ms: avoid; prolonged QTc, no ECG, or an ECG older than 30 days or "
    "undated: at most consider. Heart failure, bradyarrhythmia, hepatic or renal impairment "
    "or another QT-prolonging drug: ECG monitoring during treatment.",
    rationale="Lofexidine prolongs QTcF by about 7-9 ms at therapeutic doses, with QT cases "
    "reported alongside methadone; kratom itself prolongs QTc.",
    reads=(
        "scores.qtc.category",
        "/labs/qtc_ms",
        "scores.qtc.threshold_ms",
        "derived.lab_age_days",
        "/medical_history/heart_failure",
        "/medical_history/bradyarrhythmia",
        "/medical_history/hepatic_impairment_child_pugh",
        "/medical_history/chronic_kidney_disease",
        "derived.egfr",
        "derived.medication_classes",
        "/co_occurring_conditions/coded",
    ),
    cites=(
        Cite("CKDEPI21", "eGFR estimated from creatinine when none is given"),
        _LABEL,
        Cite("RAUTAHARJU09", "Prolonged QTc >= 450 ms men, >= 460 ms women"),
        Cite("KRANTZ09", "QTc > 500 ms high risk; ECG before treatment and within 30 days"),
    ),
    limitations=_OFF_LABEL,
    thresholds=(
        th.QTC_PROLONGED_MALE,
        th.QTC_PROLONGED_FEMALE,
        th.QTC_HIGH_RISK,
        th.ECG_MAX_AGE_DAYS,
        th.LOF_RENAL_MILD_EGFR,
    ),
    apply=_lof_04,
)


def _lof_05(f: Facts, out: Findings) -> bool:
    h = f.history
    if h is None:
        out.missing(
            "/medical_history",
            "Cardiac, cerebrovascular and renal history decide whether lofexidine must be avoided.",
        )
    # No history recorded: every item unknown, but a measured eGFR still counts (it is a lab).
    answers = h.__dict__ if h is not None else dict.fromkeys(_CARDIO_NAMES)
    conditions = [text for name, text in _CARDIO_RENAL if answers[name]]
    unknown = [text for name, text in _CARDIO_RENAL if answers[name] is None]
    for name, _text in _CARDIO_RENAL:
        if answers[name] is None and h is not None:
            out.missing(f"/medical_history/{name}", "On the lofexidine label's avoid list.")
    egfr = f.egfr
    if (
        egfr is not None
        and egfr < th.LOF_RENAL_SEVERE_EGFR.value
        and not answers["chronic_kidney_disease"]
    ):
        # The label avoids lofexidine in chronic renal failure yet doses it below 30: the
        # eGFR is read the conservative way.
        conditions.append(f"{f.egfr_text} (below {th.LOF_RENAL_SEVERE_EGFR.value:g})")
        unknown = [u for u in unknown if u != "chronic kidney disease"]
    classes = f.classes_besides(_LOF)  # lofexidine already taken does not rule itself out
    if classes is None:
        unknown.append("current medications")
        out.missing(
            "/use_history/current_medications",
            "Drugs that lower heart rate or blood pressure are on the lofexidine label's avoid "
            "list (omitted means not reviewed).",
        )
    elif classes & _BP_LOWERING:
        conditions.append("a drug that lowers heart rate or blood pressure")
    if not conditions:
        if h is None:
            _lof(out, CONSIDER, "Medical history not recorded: check the label's avoid list first.")
            return True
        if not unknown:
            return False
        _lof(
            out,
            CONSIDER,
            f"Not recorded: {', '.join(unknown)}: check the label's avoid list first.",
        )
        return True
    text = ", ".join(conditions)
    out.alert(
        "lofexidine_avoid",
        WARNING,
        "Avoid lofexidine",
        f"{sentence(text)}: the lofexidine label says to avoid it.",
        (_LOF,),
    )
    _lof(out, AVOID, f"Avoid: {text}.")
    return True


LOF_05 = rule(
    "LOF-05",
    revision=7,
    family=Family.stabilization,
    title="Lofexidine avoid list",
    summary="Severe coronary insufficiency, recent MI, cerebrovascular disease, chronic kidney "
    "disease (or eGFR < 30), bradyarrhythmia or a pulse/BP-lowering drug: avoid lofexidine; "
    "any of them not recorded (or medications not reviewed): at most consider.",
    rationale="The label advises avoiding lofexidine in these conditions and with other drugs "
    "that lower pulse or blood pressure.",
    reads=(
        "/medical_history/severe_coronary_insufficiency",
        "/medical_history/recent_myocardial_infarction",
        "/medical_history/cerebrovascular_disease",
        "/medical_history/chronic_kidney_disease",
        "/medical_history/bradyarrhythmia",
        "derived.egfr",
        "derived.medication_classes",
        "derived.current_alpha2",
        "/co_occurring_conditions/coded",
    ),
    cites=(
        _LABEL,
        Cite("CKDEPI21", "eGFR estimated from creatinine when none is given"),
        *history_cites(*(name for name, _ in _CARDIO_RENAL)),
    ),
    limitations=(
        *_OFF_LABEL,
        "Any recorded chronic kidney disease, and any eGFR below 30, is read as the label's "
        "'chronic renal failure' (conservative: the label also gives a dose below 30).",
        CODED_HISTORY_LIMITATION,
    ),
    thresholds=(th.LOF_RENAL_SEVERE_EGFR,),
    apply=_lof_05,
)


def _clo_01(f: Facts, out: Findings) -> bool:
    considered = "clonidine" in f.a.considering
    status = RECOMMENDED if considered and f.withdrawal_present else CONSIDER
    _clo(
        out,
        status,
        "Off-label. 0.1-0.2 mg every 4-6 h as needed, titrated to symptoms and blood pressure; "
        "helps sweating, runny nose and GI symptoms more than anxiety, insomnia or aches. "
        "Taper over 2-4 days. Never with lofexidine.",
    )
    return status is RECOMMENDED


CLO_01 = rule(
    "CLO-01",
    family=Family.stabilization,
    title="Clonidine for withdrawal symptoms",
    summary="Offers clonidine for autonomic withdrawal symptoms (recommended when considered "
    "and withdrawal is present), tapered over 2-4 days.",
    rationale="Symptom-triggered clonidine succeeded in a severe kratom withdrawal case after "
    "two outpatient failures; it is used off-label for opioid withdrawal; its label asks for a "
    "gradual taper to avoid rebound hypertension.",
    reads=(
        "/considering",
        "derived.withdrawal_present",
    ),
    cites=(
        Cite("GALBIS16", "Clonidine in severe kratom withdrawal"),
        Cite("CLON-LABEL", "Taper over 2-4 days"),
        Cite("ASAMNPG", "Buprenorphine more effective than alpha-2 agonists"),
    ),
    limitations=(NO_KRATOM_GUIDELINE, "Dosing comes from secondary protocol summaries [M]."),
    apply=_clo_01,
)


def _clo_02(f: Facts, out: Findings) -> bool:
    if _vitals_gap(f, out, "clonidine"):
        _clo(
            out,
            CONSIDER,
            "Vital signs missing: check heart rate and blood pressure before any dose.",
        )
        return True
    v = f.a.vitals
    if v is None:  # pragma: no cover - excluded by _vitals_gap
        return False
    hr, sbp, dbp = v.heart_rate_bpm or 0, v.systolic_bp_mmhg or 0, v.diastolic_bp_mmhg or 0
    hold = [
        text
        for text, bad in (
            (f"heart rate {hr}", hr < th.CLO_HOLD_HR.value),
            (f"systolic {sbp}", sbp < th.CLO_HOLD_SBP.value),
            (f"diastolic {dbp}", dbp < th.CLO_HOLD_DBP.value),
        )
        if bad
    ]
    if not hold:
        if _old_vitals(f, out, _clo):
            return True
        # Clonidine lowers pressure more than lofexidine: the lofexidine caution tier applies
        # to it at least as much.
        near = _near_hold_limits(hr, sbp)
        if not near:
            return False
        _clo(
            out,
            CONSIDER,
            f"{', '.join(near)}: near the hold limits; recheck before each dose and use a "
            "lower dose.",
        )
        return True
    text = ", ".join(hold)
    if _in_play(f, _CLO):
        out.alert(
            "clonidine_hold",
            WARNING,
            "Hold clonidine",
            f"{text}: below the hold limits (SBP < 90, DBP < 60, HR < 50). Do not give "
            "clonidine now; reassess.",
            (_CLO,),
        )
    _clo(out, AVOID, f"Hold: {text}.")
    return True


CLO_02 = rule(
    "CLO-02",
    revision=4,
    family=Family.stabilization,
    title="Clonidine hold parameters",
    summary="SBP < 90, DBP < 60 or HR < 50: hold clonidine (avoid; a warning when clonidine is "
    "considered or taken); HR < 60 or SBP < 100: caution (consider, recheck before each "
    "dose); vitals missing or older than 12 hours: at most consider.",
    rationale="Clonidine lowers blood pressure and heart rate; withdrawal protocols hold doses "
    "for hypotension and bradycardia.",
    reads=(*_VITALS_NOW, "/considering", "derived.current_alpha2"),
    cites=(
        Cite("CLON-LABEL", "Hold parameters from withdrawal protocols (secondary)"),
        Cite("FISHMAN19", "Bradycardia definition borrowed from the lofexidine trial"),
    ),
    limitations=(
        NO_KRATOM_GUIDELINE,
        "The caution tier (HR < 60, SBP < 100) is lofexidine's local convention, borrowed for "
        "the more hypotensive clonidine; it needs clinical sign-off [L].",
    ),
    thresholds=(
        th.CLO_HOLD_SBP,
        th.CLO_HOLD_DBP,
        th.CLO_HOLD_HR,
        th.LOF_CAUTION_HR,
        th.LOF_CAUTION_SBP,
    ),
    apply=_clo_02,
)


def _clo_03(f: Facts, out: Findings) -> bool:
    considering = f.a.considering
    if _LOF in considering and _CLO in considering:
        out.alert(
            "alpha2_combination",
            WARNING,
            "Do not combine lofexidine and clonidine",
            "Both are being considered: choose one (additive hypotension and bradycardia).",
        )
        both_alpha2(out, CONSIDER, "Choose lofexidine or clonidine, never both.")
        return True
    taken = f.current_alpha2
    pairs = ((_CLO, _CLO_TITLE, _LOF), (_LOF, _LOF_TITLE, _CLO))
    found = next(((d, t, o) for d, t, o in pairs if d in considering and o in taken), None)
    if found is None:
        return False
    added, title, current = found
    out.alert(
        "alpha2_combination",
        WARNING,
        "Do not combine lofexidine and clonidine",
        f"Already taking {current}: do not add {added} (additive hypotension and bradycardia). "
        f"Continue {current}, or stop it (tapering clonidine over 2-4 days) before switching.",
        (added,),
    )
    out.recommend(
        STABILIZATION,
        added,
        MEDICATION,
        title,
        AVOID,
        f"Already taking {current}: do not combine the two alpha-2 agonists.",
    )
    return True


CLO_03 = rule(
    "CLO-03",
    revision=2,
    family=Family.stabilization,
    title="No lofexidine with clonidine",
    summary="Both alpha-2 agonists considered: warn, and neither is more than `consider`; one "
    "considered while the other is already taken (by name or RxNorm code): warn, and the one "
    "to add is `avoid`.",
    rationale="The lofexidine label advises avoiding other drugs that lower pulse or blood "
    "pressure; the two alpha-2 agonists add up, whether both are new or one is already taken.",
    reads=("/considering", "derived.current_alpha2"),
    cites=(_LABEL, Cite("CLON-LABEL", "Discontinue gradually over 2-4 days")),
    limitations=(
        NO_KRATOM_GUIDELINE,
        "A current alpha-2 agonist is recognised by its RxNorm ingredient code or its generic "
        "or brand name in the medication name; other spellings are not.",
    ),
    apply=_clo_03,
)

# The clonidine label names conduction disturbances where lofexidine's names bradyarrhythmia.
_CLO_CAUTIONS = tuple(
    (name, "a conduction disturbance or bradyarrhythmia" if name == "bradyarrhythmia" else text)
    for name, text in _CARDIO_RENAL
)


def _clo_04(f: Facts, out: Findings) -> bool:
    h = f.history
    answers = h.__dict__ if h is not None else {}
    conditions = [text for name, text in _CLO_CAUTIONS if answers.get(name)]
    unknown = [text for name, text in _CLO_CAUTIONS if answers.get(name) is None]
    classes = f.classes_besides(_CLO)  # clonidine already taken does not caution itself
    if classes is None:
        unknown.append("current medications")
    elif classes & _BP_LOWERING:
        conditions.append("a drug that lowers heart rate or blood pressure (additive bradycardia)")
    if conditions:
        text = ", ".join(conditions)
        out.alert(
            "clonidine_caution",
            WARNING,
            "Clonidine: label cautions apply",
            f"{sentence(text)}: the clonidine label asks for caution; with a drug acting on "
            "the sinus or AV node (beta-blocker, calcium-channel blocker, digoxin) bradycardia "
            "and AV block can add up. Prefer buprenorphine, or monitor closely.",
        )
        _clo(out, CONSIDER, f"Caution: {text}.")
        return True
    if unknown:
        _clo(
            out,
            CONSIDER,
            f"Not recorded: {', '.join(unknown)}: check the label's cautions first.",
        )
        return True
    return False


CLO_04 = rule(
    "CLO-04",
    revision=3,
    family=Family.stabilization,
    title="Clonidine label cautions",
    summary="Severe coronary insufficiency, recent MI, cerebrovascular disease, chronic kidney "
    "disease, a conduction disturbance or a pulse/BP-lowering drug: warning and at most "
    "consider; any of them not recorded (or medications not reviewed): at most consider.",
    rationale="The clonidine label asks for caution in severe coronary insufficiency, "
    "conduction disturbances, recent myocardial infarction, cerebrovascular disease and "
    "chronic renal failure, and warns of additive bradycardia and AV block with drugs acting "
    "on the sinus or AV node; lofexidine, the same class, avoids the same patients.",
    reads=(
        *(f"/medical_history/{name}" for name, _ in _CLO_CAUTIONS),
        "derived.medication_classes",
        "derived.current_alpha2",
        "/co_occurring_conditions/coded",
    ),
    cites=(
        Cite(
            "CLON-LABEL",
            "Precautions: coronary, conduction, recent MI, cerebrovascular, renal; "
            "interactions with sinus/AV-node drugs",
        ),
        *history_cites(*(name for name, _ in _CARDIO_RENAL)),
    ),
    limitations=(
        NO_KRATOM_GUIDELINE,
        "Caution, not contraindication: the label does not forbid these patients clonidine.",
        CODED_HISTORY_LIMITATION,
    ),
    apply=_clo_04,
)

RULES = (LOF_01, LOF_02, LOF_03, LOF_04, LOF_05, CLO_01, CLO_02, CLO_03, CLO_04)
