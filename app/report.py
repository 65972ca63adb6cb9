"""An evaluation as plain text for a person to read (`kratom-cds evaluate`): level of care,
alerts first, then each phase's recommendations with their reasons and basis."""

from __future__ import annotations

import textwrap

from app.schemas.evaluation import Evaluation, Recommendation

WIDTH = 100
_STATUS_ORDER = {"recommended": 0, "consider": 1, "avoid": 2, "contraindicated": 3}


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent) or [indent]


def _score_line(evaluation: Evaluation) -> str:
    parts = []
    for name, score in evaluation.scores:
        if score.value is None:
            continue
        value = f"{score.value:g}"
        parts.append(f"{name.upper()} {value}" + (f" ({score.band})" if score.band else ""))
    return ", ".join(parts) or "none computable from the inputs given"


def _recommendation(rec: Recommendation) -> list[str]:
    lines = [f"  [{rec.status.value.upper()}] {rec.title}  ({', '.join(rec.rule_ids)})"]
    lines += _wrap(rec.detail, "      ")
    lines += _wrap(f"Why: {rec.rationale}", "      ")
    sources = "; ".join(e.citation for e in rec.evidence[:3])
    more = f" (+{len(rec.evidence) - 3} more)" if len(rec.evidence) > 3 else ""
    lines += _wrap(f"Sources: {sources}{more}", "      ")
    return lines


def render_text(evaluation: Evaluation) -> str:
    """The evaluation as a clinician would read it; the JSON form carries everything else
    (inputs used, limitations, the full trace)."""
    loc = evaluation.level_of_care
    setting = loc.setting.value.replace("_", " ") if loc.setting else "not determined"
    lines = [
        f"kratom-cds evaluation (ruleset {evaluation.ruleset.version}, "
        f"as of {evaluation.evaluated_at.isoformat()})",
        "",
        f"LEVEL OF CARE: {setting}"
        + (f" (ASAM {loc.asam_code})" if loc.asam_code else "")
        + f" [{loc.determination.value}; {', '.join(loc.rule_ids) or 'no rule'}]",
    ]
    lines += _wrap(loc.rationale, "  ")
    lines += ["", *_wrap(f"SCORES: {_score_line(evaluation)}", "")]
    lines += ["", f"ALERTS ({len(evaluation.alerts)})"]
    if not evaluation.alerts:
        lines.append("  none")
    for alert in evaluation.alerts:
        lines.append(f"  [{alert.severity.value.upper()}] {alert.title}  ({alert.rule_id})")
        lines += _wrap(alert.detail, "      ")
    for phase in evaluation.phases:
        lines += ["", f"PHASE: {phase.title.upper()} ({len(phase.recommendations)})"]
        ordered = sorted(phase.recommendations, key=lambda r: _STATUS_ORDER[r.status.value])
        for rec in ordered:
            lines += _recommendation(rec)
    lines += ["", f"MISSING INPUTS ({len(evaluation.missing_inputs)})"]
    if not evaluation.missing_inputs:
        lines.append("  none")
    for gap in evaluation.missing_inputs:
        lines += _wrap(f"{gap.input}: {gap.reason} ({', '.join(gap.rule_ids)})", "  ")
    lines += ["", *_wrap(evaluation.disclaimer, "")]
    return "\n".join(lines) + "\n"
