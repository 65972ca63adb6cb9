"""Fetching what the EHR did not prefetch from ``fhirServer`` (CDS Hooks "FHIR resource access").

HTTPS only (or a base URL allow-listed in settings), never an internal address (loopback,
private, link-local...: see :func:`checked_address`), no redirects, short timeouts, a size cap
per response, and the queries are our own prefetch templates, never caller-supplied URLs.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from app.cdshooks.config import CdsSettings

#: RFC 6052 well-known NAT64 prefix: 64:ff9b::a9fe:a9fe reaches 169.254.169.254 through a
#: NAT64 gateway.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class DataUnavailable(Exception):
    """The data a service needs could not be obtained (answered with 412)."""

    def __init__(self, keys: list[str], why: str) -> None:
        super().__init__(why)
        self.keys = keys
        self.why = why


def allow_listed(url: str, settings: CdsSettings) -> bool:
    """The operator listed this base URL in ``fhir_allowed_urls`` (it vouched for it)."""
    return url.rstrip("/") in {u.rstrip("/") for u in settings.fhir_allowed_urls}


def allowed_server(url: str, settings: CdsSettings) -> bool:
    """The URL's shape and scheme: https, or allow-listed. Its address is checked apart
    (:func:`checked_address`), since that needs DNS."""
    parts = urlsplit(url)
    if not parts.netloc or parts.query or parts.fragment or parts.username or parts.password:
        return False
    return parts.scheme == "https" or allow_listed(url, settings)


def is_internal_address(address: str) -> bool:
    """True for an address a fhirServer must not have: loopback, private, link-local,
    multicast, reserved, unspecified or otherwise not globally reachable (e.g. 100.64.0.0/10,
    where some clouds keep their metadata service), including IPv4 embedded in IPv6
    (IPv4-mapped ``::ffff:a.b.c.d``, 6to4, NAT64). Unparsable text counts as internal."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return True
    checked: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv4 address carried in IPv6 is judged as that IPv4 address (the whole IPv6
        # prefix is "not global" to some Python versions and not to others).
        if ip.ipv4_mapped is not None:
            checked = [ip.ipv4_mapped]
        elif ip in _NAT64:
            checked = [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
        elif ip.sixtofour is not None:
            checked.append(ip.sixtofour)
    return any(
        a.is_private
        or a.is_loopback
        or a.is_link_local
        or a.is_multicast
        or a.is_reserved
        or a.is_unspecified
        or not a.is_global
        for a in checked
    )


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (getaddrinfo in the loop's executor: it blocks)."""
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    return [str(info[4][0]) for info in infos]


async def checked_address(host: str, port: int, *, dns_seconds: float) -> str:
    """The address to connect to for ``host``: an IP literal as is, a name resolved, and
    refused (DataUnavailable) unless every address it has is public. Nothing is sent before
    this returns."""
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        try:
            addresses = await asyncio.wait_for(resolve(host, port), dns_seconds)
        except (OSError, TimeoutError, UnicodeError):
            raise DataUnavailable([], "the fhirServer host could not be resolved") from None
    if not addresses or any(is_internal_address(a) for a in addresses):
        raise DataUnavailable([], "the fhirServer host has an internal address")
    return addresses[0]


async def checked_url_address(url: str, *, dns_seconds: float) -> str:
    """``checked_address`` for the host of ``url`` (port 443 unless given)."""
    try:
        target = httpx.URL(url)
    except httpx.InvalidURL:
        raise DataUnavailable([], "fhirServer is not a valid URL") from None
    return await checked_address(
        target.raw_host.decode("ascii"), target.port or 443, dns_seconds=dns_seconds
    )


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
    keys = sorted(templates)
    if not allowed_server(server, settings):
        raise DataUnavailable(keys, "fhirServer is not HTTPS or not allow-listed")
    base = server.rstrip("/")
    queries = {k: render(templates[k], context) for k in keys}
    unrenderable = [k for k, q in queries.items() if q is None]
    if unrenderable:
        raise DataUnavailable(unrenderable, "the hook context lacks a value the query needs")
    address = None  # an allow-listed URL skips the address check: the operator vouched for it
    if not allow_listed(server, settings):
        try:
            address = await checked_url_address(
                base, dns_seconds=settings.fhir_fetch_timeout_seconds
            )
        except DataUnavailable as exc:
            raise DataUnavailable(keys, exc.why) from None
    results = await asyncio.gather(
        *(_get(client, settings, f"{base}/{queries[k]}", token, address) for k in keys),
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


def pinned_request(
    url: str, address: str | None
) -> tuple[httpx.URL, dict[str, str], dict[str, Any]]:
    """URL, extra headers and request extensions that connect to ``address`` (the one
    :func:`checked_address` approved) rather than to what DNS answers at connect time: a name
    that resolved to a public address for the check and then to 169.254.169.254 (DNS
    rebinding) still reaches the checked address, so the token never goes elsewhere.

    Pinning is done by putting the IP in the URL while ``Host`` and the TLS server name
    (httpcore's ``sni_hostname`` extension, also used to verify the certificate) stay the
    name: TLS still proves the peer is that name. ``Connection: close`` keeps the connection
    out of the pool, whose key is now the IP: another name at the same IP must not reuse a
    connection whose certificate was verified for this one."""
    target = httpx.URL(url)
    if address is None:
        return target, {}, {}
    headers = {"Host": target.netloc.decode("ascii"), "Connection": "close"}
    extensions = {"sni_hostname": target.raw_host.decode("ascii")}
    return target.copy_with(host=address), headers, extensions


async def _get(
    client: httpx.AsyncClient,
    settings: CdsSettings,
    url: str,
    token: str,
    address: str | None = None,
) -> Any:
    body = bytearray()
    timeout = httpx.Timeout(settings.fhir_fetch_timeout_seconds)
    target, pin_headers, extensions = pinned_request(url, address)
    async with client.stream(
        "GET",
        target,
        timeout=timeout,
        follow_redirects=False,  # a redirect would leave the checked address (and is a 3xx)
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/fhir+json",
            **pin_headers,
        },
        extensions=extensions,
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
