"""Scale benchmark: reading a plan and listing a page of 50 with 10,000 and 1,000,000 plans.

    .venv/bin/python bench/scale_bench.py [--sizes 10000 1000000]

Loads synthetic plans (20 tenants; the measured tenant's rows carry the real evaluation JSON from
the rules engine, the others a compact one, see `load`) into a
fresh PostgreSQL database with COPY, runs VACUUM ANALYZE, then times the service's own queries
(``get_plan_query`` and ``list_plans_query``, compiled from SQLAlchemy) for one tenant: the
server-side execution time from EXPLAIN (ANALYZE) and the client round trip through asyncpg,
median of 25 warm runs. Goal (design.md section 5): at 1M at most 1.5x the 10k time, < 1 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import orjson  # noqa: E402
from alembic import command  # noqa: E402
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app import rules  # noqa: E402
from app.migrations_state import alembic_config  # noqa: E402
from app.schemas.assessment import ASSESSMENT_EXAMPLE, AssessmentIn  # noqa: E402
from app.services.plans import evaluation_columns, get_plan_query, list_plans_query  # noqa: E402
from tests.dbutil import fresh_database  # noqa: E402

PG_URL = os.environ.get(
    "KRATOM_CDS_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
TENANTS = 20
RUNS = 25
PLAN_COLUMNS = [
    "id",
    "tenant_id",
    "patient_ref",
    "status",
    "current_phase",
    "revision",
    "version",
    "assessment_id",
    "ruleset_version",
    "ruleset_hash",
    "evaluation",
    "level_of_care",
    "critical_alerts",
    "suggested_phase",
    "follow_up",
    "relapse_prevention",
    "created_at",
    "updated_at",
    "created_by_client_id",
]


COMPACT_EVALUATION = '{"compact": true}'


def compiled(statement: Any) -> tuple[str, list[Any]]:
    """The service's statement as asyncpg receives it: SQL with $n and its parameters."""
    sql = statement.compile(dialect=PGDialect_asyncpg())
    return str(sql), [sql.params[name] for name in sql.positiontup or ()]


async def setup(conn: asyncpg.Connection) -> tuple[list[uuid.UUID], uuid.UUID, uuid.UUID]:
    tenants = [uuid.uuid4() for _ in range(TENANTS)]
    client, assessment = uuid.uuid4(), uuid.uuid4()
    now = datetime.now(UTC)
    for i, tenant in enumerate(tenants):
        await conn.execute(
            "INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)",
            tenant,
            f"tenant-{i}",
            now,
        )
    await conn.execute(
        "INSERT INTO api_clients (id, tenant_id, name, key_prefix, key_hash, scopes, created_at)"
        " VALUES ($1, $2, 'bench', 'kcds_x', $3, '[]', $4)",
        client,
        tenants[0],
        uuid.uuid4().hex * 2,
        now,
    )
    await conn.execute(
        "INSERT INTO assessments (id, tenant_id, patient_ref, assessed_at, created_at,"
        " created_by_client_id, document, scores, ruleset_version)"
        " VALUES ($1, $2, 'p', $3, $3, $4, '{}', '{}', 'bench')",
        assessment,
        tenants[0],
        now,
        client,
    )
    return tenants, client, assessment


async def load(
    conn: asyncpg.Connection,
    count: int,
    tenants: list[uuid.UUID],
    client: uuid.UUID,
    assessment: uuid.UUID,
    evaluation: str,
) -> None:
    columns = evaluation_columns(json.loads(evaluation))
    start = datetime(2024, 11, 26, tzinfo=UTC)
    rng = random.Random(count)
    batch: list[tuple[Any, ...]] = []
    for _ in range(count):
        when = start + timedelta(seconds=rng.randrange(2 * 365 * 86400))
        tenant = rng.choice(tenants)
        batch.append(
            (
                uuid.uuid4(),
                tenant,
                f"patient-{rng.randrange(count // 5 + 1)}",
                rng.choice(["draft", "active", "on_hold", "completed"]),
                "stabilization",
                1,
                1,
                assessment,
                rules.RULESET_VERSION,
                rules.RULESET_HASH,
                # The measured tenant's rows carry the real ~75 KB evaluation. Other tenants'
                # rows carry a compact one: a large JSONB value is TOASTed out of line (an
                # 18-byte pointer in the heap), so heap and index sizes are the same either
                # way, and 1M full documents would need ~20 GB of disk and an hour to load.
                evaluation if tenant == tenants[0] else COMPACT_EVALUATION,
                columns["level_of_care"],
                columns["critical_alerts"],
                None,
                "[]",
                "{}",
                when,
                when,
                client,
            )
        )
        if len(batch) == 20_000:
            await conn.copy_records_to_table("plans", records=batch, columns=PLAN_COLUMNS)
            batch.clear()
    if batch:
        await conn.copy_records_to_table("plans", records=batch, columns=PLAN_COLUMNS)
    await conn.execute("VACUUM ANALYZE plans")


async def measure(conn: asyncpg.Connection, tenant: uuid.UUID) -> dict[str, float]:
    some_id = await conn.fetchval(
        "SELECT id FROM plans WHERE tenant_id = $1 ORDER BY updated_at LIMIT 1 OFFSET 10", tenant
    )
    queries = {
        "get_by_id": compiled(get_plan_query(tenant, some_id)),
        "list_first_page_50": compiled(list_plans_query(tenant, limit=50)),
    }
    mid = await conn.fetchrow(
        "SELECT created_at, id FROM plans WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC"
        " OFFSET (SELECT count(*) / 2 FROM plans WHERE tenant_id = $1) LIMIT 1",
        tenant,
    )
    queries["list_mid_history_page_50"] = compiled(
        list_plans_query(tenant, limit=50, after=(mid["created_at"], mid["id"]))
    )
    results: dict[str, float] = {}
    for name, (sql, params) in queries.items():
        server, client = [], []
        for _ in range(RUNS + 3):
            plan = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", *params)
            server.append(json.loads(plan)[0]["Execution Time"])
            started = time.perf_counter()
            await conn.fetch(sql, *params)
            client.append((time.perf_counter() - started) * 1000)
        results[f"{name}_server_ms"] = statistics.median(server[3:])
        results[f"{name}_roundtrip_ms"] = statistics.median(client[3:])
    return results


async def run(url: str, sizes: list[int]) -> list[dict[str, Any]]:
    assessment = AssessmentIn.model_validate_json(orjson.dumps(ASSESSMENT_EXAMPLE))
    evaluation = orjson.dumps(
        rules.evaluate(assessment, as_of=assessment.assessed_at).model_dump(mode="json")
    ).decode()
    out = []
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        tenants, client, assessment_id = await setup(conn)
        loaded = 0
        for size in sorted(sizes):
            started = time.perf_counter()
            await load(conn, size - loaded, tenants, client, assessment_id, evaluation)
            loaded = size
            load_s = time.perf_counter() - started
            figures = await measure(conn, tenants[0])
            rows = await conn.fetchval(
                "SELECT count(*) FROM plans WHERE tenant_id = $1", tenants[0]
            )
            out.append(
                {
                    "plans": size,
                    "tenant_rows": rows,
                    "load_s": round(load_s, 1),
                    **{k: round(v, 3) for k, v in figures.items()},
                }
            )
            print(json.dumps(out[-1]), flush=True)
    finally:
        await conn.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", nargs="+", type=int, default=[10_000, 1_000_000])
    sizes = parser.parse_args().sizes
    # The database is made and migrated outside the event loop (both use asyncio.run).
    with tempfile.TemporaryDirectory() as tmp, fresh_database(PG_URL, Path(tmp)) as url:
        command.upgrade(alembic_config(url), "head")
        results = asyncio.run(run(url, sizes))
    if len(results) >= 2:
        small, large = results[0], results[-1]
        for key in small:
            if key.endswith("_ms"):
                print(
                    f"{key:<40} {small[key]:>8.3f} -> {large[key]:>8.3f}"
                    f"  ({large[key] / small[key]:.2f}x)"
                )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "scale.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
