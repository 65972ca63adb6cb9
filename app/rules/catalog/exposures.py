"""Overdose risk, pregnancy, drug screens, diagnosis and treatment strategy (OD, PRG, UDS,
DX, TX)."""

from __future__ import annotations

from app.rules.catalog.alpha2 import both_alpha2
from app.rules.define import (
    AVOID,
    CONSIDER,
    CRITICAL,
    EXTENDED,
    INFO,
    LAB,
    MANAGED,
    MEDICATION,
    NO_KRATOM_GUIDELINE,
    RECOMMENDED,
    REFERRAL,
    STABILIZATION,
    WARNING,
    Cite,
    Family,
    rule,
)
from app.rules.facts import Facts, maintenance, missing_if_dated_after, name_words, sentence
from app.rules.findings import Findings

_NALOXONE_NOTE = "Prescribe naloxone and teach the patient and family to use it."


#: ASAM 1-WM's opioid example excludes daily high-potency opioid use for more than 2 weeks:
#: with fentanyl or a concentrated 7-OH product, an office-based setting is only provisional.
_HIGH_POTENCY_QUESTION = "daily high-potency opioid use for more than 2 weeks not excluded"


def _od_01(f: Facts, out: Findings) -> bool:
    if not f.concentrated:
        if f.product_unknown:
            out.missing(
                "/use_history/product_types",
                "A concentrated 7-OH product is a high-potency opioid: overdose risk, naloxone "
                "and possibly a more intensive setting.",
            )
            out.could_require(EXTENDED, _HIGH_POTENCY_QUESTION + " (product not recorded)")
        return False
    if f.seven_oh:
        out.could_require(EXTENDED, _HIGH_POTENCY_QUESTION + " (concentrated 7-OH)")
        out.alert(
            "overdose_risk_7oh",
            CRITICAL,
            "Concentrated 7-OH product: overdose risk",
            "Concentrated 7-hydroxymitragynine products are potent opioids (FDA: can be more "
            "potent than morphine). Expect more severe withdrawal; " + _NALOXONE_NOTE,
        )
    else:
        if f.seven_oh_possible:  # an "unknown" product beside the extract: 7-OH not excluded
            out.could_require(EXTENDED, _HIGH_POTENCY_QUESTION + " (a product recorded unknown)")
        out.alert(
            "overdose_risk_extract",
            WARNING,
            "Kratom extract: higher-potency exposure",
            "Extracts deliver more alkaloid than leaf; expect more severe withdrawal. "
            + _NALOXONE_NOTE,
        )
    return True


OD_01 = rule(
    "OD-01",
    revision=4,
    family=Family.alert,
    title="Concentrated 7-OH or extract",
    summary="A concentrated 7-OH product (critical) or extract (warning) is a higher-potency "
    "opioid exposure: overdose risk, naloxone; with 7-OH, or the product not recorded, an "
    "office-based (1-WM) setting is only provisional.",
    rationale="In 2025 FDA recommended scheduling concentrated 7-OH products and said 7-OH can "
    "be more potent than morphine; such products are distinct from leaf kratom.",
    reads=("/use_history/product_types", "derived.concentrated_product"),
    cites=(
        Cite("FDA7OH", "7-OH potency and regulatory action"),
        Cite("ASAM3", "1-WM's opioid example: no daily high-potency opioid use > 2 weeks"),
    ),
    limitations=(
        "Product labels are unreliable and the engine relies on the reported product type.",
        "Legal status was a recommendation under DEA review at the time of writing.",
    ),
    apply=_od_01,
)


def _od_02(f: Facts, out: Findings) -> bool:
    if f.substances is None:
        out.missing(
            "/use_history/other_substances",
            "Opioid or sedative co-use raises overdose risk and changes medication safety.",
        )
        out.could_require(EXTENDED, _HIGH_POTENCY_QUESTION + " (other substance use not recorded)")
    if f.fentanyl:
        out.could_require(EXTENDED, _HIGH_POTENCY_QUESTION + " (fentanyl)")
    if not f.opioid_coexposure:
        return False
    detail = (
        "Kratom with other opioids"
        + (" including fentanyl" if f.fentanyl else "")
        + (
            ": overdose risk is highest with co-used opioids. "
            + _NALOXONE_NOTE
            + " Review the level of care; polysubstance use may need more support and higher "
            "buprenorphine doses."
        )
    )
    out.alert("overdose_risk_opioids", CRITICAL, "Opioid co-use: overdose risk", detail)
    return True


OD_02 = rule(
    "OD-02",
    revision=4,
    family=Family.alert,
    title="Opioid or fentanyl co-use",
    summary="Other opioids (by history, medication or urine screen) with kratom: critical "
    "overdose-risk alert and naloxone; with fentanyl, or other substance use not recorded, an "
    "office-based (1-WM) setting is only provisional. Buprenorphine found in a patient "
    "prescribed it is their treatment, not co-use.",
    rationale="Most kratom-associated overdose deaths involved other substances, usually "
    "opioids including fentanyl; polysubstance exposures have higher odds of serious outcomes.",
    reads=("/use_history/other_substances", "derived.opioid_coexposure", "derived.fentanyl"),
    cites=(
        Cite("OLSEN19", "Kratom-detected overdose deaths: other substances usually present"),
        Cite("POST19", "Multi-substance exposures: OR 2.25 for serious outcome"),
        Cite("LEI21", "Polysubstance kratom use may need higher buprenorphine doses"),
        Cite("ASAM3", "1-WM's opioid example: no daily high-potency opioid use > 2 weeks"),
    ),
    limitations=(
        "A positive screen may reflect prescribed use; LAB rules check expected analytes. Only "
        "prescribed buprenorphine is set aside: a prescribed full agonist with kratom still "
        "counts (its overdose risk adds).",
    ),
    apply=_od_02,
)


def benzodiazepine_taken_note(f: Facts) -> str:
    """For a patient who takes a benzodiazepine (FDA 2020 boxed warning): physical dependence
    comes with steady use, and stopping abruptly or cutting quickly can cause life-threatening
    withdrawal seizures."""
    if "benzodiazepine" not in (f.med_classes or ()):
        return ""
    return (
        " A benzodiazepine is already taken: do not stop it abruptly or cut it quickly "
        "(withdrawal seizures can be life-threatening); its prescriber decides any slow taper."
    )


def _od_03(f: Facts, out: Findings) -> bool:
    strong = f.benzodiazepine or f.sedative_other
    if not (strong or f.alcohol):
        return False
    what = ", ".join(
        name
        for name, present in (
            ("benzodiazepines", f.benzodiazepine),
            ("other sedatives", f.sedative_other),
            ("alcohol", f.alcohol),
        )
        if present
    )
    out.alert(
        "overdose_risk_depressants",
        CRITICAL if strong else WARNING,
        "CNS depressant co-use: overdose risk",
        f"Kratom with {what}: additive respiratory depression. {_NALOXONE_NOTE} Do not add "
        "benzodiazepines for kratom withdrawal symptoms (alcohol or sedative withdrawal is "
        "the exception: see the benzodiazepine recommendation)." + benzodiazepine_taken_note(f),
    )
    return True


OD_03 = rule(
    "OD-03",
    revision=3,
    family=Family.alert,
    title="CNS depressant co-use",
    summary="Benzodiazepines or other sedatives (critical) or alcohol (warning) with kratom.",
    rationale="Kratom hazards concentrate in combinations with benzodiazepines, alcohol and "
    "other CNS depressants; opioid labels warn of profound sedation and respiratory "
    "depression with them.",
    reads=(
        "derived.benzodiazepine",
        "derived.sedative_other",
        "derived.alcohol",
        "derived.medication_classes",
    ),
    cites=(
        Cite("POST19", "Poison-centre data on multi-substance exposures"),
        Cite("OLSEN19", "Co-detected substances in overdose deaths"),
        Cite("BUPLABEL", "Respiratory depression with benzodiazepines and alcohol"),
        Cite("FDA-BZD20", "Taken steadily: no abrupt stop or quick cut (withdrawal seizures)"),
    ),
    limitations=("Severity of co-use (dose, frequency) is not captured.",),
    apply=_od_03,
)


def _prg_01(f: Facts, out: Findings) -> bool:
    if not f.pregnant:
        return False
    withdrawal_only = f.withdrawal_only
    out.alert(
        "pregnancy",
        CRITICAL,
        "Pregnancy with kratom dependence",
        "Medication (buprenorphine or methadone) is preferred over withdrawal alone; avoid "
        "abrupt cessation. Confirm at least mild withdrawal before the first buprenorphine "
        "dose. Obstetric and addiction consultation; tell the paediatric team (neonatal "
        "abstinence syndrome is reported after maternal kratom use)."
        + (
            f" No maintenance medication is planned ({f.withdrawal_only_why}): withdrawal "
            "only with informed consent under an experienced physician, in a medically "
            "managed setting."
            if withdrawal_only
            else ""
        ),
    )
    out.recommend(
        STABILIZATION,
        "obstetric_addiction_consult",
        REFERRAL,
        "Obstetric and addiction medicine consultation",
        RECOMMENDED,
        "Coordinate prenatal and addiction care; notify paediatrics before delivery.",
    )
    out.recommend(
        STABILIZATION,
        "buprenorphine",
        MEDICATION,
        "Buprenorphine",
        None,
        "Pregnancy: medication treatment is preferred over withdrawal alone.",
    )
    both_alpha2(
        out,
        CONSIDER,
        "Pregnancy: medication treatment (buprenorphine or methadone) is preferred over "
        "withdrawal management; alpha-2 agonists only as an obstetric-addiction team's decision.",
    )
    if withdrawal_only:
        out.level(
            MANAGED,
            "Pregnancy with a withdrawal-only plan.",
        )
    elif f.flat["/social/preferences/declines_medication"] is None:
        # Declining medication would make this a withdrawal-only plan (4-WM): until the
        # preference is asked, a less intensive setting is provisional (listed by PREF-01).
        out.could_require(MANAGED, "pregnant, and whether medication is declined not recorded")
    return True


PRG_01 = rule(
    "PRG-01",
    revision=5,
    family=Family.alert,
    title="Pregnancy",
    summary="Pregnancy: critical alert, medication treatment over withdrawal alone (lofexidine "
    "and clonidine at most consider), consults; a withdrawal-only plan needs medically "
    "managed inpatient care.",
    rationale="ACOG and ASAM recommend opioid agonist treatment over medically supervised "
    "withdrawal in pregnancy and advise against abrupt discontinuation; neonatal abstinence "
    "syndrome after maternal kratom use is documented.",
    reads=(
        "derived.pregnant",
        "derived.withdrawal_only",
        "/social/preferences/declines_medication",
    ),
    cites=(
        Cite("ACOG711", "Agonist treatment preferred over supervised withdrawal"),
        Cite("NYSPREG", "Confirm at least mild withdrawal before buprenorphine"),
        Cite("NAS", "Neonatal abstinence syndrome after maternal kratom use"),
    ),
    limitations=(
        "Extrapolated from opioid use disorder in pregnancy; no kratom-specific data [L].",
        "Sending withdrawal-only plans to 4-WM is the conservative reading of an "
        "ASAM-derived disposition table (another reading gives 3.7-WM).",
        "ACOG asks for at least mild withdrawal before the first buprenorphine dose (COWS >= "
        "5 is our reading of 'mild' from the COWS bands, not ACOG's number); the engine keeps "
        "its general induction gate (COWS >= 8, BUP-02), the stricter reading against "
        "precipitated withdrawal [L].",
    ),
    apply=_prg_01,
)


def _prg_02(f: Facts, out: Findings) -> bool:
    if not f.pregnancy_unknown:
        return False
    out.missing(
        "/patient/pregnancy_status",
        "Pregnancy changes the preferred treatment and several medications' safety.",
    )
    out.recommend(
        STABILIZATION,
        "pregnancy_test",
        LAB,
        "Pregnancy test",
        RECOMMENDED,
        "Pregnancy status is unknown: test before choosing withdrawal or relapse-prevention "
        "medication.",
    )
    # Pregnancy prefers agonist treatment (PRG-01): until the test, the alpha-2 agonists of a
    # withdrawal-only approach are at most `consider`, and so is the setting such a plan gets.
    both_alpha2(
        out,
        CONSIDER,
        "Pregnancy status unknown: test first (in pregnancy, buprenorphine or methadone is "
        "preferred over withdrawal management).",
    )
    if f.withdrawal_only:
        out.could_require(MANAGED, "pregnancy status unknown with a withdrawal-only plan")
    return True


PRG_02 = rule(
    "PRG-02",
    revision=3,
    family=Family.stabilization,
    title="Pregnancy status unknown",
    summary="If the patient could be pregnant and status is unknown, test before choosing "
    "medication: lofexidine and clonidine at most `consider`, and with a withdrawal-only plan "
    "a setting below 4-WM is only provisional.",
    rationale="Pregnancy changes the recommended strategy (agonist treatment over withdrawal) "
    "and forbids starting naltrexone during active use.",
    reads=("derived.pregnancy_unknown", "derived.withdrawal_only"),
    cites=(
        Cite("ACOG711", "Strategy in pregnancy"),
        Cite("NYSPREG", "Naltrexone not initiated in active use in pregnancy"),
    ),
    limitations=("Age and menopausal status are not used to waive the test.",),
    apply=_prg_02,
)


def _uds_01(f: Facts, out: Findings) -> bool:
    uds = f.a.urine_drug_screen
    if uds is None:
        out.missing(
            "/urine_drug_screen",
            "A drug screen with a kratom-specific assay informs safety and monitoring.",
        )
    result = uds.mitragynine if uds is not None else None
    method = uds.mitragynine_method if uds is not None else None
    if result == "positive" and method == "lc_ms_ms":
        return False
    if result == "positive":
        how = "by immunoassay" if method == "immunoassay" else "(method not recorded)"
        detail = f"Mitragynine screen positive {how}: confirm by LC-MS/MS."
        status = CONSIDER
    elif result == "negative":
        detail = (
            "Mitragynine negative: a negative result depends on the assay cut-off (1-10 ng/mL "
            "across laboratories) and timing; it does not prove abstinence."
        )
        status = CONSIDER
    else:
        detail = (
            "Standard drug-screen panels do not detect kratom: order a mitragynine "
            "(and 7-OH) assay. Never read a negative standard screen as no kratom use."
        )
        status = RECOMMENDED
    out.alert(
        "kratom_not_detected_by_standard_panel",
        INFO,
        "Standard screens do not detect kratom",
        # A result in hand needs no waiting; an assay to order or confirm does.
        detail
        + (
            ""
            if result == "negative"
            else " Results take 5-10 days; decisions now rest on history."
        ),
    )
    out.recommend(
        STABILIZATION,
        "mitragynine_assay",
        LAB,
        "Kratom-specific urine assay (mitragynine, 7-OH)",
        status,
        detail,
    )
    return True


UDS_01 = rule(
    "UDS-01",
    revision=2,
    family=Family.alert,
    title="Kratom-specific testing",
    summary="Unless mitragynine was confirmed by LC-MS/MS: explain that standard panels miss "
    "kratom and order (or confirm) a mitragynine assay.",
    rationale="Standard immunoassay panels do not detect kratom; mitragynine and 7-OH need a "
    "specific screen with LC-MS/MS confirmation. Neonatal withdrawal occurred after a negative "
    "maternal screen.",
    reads=("/urine_drug_screen/mitragynine", "/urine_drug_screen/mitragynine_method"),
    cites=(
        Cite("LABCORP", "Immunoassay 5.0 ng/mL with LC-MS/MS 1.0 ng/mL confirmation"),
        Cite("ARUP", "Specific assay, reported in 6-9 days"),
        Cite("NAS", "Neonatal withdrawal despite a negative maternal screen"),
    ),
    limitations=("Cut-offs differ between laboratories (1-10 ng/mL).",),
    apply=_uds_01,
)

_EXPLAINED_BY: dict[str, frozenset[str]] = {
    "opiates": frozenset({"heroin", "prescription_opioids"}),
    "fentanyl": frozenset({"fentanyl"}),
    "oxycodone": frozenset({"prescription_opioids"}),
    "methadone": frozenset({"methadone"}),
    "buprenorphine": frozenset({"buprenorphine"}),
    "benzodiazepines": frozenset({"benzodiazepines"}),
    "amphetamines": frozenset({"stimulants"}),
    "cocaine": frozenset({"cocaine", "stimulants"}),
    "cannabinoids": frozenset({"cannabis"}),
    "alcohol_etg": frozenset({"alcohol"}),
    "barbiturates": frozenset({"other_sedatives"}),
    "xylazine": frozenset({"xylazine"}),
}
_CLASS_EXPLAINS = {
    "buprenorphine": "buprenorphine",
    "methadone": "methadone",
    "benzodiazepines": "benzodiazepine",
}
#: A prescribed full agonist explains only the screens that detect that drug, so it is read by
#: name: an opiates immunoassay detects morphine and codeine (and hydrocodone, hydromorphone),
#: an oxycodone one oxycodone and oxymorphone; tramadol or tapentadol explain neither, and
#: fentanyl stays unexplained unless listed as prescribed (illicit fentanyl is the danger).
_DETECTED_BY_NAME = {
    "opiates": frozenset(
        {"morphine", "codeine", "hydrocodone", "hydromorphone", "contin", "kadian", "avinza",
         "vicodin", "norco", "lortab", "hysingla", "zohydro", "dilaudid", "exalgo"}
    ),
    "oxycodone": frozenset(
        {"oxycodone", "oxymorphone", "oxycontin", "percocet", "roxicodone", "xtampza", "opana"}
    ),
}  # fmt: skip
#: Maintenance drugs whose own screen should find them: prescribed and not detected is news.
_EXPECTED_BY_CLASS = {"buprenorphine": "buprenorphine", "methadone": "methadone"}


def _medication_words(f: Facts) -> set[str]:
    return {w for m in f.meds or () for w in name_words(m.name)}


def _uds_02(f: Facts, out: Findings) -> bool:
    uds = f.a.urine_drug_screen
    if uds is None:
        return False
    missing_if_dated_after(
        f,
        out,
        "/urine_drug_screen/collected_at",
        uds.collected_at,
        "The urine drug screen is",
        "check the times (it is used as if current)",
    )
    prescribed = {a.value for a in uds.prescribed_analytes}
    substances = f.substances or frozenset()
    classes = f.med_classes or frozenset()
    words = _medication_words(f)
    unexpected = []
    for analyte in sorted(f.uds_positive):
        explained = _EXPLAINED_BY.get(analyte)
        if explained is None or analyte in prescribed or substances & explained:
            continue
        if _CLASS_EXPLAINS.get(analyte) in classes:
            continue
        if "opioid_agonist" in classes and words & _DETECTED_BY_NAME.get(analyte, frozenset()):
            continue
        unexpected.append(analyte)
    expected = prescribed | {a for c, a in _EXPECTED_BY_CLASS.items() if c in classes}
    absent = sorted(a for a in expected if f.screen(a) == "negative")
    if unexpected and f.substances is None:
        out.missing(
            "/use_history/other_substances",
            "Needed to tell expected from unexpected drug-screen results.",
        )
    if not unexpected and not absent:
        return False
    parts = []
    if unexpected:
        parts.append(f"unexpected positive: {', '.join(unexpected)}")
    if absent:
        parts.append(f"prescribed but not detected: {', '.join(absent)}")
    out.alert(
        "unexpected_drug_screen",
        WARNING,
        "Unexpected urine drug screen",
        f"{sentence('; '.join(parts))}. Discuss with the patient without judgement and "
        "confirm by a definitive method before acting; a screen is not a diagnosis.",
    )
    return True


UDS_02 = rule(
    "UDS-02",
    revision=5,
    family=Family.alert,
    title="Unexpected or unexplained drug screen",
    summary="A positive result not explained by reported use or prescriptions (a full agonist "
    "explains only the screens that detect it, by name), or a prescribed drug not detected "
    "(buprenorphine or methadone maintenance included), raises a warning.",
    rationale="CDC advises discussing unexpected results with the patient and confirming them "
    "before changing treatment; unexpected opioids or sedatives change overdose risk.",
    reads=(
        "derived.uds_positive",
        "/urine_drug_screen/collected_at",
        "/urine_drug_screen/prescribed_analytes",
        "/use_history/other_substances",
        "derived.medication_classes",
        "/use_history/current_medications",
    ),
    cites=(Cite("CDC22", "Recommendation 10: toxicology testing and unexpected results"),),
    limitations=("Immunoassays cross-react; confirmation is needed before conclusions.",),
    apply=_uds_02,
)


def _dx_01(f: Facts, out: Findings) -> bool:
    dsm = f.scores.dsm5
    for pointer in dsm.missing:
        out.missing(pointer, "Whether tolerance and withdrawal count toward the DSM-5 criteria.")
    if dsm.value is None:
        out.missing(
            "/dsm5_criteria_met",
            "DSM-5 severity decides how strongly maintenance medication is recommended.",
        )
        return False
    if dsm.value >= 2:
        return False
    if f.remission is not None:
        out.alert(
            "dsm5_remission",
            INFO,
            "DSM-5: in remission, not 'no disorder'",
            f"{dsm.value:g} criteria met now, {f.remission}: DSM-5 reads this as remission "
            "(after 3 months or more without criteria, craving excepted; 'on maintenance "
            "therapy' when so treated), not as no use disorder. Continue treatment and "
            "relapse prevention; the engine does not know how long the criteria have been "
            "absent, so a clinician confirms the specifier.",
        )
        return True
    on = maintenance(f.med_classes or frozenset())
    if f.relapse_suspected:
        out.alert(
            "dsm5_remission_contradicted",
            WARNING,
            "Coded remission, but withdrawal now",
            f"A use disorder in remission is coded, yet COWS {f.scores.cows.value:g} shows "
            "withdrawal now, so the withdrawal criterion looks met: review the DSM-5 criteria "
            "(a relapse is likely) before reading this as remission.",
        )
        return True
    if on is not None:
        other = ", ".join(c.replace("_", " ") for c in f.scores.dsm5.criteria_counted)
        out.alert(
            "dsm5_below_threshold_on_maintenance",
            INFO,
            "DSM-5: below the threshold on maintenance, not remission",
            f"{dsm.value:g} criterion met now ({other}), {on}: below the 2 a use disorder "
            "needs, but not remission (DSM-5 allows only craving in remission). Continue "
            "treatment and relapse prevention; a clinician reviews the criterion.",
        )
        return True
    out.alert(
        "dsm5_not_met",
        INFO,
        "DSM-5 criteria for a use disorder not met",
        f"{dsm.value:g} criteria met (2 needed). Withdrawal may still need management; "
        "maintenance medication is not indicated on this basis alone.",
    )
    return True


DX_01 = rule(
    "DX-01",
    revision=4,
    family=Family.alert,
    title="DSM-5 severity",
    summary="Counts DSM-5 criteria (tolerance and withdrawal excluded under supervised opioid "
    "treatment); fewer than 2 means no use disorder, unless the patient is on maintenance "
    "treatment or a use disorder in remission is coded: then remission when no criterion but "
    "craving is met, else below the threshold on maintenance (care continues either way); a "
    "coded remission with withdrawal now is flagged for review.",
    rationale="DSM-5 requires at least 2 of 11 criteria in 12 months; 2-3 mild, 4-5 moderate, "
    "6+ severe.",
    reads=(
        "scores.dsm5.count",
        "scores.dsm5.severity",
        "derived.remission",
        "derived.medication_classes",
        "/co_occurring_conditions/coded",
        "derived.withdrawal_present",
    ),
    cites=(
        Cite("DSM5", "Criteria, severity bands, supervision exclusion, remission specifiers"),
        Cite("ICD10CM", "Codes read: F19.11, F19.21, F11.11, F11.21 (in remission)"),
    ),
    limitations=("DSM-5 criteria are written for opioids and applied to kratom by substitution.",),
    apply=_dx_01,
)


def _dx_02(f: Facts, out: Findings) -> bool:
    if not f.scores.dsm5.pharmacological_only:
        return False
    out.alert(
        "physical_dependence_only",
        INFO,
        "Physical dependence without other use-disorder features",
        "Only tolerance and withdrawal are met: this may be physical dependence rather than "
        "addiction. Clinician to confirm the diagnosis; the engine does not escalate on it.",
    )
    return True


DX_02 = rule(
    "DX-02",
    family=Family.alert,
    title="Pharmacological criteria only",
    summary="Exactly two criteria, tolerance and withdrawal: flag for clinician review.",
    rationale="People meeting kratom use disorder criteria often do so through tolerance and "
    "withdrawal; two pharmacological criteria alone may be physical dependence.",
    reads=("scores.dsm5.pharmacological_only",),
    cites=(
        Cite("SMITH24", "Criteria profile in kratom use disorder"),
        Cite("DSM5", "Mild = 2-3 criteria"),
    ),
    limitations=(NO_KRATOM_GUIDELINE,),
    apply=_dx_02,
)


def _tx_01(f: Facts, out: Findings) -> bool:
    if not f.withdrawal_only:
        return False
    out.alert(
        "withdrawal_only_not_recommended",
        WARNING,
        "Withdrawal management alone is not recommended",
        f"No maintenance medication is planned ({f.withdrawal_only_why}). Offer maintenance "
        "medication. If the patient still chooses withdrawal only: a slow taper, a "
        "relapse-prevention plan, psychosocial care and naloxone, because lost tolerance "
        "raises the risk of fatal overdose after withdrawal.",
    )
    out.recommend(
        STABILIZATION,
        "withdrawal_only",
        MEDICATION,
        "Withdrawal management without maintenance medication",
        AVOID,
        "Avoid as an isolated strategy; if chosen after counselling, use a slow taper with "
        "relapse prevention, psychosocial care and naloxone.",
    )
    return True


TX_01 = rule(
    "TX-01",
    revision=3,
    family=Family.alert,
    title="Withdrawal only",
    summary="A plan without maintenance medication (withdrawal only considered, medication "
    "declined, or only lofexidine or clonidine considered for a patient on no maintenance "
    "therapy with a use disorder or, in pregnancy, physical dependence) is advised against; "
    "the safer way to do it if chosen.",
    rationale="Withdrawal management alone, without transition to long-term treatment, is "
    "associated with relapse, overdose and death; guidelines recommend offering medication and, "
    "when withdrawal is chosen, a slow taper with relapse prevention.",
    reads=("derived.withdrawal_only",),
    cites=(
        Cite(
            "BCCSU17",
            "Recommendation 6: avoid withdrawal management alone",
            strength="Strong",
            quality="Moderate",
        ),
        Cite("CDC22", "Recommendation 12: detoxification alone not recommended"),
    ),
    limitations=(
        NO_KRATOM_GUIDELINE,
        "Reading a plan that considers only an alpha-2 agonist as withdrawal management without "
        "maintenance medication is the conservative reading: lofexidine and clonidine treat "
        "withdrawal symptoms, not the use disorder [L].",
    ),
    apply=_tx_01,
)

RULES = (OD_01, OD_02, OD_03, PRG_01, PRG_02, UDS_01, UDS_02, DX_01, DX_02, TX_01)
