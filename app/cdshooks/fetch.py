"""Fetching what the EHR did not prefetch from ``fhirServer`` (CDS Hooks "FHIR resource access").

HTTPS only (or a base URL allow-listed in settings), no redirects, short timeouts, a size cap
per response, and the queries are our own prefetch templates, never caller-supplied URLs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from app.cdshooks.config import CdsSettings


class DataUnavailable(Exception):
    """The data a service needs could not be obtained (answered with 412)."""

    def __init__(self, keys: list[str], why: str) -> None:
        super().__init__(why)
        self.keys = keys
        self.why = why


def allowed_server(url: str, settings: CdsSettings) -> bool:
    parts = urlsplit(url)
    if not parts.netloc or parts.query or parts.fragment or parts.username or parts.password:
        return False
    allowed = {u.rstrip("/") for u in settings.fhir_allowed_urls}
    return parts.scheme == "https" or url.rstrip("/") in allowed


def render(template: str, context: Mapping[str, Any]) -> str | None:
    """A template with its ``{{context.x}}`` tokens filled; None when a token has no value."""
    out = template
    for name in ("patientId", "encounterId", "userId"):
        token = "{{context." + name + "}}"
        if token in out:
            value = context.get(name)
            if not isinstance(value, str) or not value:
                return None
            out = out.replace(token, value)
    return None if "{{" in out else out


async def fetch_missing(
    client: httpx.AsyncClient,
    settings: CdsSettings,
    *,
    server: str,
    token: str,
    templates: Mapping[str, str],
    context: Mapping[str, Any],
) -> dict[str, Any]:
    """Run the templates against the server; a search with no results gives None (as the
    spec's ``null`` prefetch value). Raises DataUnavailable naming the keys that failed."""
    if not allowed_server(server, settings):
        raise DataUnavailable(sorted(templates), "fhirServer is not HTTPS or not allow-listed")
    base = server.rstrip("/")
    keys = sorted(templates)
    queries = {k: render(templates[k], context) for k in keys}
    unrenderable = [k for k, q in queries.items() if q is None]
    if unrenderable:
        raise DataUnavailable(unrenderable, "the hook context lacks a value the query needs")
    results = await asyncio.gather(
        *(_get(client, settings, f"{base}/{queries[k]}", token) for k in keys),
        return_exceptions=True,
    )
    failed = [k for k, r in zip(keys, results, strict=True) if isinstance(r, BaseException)]
    if failed:
        raise DataUnavailable(failed, "the FHIR server did not return the data")
    out: dict[str, Any] = {}
    for key, result in zip(keys, results, strict=True):
        if (
            isinstance(result, dict)
            and result.get("resourceType") == "Bundle"
            and not result.get("entry")
        ):
            out[key] = None
        else:
            out[key] = result
    return out


async def _get(client: httpx.AsyncClient, settings: CdsSettings, url: str, token: str) -> Any:
    body = bytearray()
    timeout = httpx.Timeout(settings.fhir_fetch_timeout_seconds)
    async with client.stream(
        "GET",
        url,
        timeout=timeout,
        follow_redirects=False,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"},
    ) as response:
        if response.status_code != 200:
            raise DataUnavailable([], f"status {response.status_code}")
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > settings.fhir_fetch_max_bytes:
                raise DataUnavailable([], "response too large")
    data = orjson.loads(bytes(body))
    if not isinstance(data, dict) or data.get("resourceType") in (None, "OperationOutcome"):
        raise DataUnavailable([], "not a FHIR resource")
    return data
