"""Opaque keyset cursors over (created_at, id), or over a per-plan sequence number: stable
under inserts, never OFFSET."""

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


#: Revision numbers are PostgreSQL ``integer``s: a larger cursor is not one we issued.
_MAX_NUMBER = 2**31 - 1


def encode_number_cursor(number: int) -> str:
    """A cursor over a per-plan sequence (revision numbers): the last number on the page."""
    return base64.urlsafe_b64encode(orjson.dumps([number])).decode().rstrip("=")


def decode_number_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        (number,) = orjson.loads(raw)
        # bool is an int in Python; a number out of range would fail in the database.
        if type(number) is not int or not 1 <= number <= _MAX_NUMBER:
            raise ValueError("a cursor holds one revision number")
        return number
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError) as exc:
        raise InvalidCursor("The cursor is not one this service issued.") from exc
