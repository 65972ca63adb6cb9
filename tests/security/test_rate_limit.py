"""Per-client rate limit (API clients and CDS Hooks issuers): 429 problem with Retry-After,
RateLimit-* headers, per client."""

from __future__ import annotations

import time
import uuid

from app.config import Settings
from app.ratelimit import RateLimiter
from tests.cdshooks.support import PV, hook_request, register
from tests.security.support import PROBLEM, custom_app, http, key_for


async def test_over_the_limit_is_429_and_other_clients_are_unaffected(settings: Settings) -> None:
    async with (
        custom_app(settings, rate_limit_per_minute=60, rate_limit_burst=3) as app,
        http(app) as client,
    ):
        busy, calm = await key_for(app), await key_for(app)
        for expected_remaining in (2, 1, 0):
            response = await client.get("/v1/knowledge", headers=busy)
            assert response.status_code == 200
            assert response.headers["ratelimit-limit"] == "3"
            assert response.headers["ratelimit-remaining"] == str(expected_remaining)
            assert int(response.headers["ratelimit-reset"]) >= 1
        limited = await client.get("/v1/plans", headers=busy)
        assert limited.status_code == 429
        assert limited.headers["content-type"] == PROBLEM
        assert limited.json()["type"].endswith("/rate-limited")
        assert 1 <= int(limited.headers["retry-after"]) <= 2  # one token per second
        assert limited.headers["ratelimit-remaining"] == "0"
        # A write is refused before it runs: nothing stored.
        refused = await client.post("/v1/assessments", json={}, headers=busy)
        assert refused.status_code == 429
        # Another client (even of the same tenant would be separate) is not affected.
        assert (await client.get("/v1/knowledge", headers=calm)).status_code == 200
        # Unauthenticated probes carry no rate-limit headers.
        assert "ratelimit-limit" not in (await client.get("/healthz")).headers


async def test_zero_disables(settings: Settings) -> None:
    async with (
        custom_app(settings, rate_limit_per_minute=0, rate_limit_burst=1) as app,
        http(app) as client,
    ):
        auth = await key_for(app)
        for _ in range(5):
            response = await client.get("/v1/knowledge", headers=auth)
            assert response.status_code == 200
            assert "ratelimit-limit" not in response.headers


def test_bucket_refills_at_the_configured_rate() -> None:
    now = [1000.0]
    limiter = RateLimiter(per_minute=120, burst=2, clock=lambda: now[0])  # 2 per second
    a, b = uuid.uuid4(), uuid.uuid4()
    assert limiter.take(a).allowed
    assert limiter.take(a).allowed
    refused = limiter.take(a)
    assert not refused.allowed
    assert refused.retry_after_s == 1
    assert limiter.take(b).allowed  # keyed by client
    now[0] += 0.5  # one token back
    assert limiter.take(a).allowed
    assert not limiter.take(a).allowed
    now[0] += 60  # never more than the burst
    assert [limiter.take(a).allowed for _ in range(3)] == [True, True, False]


def test_default_is_on_and_generous() -> None:
    defaults = Settings()
    assert defaults.rate_limit_per_minute >= 60_000
    assert defaults.rate_limit_burst >= 100


async def test_cds_hooks_calls_are_limited_per_issuer_after_the_jwt_is_verified(
    settings: Settings,
) -> None:
    path = f"/cds-services/{PV}"
    async with (
        custom_app(settings, rate_limit_per_minute=60, rate_limit_burst=2) as app,
        http(app) as client,
    ):
        busy, calm = await register(app), await register(app)
        # Refused JWTs (expired) spend nothing: a forged call cannot drain an issuer's bucket.
        for _ in range(3):
            expired = busy.headers(path, exp=int(time.time()) - 600)
            refused = await client.post(path, json=hook_request(), headers=expired)
            assert refused.status_code == 401
        for expected_remaining in (1, 0):
            response = await client.post(path, json=hook_request(), headers=busy.headers(path))
            assert response.status_code == 200, response.text
            assert response.headers["ratelimit-limit"] == "2"
            assert response.headers["ratelimit-remaining"] == str(expected_remaining)
        limited = await client.post(path, json=hook_request(), headers=busy.headers(path))
        assert limited.status_code == 429
        assert limited.headers["content-type"] == PROBLEM
        assert limited.json()["type"].endswith("/rate-limited")
        assert 1 <= int(limited.headers["retry-after"]) <= 2
        feedback = f"{path}/feedback"
        late = await client.post(feedback, json={"feedback": []}, headers=busy.headers(feedback))
        assert late.status_code == 429  # refused before the body is read
        # Another EHR issuer has its own bucket.
        other = await client.post(path, json=hook_request(), headers=calm.headers(path))
        assert other.status_code == 200
        assert other.headers["ratelimit-remaining"] == "1"
