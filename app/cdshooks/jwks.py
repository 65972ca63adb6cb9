"""JWKS fetching for registered issuers: HTTPS only, public addresses only (the fhirServer
guard of ``fetch``: resolved, checked and pinned against DNS rebinding, unless allow-listed),
short timeouts, size cap, TTL cache."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from app.cdshooks.errors import CdsJwtError, JwtFailure
from app.cdshooks.fetch import DataUnavailable, checked_url_address, pinned_request

DEFAULT_TIMEOUT = httpx.Timeout(3.0, connect=2.0)
MAX_JWKS_BYTES = 64 * 1024  # a JWKS with a handful of RSA keys is a few KB
DNS_SECONDS = 2.0


class JwksCache:
    """Fetches a JWKS URL at most once per ``ttl`` seconds.

    Only URLs an issuer registered ever reach this class (the verifier checks ``jku``
    first). A refresh before the TTL (for a rotated key) is allowed once per
    ``min_refresh_interval`` so unknown ``kid`` values cannot be used to flood the issuer.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        ttl: float = 300.0,
        min_refresh_interval: float = 60.0,
        max_bytes: int = MAX_JWKS_BYTES,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        insecure_allowed: frozenset[str] = frozenset(),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._ttl = ttl
        self._min_refresh = min_refresh_interval
        self._max_bytes = max_bytes
        self._timeout = timeout
        self._insecure_allowed = insecure_allowed
        self._clock = clock
        self._entries: dict[str, tuple[float, dict[str, Any]]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def get(self, url: str, *, refresh: bool = False) -> dict[str, Any]:
        lock = self._locks.setdefault(url, asyncio.Lock())
        async with lock:  # one fetch per URL at a time; waiters reuse its result
            entry = self._entries.get(url)
            now = self._clock()
            if entry is not None:
                age = now - entry[0]
                if age < self._ttl and not (refresh and age >= self._min_refresh):
                    return entry[1]
            jwks = await self._fetch(url)
            self._entries[url] = (self._clock(), jwks)
            return jwks

    def _allowed(self, url: str) -> bool:
        return urlsplit(url).scheme == "https" or url in self._insecure_allowed

    async def _fetch(self, url: str) -> dict[str, Any]:
        if not self._allowed(url):
            raise CdsJwtError(JwtFailure.jwks_unavailable)
        address = None
        if url not in self._insecure_allowed:
            # A registered URL is the operator's, but a name can later resolve to the metadata
            # service or a database port: the same guard as a fhirServer.
            try:
                address = await checked_url_address(url, dns_seconds=DNS_SECONDS)
            except DataUnavailable as exc:
                raise CdsJwtError(JwtFailure.jwks_unavailable) from exc
        pinned, pin_headers, extensions = pinned_request(url, address)
        body = bytearray()
        try:
            async with self._client.stream(
                "GET",
                pinned,
                timeout=self._timeout,
                follow_redirects=False,
                headers={"Accept": "application/json", **pin_headers},
                extensions=extensions,
            ) as response:
                if response.status_code != 200:
                    raise CdsJwtError(JwtFailure.jwks_unavailable)
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > self._max_bytes:
                        raise CdsJwtError(JwtFailure.jwks_unavailable)
        except httpx.HTTPError as exc:
            raise CdsJwtError(JwtFailure.jwks_unavailable) from exc
        try:
            jwks = orjson.loads(bytes(body))
        except orjson.JSONDecodeError as exc:
            raise CdsJwtError(JwtFailure.jwks_unavailable) from exc
        if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
            raise CdsJwtError(JwtFailure.jwks_unavailable)
        return jwks
