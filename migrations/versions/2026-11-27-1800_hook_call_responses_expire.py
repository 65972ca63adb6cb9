"""stored CDS Hooks responses expire; cards keep their suggestion ids

A stored hook response (the cards, with the patient's findings) was kept for ever although it
serves only two things: replaying a repeated hookInstance, which an EHR retries within
minutes, and checking that feedback accepts one of the card's own suggestions. The card now
keeps its suggestion ids, so the response can be cleared after its retention period (the row
stays: cards, feedback and analytics refer to it). Existing cards are backfilled.

Revision ID: c1a0d17e0010
Revises: c1a0d17e0009
Create Date: 2026-11-27 18:00:00.000000
"""

import uuid
from collections.abc import Sequence

import orjson
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c1a0d17e0010"
down_revision: str | None = "c1a0d17e0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_CARDS = sa.table(
    "cds_cards", sa.column("id", sa.Uuid()), sa.column("suggestion_ids", JSON_DOCUMENT)
)
_CALLS = sa.table("cds_hook_calls", sa.column("response", sa.LargeBinary()))


def upgrade() -> None:
    op.add_column("cds_cards", sa.Column("suggestion_ids", JSON_DOCUMENT, nullable=True))
    with op.batch_alter_table("cds_hook_calls") as batch:
        batch.alter_column("response", existing_type=sa.LargeBinary(), nullable=True)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":  # the backfill reads every tenant's rows
        bind.execute(sa.text("SELECT set_config('kratom_cds.rls_bypass', 'on', true)"))
    responses = bind.execute(sa.select(_CALLS.c.response).where(_CALLS.c.response.is_not(None)))
    for (response,) in responses.all():
        for card in orjson.loads(response).get("cards", []):
            ids = [s["uuid"] for s in card.get("suggestions", []) if isinstance(s.get("uuid"), str)]
            bind.execute(
                _CARDS.update()
                .where(_CARDS.c.id == uuid.UUID(card["uuid"]))
                .values(suggestion_ids=ids)
            )
    # A card whose response is gone (cleared, then this migration downgraded and re-applied)
    # has no suggestions to recover: none can be accepted in feedback.
    bind.execute(_CARDS.update().where(_CARDS.c.suggestion_ids.is_(None)).values(suggestion_ids=[]))
    with op.batch_alter_table("cds_cards") as batch:
        batch.alter_column("suggestion_ids", existing_type=JSON_DOCUMENT, nullable=False)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text("SELECT set_config('kratom_cds.rls_bypass', 'on', true)"))
    # A cleared response cannot come back: its row is emptied of cards rather than lost.
    bind.execute(
        _CALLS.update().where(_CALLS.c.response.is_(None)).values(response=b'{"cards":[]}')
    )
    with op.batch_alter_table("cds_hook_calls") as batch:
        batch.alter_column("response", existing_type=sa.LargeBinary(), nullable=False)
    with op.batch_alter_table("cds_cards") as batch:
        batch.drop_column("suggestion_ids")
