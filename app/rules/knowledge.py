"""The knowledge base for clinical owners: the rule table as Markdown, and the ONC HTI-1
source attributes of each intervention, computed from each rule's declared inputs."""

from __future__ import annotations

from typing import Any

from app.rules.catalog import RULES
from app.rules.engine import DEFERRED_IN_EMERGENCY
from app.rules.facts import DERIVED_INPUTS
from app.rules.ruleset import RULESET_HASH, RULESET_RELEASE_DATE, RULESET_VERSION
from app.rules.sources import SOURCES
from app.rules.types import Rule

DEVELOPER = (
    "kratom-cds project engineering team, translating the cited guidelines, labels and "
    "studies; clinical content pending named clinical-owner sign-off"
)
FUNDING = (
    "Internal development of the kratom-cds project; no external or commercial funding "
    "declared (to be confirmed by the deploying organisation)"
)

#: Score inputs, so that a rule reading a score counts the inputs behind it.
SCORE_INPUTS: dict[str, tuple[str, ...]] = {
    "scores.cows": ("/withdrawal/cows",),
    "scores.sows": ("/withdrawal/sows",),
    "scores.dsm5": ("/dsm5_criteria_met", "/use_history/prescribed_opioid_under_supervision"),
    "scores.news2": ("/vitals",),
    "scores.liver": ("/labs",),
    "scores.qtc": ("/labs/qtc_ms", "/patient/sex_at_birth"),
    "scores.phq9": ("/screening/phq9",),
    "scores.gad7": ("/screening/gad7",),
    "scores.pcl5": ("/screening/pcl5",),
    "scores.cssrs": ("/screening/cssrs",),
    "scores.audit_c": ("/screening/audit_c", "/patient/sex_at_birth"),
    "scores.dast10": ("/screening/dast10",),
}

#: HTI-1 data categories, each with the assessment inputs that belong to it (USCDI v3 terms).
HTI1_CATEGORIES: dict[str, tuple[str, ...]] = {
    "race": ("/patient/race",),
    "ethnicity": ("/patient/ethnicity",),
    "language": ("/patient/language",),
    "sexual_orientation": ("/patient/sexual_orientation",),
    "gender_identity": ("/patient/gender_identity",),
    "sex": ("/patient/sex_at_birth",),
    "date_of_birth": ("/patient/birth_date", "/patient/age_years"),
    "social_determinants_of_health": (
        "/social/housing",
        "/social/support_person_available",
        "/social/has_transportation",
        "/social/employment",
        "/social/legal_issues",
    ),
    "health_status_assessments": (
        "/screening",
        "/withdrawal/cows",
        "/withdrawal/sows",
        "/dsm5_criteria_met",
        "/patient/pregnancy_status",
        "/labs/pregnancy_test",
        "/use_history",
        "/social/trauma_history",
    ),
}


def expanded_inputs(rule: Rule) -> list[str]:
    """The assessment inputs a rule depends on, with scores and derived values expanded."""
    seen: dict[str, None] = {}
    stack = list(rule.reads)
    while stack:
        key = stack.pop(0)
        if key in seen:
            continue
        seen[key] = None
        if key.startswith("derived."):
            stack.extend(DERIVED_INPUTS[key])
        elif key.startswith("scores."):
            stack.extend(SCORE_INPUTS[".".join(key.split(".")[:2])])
    return sorted(k for k in seen if k.startswith("/"))


def _uses(inputs: list[str], prefixes: tuple[str, ...]) -> bool:
    return any(
        i == p or i.startswith(p + "/") or p.startswith(i + "/") for i in inputs for p in prefixes
    )


def _citation(key: str) -> str:
    s = SOURCES[key]
    link = s.url or (f"https://doi.org/{s.doi}" if s.doi else "")
    return f"{s.citation} {link}".strip()


def knowledge_sources() -> dict[str, Any]:
    """HTI-1 (45 CFR 170.315(b)(11)) source attributes for every intervention (rule)."""
    interventions = []
    for rule in RULES:
        inputs = expanded_inputs(rule)
        uses = {name: _uses(inputs, paths) for name, paths in HTI1_CATEGORIES.items()}
        interventions.append(
            {
                "id": rule.id,
                "title": rule.title,
                "revision": rule.revision,
                "citations": [_citation(c.key) for c in rule.cites],
                "developer": DEVELOPER,
                "funding_source": FUNDING,
                "release_date": RULESET_RELEASE_DATE.isoformat(),
                "revision_date": RULESET_RELEASE_DATE.isoformat(),
                "inputs": inputs,
                **{f"uses_{name}": value for name, value in uses.items()},
            }
        )
    return {
        "ruleset_version": RULESET_VERSION,
        "ruleset_hash": RULESET_HASH,
        "release_date": RULESET_RELEASE_DATE.isoformat(),
        "dsi_type": "evidence-based",
        "interventions": interventions,
    }


def _md_rule(rule: Rule) -> list[str]:
    lines = [
        f"### {rule.id} — {rule.title} (revision {rule.revision})",
        "",
        f"**What it does.** {rule.summary}",
        "",
        f"**Why.** {rule.rationale}",
        "",
        f"**Family.** {rule.family.value}. **Inputs.** "
        + (", ".join(f"`{r}`" for r in rule.reads) or "none (applies to everyone)"),
        "",
        "**Citations.**",
        "",
    ]
    for c in rule.cites:
        s = SOURCES[c.key]
        grade = ""
        if c.strength or c.quality:
            grade = f" Strength: {c.strength or 'n/a'}; quality: {c.quality or 'n/a'}."
        link = f" {s.url}" if s.url else f" doi:{s.doi}" if s.doi else ""
        lines.append(
            f"- [{c.key}] {s.citation}{link} — supports: {c.supports}. Evidence: {s.design}."
            f"{grade} Verification: {c.verification or s.verification}."
        )
    if rule.thresholds:
        lines += ["", "**Thresholds.**", ""]
        for t in rule.thresholds:
            flag = "confirmed" if t.signed_off else "NEEDS CLINICIAN SIGN-OFF"
            lines.append(
                f"- `{t.name}` = {t.value:g} {t.unit} ({', '.join(t.sources)}; {flag})"
                + (f": {t.note}" if t.note else "")
            )
    lines += ["", "**Limitations.**", ""]
    lines += [f"- {x}" for x in rule.limitations]
    lines.append("")
    return lines


def knowledge_base_markdown() -> str:
    """docs/knowledge-base.md: every rule with what it does, why, inputs, citations and
    limitations (generated; clinical owners review rules here, not in code)."""
    lines = [
        "# Knowledge base",
        "",
        "Generated from the rule table (`app/rules`); do not edit by hand. Regenerate with "
        "`kratom-cds rules doc`.",
        "",
        f"- Ruleset version: **{RULESET_VERSION}**",
        f"- Content hash: `{RULESET_HASH}`",
        f"- Release date: {RULESET_RELEASE_DATE.isoformat()}",
        f"- Rules: {len(RULES)}",
        "",
        "No clinical practice guideline specific to kratom use disorder exists; rules "
        "extrapolate from opioid use disorder guidance, labels and validated instruments, and "
        "say so in their limitations. Thresholds marked NEEDS CLINICIAN SIGN-OFF were not "
        "confirmed in a primary source (see docs/evidence-verification.md).",
        "",
        "## How the rules combine",
        "",
        "- Level of care: the most intensive setting any rule demands wins.",
        "- A recommendation named by several rules takes the most restrictive status "
        "(recommended < consider < avoid < contraindicated); an alert that advises against "
        "it makes it at least `avoid`.",
        "- An emergency finding overrides everything else: while any rule sends the patient "
        "to the emergency department, starting "
        + ", ".join(DEFERRED_IN_EMERGENCY)
        + " is at most `consider`, naming the emergency rule (naloxone and symptomatic care "
        "are not deferred).",
        "- A missing input is listed in `missing_inputs` with the rules that needed it; a "
        "medication whose safety check depends on it is at most `consider`.",
        "",
        "## Rules",
        "",
        "| Id | Title | Family |",
        "|----|-------|--------|",
    ]
    lines += [f"| {r.id} | {r.title} | {r.family.value} |" for r in RULES]
    lines.append("")
    for rule in RULES:
        lines += _md_rule(rule)
    return "\n".join(lines)
