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
    # Alerts come most severe first; of two with one code, the more severe one stands.
    found: dict[str, dict[str, Any]] = {}
    for alert in evaluation.get("alerts", []):
        found.setdefault(alert["code"], alert)
    return found


def _alert_changed(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Same code, but raised by another rule, at another severity or with another title
    (e.g. physiological instability escalating from NEWS2 5-6 to NEWS2 >= 7)."""
    return any(old.get(k) != new.get(k) for k in ("severity", "rule_id", "title"))


def _numbers(score: Any) -> dict[str, Any]:
    """The comparable parts of one score: its numeric value(s) and its band or category."""
    if not isinstance(score, dict):
        return {}
    keys = (
        "total", "value", "count", "band", "category", "risk_level", "severity", "positive",
        # parts a clinician follows even when the headline value stays put
        "alt_x_uln", "ast_x_uln", "alp_x_uln", "bilirubin_x_uln", "hys_law_range", "item9",
        "red_flags",
    )  # fmt: skip
    return {k: score[k] for k in keys if k in score and score[k] is not None}


def _places(number: float) -> int:
    """Decimal places as written (1.3 -> 1); integers 0."""
    text = repr(number)
    return len(text.split(".")[1]) if isinstance(number, float) and "." in text else 0


def _delta(a: float, b: float) -> float:
    """b - a at the precision of the values (1.3 - 1.1 is 0.2, not 0.19999999999999996)."""
    delta = b - a
    return round(delta, max(_places(a), _places(b))) if isinstance(delta, float) else delta


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
                change["delta"] = _delta(a, b)
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
                {
                    "code": c,
                    "from": old_alerts[c].get("severity"),
                    "to": a.get("severity"),
                    "from_rule": old_alerts[c].get("rule_id"),
                    "to_rule": a.get("rule_id"),
                    "from_title": old_alerts[c].get("title"),
                    "title": a.get("title"),
                }
                for c, a in new_alerts.items()
                if c in old_alerts and _alert_changed(old_alerts[c], a)
            ],
        },
        "level_of_care": {"from": old_loc, "to": new_loc} if old_loc != new_loc else None,
        "scores": score_changes(previous.get("scores") or {}, current.get("scores") or {}),
        "ruleset_changed": previous.get("ruleset") != current.get("ruleset"),
    }
