"""Ruleset identity: the semver version and a content hash of the rule table's metadata."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

from app.rules.catalog import RULES
from app.rules.sources import SOURCES
from app.rules.types import Rule

#: Bump on any change to a rule's logic or metadata (tests pin the hash per version).
RULESET_VERSION = "1.71.0"
#: Release date of this ruleset version (HTI-1 source attribute).
RULESET_RELEASE_DATE = date(2026, 11, 27)


def rule_metadata(rule: Rule) -> dict[str, Any]:
    """Everything a clinical owner reviews about a rule, as plain JSON-able data."""
    return {
        "id": rule.id,
        "revision": rule.revision,
        "family": rule.family.value,
        "title": rule.title,
        "summary": rule.summary,
        "rationale": rule.rationale,
        "reads": list(rule.reads),
        "citations": [
            {
                "key": c.key,
                "supports": c.supports,
                "strength": c.strength,
                "quality": c.quality,
                "verification": c.verification,
            }
            for c in rule.cites
        ],
        "limitations": list(rule.limitations),
        "thresholds": [
            {
                "name": t.name,
                "value": t.value,
                "unit": t.unit,
                "sources": list(t.sources),
                "signed_off": t.signed_off,
                "note": t.note,
            }
            for t in rule.thresholds
        ],
    }


def _canonical() -> bytes:
    cited = sorted({c.key for r in RULES for c in r.cites})
    document = {
        "rules": [rule_metadata(r) for r in RULES],
        "sources": [
            {
                "key": s.key,
                "citation": s.citation,
                "year": s.year,
                "url": s.url,
                "doi": s.doi,
                "design": s.design,
                "verification": s.verification,
            }
            for s in (SOURCES[k] for k in cited)
        ],
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


RULESET_HASH = "sha256:" + hashlib.sha256(_canonical()).hexdigest()
