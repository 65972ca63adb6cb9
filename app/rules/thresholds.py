"""Named clinical thresholds. Each cites its source; `signed_off=False` marks a value our
evidence check could not confirm in a primary source (docs/evidence-verification.md): it needs
clinician sign-off, and the rules that use it say so in their limitations. Where sources
disagree, the value here is the conservative reading (the one that alerts earlier or blocks
more)."""

from __future__ import annotations

from app.rules.types import Threshold


def _t(
    name: str, value: float, unit: str, sources: tuple[str, ...], signed_off: bool, note: str
) -> Threshold:
    return Threshold(name, value, unit, sources, signed_off, note)


# COWS bands (V23 CONFIRMED).
COWS_MILD = _t(
    "cows_mild_min", 5, "COWS points", ("COWS",), True, "5-12 mild; <5 no active withdrawal"
)
COWS_MODERATE = _t("cows_moderate_min", 13, "COWS points", ("COWS",), True, "13-24 moderate")
COWS_MODERATELY_SEVERE = _t(
    "cows_moderately_severe_min", 25, "COWS points", ("COWS",), True, "25-36 moderately severe"
)
COWS_SEVERE = _t("cows_severe_min", 37, "COWS points", ("COWS",), True, ">36 severe")

# Buprenorphine standard induction (V01, V02).
BUP_MIN_COWS = _t(
    "bup_induction_min_cows",
    8,
    "COWS points",
    ("ACEP-BUPE", "GUO21"),
    False,
    "ASAM's number NOT FOUND; >=8 is the ACEP / ED-protocol convention (range 8-13)",
)
BUP_MIN_COWS_LONG_ACTING = _t(
    "bup_induction_min_cows_long_acting",
    13,
    "COWS points",
    ("ACEP-BUPE",),
    False,
    "ACEP: at least moderate withdrawal after methadone or other long-acting opioids",
)
BUP_MIN_HOURS_KRATOM = _t(
    "bup_min_hours_kratom",
    8,
    "hours",
    ("LEI21",),
    True,
    "Induction as early as 8 h after last kratom use (3 cases)",
)
BUP_MIN_HOURS_SHORT_ACTING = _t(
    "bup_min_hours_short_acting_opioid",
    12,
    "hours",
    ("BUPLABEL",),
    False,
    "Label floor is 4 h; 12 h is practice convention; also applied to 7-OH concentrates",
)
BUP_MIN_HOURS_EXTENDED_RELEASE = _t(
    "bup_min_hours_extended_release_opioid",
    24,
    "hours",
    ("BUPLABEL",),
    False,
    "Practice convention for cold induction after extended-release opioids (> 24 h; clinical "
    "reference 4.1)",
)
BUP_MIN_HOURS_METHADONE = _t(
    "bup_min_hours_methadone",
    72,
    "hours",
    ("BUPLABEL",),
    False,
    "Label floor is 24 h; 72 h is practice convention (conservative reading)",
)
KRATOM_DOSE_LOW_G = _t(
    "kratom_dose_low_g_per_day",
    20,
    "g/day",
    ("WEISS21",),
    False,
    "Starting-dose hint from 8 patients; a 28-patient series found no dose correlation",
)
KRATOM_DOSE_HIGH_G = _t(
    "kratom_dose_high_g_per_day",
    40,
    "g/day",
    ("WEISS21",),
    False,
    "Starting-dose hint from 8 patients; no correlation in a 28-patient series",
)

# Lofexidine (V03-V08).
LOF_HOLD_HR = _t(
    "lof_hold_hr_lt",
    50,
    "beats/min",
    ("FISHMAN19",),
    False,
    "Trial adverse-event definition used as the hold rule (extrapolation)",
)
LOF_HOLD_SBP = _t(
    "lof_hold_sbp_lt",
    90,
    "mmHg",
    ("FISHMAN19",),
    False,
    "Trial adverse-event definition used as the hold rule (extrapolation)",
)
LOF_HOLD_DBP = _t(
    "lof_hold_dbp_lt",
    50,
    "mmHg",
    ("FISHMAN19",),
    False,
    "Trial adverse-event definition used as the hold rule (extrapolation)",
)
LOF_CAUTION_HR = _t(
    "lof_caution_hr_lt",
    60,
    "beats/min",
    ("LUCEMYRA-PI",),
    False,
    "Caution tier (recheck before each dose) is a local convention; NOT FOUND",
)
LOF_CAUTION_SBP = _t(
    "lof_caution_sbp_lt",
    100,
    "mmHg",
    ("LUCEMYRA-PI",),
    False,
    "Caution tier (recheck before each dose) is a local convention; NOT FOUND",
)
LOF_MAX_DOSE_MG = _t("lof_max_single_dose_mg", 0.72, "mg", ("LUCEMYRA-PI",), True, "Label")
LOF_MAX_DAILY_MG = _t("lof_max_daily_mg", 2.88, "mg/day", ("LUCEMYRA-PI",), True, "Label")
LOF_MAX_DAYS = _t("lof_max_days", 14, "days", ("LUCEMYRA-PI",), True, "Label")
LOF_RENAL_MILD_EGFR = _t(
    "lof_renal_reduce_egfr_lt",
    90,
    "mL/min/1.73m2",
    ("LUCEMYRA-PI",),
    False,
    "Label: mild/moderate renal impairment 2 tablets QID; eGFR cut points not seen verbatim",
)
LOF_RENAL_SEVERE_EGFR = _t(
    "lof_renal_severe_egfr_lt",
    30,
    "mL/min/1.73m2",
    ("LUCEMYRA-PI",),
    False,
    "Label: severe impairment, ESRD or dialysis 1 tablet QID; cut point not seen verbatim",
)
POTASSIUM_LOW = _t(
    "potassium_low_lt",
    3.5,
    "mmol/L",
    ("LUCEMYRA-PI",),
    False,
    "Label says correct electrolytes first but gives no number; common lab lower limit",
)
MAGNESIUM_LOW = _t(
    "magnesium_low_lt",
    0.74,
    "mmol/L",
    ("LUCEMYRA-PI",),
    False,
    "As above (0.74 mmol/L = 1.8 mg/dL)",
)

# Clonidine (V11: hold values NOT FOUND in a primary source).
CLO_HOLD_SBP = _t("clo_hold_sbp_lt", 90, "mmHg", ("CLON-LABEL",), False, "Secondary protocols")
CLO_HOLD_DBP = _t("clo_hold_dbp_lt", 60, "mmHg", ("CLON-LABEL",), False, "Secondary protocols")
CLO_HOLD_HR = _t(
    "clo_hold_hr_lt",
    50,
    "beats/min",
    ("FISHMAN19",),
    False,
    "'Marked bradycardia' is undefined for clonidine; the lofexidine trial value is borrowed",
)

# QTc (V09 corrected, V10).
QTC_PROLONGED_MALE = _t(
    "qtc_prolonged_male_ms", 450, "ms", ("RAUTAHARJU09",), True, "AHA/ACCF/HRS 2009"
)
QTC_PROLONGED_FEMALE = _t(
    "qtc_prolonged_female_ms",
    460,
    "ms",
    ("RAUTAHARJU09",),
    True,
    "CORRECTED from 470 (AHA/ACCF/HRS 2009, via secondary summaries); 450 when sex unknown",
)
QTC_HIGH_RISK = _t(
    "qtc_high_risk_ms",
    500,
    "ms",
    ("KRANTZ09", "DREW10"),
    True,
    "Inclusive (>=500): Krantz leaves exactly 500 uncovered; conservative reading",
)

# NEWS2 (V12 CONFIRMED).
NEWS2_MEDIUM = _t("news2_medium_min", 5, "NEWS2 points", ("NEWS2",), True, "Key threshold")
NEWS2_HIGH = _t("news2_high_min", 7, "NEWS2 points", ("NEWS2",), True, "Emergency response")
NEWS2_RED = _t("news2_single_parameter_red", 3, "NEWS2 points", ("NEWS2",), True, "Single 3")
OPIOID_TOX_RR = _t(
    "opioid_toxicity_rr_le", 8, "breaths/min", ("NEWS2",), True, "NEWS2 respiration score 3"
)
OPIOID_TOX_SPO2 = _t(
    "opioid_toxicity_spo2_le", 91, "%", ("NEWS2",), True, "NEWS2 SpO2 scale 1 score 3"
)
FEVER_EVAL_C = _t(
    "fever_evaluate_c_ge",
    39.1,
    "degC",
    ("NEWS2",),
    False,
    "NEWS2 temperature score 2; attributing it to infection rather than withdrawal is [L]",
)
FEVER_EVAL_HR = _t(
    "fever_evaluate_hr_ge", 111, "beats/min", ("NEWS2",), False, "NEWS2 pulse score 2"
)

# Liver (V24, V25).
HYS_AMINOTRANSFERASE_X = _t("hys_alt_or_ast_x_uln", 3, "x ULN", ("HYS-FDA09",), True, "Hy's law")
HYS_BILIRUBIN_X = _t(
    "hys_bilirubin_x_uln",
    2,
    "x ULN",
    ("HYS-FDA09",),
    True,
    ">=2x (FDA: >2x); the broader reading over-alerts, which is the safe direction",
)
BILIRUBIN_BELOW_EVERY_ULN = _t(
    "bilirubin_below_every_uln_mg_dl",
    1.0,
    "mg/dL",
    ("BILI-REF",),
    False,
    "the lowest upper limit of normal in the reference ranges read; below it, total bilirubin "
    "is under 2x any laboratory limit of 0.5 mg/dL or more, so Hy's law is excluded without "
    "the laboratory's own limit",
)
R_HEPATOCELLULAR = _t("r_ratio_hepatocellular_ge", 5, "ratio", ("ACG14",), True, "ACG 2014")
R_CHOLESTATIC = _t("r_ratio_cholestatic_le", 2, "ratio", ("ACG14",), True, "ACG 2014")
LIVER_ALT_WARN_X = _t("liver_alt_warn_x_uln", 3, "x ULN", ("LIVERTOX", "HYS-FDA09"), True, "")
LIVER_ALP_WARN_X = _t("liver_alp_warn_x_uln", 2, "x ULN", ("LIVERTOX", "HYS-FDA09"), True, "")
INR_FAILURE = _t(
    "inr_acute_liver_failure_ge",
    1.5,
    "INR",
    ("HYS-FDA09",),
    True,
    "DILIN grade: INR >=1.5 marks at least moderate injury; treated as possible failure",
)
LFT_MAX_AGE_DAYS = _t(
    "lft_max_age_days",
    30,
    "days",
    ("BUPLABEL",),
    False,
    "Label says baseline and periodic LFTs; the 30-day window is a convention",
)

ECG_MAX_AGE_DAYS = _t(
    "ecg_max_age_days",
    30,
    "days",
    ("KRANTZ09",),
    False,
    "The methadone panel's 30-day ECG window, applied to lofexidine (also QT-prolonging) "
    "by analogy",
)

# NSAIDs and kidney function (AGS Beers 2023, Table 6).
NSAID_AVOID_EGFR = _t(
    "nsaid_avoid_egfr",
    30,
    "mL/min/1.73 m2",
    ("BEERS23",),
    False,
    "Beers: avoid NSAIDs at creatinine clearance < 30 mL/min (adults >= 65); applied as eGFR "
    "at every age",
)

# Currency of vital signs: NEWS2's response table asks for observations at least 12-hourly
# (score 0); a set older than that is not a current set.
VITALS_MAX_AGE_HOURS = _t(
    "vitals_max_age_hours",
    12,
    "hours",
    ("NEWS2",),
    False,
    "NEWS2's least frequent observation interval (12-hourly at score 0), used as the age past "
    "which vital signs are not current",
)

# Kratom withdrawal onset (clinical reference 3.3, [L]: no prospective timing study): onset
# within about 12-24 h of the last dose. Before its upper end a low COWS cannot show that
# withdrawal has resolved: it may not have begun.
WITHDRAWAL_ONSET_MAX_HOURS = _t(
    "withdrawal_onset_max_hours",
    24,
    "hours",
    ("SINGH14", "LEI21"),
    False,
    "Upper end of the ~12-24 h onset window (secondary sources; configurable)",
)

# Naltrexone (V13).
NTX_OPIOID_FREE_DAYS = _t(
    "ntx_opioid_free_days", 10, "days", ("VIVITROL-PI",), True, "Upper end of the 7-10 days"
)
NTX_AFTER_AGONIST_DAYS = _t(
    "ntx_opioid_free_days_after_agonist_or_7oh",
    14,
    "days",
    ("VIVITROL-PI",),
    False,
    "Label: up to 2 weeks after buprenorphine or methadone; 7-OH treated alike [L]",
)

# Screening instruments (V15-V19).
PHQ9_POSITIVE = _t("phq9_positive_ge", 10, "PHQ-9 points", ("PHQ9",), True, "Sens/spec 88%")
GAD7_POSITIVE = _t("gad7_positive_ge", 10, "GAD-7 points", ("GAD7",), True, "Further evaluation")
PCL5_CUTOFF = _t(
    "pcl5_positive_ge",
    31,
    "PCL-5 points",
    ("PCL5",),
    True,
    "Published 31-33; the low end is the sensitive choice for screening",
)
DAST10_INTENSIVE = _t(
    "dast10_intensive_assessment_ge",
    6,
    "DAST-10 points",
    ("DAST10",),
    False,
    "6-8 substantial, 9-10 severe: intensive assessment",
)
AUDITC_MALE = _t("auditc_positive_male_ge", 4, "AUDIT-C points", ("AUDITC",), False, "V16")
AUDITC_FEMALE = _t(
    "auditc_positive_female_ge",
    3,
    "AUDIT-C points",
    ("AUDITC",),
    False,
    "Also used when sex is not male (conservative)",
)

# Aftercare (clinical reference section 8).
CONTINUING_CARE_MONTHS = _t(
    "continuing_care_min_months",
    12,
    "months",
    ("MCKAY21",),
    False,
    "Longer continuing care helps; 12 months is a practical default [L]",
)
