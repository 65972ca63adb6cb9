"""Public rule pages (app/api/rule_pages.py): where CDS Hooks cards link, readable in a
browser without an API key, every text escaped, nothing loaded."""

from __future__ import annotations

import html
import re

import httpx

from app import rules
from app.api import rule_pages
from app.rules.knowledge import expanded_inputs
from app.rules.sources import SOURCES


async def test_every_rule_has_a_page_without_an_api_key(client: httpx.AsyncClient) -> None:
    for rule in rules.RULES:
        response = await client.get(f"/kb/rules/{rule.id}")
        assert response.status_code == 200, rule.id
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
        assert response.headers["x-content-type-options"] == "nosniff"
        page = html.unescape(response.text)
        assert f"{rule.id}: {rule.title}" in page
        assert rule.summary in page
        assert rule.rationale in page
        assert all(limitation in page for limitation in rule.limitations)
        assert all(SOURCES[c.key].citation in page for c in rule.cites)
        assert rules.RULESET_VERSION in page
        assert rules.RULESET_HASH in page


async def test_a_page_shows_thresholds_inputs_and_source_addresses(
    client: httpx.AsyncClient,
) -> None:
    rule = next(r for r in rules.RULES if r.thresholds and any(
        SOURCES[c.key].url or SOURCES[c.key].doi for c in r.cites))  # fmt: skip
    page = html.unescape((await client.get(f"/kb/rules/{rule.id}")).text)
    assert all(t.name in page for t in rule.thresholds)
    assert all(f"<code>{i}</code>" in page for i in expanded_inputs(rule))
    for cite in rule.cites:
        source = SOURCES[cite.key]
        if source.url:
            assert f'href="{source.url}"' in page
        elif source.doi:
            assert f'href="https://doi.org/{source.doi}"' in page


async def test_unknown_and_malformed_ids(client: httpx.AsyncClient) -> None:
    missing = await client.get("/kb/rules/ZZ-99")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    bad = await client.get("/kb/rules/lof-01")
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"


def test_rule_text_is_escaped() -> None:
    """Markup in the rule table would be shown as text, never run."""
    rule = rules.RULES[0]
    hostile = rule.__class__(
        **{
            **{f: getattr(rule, f) for f in rule.__slots__},
            "title": '<script>alert("x")</script>',
            "summary": "a < b & c",
        }
    )
    text = rule_pages.render(hostile).decode()
    assert "<script>" not in text
    assert "&lt;script&gt;" in text
    assert "a &lt; b &amp; c" in text
    assert re.search(r"<(img|script|link|iframe)\b", text) is None


async def test_unknown_ids_are_not_remembered(client: httpx.AsyncClient) -> None:
    """A public route: asking for made-up ids must not grow anything kept per id."""
    before = len(rule_pages._pages())
    for n in range(20):
        assert (await client.get(f"/kb/rules/ZZ-{n:02d}")).status_code == 404
    assert len(rule_pages._pages()) == before == len(rules.RULES)
