"""Settings of the EHR integration (same ``KRATOM_CDS_`` environment prefix as the app)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CdsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KRATOM_CDS_", env_file=".env", extra="ignore")

    public_base_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^/\s]+(/[^\s]*)?$",
        description="Our public base URL (e.g. https://cds.example.org). CDS Hooks JWTs must "
        "carry `aud` = this + the path called, and card links start with it; unset = the URL "
        "of the request as received, accepted only for a Host in `allowed_hosts`. Without a "
        "scheme every EHR call would fail the audience check, so it is refused.",
    )
    allowed_hosts: list[str] = Field(
        default_factory=lambda: ["localhost", "127.0.0.1", "::1", "testserver"],
        description="While `public_base_url` is unset, the JWT `aud` and card links are built "
        "from the request's Host header, which the client chooses: only these hosts (a name or "
        "IP, any port; or `name:port`, `[IPv6]:port`) are accepted, any other Host is a bare "
        "401 (a token minted for another deployment cannot be replayed here by sending its "
        "Host). JSON list; the default is local development and tests (`testserver` is the "
        "test clients' name). Ignored when `public_base_url` is set.",
    )
    fhir_allowed_urls: list[str] = Field(
        default_factory=list,
        description="`fhirServer` base URLs (and JWKS URLs) allowed although they are not "
        "HTTPS or their host has an internal (loopback, private, link-local...) address, as a "
        "JSON list (development, tests, an EHR on the local network). Everything else must be "
        "https:// to a public address.",
    )
    discovery_requires_jwt: bool = Field(
        default=False,
        description="Refuse `GET /cds-services` without a client JWT. Off by default: the "
        "spec has clients send one on every call, but discovery holds no patient data and "
        "many tools call it bare; a JWT that is sent is always verified.",
    )
    fhir_fetch_timeout_seconds: float = Field(
        default=2.0, gt=0, le=10, description="Per-request timeout for fhirServer queries."
    )
    fhir_fetch_max_bytes: int = Field(
        default=2 * 1024 * 1024, ge=1024, description="Largest fhirServer response read."
    )
