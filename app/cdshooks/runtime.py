"""What the CDS Hooks endpoints keep for the app's lifetime: settings, HTTP client, JWKS cache."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field

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
        return str(request.url.replace(query=None, fragment=None))

    def base_url(self, request: Request) -> str:
        return (self.settings.public_base_url or str(request.base_url)).rstrip("/")

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


def runtime(request: Request) -> CdsRuntime:
    value: CdsRuntime = request.app.state.cds
    return value
