"""The assessment: everything the rules read, as the EHR sends it (design.md section 2).

Every group and field is optional unless a rule cannot work without it: what is absent is
reported by the rules as a missing input, never defaulted. Units are part of field names.
Plausibility limits below reject data-entry errors (a heart rate of 400, a temperature of 98
in Celsius); they are not clinical thresholds. Plausible but dangerous values are accepted
and drive alerts.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic.config import JsonDict

from app.schemas.base import (
    IN_THE_FUTURE,
    ApiModel,
    IsoDate,
    StrictBool,
    UtcDateTime,
    Whole,
    cross_field_error,
    field_error,
    unique_items,
)

UNIQUE_ITEMS: JsonDict = {"uniqueItems": True}

# --------------------------------------------------------------------------- vocabularies


class SexAtBirth(StrEnum):
    female = "female"
    male = "male"
    intersex = "intersex"
    unknown = "unknown"


class PregnancyStatus(StrEnum):
    pregnant = "pregnant"
    not_pregnant = "not_pregnant"
    unknown = "unknown"
    not_applicable = "not_applicable"


class Consciousness(StrEnum):
    """ACVPU as used by NEWS2: alert, new confusion, responds to voice, to pain, unresponsive."""

    alert = "alert"
    new_confusion = "new_confusion"
    voice = "voice"
    pain = "pain"
    unresponsive = "unresponsive"


class ScreenResult(StrEnum):
    positive = "positive"
    negative = "negative"
    not_tested = "not_tested"


class Analyte(StrEnum):
    mitragynine = "mitragynine"
    seven_hydroxymitragynine = "seven_hydroxymitragynine"
    opiates = "opiates"
    fentanyl = "fentanyl"
    oxycodone = "oxycodone"
    methadone = "methadone"
    buprenorphine = "buprenorphine"
    benzodiazepines = "benzodiazepines"
    amphetamines = "amphetamines"
    cocaine = "cocaine"
    cannabinoids = "cannabinoids"
    alcohol_etg = "alcohol_etg"
    barbiturates = "barbiturates"
    xylazine = "xylazine"


class KratomAssayMethod(StrEnum):
    immunoassay = "immunoassay"
    lc_ms_ms = "lc_ms_ms"
    unknown = "unknown"


class TestResult(StrEnum):
    positive = "positive"
    negative = "negative"
    not_tested = "not_tested"


class ChildPughClass(StrEnum):
    none = "none"
    a = "A"
    b = "B"
    c = "C"


class KratomProduct(StrEnum):
    leaf_powder = "leaf_powder"
    extract = "extract"
    concentrated_7oh = "concentrated_7oh"
    unknown = "unknown"


class Route(StrEnum):
    oral = "oral"
    smoked = "smoked"
    insufflated = "insufflated"
    injected = "injected"
    other = "other"


class WithdrawalComplication(StrEnum):
    seizure = "seizure"
    delirium = "delirium"
    hallucinations = "hallucinations"
    severe_dehydration = "severe_dehydration"
    other = "other"


class Substance(StrEnum):
    """Substances used besides kratom (not prescribed as directed)."""

    heroin = "heroin"
    fentanyl = "fentanyl"
    prescription_opioids = "prescription_opioids"
    methadone = "methadone"
    buprenorphine = "buprenorphine"
    benzodiazepines = "benzodiazepines"
    other_sedatives = "other_sedatives"
    gabapentinoids = "gabapentinoids"
    alcohol = "alcohol"
    stimulants = "stimulants"
    cocaine = "cocaine"
    cannabis = "cannabis"
    xylazine = "xylazine"
    tobacco = "tobacco"
    other = "other"


class MedicationClass(StrEnum):
    """Classes the safety rules reason about; the caller tags each current medication."""

    opioid_agonist = "opioid_agonist"
    buprenorphine = "buprenorphine"
    methadone = "methadone"
    naltrexone = "naltrexone"
    benzodiazepine = "benzodiazepine"
    other_cns_depressant = "other_cns_depressant"
    qt_prolonging = "qt_prolonging"
    bp_lowering = "bp_lowering"
    hr_lowering = "hr_lowering"
    alpha2_agonist = "alpha2_agonist"
    hepatotoxic = "hepatotoxic"
    cyp3a4_inhibitor = "cyp3a4_inhibitor"
    serotonergic = "serotonergic"
    other = "other"


class Dsm5Criterion(StrEnum):
    """The 11 DSM-5 substance use disorder criteria (APA 2013), applied to kratom."""

    larger_amounts_or_longer = "larger_amounts_or_longer"
    unsuccessful_cut_down = "unsuccessful_cut_down"
    time_spent = "time_spent"
    craving = "craving"
    role_failure = "role_failure"
    social_interpersonal_problems = "social_interpersonal_problems"
    activities_given_up = "activities_given_up"
    hazardous_use = "hazardous_use"
    use_despite_physical_or_psychological_problem = "use_despite_physical_or_psychological_problem"
    tolerance = "tolerance"
    withdrawal = "withdrawal"


class CodeSystem(StrEnum):
    icd10cm = "icd10cm"
    snomedct = "snomedct"


class HousingStatus(StrEnum):
    stable = "stable"
    unstable = "unstable"
    homeless = "homeless"


class EmploymentStatus(StrEnum):
    employed = "employed"
    unemployed = "unemployed"
    student = "student"
    retired = "retired"
    disabled = "disabled"
    other = "other"


class ConsideredTreatment(StrEnum):
    buprenorphine = "buprenorphine"
    lofexidine = "lofexidine"
    clonidine = "clonidine"
    naltrexone = "naltrexone"
    methadone = "methadone"
    withdrawal_only = "withdrawal_only"


class SowsVersion(StrEnum):
    """Handelsman 1987 (16 items scored 0-4) or Gossop 1990 short form (10 items scored 0-3)."""

    handelsman_16 = "handelsman_16"
    gossop_10 = "gossop_10"


# --------------------------------------------------------------------------- field types

PatientRef = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="The EHR's patient identifier, opaque to us and scoped to the tenant.",
        examples=["ehr-patient-4711"],
    ),
]


# --------------------------------------------------------------------------- groups


class Patient(ApiModel):
    patient_ref: PatientRef
    age_years: Annotated[int, Whole(ge=0, le=120)] | None = Field(
        default=None, description="Age in whole years.", examples=[34]
    )
    birth_date: IsoDate | None = Field(
        default=None,
        description="Date of birth (ISO 8601), instead of or with age_years.",
        examples=["1992-03-14"],
    )
    sex_at_birth: SexAtBirth | None = Field(
        default=None,
        description="Sex assigned at birth; selects sex-specific cut-offs (QTc, AUDIT-C).",
        examples=["female"],
    )
    pregnancy_status: PregnancyStatus | None = Field(
        default=None,
        description="Pregnancy status as recorded by the clinician.",
        examples=["not_pregnant"],
    )
    weight_kg: float | None = Field(
        default=None,
        gt=1,
        le=400,
        description="Body weight in kilograms.",
        examples=[72.5],
    )


class Vitals(ApiModel):
    measured_at: UtcDateTime | None = Field(
        default=None,
        description="When the vital signs were taken (UTC offset required).",
        examples=["2026-11-26T14:05:00Z"],
    )
    heart_rate_bpm: Annotated[int, Whole(ge=20, le=300)] | None = Field(
        default=None,
        description="Resting heart rate, beats/min.",
        examples=[92],
    )
    systolic_bp_mmhg: Annotated[int, Whole(ge=40, le=300)] | None = Field(
        default=None,
        description="Systolic blood pressure, mmHg.",
        examples=[138],
    )
    diastolic_bp_mmhg: Annotated[int, Whole(ge=20, le=200)] | None = Field(
        default=None,
        description="Diastolic blood pressure, mmHg; must be below the systolic value.",
        examples=[86],
    )
    respiratory_rate_per_min: Annotated[int, Whole(ge=2, le=80)] | None = Field(
        default=None,
        description="Respiratory rate, breaths/min.",
        examples=[18],
    )
    temperature_c: float | None = Field(
        default=None,
        ge=25,
        le=45,
        description="Body temperature, degrees Celsius.",
        examples=[37.4],
    )
    spo2_percent: Annotated[int, Whole(ge=40, le=100)] | None = Field(
        default=None,
        description="Peripheral oxygen saturation, percent (NEWS2 SpO2 scale 1 is applied).",
        examples=[97],
    )
    on_supplemental_oxygen: StrictBool | None = Field(
        default=None,
        description="Whether the patient is on supplemental oxygen.",
        examples=[False],
    )
    consciousness: Consciousness | None = Field(
        default=None, description="Level of consciousness on the ACVPU scale.", examples=["alert"]
    )

    @field_validator("diastolic_bp_mmhg")
    @classmethod
    def _diastolic_below_systolic(cls, value: int | None, info: ValidationInfo) -> int | None:
        systolic = info.data.get("systolic_bp_mmhg")
        if value is not None and systolic is not None and value >= systolic:
            raise cross_field_error("diastolic pressure must be below systolic pressure")
        return value


class UrineDrugScreen(ApiModel):
    collected_at: UtcDateTime | None = Field(
        default=None,
        description="When the specimen was collected.",
        examples=["2026-11-26T13:40:00Z"],
    )
    mitragynine: ScreenResult | None = Field(
        default=None,
        description="Kratom (mitragynine); standard panels do not detect it (specific assay).",
        examples=["positive"],
    )
    mitragynine_method: KratomAssayMethod | None = Field(
        default=None,
        description="How mitragynine was tested (screen or LC-MS/MS confirmation).",
        examples=["lc_ms_ms"],
    )
    seven_hydroxymitragynine: ScreenResult | None = Field(
        default=None, description="7-hydroxymitragynine (specific assay).", examples=["not_tested"]
    )
    opiates: ScreenResult | None = Field(
        default=None, description="Opiates (morphine/codeine immunoassay).", examples=["negative"]
    )
    fentanyl: ScreenResult | None = Field(
        default=None, description="Fentanyl.", examples=["negative"]
    )
    oxycodone: ScreenResult | None = Field(
        default=None, description="Oxycodone/oxymorphone.", examples=["negative"]
    )
    methadone: ScreenResult | None = Field(
        default=None, description="Methadone.", examples=["negative"]
    )
    buprenorphine: ScreenResult | None = Field(
        default=None, description="Buprenorphine.", examples=["negative"]
    )
    benzodiazepines: ScreenResult | None = Field(
        default=None, description="Benzodiazepines.", examples=["negative"]
    )
    amphetamines: ScreenResult | None = Field(
        default=None, description="Amphetamines.", examples=["negative"]
    )
    cocaine: ScreenResult | None = Field(
        default=None, description="Cocaine.", examples=["negative"]
    )
    cannabinoids: ScreenResult | None = Field(
        default=None, description="Cannabinoids (THC).", examples=["negative"]
    )
    alcohol_etg: ScreenResult | None = Field(
        default=None, description="Alcohol (ethyl glucuronide).", examples=["negative"]
    )
    barbiturates: ScreenResult | None = Field(
        default=None, description="Barbiturates.", examples=["not_tested"]
    )
    xylazine: ScreenResult | None = Field(
        default=None, description="Xylazine.", examples=["not_tested"]
    )
    prescribed_analytes: list[Analyte] = Field(
        json_schema_extra=UNIQUE_ITEMS,
        default_factory=list,
        max_length=14,
        description="Analytes expected to be positive because the patient is prescribed them.",
        examples=[["buprenorphine"]],
    )

    _unique = field_validator("prescribed_analytes")(unique_items)


class Labs(ApiModel):
    collected_at: UtcDateTime | None = Field(
        default=None,
        description="When the blood was drawn or the ECG recorded.",
        examples=["2026-11-26T13:45:00Z"],
    )
    alt_u_per_l: float | None = Field(
        default=None,
        ge=0,
        le=20000,
        description="Alanine aminotransferase, U/L.",
        examples=[48],
    )
    alt_uln_u_per_l: float | None = Field(
        default=None,
        gt=0,
        le=500,
        description="The reporting laboratory's upper limit of normal for ALT, U/L.",
        examples=[40],
    )
    ast_u_per_l: float | None = Field(
        default=None,
        ge=0,
        le=20000,
        description="Aspartate aminotransferase, U/L.",
        examples=[39],
    )
    ast_uln_u_per_l: float | None = Field(
        default=None,
        gt=0,
        le=500,
        description="Upper limit of normal for AST, U/L.",
        examples=[40],
    )
    alp_u_per_l: float | None = Field(
        default=None,
        ge=0,
        le=10000,
        description="Alkaline phosphatase, U/L.",
        examples=[96],
    )
    alp_uln_u_per_l: float | None = Field(
        default=None,
        gt=0,
        le=1000,
        description="Upper limit of normal for ALP, U/L.",
        examples=[120],
    )
    total_bilirubin_mg_per_dl: float | None = Field(
        default=None,
        ge=0,
        le=80,
        description="Total bilirubin, mg/dL.",
        examples=[0.8],
    )
    total_bilirubin_uln_mg_per_dl: float | None = Field(
        default=None,
        gt=0,
        le=10,
        description="Upper limit of normal for total bilirubin, mg/dL.",
        examples=[1.2],
    )
    inr: float | None = Field(
        default=None,
        ge=0.5,
        le=20,
        description="International normalised ratio.",
        examples=[1.0],
    )
    potassium_mmol_per_l: float | None = Field(
        default=None,
        ge=1,
        le=10,
        description="Serum potassium, mmol/L.",
        examples=[4.1],
    )
    magnesium_mmol_per_l: float | None = Field(
        default=None,
        ge=0.1,
        le=5,
        description="Serum magnesium, mmol/L.",
        examples=[0.85],
    )
    creatinine_mg_per_dl: float | None = Field(
        default=None,
        gt=0,
        le=30,
        description="Serum creatinine, mg/dL.",
        examples=[0.9],
    )
    egfr_ml_min_1_73m2: float | None = Field(
        default=None,
        ge=0,
        le=250,
        description="Estimated glomerular filtration rate, mL/min/1.73 m2.",
        examples=[96],
    )
    qtc_ms: Annotated[int, Whole(ge=250, le=800)] | None = Field(
        default=None,
        description="Corrected QT interval from ECG, ms.",
        examples=[428],
    )
    pregnancy_test: TestResult | None = Field(
        default=None, description="Urine or serum hCG result.", examples=["negative"]
    )


class MedicalHistory(ApiModel):
    """Each flag: true = present, false = assessed and absent, omitted = not assessed."""

    prior_overdose: StrictBool | None = Field(
        default=None, description="Any prior opioid or kratom overdose.", examples=[False]
    )
    withdrawal_seizures: StrictBool | None = Field(
        default=None, description="Seizures during any previous withdrawal.", examples=[False]
    )
    complicated_withdrawal: StrictBool | None = Field(
        default=None,
        description="Previous complicated withdrawal (delirium, hallucinations).",
        examples=[False],
    )
    seizure_in_last_24h: StrictBool | None = Field(
        default=None, description="A seizure in the last 24 hours.", examples=[False]
    )
    seizure_disorder: StrictBool | None = Field(
        default=None, description="Known seizure disorder.", examples=[False]
    )
    syncope: StrictBool | None = Field(
        default=None, description="Recent fainting or near-fainting.", examples=[False]
    )
    chest_pain_or_palpitations: StrictBool | None = Field(
        default=None, description="Current chest pain or palpitations.", examples=[False]
    )
    recent_myocardial_infarction: StrictBool | None = Field(
        default=None, description="Myocardial infarction in the last 6 months.", examples=[False]
    )
    severe_coronary_insufficiency: StrictBool | None = Field(
        default=None, description="Severe coronary insufficiency.", examples=[False]
    )
    heart_failure: StrictBool | None = Field(
        default=None, description="Heart failure.", examples=[False]
    )
    bradyarrhythmia: StrictBool | None = Field(
        default=None, description="Known bradyarrhythmia or conduction disease.", examples=[False]
    )
    cerebrovascular_disease: StrictBool | None = Field(
        default=None, description="Stroke or other cerebrovascular disease.", examples=[False]
    )
    chronic_kidney_disease: StrictBool | None = Field(
        default=None, description="Chronic kidney disease.", examples=[False]
    )
    congenital_long_qt: StrictBool | None = Field(
        default=None, description="Congenital long QT syndrome.", examples=[False]
    )
    hepatic_impairment_child_pugh: ChildPughClass | None = Field(
        default=None,
        description="Child-Pugh class of any hepatic impairment, or none.",
        examples=["none"],
    )
    liver_injury_symptoms: StrictBool | None = Field(
        default=None, description="Jaundice, dark urine or pruritus now.", examples=[False]
    )
    failed_outpatient_withdrawal_management: StrictBool | None = Field(
        default=None,
        description="A previous outpatient withdrawal attempt failed.",
        examples=[False],
    )


_COWS_DOC = "COWS item score; only the published anchor values are accepted."


class CowsItems(ApiModel):
    """The 11 COWS items with their published allowed scores (Wesson & Ling 2003)."""

    resting_pulse: Annotated[int, Whole(one_of=(0, 1, 2, 4))] = Field(
        description=f"Resting pulse. {_COWS_DOC}", examples=[1]
    )
    sweating: Annotated[int, Whole(one_of=(0, 1, 2, 3, 4))] = Field(
        description=f"Sweating. {_COWS_DOC}", examples=[1]
    )
    restlessness: Annotated[int, Whole(one_of=(0, 1, 3, 5))] = Field(
        description=f"Restlessness. {_COWS_DOC}", examples=[1]
    )
    pupil_size: Annotated[int, Whole(one_of=(0, 1, 2, 5))] = Field(
        description=f"Pupil size. {_COWS_DOC}", examples=[1]
    )
    bone_joint_aches: Annotated[int, Whole(one_of=(0, 1, 2, 4))] = Field(
        description=f"Bone or joint aches. {_COWS_DOC}", examples=[2]
    )
    runny_nose_tearing: Annotated[int, Whole(one_of=(0, 1, 2, 4))] = Field(
        description=f"Runny nose or tearing. {_COWS_DOC}", examples=[1]
    )
    gi_upset: Annotated[int, Whole(one_of=(0, 1, 2, 3, 5))] = Field(
        description=f"GI upset. {_COWS_DOC}", examples=[2]
    )
    tremor: Annotated[int, Whole(one_of=(0, 1, 2, 4))] = Field(
        description=f"Tremor. {_COWS_DOC}", examples=[1]
    )
    yawning: Annotated[int, Whole(one_of=(0, 1, 2, 4))] = Field(
        description=f"Yawning. {_COWS_DOC}", examples=[1]
    )
    anxiety_irritability: Annotated[int, Whole(one_of=(0, 1, 2, 4))] = Field(
        description=f"Anxiety or irritability. {_COWS_DOC}", examples=[2]
    )
    gooseflesh: Annotated[int, Whole(one_of=(0, 3, 5))] = Field(
        description=f"Gooseflesh skin. {_COWS_DOC}", examples=[0]
    )


class Sows(ApiModel):
    version: SowsVersion = Field(
        description="Which scale: Handelsman 16-item (0-4 each) or Gossop 10-item (0-3 each).",
        examples=["handelsman_16"],
    )
    items: list[Annotated[int, Whole(ge=0, le=4)]] = Field(
        min_length=10,
        max_length=16,
        description="Item scores in the published order; the total is computed.",
        examples=[[2, 1, 1, 1, 1, 0, 1, 1, 1, 3, 2, 1, 0, 1, 1, 3]],
    )

    @model_validator(mode="after")
    def _items_match_version(self) -> Sows:
        expected, top = (16, 4) if self.version is SowsVersion.handelsman_16 else (10, 3)
        if len(self.items) != expected:
            raise field_error(("items",), f"{self.version.value} needs exactly {expected} items")
        for index, item in enumerate(self.items):
            if item > top:
                raise field_error(
                    ("items", index), f"{self.version.value} items are scored 0-{top}"
                )
        return self


class Withdrawal(ApiModel):
    assessed_at: UtcDateTime | None = Field(
        default=None,
        description="When the withdrawal scales were scored.",
        examples=["2026-11-26T14:00:00Z"],
    )
    cows: CowsItems | None = Field(
        default=None, description="COWS item scores; the total is computed, never taken as input."
    )
    sows: Sows | None = Field(default=None, description="Subjective Opiate Withdrawal Scale.")
    hours_since_last_kratom_use: float | None = Field(
        default=None,
        ge=0,
        le=8760,
        description="Hours since the last kratom dose.",
        examples=[14],
    )
    hours_since_last_other_opioid_use: float | None = Field(
        default=None,
        ge=0,
        le=8760,
        description="Hours since the last non-kratom opioid, if any is used.",
        examples=[72],
    )


class Medication(ApiModel):
    name: str = Field(
        min_length=1,
        max_length=200,
        description="Medication name as prescribed.",
        examples=["citalopram 20 mg tablet"],
    )
    rxnorm_code: str | None = Field(
        default=None,
        pattern=r"^[0-9]{1,10}$",
        max_length=10,
        description="RxNorm concept id, when known.",
        examples=["200371"],
    )
    classes: list[MedicationClass] = Field(
        json_schema_extra=UNIQUE_ITEMS,
        default_factory=list,
        max_length=14,
        description="Classes relevant to the safety rules.",
        examples=[["qt_prolonging", "serotonergic"]],
    )

    _unique = field_validator("classes")(unique_items)


class UseHistory(ApiModel):
    product_types: list[KratomProduct] = Field(
        json_schema_extra=UNIQUE_ITEMS,
        default_factory=list,
        max_length=4,
        description="Kratom products used (leaf/powder, extract, concentrated 7-OH product).",
        examples=[["leaf_powder"]],
    )
    grams_per_day: float | None = Field(
        default=None,
        ge=0,
        le=500,
        description="Leaf/powder grams per day.",
        examples=[25],
    )
    doses_per_day: Annotated[int, Whole(ge=0, le=50)] | None = Field(
        default=None, description="Doses per day.", examples=[4]
    )
    duration_months: float | None = Field(
        default=None,
        ge=0,
        le=720,
        description="Duration of regular use, months.",
        examples=[30],
    )
    route: Route | None = Field(default=None, description="Usual route.", examples=["oral"])
    prior_withdrawal_attempts: Annotated[int, Whole(ge=0, le=200)] | None = Field(
        default=None,
        description="Number of earlier attempts to stop.",
        examples=[2],
    )
    prior_withdrawal_complications: list[WithdrawalComplication] = Field(
        json_schema_extra=UNIQUE_ITEMS,
        default_factory=list,
        max_length=5,
        description="Complications during earlier withdrawal.",
        examples=[[]],
    )
    other_substances: list[Substance] | None = Field(
        json_schema_extra=UNIQUE_ITEMS,
        default=None,
        max_length=15,
        description="Other substances used; [] means asked and none, omitted means not asked.",
        examples=[["alcohol"]],
    )
    prescribed_opioid_under_supervision: StrictBool | None = Field(
        default=None,
        description="The tolerance and withdrawal in `dsm5_criteria_met` come only from an "
        "opioid taken as prescribed under medical supervision (e.g. buprenorphine or "
        "methadone maintenance), not from kratom: DSM-5 does not count them then. False when "
        "they come from kratom (kratom is never taken under supervision).",
        examples=[False],
    )
    current_medications: list[Medication] | None = Field(
        default=None,
        max_length=50,
        description="Current medications; [] means reviewed and none, omitted means not reviewed.",
    )

    _unique_products = field_validator("product_types")(unique_items)
    _unique_complications = field_validator("prior_withdrawal_complications")(unique_items)
    _unique_substances = field_validator("other_substances")(unique_items)


_ICD10CM = r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$"
_SNOMED = r"^[1-9][0-9]{5,17}$"


class CodedCondition(ApiModel):
    system: CodeSystem = Field(description="Code system of the code.", examples=["icd10cm"])
    code: str = Field(
        min_length=3,
        max_length=18,
        description="ICD-10-CM code (with dot) or SNOMED CT concept id.",
        examples=["F32.1"],
    )
    display: str | None = Field(
        default=None,
        max_length=200,
        description="Human-readable name.",
        examples=["Major depressive disorder, single episode, moderate"],
    )

    @field_validator("code")
    @classmethod
    def _code_matches_system(cls, value: str, info: ValidationInfo) -> str:
        system = info.data.get("system")
        pattern = _ICD10CM if system is CodeSystem.icd10cm else _SNOMED
        if system is not None and re.fullmatch(pattern, value) is None:
            raise cross_field_error(f"not a valid {system.value} code")
        return value


class CoOccurringConditions(ApiModel):
    coded: list[CodedCondition] = Field(
        default_factory=list, max_length=50, description="Active coded diagnoses."
    )
    depression: StrictBool | None = Field(
        default=None, description="Depressive disorder.", examples=[True]
    )
    anxiety: StrictBool | None = Field(
        default=None, description="Anxiety disorder.", examples=[False]
    )
    ptsd: StrictBool | None = Field(
        default=None, description="Post-traumatic stress disorder.", examples=[False]
    )
    chronic_pain: StrictBool | None = Field(
        default=None, description="Chronic pain.", examples=[True]
    )
    liver_disease: StrictBool | None = Field(
        default=None,
        description="Chronic liver disease, for the record: no rule reads this flag. Dosing "
        "and cautions follow `medical_history.hepatic_impairment_child_pugh` and the liver "
        "tests in `labs`; record those.",
        examples=[False],
    )
    cardiac_disease: StrictBool | None = Field(
        default=None,
        description="Cardiac disease, for the record: no rule reads this flag. Hold parameters "
        "and cautions follow the specific history in `medical_history` (e.g. recent myocardial "
        "infarction, severe coronary insufficiency, conduction disturbance) and `labs.qtc_ms`; "
        "record those.",
        examples=[False],
    )
    seizure_disorder: StrictBool | None = Field(
        default=None, description="Seizure disorder.", examples=[False]
    )
    opioid_use_disorder: StrictBool | None = Field(
        default=None, description="Co-occurring opioid use disorder.", examples=[False]
    )
    alcohol_use_disorder: StrictBool | None = Field(
        default=None, description="Co-occurring alcohol use disorder.", examples=[False]
    )
    sedative_use_disorder: StrictBool | None = Field(
        default=None, description="Co-occurring sedative/hypnotic use disorder.", examples=[False]
    )


def _check_items_or_total(items: list[int] | None, total: int | None) -> None:
    if items is None and total is None:
        raise field_error(("total",), "give the item scores or the total")
    if items is not None and total is not None and sum(items) != total:
        raise field_error(("total",), "total does not equal the sum of the items")


class Phq9(ApiModel):
    items: list[Annotated[int, Whole(ge=0, le=3)]] | None = Field(
        default=None,
        min_length=9,
        max_length=9,
        description="The 9 item scores (0-3) in order.",
        examples=[[2, 2, 1, 2, 1, 1, 1, 0, 0]],
    )
    total: Annotated[int, Whole(ge=0, le=27)] | None = Field(
        default=None,
        description="Total, if items are not given.",
        examples=[10],
    )
    item9: Annotated[int, Whole(ge=0, le=3)] | None = Field(
        default=None,
        description="Item 9 (thoughts of death or self-harm), if items are not given.",
        examples=[0],
    )

    @model_validator(mode="after")
    def _consistent(self) -> Phq9:
        _check_items_or_total(self.items, self.total)
        if self.items is not None and self.item9 is not None and self.items[8] != self.item9:
            raise field_error(("item9",), "item9 does not equal the ninth item")
        return self


class Gad7(ApiModel):
    items: list[Annotated[int, Whole(ge=0, le=3)]] | None = Field(
        default=None,
        min_length=7,
        max_length=7,
        description="The 7 item scores (0-3) in order.",
        examples=[[1, 2, 1, 1, 0, 1, 1]],
    )
    total: Annotated[int, Whole(ge=0, le=21)] | None = Field(
        default=None,
        description="Total, if items are not given.",
        examples=[7],
    )

    @model_validator(mode="after")
    def _consistent(self) -> Gad7:
        _check_items_or_total(self.items, self.total)
        return self


class Pcl5(ApiModel):
    items: list[Annotated[int, Whole(ge=0, le=4)]] | None = Field(
        default=None,
        min_length=20,
        max_length=20,
        description="The 20 item scores (0-4) in order.",
    )
    total: Annotated[int, Whole(ge=0, le=80)] | None = Field(
        default=None,
        description="Total, if items are not given.",
        examples=[24],
    )

    @model_validator(mode="after")
    def _consistent(self) -> Pcl5:
        _check_items_or_total(self.items, self.total)
        return self


class CssrsScreener(ApiModel):
    """C-SSRS screener (past month for questions 1-5)."""

    wish_to_be_dead: StrictBool = Field(description="Q1: wished to be dead.", examples=[False])
    suicidal_thoughts: StrictBool = Field(
        description="Q2: thoughts of killing oneself.", examples=[False]
    )
    thoughts_with_method: StrictBool | None = Field(
        default=None, description="Q3: thought about how (asked if Q2 is yes).", examples=[None]
    )
    intent: StrictBool | None = Field(
        default=None,
        description="Q4: some intention of acting (asked if Q2 is yes).",
        examples=[None],
    )
    plan_with_intent: StrictBool | None = Field(
        default=None,
        description="Q5: started to work out details, intends to carry out.",
        examples=[None],
    )
    suicidal_behavior_lifetime: StrictBool = Field(
        description="Q6: ever done, started or prepared to do anything to end one's life.",
        examples=[False],
    )
    suicidal_behavior_past_3_months: StrictBool | None = Field(
        default=None, description="Q6 follow-up: was it within the past 3 months.", examples=[None]
    )


class AuditC(ApiModel):
    items: list[Annotated[int, Whole(ge=0, le=4)]] | None = Field(
        default=None,
        min_length=3,
        max_length=3,
        description="The 3 item scores (0-4) in order.",
        examples=[[1, 1, 0]],
    )
    total: Annotated[int, Whole(ge=0, le=12)] | None = Field(
        default=None,
        description="Total, if items are not given.",
        examples=[2],
    )

    @model_validator(mode="after")
    def _consistent(self) -> AuditC:
        _check_items_or_total(self.items, self.total)
        return self


class Dast10(ApiModel):
    """DAST-10 (Skinner 1982): drug use other than alcohol in the past 12 months."""

    items: list[StrictBool] | None = Field(
        default=None,
        min_length=10,
        max_length=10,
        description="The 10 yes/no answers in published order (item 3, 'always able to stop', "
        "is reverse-scored by the service).",
        examples=[[True, False, True, False, False, False, False, False, False, False]],
    )
    total: Annotated[int, Whole(ge=0, le=10)] | None = Field(
        default=None,
        description="Total, if the answers are not given.",
        examples=[1],
    )

    def item_scores(self) -> list[int] | None:
        """1 for each answer that counts: a yes, except item 3, where a no counts."""
        if self.items is None:
            return None
        return [int(not answer if n == 2 else answer) for n, answer in enumerate(self.items)]

    @model_validator(mode="after")
    def _consistent(self) -> Dast10:
        _check_items_or_total(self.item_scores(), self.total)
        return self


class Screening(ApiModel):
    phq9: Phq9 | None = Field(default=None, description="PHQ-9 depression screen.")
    gad7: Gad7 | None = Field(default=None, description="GAD-7 anxiety screen.")
    pcl5: Pcl5 | None = Field(default=None, description="PCL-5 PTSD checklist.")
    cssrs: CssrsScreener | None = Field(default=None, description="C-SSRS screener.")
    audit_c: AuditC | None = Field(default=None, description="AUDIT-C alcohol screen.")
    dast10: Dast10 | None = Field(
        default=None, description="DAST-10 screen for drug use other than alcohol."
    )


class Preferences(ApiModel):
    declines_group_therapy: StrictBool | None = Field(
        default=None, description="Declines group therapy.", examples=[False]
    )
    wants_complementary_therapies: StrictBool | None = Field(
        default=None,
        description="Interested in acupuncture, massage or meditation.",
        examples=[True],
    )
    prefers_outpatient: StrictBool | None = Field(
        default=None, description="Prefers outpatient care.", examples=[True]
    )
    declines_medication: StrictBool | None = Field(
        default=None,
        description="Declines medication for withdrawal or maintenance.",
        examples=[False],
    )


class Social(ApiModel):
    housing: HousingStatus | None = Field(
        default=None, description="Housing situation.", examples=["stable"]
    )
    support_person_available: StrictBool | None = Field(
        default=None,
        description="A supportive person can stay with or check on the patient.",
        examples=[True],
    )
    has_transportation: StrictBool | None = Field(
        default=None, description="Reliable transportation to visits.", examples=[True]
    )
    employment: EmploymentStatus | None = Field(
        default=None, description="Employment status.", examples=["employed"]
    )
    legal_issues: StrictBool | None = Field(
        default=None, description="Current legal problems.", examples=[False]
    )
    trauma_history: StrictBool | None = Field(
        default=None, description="History of trauma reported.", examples=[False]
    )
    preferences: Preferences | None = Field(default=None, description="Patient preferences.")


# --------------------------------------------------------------------------- the assessment

ASSESSMENT_EXAMPLE: dict[str, object] = {
    "assessed_at": "2026-11-26T14:10:00Z",
    "encounter_ref": "enc-20261126-01",
    "patient": {
        "patient_ref": "ehr-patient-4711",
        "age_years": 34,
        "sex_at_birth": "male",
        "pregnancy_status": "not_applicable",
        "weight_kg": 78.0,
    },
    "vitals": {
        "measured_at": "2026-11-26T14:05:00Z",
        "heart_rate_bpm": 96,
        "systolic_bp_mmhg": 138,
        "diastolic_bp_mmhg": 86,
        "respiratory_rate_per_min": 18,
        "temperature_c": 37.2,
        "spo2_percent": 97,
        "on_supplemental_oxygen": False,
        "consciousness": "alert",
    },
    "urine_drug_screen": {
        "collected_at": "2026-11-26T13:40:00Z",
        "mitragynine": "positive",
        "mitragynine_method": "lc_ms_ms",
        "opiates": "negative",
        "fentanyl": "negative",
        "oxycodone": "negative",
        "methadone": "negative",
        "buprenorphine": "negative",
        "benzodiazepines": "negative",
        "amphetamines": "negative",
        "cocaine": "negative",
        "cannabinoids": "negative",
        "alcohol_etg": "negative",
        "prescribed_analytes": [],
    },
    "labs": {
        "collected_at": "2026-11-26T13:45:00Z",
        "alt_u_per_l": 48,
        "alt_uln_u_per_l": 40,
        "ast_u_per_l": 39,
        "ast_uln_u_per_l": 40,
        "alp_u_per_l": 96,
        "alp_uln_u_per_l": 120,
        "total_bilirubin_mg_per_dl": 0.8,
        "total_bilirubin_uln_mg_per_dl": 1.2,
        "inr": 1.0,
        "potassium_mmol_per_l": 4.1,
        "magnesium_mmol_per_l": 0.85,
        "creatinine_mg_per_dl": 0.9,
        "egfr_ml_min_1_73m2": 96,
        "qtc_ms": 428,
    },
    "medical_history": {
        "prior_overdose": False,
        "withdrawal_seizures": False,
        "complicated_withdrawal": False,
        "seizure_in_last_24h": False,
        "seizure_disorder": False,
        "syncope": False,
        "chest_pain_or_palpitations": False,
        "recent_myocardial_infarction": False,
        "severe_coronary_insufficiency": False,
        "heart_failure": False,
        "bradyarrhythmia": False,
        "cerebrovascular_disease": False,
        "chronic_kidney_disease": False,
        "congenital_long_qt": False,
        "hepatic_impairment_child_pugh": "none",
        "liver_injury_symptoms": False,
        "failed_outpatient_withdrawal_management": False,
    },
    "withdrawal": {
        "assessed_at": "2026-11-26T14:00:00Z",
        "cows": {
            "resting_pulse": 1,
            "sweating": 1,
            "restlessness": 1,
            "pupil_size": 1,
            "bone_joint_aches": 2,
            "runny_nose_tearing": 1,
            "gi_upset": 2,
            "tremor": 1,
            "yawning": 1,
            "anxiety_irritability": 2,
            "gooseflesh": 0,
        },
        "hours_since_last_kratom_use": 14,
    },
    "dsm5_criteria_met": [
        "larger_amounts_or_longer",
        "unsuccessful_cut_down",
        "craving",
        "tolerance",
        "withdrawal",
    ],
    "use_history": {
        "product_types": ["leaf_powder"],
        "grams_per_day": 25,
        "doses_per_day": 4,
        "duration_months": 30,
        "route": "oral",
        "prior_withdrawal_attempts": 2,
        "prior_withdrawal_complications": [],
        "other_substances": [],
        "prescribed_opioid_under_supervision": False,
        "current_medications": [],
    },
    "co_occurring_conditions": {
        "coded": [
            {"system": "icd10cm", "code": "F41.1", "display": "Generalized anxiety disorder"}
        ],
        "depression": False,
        "anxiety": True,
        "chronic_pain": True,
    },
    "screening": {
        "phq9": {"items": [1, 1, 1, 1, 0, 1, 0, 0, 0]},
        "gad7": {"items": [2, 2, 1, 2, 1, 1, 1]},
        "cssrs": {
            "wish_to_be_dead": False,
            "suicidal_thoughts": False,
            "suicidal_behavior_lifetime": False,
        },
        "audit_c": {"items": [1, 0, 0]},
    },
    "social": {
        "housing": "stable",
        "support_person_available": True,
        "has_transportation": True,
        "employment": "employed",
        "legal_issues": False,
        "trauma_history": False,
        "preferences": {
            "declines_group_therapy": True,
            "wants_complementary_therapies": True,
            "prefers_outpatient": True,
            "declines_medication": False,
        },
    },
    "considering": ["buprenorphine"],
}


#: A plan's follow-up schedule runs a year past ``assessed_at`` (transitions.py).
LATEST_ASSESSED_AT = datetime(9999, 1, 1, tzinfo=UTC)
#: Clocks differ a little: an assessment may be stamped this far ahead of the server's clock,
#: and a result this far after its assessment, and still count. Beyond it the time is a
#: mistake (an evaluation "as of" a future day; a plan refusing every later reassessment) or a
#: time to check (the rules and the FHIR mapping).
CLOCK_TOLERANCE = timedelta(minutes=5)
#: The validation context key for the time a request arrived (``json_body`` sets it).
RECEIVED_AT = "received_at"


def in_the_future(value: datetime, now: datetime) -> bool:
    """Later than the server's clock by more than ``CLOCK_TOLERANCE``."""
    return value > now + CLOCK_TOLERANCE


class AssessmentIn(ApiModel):
    """A structured kratom use disorder assessment."""

    model_config = ConfigDict(json_schema_extra={"examples": [ASSESSMENT_EXAMPLE]})  # type: ignore[list-item]

    assessed_at: UtcDateTime = Field(
        description="When the assessment was completed (UTC offset required).",
        examples=["2026-11-26T14:10:00Z"],
    )
    encounter_ref: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="The EHR encounter identifier.",
        examples=["enc-20261126-01"],
    )
    patient: Patient = Field(description="Who the assessment is about.")
    vitals: Vitals | None = Field(default=None, description="Vital signs.")
    urine_drug_screen: UrineDrugScreen | None = Field(
        default=None, description="Urine drug screen."
    )
    labs: Labs | None = Field(
        default=None, description="Liver, renal, electrolyte and ECG results."
    )
    medical_history: MedicalHistory | None = Field(default=None, description="Relevant history.")
    withdrawal: Withdrawal | None = Field(default=None, description="Withdrawal scales and timing.")
    dsm5_criteria_met: list[Dsm5Criterion] | None = Field(
        json_schema_extra=UNIQUE_ITEMS,
        default=None,
        max_length=11,
        description="DSM-5 criteria met in the past 12 months; [] = assessed, none met; "
        "omitted = not assessed.",
        examples=[["craving", "tolerance", "withdrawal"]],
    )
    use_history: UseHistory | None = Field(default=None, description="Kratom and other use.")
    co_occurring_conditions: CoOccurringConditions | None = Field(
        default=None, description="Co-occurring mental-health and medical conditions."
    )
    screening: Screening | None = Field(default=None, description="Screening instruments.")
    social: Social | None = Field(default=None, description="Social context and preferences.")
    considering: list[ConsideredTreatment] = Field(
        json_schema_extra=UNIQUE_ITEMS,
        default_factory=list,
        max_length=6,
        description="Treatments under consideration; the rules say whether each is safe now.",
        examples=[["buprenorphine"]],
    )

    _unique_criteria = field_validator("dsm5_criteria_met")(unique_items)
    _unique_considering = field_validator("considering")(unique_items)

    @model_validator(mode="after")
    def _age_consistent_with_birth_date(self, info: ValidationInfo) -> AssessmentIn:
        if self.assessed_at >= LATEST_ASSESSED_AT:
            # A plan schedules follow-up a year ahead; that year must exist in the calendar.
            raise field_error(("assessed_at",), "assessed_at must be before 9999-01-01")
        # Checked when a request arrives (a stored assessment re-read later is not).
        received = (info.context or {}).get(RECEIVED_AT)
        if isinstance(received, datetime) and in_the_future(self.assessed_at, received):
            raise field_error(("assessed_at",), "assessed_at is in the future", kind=IN_THE_FUTURE)
        birth = self.patient.birth_date
        if birth is not None and birth > self.assessed_at.date():
            raise field_error(("patient", "birth_date"), "birth_date is after assessed_at")
        return self
