"""Opaque keyset cursors over (created_at, id): stable under inserts, never OFFSET."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import UTC, datetime

import orjson

from app.errors import InvalidCursor


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    raw = orjson.dumps([created_at.isoformat(), str(row_id)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, row_id = orjson.loads(raw)
        if not isinstance(created, str) or not isinstance(row_id, str):
            raise TypeError("a cursor holds two strings")
        when = datetime.fromisoformat(created)
        if when.tzinfo is None:
            raise ValueError("naive")
        return when.astimezone(UTC), uuid.UUID(row_id)
    except (ValueError, TypeError, OverflowError, binascii.Error, orjson.JSONDecodeError) as exc:
        raise InvalidCursor("The cursor is not one this service issued.") from exc
