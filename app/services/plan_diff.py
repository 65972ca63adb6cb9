"""Structured difference between two evaluations (pure; stored with each new revision)."""

from __future__ import annotations

from typing import Any


def _recommendations(evaluation: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (phase["phase"], rec["code"]): rec
        for phase in evaluation.get("phases", [])
        for rec in phase.get("recommendations", [])
    }


def _alerts(evaluation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {alert["code"]: alert for alert in evaluation.get("alerts", [])}


def _numbers(score: Any) -> dict[str, Any]:
    """The comparable parts of one score: its numeric value(s) and its band or category."""
    if not isinstance(score, dict):
        return {}
    keys = ("total", "value", "count", "band", "category", "risk_level", "severity", "positive")
    return {k: score[k] for k in keys if k in score and score[k] is not None}


def score_changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    changes = []
    for name in sorted(set(before) | set(after)):
        old, new = _numbers(before.get(name)), _numbers(after.get(name))
        if old == new:
            continue
        change: dict[str, Any] = {"score": name, "from": old or None, "to": new or None}
        for key in ("total", "value", "count"):
            a, b = old.get(key), new.get(key)
            if isinstance(a, int | float) and isinstance(b, int | float):
                change["delta"] = b - a
                break
        changes.append(change)
    return changes


def diff_evaluations(
    previous: dict[str, Any], current: dict[str, Any], *, previous_revision: int
) -> dict[str, Any]:
    old_recs, new_recs = _recommendations(previous), _recommendations(current)
    old_alerts, new_alerts = _alerts(previous), _alerts(current)

    def rec_ref(key: tuple[str, str], rec: dict[str, Any]) -> dict[str, Any]:
        return {
            "phase": key[0],
            "code": key[1],
            "status": rec.get("status"),
            "title": rec.get("title"),
        }

    old_loc = (previous.get("level_of_care") or {}).get("setting")
    new_loc = (current.get("level_of_care") or {}).get("setting")
    return {
        "previous_revision": previous_revision,
        "recommendations": {
            "added": [rec_ref(k, r) for k, r in new_recs.items() if k not in old_recs],
            "removed": [rec_ref(k, r) for k, r in old_recs.items() if k not in new_recs],
            "changed": [
                {
                    "phase": k[0],
                    "code": k[1],
                    "from": old_recs[k].get("status"),
                    "to": r.get("status"),
                }
                for k, r in new_recs.items()
                if k in old_recs and old_recs[k].get("status") != r.get("status")
            ],
        },
        "alerts": {
            "added": [
                {"code": c, "severity": a.get("severity"), "title": a.get("title")}
                for c, a in new_alerts.items()
                if c not in old_alerts
            ],
            "removed": [
                {"code": c, "severity": a.get("severity"), "title": a.get("title")}
                for c, a in old_alerts.items()
                if c not in new_alerts
            ],
            "changed": [
                {"code": c, "from": old_alerts[c].get("severity"), "to": a.get("severity")}
                for c, a in new_alerts.items()
                if c in old_alerts and old_alerts[c].get("severity") != a.get("severity")
            ],
        },
        "level_of_care": {"from": old_loc, "to": new_loc} if old_loc != new_loc else None,
        "scores": score_changes(previous.get("scores") or {}, current.get("scores") or {}),
        "ruleset_changed": previous.get("ruleset") != current.get("ruleset"),
    }
