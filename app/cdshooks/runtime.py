"""What the CDS Hooks endpoints keep for the app's lifetime: settings, HTTP client, JWKS cache."""

from __future__ import annotations

import ipaddress
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.cdshooks.config import CdsSettings
from app.cdshooks.errors import CdsJwtError
from app.cdshooks.jwks import JwksCache
from app.cdshooks.jwt_auth import CdsJwtVerifier, VerifiedClient
from app.cdshooks.store import CachedIssuer, DbIssuerRegistry, DbJtiStore
from app.errors import DomainError
from app.security import Principal

logger = logging.getLogger(__name__)


class CdsUnauthorized(DomainError):
    """401 for any JWT failure, with an empty body (CDS Hooks best practice): nothing says
    which check failed. The reason is logged."""

    status, slug, title = 401, "unauthorized", "Authentication required"
    empty_body = True

    def __init__(self) -> None:
        super().__init__(
            "Send a valid CDS Hooks client JWT as 'Authorization: Bearer <jwt>'.",
            headers={"WWW-Authenticate": 'Bearer realm="cds-services"'},
        )


@dataclass
class CdsRuntime:
    settings: CdsSettings
    http: httpx.AsyncClient
    jwks: JwksCache
    issuers: dict[str, CachedIssuer] = field(default_factory=dict)

    @classmethod
    def create(cls, settings: CdsSettings, http: httpx.AsyncClient | None = None) -> CdsRuntime:
        http = http or httpx.AsyncClient(limits=httpx.Limits(max_connections=20), trust_env=False)
        jwks = JwksCache(http, insecure_allowed=frozenset(settings.fhir_allowed_urls))
        return cls(settings=settings, http=http, jwks=jwks)

    async def close(self) -> None:
        await self.http.aclose()

    def audience(self, request: Request) -> str:
        """The exact endpoint URL the JWT must name in ``aud``."""
        base = self.settings.public_base_url
        if base:
            return base.rstrip("/") + request.url.path
        self._check_host(request)
        return str(request.url.replace(query=None, fragment=None))

    def base_url(self, request: Request) -> str:
        if self.settings.public_base_url:
            return self.settings.public_base_url.rstrip("/")
        self._check_host(request)
        return str(request.base_url).rstrip("/")

    def _check_host(self, request: Request) -> None:
        """Without ``public_base_url`` our URL comes from the Host header, which the client
        picks: unless it is an allowed host, a token minted for another deployment (its
        ``aud`` on that host, same path) would pass by sending that Host. 401 otherwise."""
        if not host_allowed(request.url.hostname, request.url.port, self.settings.allowed_hosts):
            logger.warning(
                "cds jwt refused: Host %r is not in KRATOM_CDS_ALLOWED_HOSTS "
                "(or set KRATOM_CDS_PUBLIC_BASE_URL)",
                request.headers.get("host", ""),
            )
            raise CdsUnauthorized()

    async def authenticate(
        self, request: Request, session: AsyncSession
    ) -> tuple[VerifiedClient, Principal]:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            logger.info("cds jwt refused: missing")
            raise CdsUnauthorized()
        registry = DbIssuerRegistry(session, self.issuers)
        verifier = CdsJwtVerifier(registry, DbJtiStore(session), self.jwks)
        try:
            client = await verifier.verify(token.strip(), audience=self.audience(request))
        except CdsJwtError as exc:
            logger.info("cds jwt refused: %s", exc.reason.value)
            raise CdsUnauthorized() from None
        principal = Principal(
            client_id=registry.client_ids[client.issuer],
            tenant_id=uuid.UUID(client.tenant_id),
            scopes=frozenset(),
        )
        request.state.principal = principal
        return client, principal


def host_allowed(hostname: str | None, port: int | None, allowed: Iterable[str]) -> bool:
    """``hostname`` (and ``port``) match an entry: ``name`` or ``IP`` (any port), or
    ``name:port`` / ``[IPv6]:port`` (that port only). Names compare case-insensitively."""
    if not hostname:
        return False
    host, _ = _split_host(hostname if ":" not in hostname else f"[{hostname.strip('[]')}]")
    for entry in allowed:
        entry_host, entry_port = _split_host(entry)
        if entry_host == host and (entry_port is None or entry_port == port):
            return True
    return False


def _split_host(entry: str) -> tuple[str, int | None]:
    entry = entry.strip().lower()
    try:
        return str(ipaddress.ip_address(entry.strip("[]"))), None  # an IP (IPv6 maybe in [])
    except ValueError:
        pass
    try:
        parts = urlsplit("//" + entry)
        return (parts.hostname or ""), parts.port
    except ValueError:
        return "", None  # an unusable entry matches nothing


def runtime(request: Request) -> CdsRuntime:
    value: CdsRuntime = request.app.state.cds
    return value
