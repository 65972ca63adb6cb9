"""The one way the request path runs the rules: evaluate, and count the rules that fired."""

from __future__ import annotations

from datetime import datetime

from app import rules
from app.observability import record_fired_rules
from app.schemas.assessment import AssessmentIn
from app.schemas.evaluation import Evaluation


def evaluate(assessment: AssessmentIn, *, as_of: datetime) -> Evaluation:
    """``rules.evaluate`` (pure) plus the ``kcds_rules_fired_total`` metric for this request."""
    evaluation = rules.evaluate(assessment, as_of=as_of)
    record_fired_rules([entry["rule_id"] for entry in evaluation.trace if entry["fired"]])
    return evaluation
