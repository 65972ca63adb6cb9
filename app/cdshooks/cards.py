"""Evaluations as CDS Hooks cards.

Every card names its basis (rule, inputs with their FHIR source, citations, limitations) in
markdown ``detail`` and again, machine-readably, in ``extension``. Optional members with no
value are removed by ``prune`` (the spec's "Use of JSON": no null, "", [] or {}).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Final

from app import rules
from app.cdshooks.orders import DraftDrug
from app.fhir import codes as c
from app.fhir.outbound import care_plan, patient_reference, security_meta
from app.fhir.result import FhirMapping
from app.privacy import REDISCLOSURE_NOTICE, SECURITY_LABELS

Json = dict[str, Any]

TOPIC_SYSTEM: Final = "https://kratom-cds.dev/cds/topic"
ASSAY_TOPIC: Final = "mitragynine-assay"
OVERRIDE_SYSTEM: Final = "https://kratom-cds.dev/fhir/CodeSystem/decision-reason"
EXTENSION_KEY: Final = "kratom-cds.explanation"
PLAN_TOPIC: Final = "plan-summary"
MAX_SUMMARY: Final = 139
OVERRIDE_REASONS: Final = (
    ("already_in_place", "Already addressed or in place"),
    ("clinical_judgment_differs", "Clinical judgment differs"),
    ("contraindication_not_captured", "A contraindication the inputs did not show"),
    ("data_incorrect", "The patient data behind it is wrong or outdated"),
    ("patient_declined", "Patient declined"),
)
SEVERITY_RANK: Final = {"info": 0, "warning": 1, "critical": 2}
SETTING_LABELS: Final = {
    "emergency_department": "emergency department evaluation",
    "inpatient_medically_managed": "inpatient, medically managed withdrawal",
    "inpatient_medically_monitored": "inpatient, medically monitored withdrawal",
    "residential_clinically_managed": "residential, clinically managed withdrawal",
    "outpatient_extended_monitoring": "outpatient withdrawal with extended monitoring",
    "outpatient": "outpatient withdrawal management",
}


@dataclass(frozen=True, slots=True)
class CardMeta:
    """What the cds_cards table keeps of a card."""

    uuid: uuid.UUID
    rule_id: str
    indicator: str
    suggestion_ids: list[str]


def prune(value: Any) -> Any:
    """Drop None, "", [] and {} members recursively (False and 0 are values)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            pruned = prune(item)
            if pruned is None or pruned == "" or pruned == [] or pruned == {}:
                continue
            out[key] = pruned
        return out
    if isinstance(value, list):
        items = [prune(item) for item in value]
        return [i for i in items if not (i is None or i == "" or i == [] or i == {})]
    return value


def summary(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_SUMMARY else text[: MAX_SUMMARY - 1].rstrip() + "…"


class CardBuilder:
    """Builds the cards of one hook call from the evaluation (JSON form) and the mapping."""

    def __init__(
        self,
        evaluation: Json,
        mapping: FhirMapping,
        *,
        base_url: str,
        patient_ref: str,
        plan_id: uuid.UUID | None = None,
    ) -> None:
        self.evaluation = evaluation
        self.mapping = mapping
        self.base_url = base_url.rstrip("/")
        self.patient_ref = patient_ref
        self.plan_id = plan_id
        # The linked plan's status, revision and what this call did to it (patient-view).
        self.plan_state: Json = {"status": "draft", "revision": 1, "outcome": "created"}
        self.ruleset = evaluation["ruleset"]
        self.trace = {t["rule_id"]: t for t in evaluation.get("trace", [])}
        self.sources = {i.field: i for i in mapping.inputs}
        self.cards: list[Json] = []
        self.meta: list[CardMeta] = []

    # ------------------------------------------------------------------ shared parts

    def rule_url(self, rule_id: str) -> str:
        # The public page: an EHR opens card links in a browser, without our API key.
        return f"{self.base_url}/kb/rules/{rule_id}"

    def source(self, rule_id: str, display: str, *, topic: str | None = None) -> Json:
        """``topic``: the stable code an EHR groups cards (and remembers overrides) by; the
        rule id unless one rule yields two kinds of card."""
        return {
            "label": f"kratom-cds rules v{self.ruleset['version']}",
            "url": self.rule_url(rule_id),
            "topic": {"system": TOPIC_SYSTEM, "code": topic or rule_id, "display": display},
        }

    def links(self, rule_ids: list[str]) -> list[Json]:
        """The stored plan (patient data: the EHR's integration opens it with its API key;
        no SMART launch yet) and the public rule pages (open in any browser)."""
        links = []
        if self.plan_id is not None:
            links.append(
                {
                    "label": "Stored treatment plan (kratom-cds; needs the API key)",
                    "url": f"{self.base_url}/v1/plans/{self.plan_id}",
                    "type": "absolute",
                }
            )
        for rule_id in rule_ids[:3]:
            links.append(
                {"label": f"Rule {rule_id}", "url": self.rule_url(rule_id), "type": "absolute"}
            )
        return links

    def inputs(self, rule_ids: list[str], extra: list[Json] | None = None) -> list[Json]:
        """Inputs the rules read that had a value, with the FHIR resource each came from."""
        seen: dict[str, Json] = {}
        for rule_id in rule_ids:
            for pointer, value in _pairs(self.trace.get(rule_id, {}).get("values_read")):
                if value is None or pointer in seen:
                    continue
                seen[pointer] = self.with_source({"pointer": pointer, "value": value})
        for item in extra or []:
            if item.get("value") is not None and item["pointer"] not in seen:
                seen[item["pointer"]] = self.with_source(dict(item))
        return list(seen.values())

    def with_source(self, item: Json) -> Json:
        used = self.sources.get(item["pointer"])
        if used is not None:
            item["from"] = used.ref
            item["code"] = used.code
            item["at"] = used.effective
        return item

    def explanation(self, rule_ids: list[str], inputs: list[Json], evidence: list[Json]) -> Json:
        primary = rule_ids[0] if rule_ids else PLAN_TOPIC
        return {
            EXTENSION_KEY: {
                "ruleId": primary,
                "ruleIds": rule_ids,
                "ruleRevision": self.trace.get(primary, {}).get("revision"),
                "rulesetVersion": self.ruleset["version"],
                "rulesetHash": self.ruleset["hash"],
                # Cards carry plan content: its 42 CFR Part 2 labels travel with them.
                "securityLabels": list(SECURITY_LABELS),
                "redisclosureNotice": REDISCLOSURE_NOTICE,
                "inputs": inputs,
                "evidence": [
                    {
                        "citation": e.get("citation"),
                        "year": e.get("year"),
                        "url": e.get("url"),
                        "doi": e.get("doi"),
                        "strength": e.get("strength"),
                        "quality": e.get("quality"),
                    }
                    for e in evidence
                ],
            }
        }

    def markdown(
        self,
        *,
        lead: list[str],
        rule_ids: list[str],
        inputs: list[Json],
        evidence: list[Json],
        limitations: list[str],
    ) -> str:
        lines = [*lead, ""]
        basis = ", ".join(
            f"[{r}]({self.rule_url(r)}) (revision {self.trace.get(r, {}).get('revision', '?')})"
            for r in rule_ids
        )
        lines.append(f"**Basis:** {basis or 'plan summary'}; ruleset {self.ruleset['version']}.")
        if inputs:
            lines += ["", "**Inputs used:**"]
            for item in inputs[:15]:
                where = ""
                if item.get("from"):
                    at = f", {item['at']}" if item.get("at") else ""
                    where = f" ({item['from']}{at})"
                lines.append(f"- `{item['pointer']}` = {_show(item['value'])}{where}")
        if evidence:
            lines += ["", "**Evidence:**"]
            for e in evidence[:6]:
                grade = f" ({e['strength']})" if e.get("strength") else ""
                link = e.get("url") or (f"https://doi.org/{e['doi']}" if e.get("doi") else None)
                cite = f"[{e['citation']}]({link})" if link else e["citation"]
                lines.append(f"- {cite}{grade}")
        if limitations:
            lines += ["", "**Limitations:**"]
            lines += [f"- {text}" for text in limitations[:6]]
        disclaimer = self.evaluation.get("disclaimer")
        if disclaimer:
            lines += ["", f"_{disclaimer}_"]
        lines += ["", f"_{REDISCLOSURE_NOTICE}_"]  # 42 CFR 2.32, with every card's content
        return "\n".join(lines)

    def add(self, card: Json, rule_id: str) -> None:
        card_id = uuid.uuid4()
        card = prune(
            {
                "uuid": str(card_id),
                **card,
                "overrideReasons": [
                    {"system": OVERRIDE_SYSTEM, "code": code, "display": display}
                    for code, display in OVERRIDE_REASONS
                ],
            }
        )
        if "suggestions" in card:
            card["selectionBehavior"] = "any"  # Epic supports only "any" (anchors.md A8)
        self.cards.append(card)
        suggestions = [s["uuid"] for s in card.get("suggestions", ())]
        self.meta.append(CardMeta(card_id, rule_id, card["indicator"], suggestions))

    def limitations_for(self, rule_ids: list[str]) -> list[str]:
        found: list[str] = []
        for rule_id in rule_ids:
            rule = rules.get_rule(rule_id)
            if rule is not None:
                found += [t for t in rule.limitations if t not in found]
        for phase in self.evaluation.get("phases", []):
            for rec in phase.get("recommendations", []):
                if set(rec.get("rule_ids", [])) & set(rule_ids):
                    found += [t for t in rec.get("limitations", []) if t not in found]
        return found

    # ------------------------------------------------------------------ patient-view

    def alert_cards(self) -> None:
        for alert in self.evaluation.get("alerts", []):
            rule_id = alert["rule_id"]
            inputs = self.inputs([rule_id])
            evidence = alert.get("evidence", [])
            limitations = self.limitations_for([rule_id])
            against = alert.get("advises_against") or []
            lead = [f"**{alert['title']}**", "", alert["detail"]]
            if against:
                lead += ["", f"Advises against: {', '.join(against)}."]
            self.add(
                {
                    "summary": summary(alert["title"]),
                    "indicator": alert["severity"],
                    "detail": self.markdown(
                        lead=lead,
                        rule_ids=[rule_id],
                        inputs=inputs,
                        evidence=evidence,
                        limitations=limitations,
                    ),
                    "source": self.source(rule_id, alert["title"]),
                    "links": self.links([rule_id]),
                    "extension": self.explanation([rule_id], inputs, evidence),
                },
                rule_id,
            )

    def plan_card(self) -> None:
        level = self.evaluation.get("level_of_care") or {}
        rule_ids = list(level.get("rule_ids") or [])
        topic = rule_ids[0] if rule_ids else PLAN_TOPIC
        setting = level.get("setting")
        where = SETTING_LABELS.get(setting or "", "setting not determined")
        if level.get("asam_code"):
            where += f" (ASAM {level['asam_code']})"
        if level.get("determination") == "provisional":
            where += ", provisional"
        lead = [f"**Withdrawal management: {where}.**", "", level.get("rationale", "")]
        for phase in self.evaluation.get("phases", []):
            recs = phase.get("recommendations", [])
            if recs:
                lead += ["", f"**{phase.get('title') or phase['phase']}**"]
                lead += [f"- {r['title']} — *{r['status']}*" for r in recs[:12]]
        missing = self.evaluation.get("missing_inputs", [])
        if missing:
            lead += ["", "**Missing inputs** (would change the result):"]
            lead += [f"- `{m['input']}`: {m['reason']}" for m in missing[:10]]
        unsupported = self.mapping.unsupported
        limitations = (
            [
                f"{len(unsupported)} EHR result(s) could not be used without guessing "
                "(unrecognised code or unit, incomplete instrument); listed in this card's "
                "extension under `unsupported`."
            ]
            if unsupported
            else []
        )
        inputs = self.inputs(rule_ids)
        evidence = [e for r in rule_ids for e in self._rule_evidence(r)]
        status = self.plan_state["status"]
        plan_view = {
            "id": self.plan_id,
            "status": status,
            "patient_ref": self.patient_ref,
            "evaluation": self.evaluation,
        }
        explanation = self.explanation(rule_ids, inputs, evidence)
        explanation[EXTENSION_KEY]["unsupported"] = [
            {"ref": i.ref, "reason": i.reason.value, "detail": i.detail} for i in unsupported[:20]
        ]
        if self.plan_id is not None:
            explanation[EXTENSION_KEY]["plan"] = {"id": str(self.plan_id), **self.plan_state}
        state = {
            "created": f"{status} plan ready",
            "revised": f"{status} plan updated (revision {self.plan_state['revision']})",
            "unchanged": f"{status} plan on file, unchanged",
        }.get(self.plan_state["outcome"], f"{status} plan")
        resource = care_plan(plan_view)
        resource.pop("id", None)  # the EHR assigns its own id
        suggestion = {
            "label": f"Create the {status} treatment plan (CarePlan)",
            "uuid": str(uuid.uuid4()),
            "isRecommended": True,
            "actions": [
                {
                    "type": "create",
                    "description": f"Create a {status} CarePlan with one activity per "
                    "recommendation (42 CFR Part 2 labels in meta.security).",
                    "resource": resource,
                }
            ],
        }
        self.add(
            {
                "summary": summary(f"Kratom use disorder: {where} — {state}"),
                "indicator": "info",
                "detail": self.markdown(
                    lead=lead,
                    rule_ids=rule_ids,
                    inputs=inputs,
                    evidence=evidence,
                    limitations=limitations,
                ),
                "source": self.source(topic, "Kratom use disorder treatment plan"),
                "suggestions": [suggestion],
                "links": self.links(rule_ids),
                "extension": explanation,
            },
            topic,
        )

    def _rule_evidence(self, rule_id: str) -> list[Json]:
        for phase in self.evaluation.get("phases", []):
            for rec in phase.get("recommendations", []):
                if rule_id in rec.get("rule_ids", []):
                    return list(rec.get("evidence", []))[:3]
        return []

    def assay_card(self, uds: Json | None) -> None:
        """Standard immunoassay panels do not detect mitragynine: suggest a specific assay
        when the evaluation says the kratom result is missing (never otherwise)."""
        if uds is not None and uds.get("mitragynine_method") == "lc_ms_ms":
            return
        related = [
            m
            for m in self.evaluation.get("missing_inputs", [])
            if m["input"].startswith("/urine_drug_screen/mitragynine")
            or m["input"] == "/urine_drug_screen"
        ]
        recs = [
            rec
            for phase in self.evaluation.get("phases", [])
            for rec in phase.get("recommendations", [])
            if rec["category"] == "lab"
            and ("mitragynine" in rec["code"] or "kratom" in rec["code"])
            and rec["status"] in ("recommended", "consider")
        ]
        if not related and not recs:
            return
        rule_ids = sorted({r for item in [*related, *recs] for r in item.get("rule_ids", [])})
        if not rule_ids:
            return
        lead = [
            "**Kratom (mitragynine) is not detected by standard urine drug screens.**",
            "",
            "Opiate immunoassays do not cross-react with mitragynine; a specific "
            "immunoassay screen or LC-MS/MS confirmation is needed to document kratom use.",
        ]
        lead += [f"- {rec['title']}: {rec['detail']}" for rec in recs[:2]]
        lead += [f"- `{m['input']}`: {m['reason']}" for m in related[:2]]
        evidence = [e for rec in recs for e in rec.get("evidence", [])][:4]
        limitations = [t for rec in recs for t in rec.get("limitations", [])]
        inputs = self.inputs(rule_ids)
        order = {
            "resourceType": "ServiceRequest",
            "meta": security_meta(),
            "status": "draft",
            "intent": "proposal",
            "category": [
                {
                    "coding": [
                        {
                            "system": c.SNOMED,
                            "code": "108252007",
                            "display": "Laboratory procedure",
                        }
                    ]
                }
            ],
            "code": {
                "coding": [
                    {
                        "system": c.LOINC,
                        "code": c.MITRAGYNINE_CONFIRMATION,
                        "display": "Mitragynine [Presence] in Urine by Confirmatory method",
                    }
                ],
                "text": "Mitragynine (kratom) urine assay, LC-MS/MS confirmation",
            },
            "subject": patient_reference(self.patient_ref),
        }
        self.add(
            {
                "summary": "Standard drug screens miss kratom: order a mitragynine assay",
                "indicator": "info",
                "detail": self.markdown(
                    lead=lead,
                    rule_ids=rule_ids,
                    inputs=inputs,
                    evidence=evidence,
                    limitations=limitations,
                ),
                # Not the screen alert's topic: dismissing that alert must not hide the order.
                "source": self.source(
                    rule_ids[0], "Kratom-specific drug testing", topic=ASSAY_TOPIC
                ),
                "suggestions": [
                    {
                        "label": "Order a urine mitragynine assay",
                        "uuid": str(uuid.uuid4()),
                        "isRecommended": True,
                        "actions": [
                            {
                                "type": "create",
                                "description": "Create a draft ServiceRequest for a "
                                "mitragynine (kratom) urine assay.",
                                "resource": order,
                            }
                        ],
                    }
                ],
                "links": self.links(rule_ids),
                "extension": self.explanation(rule_ids, inputs, evidence),
            },
            rule_ids[0],
        )

    # ------------------------------------------------------------------ order-sign

    def order_cards(self, drugs: list[DraftDrug]) -> None:
        recs = {
            rec["code"]: rec
            for phase in self.evaluation.get("phases", [])
            for rec in phase.get("recommendations", [])
            if rec["category"] == "medication"
        }
        for drug in drugs:
            rec = recs.get(drug.drug)
            alerts = [
                a
                for a in self.evaluation.get("alerts", [])
                if drug.drug in (a.get("advises_against") or [])
            ]
            status = rec["status"] if rec else None
            if not alerts and status not in ("avoid", "contraindicated"):
                continue
            indicator = max(
                [a["severity"] for a in alerts]
                + (["critical"] if status == "contraindicated" else [])
                + (["warning"] if status == "avoid" else []),
                key=SEVERITY_RANK.__getitem__,
            )
            rule_ids = list(
                dict.fromkeys([a["rule_id"] for a in alerts] + (rec or {}).get("rule_ids", []))
            )
            headline = alerts[0]["title"] if alerts else (rec or {}).get("title", "")
            name = drug.drug.capitalize()
            lead = [f"**{name} ordered ({drug.label}): {status or 'not advised'} now.**"]
            for alert in alerts:
                lead += ["", f"**{alert['title']}** — {alert['detail']}"]
            if rec:
                lead += ["", rec["detail"], "", f"Rationale: {rec['rationale']}"]
            extra = [
                {"pointer": pointer, "value": value}
                for pointer, value in _pairs((rec or {}).get("inputs_used"))
            ]
            inputs = self.inputs(rule_ids, extra)
            evidence = [e for a in alerts for e in a.get("evidence", [])]
            evidence += [e for e in (rec or {}).get("evidence", []) if e not in evidence]
            limitations = list(
                dict.fromkeys(
                    [*(rec or {}).get("limitations", []), *self.limitations_for(rule_ids)]
                )
            )
            suggestions = []
            if drug.resource_ids:
                many = len(drug.resource_ids) > 1
                suggestions.append(
                    {
                        "label": f"Remove the {drug.drug} order" + ("s" if many else ""),
                        "uuid": str(uuid.uuid4()),
                        "isRecommended": indicator == "critical",
                        "actions": [
                            {
                                "type": "delete",
                                "description": f"Remove the draft {drug.drug} order.",
                                "resourceId": resource_id,
                            }
                            for resource_id in drug.resource_ids
                        ],
                    }
                )
            topic = rule_ids[0] if rule_ids else drug.drug
            self.add(
                {
                    "summary": summary(f"{name}: {headline}"),
                    "indicator": indicator,
                    "detail": self.markdown(
                        lead=lead,
                        rule_ids=rule_ids,
                        inputs=inputs,
                        evidence=evidence,
                        limitations=limitations,
                    ),
                    "source": self.source(topic, f"{name} safety"),
                    "suggestions": suggestions,
                    "links": self.links(rule_ids),
                    "extension": self.explanation(rule_ids, inputs, evidence[:8]),
                },
                topic,
            )


def _pairs(inputs: Any) -> list[tuple[str, Any]]:
    """(pointer, value) pairs from a mapping or a list of {pointer, value} objects."""
    if isinstance(inputs, dict):
        return list(inputs.items())
    if isinstance(inputs, list):
        return [(i["pointer"], i.get("value")) for i in inputs if isinstance(i, dict)]
    return []


def _show(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value[:8]) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
