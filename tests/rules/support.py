"""Helpers for reading evaluations in rule tests."""

from __future__ import annotations

from typing import Any

from app.rules import evaluate
from app.schemas.evaluation import Evaluation
from tests.factories import AS_OF, make_assessment


def run(**overrides: Any) -> Evaluation:
    """Evaluate `make_assessment(**overrides)` at the fixed test time."""
    return evaluate(make_assessment(**overrides), as_of=AS_OF)


def fired(ev: Evaluation, rule_id: str) -> bool:
    return next(t["fired"] for t in ev.trace if t["rule_id"] == rule_id)


def statuses(ev: Evaluation) -> dict[str, str]:
    return {r.code: r.status.value for p in ev.phases for r in p.recommendations}


def status(ev: Evaluation, code: str) -> str | None:
    return statuses(ev).get(code)


def alerts(ev: Evaluation) -> dict[str, str]:
    """Alert code -> severity (the most severe if a code repeats)."""
    out: dict[str, str] = {}
    for a in reversed(ev.alerts):
        out[a.code] = a.severity.value
    return out


def setting(ev: Evaluation) -> str | None:
    s = ev.level_of_care.setting
    return s.value if s is not None else None


def detail(ev: Evaluation, code: str) -> str:
    return next(r.detail for p in ev.phases for r in p.recommendations if r.code == code)


def missing(ev: Evaluation) -> set[str]:
    return {m.input for m in ev.missing_inputs}
