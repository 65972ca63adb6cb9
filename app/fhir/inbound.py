"""FHIR R4 resources -> AssessmentIn, with an account of what was used and what was not.

Principles: a value is mapped only from a code and a unit listed in ``codes``/``units``;
when several results share a code the most recent effective time wins and the older ones
are reported as superseded; when that most recent one is unusable the field stays empty
(an older value is not silently substituted); a result dated after ``assessed_at`` is not
used (reported ``after_assessment``), so an evaluation as of a past time sees what existed
then. Everything not used is reported with a machine-readable reason.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal

import orjson
from pydantic import ValidationError

from app.fhir import codes as c
from app.fhir import instruments as inst
from app.fhir.access import (
    NEVER,
    Json,
    When,
    began,
    codes_in,
    codings,
    concept_words,
    display,
    effective,
    extension_value,
    loinc_codes,
    obj,
    objs,
    parse_when,
    ref_of,
    reference_target,
    text,
)
from app.fhir.result import (
    IGNORED_REASONS,
    FhirMapping,
    MappingIssue,
    Reason,
    UsedInput,
)
from app.fhir.units import CELSIUS, KILOGRAM, LAB_UNITS, LITRE_PER_MIN, MM_HG, PER_MIN, PERCENT
from app.fhir.validation import structural_errors
from app.fhir.values import Measured, Problem, measured, qualitative, rounded, upper_limit, whole
from app.schemas.assessment import CLOCK_TOLERANCE, AssessmentIn, CodedCondition, Medication

USED_TYPES: Final = frozenset(
    {
        "Patient",
        "Observation",
        "Condition",
        "MedicationStatement",
        "MedicationRequest",
        "Medication",
        "QuestionnaireResponse",
    }
)
# FHIR R4 ObservationStatus: only results that are complete and valid.
OBSERVATION_OK: Final = frozenset({"final", "amended", "corrected"})
QUESTIONNAIRE_OK: Final = frozenset({"completed", "amended"})
ORDER_INTENTS: Final = frozenset(
    {"order", "original-order", "reflex-order", "filler-order", "instance-order"}
)
# US Core birthsex (M | F | UNK; ASKU in older versions).
BIRTH_SEX: Final = {"M": "male", "F": "female", "UNK": "unknown", "ASKU": "unknown"}
LAB_FIELDS: Final[dict[str, tuple[str, str | None]]] = {
    "alt": ("/labs/alt_u_per_l", "/labs/alt_uln_u_per_l"),
    "ast": ("/labs/ast_u_per_l", "/labs/ast_uln_u_per_l"),
    "alp": ("/labs/alp_u_per_l", "/labs/alp_uln_u_per_l"),
    "bilirubin": ("/labs/total_bilirubin_mg_per_dl", "/labs/total_bilirubin_uln_mg_per_dl"),
    "inr": ("/labs/inr", None),
    "potassium": ("/labs/potassium_mmol_per_l", None),
    "magnesium": ("/labs/magnesium_mmol_per_l", None),
    "creatinine": ("/labs/creatinine_mg_per_dl", None),
    "egfr": ("/labs/egfr_ml_min_1_73m2", None),
    "qtc": ("/labs/qtc_ms", None),
}
# Each group's own timestamp: the oldest of the results used, so staleness is never
# understated; a result dated without a time counts at the latest instant it can denote, so a
# stale value is never made to look older than it can be either (see ``counted_at``).
GROUP_TIMES: Final = {
    "vitals": "measured_at",
    "labs": "collected_at",
    "urine_drug_screen": "collected_at",
    "withdrawal": "assessed_at",
}
#: "A seizure in the last 24 hours" (the assessment's question, rule SZ-01).
RECENT_SEIZURE: Final = timedelta(hours=24)
MAX_LIST = 50  # AssessmentIn caps coded conditions and current medications at 50
_FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _classes_by_name(concept: Any) -> list[str]:
    """Classes of the ingredients named in the medication's text or displays."""
    words = concept_words(concept)
    classes: list[str] = []
    for ingredient, names in c.DRUG_NAMES.items():
        if ingredient in c.CLASSES_BY_NAME and not words.isdisjoint(names):
            classes += [m.value for m in c.CLASSES_BY_NAME[ingredient] if m.value not in classes]
    return classes


@dataclass(frozen=True, slots=True)
class _Item:
    index: int
    ref: str
    resource: Json
    when: When
    code: str | None = None  # the LOINC code that put it in its slot


def assessment_from_fhir(
    resources: Iterable[Any],
    *,
    patient_ref: str,
    assessed_at: datetime,
    validate: bool = True,
    aliases: Mapping[str, Json] | None = None,
) -> FhirMapping:
    """Map FHIR R4 resources about one patient into an assessment.

    ``resources`` is a flat list (see ``resources_from_bundle``/``resources_from_prefetch``);
    ``patient_ref`` is the FHIR Patient.id (CDS Hooks ``context.patientId``): resources about
    another subject are ignored. ``validate`` checks each resource against the R4B models
    first. ``aliases``: the Bundle entries' fullUrls (``reference_aliases``), against which
    references resolve before they are read as ``Type/id``. Raises ``ValueError`` for a naive
    ``assessed_at`` and ``ValidationError`` when ``patient_ref`` itself is not a valid
    assessment patient reference.
    """
    if assessed_at.tzinfo is None:
        raise ValueError("assessed_at must carry a UTC offset")
    return _Mapper(patient_ref, assessed_at, validate, aliases or {}).run(list(resources))


class _Mapper:
    def __init__(
        self,
        patient_ref: str,
        assessed_at: datetime,
        validate: bool,
        aliases: Mapping[str, Json],
    ) -> None:
        self.aliases = aliases
        self.named_patient_in_bundle = any(
            r.get("resourceType") == "Patient" and r.get("id") == patient_ref
            for r in aliases.values()
        )
        self.patient_ref = patient_ref
        self.assessed_at = assessed_at
        self.validate = validate
        self.unsupported: list[MappingIssue] = []
        self.ignored: list[MappingIssue] = []
        self.values: dict[str, Any] = {}
        self.sources: dict[str, set[str]] = {}
        self.inputs: list[UsedInput] = []
        self.whens: dict[str, tuple[str, When]] = {}
        self.slots: dict[str, list[_Item]] = defaultdict(list)
        self.usable: dict[tuple[str, str], _Item] = {}
        self.by_id: dict[tuple[str, str], Json] = {}
        self.accepted: set[int] = set()  # id() of each resource that passed validation
        self.item_observations: list[_Item] = []
        self.consumed: set[str] = set()
        # Seizure Conditions no longer active (the seizure ended): still a seizure in the last
        # 24 hours when their onset says so, and reported not active otherwise.
        self.ended_seizures: list[_Item] = []
        self.other_patient = False

    # ------------------------------------------------------------------ bookkeeping

    def report(self, ref: str, reason: Reason, detail: str, pointer: str | None = None) -> None:
        issue = MappingIssue(ref=ref, pointer=pointer, reason=reason, detail=detail)
        (self.ignored if reason in IGNORED_REASONS else self.unsupported).append(issue)

    def problem(self, item: _Item, problem: Problem) -> None:
        self.report(item.ref, problem.reason, problem.detail, problem.pointer)

    def put(
        self,
        field: str,
        value: Any,
        item: _Item,
        code: str | None,
        source: Measured | str | None = None,
    ) -> None:
        self.values[field] = value
        self.sources[field] = {item.ref}
        self.whens[field] = (item.ref, item.when)
        self.inputs.append(
            UsedInput(
                field=field,
                ref=item.ref,
                code=code,
                source_value=source.source_value if isinstance(source, Measured) else source,
                source_unit=source.source_unit if isinstance(source, Measured) else None,
                effective=item.when.text,
            )
        )

    # ------------------------------------------------------------------ intake

    def run(self, resources: list[Any]) -> FhirMapping:
        # A Patient with the requested id, anywhere in the input, is the patient: one without
        # an id is then someone else's, never a second source of sex at birth or birth date.
        self.named_patient_in_bundle = self.named_patient_in_bundle or any(
            isinstance(r, dict)
            and r.get("resourceType") == "Patient"
            and r.get("id") == self.patient_ref
            for r in resources
        )
        # Another patient in the input: a resource naming no subject cannot be told apart.
        self.other_patient = any(
            isinstance(r, dict)
            and r.get("resourceType") == "Patient"
            and not self.bundle_patient_is_ours(text(r.get("id")))
            for r in resources
        )
        for index, resource in enumerate(resources):
            self.intake(index, resource)
        self.map_patient()
        for slot in sorted(self.slots):
            if slot != "patient":
                self.map_slot(slot)
        self.report_loose_items()
        self.map_conditions()
        self.map_medications()
        assessment = self.build()
        self.report_imprecise_times()
        kept = set(self.values)
        return FhirMapping(
            assessment=assessment,
            used=sorted({ref for f in kept for ref in self.sources[f]}),
            inputs=[i for i in self.inputs if i.field in kept or _parent(i.field) in kept],
            unsupported=self.unsupported,
            ignored=self.ignored,
        )

    def intake(self, index: int, resource: Any) -> None:
        if not isinstance(resource, dict):
            self.report(f"#{index}", Reason.invalid_resource, "not a JSON object")
            return
        ref = ref_of(resource, index)
        kind = str(resource.get("resourceType"))
        if kind not in USED_TYPES:
            self.report(ref, Reason.resource_type_not_used, f"{kind} is not read")
            return
        if self.validate and (errors := structural_errors(resource)):
            self.report(ref, Reason.invalid_resource, f"not a valid R4 {kind}: {errors}")
            return
        if _has_modifier_extension(resource):
            # R4: an application must check modifier extensions; one it does not understand
            # may reverse the meaning (e.g. "not given"), so the resource is not read.
            self.report(
                ref,
                Reason.modifier_extension,
                "modifierExtension not understood",
                "/modifierExtension",
            )
            return
        self.accepted.add(id(resource))
        rid = text(resource.get("id"))
        if rid:
            self.by_id[(kind, rid)] = resource
        if kind == "Medication":  # read only through medicationReference
            return
        if not self.same_patient(resource, kind, ref) or not self.status_ok(resource, kind, ref):
            return
        item = _Item(index, ref, resource, effective(resource))
        finished_after = kind in ("Observation", "QuestionnaireResponse") and (
            item.when.exact is not None and item.when.exact > self.assessed_at + CLOCK_TOLERANCE
        )
        if finished_after or self.began_after_assessment(_began(resource, kind)):
            # It did not exist at the assessment time: evaluating as of then must not see it
            # (and the result current then is not 'superseded' by it).
            self.report(ref, Reason.after_assessment, "effective after assessed_at", "/effective")
            return
        if rid:
            self.usable[(kind, rid)] = item
        if kind == "Observation":
            self.classify_observation(item)
        elif kind == "QuestionnaireResponse":
            instrument = inst.by_questionnaire(resource.get("questionnaire"))
            if instrument is None:
                shown = text(resource.get("questionnaire")) or "none"
                self.report(ref, Reason.unrecognised_code, f"questionnaire {shown!r} not known")
            else:
                self.slots[f"instrument:{instrument.key}"].append(item)
        else:
            self.slots[{"Patient": "patient", "Condition": "conditions"}.get(kind, "meds")].append(
                item
            )

    def began_after_assessment(self, start: When) -> bool:
        """Whether it began after ``assessed_at`` wherever it was recorded: a date without a
        time may already be 'today' east of UTC, so it counts from its start at UTC+14."""
        if start.earliest is not None:
            return start.earliest > self.assessed_at + CLOCK_TOLERANCE
        # No bound (a time without an offset; invalid R4): it may be local time anywhere.
        return start.sort > self.assessed_at + timedelta(days=1)

    def target(self, reference: str) -> tuple[str | None, str | None]:
        """(type, id) of a reference: an entry's fullUrl first (its resource's own type and
        id, None for a resource without one), else the literal ``Type/id`` form."""
        aliased = self.aliases.get(reference)
        if aliased is not None:
            return text(aliased.get("resourceType")), text(aliased.get("id"))
        return reference_target(reference)

    def bundle_patient_is_ours(self, patient_id: str | None) -> bool:
        """A Patient entry of this Bundle is the one mapped when its id is ``patient_ref``;
        an entry without an id only when no entry carries that id (then it is the Bundle's
        one patient, named by the query), never a second Patient beside ours."""
        if patient_id is not None:
            return patient_id == self.patient_ref
        return not self.named_patient_in_bundle

    def same_patient(self, resource: Json, kind: str, ref: str) -> bool:
        if kind == "Patient":
            ok = self.bundle_patient_is_ours(text(resource.get("id")))
            pointer = "/id"
        else:
            subject = obj(resource.get("subject"))
            reference = text(subject.get("reference"))
            if reference is None and ("identifier" in subject or "display" in subject):
                # Named by an identifier or a name only: it cannot be matched to this patient.
                self.report(ref, Reason.subject_mismatch, "subject without a reference", "/subject")
                return False
            if reference is None and self.other_patient:
                self.report(
                    ref, Reason.subject_mismatch, "no subject, beside another patient", "/subject"
                )
                return False
            if not self.focus_is_ours(resource):
                self.report(ref, Reason.subject_mismatch, "about another person (focus)", "/focus")
                return False
            target = self.target(reference) if reference else None
            ok = target is None or (
                target[0] == "Patient" and self.bundle_patient_is_ours(target[1])
                if reference in self.aliases  # an entry of this Bundle
                else target[1] == self.patient_ref and target[0] in (None, "Patient")
            )
            pointer = "/subject"
        if not ok:
            self.report(ref, Reason.subject_mismatch, "about another patient", pointer)
        return ok

    def focus_is_ours(self, resource: Json) -> bool:
        """Observation.focus names what the result is about when that is not the subject
        (a fetus, a donor, a family member): such a result is not this patient's."""
        for focus in objs(resource.get("focus")):
            reference = text(focus.get("reference"))
            target = self.target(reference) if reference else None
            if target is None or target[0] not in (None, "Patient"):
                return False
            if target[1] != self.patient_ref:
                return False
        return True

    def status_ok(self, resource: Json, kind: str, ref: str) -> bool:
        status = text(resource.get("status"))
        if kind == "Observation" and status not in OBSERVATION_OK:
            self.report(ref, Reason.status_not_usable, f"status {status!r}", "/status")
            return False
        if kind == "QuestionnaireResponse" and status not in QUESTIONNAIRE_OK:
            self.report(ref, Reason.status_not_usable, f"status {status!r}", "/status")
            return False
        if kind == "Condition":
            verification = _status_codes(
                resource.get("verificationStatus"), c.CONDITION_VERIFICATION
            )
            if {"entered-in-error", "refuted"} & set(verification):
                self.report(
                    ref,
                    Reason.status_not_usable,
                    f"verification {verification}",
                    "/verificationStatus",
                )
                return False
            clinical = _status_codes(resource.get("clinicalStatus"), c.CONDITION_CLINICAL)
            # recurrence and relapse are kinds of active (condition-clinical hierarchy)
            if not {"active", "recurrence", "relapse"} & set(clinical):
                if clinical and _seizure_event(resource):
                    self.ended_seizures.append(_Item(-1, ref, resource, NEVER))
                    return False  # reported by map_recent_seizure unless used there
                self.report_not_active(ref, resource)
                return False
        if kind == "MedicationStatement" and status != "active":
            self.report(ref, Reason.not_active, f"status {status!r}", "/status")
            return False
        if kind == "MedicationStatement":
            ended = parse_when(obj(resource.get("effectivePeriod")).get("end")).latest
            if ended is not None and ended < self.assessed_at:
                # "active" with a period that ended before the assessment: not taken now.
                self.report(ref, Reason.not_active, "its period ended", "/effectivePeriod/end")
                return False
        if kind == "MedicationRequest":
            intent = text(resource.get("intent"))
            if status != "active" or intent not in ORDER_INTENTS:
                self.report(ref, Reason.not_active, f"status {status!r}, intent {intent!r}")
                return False
            if resource.get("doNotPerform") is True:  # a modifier: the order forbids it
                self.report(ref, Reason.not_active, "doNotPerform: an order not to give it")
                return False
        return True

    def classify_observation(self, item: _Item) -> None:
        resource = item.resource
        loinc = loinc_codes(resource.get("code"))
        component_codes = {
            code
            for comp in objs(resource.get("component"))
            for code in loinc_codes(comp.get("code"))
        }

        def slot(name: str, code: str) -> None:
            self.slots[name].append(_with_code(item, code))

        def first(candidates: Iterable[str]) -> str | None:
            return next((code for code in loinc if code in candidates), None)

        if (code := first(c.BP_PANELS)) or c.SYSTOLIC in component_codes:
            slot("bp", code or c.SYSTOLIC)
        elif code := first((c.HEART_RATE,)):
            slot("heart_rate", code)
        elif code := first((c.RESPIRATORY_RATE,)):
            slot("respiratory_rate", code)
        elif code := first((c.BODY_TEMPERATURE,)):
            slot("temperature", code)
        elif code := first(c.SPO2):
            slot("spo2", code)
        elif code := first(c.BODY_WEIGHT):
            slot("weight", code)
        elif code := first((c.SYSTOLIC, c.DIASTOLIC)):
            self.report(
                item.ref,
                Reason.bp_outside_panel,
                f"{code} outside a BP panel (85354-9) is not paired",
            )
        elif code := first(c.LAB_CODES):
            slot(f"lab:{c.LAB_CODES[code]}", code)
        elif code := first(c.UDS_CODES):
            slot(f"uds:{c.UDS_CODES[code].value}", code)
        elif code := first((c.PREGNANCY_STATUS,)):
            slot("pregnancy_status", code)
        elif code := first(c.PREGNANCY_TEST):
            slot("pregnancy_test", code)
        elif code := first(inst.BY_PANEL):
            slot(f"instrument:{inst.BY_PANEL[code].key}", code)
        elif code := first(inst.BY_TOTAL):
            slot(f"instrument:{inst.BY_TOTAL[code].key}", code)
        elif code := first((inst.PHQ9_ITEM9,)):
            slot("phq9_item9", code)
        elif first(inst.ITEM_CODES):
            self.item_observations.append(item)
        elif first((c.VITALS_PANEL,)):
            self.report(item.ref, Reason.panel_not_used, "85353-1: members are read on their own")
        else:
            shown = ", ".join(f"{s}|{k}" for s, k in codings(resource.get("code"))[:3]) or "none"
            self.report(item.ref, Reason.unrecognised_code, f"code {shown} not mapped", "/code")

    # ------------------------------------------------------------------ slots

    def latest(self, slot: str) -> _Item:
        items = sorted(
            self.slots[slot],
            # same time: an LC-MS/MS confirmation outranks an immunoassay screen
            key=lambda i: (i.when.sort, i.code == c.MITRAGYNINE_CONFIRMATION, -i.index),
        )
        for older in items[:-1]:
            if older.when.text is None:  # undated: not known to be older, only not usable
                self.report(
                    older.ref,
                    Reason.effective_time_imprecise,
                    f"{slot}: no effective time, so a dated result is used",
                    "/effective",
                )
            else:
                self.report(older.ref, Reason.superseded, f"{slot}: a more recent result is used")
        return items[-1]

    def map_slot(self, slot: str) -> None:
        if slot in ("conditions", "meds"):
            return
        if slot.startswith("instrument:"):
            self.map_instrument(slot)
            return
        if slot == "phq9_item9":
            return  # merged into the PHQ-9 in map_instrument, or reported there
        item = self.latest(slot)
        code = item.code or ""
        resource = item.resource
        if slot.startswith("lab:"):
            self.map_lab(item, slot.removeprefix("lab:"))
        elif slot.startswith("uds:"):
            self.map_uds(item, slot.removeprefix("uds:"))
        elif slot == "bp":
            self.map_bp(item)
        elif slot == "spo2":
            self.map_quantity(item, "/vitals/spo2_percent", PERCENT, whole)
            self.map_oxygen(item)
        elif slot == "pregnancy_status":
            answers = [
                c.PREGNANCY_STATUS_VALUES[k]
                for k in codes_in(resource.get("valueCodeableConcept"), c.SNOMED)
                if k in c.PREGNANCY_STATUS_VALUES
            ]
            if len(set(answers)) == 1:
                self.put("/patient/pregnancy_status", answers[0], item, code, answers[0])
            else:
                self.report(
                    item.ref, Reason.result_not_interpretable, f"{code}: no known answer", "/value"
                )
        elif slot == "pregnancy_test":
            result = qualitative(resource, code)
            if isinstance(result, Problem):
                self.problem(item, result)
            else:
                self.put("/labs/pregnancy_test", result, item, code, result)
        else:
            field, table, rounding = {
                "heart_rate": ("/vitals/heart_rate_bpm", PER_MIN, whole),
                "respiratory_rate": ("/vitals/respiratory_rate_per_min", PER_MIN, whole),
                "temperature": ("/vitals/temperature_c", CELSIUS, _one_decimal),
                "weight": ("/patient/weight_kg", KILOGRAM, _two_decimals),
            }[slot]
            self.map_quantity(item, field, table, rounding)

    def map_quantity(
        self,
        item: _Item,
        field: str,
        table: Any,
        rounding: Any,
        holder: Json | None = None,
        base: str = "",
    ) -> None:
        found = measured(item.resource if holder is None else holder, table, item.code or "", base)
        if isinstance(found, Problem):
            self.problem(item, found)
        else:
            self.put(field, rounding(found.value), item, item.code, found)

    def map_bp(self, item: _Item) -> None:
        fields = {c.SYSTOLIC: "/vitals/systolic_bp_mmhg", c.DIASTOLIC: "/vitals/diastolic_bp_mmhg"}
        seen = set()
        for n, comp in enumerate(objs(item.resource.get("component"))):
            code = next((k for k in loinc_codes(comp.get("code")) if k in fields), None)
            if code is None or code in seen:
                continue
            seen.add(code)
            part = _with_code(item, code)
            self.map_quantity(part, fields[code], MM_HG, whole, comp, f"/component/{n}")
        for code in fields.keys() - seen:
            self.report(
                item.ref, Reason.value_missing, f"BP panel has no {code} component", "/component"
            )

    def map_oxygen(self, item: _Item) -> None:
        """Supplemental O2 from the US Core pulse-oximetry components, when sent."""
        for n, comp in enumerate(objs(item.resource.get("component"))):
            codes = loinc_codes(comp.get("code"))
            table, room_air = (
                (LITRE_PER_MIN, 0.0) if c.INHALED_O2_FLOW in codes
                else (PERCENT, 21.0) if c.INHALED_O2_CONCENTRATION in codes
                else (None, 0.0)
            )  # fmt: skip
            if table is None:
                continue
            part = _with_code(item, codes[0])
            found = measured(comp, table, codes[0], f"/component/{n}")
            if isinstance(found, Problem):
                self.problem(part, found)
            else:
                self.put(
                    "/vitals/on_supplemental_oxygen", found.value > room_air, part, codes[0], found
                )
                return

    def map_lab(self, item: _Item, analyte: str) -> None:
        field, uln_field = LAB_FIELDS[analyte]
        table = LAB_UNITS[analyte]
        code = item.code or ""
        quantity = obj(item.resource.get("valueQuantity"))
        if analyte == "inr" and not ({"code", "unit", "system"} & quantity.keys()):
            quantity = {**quantity, "system": c.UCUM, "code": "1"}  # INR is a pure ratio
        found = measured({"valueQuantity": quantity} if quantity else item.resource, table, code)
        if isinstance(found, Problem):
            self.problem(item, found)
            return
        self.put(
            field,
            whole(found.value) if analyte == "qtc" else rounded(found.value, 3),
            item,
            code,
            found,
        )
        if uln_field is None:
            return
        uln = upper_limit(item.resource, table, found.source_unit)
        if uln is None:
            self.report(
                item.ref,
                Reason.uln_missing,
                f"{code}: no usable normal-range high",
                "/referenceRange",
            )
        else:
            self.put(uln_field, rounded(uln, 3), item, code, f"ULN {uln:g}")

    def map_uds(self, item: _Item, analyte: str) -> None:
        code = item.code or ""
        result = qualitative(item.resource, code)
        if isinstance(result, Problem):
            self.problem(item, result)
            return
        self.put(f"/urine_drug_screen/{analyte}", result, item, code, result)
        if analyte == "mitragynine":
            method = "lc_ms_ms" if code == c.MITRAGYNINE_CONFIRMATION else "immunoassay"
            self.put("/urine_drug_screen/mitragynine_method", method, item, code, method)

    # ------------------------------------------------------------------ instruments

    def map_instrument(self, slot: str) -> None:
        instrument = next(i for i in inst.INSTRUMENTS if f"instrument:{i.key}" == slot)
        item = self.latest(slot)
        resource = item.resource
        if resource.get("resourceType") == "QuestionnaireResponse":
            scores = inst.from_questionnaire_response(resource, instrument)
            code = text(resource.get("questionnaire"))
        else:
            scores = inst.from_observations(self.panel_parts(item), instrument)
            code = item.code
        item9 = self.merge_item9(item, scores) if instrument is inst.PHQ9 else None
        if not self.within_recall(item, instrument):
            if item9 is not None:
                self.report(item9.ref, Reason.outside_recall_period, "with its PHQ-9", "/effective")
            return
        for message in scores.problems:
            self.report(item.ref, Reason.answer_score_unknown, f"{instrument.key} {message}")
        data = scores.as_input(instrument)
        if data is None:
            self.report(
                item.ref,
                Reason.instrument_incomplete,
                f"{instrument.key}: neither all items nor a total",
            )
            return
        self.put(instrument.pointer, data, item, code)
        if item9 is not None and "item9" in data:
            self.sources[instrument.pointer].add(item9.ref)
            self.inputs.append(
                UsedInput(field=f"{instrument.pointer}/item9", ref=item9.ref, code=inst.PHQ9_ITEM9)
            )

    def within_recall(self, item: _Item, instrument: inst.Instrument) -> bool:
        """Whether the answers still describe part of the instrument's recall period before
        ``assessed_at`` (a PHQ-9 of 3 weeks ago says nothing about this fortnight)."""
        if instrument.recall is None:
            return True
        at = self.counted_at(item.when)
        if at is None:
            self.report(
                item.ref,
                Reason.effective_time_imprecise,
                f"{instrument.key}: no usable time, so whether it falls within its "
                f"{instrument.recall.days}-day recall period is unknown; not used",
                "/effective",
            )
            return False
        if self.assessed_at - at > instrument.recall:
            days = (self.assessed_at - at).days
            self.report(
                item.ref,
                Reason.outside_recall_period,
                f"{instrument.key} answered {days} days before the assessment; its questions "
                f"cover the {instrument.recall.days} days before it was answered: screen again",
                "/effective",
            )
            return False
        return True

    def panel_parts(self, item: _Item) -> list[tuple[str, Json]]:
        resource = item.resource
        parts = [(item.code or "", resource)] if item.code in inst.BY_TOTAL else []
        for comp in objs(resource.get("component")):
            parts += [(code, comp) for code in loinc_codes(comp.get("code"))]
        for member in objs(resource.get("hasMember")):
            reference = text(member.get("reference")) or ""
            kind, rid = self.target(reference)
            found = self.usable.get((kind or "Observation", rid)) if rid else None
            if found is not None:
                self.consumed.add(found.ref)
                parts += [
                    (code, found.resource) for code in loinc_codes(found.resource.get("code"))
                ]
        return parts

    def merge_item9(self, item: _Item, scores: inst.Scores) -> _Item | None:
        """A separate item-9 Observation joins a PHQ-9 total of the same time."""
        if "phq9_item9" not in self.slots:
            return None
        item9 = self.latest("phq9_item9")
        if inst.PHQ9_ITEM9 not in scores.items and item9.when.sort > item.when.sort:
            # The newest answer on thoughts of self-harm must not be hidden as "superseded".
            self.report(
                item9.ref,
                Reason.instrument_incomplete,
                "PHQ-9 item 9 answered after the PHQ-9 used: not combined; score the PHQ-9 again",
            )
            return None
        if inst.PHQ9_ITEM9 in scores.items or item9.when.sort != item.when.sort:
            self.report(item9.ref, Reason.superseded, "PHQ-9 item 9 of another administration")
            return None
        value = inst.score(item9.resource, inst.PHQ9)
        if value is None:
            self.report(item9.ref, Reason.answer_score_unknown, "44260-8: value has no score")
            return None
        scores.items[inst.PHQ9_ITEM9] = value
        return item9

    def report_loose_items(self) -> None:
        if "phq9_item9" in self.slots and "instrument:phq9" not in self.slots:
            for item in self.slots["phq9_item9"]:
                self.report(
                    item.ref, Reason.instrument_incomplete, "PHQ-9 item 9 without items or a total"
                )
        for item in self.item_observations:
            if item.ref not in self.consumed:
                self.report(
                    item.ref, Reason.instrument_incomplete, "instrument item outside its panel"
                )

    # ------------------------------------------------------------------ patient

    def map_patient(self) -> None:
        if "patient" not in self.slots:
            return
        item = self.latest("patient")
        patient = item.resource
        birth = text(patient.get("birthDate"))
        if birth and _FULL_DATE.match(birth):
            self.put("/patient/birth_date", birth, item, None, birth)
        elif birth:
            self.report(item.ref, Reason.partial_date, "birthDate is not a full date", "/birthDate")
        birth_sex = text(extension_value(patient, c.US_CORE_BIRTHSEX))
        if birth_sex in BIRTH_SEX:
            self.put(
                "/patient/sex_at_birth", BIRTH_SEX[birth_sex], item, c.US_CORE_BIRTHSEX, birth_sex
            )
        elif birth_sex:
            self.report(item.ref, Reason.unrecognised_code, f"birthsex {birth_sex!r}", "/extension")
        elif "gender" in patient:
            self.report(
                item.ref,
                Reason.administrative_gender_not_used,
                "Patient.gender is administrative gender; sex at birth needs US Core birthsex",
                "/gender",
            )

    # ------------------------------------------------------------------ lists

    def map_conditions(self) -> None:
        coded: list[dict[str, str]] = []
        refs: dict[tuple[str, str], str] = {}
        systems = {c.ICD10CM: "icd10cm", c.SNOMED: "snomedct"}
        for item in self.slots.get("conditions", []):
            concept = item.resource.get("code")
            name = display(concept)
            found = added = False
            for system, code in codings(concept):
                if system not in systems:
                    continue
                entry = {"system": systems[system], "code": code}
                if name:
                    entry["display"] = name[:200]
                if not _valid(CodedCondition, entry):
                    self.report(
                        item.ref,
                        Reason.unrecognised_code,
                        f"not a valid {systems[system]} code",
                        "/code",
                    )
                    continue
                found = True
                if (entry["system"], code) not in refs:
                    refs[(entry["system"], code)] = item.ref
                    coded.append(entry)
                    added = True
            if not found:
                self.report(
                    item.ref, Reason.unrecognised_code, "no ICD-10-CM or SNOMED CT coding", "/code"
                )
            elif not added:
                self.report(item.ref, Reason.duplicate, "its codes come from another Condition")
        self.put_list("/co_occurring_conditions/coded", coded, list(refs.values()))
        self.map_recent_seizure()

    def map_recent_seizure(self) -> None:
        """A seizure Condition (R56, SNOMED CT 91175000), active or ended, with a timestamp
        within 24 hours before ``assessed_at`` (its onset, the end of its onset period, or
        its abatement) answers "a seizure in the last 24 hours" yes. Nothing answers it no:
        an older or undated seizure is only a coded condition (an ended one is reported not
        active), and a date alone cannot place it inside or outside the 24 hours."""
        seizures = [i for i in self.slots.get("conditions", []) if _seizure_event(i.resource)]
        used: _Item | None = None
        for item in [*seizures, *self.ended_seizures]:
            answer = self.recent_seizure(item, put=used is None)
            if answer == "used":
                used = item
                # A used Condition past the coded list's cap is not also "not kept".
                self.unsupported = [
                    i
                    for i in self.unsupported
                    if not (i.ref == item.ref and i.reason is Reason.too_many)
                ]
            elif answer is None and item in self.ended_seizures:
                self.report_not_active(item.ref, item.resource)

    def report_not_active(self, ref: str, condition: Json) -> None:
        clinical = _status_codes(condition.get("clinicalStatus"), c.CONDITION_CLINICAL)
        self.report(ref, Reason.not_active, f"clinical status {clinical}", "/clinicalStatus")

    def recent_seizure(self, item: _Item, *, put: bool) -> Literal["used", "imprecise"] | None:
        """ "used" when one of this seizure's times is a timestamp within the 24 hours before
        ``assessed_at`` (put as the answer when ``put``), "imprecise" when only a date that
        could fall within them is given (reported), else None."""
        resource = item.resource
        onset, abatement = obj(resource.get("onsetPeriod")), obj(resource.get("abatementPeriod"))
        times = [
            (pointer, parse_when(value))
            for pointer, value in (
                ("/onsetDateTime", resource.get("onsetDateTime")),
                ("/onsetPeriod/start", onset.get("start")),
                ("/onsetPeriod/end", onset.get("end")),
                ("/abatementDateTime", resource.get("abatementDateTime")),
                ("/abatementPeriod/start", abatement.get("start")),
                ("/abatementPeriod/end", abatement.get("end")),
            )
            if value is not None
        ]
        window_start = self.assessed_at - RECENT_SEIZURE
        window_end = self.assessed_at + CLOCK_TOLERANCE
        for _, when in times:
            if when.exact is not None and window_start <= when.exact <= window_end:
                if put:
                    self.put("/medical_history/seizure_in_last_24h", True, item, None, when.text)
                return "used"
        for pointer, when in times:
            could_be_recent = (
                when.exact is None
                and when.earliest is not None
                and when.latest is not None
                and when.earliest <= window_end
                and when.latest >= window_start
            )
            if could_be_recent:
                self.report(
                    item.ref,
                    Reason.effective_time_imprecise,
                    "a seizure dated without a full timestamp: whether it was in the last 24 "
                    "hours is unknown",
                    pointer,
                )
                return "imprecise"
        return None

    def map_medications(self) -> None:
        meds: list[dict[str, Any]] = []
        refs: list[str] = []
        keys: set[str] = set()
        for item in self.slots.get("meds", []):
            concept = self.medication_concept(item.resource)
            name = display(concept)
            if name is None:
                self.report(
                    item.ref, Reason.medication_not_identified, "no medication name or display"
                )
                continue
            rxnorm = [k for k in codes_in(concept, c.RXNORM) if re.fullmatch(r"[0-9]{1,10}", k)]
            classes: list[str] = []
            for k in rxnorm:
                classes += [
                    m.value for m in c.RXNORM_CLASSES.get(k, ("", ()))[1] if m.value not in classes
                ]
            if not classes:
                classes = _classes_by_name(concept)
            if not classes:
                shown = rxnorm[0] if rxnorm else "none"
                self.report(
                    item.ref,
                    Reason.medication_class_unknown,
                    f"RxNorm {shown} is not in the class table",
                )
            med: dict[str, Any] = {"name": name[:200], "classes": classes}
            if rxnorm:
                med["rxnorm_code"] = rxnorm[0]
            key = rxnorm[0] if rxnorm else name.lower()
            if key in keys:
                self.report(item.ref, Reason.duplicate, "the same medication as another entry")
                continue
            if not _valid(Medication, med):
                self.report(item.ref, Reason.implausible_value, "not a valid medication entry")
                continue
            keys.add(key)
            meds.append(med)
            refs.append(item.ref)
        self.put_list("/use_history/current_medications", meds, refs)

    def medication_concept(self, resource: Json) -> Any:
        """What is taken: medicationCodeableConcept, else the code of the Medication that
        medicationReference names, else the reference's display (R4: a Reference's display
        is valid text for what it points to), which also names a code that has no text."""
        if "medicationCodeableConcept" in resource:
            return resource["medicationCodeableConcept"]
        reference = obj(resource.get("medicationReference"))
        medication = self.medication(resource, text(reference.get("reference")) or "")
        code = obj(medication).get("code")
        shown = text(reference.get("display"))
        if shown is not None and display(code) is None:
            return {**obj(code), "text": shown}
        return code

    def medication(self, resource: Json, reference: str) -> Json | None:
        """The Medication a medicationReference names: contained (``#id``), an entry of the
        Bundle or prefetch by fullUrl, or one sent alongside as ``Medication/id`` (what a
        search's ``_include=...:medication`` adds)."""
        if reference.startswith("#"):
            contained = (r for r in objs(resource.get("contained")) if r.get("id") == reference[1:])
            return next(contained, None)
        aliased = self.aliases.get(reference)
        if aliased is not None:  # an entry of this Bundle, used only if it passed validation
            usable = aliased.get("resourceType") == "Medication" and id(aliased) in self.accepted
            return aliased if usable else None
        kind, rid = reference_target(reference)
        return self.by_id.get((kind or "Medication", rid))

    def put_list(self, field: str, values: list[Any], refs: list[str]) -> None:
        """A list field; [] is never produced, since no resource is not the same as "none"."""
        if not values:
            return
        if len(values) > MAX_LIST:
            for ref in refs[MAX_LIST:]:
                self.report(ref, Reason.too_many, f"only the first {MAX_LIST} are kept")
            values, refs = values[:MAX_LIST], refs[:MAX_LIST]
        self.values[field] = values
        self.sources[field] = set(refs)
        for n, ref in enumerate(refs):
            self.inputs.append(UsedInput(field=f"{field}/{n}", ref=ref))

    # ------------------------------------------------------------------ assembly

    def document(self) -> Json:
        doc: Json = {
            "assessed_at": self.assessed_at,
            "patient": {"patient_ref": self.patient_ref},
        }
        for field, value in self.values.items():
            _set(doc, field, value)
        for group, name in GROUP_TIMES.items():
            stamp = self.group_time(group)[0]
            if stamp is not None:
                _set(doc, f"/{group}/{name}", stamp)
        return doc

    def group_time(self, group: str) -> tuple[datetime | None, list[str], list[str]]:
        """The group's time (the oldest of its results, each as ``counted_at``), the refs with
        no usable time (then there is no group time: their age is unknown) and the refs dated
        without a time."""
        used = [
            self.whens[f] for f in self.values if f.startswith(f"/{group}/") and f in self.whens
        ]
        counted = [(ref, when, self.counted_at(when)) for ref, when in used]
        vague = sorted({ref for ref, _, at in counted if at is None})
        dated = sorted({ref for ref, when, at in counted if at is not None and when.exact is None})
        times = [at for _, _, at in counted if at is not None]
        return (min(times) if times and not vague else None), vague, dated

    def counted_at(self, when: When) -> datetime | None:
        """The time a result's age is counted from: its timestamp, or for a date without a time
        the latest instant the date can denote (its end at UTC-12), so the age is the youngest
        it can be: a stale value is never made to look older than it can be. That is capped at
        ``assessed_at``: the result existed then (intake), so a date of today is current, not
        'dated after the assessment'."""
        if when.exact is not None:
            return when.exact
        if when.latest is None:
            return None
        return min(when.latest, self.assessed_at)

    def build(self) -> AssessmentIn:
        while True:
            try:
                return AssessmentIn.model_validate_json(orjson.dumps(self.document()))
            except ValidationError as exc:
                if not self.drop(exc):
                    raise

    def drop(self, exc: ValidationError) -> bool:
        """Remove the fields behind each error, with all others from the same resource."""
        dropped = False
        for err in exc.errors():
            pointer = "/" + "/".join(str(p) for p in err["loc"])
            culprits = [
                f
                for f in self.values
                if pointer == f or pointer.startswith(f + "/") or f.startswith(pointer + "/")
            ]
            refs = {ref for f in culprits for ref in self.sources[f]}
            for f in [f for f in self.values if self.sources[f] & refs]:
                del self.values[f]
                dropped = True
            for ref in sorted(refs):
                self.report(ref, Reason.implausible_value, f"{pointer}: {err['msg']}")
        return dropped

    def report_imprecise_times(self) -> None:
        for group, name in GROUP_TIMES.items():
            stamp, vague, dated = self.group_time(group)
            if stamp is None:
                for ref in sorted({*vague, *dated}):
                    self.report(
                        ref,
                        Reason.effective_time_imprecise,
                        f"no full timestamp with offset, so {group}.{name} is not set",
                        "/effective",
                    )
                continue
            for ref in dated:
                self.report(
                    ref,
                    Reason.effective_time_imprecise,
                    f"a date without a time: {group}.{name} counts it at the latest instant "
                    "it can denote (its end at UTC-12, at most assessed_at)",
                    "/effective",
                )


def _status_codes(concept: Any, system: str) -> list[str]:
    """A status element's codes: a coding without a system is read as the element's own
    (required) code system, so an unsystemed "entered-in-error" still excludes."""
    return [
        code
        for coding in objs(obj(concept).get("coding"))
        if coding.get("system") in (system, None) and isinstance(code := coding.get("code"), str)
    ]


def _began(resource: Json, kind: str) -> When:
    """When it began to exist: a Condition's onset (or, failing that, when it was recorded),
    an order's authoring time, else the result's or statement's own start."""
    if kind == "Condition":
        onset = obj(resource.get("onsetPeriod")).get("start")
        return parse_when(resource.get("onsetDateTime") or onset or resource.get("recordedDate"))
    if kind == "MedicationRequest":
        return parse_when(resource.get("authoredOn"))
    return began(resource)


def _seizure_event(condition: Json) -> bool:
    """A seizure as an event (ICD-10-CM R56, SNOMED CT 91175000), not a seizure disorder;
    an ICD-10-CM code counts only in the form the coded list accepts (with its dot)."""
    return any(
        (
            system == c.ICD10CM
            and code.startswith(c.SEIZURE_EVENT_ICD10CM_PREFIX)
            and _valid(CodedCondition, {"system": "icd10cm", "code": code})
        )
        or (system == c.SNOMED and code in c.SEIZURE_EVENT_SNOMED)
        for system, code in codings(condition.get("code"))
    )


def _has_modifier_extension(resource: Json) -> bool:
    """A modifierExtension on the resource or on an element it is read through (components,
    questionnaire items and answers, dosage)."""
    pending: list[Any] = [resource]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, dict):
            if node.get("modifierExtension"):
                return True
            pending.extend(
                v for k, v in node.items() if k != "contained" and isinstance(v, (dict, list))
            )
    return False


def _with_code(item: _Item, code: str) -> _Item:
    return _Item(item.index, item.ref, item.resource, item.when, code)


def _one_decimal(value: float) -> float:
    return rounded(value, 1)


def _two_decimals(value: float) -> float:
    return rounded(value, 2)


def _parent(field: str) -> str:
    return field.rsplit("/", 1)[0]


def _set(doc: Json, pointer: str, value: Any) -> None:
    *path, last = pointer.strip("/").split("/")
    node = doc
    for key in path:
        node = node.setdefault(key, {})
    node[last] = value


def _valid(model: type[CodedCondition] | type[Medication], data: Json) -> bool:
    try:
        model.model_validate_json(orjson.dumps(data))
    except ValidationError:
        return False
    return True
