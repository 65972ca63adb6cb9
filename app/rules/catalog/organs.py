"""Liver injury, QTc and baseline tests (LIV, QT, LAB)."""

from __future__ import annotations

from app.rules import thresholds as th
from app.rules.define import (
    CRITICAL,
    EMERGENCY,
    INFO,
    LAB,
    MANAGED,
    MONITORING,
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
    alpha2_drug,
    classes_of,
    history_cites,
    missing_if_dated_after,
    named_classes,
    sentence,
)
from app.rules.findings import Findings
from app.rules.scores import LIVER_TESTS

_LIVER_READS = (
    "scores.liver.alt_x_uln",
    "scores.liver.ast_x_uln",
    "scores.liver.alp_x_uln",
    "scores.liver.bilirubin_x_uln",
)
_LIVER_LIMIT = (
    "The engine cannot exclude other causes of liver injury (viral, alcohol, other drugs).",
)
QT_DRUGS = ("lofexidine", "methadone", "ondansetron", "hydroxyzine", "loperamide")


def _liv_01(f: Facts, out: Findings) -> bool:
    liver = f.scores.liver
    if liver.pattern is None or liver.hys_law_range:
        return False
    out.alert(
        "liver_injury_pattern",
        INFO,
        f"Liver enzymes raised: {liver.pattern} pattern",
        f"R ratio {liver.r_ratio:g} ({liver.pattern}; >=5 hepatocellular, <=2 cholestatic). "
        "Kratom liver injury is usually cholestatic or mixed, 1-8 weeks after starting.",
    )
    return True


LIV_01 = rule(
    "LIV-01",
    revision=2,
    family=Family.alert,
    title="Liver injury pattern",
    summary="With ALT > 3x or ALP > 2x ULN (injury levels), reports the R ratio and pattern.",
    rationale="The R ratio classifies drug-induced liver injury; kratom injury is typically "
    "cholestatic or mixed (DILIN median R 3.0). Below the injury signal levels (LIV-04) there "
    "is no injury to classify: the ratio of two near-normal values would name a pattern that "
    "is not there.",
    reads=(*_LIVER_READS, "scores.liver.r_ratio", "scores.liver.pattern"),
    cites=(
        Cite("ACG14", "R ratio classification"),
        Cite("LIVERTOX", "Kratom: likely rare cause; cholestatic or mixed; latency 1-8 weeks"),
    ),
    limitations=("R should be computed at injury onset; later values can shift the pattern.",),
    thresholds=(
        th.R_HEPATOCELLULAR,
        th.R_CHOLESTATIC,
        th.LIVER_ALT_WARN_X,
        th.LIVER_ALP_WARN_X,
    ),
    apply=_liv_01,
)


def _bilirubin_normal_everywhere(f: Facts) -> bool:
    """A bilirubin sent without its laboratory's limit, below every published upper limit
    of normal: under half the 2x criterion, so Hy's law is excluded without the limit."""
    labs = f.a.labs
    return (
        labs is not None
        and labs.total_bilirubin_mg_per_dl is not None
        and labs.total_bilirubin_uln_mg_per_dl is None
        and labs.total_bilirubin_mg_per_dl < th.BILIRUBIN_BELOW_EVERY_ULN.value
    )


def _hys_law_not_excluded(f: Facts) -> bool:
    """Bilirubin and an aminotransferase are given, but what is graded does not rule a
    Hy's-law range out (an upper limit of normal is missing)."""
    labs = f.a.labs
    if labs is None or labs.total_bilirubin_mg_per_dl is None:
        return False
    if _bilirubin_normal_everywhere(f):
        return False
    given = [
        x
        for value, x in ((labs.alt_u_per_l, f.liver_x.alt), (labs.ast_u_per_l, f.liver_x.ast))
        if value is not None
    ]
    if not given:
        return False
    bilirubin = f.liver_x.bilirubin
    if bilirubin is not None and bilirubin < th.HYS_BILIRUBIN_X.value:
        return False
    graded_low = all(x is not None and x < th.HYS_AMINOTRANSFERASE_X.value for x in given)
    return not graded_low


def _liv_02(f: Facts, out: Findings) -> bool:
    liver = f.scores.liver
    if liver.hys_law_range is None and not _bilirubin_normal_everywhere(f):
        for pointer in liver.missing:
            if pointer.startswith("/labs/total_bilirubin"):
                out.missing(pointer, "Needed with ALT/AST to check Hy's-law-range injury.")
    if not liver.hys_law_range and _hys_law_not_excluded(f):
        # Values without the laboratory's upper limits cannot be graded, and a Hy's-law
        # range is an emergency: until the limits are recorded, the setting is provisional.
        out.could_require(
            EMERGENCY,
            "liver values without the laboratory's upper limit of normal: Hy's-law range "
            "cannot be excluded",
        )
    if not liver.hys_law_range:
        return False
    out.alert(
        "hys_law",
        CRITICAL,
        "Hy's-law-range liver injury",
        f"Aminotransferase {max(liver.alt_x_uln or 0, liver.ast_x_uln or 0):g}x ULN with "
        f"bilirubin {liver.bilirubin_x_uln:g}x ULN: about 10% risk of liver failure, "
        "transplant or death. Stop kratom, same-day hepatology or emergency evaluation, avoid "
        "hepatotoxic drugs.",
    )
    out.level(EMERGENCY, "Hy's-law-range liver injury.")
    return True


LIV_02 = rule(
    "LIV-02",
    revision=7,
    family=Family.alert,
    title="Hy's law range",
    summary="ALT or AST >= 3x ULN with bilirubin >= 2x ULN: critical, emergency evaluation; "
    "values given without their upper limit of normal that could be in that range: the "
    "setting is only provisional (not for a bilirubin below 1.0 mg/dL, normal in every "
    "published range).",
    rationale="Hy's law identifies hepatocellular injury with impaired function, carrying about "
    "a 10% risk of liver failure or death; kratom cases with bilirubin up to 41 mg/dL are "
    "reported.",
    reads=(
        *_LIVER_READS,
        "/labs/alt_u_per_l",
        "/labs/ast_u_per_l",
        "/labs/total_bilirubin_mg_per_dl",
    ),
    cites=(
        Cite("HYS-FDA09", "Hy's law definition and prognosis"),
        Cite("LIVERTOX", "Severe kratom cholestatic injury"),
        Cite("BILI-REF", "Adult total bilirubin reference ranges: upper limits 1.0-1.2 mg/dL"),
    ),
    limitations=(
        *_LIVER_LIMIT,
        "A bilirubin below 1.0 mg/dL without its laboratory's limit is taken as excluding "
        "Hy's law (it would need a limit below 0.5 mg/dL, none published) [L]: the value "
        "awaits clinical sign-off.",
        "FDA's definition also requires no initial cholestasis; the engine does not apply "
        "that exclusion, so it alerts more often (conservative).",
    ),
    thresholds=(th.HYS_AMINOTRANSFERASE_X, th.HYS_BILIRUBIN_X, th.BILIRUBIN_BELOW_EVERY_ULN),
    apply=_liv_02,
)


def _liv_03(f: Facts, out: Findings) -> bool:
    labs = f.a.labs
    inr = labs.inr if labs is not None else None
    # ALP counts: kratom injury is usually cholestatic or mixed, i.e. ALP-led.
    abnormal = any(x is not None and x > 1 for x in f.liver_x)
    v = f.a.vitals
    confused = v is not None and v.consciousness is not None and v.consciousness != "alert"
    h = f.history
    symptoms = h is not None and bool(h.liver_injury_symptoms)
    high_inr = inr is not None and inr >= th.INR_FAILURE.value
    if abnormal and not high_inr and not confused:
        # With abnormal liver tests, an INR or symptoms not recorded cannot rule liver
        # failure out: they are gaps, and the setting is provisional until they are known.
        if inr is None:
            out.missing("/labs/inr", "With abnormal liver tests, an INR >= 1.5 is liver failure.")
            out.could_require(EMERGENCY, "abnormal liver tests without an INR")
        if not symptoms and (h is None or h.liver_injury_symptoms is None):
            out.missing(
                "/medical_history/liver_injury_symptoms",
                "Jaundice, dark urine or pruritus with abnormal liver tests is an emergency.",
            )
            out.could_require(
                EMERGENCY, "abnormal liver tests; jaundice, dark urine or pruritus not asked"
            )
    if not (high_inr or (abnormal and (confused or symptoms))):
        return False
    if high_inr:
        why = f"INR {inr:g}"
    elif confused:
        why = "abnormal liver tests with altered consciousness"
    else:
        why = "jaundice, dark urine or pruritus with abnormal liver tests"
    out.alert(
        "acute_liver_failure",
        CRITICAL,
        "Possible acute liver failure",
        f"{sentence(why)}: emergency evaluation for acute liver failure.",
    )
    out.level(EMERGENCY, f"Possible acute liver failure ({why}).")
    return True


LIV_03 = rule(
    "LIV-03",
    revision=5,
    family=Family.alert,
    title="Possible acute liver failure",
    summary="INR >= 1.5, or abnormal liver tests with altered consciousness or with jaundice, "
    "dark urine or pruritus: emergency. Abnormal liver tests with the INR or those symptoms "
    "not recorded: the setting is only provisional.",
    rationale="A raised INR or encephalopathy with liver injury marks DILIN moderate-to-severe "
    "injury and possible hepatic failure; kratom cholestatic injury presents with jaundice and "
    "pruritus, and symptoms with abnormal liver tests call for the liver emergency pathway.",
    reads=(
        "/labs/inr",
        "scores.liver.alt_x_uln",
        "scores.liver.ast_x_uln",
        "scores.liver.alp_x_uln",
        "scores.liver.bilirubin_x_uln",
        "/vitals/consciousness",
        "/medical_history/liver_injury_symptoms",
    ),
    cites=(
        Cite("HYS-FDA09", "DILIN severity grades: INR >= 1.5, encephalopathy"),
        Cite("LIVERTOX", "Kratom cholestatic injury: jaundice and pruritus"),
    ),
    limitations=(
        *_LIVER_LIMIT,
        "Anticoagulants raise the INR without liver failure; the engine does not know them.",
        "Symptoms with any liver test above its upper limit are sent to the emergency pathway "
        "(the clinical reference's red-flag list, read conservatively: the list gives no "
        "minimum elevation).",
    ),
    thresholds=(th.INR_FAILURE,),
    apply=_liv_03,
)


def _multiple(x: float) -> str:
    """A multiple of the ULN in words that never reads as the threshold it crossed: 3.0025
    shows as 3.003, not as the 3.0 the score rounds it to."""
    return f"{x:.3f}".rstrip("0").rstrip(".")


def _liv_04(f: Facts, out: Findings) -> bool:
    liver = f.scores.liver
    if liver.hys_law_range:
        return False
    raised_alt = f.liver_x.alt is not None and f.liver_x.alt > th.LIVER_ALT_WARN_X.value
    raised_alp = f.liver_x.alp is not None and f.liver_x.alp > th.LIVER_ALP_WARN_X.value
    if not (raised_alt or raised_alp):
        return False
    what = " and ".join(
        f"{name} {_multiple(x)}x ULN"
        for name, x, raised in (
            ("ALT", f.liver_x.alt, raised_alt),
            ("ALP", f.liver_x.alp, raised_alp),
        )
        if raised and x is not None
    )
    out.alert(
        "liver_injury",
        WARNING,
        "Significant liver enzyme rise",
        f"{what}: stop kratom, repeat liver tests within days, hepatology if rising; apply "
        "hepatic dose adjustments.",
    )
    out.recommend(
        STABILIZATION,
        "liver_panel_repeat",
        LAB,
        "Repeat liver tests within days",
        RECOMMENDED,
        f"{what}: repeat ALT, AST, ALP, bilirubin and INR within days.",
    )
    return True


LIV_04 = rule(
    "LIV-04",
    revision=3,
    family=Family.alert,
    title="Significant liver enzyme rise",
    summary="ALT > 3x ULN or ALP > 2x ULN without Hy's-law range: warning, repeat tests.",
    rationale="These are the drug-induced liver injury signal levels; kratom injury usually "
    "resolves after stopping, but can progress.",
    reads=("scores.liver.alt_x_uln", "scores.liver.alp_x_uln", "scores.liver.hys_law_range"),
    cites=(
        Cite("LIVERTOX", "Most recover after stopping kratom"),
        Cite("HYS-FDA09", "Signal thresholds"),
    ),
    limitations=_LIVER_LIMIT,
    thresholds=(th.LIVER_ALT_WARN_X, th.LIVER_ALP_WARN_X),
    apply=_liv_04,
)


def _liv_05(f: Facts, out: Findings) -> bool:
    h = f.history
    if h is None or h.liver_injury_symptoms is None:
        if f.scores.liver.alt_x_uln is None:  # with tests on file, LIV-03 asks if abnormal
            out.missing(
                "/medical_history/liver_injury_symptoms",
                "Jaundice, dark urine or pruritus call for liver tests now.",
            )
        return False
    if not h.liver_injury_symptoms:
        return False
    if f.scores.liver.alt_x_uln is not None:
        return False
    out.missing("/labs/alt_u_per_l", "Jaundice, dark urine or pruritus need liver tests.")
    out.alert(
        "liver_symptoms_no_labs",
        WARNING,
        "Liver symptoms without liver tests",
        "Jaundice, dark urine or pruritus reported: order liver tests, bilirubin and INR now.",
    )
    out.recommend(
        STABILIZATION,
        "liver_panel",
        LAB,
        "Liver tests (ALT, AST, ALP, bilirubin, INR)",
        RECOMMENDED,
        "Liver symptoms reported and no liver tests on file.",
    )
    return True


LIV_05 = rule(
    "LIV-05",
    revision=2,
    family=Family.alert,
    title="Liver symptoms, no liver tests",
    summary="Jaundice, dark urine or pruritus without liver tests: order them.",
    rationale="Kratom cholestatic injury presents with jaundice and pruritus, 1-8 weeks after "
    "starting.",
    reads=("/medical_history/liver_injury_symptoms", "scores.liver.alt_x_uln"),
    cites=(Cite("LIVERTOX", "Presentation and latency of kratom liver injury"),),
    limitations=_LIVER_LIMIT,
    apply=_liv_05,
)


_QT_CONSIDERED = ("lofexidine", "methadone")


def _qt_considered(f: Facts) -> list[str]:
    """The QT-prolonging treatments being considered and not already taken."""
    taken = {d for m in f.meds or () for d in (*named_classes(m), alpha2_drug(m)) if d}
    return [d for d in _QT_CONSIDERED if d in f.a.considering and d not in taken]


def qt_critical(f: Facts) -> bool:
    """QT-01's critical tier, in which it advises against every QT-prolonging drug:
    congenital long QT, QTc >= 500 ms, or a prolonged QTc with a QT drug already taken."""
    h = f.history
    band = f.scores.qtc.band
    return (
        bool(h is not None and h.congenital_long_qt)
        or band == "high_risk"
        or (band == "prolonged" and bool(qt_drugs_taken(f) or _qt_considered(f)))
    )


def qt_drugs_taken(f: Facts) -> list[str]:
    """The names of current medications that prolong QT (tagged so, methadone by tag or name,
    or lofexidine)."""
    return [
        m.name
        for m in f.meds or ()
        if {"qt_prolonging", "methadone"} & classes_of(m) or alpha2_drug(m) == "lofexidine"
    ]


def _qt_combination(f: Facts, out: Findings) -> bool:
    """Two or more QT-prolonging drugs, taken or being added, with a QTc that is normal or not
    on file: QT effects stack, so an ECG before adding another and monitoring on treatment."""
    taken = qt_drugs_taken(f)
    # The same drug by brand or generic name (Methadose, Lucemyra) is not a second one.
    adding = _qt_considered(f)
    if len(taken) + len(adding) < 2:
        return False
    qtc = f.scores.qtc
    on_file = f"QTc {qtc.value:g} ms on file" if qtc.value is not None else "no QTc on file"
    drugs = ", ".join([*taken, *adding])
    if adding:
        advice = (
            f"ECG before adding {' or '.join(adding)} ({on_file}); correct potassium and "
            "magnesium; repeat the ECG on treatment."
        )
    else:
        advice = f"ECG monitoring ({on_file}); an ECG before adding another QT drug."
    out.alert(
        "qt_drug_combination",
        WARNING,
        "QT-prolonging drugs combined",
        f"{len(taken) + len(adding)} QT-prolonging drugs ({drugs}): their QT effects add up. "
        + advice,
    )
    return True


def _qt_01(f: Facts, out: Findings) -> bool:
    qtc = f.scores.qtc
    h = f.history
    congenital = bool(h is not None and h.congenital_long_qt)
    classes = f.med_classes or frozenset()
    if qtc.band in (None, "normal") and not congenital:
        return _qt_combination(f, out)
    considered = _qt_considered(f)
    if congenital or qtc.band == "high_risk":
        severity = CRITICAL
        why = "Congenital long QT syndrome" if congenital else f"QTc {qtc.value:g} ms (>= 500)"
    elif qt_drugs_taken(f):
        severity = CRITICAL
        why = f"QTc {qtc.value:g} ms (prolonged) with a QT-prolonging drug"
    elif considered:
        severity = CRITICAL
        why = f"QTc {qtc.value:g} ms (prolonged) with {' or '.join(considered)} considered"
    else:
        severity = WARNING
        why = f"QTc {qtc.value:g} ms (prolonged, >= {qtc.prolonged_threshold_ms} ms)"
    # In the prolonged band (450-500 ms) a QT drug is not the reason to avoid itself: one
    # taken is monitored, not stopped abruptly, and one considered alone is weighed by its
    # own rule (LOF-03, MTD-01; KRANTZ09: discuss and monitor). Two considered together
    # would stack, so each stays advised against.
    exempt: dict[str, str] = {}
    if qtc.band == "prolonged" and not congenital:
        if "methadone" in classes:
            exempt["methadone"] = (
                "methadone already taken: discuss risks and benefits and monitor more often "
                "(reduce or switch only above 500 ms)"
            )
        if "lofexidine" in f.current_alpha2:
            exempt["lofexidine"] = "lofexidine already taken: ECG monitoring, as its label asks"
        if len(considered) == 1 and not qt_drugs_taken(f):
            exempt[considered[0]] = (
                f"{considered[0]} only with ECG monitoring, as its own recommendation says"
            )
    against: tuple[str, ...] = (
        tuple(d for d in QT_DRUGS if d not in exempt) if severity is CRITICAL else ()
    )
    for note in exempt.values():
        why += f"; {note}"
    named = ", ".join(
        d for d in ("lofexidine", "methadone", "ondansetron", "hydroxyzine", "loperamide",
                    "citalopram")
        if d not in exempt
    )  # fmt: skip
    advice = (
        f"Avoid adding QT-prolonging drugs ({named}); correct potassium and magnesium; "
        "repeat ECG; cardiology input."
        if severity is CRITICAL
        else "Prefer alternatives to QT-prolonging drugs (lofexidine, methadone, ondansetron, "
        "hydroxyzine, loperamide, citalopram); if one is needed, correct potassium and "
        "magnesium and repeat the ECG."
    )
    out.alert("qtc_prolongation", severity, "QTc prolongation", f"{why}. {advice}", against)
    if qtc.band == "high_risk":
        out.level(
            MANAGED,
            f"QTc {qtc.value:g} ms: withdrawal with cardiac monitoring.",
        )
    return True


QT_01 = rule(
    "QT-01",
    revision=9,
    family=Family.alert,
    title="QTc prolongation",
    summary="QTc >= 500 ms or congenital long QT (critical; >= 500 also needs 4-WM), or "
    "prolonged QTc (>= 450 ms male, >= 460 ms female) with a QT drug taken (lofexidine and "
    "methadone by name too) or considered (critical; in this band methadone or lofexidine "
    "taken, or a single one considered, is not advised against itself: monitored, KRANTZ09's "
    "discuss-and-monitor band), or alone "
    "(warning); with a normal or unknown QTc, two or more QT-prolonging drugs taken or being "
    "added (warning: ECG before adding another, monitoring).",
    rationale="Mitragynine blocks hERG channels with dose-related QTc prolongation; "
    "ventricular fibrillation at QTc 500-530 ms is reported with kratom. QTc > 500 ms is "
    "highly abnormal, and QT-prolonging drugs stack.",
    reads=(
        "scores.qtc.category",
        "scores.qtc.threshold_ms",
        "/medical_history/congenital_long_qt",
        "derived.medication_classes",
        "/use_history/current_medications",
        "derived.current_alpha2",
        "/considering",
        "/co_occurring_conditions/coded",
    ),
    cites=(
        Cite("RAUTAHARJU09", "Prolonged QTc >= 450 ms men, >= 460 ms women"),
        Cite("LUCEMYRA-PI", "ECG monitoring with other QT-prolonging drugs (e.g. methadone)"),
        Cite("KRANTZ09", "QTc > 500 ms: act; 450-500: discuss and monitor"),
        Cite("LEONG21A", "Dose-related QTc prolongation in kratom users"),
        Cite("LOPERAMIDE-PI", "Loperamide: avoid with QT risk factors and other QT drugs"),
        *history_cites("congenital_long_qt"),
    ),
    limitations=(
        "Bazett correction over-corrects at heart rates above about 85/min, common in "
        "withdrawal; Fridericia is preferred.",
        "Sending QTc >= 500 ms to 4-WM is an engine mapping of ASAM dimension 2 [L].",
        CODED_HISTORY_LIMITATION,
    ),
    thresholds=(th.QTC_PROLONGED_MALE, th.QTC_PROLONGED_FEMALE, th.QTC_HIGH_RISK),
    apply=_qt_01,
)


def _ungraded_liver_tests(f: Facts) -> list[tuple[str, str]]:
    """(ULN pointer, 'ALT 900 U/L') for each liver value given without its upper limit."""
    flat = f.flat
    return [
        (uln, f"{name} {flat[value]:g} {unit}")
        for name, unit, value, uln in LIVER_TESTS
        if flat[value] is not None and flat[uln] is None
    ]


def _lab_01(f: Facts, out: Findings) -> bool:
    labs = f.a.labs
    fired = False
    missing_if_dated_after(
        f,
        out,
        "/labs/collected_at",
        labs.collected_at if labs is not None else None,
        "The laboratory results are",
        "check the times (they are used as if current)",
    )
    age = f.flat["derived.lab_age_days"]
    alt = labs.alt_u_per_l if labs is not None else None
    if alt is None:
        pointer = "/labs/alt_u_per_l"
        why = "Baseline liver tests before buprenorphine and because kratom can injure the liver."
        detail = "No ALT on file: order them"
    elif age is None:
        # Undated results cannot be shown to be current (as for an undated QTc, LOF-04).
        pointer = "/labs/collected_at"
        why = "Liver tests must be current (within 30 days): when were these taken?"
        detail = "The liver tests on file are undated: record when they were taken, or repeat them"
    elif age > th.LFT_MAX_AGE_DAYS.value:
        pointer = "/labs/alt_u_per_l"
        why = "Current liver tests: a baseline before buprenorphine; kratom can injure the liver."
        detail = f"Liver tests are {age:g} days old: repeat them"
    elif f.scores.liver.alt_x_uln is None:
        # ALT without the laboratory's upper limit of normal cannot be graded: it is the
        # limit that is missing, not the test.
        pointer = "/labs/alt_uln_u_per_l"
        why = "Liver injury is graded as multiples of the laboratory's upper limit of normal."
        detail = (
            "ALT is on file without the laboratory's upper limit of normal, so liver injury "
            "cannot be graded: record the reference range, or repeat the tests"
        )
    else:
        pointer = None
    ungraded = _ungraded_liver_tests(f)
    if ungraded:
        # A value without its reference range cannot be graded, but must not read as normal.
        for uln_pointer, _ in ungraded:
            if uln_pointer != pointer:
                out.missing(uln_pointer, "Graded as a multiple of the laboratory's upper limit.")
        shown = ", ".join(text for _, text in ungraded)
        out.alert(
            "liver_tests_ungraded",
            WARNING,
            "Liver tests cannot be graded",
            f"{shown} without the laboratory's upper limit of normal: liver injury (including "
            "Hy's law) cannot be assessed. Obtain the reference range now before relying on "
            "these results.",
        )
        fired = True
    if pointer is not None:
        out.missing(pointer, why)
        out.recommend(
            STABILIZATION,
            "liver_panel",
            LAB,
            "Liver tests (ALT, AST, ALP, bilirubin, INR)",
            RECOMMENDED,
            detail + " (baseline before buprenorphine; kratom can cause liver injury).",
        )
        fired = True
    if labs is None or labs.qtc_ms is None:
        out.missing(
            "/labs/qtc_ms",
            "QTc decides whether lofexidine, methadone and other QT-prolonging drugs are safe.",
        )
        out.recommend(
            STABILIZATION,
            "ecg",
            MONITORING,
            "12-lead ECG",
            RECOMMENDED,
            "No QTc on file: ECG before lofexidine, methadone, ondansetron or hydroxyzine.",
        )
        fired = True
    electrolytes = (
        ("/labs/potassium_mmol_per_l", labs.potassium_mmol_per_l if labs is not None else None),
        ("/labs/magnesium_mmol_per_l", labs.magnesium_mmol_per_l if labs is not None else None),
    )
    unmeasured = [pointer for pointer, value in electrolytes if value is None]
    for pointer in unmeasured:
        out.missing(
            pointer,
            "Electrolytes must be corrected before lofexidine and other QT-prolonging drugs.",
        )
    if unmeasured:
        out.recommend(
            STABILIZATION,
            "electrolytes",
            LAB,
            "Potassium and magnesium",
            RECOMMENDED,
            "Check and correct before lofexidine or other QT-prolonging drugs.",
        )
        fired = True
    return fired


LAB_01 = rule(
    "LAB-01",
    revision=5,
    family=Family.stabilization,
    title="Baseline tests",
    summary="Orders missing, undated or stale (> 30 days) liver tests, ECG and electrolytes; a "
    "liver value without the laboratory's upper limit of normal raises a warning (it cannot "
    "be graded) and that limit is reported missing.",
    rationale="Buprenorphine labelling asks for baseline liver tests; kratom can injure the "
    "liver and prolong QTc; lofexidine labelling asks to correct electrolytes first and to "
    "monitor ECG in at-risk patients.",
    reads=(
        "scores.liver.alt_x_uln",
        "derived.lab_age_days",
        "/labs/collected_at",
        "/labs/alt_u_per_l",
        "/labs/alt_uln_u_per_l",
        "/labs/ast_u_per_l",
        "/labs/ast_uln_u_per_l",
        "/labs/alp_u_per_l",
        "/labs/alp_uln_u_per_l",
        "/labs/total_bilirubin_mg_per_dl",
        "/labs/total_bilirubin_uln_mg_per_dl",
        "/labs/qtc_ms",
        "/labs/potassium_mmol_per_l",
        "/labs/magnesium_mmol_per_l",
    ),
    cites=(
        Cite("BUPLABEL", "Baseline and periodic liver tests"),
        Cite("LIVERTOX", "Kratom liver injury"),
        Cite("LUCEMYRA-PI", "Correct electrolytes; ECG monitoring"),
        Cite("LEONG21A", "QTc effects of kratom"),
    ),
    limitations=("Test intervals are conventions, not trial-derived.",),
    thresholds=(th.LFT_MAX_AGE_DAYS,),
    apply=_lab_01,
)

RULES = (LIV_01, LIV_02, LIV_03, LIV_04, LIV_05, QT_01, LAB_01)
