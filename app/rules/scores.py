"""Validated scores derived from an assessment, each with its inputs, gaps and source.

Item values are already validated against each instrument's published ranges by the
assessment model (e.g. COWS pulse accepts only 0, 1, 2, 4); here the totals, bands and
derived flags are computed, never taken from input.
"""

from __future__ import annotations

from typing import NamedTuple

from app.rules import thresholds as th
from app.rules.build import evidence, make
from app.rules.types import Cite
from app.schemas.assessment import AssessmentIn, Dsm5Criterion, Labs, SexAtBirth
from app.schemas.evaluation import (
    AuditCScore,
    CowsScore,
    CssrsScore,
    Dast10Score,
    Dsm5Score,
    Gad7Score,
    LiverScore,
    News2Score,
    Pcl5Score,
    Phq9Score,
    QtcScore,
    Scores,
    SowsScore,
)

_CITE = {
    "cows": evidence(Cite("COWS", "COWS items, total 0-48 and bands")),
    "sows": evidence(Cite("SOWS", "SOWS items and total; no bands")),
    "dsm5": evidence(Cite("DSM5", "11 criteria, severity 2-3 / 4-5 / 6+, supervision rule")),
    "news2": evidence(Cite("NEWS2", "NEWS2 chart 1 and response thresholds")),
    "liver": evidence(Cite("ACG14", "R ratio and injury pattern")),
    "hys": evidence(Cite("HYS-FDA09", "Hy's law")),
    "qtc": evidence(Cite("RAUTAHARJU09", "Prolonged QTc >=450 ms men, >=460 ms women")),
    "phq9": evidence(Cite("PHQ9", "PHQ-9 bands and cut-off")),
    "gad7": evidence(Cite("GAD7", "GAD-7 bands and cut-off")),
    "pcl5": evidence(Cite("PCL5", "PCL-5 cut-off and cluster rule")),
    "cssrs": evidence(Cite("CSSRS", "C-SSRS screener triage levels")),
    "audit_c": evidence(Cite("AUDITC", "AUDIT-C positive thresholds by sex")),
    "dast10": evidence(Cite("DAST10", "DAST-10 scoring (item 3 reversed) and bands")),
}

_PHARMACOLOGICAL = (Dsm5Criterion.tolerance, Dsm5Criterion.withdrawal)
_FEMALE = SexAtBirth.female
_MALE = SexAtBirth.male


def _total(items: list[int] | None, total: int | None) -> int:
    """The instrument total from its items (preferred) or the given total; the assessment
    model guarantees one of them and that they agree."""
    if items is not None:
        return sum(items)
    return total if total is not None else 0


def _band(value: float, cuts: tuple[tuple[float, str], ...], lowest: str) -> str:
    band = lowest
    for cut, name in cuts:
        if value >= cut:
            band = name
    return band


# ----------------------------------------------------------------------------- withdrawal

_COWS_BANDS = (
    (th.COWS_MILD.value, "mild"),
    (th.COWS_MODERATE.value, "moderate"),
    (th.COWS_MODERATELY_SEVERE.value, "moderately_severe"),
    (th.COWS_SEVERE.value, "severe"),
)


def cows_score(a: AssessmentIn) -> CowsScore:
    """COWS total (0-48) and band: <5 none, 5-12 mild, 13-24 moderate, 25-36 moderately
    severe, >36 severe [COWS]."""
    cows = a.withdrawal.cows if a.withdrawal is not None else None
    if cows is None:
        return make(CowsScore, _empty(_CITE["cows"], ["/withdrawal/cows"]))
    total = sum(cows.__dict__.values())
    return make(
        CowsScore,
        {
            "value": total,
            "band": _band(total, _COWS_BANDS, "none"),
            "inputs_used": ("/withdrawal/cows",),
            "missing": (),
            "citation": _CITE["cows"],
        },
    )


def sows_score(a: AssessmentIn) -> SowsScore:
    """SOWS total for trend only; no bands are published [SOWS]."""
    sows = a.withdrawal.sows if a.withdrawal is not None else None
    if sows is None:
        data = _empty(_CITE["sows"], ["/withdrawal/sows"])
        data["version"] = None
        data["maximum"] = None
        return make(SowsScore, data)
    top = 4 if sows.version == "handelsman_16" else 3
    return make(
        SowsScore,
        {
            "value": sum(sows.items),
            "band": None,
            "inputs_used": ("/withdrawal/sows",),
            "missing": (),
            "citation": _CITE["sows"],
            "version": sows.version.value,
            "maximum": top * len(sows.items),
        },
    )


# ----------------------------------------------------------------------------- diagnosis


def dsm5_score(a: AssessmentIn) -> Dsm5Score:
    """DSM-5 criteria count and severity; tolerance and withdrawal are not counted for an
    opioid taken only under medical supervision [DSM5]."""
    criteria = a.dsm5_criteria_met
    if criteria is None:
        data = _empty(_CITE["dsm5"], ["/dsm5_criteria_met"])
        data.update(criteria_counted=(), excluded=(), pharmacological_only=False)
        return make(Dsm5Score, data)
    used = ["/dsm5_criteria_met"]
    missing: list[str] = []
    supervised = a.use_history.prescribed_opioid_under_supervision if a.use_history else None
    excluded: list[str] = []
    counted = [c.value for c in criteria]
    if any(c in _PHARMACOLOGICAL for c in criteria):
        if supervised:
            excluded = [c.value for c in criteria if c in _PHARMACOLOGICAL]
            counted = [c.value for c in criteria if c not in _PHARMACOLOGICAL]
            used.append("/use_history/prescribed_opioid_under_supervision")
        elif supervised is None:
            missing.append("/use_history/prescribed_opioid_under_supervision")
        else:
            used.append("/use_history/prescribed_opioid_under_supervision")
    count = len(counted)
    return make(
        Dsm5Score,
        {
            "value": count,
            "band": "none"
            if count < 2
            else "mild"
            if count < 4
            else "moderate"
            if count < 6
            else "severe",
            "inputs_used": tuple(used),
            "missing": tuple(missing),
            "citation": _CITE["dsm5"],
            "criteria_counted": tuple(counted),
            "excluded": tuple(excluded),
            "pharmacological_only": count == 2 and set(counted) == {"tolerance", "withdrawal"},
        },
    )


# ----------------------------------------------------------------------------- NEWS2


def _rr(v: int) -> int:
    return 3 if v <= 8 else 1 if v <= 11 else 0 if v <= 20 else 2 if v <= 24 else 3


def _spo2(v: int) -> int:
    return 3 if v <= 91 else 2 if v <= 93 else 1 if v <= 95 else 0


def _sbp(v: int) -> int:
    return 3 if v <= 90 else 2 if v <= 100 else 1 if v <= 110 else 0 if v <= 219 else 3


def _pulse(v: int) -> int:
    return (
        3
        if v <= 40
        else 1
        if v <= 50
        else 0
        if v <= 90
        else 1
        if v <= 110
        else (2 if v <= 130 else 3)
    )


def _temp(v: float) -> int:
    # NEWS2 bands are given to one decimal (35.0 / 35.1-36.0 / 36.1-38.0 / 38.1-39.0 / >=39.1).
    t = round(v, 1)
    return 3 if t <= 35.0 else 1 if t <= 36.0 else 0 if t <= 38.0 else 1 if t <= 39.0 else 2


_NEWS2_POINTERS = (
    ("respiration_rate", "/vitals/respiratory_rate_per_min"),
    ("spo2_scale_1", "/vitals/spo2_percent"),
    ("air_or_oxygen", "/vitals/on_supplemental_oxygen"),
    ("systolic_bp", "/vitals/systolic_bp_mmhg"),
    ("pulse", "/vitals/heart_rate_bpm"),
    ("consciousness", "/vitals/consciousness"),
    ("temperature", "/vitals/temperature_c"),
)
_ALL_VITALS_MISSING = [p for _, p in _NEWS2_POINTERS]


def news2_score(a: AssessmentIn) -> News2Score:
    """NEWS2 aggregate with SpO2 scale 1; any single parameter scoring 3 is a red flag
    [NEWS2]. With parameters missing the total is a lower bound (`complete` false)."""
    v = a.vitals
    if v is None:
        data = _empty(_CITE["news2"], list(_ALL_VITALS_MISSING))
        data.update(parameters={}, red_flags=(), complete=False)
        return make(News2Score, data)
    params: dict[str, int] = {}
    if v.respiratory_rate_per_min is not None:
        params["respiration_rate"] = _rr(v.respiratory_rate_per_min)
    if v.spo2_percent is not None:
        params["spo2_scale_1"] = _spo2(v.spo2_percent)
    if v.on_supplemental_oxygen is not None:
        params["air_or_oxygen"] = 2 if v.on_supplemental_oxygen else 0
    if v.systolic_bp_mmhg is not None:
        params["systolic_bp"] = _sbp(v.systolic_bp_mmhg)
    if v.heart_rate_bpm is not None:
        params["pulse"] = _pulse(v.heart_rate_bpm)
    if v.consciousness is not None:
        params["consciousness"] = 0 if v.consciousness == "alert" else 3
    if v.temperature_c is not None:
        params["temperature"] = _temp(v.temperature_c)
    used = [pointer for name, pointer in _NEWS2_POINTERS if name in params]
    missing = [pointer for name, pointer in _NEWS2_POINTERS if name not in params]
    if not params:
        data = _empty(_CITE["news2"], missing)
        data.update(parameters={}, red_flags=(), complete=False)
        return make(News2Score, data)
    total = sum(params.values())
    red = [name for name, points in params.items() if points >= 3]
    if total >= th.NEWS2_HIGH.value:
        band = "high"
    elif total >= th.NEWS2_MEDIUM.value:
        band = "medium"
    elif red:
        band = "low_medium"
    else:
        band = "low"
    return make(
        News2Score,
        {
            "value": total,
            "band": band,
            "inputs_used": tuple(used),
            "missing": tuple(missing),
            "citation": _CITE["news2"],
            "parameters": params,
            "red_flags": tuple(red),
            "complete": not missing,
        },
    )


# ----------------------------------------------------------------------------- liver


def _ratio(value: float | None, uln: float | None) -> float | None:
    return None if value is None or uln is None else value / uln


#: The liver tests graded as multiples of their laboratory's upper limit of normal: name,
#: unit, value pointer, ULN pointer.
LIVER_TESTS = (
    ("ALT", "U/L", "/labs/alt_u_per_l", "/labs/alt_uln_u_per_l"),
    ("AST", "U/L", "/labs/ast_u_per_l", "/labs/ast_uln_u_per_l"),
    ("ALP", "U/L", "/labs/alp_u_per_l", "/labs/alp_uln_u_per_l"),
    (
        "bilirubin",
        "mg/dL",
        "/labs/total_bilirubin_mg_per_dl",
        "/labs/total_bilirubin_uln_mg_per_dl",
    ),
)
_LIVER_POINTERS = tuple((value, uln) for _, _, value, uln in LIVER_TESTS)
_R_HEPATOCELLULAR = th.R_HEPATOCELLULAR.value
_INJURY_ALT = th.LIVER_ALT_WARN_X.value
_INJURY_ALP = th.LIVER_ALP_WARN_X.value
_R_CHOLESTATIC = th.R_CHOLESTATIC.value
_HYS_AMINO = th.HYS_AMINOTRANSFERASE_X.value
_HYS_BILI = th.HYS_BILIRUBIN_X.value


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


class LiverRatios(NamedTuple):
    """Unrounded multiples of the upper limit of normal: what thresholds compare (the score
    shows them rounded to 2 decimals, and 3.004x ULN is above 3x though it shows 3.0)."""

    alt: float | None
    ast: float | None
    alp: float | None
    bilirubin: float | None


def liver_ratios(labs: Labs | None) -> LiverRatios:
    if labs is None:
        return LiverRatios(None, None, None, None)
    return LiverRatios(
        _ratio(labs.alt_u_per_l, labs.alt_uln_u_per_l),
        _ratio(labs.ast_u_per_l, labs.ast_uln_u_per_l),
        _ratio(labs.alp_u_per_l, labs.alp_uln_u_per_l),
        _ratio(labs.total_bilirubin_mg_per_dl, labs.total_bilirubin_uln_mg_per_dl),
    )


def liver_score(a: AssessmentIn) -> LiverScore:
    """Multiples of ULN, R ratio = (ALT/ULN)/(ALP/ULN) with pattern >=5 hepatocellular, 2-5
    mixed, <=2 cholestatic [ACG14], classified only at drug-induced injury levels (ALT > 3x or
    ALP > 2x ULN, or Hy's-law range): the R ratio describes an injury, and below those levels
    a ratio of two near-normal values would name a pattern that is not there. Hy's-law range
    ALT or AST >=3x ULN with bilirubin >=2x ULN [HYS-FDA09]. Thresholds compare unrounded
    ratios; outputs are rounded to 2 decimals."""
    labs = a.labs
    if labs is None:
        data = _empty(_CITE["liver"], ["/labs"])
        data.update(
            alt_x_uln=None,
            ast_x_uln=None,
            alp_x_uln=None,
            bilirubin_x_uln=None,
            r_ratio=None,
            pattern=None,
            hys_law_range=None,
            inr=None,
        )
        return make(LiverScore, data)
    alt, ast, alp, bili = liver_ratios(labs)
    used: list[str] = []
    missing: list[str] = []
    for pointers, ratio in zip(_LIVER_POINTERS, (alt, ast, alp, bili), strict=True):
        if ratio is not None:
            used.extend(pointers)
        else:  # only what was not sent is missing (a value sent without its ULN is not)
            missing.extend(p for p in pointers if getattr(labs, p.rsplit("/", 1)[1]) is None)
    r_ratio = alt / alp if alt is not None and alp else None
    elevated = (
        (alt is not None and alt > 1)
        or (ast is not None and ast > 1)
        or (alp is not None and alp > 1)
    )
    amino = alt if ast is None else ast if alt is None else max(alt, ast)
    hys: bool | None = None
    if amino is not None and bili is not None:
        hys = amino >= _HYS_AMINO and bili >= _HYS_BILI
    elif (amino is not None and amino < _HYS_AMINO) or (bili is not None and bili < _HYS_BILI):
        hys = False
    injury = (
        bool(hys)
        or (alt is not None and alt > _INJURY_ALT)
        or (alp is not None and alp > _INJURY_ALP)
    )
    pattern = None
    if r_ratio is not None and injury:
        pattern = (
            "hepatocellular"
            if r_ratio >= _R_HEPATOCELLULAR
            else "cholestatic"
            if r_ratio <= _R_CHOLESTATIC
            else "mixed"
        )
    if hys:
        band: str | None = "hys_law_range"
    elif elevated:
        band = pattern or "elevated"
    elif alt is not None or ast is not None or alp is not None:
        band = "within_normal_limits"
    else:
        band = None
    if labs.inr is not None:
        used.append("/labs/inr")
    return make(
        LiverScore,
        {
            "value": _round(r_ratio),
            "band": band,
            "inputs_used": tuple(used),
            "missing": tuple(missing),
            "citation": _CITE["hys"] if hys else _CITE["liver"],
            "alt_x_uln": _round(alt),
            "ast_x_uln": _round(ast),
            "alp_x_uln": _round(alp),
            "bilirubin_x_uln": _round(bili),
            "r_ratio": _round(r_ratio),
            "pattern": pattern,
            "hys_law_range": hys,
            "inr": labs.inr,
        },
    )


# ----------------------------------------------------------------------------- QTc


def qtc_threshold(sex: SexAtBirth | None) -> int:
    """Prolonged-QTc threshold for the recorded sex; 450 ms unless female (conservative)."""
    if sex == _FEMALE:
        return int(th.QTC_PROLONGED_FEMALE.value)
    return int(th.QTC_PROLONGED_MALE.value)


def qtc_score(a: AssessmentIn) -> QtcScore:
    """QTc category: normal, prolonged (>=450 ms male, >=460 ms female) or high_risk
    (>=500 ms) [RAUTAHARJU09][KRANTZ09]."""
    sex = a.patient.sex_at_birth
    threshold = qtc_threshold(sex)
    qtc = a.labs.qtc_ms if a.labs is not None else None
    missing = [] if sex in (_FEMALE, _MALE) else ["/patient/sex_at_birth"]
    if qtc is None:
        data = _empty(_CITE["qtc"], ["/labs/qtc_ms", *missing])
        data["prolonged_threshold_ms"] = threshold
        return make(QtcScore, data)
    band = (
        "high_risk"
        if qtc >= th.QTC_HIGH_RISK.value
        else "prolonged"
        if qtc >= threshold
        else "normal"
    )
    return make(
        QtcScore,
        {
            "value": qtc,
            "band": band,
            "inputs_used": ("/labs/qtc_ms",)
            if missing
            else ("/labs/qtc_ms", "/patient/sex_at_birth"),
            "missing": tuple(missing),
            "citation": _CITE["qtc"],
            "prolonged_threshold_ms": threshold,
        },
    )


# ----------------------------------------------------------------------------- screening

_PHQ9_BANDS = ((5, "mild"), (10, "moderate"), (15, "moderately_severe"), (20, "severe"))
_GAD7_BANDS = ((5, "mild"), (10, "moderate"), (15, "severe"))


def phq9_score(a: AssessmentIn) -> Phq9Score:
    """PHQ-9 total and band (5/10/15/20), positive at >=10, item 9 reported [PHQ9]."""
    phq = a.screening.phq9 if a.screening is not None else None
    if phq is None:
        data = _empty(_CITE["phq9"], ["/screening/phq9"])
        data.update(item9=None, positive=None)
        return make(Phq9Score, data)
    total = _total(phq.items, phq.total)
    item9 = phq.items[8] if phq.items is not None else phq.item9
    return make(
        Phq9Score,
        {
            "value": total,
            "band": _band(total, _PHQ9_BANDS, "minimal"),
            "inputs_used": ("/screening/phq9",),
            "missing": () if item9 is not None else ("/screening/phq9/item9",),
            "citation": _CITE["phq9"],
            "item9": item9,
            "positive": total >= th.PHQ9_POSITIVE.value,
        },
    )


def gad7_score(a: AssessmentIn) -> Gad7Score:
    """GAD-7 total and band (5/10/15), positive at >=10 [GAD7]."""
    gad = a.screening.gad7 if a.screening is not None else None
    if gad is None:
        data = _empty(_CITE["gad7"], ["/screening/gad7"])
        data["positive"] = None
        return make(Gad7Score, data)
    total = _total(gad.items, gad.total)
    return make(
        Gad7Score,
        {
            "value": total,
            "band": _band(total, _GAD7_BANDS, "minimal"),
            "inputs_used": ("/screening/gad7",),
            "missing": (),
            "citation": _CITE["gad7"],
            "positive": total >= th.GAD7_POSITIVE.value,
        },
    )


def _pcl5_clusters(items: list[int]) -> bool:
    def count(lo: int, hi: int) -> int:
        return sum(1 for x in items[lo:hi] if x >= 2)

    return count(0, 5) >= 1 and count(5, 7) >= 1 and count(7, 14) >= 2 and count(14, 20) >= 2


def pcl5_score(a: AssessmentIn) -> Pcl5Score:
    """PCL-5 total with the provisional-PTSD cut-off (31) and DSM cluster rule [PCL5]."""
    pcl = a.screening.pcl5 if a.screening is not None else None
    cutoff = int(th.PCL5_CUTOFF.value)
    if pcl is None:
        data = _empty(_CITE["pcl5"], ["/screening/pcl5"])
        data.update(positive=None, cutoff=cutoff, dsm_clusters_met=None)
        return make(Pcl5Score, data)
    total = _total(pcl.items, pcl.total)
    positive = total >= cutoff
    return make(
        Pcl5Score,
        {
            "value": total,
            "band": "provisional_ptsd" if positive else "below_cutoff",
            "inputs_used": ("/screening/pcl5",),
            "missing": (),
            "citation": _CITE["pcl5"],
            "positive": positive,
            "cutoff": cutoff,
            "dsm_clusters_met": _pcl5_clusters(pcl.items) if pcl.items is not None else None,
        },
    )


_CSSRS_LEVEL = {"none": 0, "low": 1, "moderate": 2, "high": 3}


def cssrs_score(a: AssessmentIn) -> CssrsScore:
    """C-SSRS screener risk: high = Q4 or Q5 yes, or suicidal behaviour in the past 3 months
    (unknown recency counts as recent); moderate = Q3 yes or older behaviour; low = Q1/Q2
    only [CSSRS]."""
    c = a.screening.cssrs if a.screening is not None else None
    if c is None:
        data = _empty(_CITE["cssrs"], ["/screening/cssrs"])
        data["complete"] = None
        return make(CssrsScore, data)
    missing: list[str] = []
    if c.suicidal_thoughts:
        for name in ("thoughts_with_method", "intent", "plan_with_intent"):
            if getattr(c, name) is None:
                missing.append(f"/screening/cssrs/{name}")
    recent = c.suicidal_behavior_past_3_months
    if c.suicidal_behavior_lifetime and recent is None:
        missing.append("/screening/cssrs/suicidal_behavior_past_3_months")
    if c.intent or c.plan_with_intent or (c.suicidal_behavior_lifetime and recent is not False):
        level = "high"
    elif c.thoughts_with_method or c.suicidal_behavior_lifetime:
        level = "moderate"
    elif c.wish_to_be_dead or c.suicidal_thoughts:
        level = "low"
    else:
        level = "none"
    return make(
        CssrsScore,
        {
            "value": _CSSRS_LEVEL[level],
            "band": level,
            "inputs_used": ("/screening/cssrs",),
            "missing": tuple(missing),
            "citation": _CITE["cssrs"],
            "complete": not missing,
        },
    )


def audit_c_score(a: AssessmentIn) -> AuditCScore:
    """AUDIT-C positive at >=4 for men and >=3 otherwise (women; unknown sex) [AUDITC]."""
    audit = a.screening.audit_c if a.screening is not None else None
    male = a.patient.sex_at_birth == _MALE
    threshold = int((th.AUDITC_MALE if male else th.AUDITC_FEMALE).value)
    if audit is None:
        data = _empty(_CITE["audit_c"], ["/screening/audit_c"])
        data.update(positive=None, threshold=threshold)
        return make(AuditCScore, data)
    total = _total(audit.items, audit.total)
    positive = total >= threshold
    return make(
        AuditCScore,
        {
            "value": total,
            "band": "positive" if positive else "negative",
            "inputs_used": ("/screening/audit_c", "/patient/sex_at_birth"),
            "missing": () if a.patient.sex_at_birth is not None else ("/patient/sex_at_birth",),
            "citation": _CITE["audit_c"],
            "positive": positive,
            "threshold": threshold,
        },
    )


def dast10_score(a: AssessmentIn) -> Dast10Score:
    """DAST-10 total (item 3 reverse-scored) and band [DAST10]."""
    dast = a.screening.dast10 if a.screening is not None else None
    if dast is None:
        return make(Dast10Score, _empty(_CITE["dast10"], ["/screening/dast10"]))
    total = _total(dast.item_scores(), dast.total)
    band = (
        "none"
        if total == 0
        else "low"
        if total <= 2
        else "moderate"
        if total <= 5
        else "substantial"
        if total <= 8
        else "severe"
    )
    return make(
        Dast10Score,
        {
            "value": total,
            "band": band,
            "inputs_used": ("/screening/dast10",),
            "missing": (),
            "citation": _CITE["dast10"],
        },
    )


# ----------------------------------------------------------------------------- all


def _empty(citation: object, missing: list[str] | tuple[str, ...]) -> dict[str, object]:
    return {
        "value": None,
        "band": None,
        "inputs_used": (),
        "missing": tuple(missing),
        "citation": citation,
    }


def compute_scores(a: AssessmentIn) -> Scores:
    """Every score the rules use, computed from the assessment (never from given totals)."""
    return make(
        Scores,
        {
            "cows": cows_score(a),
            "sows": sows_score(a),
            "dsm5": dsm5_score(a),
            "news2": news2_score(a),
            "liver": liver_score(a),
            "qtc": qtc_score(a),
            "phq9": phq9_score(a),
            "gad7": gad7_score(a),
            "pcl5": pcl5_score(a),
            "cssrs": cssrs_score(a),
            "audit_c": audit_c_score(a),
            "dast10": dast10_score(a),
        },
    )
