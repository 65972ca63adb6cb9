"""CDS Hooks 2.0 support: client JWT trust."""

from app.cdshooks.errors import CdsJwtError, JwtFailure
from app.cdshooks.jwks import JwksCache
from app.cdshooks.jwt_auth import (
    CdsJwtVerifier,
    InMemoryJtiStore,
    IssuerConfig,
    IssuerRegistry,
    JtiStore,
    StaticIssuerRegistry,
    VerifiedClient,
)

__all__ = [
    "CdsJwtError",
    "CdsJwtVerifier",
    "InMemoryJtiStore",
    "IssuerConfig",
    "IssuerRegistry",
    "JtiStore",
    "JwksCache",
    "JwtFailure",
    "StaticIssuerRegistry",
    "VerifiedClient",
]
