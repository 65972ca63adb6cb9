"""The fhirServer address check (OWASP API7, SSRF): internal addresses are refused before any
request, names are resolved and every address checked, and the connection is pinned to the
checked address."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest

from app.cdshooks import fetch
from app.cdshooks.config import CdsSettings
from app.cdshooks.fetch import (
    DataUnavailable,
    checked_address,
    fetch_missing,
    is_internal_address,
    pinned_request,
)

INTERNAL = [
    "127.0.0.1", "127.255.255.254", "10.0.0.5", "172.16.0.1", "192.168.1.1",
    "169.254.169.254", "100.100.100.200", "0.0.0.0",  # noqa: S104
    "224.0.0.1", "240.0.0.1",
    "255.255.255.255", "198.18.0.1",
    "::1", "::", "fe80::1", "fe80::1%eth0", "fc00::1", "fd12:3456::1", "ff02::1",
    "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.5", "::ffff:0:0",
    "::127.0.0.1",  # IPv4-compatible (deprecated)
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "not an address",
]  # fmt: skip
PUBLIC = ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "2a00:1450:4001:82b::200e",
          "::ffff:8.8.8.8", "64:ff9b::808:808"]  # fmt: skip


@pytest.mark.parametrize("address", INTERNAL)
def test_internal_addresses(address: str) -> None:
    assert is_internal_address(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses(address: str) -> None:
    assert not is_internal_address(address)


class Resolver:
    """Stands in for getaddrinfo: answers from a table, records the names asked."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append((host, port))
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.table[host]


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> Resolver:
    fake = Resolver({
        "ehr.example.org": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
        "metadata.attacker.example": ["169.254.169.254"],
        "half.attacker.example": ["93.184.215.14", "10.0.0.5"],
        "mapped.attacker.example": ["::ffff:127.0.0.1"],
        "v6.attacker.example": ["fd00::1"],
        "empty.example": [],
    })  # fmt: skip
    monkeypatch.setattr(fetch, "resolve", fake)
    return fake


async def test_a_public_name_gives_its_first_address(resolver: Resolver) -> None:
    assert await checked_address("ehr.example.org", 443, dns_seconds=1) == "93.184.215.14"
    assert resolver.asked == [("ehr.example.org", 443)]


@pytest.mark.parametrize(
    "host",
    ["metadata.attacker.example", "half.attacker.example", "mapped.attacker.example",
     "v6.attacker.example", "empty.example", "unknown.example"],
)  # fmt: skip
async def test_names_with_an_internal_or_no_address_are_refused(
    resolver: Resolver, host: str
) -> None:
    with pytest.raises(DataUnavailable):
        await checked_address(host, 443, dns_seconds=1)


async def test_ip_literals_are_checked_without_dns(resolver: Resolver) -> None:
    for literal in ("127.0.0.1", "169.254.169.254", "::1", "::ffff:10.0.0.5"):
        with pytest.raises(DataUnavailable, match="internal"):
            await checked_address(literal, 443, dns_seconds=1)
    assert await checked_address("8.8.8.8", 443, dns_seconds=1) == "8.8.8.8"
    assert resolver.asked == []


async def test_the_real_resolver_does_not_block_and_localhost_is_internal() -> None:
    with pytest.raises(DataUnavailable):
        await checked_address("localhost", 5432, dns_seconds=2)


async def test_a_slow_resolver_is_a_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    async def slow(host: str, port: int) -> list[str]:
        await asyncio.sleep(5)
        return ["8.8.8.8"]

    monkeypatch.setattr(fetch, "resolve", slow)
    with pytest.raises(DataUnavailable, match="resolved"):
        await checked_address("slow.example", 443, dns_seconds=0.05)


def test_pinned_request_keeps_the_name_for_host_and_tls() -> None:
    url, headers, extensions = pinned_request(
        "https://ehr.example.org:8443/fhir/Patient/p1", "2606:4700:4700::1111"
    )
    assert str(url) == "https://[2606:4700:4700::1111]:8443/fhir/Patient/p1"
    assert headers == {"Host": "ehr.example.org:8443", "Connection": "close"}
    assert extensions == {"sni_hostname": "ehr.example.org"}
    assert pinned_request("http://ehr.test/fhir/Patient/p1", None) == (
        httpx.URL("http://ehr.test/fhir/Patient/p1"),
        {},
        {},
    )


def recording(status: int = 200, **kwargs: Any) -> tuple[httpx.AsyncClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, **kwargs)

    return httpx.AsyncClient(transport=httpx.MockTransport(handler)), seen


TEMPLATES = {
    "patient": "Patient/{{context.patientId}}",
    "vitals": "Observation?patient={{context.patientId}}",
}
CONTEXT = {"patientId": "p1"}


async def _fetch(
    client: httpx.AsyncClient, server: str, settings: CdsSettings | None = None
) -> Any:
    return await fetch_missing(
        client, settings or CdsSettings(), server=server, token="ehr-secret",
        templates=TEMPLATES, context=CONTEXT,
    )  # fmt: skip


@pytest.mark.parametrize(
    "server",
    ["https://169.254.169.254/latest", "https://127.0.0.1/fhir", "https://localhost:5432/fhir",
     "https://10.0.0.5/fhir", "https://[::1]/fhir", "https://[::ffff:169.254.169.254]/fhir",
     "https://metadata.attacker.example/fhir", "https://half.attacker.example/fhir",
     "https://2130706433/fhir", "https://0x7f.1/fhir"],
)  # fmt: skip
async def test_internal_servers_get_no_request(resolver: Resolver, server: str) -> None:
    resolver.table |= {"localhost": ["127.0.0.1", "::1"], "2130706433": ["127.0.0.1"],
                       "0x7f.1": ["127.0.0.1"]}  # fmt: skip
    client, seen = recording(json={"resourceType": "Patient", "id": "p1"})
    with pytest.raises(DataUnavailable) as refused:
        await _fetch(client, server)
    assert refused.value.keys == sorted(TEMPLATES)
    assert seen == []


async def test_requests_are_pinned_to_the_checked_address(resolver: Resolver) -> None:
    client, seen = recording(json={"resourceType": "Patient", "id": "p1"})
    await _fetch(client, "https://ehr.example.org/fhir/")
    assert len(seen) == 2
    for request in seen:
        assert request.url.host == "93.184.215.14"
        assert request.url.path.startswith("/fhir/")
        assert request.headers["host"] == "ehr.example.org"
        assert request.headers["authorization"] == "Bearer ehr-secret"
        assert request.extensions["sni_hostname"] == "ehr.example.org"
    assert resolver.asked == [("ehr.example.org", 443)]  # once per call, not per query


async def test_redirects_are_not_followed(resolver: Resolver) -> None:
    client, seen = recording(302, headers={"Location": "http://169.254.169.254/latest"})
    with pytest.raises(DataUnavailable):
        await _fetch(client, "https://ehr.example.org/fhir")
    assert all(r.url.host == "93.184.215.14" for r in seen)
    assert len(seen) == len(TEMPLATES)  # one each, the Location never fetched


async def test_an_allow_listed_url_skips_the_address_check(resolver: Resolver) -> None:
    settings = CdsSettings(fhir_allowed_urls=["https://10.0.0.5/fhir", "http://ehr.test/fhir"])
    for server in ("https://10.0.0.5/fhir", "http://ehr.test/fhir"):
        client, seen = recording(json={"resourceType": "Patient", "id": "p1"})
        await _fetch(client, server, settings)
        assert {r.url.host for r in seen} == {httpx.URL(server).host}
        assert "sni_hostname" not in seen[0].extensions
    assert resolver.asked == []
    client, seen = recording(json={"resourceType": "Patient", "id": "p1"})
    with pytest.raises(DataUnavailable):  # another path on the same host is not listed
        await _fetch(client, "https://10.0.0.5/other", settings)
    assert seen == []
