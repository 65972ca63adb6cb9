"""CDS Hooks feedback: per-card outcomes, and acceptance/override rates per rule and version."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.cdshooks.schemas import FeedbackRequest
from app.db import insert_ignoring_duplicates, utc_now
from app.errors import RequestInvalid
from app.models import CdsCard, CdsFeedback
from app.security import Principal

# The same outcome reported again (an EHR retry) is stored once; RETURNING names the rows
# actually inserted (a row count is unreliable for an executemany).
_STORE_OUTCOMES = {
    dialect: statement.returning(CdsFeedback.id)
    for dialect, statement in insert_ignoring_duplicates(
        cast(Table, CdsFeedback.__table__), ["card_id", "outcome", "outcome_at"]
    ).items()
}


async def store_feedback(
    session: AsyncSession, principal: Principal, service_id: str, body: FeedbackRequest
) -> int:
    """Store each outcome; a repeated (card, outcome, timestamp) is stored once. Returns how
    many were stored now (not counting those already stored, or repeated in this body).

    Cards must be ones this service returned to this tenant; otherwise 422 naming them.
    """
    ids: dict[int, uuid.UUID] = {}
    errors = []
    for n, item in enumerate(body.feedback):
        try:
            ids[n] = uuid.UUID(item.card)
        except ValueError:
            errors.append({"pointer": f"/feedback/{n}/card", "detail": "Not a card uuid.",
                           "type": "uuid_parsing"})  # fmt: skip
        if item.outcome == "accepted" and not item.acceptedSuggestions:
            errors.append({"pointer": f"/feedback/{n}/acceptedSuggestions",
                           "detail": "Required when the outcome is accepted.",
                           "type": "missing"})  # fmt: skip
    if errors:
        raise RequestInvalid(errors)
    cards = {
        row.id: row
        for row in (
            await session.execute(
                select(
                    CdsCard.id, CdsCard.rule_id, CdsCard.ruleset_version, CdsCard.suggestion_ids
                ).where(
                    CdsCard.tenant_id == principal.tenant_id,
                    CdsCard.service_id == service_id,
                    CdsCard.id.in_(set(ids.values())),
                )
            )
        ).all()
    }
    unknown = [n for n, card_id in ids.items() if card_id not in cards]
    if unknown:
        raise RequestInvalid(
            [
                {
                    "pointer": f"/feedback/{n}/card",
                    "detail": "This service returned no card with this uuid to your organisation.",
                    "type": "not_found",
                }
                for n in unknown
            ]
        )
    _check_against_cards(body, ids, {card_id: row.suggestion_ids for card_id, row in cards.items()})
    now = utc_now()
    rows = []
    for n, item in enumerate(body.feedback):
        card = cards[ids[n]]
        reason = item.overrideReason.reason if item.overrideReason else None
        rows.append(
            {
                "id": uuid.uuid4(),
                "tenant_id": principal.tenant_id,
                "card_id": card.id,
                "rule_id": card.rule_id,
                "ruleset_version": card.ruleset_version,
                "outcome": item.outcome,
                "accepted_suggestions": [s.id for s in item.acceptedSuggestions]
                if item.acceptedSuggestions
                else None,
                "override_system": reason.system[:255] if reason else None,
                "override_code": reason.code[:64] if reason else None,
                "override_display": reason.display[:255] if reason and reason.display else None,
                "user_comment": item.overrideReason.userComment if item.overrideReason else None,
                "outcome_at": item.outcomeTimestamp,
                "created_at": now,
            }
        )
    connection = await session.connection()
    inserted = await connection.execute(_STORE_OUTCOMES[connection.dialect.name], rows)
    return len(inserted.all())


def _check_against_cards(
    body: FeedbackRequest, ids: dict[int, uuid.UUID], suggestions: dict[uuid.UUID, list[str]]
) -> None:
    """Accepted suggestions must be the card's own (anything else would skew the analytics):
    422 naming each mismatch. An override reason need not be one the card offered: CDS Hooks
    2.0 lets the client add its own reasons, which are stored as sent."""
    errors = []
    for n, item in enumerate(body.feedback):
        offered = suggestions[ids[n]]
        for k, accepted in enumerate(item.acceptedSuggestions or []):
            if accepted.id not in offered:
                errors.append({"pointer": f"/feedback/{n}/acceptedSuggestions/{k}/id",
                               "detail": "Not a suggestion of this card.",
                               "type": "not_found"})  # fmt: skip
    if errors:
        raise RequestInvalid(errors)


async def feedback_report(
    session: AsyncSession, principal: Principal, *, since: datetime | None = None
) -> dict[str, Any]:
    """Per rule and ruleset version: cards shown, outcomes, rates, override reasons."""
    shown_query = select(CdsCard.rule_id, CdsCard.ruleset_version, func.count().label("n")).where(
        CdsCard.tenant_id == principal.tenant_id
    )
    outcome_query = select(
        CdsFeedback.rule_id,
        CdsFeedback.ruleset_version,
        CdsFeedback.outcome,
        CdsFeedback.override_system,
        CdsFeedback.override_code,
        func.max(CdsFeedback.override_display).label("display"),
        func.count().label("n"),
    ).where(CdsFeedback.tenant_id == principal.tenant_id)
    if since is not None:
        shown_query = shown_query.where(CdsCard.created_at >= since)
        outcome_query = outcome_query.where(CdsFeedback.outcome_at >= since)
    shown_rows = await session.execute(
        shown_query.group_by(CdsCard.rule_id, CdsCard.ruleset_version)
    )
    outcome_rows = await session.execute(
        outcome_query.group_by(
            CdsFeedback.rule_id,
            CdsFeedback.ruleset_version,
            CdsFeedback.outcome,
            CdsFeedback.override_system,
            CdsFeedback.override_code,
        )
    )
    groups: dict[tuple[str, str], dict[str, Any]] = {}

    def group(rule_id: str, version: str) -> dict[str, Any]:
        return groups.setdefault(
            (rule_id, version),
            {"shown": 0, "accepted": 0, "overridden": 0, "reasons": {}},
        )

    for shown in shown_rows:
        group(shown.rule_id, shown.ruleset_version)["shown"] = int(shown.n)
    for row in outcome_rows:
        g = group(row.rule_id, row.ruleset_version)
        g[row.outcome] += int(row.n)
        if row.outcome == "overridden":
            key = (row.override_system, row.override_code)
            entry = g["reasons"].setdefault(
                key,
                {
                    "system": row.override_system,
                    "code": row.override_code,
                    "display": row.display,
                    "count": 0,
                },
            )
            entry["count"] += int(row.n)
    items = []
    for (rule_id, version), g in sorted(groups.items()):
        answered = g["accepted"] + g["overridden"]
        items.append(
            {
                "rule_id": rule_id,
                "ruleset_version": version,
                "cards_shown": g["shown"],
                "feedback_count": answered,
                "accepted": g["accepted"],
                "overridden": g["overridden"],
                "acceptance_rate": round(g["accepted"] / answered, 4) if answered else None,
                "override_rate": round(g["overridden"] / answered, 4) if answered else None,
                "override_reasons": sorted(
                    g["reasons"].values(), key=lambda r: (-r["count"], str(r["code"]))
                ),
            }
        )
    return {"since": since, "items": items}
