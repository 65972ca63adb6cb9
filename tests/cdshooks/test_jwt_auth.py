"""CDS Hooks client JWT verification: the cases of issue 5 and anchors.md (d)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from app.cdshooks import (
    CdsJwtError,
    CdsJwtVerifier,
    InMemoryJtiStore,
    IssuerConfig,
    JwksCache,
    JwtFailure,
    StaticIssuerRegistry,
    fetch,
)

ISS = "https://ehr.example.org"
AUD = "https://cds.example.org/cds-services/patient-view"
JWKS_URL = "https://ehr.example.org/.well-known/jwks.json"
PUBLIC = "93.184.215.14"  # what the test resolver answers for the EHR's name


@pytest.fixture(autouse=True)
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """No test here reaches real DNS: names resolve from this table (the JWKS guard)."""
    table = {"ehr.example.org": [PUBLIC], "metadata.attacker.example": ["169.254.169.254"]}

    async def resolve(host: str, port: int) -> list[str]:
        del port
        return table.get(host, [])

    monkeypatch.setattr(fetch, "resolve", resolve)
    return table


RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP384R1())
OTHER_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(private: Any, kid: str) -> dict[str, Any]:
    algorithm = jwt.algorithms.RSAAlgorithm if isinstance(private, rsa.RSAPrivateKey) else None
    if algorithm is not None:
        jwk = json.loads(algorithm.to_jwk(private.public_key()))
    else:
        jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private.public_key()))
    return {**jwk, "kid": kid, "use": "sig"}


JWKS = {"keys": [public_jwk(RSA_KEY, "rsa-1"), public_jwk(EC_KEY, "ec-1")]}


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISS,
        "aud": AUD,
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
        "tenant": "2ddd6c3a-8e9a-44c6-a305-52111ad302a2",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(payload: dict[str, Any], key: Any = RSA_KEY, alg: str = "RS384", **header: Any) -> str:
    return jwt.encode(payload, key, algorithm=alg, headers={"kid": "rsa-1", "typ": "JWT", **header})


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], payload: dict[str, Any], secret: bytes | None) -> str:
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    if secret is None:
        return signing_input + "."
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


class Recorder:
    """httpx.MockTransport handler that serves a JWKS and counts requests."""

    def __init__(self, body: bytes | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.body = json.dumps(JWKS).encode() if body is None else body

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, content=self.body, headers={"content-type": "application/json"})


def make_verifier(
    config: IssuerConfig | None = None,
    recorder: Recorder | None = None,
    store: InMemoryJtiStore | None = None,
    clock: list[float] | None = None,
    **cache_kwargs: Any,
) -> tuple[CdsJwtVerifier, Recorder]:
    recorder = recorder or Recorder()
    client = httpx.AsyncClient(transport=httpx.MockTransport(recorder))
    ticks = clock if clock is not None else [0.0]
    cache = JwksCache(client, clock=lambda: ticks[0], **cache_kwargs)
    registry = StaticIssuerRegistry({ISS: config or IssuerConfig(tenant_id="tenant-a", jwks=JWKS)})
    return CdsJwtVerifier(registry, store or InMemoryJtiStore(), cache), recorder


async def reason_of(verifier: CdsJwtVerifier, token: str, audience: str = AUD) -> JwtFailure:
    with pytest.raises(CdsJwtError) as caught:
        await verifier.verify(token, audience=audience)
    assert token not in str(caught.value)
    return caught.value.reason


# ---------------------------------------------------------------------------- accepted


async def test_valid_rs384_token_maps_issuer_to_tenant() -> None:
    verifier, recorder = make_verifier()
    payload = claims(sub="client-42")
    client = await verifier.verify(sign(payload), audience=AUD)
    assert client.tenant_id == "tenant-a"
    assert client.issuer == ISS
    assert client.jti == payload["jti"]
    assert client.subject == "client-42"
    assert client.ehr_tenant == payload["tenant"]
    assert recorder.requests == []  # inline JWKS: no fetch


async def test_valid_es384_token() -> None:
    verifier, _ = make_verifier()
    token = sign(claims(), EC_KEY, "ES384", kid="ec-1")
    assert (await verifier.verify(token, audience=AUD)).tenant_id == "tenant-a"


async def test_iat_within_60s_skew_is_accepted() -> None:
    verifier, _ = make_verifier()
    now = int(time.time())
    await verifier.verify(sign(claims(iat=now + 30, exp=now + 300)), audience=AUD)


async def test_rs256_only_when_issuer_enables_it() -> None:
    token = sign(claims(), alg="RS256")
    default, _ = make_verifier()
    assert await reason_of(default, token) is JwtFailure.alg_not_allowed
    config = IssuerConfig(
        tenant_id="tenant-a", jwks=JWKS, allowed_algs=frozenset({"RS384", "RS256"})
    )
    opted_in, _ = make_verifier(config)
    assert (await opted_in.verify(token, audience=AUD)).tenant_id == "tenant-a"


# ---------------------------------------------------------------------------- claims


async def test_expired() -> None:
    verifier, _ = make_verifier()
    now = int(time.time())
    token = sign(claims(iat=now - 600, exp=now - 120))
    assert await reason_of(verifier, token) is JwtFailure.expired


async def test_iat_in_future_beyond_skew() -> None:
    verifier, _ = make_verifier()
    now = int(time.time())
    token = sign(claims(iat=now + 120, exp=now + 400))
    assert await reason_of(verifier, token) is JwtFailure.issued_in_future


async def test_wrong_audience() -> None:
    verifier, _ = make_verifier()
    token = sign(claims(aud="https://cds.example.org/cds-services/order-sign"))
    assert await reason_of(verifier, token) is JwtFailure.audience_invalid


async def test_audience_list_naming_another_service_is_refused() -> None:
    verifier, _ = make_verifier()
    token = sign(claims(aud=[AUD, "https://evil.example"]))
    assert await reason_of(verifier, token) is JwtFailure.audience_invalid


async def test_audience_as_an_array_of_this_endpoint_is_accepted() -> None:
    # CDS Hooks 2.0, Trusting CDS Clients: `aud` is a string or an array of strings.
    verifier, _ = make_verifier()
    assert (await verifier.verify(sign(claims(aud=[AUD])), audience=AUD)).issuer == ISS
    token = sign(claims(aud=["https://cds.example.org/cds-services/order-sign"]))
    assert await reason_of(verifier, token) is JwtFailure.audience_invalid


@pytest.mark.parametrize("missing", ["exp", "jti", "iat"])
async def test_required_claims(missing: str) -> None:
    verifier, _ = make_verifier()
    token = sign(claims(**{missing: None}))
    assert await reason_of(verifier, token) is JwtFailure.claim_missing


async def test_unknown_issuer() -> None:
    verifier, _ = make_verifier()
    token = sign(claims(iss="https://other-ehr.example.org"))
    assert await reason_of(verifier, token) is JwtFailure.issuer_unknown


async def test_lifetime_too_long() -> None:
    verifier, _ = make_verifier()
    now = int(time.time())
    token = sign(claims(exp=now + 7200))
    assert await reason_of(verifier, token) is JwtFailure.lifetime_too_long


async def test_lifetime_is_at_most_five_minutes() -> None:
    """reliability.md section 6, check 6: exp - iat <= 5 min (300 s accepted, 301 not)."""
    verifier, _ = make_verifier()
    now = int(time.time())
    await verifier.verify(sign(claims(iat=now, exp=now + 300)), audience=AUD)
    assert await reason_of(verifier, sign(claims(iat=now, exp=now + 301))) is (
        JwtFailure.lifetime_too_long
    )
    token = sign(claims(iat=now - 30, exp=now + 3000))  # the old one-hour bound
    assert await reason_of(verifier, token) is JwtFailure.lifetime_too_long


@pytest.mark.parametrize(
    "bad", ["exp-string", "iat-string", "both-strings", "exp-fraction", "iat-bool"]
)
async def test_exp_and_iat_must_be_integers(bad: str) -> None:
    """A correctly signed token whose exp or iat is a numeric string (which PyJWT's int()
    accepts), a fraction or a boolean is refused like any bad token, not an error."""
    verifier, _ = make_verifier()
    now = int(time.time())
    exp, iat = now + 300, now
    times: dict[str, Any] = {
        "exp-string": {"exp": str(exp)},
        "iat-string": {"iat": str(iat)},
        "both-strings": {"exp": str(exp), "iat": str(iat)},
        "exp-fraction": {"exp": exp - 0.5},
        "iat-bool": {"iat": True},
    }[bad]
    assert await reason_of(verifier, sign(claims(**times))) is JwtFailure.claim_invalid


async def test_tenant_claim_allow_list() -> None:
    config = IssuerConfig(tenant_id="tenant-a", jwks=JWKS, ehr_tenants=frozenset({"site-1"}))
    verifier, _ = make_verifier(config)
    assert await reason_of(verifier, sign(claims(tenant="site-2"))) is JwtFailure.tenant_not_allowed
    await verifier.verify(sign(claims(tenant="site-1")), audience=AUD)


# ---------------------------------------------------------------------------- header, keys


async def test_unknown_kid() -> None:
    verifier, _ = make_verifier()
    assert await reason_of(verifier, sign(claims(), kid="rsa-9")) is JwtFailure.kid_unknown


async def test_a_kid_naming_several_keys_is_refused() -> None:
    """reliability.md section 6, check 4: the kid resolves to exactly one key; several keys
    with it (inline or fetched) name none, even when one of them would verify."""
    twice = {"keys": [public_jwk(OTHER_RSA_KEY, "rsa-1"), *JWKS["keys"]]}
    inline, _ = make_verifier(IssuerConfig(tenant_id="tenant-a", jwks=twice))
    assert await reason_of(inline, sign(claims())) is JwtFailure.kid_ambiguous
    config = IssuerConfig(tenant_id="tenant-a", jwks_url=JWKS_URL)
    remote, _ = make_verifier(config, Recorder(json.dumps(twice).encode()))
    assert await reason_of(remote, sign(claims())) is JwtFailure.kid_ambiguous
    assert (await remote.verify(sign(claims(), EC_KEY, "ES384", kid="ec-1"), audience=AUD)).issuer


async def test_missing_kid_and_typ() -> None:
    verifier, _ = make_verifier()
    no_kid = jwt.encode(claims(), RSA_KEY, algorithm="RS384", headers={"typ": "JWT"})
    assert await reason_of(verifier, no_kid) is JwtFailure.kid_missing
    wrong_typ = sign(claims(), typ="at+jwt")
    assert await reason_of(verifier, wrong_typ) is JwtFailure.typ_invalid


async def test_signature_by_another_key() -> None:
    verifier, _ = make_verifier()
    token = sign(claims(), OTHER_RSA_KEY)
    assert await reason_of(verifier, token) is JwtFailure.signature_invalid


async def test_key_type_must_match_alg() -> None:
    verifier, _ = make_verifier()
    token = sign(claims(), EC_KEY, "ES384", kid="rsa-1")  # EC signature, RSA key id
    assert await reason_of(verifier, token) is JwtFailure.key_unusable


async def test_alg_none() -> None:
    verifier, _ = make_verifier()
    token = forge({"alg": "none", "typ": "JWT", "kid": "rsa-1"}, claims(), None)
    assert await reason_of(verifier, token) is JwtFailure.alg_not_allowed


@pytest.mark.parametrize("encoding", ["pem", "jwk"])
async def test_hs256_signed_with_the_public_key(encoding: str) -> None:
    """The key-confusion attack: HMAC keyed with the issuer's published public key."""
    verifier, _ = make_verifier()
    if encoding == "pem":
        secret = RSA_KEY.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    else:
        secret = json.dumps(JWKS["keys"][0]).encode()
    token = forge({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}, claims(), secret)
    assert await reason_of(verifier, token) is JwtFailure.alg_not_allowed


def test_issuer_config_refuses_hmac_and_none() -> None:
    for alg in ("HS256", "none", "PS384"):
        with pytest.raises(ValueError, match="allowed_algs"):
            IssuerConfig(tenant_id="t", jwks=JWKS, allowed_algs=frozenset({alg}))
    with pytest.raises(ValueError, match="exactly one"):
        IssuerConfig(tenant_id="t")


async def test_malformed_and_oversized_tokens() -> None:
    verifier, _ = make_verifier()
    assert await reason_of(verifier, "not-a-jwt") is JwtFailure.malformed
    assert await reason_of(verifier, "a" * 10_000) is JwtFailure.too_large


# ---------------------------------------------------------------------------- replay


async def test_replayed_jti() -> None:
    verifier, _ = make_verifier()
    token = sign(claims())
    await verifier.verify(token, audience=AUD)
    assert await reason_of(verifier, token) is JwtFailure.jti_replayed


async def test_replayed_jti_across_two_workers_sharing_a_store() -> None:
    store = InMemoryJtiStore()
    worker_1, _ = make_verifier(store=store)
    worker_2, _ = make_verifier(store=store)
    token = sign(claims())
    await worker_1.verify(token, audience=AUD)
    assert await reason_of(worker_2, token) is JwtFailure.jti_replayed


async def test_rejected_token_does_not_burn_its_jti() -> None:
    verifier, _ = make_verifier()
    payload = claims()
    forged = sign(payload, OTHER_RSA_KEY)
    assert await reason_of(verifier, forged) is JwtFailure.signature_invalid
    await verifier.verify(sign(payload), audience=AUD)


async def test_in_memory_store_forgets_expired_entries() -> None:
    now = [1000.0]
    store = InMemoryJtiStore(clock=lambda: now[0])
    exp = datetime.fromtimestamp(1100, tz=UTC)
    assert await store.remember(ISS, "j1", exp)
    assert not await store.remember(ISS, "j1", exp)
    assert await store.remember("https://other", "j1", exp)  # scoped by issuer
    now[0] = 1100 + 61
    assert await store.remember(ISS, "j1", exp)


# ---------------------------------------------------------------------------- jku / JWKS


async def test_unregistered_jku_makes_no_request() -> None:
    remote = IssuerConfig(tenant_id="tenant-a", jwks_url=JWKS_URL)
    for config in (remote, IssuerConfig(tenant_id="tenant-a", jwks=JWKS)):
        verifier, recorder = make_verifier(config)
        token = sign(claims(), jku="https://attacker.example/jwks.json")
        assert await reason_of(verifier, token) is JwtFailure.jku_not_registered
        assert recorder.requests == []


async def test_registered_jku_is_accepted() -> None:
    verifier, recorder = make_verifier(IssuerConfig(tenant_id="tenant-a", jwks_url=JWKS_URL))
    await verifier.verify(sign(claims(), jku=JWKS_URL), audience=AUD)
    # the request goes to the checked address, for the registered URL's host and path
    assert [(r.headers["host"], r.url.path) for r in recorder.requests] == [
        ("ehr.example.org", "/.well-known/jwks.json")
    ]


async def test_remote_jwks_fetched_once_and_cached_with_ttl() -> None:
    clock = [0.0]
    verifier, recorder = make_verifier(
        IssuerConfig(tenant_id="tenant-a", jwks_url=JWKS_URL), clock=clock, ttl=300
    )
    for _ in range(3):
        await verifier.verify(sign(claims()), audience=AUD)
    await verifier.verify(sign(claims(), EC_KEY, "ES384", kid="ec-1"), audience=AUD)
    assert len(recorder.requests) == 1
    clock[0] = 301.0
    await verifier.verify(sign(claims()), audience=AUD)
    assert len(recorder.requests) == 2


async def test_unknown_kid_refetches_at_most_once_per_interval() -> None:
    clock = [0.0]
    verifier, recorder = make_verifier(
        IssuerConfig(tenant_id="tenant-a", jwks_url=JWKS_URL),
        clock=clock,
        min_refresh_interval=60,
    )
    await verifier.verify(sign(claims()), audience=AUD)
    for _ in range(5):
        assert await reason_of(verifier, sign(claims(), kid="rotated")) is JwtFailure.kid_unknown
    assert len(recorder.requests) == 1  # within the refresh interval: cache only
    clock[0] = 61.0
    assert await reason_of(verifier, sign(claims(), kid="rotated")) is JwtFailure.kid_unknown
    assert len(recorder.requests) == 2


async def test_plain_http_jwks_url_needs_allow_listing() -> None:
    url = "http://ehr.internal/jwks.json"
    config = IssuerConfig(tenant_id="tenant-a", jwks_url=url)
    verifier, recorder = make_verifier(config)
    assert await reason_of(verifier, sign(claims())) is JwtFailure.jwks_unavailable
    assert recorder.requests == []
    allowed, recorder = make_verifier(config, insecure_allowed=frozenset({url}))
    await allowed.verify(sign(claims()), audience=AUD)
    assert len(recorder.requests) == 1


async def test_oversized_or_invalid_jwks_is_refused() -> None:
    config = IssuerConfig(tenant_id="tenant-a", jwks_url=JWKS_URL)
    big, _ = make_verifier(config, Recorder(b"{" + b" " * 70_000 + b"}"))
    assert await reason_of(big, sign(claims())) is JwtFailure.jwks_unavailable
    bad, _ = make_verifier(config, Recorder(b"<html>"))
    assert await reason_of(bad, sign(claims())) is JwtFailure.jwks_unavailable


def verifier_with(handler: Any, config: IssuerConfig) -> CdsJwtVerifier:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    registry = StaticIssuerRegistry({ISS: config})
    return CdsJwtVerifier(registry, InMemoryJtiStore(), JwksCache(client))


async def test_jwks_server_error_and_timeout() -> None:
    config = IssuerConfig(tenant_id="tenant-a", jwks_url=JWKS_URL)

    def timing_out(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)

    def not_found(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404)

    def redirect(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": "https://attacker.example/jwks"})

    for handler in (timing_out, not_found, redirect):
        verifier = verifier_with(handler, config)
        assert await reason_of(verifier, sign(claims())) is JwtFailure.jwks_unavailable


async def test_private_key_entries_in_jwks_are_refused() -> None:
    private_jwk = {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(RSA_KEY)), "kid": "rsa-1"}
    verifier, _ = make_verifier(IssuerConfig(tenant_id="tenant-a", jwks={"keys": [private_jwk]}))
    assert await reason_of(verifier, sign(claims())) is JwtFailure.key_unusable


@pytest.mark.parametrize(
    "url",
    [
        "https://metadata.attacker.example/jwks.json",
        "https://169.254.169.254/latest/jwks.json",
        "https://127.0.0.1:8443/jwks.json",
        "https://unresolvable.example/jwks.json",
    ],
)
async def test_a_jwks_url_at_an_internal_address_gets_no_request(url: str) -> None:
    """A registered JWKS URL whose host is, or now resolves to, an internal address is not
    fetched (SSRF from a name that later points at the metadata service)."""
    verifier, recorder = make_verifier(IssuerConfig(tenant_id="tenant-a", jwks_url=url))
    assert await reason_of(verifier, sign(claims())) is JwtFailure.jwks_unavailable
    assert recorder.requests == []


async def test_jwks_requests_are_pinned_to_the_checked_address() -> None:
    verifier, recorder = make_verifier(IssuerConfig(tenant_id="tenant-a", jwks_url=JWKS_URL))
    await verifier.verify(sign(claims()), audience=AUD)
    (request,) = recorder.requests
    assert request.url.host == PUBLIC
    assert request.headers["host"] == "ehr.example.org"
    assert request.extensions["sni_hostname"] == "ehr.example.org"
