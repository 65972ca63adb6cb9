"""The one error the JWT check raises; the HTTP layer answers it with a bare 401."""

from __future__ import annotations

from enum import StrEnum


class JwtFailure(StrEnum):
    malformed = "malformed"
    too_large = "too_large"
    typ_invalid = "typ_invalid"
    alg_not_allowed = "alg_not_allowed"
    kid_missing = "kid_missing"
    issuer_unknown = "issuer_unknown"
    jku_not_registered = "jku_not_registered"
    jwks_unavailable = "jwks_unavailable"
    kid_unknown = "kid_unknown"
    kid_ambiguous = "kid_ambiguous"
    key_unusable = "key_unusable"
    signature_invalid = "signature_invalid"
    audience_invalid = "audience_invalid"
    claim_missing = "claim_missing"
    claim_invalid = "claim_invalid"
    expired = "expired"
    issued_in_future = "issued_in_future"
    lifetime_too_long = "lifetime_too_long"
    jti_replayed = "jti_replayed"
    tenant_not_allowed = "tenant_not_allowed"
    invalid = "invalid"


class CdsJwtError(Exception):
    """Verification failed. ``reason`` is safe to log; the token is never included."""

    def __init__(self, reason: JwtFailure) -> None:
        super().__init__(reason.value)
        self.reason = reason
