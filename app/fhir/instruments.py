"""Screening instruments from QuestionnaireResponses and Observation panels.

Item scores come from, in order: ``valueInteger``; a Coding's ``ordinalValue`` or
``itemWeight`` extension; a LOINC answer code of the instrument's published answer list;
an integral ``valueDecimal``/``valueQuantity``. Anything else is reported, not guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final

from app.fhir.access import Json, codings, extension_value, number, obj, objs, text
from app.fhir.codes import ITEM_WEIGHT, LOCAL_QUESTIONNAIRE_BASE, LOINC, ORDINAL_VALUE
from app.schemas.assessment import CowsItems

# LOINC answer list LL358-3 (PHQ-9 / GAD-7 frequency): Not at all, Several days,
# More than half the days, Nearly every day.
FREQUENCY_ANSWERS: Final = {"LA6568-5": 0, "LA6569-3": 1, "LA6570-1": 2, "LA6571-9": 3}
# LOINC Yes (LA33-6) / No (LA32-8), read as 1 / 0.
YES_NO_ANSWERS: Final = {"LA33-6": 1, "LA32-8": 0}


@dataclass(frozen=True, slots=True)
class Instrument:
    key: str
    pointer: str  # where it goes in the assessment
    items: tuple[str, ...]  # LOINC item codes or local linkIds, in published order
    questionnaires: tuple[str, ...]  # canonical URLs that identify it
    panel: str | None = None  # LOINC panel code
    total: str | None = None  # LOINC total-score code
    answers: dict[str, int] = field(default_factory=dict)
    named_items: bool = False  # COWS: an object of named items, not a list
    # Yes/no items (C-SSRS): each item code's assessment field, and valueBoolean is an answer.
    yes_no_fields: tuple[str, ...] = ()
    required: tuple[str, ...] = ()  # yes/no items without which the screen is incomplete
    # The period the questions ask about ("over the last 2 weeks"): a response older than
    # that no longer describes any part of the present one, so it is not used. None: the
    # questions name no period (AUDIT-C), or the rules judge the age themselves (COWS).
    recall: timedelta | None = None


PHQ9: Final = Instrument(
    key="phq9",
    pointer="/screening/phq9",
    # PHQ-9 items in order (LOINC panel 44249-1 "PHQ-9 quick depression assessment panel"):
    # little interest, feeling down, sleep, tired, appetite, feeling bad about yourself,
    # concentration, moving slowly/restless, thoughts of death or self-harm (44260-8).
    items=(
        "44250-9",
        "44255-8",
        "44259-0",
        "44254-1",
        "44251-7",
        "44258-2",
        "44252-5",
        "44253-3",
        "44260-8",
    ),
    questionnaires=("http://loinc.org/q/44249-1",),
    panel="44249-1",
    total="44261-6",  # Patient Health Questionnaire 9 item (PHQ-9) total score
    answers=FREQUENCY_ANSWERS,
    recall=timedelta(days=14),  # "over the last 2 weeks"
)
PHQ9_ITEM9: Final = "44260-8"

GAD7: Final = Instrument(
    key="gad7",
    pointer="/screening/gad7",
    # GAD-7 items in order (LOINC panel 69737-5 "Generalized anxiety disorder 7 item"):
    # nervous, not able to stop worrying, worrying too much, trouble relaxing, restless,
    # easily annoyed, afraid. Item codes need review against loinc.org.
    items=("69725-0", "68509-3", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"),
    questionnaires=("http://loinc.org/q/69737-5",),
    panel="69737-5",
    total="70274-6",  # Generalized anxiety disorder 7 item (GAD-7) total score
    answers=FREQUENCY_ANSWERS,
    recall=timedelta(days=14),  # "over the last 2 weeks"
)

AUDIT_C: Final = Instrument(
    key="audit_c",
    pointer="/screening/audit_c",
    # AUDIT-C items (LOINC panel 72109-2): how often a drink, drinks on a typical day, how
    # often six or more. Item codes need review; answers need ordinalValue or valueInteger.
    items=("68518-0", "68519-8", "68520-6"),
    questionnaires=("http://loinc.org/q/72109-2",),
    panel="72109-2",
    total="75626-2",  # Total score [AUDIT-C]
)

# No LOINC panel could be confirmed for PCL-5 or COWS: our own Questionnaires, linkIds
# "1".."20" (PCL-5 in published order) and the CowsItems field names (COWS).
PCL5: Final = Instrument(
    key="pcl5",
    pointer="/screening/pcl5",
    items=tuple(str(n) for n in range(1, 21)),
    questionnaires=(LOCAL_QUESTIONNAIRE_BASE + "pcl-5",),
    recall=timedelta(days=30),  # "in the past month"
)
COWS: Final = Instrument(
    key="cows",
    pointer="/withdrawal/cows",
    items=tuple(CowsItems.model_fields),
    questionnaires=(LOCAL_QUESTIONNAIRE_BASE + "cows",),
    named_items=True,
)

# C-SSRS screener, recent version: LOINC panel 93373-9 "Columbia - suicide severity rating
# scale screener - recent [C-SSRS]", items as in the HL7 US Behavioral Health Profiles IG
# example QuestionnaireResponse C-SSRS-example-1 (LOINC Yes/No answers). Questions 1-5 ask
# about the past month; the "since last contact" version is a different form and not read.
CSSRS_ITEMS: Final = {
    "93246-7": "wish_to_be_dead",  # Q1
    "93247-5": "suicidal_thoughts",  # Q2
    "93248-3": "thoughts_with_method",  # Q3
    "93249-1": "intent",  # Q4
    "93250-9": "plan_with_intent",  # Q5
    "93267-3": "suicidal_behavior_lifetime",  # Q6
    "93269-9": "suicidal_behavior_past_3_months",  # Q6: within the past 3 months
}
CSSRS: Final = Instrument(
    key="cssrs",
    pointer="/screening/cssrs",
    items=tuple(CSSRS_ITEMS),
    questionnaires=("http://loinc.org/q/93373-9", LOCAL_QUESTIONNAIRE_BASE + "c-ssrs"),
    panel="93373-9",
    answers=YES_NO_ANSWERS,
    yes_no_fields=tuple(CSSRS_ITEMS.values()),
    # Q1, Q2 and Q6 are always asked; Q3-Q5 only after a yes to Q2, and the 3-month
    # follow-up only after a yes to Q6: the rules treat those gaps as an unfinished screen.
    required=("93246-7", "93247-5", "93267-3"),
    recall=timedelta(days=30),  # "in the past month"
)

# DAST-10: LOINC panel 82666-9, total 82667-7 "Total score [DAST-10]" (the code Synthea
# records). Only the total is read: the item codes could not be confirmed, and the answers
# need item 3's reverse scoring, so item answers are not guessed from linkIds.
DAST10: Final = Instrument(
    key="dast10",
    pointer="/screening/dast10",
    items=(),
    questionnaires=("http://loinc.org/q/82666-9",),
    panel="82666-9",
    total="82667-7",
    recall=timedelta(days=365),  # "in the past 12 months"
)

INSTRUMENTS: Final = (PHQ9, GAD7, AUDIT_C, PCL5, COWS, CSSRS, DAST10)
BY_PANEL: Final = {i.panel: i for i in INSTRUMENTS if i.panel}
BY_TOTAL: Final = {i.total: i for i in INSTRUMENTS if i.total}
ITEM_CODES: Final = frozenset(c for i in INSTRUMENTS if i.panel for c in i.items)


def by_questionnaire(canonical: Any) -> Instrument | None:
    url = (text(canonical) or "").split("|", 1)[0]
    for instrument in INSTRUMENTS:
        if url in instrument.questionnaires:
            return instrument
        if instrument.panel and url.rstrip("/").rsplit("/", 1)[-1] == instrument.panel:
            return instrument
    return None


@dataclass
class Scores:
    """Item scores and total of one instrument instance, plus what could not be scored."""

    items: dict[str, int] = field(default_factory=dict)
    total: int | None = None
    problems: list[str] = field(default_factory=list)

    def as_input(self, instrument: Instrument) -> dict[str, Any] | None:
        if instrument.yes_no_fields:
            if not all(i in self.items for i in instrument.required):
                return None
            return {
                name: self.items[code] == 1
                for code, name in zip(instrument.items, instrument.yes_no_fields, strict=True)
                if code in self.items
            }
        if instrument.named_items:
            complete = all(i in self.items for i in instrument.items)
            return {i: self.items[i] for i in instrument.items} if complete else None
        out: dict[str, Any] = {}
        if instrument.items and all(i in self.items for i in instrument.items):
            out["items"] = [self.items[i] for i in instrument.items]
        if self.total is not None:
            out["total"] = self.total
            if instrument is PHQ9 and "items" not in out and PHQ9_ITEM9 in self.items:
                out["item9"] = self.items[PHQ9_ITEM9]
        return out or None


def score(value_holder: Json, instrument: Instrument) -> int | None:
    """The score of an answer (QR answer or Observation), or None if not determinable. A
    yes/no item (C-SSRS) is 1 or 0 from a valueBoolean or a LOINC Yes/No answer only."""
    if instrument.yes_no_fields:
        if isinstance(value_holder.get("valueBoolean"), bool):
            return int(value_holder["valueBoolean"])
        return _answer_list_score(value_holder, instrument)  # a number is neither yes nor no
    if "valueInteger" in value_holder:
        return _whole(value_holder["valueInteger"])
    for key in ("valueCoding", "valueCodeableConcept"):
        if key not in value_holder:
            continue
        concept = obj(value_holder[key])
        for coding in [concept, *objs(concept.get("coding"))]:
            for url in (ORDINAL_VALUE, ITEM_WEIGHT):
                weight = _whole(extension_value(coding, url))
                if weight is not None:
                    return weight
        return _answer_list_score(value_holder, instrument)
    if "valueDecimal" in value_holder:
        return _whole(value_holder["valueDecimal"])
    if "valueQuantity" in value_holder:
        quantity = obj(value_holder["valueQuantity"])
        if quantity.get("comparator") is not None:
            return None  # ">= 20" is a bound, not a score
        return _whole(quantity.get("value"))
    return None


def _answer_list_score(value_holder: Json, instrument: Instrument) -> int | None:
    """The score of a coded answer from the instrument's LOINC answer list."""
    for key in ("valueCoding", "valueCodeableConcept"):
        for system, code in codings(value_holder.get(key)):
            if system == LOINC and code in instrument.answers:
                return instrument.answers[code]
    return None


def _whole(value: Any) -> int | None:
    num = number(value)
    return int(num) if num is not None and num.is_integer() else None


def _keys(item: Json) -> set[str]:
    link = text(item.get("linkId")) or ""
    keys = {link, link.lstrip("/"), link.rsplit("/", 1)[-1]}
    keys.update(code for system, code in codings({"coding": item.get("code")}) if system == LOINC)
    return keys


def from_questionnaire_response(qr: Json, instrument: Instrument) -> Scores:
    scores = Scores()
    wanted = set(instrument.items)
    for item in _walk_items(objs(qr.get("item"))):
        keys = _keys(item)
        answer = next(iter(objs(item.get("answer"))), None)
        if answer is None:
            continue
        if instrument.total and instrument.total in keys:
            scores.total = score(answer, instrument)
            if scores.total is None:
                scores.problems.append("total: answer has no exact whole-number score")
            continue
        match = keys & wanted
        if match:
            key = match.pop()
            value = score(answer, instrument)
            if value is None:
                scores.problems.append(f"item {key}: answer has no score")
            else:
                scores.items[key] = value
    return scores


def _walk_items(items: list[Json]) -> list[Json]:
    out: list[Json] = []
    for item in items:
        out.append(item)
        out.extend(_walk_items(objs(item.get("item"))))
        for answer in objs(item.get("answer")):
            out.extend(_walk_items(objs(answer.get("item"))))
    return out


def from_observations(parts: list[tuple[str, Json]], instrument: Instrument) -> Scores:
    """Scores from (LOINC code, Observation or component) pairs of one panel."""
    scores = Scores()
    for code, part in parts:
        value = score(part, instrument)
        if code == instrument.total:
            scores.total = value
            if value is None:
                scores.problems.append("total: value has no exact whole-number score")
        elif code in instrument.items:
            if value is None:
                scores.problems.append(f"item {code}: value has no score")
            else:
                scores.items[code] = value
    return scores
