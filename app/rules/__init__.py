"""The clinical rules engine: pure, deterministic, traced.

It imports only the standard library, pydantic and `app.schemas`; time is an argument
(`as_of`), never read from a clock (tests/rules/test_purity.py).
"""

from __future__ import annotations

from app.rules.catalog import RULES
from app.rules.engine import evaluate
from app.rules.knowledge import knowledge_base_markdown, knowledge_sources
from app.rules.ruleset import RULESET_HASH, RULESET_RELEASE_DATE, RULESET_VERSION, rule_metadata
from app.rules.scores import compute_scores
from app.rules.transitions import follow_up_schedule, suggest_phase_transition
from app.rules.types import Rule

_BY_ID = {r.id: r for r in RULES}


def get_rule(rule_id: str) -> Rule | None:
    """The rule with this id, or None."""
    return _BY_ID.get(rule_id)


__all__ = [
    "RULES",
    "RULESET_HASH",
    "RULESET_RELEASE_DATE",
    "RULESET_VERSION",
    "Rule",
    "compute_scores",
    "evaluate",
    "follow_up_schedule",
    "get_rule",
    "knowledge_base_markdown",
    "knowledge_sources",
    "rule_metadata",
    "suggest_phase_transition",
]
