"""API keys: generation, hashing and the request principal."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from enum import StrEnum

KEY_PREFIX = "kcds_"


class Scope(StrEnum):
    assessments_read = "assessments:read"
    assessments_write = "assessments:write"
    plans_read = "plans:read"
    plans_write = "plans:write"
    knowledge_read = "knowledge:read"
    audit_read = "audit:read"
    admin = "admin"
    # The medical-emergency exception (42 CFR 2.51): never implied by `admin`.
    break_glass = "break_glass"


DEFAULT_CLIENT_SCOPES: tuple[Scope, ...] = (
    Scope.assessments_read,
    Scope.assessments_write,
    Scope.plans_read,
    Scope.plans_write,
    Scope.knowledge_read,
)


def generate_key() -> str:
    """A new API key: 256 bits of randomness behind a recognisable prefix."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    # Keys are long random strings, so a fast hash is enough; no salt or KDF is needed.
    return hashlib.sha256(key.encode()).hexdigest()


def display_prefix(key: str) -> str:
    return key[: len(KEY_PREFIX) + 6]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the API client, its tenant and what it may do."""

    client_id: uuid.UUID
    tenant_id: uuid.UUID
    scopes: frozenset[str]

    def has(self, scope: Scope) -> bool:
        if scope.value in self.scopes:
            return True
        return scope is not Scope.break_glass and Scope.admin.value in self.scopes
