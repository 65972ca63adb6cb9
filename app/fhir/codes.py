"""Code systems and the code tables the inbound mapping understands.

Every LOINC code carries its LOINC long common name. ``CONFIRMED`` lists the codes whose
meaning was checked against a published source while writing this table (HL7 FHIR R4
vital-signs profile, the CDC Opioid CDS IG value sets ``cqframework/opioid-cds-r4``, LOINC
long names in published code tables, the Labcorp 38091 LOINC map); the others are from the
LOINC names as remembered and need a review against loinc.org before clinical use.
"""

from __future__ import annotations

from typing import Final

from app.rules.facts import ALPHA2_NAMES
from app.schemas.assessment import Analyte, MedicationClass

LOINC: Final = "http://loinc.org"
SNOMED: Final = "http://snomed.info/sct"
ICD10CM: Final = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM: Final = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM: Final = "http://unitsofmeasure.org"
V3_INTERPRETATION: Final = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
CONDITION_CLINICAL: Final = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION: Final = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
US_CORE_BIRTHSEX: Final = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"
ORDINAL_VALUE: Final = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
ITEM_WEIGHT: Final = "http://hl7.org/fhir/StructureDefinition/itemWeight"

# Questionnaires with no LOINC panel get our own canonical URLs (the AHRQ local-code
# precedent in anchors.md A5); their item linkIds are documented in instruments.py.
LOCAL_QUESTIONNAIRE_BASE: Final = "https://kratom-cds.dev/fhir/Questionnaire/"

# --------------------------------------------------------------------------- conditions
# A seizure as an event, not a disorder: ICD-10-CM R56 "Convulsions, not elsewhere classified"
# (R56.0x febrile, R56.1 post-traumatic, R56.9 unspecified) and SNOMED CT 91175000 "Seizure
# (finding)". With an onset time they say when it happened (epilepsy codes do not).
SEIZURE_EVENT_ICD10CM_PREFIX: Final = "R56"
SEIZURE_EVENT_SNOMED: Final = frozenset({"91175000"})

# --------------------------------------------------------------------------- vital signs
# HL7 FHIR R4 vital-signs profile, valueset-observation-vitalsignresult (anchors.md (a)).
HEART_RATE: Final = "8867-4"  # Heart rate
RESPIRATORY_RATE: Final = "9279-1"  # Respiratory rate
BODY_TEMPERATURE: Final = "8310-5"  # Body temperature
BODY_WEIGHT: Final = ("29463-7", "3141-9")  # Body weight; Body weight Measured
SPO2: Final = (
    "59408-5",
    "2708-6",
)  # O2 sat in Arterial blood by Pulse oximetry; O2 sat in Arterial blood
INHALED_O2_FLOW: Final = "3151-8"  # Inhaled oxygen flow rate (US Core pulse-oximetry component)
INHALED_O2_CONCENTRATION: Final = "3150-0"  # Inhaled oxygen concentration
SYSTOLIC: Final = "8480-6"  # Systolic blood pressure
DIASTOLIC: Final = "8462-4"  # Diastolic blood pressure
# 85354-9 Blood pressure panel with all children optional (FHIR vital-signs profile);
# 55284-4 Blood pressure systolic and diastolic (what Synthea sends, SOURCES.md).
BP_PANELS: Final = ("85354-9", "55284-4")
VITALS_PANEL: Final = "85353-1"  # members are separate Observations, mapped on their own

# --------------------------------------------------------------------------- labs
# code -> (analyte key in units.LAB_UNITS, human label). Specimen matters: whole-blood
# codes (Synthea's 6298-4 potassium, 38483-4 creatinine) are not serum values and are
# reported, not mapped.
LAB_CODES: Final[dict[str, str]] = {
    "1742-6": "alt",  # Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma
    "1920-8": "ast",  # Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma
    "6768-6": "alp",  # Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma
    "1975-2": "bilirubin",  # Bilirubin.total [Mass/volume] in Serum or Plasma
    "6301-6": "inr",  # INR in Platelet poor plasma by Coagulation assay
    "34714-6": "inr",  # INR in Blood by Coagulation assay
    "2823-3": "potassium",  # Potassium [Moles/volume] in Serum or Plasma
    "19123-9": "magnesium",  # Magnesium [Mass/volume] in Serum or Plasma
    "2601-3": "magnesium",  # Magnesium [Moles/volume] in Serum or Plasma
    "2160-0": "creatinine",  # Creatinine [Mass/volume] in Serum or Plasma
    "14682-9": "creatinine",  # Creatinine [Moles/volume] in Serum or Plasma (needs review)
    # GFR/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or Blood by ...
    "33914-3": "egfr",  # ... Creatinine-based formula (MDRD)
    "62238-1": "egfr",  # ... Creatinine-based formula (CKD-EPI)
    "98979-8": "egfr",  # ... Creatinine-based formula (CKD-EPI 2021)
    "8636-3": "qtc",  # Q-T interval corrected
}

# --------------------------------------------------------------------------- pregnancy
PREGNANCY_STATUS: Final = "82810-3"  # Pregnancy status (needs review)
PREGNANCY_STATUS_VALUES: Final[dict[str, str]] = {  # SNOMED CT answers
    "77386006": "pregnant",  # Pregnant (finding)
    "60001007": "not_pregnant",  # Not pregnant (finding)
    "261665006": "unknown",  # Unknown (qualifier value)
}
PREGNANCY_TEST: Final = ("2106-3",)  # Choriogonadotropin (pregnancy test) [Presence] in Urine

# --------------------------------------------------------------------------- urine drug screen
# Qualitative ([Presence]) urine codes only: a quantitative result needs the lab's cut-off,
# which only its interpretation carries.
UDS_CODES: Final[dict[str, Analyte]] = {
    "19295-5": Analyte.opiates,  # Opiates [Presence] in Urine by Screen method
    "59673-4": Analyte.fentanyl,  # fentaNYL [Presence] in Urine by Screen method
    "19642-8": Analyte.oxycodone,  # oxyCODONE [Presence] in Urine by Screen method
    "19550-3": Analyte.methadone,  # Methadone [Presence] in Urine by Screen method
    "93494-3": Analyte.buprenorphine,  # Buprenorphine [Presence] in Urine by Screen method
    "3414-0": Analyte.buprenorphine,  # Buprenorphine [Presence] in Urine
    "58359-1": Analyte.buprenorphine,  # Buprenorphine+Norbuprenorphine [Presence] in Urine, Screen
    "14316-4": Analyte.benzodiazepines,  # Benzodiazepines [Presence] in Urine by Screen method
    "19343-3": Analyte.amphetamines,  # Amphetamines [Presence] in Urine by Screen method
    "19359-9": Analyte.cocaine,  # Cocaine [Presence] in Urine by Screen method
    "18282-4": Analyte.cannabinoids,  # Cannabinoids [Presence] in Urine by Screen method
    "19270-8": Analyte.barbiturates,  # Barbiturates [Presence] in Urine by Screen method
    # Labcorp 38091 LOINC map (anchors.md (a)): kratom screen (immunoassay, 5.0 ng/mL) and
    # mitragynine confirmation (LC-MS/MS, 1.0 ng/mL). Needs review against loinc.org.
    "75649-4": Analyte.mitragynine,
    "72732-1": Analyte.mitragynine,
}
MITRAGYNINE_SCREEN: Final = "75649-4"
MITRAGYNINE_CONFIRMATION: Final = "72732-1"
# No confirmed code yet for 7-hydroxymitragynine, ethyl glucuronide or xylazine: such
# results are reported as unrecognised codes, never matched by display text.

CONFIRMED: Final = frozenset(
    {
        HEART_RATE, RESPIRATORY_RATE, BODY_TEMPERATURE, *BODY_WEIGHT, *SPO2, SYSTOLIC,
        DIASTOLIC, *BP_PANELS, VITALS_PANEL, "1742-6", "1920-8", "1975-2", "6768-6",
        "33914-3", "19295-5", "59673-4", "19642-8", "19550-3", "93494-3", "3414-0",
        "58359-1", "14316-4", "19343-3", "19359-9", "18282-4", "19270-8", "2106-3",
    }
)  # fmt: skip

# Qualitative result answers.
POSITIVE_CODES: Final = frozenset(
    {
        (SNOMED, "10828004"),  # Positive
        (SNOMED, "260373001"),  # Detected
        (SNOMED, "52101004"),  # Present
        (V3_INTERPRETATION, "POS"),
        (V3_INTERPRETATION, "DET"),
    }
)
NEGATIVE_CODES: Final = frozenset(
    {
        (SNOMED, "260385009"),  # Negative
        (SNOMED, "260415000"),  # Not detected
        (SNOMED, "2667000"),  # Absent
        (V3_INTERPRETATION, "NEG"),
        (V3_INTERPRETATION, "ND"),
    }
)
POSITIVE_WORDS: Final = frozenset({"positive", "detected", "present"})
NEGATIVE_WORDS: Final = frozenset({"negative", "not detected", "absent", "none detected"})

# --------------------------------------------------------------------------- medications
# RxNorm *ingredient* RxCUIs (RxNav) -> classes the safety rules reason about. Product-level
# codes (SCD/SBD) are not expanded to ingredients here, so their classes stay empty and are
# reported. Class sources: FDA labels (boxed warnings / warnings sections) as cited.
_OPIOID = (MedicationClass.opioid_agonist,)
_BENZO = (MedicationClass.benzodiazepine,)
_ALPHA2 = (
    MedicationClass.alpha2_agonist,
    MedicationClass.bp_lowering,
    MedicationClass.hr_lowering,
)
RXNORM_CLASSES: Final[dict[str, tuple[str, tuple[MedicationClass, ...]]]] = {
    "1819": ("buprenorphine", (MedicationClass.buprenorphine,)),
    # Methadone label: boxed warning for QT prolongation.
    "6813": ("methadone", (MedicationClass.methadone, MedicationClass.qt_prolonging)),
    "7243": ("naltrexone", (MedicationClass.naltrexone,)),
    "2599": ("clonidine", _ALPHA2),
    "7052": ("morphine", _OPIOID),
    "7804": ("oxycodone", _OPIOID),
    "5489": ("hydrocodone", _OPIOID),
    "4337": ("fentanyl", _OPIOID),
    "3423": ("hydromorphone", _OPIOID),
    # Tramadol label: serotonin syndrome warning.
    "10689": ("tramadol", (MedicationClass.opioid_agonist, MedicationClass.serotonergic)),
    "596": ("alprazolam", _BENZO),
    "6470": ("lorazepam", _BENZO),
    "3322": ("diazepam", _BENZO),
    "2598": ("clonazepam", _BENZO),
    # FDA 2019 safety communication: respiratory depression with gabapentinoids.
    "25480": ("gabapentin", (MedicationClass.other_cns_depressant,)),
    "187832": ("pregabalin", (MedicationClass.other_cns_depressant,)),
    # FDA 2011 safety communication: dose-dependent QT prolongation with citalopram.
    "2556": ("citalopram", (MedicationClass.serotonergic, MedicationClass.qt_prolonging)),
    "321988": ("escitalopram", (MedicationClass.serotonergic,)),
    "36437": ("sertraline", (MedicationClass.serotonergic,)),
    "26225": ("ondansetron", (MedicationClass.qt_prolonging,)),
}
#: Generic and brand names by ingredient: EHRs usually code orders at product level (SCD/SBD,
#: e.g. 1049621 "oxycodone hydrochloride 5 MG Oral Tablet"), which the ingredient table above
#: does not hold, so the ingredient is also recognised by name in the text or displays.
DRUG_NAMES: Final[dict[str, tuple[str, ...]]] = {
    **{name: (name,) for name, _classes in RXNORM_CLASSES.values()},
    "buprenorphine": ("buprenorphine", "suboxone", "subutex", "zubsolv", "sublocade", "brixadi"),
    **ALPHA2_NAMES,  # the rules recognise current alpha-2 agonists by the same names
    "naltrexone": ("naltrexone", "vivitrol", "revia"),
}
CLASSES_BY_NAME: Final[dict[str, tuple[MedicationClass, ...]]] = {
    **{name: classes for name, classes in RXNORM_CLASSES.values()},
    # Lofexidine label (LUCEMYRA-PI): hypotension, bradycardia, QT prolongation. No RxCUI in
    # the reviewed table yet, so it is known by name only.
    "lofexidine": (*_ALPHA2, MedicationClass.qt_prolonging),
}
