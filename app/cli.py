"""The ``kratom-cds`` command: serve, migrate, manage API clients, write the OpenAPI file."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
from pydantic import ValidationError
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from app.config import Settings, get_settings, unknown_variables
from app.migrations_state import PROJECT_ROOT, alembic_config
from app.security import DEFAULT_CLIENT_SCOPES, Scope

if TYPE_CHECKING:
    from app.retention import Purged


def migrate(settings: Settings, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(settings.database_url), revision)


async def _create_client(settings: Settings, tenant: str, name: str, scopes: Sequence[str]) -> str:
    from app.db import Database
    from app.services.clients import create_client

    db = Database(settings)
    try:
        async with db.session(write=True) as session:
            issued = await create_client(session, tenant_name=tenant, name=name, scopes=scopes)
            await session.commit()
    finally:
        await db.dispose()
    return issued.key


async def _manage_clients(settings: Settings, args: argparse.Namespace) -> int:
    """list-clients, rotate-client, revoke-client: keys are shown once, hashes never."""
    import uuid

    from app.db import Database
    from app.services.clients import ClientNotFound, list_clients, revoke_client, rotate_client

    db = Database(settings)
    try:
        async with db.session(write=args.command != "list-clients") as session:
            if args.command == "list-clients":
                rows = await list_clients(session, tenant_name=args.tenant)
                print("id\tname\ttenant\tkey_prefix\tscopes\tcreated_at\trevoked_at\tlast_used_at")
                for c in rows:
                    revoked = c.revoked_at.isoformat() if c.revoked_at else "-"
                    used = c.last_used_at.isoformat() if c.last_used_at else "-"
                    print(
                        f"{c.id}\t{c.name}\t{c.tenant_name}\t{c.key_prefix}\t"
                        f"{','.join(c.scopes)}\t{c.created_at.isoformat()}\t{revoked}\t{used}"
                    )
                return 0
            try:
                client_id = uuid.UUID(args.client_id)
                if args.command == "rotate-client":
                    issued = await rotate_client(session, client_id)
                    await session.commit()
                    print(issued.key)
                    print(
                        "The previous key no longer works. This key is shown only once.",
                        file=sys.stderr,
                    )
                else:
                    revoked_at = await revoke_client(session, client_id)
                    await session.commit()
                    print(f"Revoked client {client_id} at {revoked_at.isoformat()}.")
            except (ValueError, ClientNotFound):
                print(f"No active API client with id {args.client_id}.", file=sys.stderr)
                return 1
            return 0
    finally:
        await db.dispose()


async def _bootstrap(settings: Settings) -> str | None:
    from app.db import Database
    from app.services.clients import bootstrap_development_key

    db = Database(settings)
    try:
        async with db.session(write=True) as session:
            issued = await bootstrap_development_key(session)
            await session.commit()
    finally:
        await db.dispose()
    return issued.key if issued else None


async def _register_ehr(settings: Settings, args: argparse.Namespace) -> str:
    # EHR integration (issue 5): `kratom-cds register-ehr`.
    from app.cdshooks.config import CdsSettings
    from app.cdshooks.registration import register_issuer
    from app.db import Database

    jwks = orjson.loads(args.jwks_file.read_bytes()) if args.jwks_file else None
    db = Database(settings)
    try:
        async with db.session(write=True) as session:
            done = await register_issuer(
                session,
                issuer=args.issuer,
                tenant_name=args.tenant,
                jwks=jwks,
                jwks_url=args.jwks_url,
                algs=args.allow_alg or (),
                ehr_tenants=args.ehr_tenant,
                insecure_allowed=frozenset(CdsSettings().fhir_allowed_urls),
            )
            await session.commit()
    finally:
        await db.dispose()
    verb = "Registered" if done.created else "Updated"
    return f"{verb} issuer {done.issuer} for tenant '{done.tenant_name}' ({done.tenant_id})."


def openapi_document() -> bytes:
    from app.main import create_app

    schema = create_app(Settings(database_url="sqlite+aiosqlite:///:memory:")).openapi()
    return orjson.dumps(schema, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def _evaluate(path: Path, *, as_json: bool) -> int:
    """Validate an assessment file as the API does and print its evaluation; nothing stored."""
    from app import rules
    from app.db import utc_now
    from app.errors import field_errors
    from app.report import render_text
    from app.schemas.assessment import RECEIVED_AT, AssessmentIn

    try:
        raw = path.read_bytes()
        assessment = AssessmentIn.model_validate_json(raw, context={RECEIVED_AT: utc_now()})
    except ValidationError as exc:
        print(f"{path}: not a valid assessment", file=sys.stderr)
        for err in field_errors(exc.errors(include_url=False, include_input=False)):
            print(f"  {err['pointer'] or '/'}: {err['detail']}", file=sys.stderr)
        return 2
    evaluation = rules.evaluate(assessment, as_of=assessment.assessed_at)
    if as_json:
        sys.stdout.write(evaluation.model_dump_json(indent=2) + "\n")
    else:
        sys.stdout.write(render_text(evaluation))
    return 0


def _rules_doc(output: Path) -> int:
    from app.rules import knowledge_base_markdown

    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(knowledge_base_markdown())
    print(f"wrote {output}")
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import os

    import uvicorn

    for name in unknown_variables(os.environ):
        print(f"warning: {name} is not a kratom-cds setting (misspelt?); ignored", file=sys.stderr)
    workers = args.workers or settings.workers
    if workers > 1 and settings.is_sqlite:
        print(
            "warning: several workers on SQLite share one writer lock across processes; use "
            "PostgreSQL for more than one worker (README, PostgreSQL)",
            file=sys.stderr,
        )
    if args.migrate if args.migrate is not None else settings.migrate_on_start:
        migrate(settings)
    if settings.bootstrap_dev_key:
        key = asyncio.run(_bootstrap(settings))
        if key:
            print("Created tenant 'default' and a development API key (shown only once):")
            print(f"  {key}")
            print("Use it as:  Authorization: Bearer <key>")
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=workers,
        log_level="warning",
        access_log=False,  # raw paths hold patient references; the app logs route templates
        proxy_headers=False,
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kratom-cds", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="Run the API (migrates first unless --no-migrate).")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    serve.add_argument("--migrate", action=argparse.BooleanOptionalAction, default=None)

    sub.add_parser("migrate", help="Upgrade the database to the latest migration.")

    create = sub.add_parser("create-client", help="Create an API client and print its key once.")
    create.add_argument("--tenant", required=True, help="Tenant name (created if new).")
    create.add_argument("--name", default="api-client", help="A label for the client.")
    create.add_argument(
        "--scopes",
        nargs="+",
        default=[s.value for s in DEFAULT_CLIENT_SCOPES],
        choices=[s.value for s in Scope],
        help="Scopes to grant (default: read/write assessments and plans, read knowledge).",
    )

    listing = sub.add_parser(
        "list-clients", help="List API clients (never keys or hashes), with revocation times."
    )
    listing.add_argument("--tenant", help="Only this tenant's clients.")
    rotate = sub.add_parser(
        "rotate-client", help="Issue a new key for a client (printed once); the old one stops."
    )
    rotate.add_argument("client_id", help="The client id (from list-clients).")
    revoke = sub.add_parser("revoke-client", help="Revoke a client's key, effective immediately.")
    revoke.add_argument("client_id", help="The client id (from list-clients).")

    # EHR integration (issue 5)
    ehr = sub.add_parser("register-ehr", help="Register (or update) a CDS Hooks client issuer.")
    ehr.add_argument("--issuer", required=True, help="The JWT `iss` the EHR sends.")
    ehr.add_argument("--tenant", required=True, help="Tenant name (created if new).")
    keys = ehr.add_mutually_exclusive_group(required=True)
    keys.add_argument("--jwks-file", type=Path, help="A JSON Web Key Set with public keys.")
    keys.add_argument("--jwks-url", help="HTTPS URL of the EHR's JWKS (fetched and cached).")
    ehr.add_argument(
        "--allow-alg",
        action="append",
        choices=["RS384", "ES384", "RS256", "ES256"],
        help="Allowed signing algorithm (repeat; default RS384 and ES384).",
    )
    ehr.add_argument(
        "--ehr-tenant",
        action="append",
        help="Allowed value of the JWT `tenant` claim (repeat; default: any).",
    )

    evaluate = sub.add_parser(
        "evaluate", help="Evaluate an assessment JSON file and print the result (stores nothing)."
    )
    evaluate.add_argument("file", type=Path, help="An assessment, as POST /v1/evaluate takes.")
    evaluate.add_argument("--json", action="store_true", help="Print the evaluation as JSON.")

    rules_cmd = sub.add_parser("rules", help="The rule table.")
    rules_sub = rules_cmd.add_subparsers(dest="rules_command", required=True)
    doc = rules_sub.add_parser("doc", help="Write the knowledge-base document from the table.")
    doc.add_argument("--output", type=Path, default=PROJECT_ROOT / "docs" / "knowledge-base.md")

    audit = sub.add_parser("audit", help="The audit trail.")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser(
        "verify", help="Check the hash chains; exit 1 naming the first broken event of each."
    )
    verify.add_argument("--tenant", help="Only this tenant's chain (a name, or 'system').")

    sub.add_parser(
        "purge",
        help="Delete Idempotency-Key records older than KRATOM_CDS_IDEMPOTENCY_RETENTION_HOURS "
        "and clear stored CDS Hooks responses older than "
        "KRATOM_CDS_HOOK_RESPONSE_RETENTION_HOURS (the service also does this every "
        "KRATOM_CDS_PURGE_INTERVAL_SECONDS).",
    )
    openapi = sub.add_parser("openapi", help="Write the OpenAPI document.")
    openapi.add_argument("--output", type=Path, default=PROJECT_ROOT / "openapi.json")

    args = parser.parse_args(argv)
    try:
        return _run(args, parser)
    except (OSError, ValidationError, SQLAlchemyError) as exc:
        print(f"kratom-cds {args.command}: {_explain(exc)}", file=sys.stderr)
        return 2


async def _purge(settings: Settings) -> Purged:
    from app import retention
    from app.db import Database

    db = Database(settings)
    try:
        return await retention.purge_once(db, settings)
    finally:
        await db.dispose()


def _explain(exc: BaseException) -> str:
    """A sentence for a mistake in a file, a setting or the database, without a traceback
    (and without the values involved: a database URL or setting may hold a password)."""
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        return f"cannot use{where}: {exc.strerror or type(exc).__name__}."
    if isinstance(exc, ValidationError):
        names = sorted({".".join(str(p) for p in e["loc"]) for e in exc.errors()})
        return (
            "invalid setting(s) "
            + ", ".join(f"KRATOM_CDS_{n.upper()}" for n in names)
            + " (see the README, Settings)."
        )
    if isinstance(exc, ArgumentError):
        return "KRATOM_CDS_DATABASE_URL is not a database URL SQLAlchemy understands."
    return (
        f"the database is unreachable or not migrated ({type(exc).__name__}); check "
        "KRATOM_CDS_DATABASE_URL and run `kratom-cds migrate`."
    )


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.command == "evaluate":
        return _evaluate(args.file, as_json=args.json)
    if args.command == "rules":
        return _rules_doc(args.output)
    settings = get_settings()
    if args.command == "serve":
        return _serve(args, settings)
    if args.command == "migrate":
        migrate(settings)
        return 0
    if args.command == "create-client":
        try:
            key = asyncio.run(_create_client(settings, args.tenant, args.name, args.scopes))
        except ValueError as exc:
            parser.error(str(exc))
        print(key)
        return 0
    if args.command in ("list-clients", "rotate-client", "revoke-client"):
        return asyncio.run(_manage_clients(settings, args))
    if args.command == "register-ehr":
        try:
            print(asyncio.run(_register_ehr(settings, args)))
        except ValueError as exc:
            parser.error(str(exc))
        return 0
    if args.command == "audit":
        from app.audit_cli import verify_command

        return asyncio.run(verify_command(settings, tenant=args.tenant))
    if args.command == "purge":
        purged = asyncio.run(_purge(settings))
        print(
            f"deleted {purged.idempotency_records} idempotency record(s) older than "
            f"{settings.idempotency_retention_hours} hours; cleared "
            f"{purged.hook_responses} CDS Hooks response(s) older than "
            f"{settings.hook_response_retention_hours} hours"
        )
        return 0
    if args.command == "openapi":
        args.output.write_bytes(openapi_document())
        print(f"wrote {args.output}")
        return 0
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
