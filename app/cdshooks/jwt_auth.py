"""CDS Hooks 2.0 client JWT verification (spec "Trusting CDS Clients" and best practices).

Order matters: the header is screened (``alg`` allow-list, ``kid``, ``typ``) and the issuer
and ``jku`` are checked against the registry *before* any key is fetched, so an attacker's
``jku`` never causes an outbound request; the ``jti`` is remembered only after the
signature and claims verified, so forged tokens cannot burn real ``jti`` values.
Signature checks are PyJWT's (with ``cryptography``); nothing here is hand-written crypto.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import jwt
import orjson
from jwt.exceptions import (
    DecodeError,
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAlgorithmError,
    InvalidAudienceError,
    InvalidKeyError,
    InvalidSignatureError,
    InvalidTokenError,
    MissingRequiredClaimError,
    PyJWKError,
)

from app.cdshooks.errors import CdsJwtError, JwtFailure
from app.cdshooks.jwks import JwksCache

# The spec forbids "none" and symmetric algorithms and recommends ES384/RS384; RS256/ES256
# are allowed only for an issuer that opts in (Epic defaults to RS384, anchors.md A8).
DEFAULT_ALGS = frozenset({"RS384", "ES384"})
OPT_IN_ALGS = frozenset({"RS256", "ES256"})
SUPPORTED_ALGS = DEFAULT_ALGS | OPT_IN_ALGS
# ES algorithms need a matching curve; RS algorithms an RSA key.
_KEY_TYPES = {"RS256": "RSA", "RS384": "RSA", "ES256": "EC", "ES384": "EC"}
_CURVES = {"ES256": "P-256", "ES384": "P-384"}
MAX_TOKEN_CHARS = 8192
CLOCK_SKEW_SECONDS = 60
# exp - iat at most 5 minutes (reliability.md section 6, check 6, as SMART Backend Services
# asks of its client assertions); it also bounds how long a jti must be remembered.
MAX_LIFETIME_SECONDS = 300
MAX_JTI_CHARS = 255
# Parsed public keys by (alg, JWK as canonical JSON): building a key object from a JWK costs
# more than the dictionary lookup, and a registered issuer uses the same few keys every call.
_KEYS: dict[tuple[str, bytes], Any] = {}
_MAX_KEYS = 256


@dataclass(frozen=True, slots=True)
class IssuerConfig:
    """A registered CDS client. Exactly one of ``jwks`` (inline) or ``jwks_url``."""

    tenant_id: str
    jwks: Mapping[str, Any] | None = None
    jwks_url: str | None = None
    allowed_algs: frozenset[str] = DEFAULT_ALGS
    # Allowed values of the optional ``tenant`` claim; None = any (or none).
    ehr_tenants: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if (self.jwks is None) == (self.jwks_url is None):
            raise ValueError("give exactly one of jwks or jwks_url")
        if not self.allowed_algs or not self.allowed_algs <= SUPPORTED_ALGS:
            raise ValueError(f"allowed_algs must be a non-empty subset of {sorted(SUPPORTED_ALGS)}")


class IssuerRegistry(Protocol):
    async def get_issuer(self, iss: str) -> IssuerConfig | None:
        """The registered issuer, or None."""
        ...


class JtiStore(Protocol):
    async def remember(self, iss: str, jti: str, expires_at: datetime) -> bool:
        """Record (iss, jti) until ``expires_at``; False if it was already recorded.

        Must be atomic across workers (e.g. INSERT into a table with a unique key).
        """
        ...


@dataclass
class StaticIssuerRegistry:
    """An in-process registry (tests, configuration files)."""

    issuers: dict[str, IssuerConfig] = field(default_factory=dict)

    async def get_issuer(self, iss: str) -> IssuerConfig | None:
        return self.issuers.get(iss)


class InMemoryJtiStore:
    """Single-process replay store for tests and development; not shared across workers."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = asyncio.Lock()
        self._clock = clock

    async def remember(self, iss: str, jti: str, expires_at: datetime) -> bool:
        async with self._lock:
            now = self._clock()
            self._seen = {k: exp for k, exp in self._seen.items() if exp > now}
            if (iss, jti) in self._seen:
                return False
            # Kept past exp by the allowed skew, while the token could still be accepted.
            self._seen[(iss, jti)] = expires_at.timestamp() + CLOCK_SKEW_SECONDS
            return True


@dataclass(frozen=True, slots=True)
class VerifiedClient:
    issuer: str
    tenant_id: str
    jti: str
    expires_at: datetime
    subject: str | None = None
    ehr_tenant: str | None = None


class CdsJwtVerifier:
    def __init__(
        self,
        registry: IssuerRegistry,
        jti_store: JtiStore,
        jwks_cache: JwksCache,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._registry = registry
        self._jti_store = jti_store
        self._jwks_cache = jwks_cache
        self._clock = clock

    async def verify(self, token: str, *, audience: str) -> VerifiedClient:
        """Verify ``Authorization: Bearer <token>`` for a call to ``audience``.

        ``audience`` is the exact endpoint URL that was called (e.g.
        ``https://cds.example.org/cds-services/patient-view``). Raises ``CdsJwtError``.
        """
        if len(token) > MAX_TOKEN_CHARS:
            raise CdsJwtError(JwtFailure.too_large)
        header, unverified = _peek(token)
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in SUPPORTED_ALGS:
            raise CdsJwtError(JwtFailure.alg_not_allowed)  # none, HS*, PS*, EdDSA, ...
        if not isinstance(header.get("typ"), str) or header["typ"].upper() != "JWT":
            raise CdsJwtError(JwtFailure.typ_invalid)
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise CdsJwtError(JwtFailure.kid_missing)
        iss = unverified.get("iss")
        if not isinstance(iss, str) or not storable(iss):
            raise CdsJwtError(JwtFailure.issuer_unknown)  # never looked up
        issuer = await self._registry.get_issuer(iss)
        if issuer is None or not isinstance(iss, str):
            raise CdsJwtError(JwtFailure.issuer_unknown)
        if alg not in issuer.allowed_algs:
            raise CdsJwtError(JwtFailure.alg_not_allowed)
        if "jku" in header and (issuer.jwks_url is None or header["jku"] != issuer.jwks_url):
            raise CdsJwtError(JwtFailure.jku_not_registered)

        key = await self._key(issuer, kid, alg)
        claims = self._decode(token, key, alg, iss, audience)
        return await self._accept(iss, issuer, claims)

    async def _key(self, issuer: IssuerConfig, kid: str, alg: str) -> Any:
        if issuer.jwks_url is None:
            jwk = _find(issuer.jwks or {}, kid)
        else:
            jwk = _find(await self._jwks_cache.get(issuer.jwks_url), kid)
            if jwk is None:  # the issuer may have rotated its keys
                jwk = _find(await self._jwks_cache.get(issuer.jwks_url, refresh=True), kid)
        if jwk is None:
            raise CdsJwtError(JwtFailure.kid_unknown)
        if jwk.get("kty") != _KEY_TYPES[alg] or jwk.get("alg", alg) != alg:
            raise CdsJwtError(JwtFailure.key_unusable)
        if alg in _CURVES and jwk.get("crv") != _CURVES[alg]:
            raise CdsJwtError(JwtFailure.key_unusable)
        if jwk.get("use", "sig") != "sig" or "d" in jwk:  # never accept a private key entry
            raise CdsJwtError(JwtFailure.key_unusable)
        try:
            cache_key = (alg, orjson.dumps(jwk, option=orjson.OPT_SORT_KEYS))
        except TypeError as exc:
            raise CdsJwtError(JwtFailure.key_unusable) from exc
        key = _KEYS.get(cache_key)
        if key is None:
            try:
                key = jwt.PyJWK(dict(jwk), algorithm=alg).key
            except (PyJWKError, InvalidKeyError, ValueError, TypeError) as exc:
                raise CdsJwtError(JwtFailure.key_unusable) from exc
            if len(_KEYS) >= _MAX_KEYS:
                _KEYS.clear()
            _KEYS[cache_key] = key
        return key

    def _decode(self, token: str, key: Any, alg: str, iss: str, audience: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=[alg],
                audience=audience,
                issuer=iss,
                leeway=CLOCK_SKEW_SECONDS,
                # `aud` may be a string or an array of strings (CDS Hooks 2.0, Trusting CDS
                # Clients); either way it must name the endpoint called.
                options={"require": ["iss", "aud", "exp", "iat", "jti"], "strict_aud": False},
            )
        except ExpiredSignatureError as exc:
            raise CdsJwtError(JwtFailure.expired) from exc
        except ImmatureSignatureError as exc:
            raise CdsJwtError(JwtFailure.issued_in_future) from exc
        except InvalidAudienceError as exc:
            raise CdsJwtError(JwtFailure.audience_invalid) from exc
        except MissingRequiredClaimError as exc:
            raise CdsJwtError(JwtFailure.claim_missing) from exc
        except InvalidSignatureError as exc:
            raise CdsJwtError(JwtFailure.signature_invalid) from exc
        except InvalidAlgorithmError as exc:
            raise CdsJwtError(JwtFailure.alg_not_allowed) from exc
        except DecodeError as exc:
            raise CdsJwtError(JwtFailure.malformed) from exc
        except InvalidTokenError as exc:
            raise CdsJwtError(JwtFailure.invalid) from exc
        aud = claims["aud"]
        if isinstance(aud, list) and any(entry != audience for entry in aud):
            # A token also addressed to another service could be replayed there: refused.
            raise CdsJwtError(JwtFailure.audience_invalid)
        return claims

    async def _accept(
        self, iss: str, issuer: IssuerConfig, claims: dict[str, Any]
    ) -> VerifiedClient:
        exp, iat, jti = claims["exp"], claims["iat"], claims["jti"]
        # PyJWT reads exp and iat with int(), so "1732780000" (a string) or true passed its
        # checks; NumericDates here are JSON integers (not bool, a subclass of int).
        if not _numeric_date(exp) or not _numeric_date(iat):
            raise CdsJwtError(JwtFailure.claim_invalid)
        if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_CHARS or not storable(jti):
            raise CdsJwtError(JwtFailure.claim_missing)
        if exp - iat > MAX_LIFETIME_SECONDS:
            raise CdsJwtError(JwtFailure.lifetime_too_long)
        ehr_tenant = claims.get("tenant")
        if ehr_tenant is not None and not (isinstance(ehr_tenant, str) and storable(ehr_tenant)):
            raise CdsJwtError(JwtFailure.tenant_not_allowed)
        if issuer.ehr_tenants is not None and ehr_tenant not in issuer.ehr_tenants:
            raise CdsJwtError(JwtFailure.tenant_not_allowed)
        expires_at = datetime.fromtimestamp(exp, tz=UTC)
        if not await self._jti_store.remember(iss, jti, expires_at):
            raise CdsJwtError(JwtFailure.jti_replayed)
        subject = claims.get("sub")
        if isinstance(subject, str) and not storable(subject):
            raise CdsJwtError(JwtFailure.invalid)
        return VerifiedClient(
            issuer=iss,
            tenant_id=issuer.tenant_id,
            jti=jti,
            expires_at=expires_at,
            subject=subject if isinstance(subject, str) else None,
            ehr_tenant=ehr_tenant,
        )


def storable(text: str) -> bool:
    """A claim that is looked up or stored: valid UTF-8 (no lone surrogate, which JSON's
    ``\\ud800`` escape can carry) and no NUL (PostgreSQL text refuses it). Anything else is a
    bare 401 before it reaches the database, not a database error."""
    if "\x00" in text:
        return False
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims *before* verification: used only to pick the issuer and key."""
    try:  # one parse for both (the signature is checked by ``_decode``)
        parsed = jwt.decode_complete(token, options={"verify_signature": False})
    except (DecodeError, InvalidTokenError) as exc:
        raise CdsJwtError(JwtFailure.malformed) from exc
    header, claims = parsed.get("header"), parsed.get("payload")
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise CdsJwtError(JwtFailure.malformed)
    return header, claims


def _numeric_date(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _find(jwks: Mapping[str, Any], kid: str) -> Mapping[str, Any] | None:
    """The one key with this kid, or None. Several keys with it name no one key: refused
    (reliability.md section 6, check 4: zero or several matching keys -> fail)."""
    keys = jwks.get("keys")
    if not isinstance(keys, list):
        return None
    found = [k for k in keys if isinstance(k, dict) and k.get("kid") == kid]
    if len(found) > 1:
        raise CdsJwtError(JwtFailure.kid_ambiguous)
    return found[0] if found else None
