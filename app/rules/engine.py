"""`evaluate`: run every rule, then merge what they found into the evaluation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from app.rules.build import make
from app.rules.catalog import RULES
from app.rules.facts import Facts, cows_not_current, elapsed_text, vitals_not_current
from app.rules.findings import Findings, LevelOut, OpenLevel, RecOut
from app.rules.ruleset import RULESET_HASH, RULESET_VERSION
from app.rules.scores import compute_scores
from app.rules.types import Rule
from app.schemas.assessment import AssessmentIn
from app.schemas.evaluation import (
    Alert,
    Determination,
    Evaluation,
    LevelOfCare,
    MissingInput,
    PhasePlan,
    Recommendation,
    RulesetInfo,
    Scores,
    Setting,
    Severity,
    Status,
    TraceEntry,
)
from app.schemas.plan_vocab import Phase

ASAM_EDITION = "ASAM Criteria 3rd ed. (2013)"
ASAM_CODE: dict[Setting, str | None] = {
    Setting.emergency_department: None,
    Setting.inpatient_medically_managed: "4-WM",
    Setting.inpatient_medically_monitored: "3.7-WM",
    Setting.residential_clinically_managed: "3.2-WM",
    Setting.outpatient_extended_monitoring: "2-WM",
    Setting.outpatient: "1-WM",
}
_INTENSITY = {s: i for i, s in enumerate(Setting)}  # 0 = most intensive
_STATUS_RANK = {s: i for i, s in enumerate(Status)}  # higher = more restrictive
_SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}
_STABILIZATION, _BEHAVIORAL, _AFTERCARE = (
    Phase.stabilization,
    Phase.behavioral_therapy,
    Phase.aftercare,
)
PHASE_TITLES = {
    Phase.stabilization: "Assessment and stabilization",
    Phase.behavioral_therapy: "Behavioral therapy and relapse prevention",
    Phase.aftercare: "Aftercare and maintenance",
}
_TITLES = tuple(PHASE_TITLES[p] for p in (_STABILIZATION, _BEHAVIORAL, _AFTERCARE))
EVIDENCE_LEVEL = (
    "No clinical practice guideline specific to kratom use disorder exists. Recommendations "
    "extrapolate from opioid use disorder guidance, FDA labels and validated instruments, and "
    "rest for kratom itself on case reports, case series and surveys."
)
DISCLAIMER = (
    "Clinical decision support for licensed clinicians, not medical orders and not for "
    "time-critical use: every recommendation shows its basis so that it can be checked, and "
    "clinical judgment decides. Medication suggestions are for a prescriber to review."
)
_RULESET = RulesetInfo(version=RULESET_VERSION, hash=RULESET_HASH)


def evaluate(
    assessment: AssessmentIn, *, as_of: datetime, rules: Sequence[Rule] = RULES
) -> Evaluation:
    """Evaluate every rule against the assessment at `as_of`; deterministic and pure."""
    run = _RUN_ALL if rules is RULES else compile_rules(rules)
    return _evaluate(assessment, compute_scores(assessment), as_of, run)


Run = Callable[[dict[str, Any], Facts, Findings], list[TraceEntry]]


def compile_rules(rules: Sequence[Rule]) -> Run:
    """The rule table as one function that, for each rule in order, reads its declared inputs,
    applies it and appends its trace entry. It is generated from the table (rule ids and
    input keys are validated literals of our own code) so that the whole pass is one Python
    call with one dict display per rule: the budget is 100 microseconds for the table."""
    lines = ["def run(flat, facts, out):", "    trace = []", "    append = trace.append"]
    namespace: dict[str, Any] = {}
    for i, rule in enumerate(rules):
        namespace[f"rule_{i}"] = rule
        namespace[f"apply_{i}"] = rule.apply
        values = ", ".join(f"{key!r}: flat[{key!r}]" for key in rule.reads)
        lines += [
            f"    values = {{{values}}}",
            f"    out.rule = rule_{i}",
            f"    append({{'rule_id': {rule.id!r}, 'revision': {rule.revision!r}, "
            f"'fired': apply_{i}(facts, out), 'values_read': values}})",
        ]
    lines.append("    return trace")
    exec(compile("\n".join(lines), "<rule table>", "exec"), namespace)  # noqa: S102 - docstring
    run: Run = namespace["run"]
    return run


_RUN_ALL = compile_rules(RULES)


def _evaluate(a: AssessmentIn, scores: Scores, as_of: datetime, run: Run) -> Evaluation:
    f = Facts(a, scores, as_of)
    flat = f.flat
    out = Findings()
    trace = tuple(run(flat, f, out))
    _defer_in_emergency(out)
    alerts = sorted(out.alerts, key=lambda x: _SEVERITY_RANK[x.severity])
    against = {code for x in alerts for code in x.advises_against}
    return make(
        Evaluation,
        {
            "evaluated_at": as_of,
            "level_of_care": _level_of_care(f, out.levels, out.open_levels),
            "alerts": tuple(
                make(
                    Alert,
                    {
                        "code": x.code,
                        "severity": x.severity,
                        "title": x.title,
                        "detail": x.detail,
                        "rule_id": x.rule.id,
                        "evidence": x.rule.evidence,
                        "advises_against": x.advises_against,
                    },
                )
                for x in alerts
            ),
            "phases": _phases(out.recs, against),
            "missing_inputs": _missing(out),
            "trace": trace,
            "scores": scores,
            "ruleset": _RULESET,
            "evidence_level": EVIDENCE_LEVEL,
            "disclaimer": DISCLAIMER,
        },
    )


# ----------------------------------------------------------------------------- emergencies

#: Medications that start withdrawal management or maintenance: while an emergency finding
#: stands they wait for the emergency assessment (naloxone and symptomatic care do not).
DEFERRED_IN_EMERGENCY = ("buprenorphine", "methadone", "naltrexone", "lofexidine", "clonidine")
_new_rec = tuple.__new__


def _defer_in_emergency(out: Findings) -> None:
    """An emergency finding overrides everything else (hazard HZ-01): a medication that the
    rules would otherwise recommend is at most `consider` until the emergency is assessed.
    The emergency rule that decided it is named in the recommendation (its rationale and
    citations come with it)."""
    emergency = next((lv for lv in out.levels if lv.setting is Setting.emergency_department), None)
    if emergency is None:
        return
    for code in DEFERRED_IN_EMERGENCY:
        group = out.recs.get(code)
        if group is None or {r.status for r in group} - {None} != {Status.recommended}:
            continue  # absent, or already capped by a rule of its own
        first = group[0]
        detail = (
            f"Emergency finding first ({emergency.reason.rstrip('.')}): decide on this once the "
            "emergency has been assessed and treated."
        )
        capped = (emergency.rule, first.phase, code, first.category, first.title)
        group.append(_new_rec(RecOut, (*capped, Status.consider, detail)))


# ----------------------------------------------------------------------------- level of care


def _level_of_care(f: Facts, levels: list[LevelOut], open_levels: list[OpenLevel]) -> LevelOfCare:
    best: Setting | None = None
    for lv in levels:
        if best is None or _INTENSITY[lv.setting] < _INTENSITY[best]:
            best = lv.setting
    deciders = [lv for lv in levels if lv.setting is best]
    rule_ids = tuple(dict.fromkeys(lv.rule.id for lv in deciders))
    reasons = " ".join(dict.fromkeys(lv.reason for lv in deciders))
    s = f.scores
    has_vitals = s.news2.value is not None
    has_withdrawal = s.cows.value is not None or s.sows.value is not None
    age = vitals_not_current(f)  # hours, when the vital signs are not current (VS-06)
    if best is Setting.emergency_department:
        determination, note = Determination.determined, ""
        # The emergency stands, but when only old vital signs decided it, say so (an emergency
        # from another finding, such as high suicide risk, does not rest on them).
        on_vitals_only = all(rule_id.startswith("VS-") for rule_id in rule_ids)
        if age is not None and on_vitals_only:
            determination = Determination.provisional
            note = (
                f"Provisional: the vital signs are {elapsed_text(age)} old; re-check them "
                "now (the emergency stands until then)."
            )
    elif not has_vitals and not has_withdrawal:
        determination = Determination.indeterminate
        note = (
            "Neither vital signs nor a withdrawal scale (COWS or SOWS) were given, so no "
            "withdrawal-management setting can be chosen safely: record vital signs and COWS."
        )
        if best is not None:
            note += f" The findings so far already require at least {best.value}."
    else:
        gaps = []
        if not s.news2.complete:
            gaps.append("vital signs incomplete (NEWS2 is a lower bound)")
        if age is not None:
            gaps.append(f"vital signs {elapsed_text(age)} old (not current)")
        if s.cows.value is None:
            gaps.append("COWS not scored")
        else:
            cows_age = cows_not_current(f)
            if cows_age is not None:
                gaps.append(f"COWS scored {elapsed_text(cows_age)} ago (not current)")
        # Unanswered questions that would require a more intensive setting than decided.
        gaps += dict.fromkeys(
            f"{o.question} (would need at least {o.setting.value.replace('_', ' ')}, {o.rule.id})"
            for o in open_levels
            if best is None or _INTENSITY[o.setting] < _INTENSITY[best]
        )
        if gaps:
            determination = Determination.provisional
            note = f"Provisional: {'; '.join(gaps)}; the setting may rise once they are recorded."
        else:
            determination, note = Determination.determined, ""
    setting = None if determination is Determination.indeterminate else best
    return make(
        LevelOfCare,
        {
            "setting": setting,
            "asam_code": ASAM_CODE[setting] if setting is not None else None,
            "asam_edition": ASAM_EDITION,
            "determination": determination,
            "minimum_setting": best,
            "rule_ids": rule_ids,
            "rationale": " ".join(x for x in (reasons, note) if x),
        },
    )


# ----------------------------------------------------------------------------- recommendations


def _phases(grouped: dict[str, list[RecOut]], against: set[str]) -> tuple[PhasePlan, ...]:
    stabilization: list[Recommendation] = []
    behavioral: list[Recommendation] = []
    aftercare: list[Recommendation] = []
    buckets = {_STABILIZATION: stabilization, _BEHAVIORAL: behavioral, _AFTERCARE: aftercare}
    cache = _CACHE
    for code, group in grouped.items():
        advised = code in against
        key = (code, advised, *[(r.rule.id, id(r.status), r.detail) for r in group])
        rec = cache.get(key)
        if rec is None:
            rec = _merge(code, group, advised)
            if len(cache) >= _CACHE_MAX:
                cache.clear()
            cache[key] = rec
        buckets[group[0].phase].append(rec)
    return (
        make(
            PhasePlan,
            {"phase": _STABILIZATION, "title": _TITLES[0], "recommendations": tuple(stabilization)},
        ),
        make(
            PhasePlan,
            {"phase": _BEHAVIORAL, "title": _TITLES[1], "recommendations": tuple(behavioral)},
        ),
        make(
            PhasePlan,
            {"phase": _AFTERCARE, "title": _TITLES[2], "recommendations": tuple(aftercare)},
        ),
    )


#: Built recommendations by content. A recommendation is a pure function of its
#: contributions, so equal contributions share one immutable instance; bounded.
_CACHE: dict[tuple[object, ...], Recommendation] = {}
_CACHE_MAX = 4096


def _merge(code: str, group: list[RecOut], advised_against: bool) -> Recommendation:
    """One recommendation per code: the most restrictive status wins, and its reasons come
    first; an alert advising against the code makes it at least `avoid`."""
    status = Status.consider
    rank = -1
    for rec in group:
        if rec.status is not None and _STATUS_RANK[rec.status] > rank:
            status, rank = rec.status, _STATUS_RANK[rec.status]
    if advised_against and rank < _STATUS_RANK[Status.avoid]:
        status = Status.avoid
    deciding = [r for r in group if r.status is status]
    others = [r for r in group if r.status is not status]
    details = list(dict.fromkeys(r.detail for r in (*deciding, *others)))
    if advised_against and not deciding:
        details.insert(0, "A safety alert advises against it (see alerts).")
    rules = list({r.rule.id: r.rule for r in group}.values())
    first = group[0]
    return make(
        Recommendation,
        {
            "code": code,
            "category": first.category,
            "title": first.title,
            "detail": " ".join(details),
            "status": status,
            "rationale": " ".join(dict.fromkeys(r.rationale for r in rules)),
            "rule_ids": tuple(r.id for r in rules),
            "inputs_used": tuple(dict.fromkeys(k for r in rules for k in r.reads)),
            "evidence": tuple({e.source_key: e for r in rules for e in r.evidence}.values()),
            "limitations": tuple(dict.fromkeys(x for r in rules for x in r.limitations)),
        },
    )


# ----------------------------------------------------------------------------- gaps


def _missing(out: Findings) -> tuple[MissingInput, ...]:
    merged: dict[str, tuple[str, list[str]]] = {}
    for gap in out.gaps:
        seen = merged.get(gap.pointer)
        if seen is None:
            merged[gap.pointer] = (gap.reason, [gap.rule.id])
        elif gap.rule.id not in seen[1]:
            seen[1].append(gap.rule.id)
    return tuple(
        make(MissingInput, {"input": pointer, "reason": reason, "rule_ids": tuple(ids)})
        for pointer, (reason, ids) in merged.items()
    )
