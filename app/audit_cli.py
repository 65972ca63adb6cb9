"""``kratom-cds audit verify``: walk every hash chain of the audit trail."""

from __future__ import annotations

import sys

from sqlalchemy import select

from app.config import Settings


async def verify_command(settings: Settings, *, tenant: str | None = None) -> int:
    """Check each chain (or one tenant's); print one line per chain; 1 if any is broken,
    naming its first broken event."""
    from app.db import Database
    from app.models import Tenant
    from app.models.audit import SYSTEM_CHAIN
    from app.services.audit import chains, verify_chain
    from app.tenancy import bypass_row_security

    db = Database(settings)
    try:
        async with db.session(write=False) as session:
            if not db.is_sqlite:  # one snapshot: appends during the walk do not look like breaks
                await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            await bypass_row_security(session)
            names = {str(t.id): t.name for t in (await session.execute(select(Tenant))).scalars()}
            if tenant is None:
                selected = await chains(session)
            elif tenant == SYSTEM_CHAIN:
                selected = [SYSTEM_CHAIN]
            else:
                ids = [chain for chain, name in names.items() if name == tenant]
                if not ids:
                    sys.stderr.write(f"No tenant named {tenant!r}.\n")
                    return 2
                selected = ids
            broken = 0
            for chain in selected:
                report = await verify_chain(session, chain)
                label = f"{chain} ({names[chain]})" if chain in names else chain
                if report.broken is None:
                    sys.stdout.write(f"ok      {label}: {report.events} events\n")
                    continue
                broken += 1
                where = (
                    f"event {report.broken.event_id} (position {report.broken.seq})"
                    if report.broken.event_id is not None
                    else f"chain head (after position {report.broken.seq})"
                )
                sys.stdout.write(f"BROKEN  {label}: {where}: {report.broken.reason}\n")
    finally:
        await db.dispose()
    if broken:
        sys.stderr.write(f"{broken} chain(s) broken.\n")
        return 1
    sys.stderr.write(f"{len(selected)} chain(s) verified.\n")
    return 0
