"""HTTP benchmark: the service against a bare ceiling endpoint, loaded by wrk in the same run.

    .venv/bin/python bench/http_bench.py [--backends sqlite postgresql] [--duration 10]

For each backend it makes a fresh database, migrates it, creates an API key, starts the
service and the ceiling app with the same uvicorn flags (one worker, uvloop, httptools), warms
each up for 3 s and loads each with ``wrk -t1 -c16 -d10s``. It prints requests/s, p50, p99 and
the ratio to the ceiling, and writes bench/results/latest.json. Needs wrk (apt-get install wrk).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alembic import command  # noqa: E402

from app.config import Settings  # noqa: E402
from app.migrations_state import alembic_config  # noqa: E402
from app.schemas.assessment import ASSESSMENT_EXAMPLE  # noqa: E402
from tests.dbutil import fresh_database  # noqa: E402

PG_URL = os.environ.get(
    "KRATOM_CDS_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
UVICORN_FLAGS = [
    "--workers",
    "1",
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    "--log-level",
    "warning",
]

LUA = """
wrk.method = "{method}"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {key}"
wrk.body = [==[{body}]==]
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(target: list[str], port: int, env: dict[str, str]) -> Iterator[str]:
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        *target,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *UVICORN_FLAGS,
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=os.environ | env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"server {target} did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def wrk(url: str, *, duration: int, script: Path | None = None, warmup: int = 3) -> dict[str, Any]:
    base = ["wrk", "-t1", "-c16", "--timeout", "5s", "--latency"]
    if script:
        base += ["-s", str(script)]
    subprocess.run([*base, f"-d{warmup}s", url], check=True, capture_output=True)
    out = subprocess.run(
        [*base, f"-d{duration}s", url], check=True, capture_output=True, text=True
    ).stdout
    return parse_wrk(out)


def peak_rss_mb(port: int) -> float | None:
    """The high-water resident memory (VmHWM) of the uvicorn process serving ``port``, in MB
    (design.md section 5: one worker under load stays under 150 MB)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            if b"uvicorn" not in cmdline or str(port).encode() not in cmdline:
                continue
            status = (entry / "status").read_text()
        except OSError:
            continue
        found = re.search(r"VmHWM:\s+(\d+) kB", status)
        return int(found.group(1)) / 1024 if found else None
    return None


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def parse_wrk(out: str) -> dict[str, Any]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {
        "rps": rps,
        "p50_ms": p50,
        "p99_ms": p99,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(0) if errors else "",
    }


async def _make_key(url: str) -> str:
    from app.db import Database
    from app.services.clients import create_client

    db = Database(Settings(database_url=url))
    try:
        async with db.session(write=True) as session:
            issued = await create_client(
                session,
                tenant_name="bench",
                name="bench",
                scopes=["assessments:write", "assessments:read", "plans:write", "plans:read"],
            )
            await session.commit()
    finally:
        await db.dispose()
    return issued.key


#: The write paths design.md section 5 sets goals for, with their request bodies.
ENDPOINTS: dict[str, tuple[str, dict[str, Any]]] = {
    "assessments": ("/v1/assessments", ASSESSMENT_EXAMPLE),
    "evaluate": ("/v1/evaluate", ASSESSMENT_EXAMPLE),
    "plans": ("/v1/plans", {"assessment": ASSESSMENT_EXAMPLE, "status": "draft"}),
}


def bench_backend(
    name: str, base_url: str | None, duration: int, tmp: Path, endpoints: list[str]
) -> list[dict[str, Any]]:
    rows = []
    with fresh_database(base_url, tmp) as url:
        command.upgrade(alembic_config(url), "head")
        key = asyncio.run(_make_key(url))
        env = {"KRATOM_CDS_DATABASE_URL": url, "KRATOM_CDS_BOOTSTRAP_DEV_KEY": "false"}
        with server(["bench.ceiling:app"], free_port(), env) as ceiling_url:
            ceiling = wrk(f"{ceiling_url}/ping", duration=duration)
        rows.append({"backend": name, "endpoint": "GET /ping (ceiling A)", **ceiling})
        port = free_port()
        with server(["app.main:create_app", "--factory"], port, env) as service_url:
            for endpoint in endpoints:
                path, body = ENDPOINTS[endpoint]
                script = tmp / f"post-{name}-{endpoint}.lua"
                script.write_text(
                    LUA.format(method="POST", key=key, body=orjson.dumps(body).decode())
                )
                result = wrk(f"{service_url}{path}", duration=duration, script=script)
                rows.append(
                    {
                        "backend": name,
                        "endpoint": f"POST {path}",
                        **result,
                        "ratio": result["rps"] / ceiling["rps"],
                        "peak_rss_mb": peak_rss_mb(port),
                    }
                )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument(
        "--endpoints", nargs="+", choices=sorted(ENDPOINTS), default=list(ENDPOINTS)
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install -y wrk")
        return 2
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends:
            base = None if backend == "sqlite" else PG_URL
            results += bench_backend(backend, base, args.duration, Path(tmp), args.endpoints)
    print(
        f"{'backend':<11} {'endpoint':<24} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'ratio':>6} {'non-2xx':>7} {'peak RSS MB':>11}"
    )
    for r in results:
        ratio = f"{r['ratio']:.1%}" if "ratio" in r else "100%"
        print(
            f"{r['backend']:<11} {r['endpoint']:<24} {r['rps']:>8.0f} {r['p50_ms']:>7.2f} "
            f"{r['p99_ms']:>7.2f} {ratio:>6} {r['non_2xx']:>7} "
            f"{r.get('peak_rss_mb') or 0:>11.0f}"
        )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
