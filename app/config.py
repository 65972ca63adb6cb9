"""Settings, read once from the environment (prefix ``KRATOM_CDS_``) or an optional ``.env``."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "KRATOM_CDS_"


class Settings(BaseSettings):
    """Every setting the service reads; the README lists them in a table."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///./kratom_cds.db",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///PATH or postgresql+asyncpg://...",
    )
    db_pool_size: int = Field(default=10, ge=1, le=100, description="Connections per worker.")
    db_statement_timeout_ms: int = Field(
        default=5000,
        ge=100,
        description="Time budget of one SQL statement (PostgreSQL statement_timeout; SQLite "
        "interrupts the statement).",
    )
    db_ping_idle_seconds: float = Field(
        default=10.0,
        ge=0,
        description="PostgreSQL: a pooled connection idle longer than this is checked (and "
        "replaced if dead) before use; 0 checks every checkout.",
    )
    sqlite_busy_timeout_ms: int = Field(
        default=5000, ge=0, description="How long a SQLite writer waits for another process."
    )
    max_body_bytes: int = Field(
        default=256 * 1024, ge=1024, description="Largest request body accepted (413 above)."
    )
    max_json_depth: int = Field(
        default=32, ge=4, le=512, description="Deepest JSON nesting accepted in a body (422)."
    )
    rate_limit_per_minute: int = Field(
        default=300_000,
        ge=0,
        description="Sustained requests per minute per API client, per worker (0 = off).",
    )
    rate_limit_burst: int = Field(
        default=1_000, ge=1, description="Requests an API client may send at once (bucket size)."
    )
    request_timeout_s: float = Field(
        default=30.0,
        gt=0,
        le=600,
        description="Time budget of one request; over it the answer is 503 and nothing is stored.",
    )
    idempotency_retention_hours: int = Field(
        default=48,
        ge=24,
        le=24 * 366,
        description="How long an Idempotency-Key's stored response (which holds patient data) "
        "is kept before it is deleted; at least 24 hours.",
    )
    hook_response_retention_hours: int = Field(
        default=48,
        ge=24,
        le=24 * 366,
        description="How long a stored CDS Hooks response (the cards, with the patient's "
        "findings; it replays a repeated hookInstance) is kept before it is cleared; at least "
        "24 hours. Cards, feedback and analytics stay.",
    )
    purge_interval_seconds: int = Field(
        default=3600,
        ge=0,
        description="How often each worker deletes expired Idempotency-Key records and stored "
        "CDS Hooks responses (0 = never: run `kratom-cds purge` from a scheduler instead).",
    )
    migrate_on_start: bool = Field(
        default=True, description="`kratom-cds serve` runs `alembic upgrade head` first."
    )
    bootstrap_dev_key: bool = Field(
        default=True,
        description="On a start with no tenants, create tenant `default` and print a dev key once.",
    )
    docs_enabled: bool = Field(default=True, description="Serve /docs and /redoc (offline assets).")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    cors_allow_origins: list[str] = Field(
        default_factory=list,
        description="Browser origins allowed by CORS, as a JSON list; empty = CORS off.",
    )
    host: str = Field(default="127.0.0.1", description="`kratom-cds serve` bind address.")
    port: int = Field(default=8000, ge=1, le=65535, description="`kratom-cds serve` port.")
    workers: int = Field(default=1, ge=1, le=64, description="`kratom-cds serve` worker processes.")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


#: KRATOM_CDS_* variables read by the tooling rather than the service.
_TOOLING_VARIABLES = frozenset({"TEST_DATABASE_URL", "TEST_PG_URL", "BENCH_PG_URL", "VENV"})


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """``KRATOM_CDS_*`` variables no setting reads (a misspelling is otherwise silent)."""
    from app.cdshooks.config import CdsSettings

    known = {n.upper() for n in (*Settings.model_fields, *CdsSettings.model_fields)}
    known |= _TOOLING_VARIABLES
    return sorted(
        name
        for name in environ
        if name.startswith(ENV_PREFIX) and name.removeprefix(ENV_PREFIX) not in known
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
