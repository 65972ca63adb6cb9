"""Ceiling A: the bare FastAPI GET every throughput target is a ratio to (design.md section 5)."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/ping")
async def ping() -> dict[str, str]:
    return {"status": "ok", "service": "ceiling", "version": "1"}
