"""Public rule pages: what a CDS Hooks card's source and rule links open.

CDS Hooks opens a card's ``source.url`` and its ``absolute`` links in a browser, from the
EHR, which holds no API key: the JSON rule (``GET /v1/rules/{id}``) answered those clicks
with a 401. The rule table is the published knowledge base and holds no patient data, so
each rule is also served as a small self-contained HTML page without a key. Every text is
escaped, and the page loads nothing (its Content-Security-Policy allows inline style only).
"""

from __future__ import annotations

from functools import cache
from html import escape
from typing import Any

from fastapi import APIRouter
from starlette.responses import HTMLResponse, Response

from app import rules
from app.api.knowledge import RuleId, rule_detail
from app.errors import NotFound, problem_responses
from app.rules.engine import DISCLAIMER

router = APIRouter(tags=["knowledge"])

PAGE_HEADERS = {
    # Nothing to load. (Framing stays refused: X-Frame-Options DENY, as on every response.)
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "public, max-age=300",
}
_STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;"
    "color:#1b1b1b}h1{font-size:1.5rem}h2{font-size:1.1rem;margin-top:1.5rem}"
    "code{background:#f2f2f2;padding:0 .2rem}.meta,footer{color:#555;font-size:.9rem}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .4rem;"
    "text-align:left}"
)


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _link(source: dict[str, Any]) -> str:
    """The source's own address: its URL, else its DOI (only http(s) addresses are linked)."""
    url = source.get("url") or (f"https://doi.org/{source['doi']}" if source.get("doi") else None)
    if not url or not url.startswith(("https://", "http://")):
        return ""
    return f' <a href="{_e(url)}" rel="noreferrer">{_e(url)}</a>'


def _citation(c: dict[str, Any]) -> str:
    source = c["source"]
    grade = ", ".join(
        f"{label} {_e(c[key])}"
        for label, key in (("strength", "strength"), ("quality", "quality"))
        if c.get(key)
    )
    parts = [
        f"{_e(source['citation'])}{_link(source)}",
        f"<br>Supports: {_e(c['supports'])}",
        f"<br>Design: {_e(source['design'])}" + (f"; {grade}" if grade else ""),
        f"<br>Checked: {_e(c.get('verification') or source['verification'])}",
    ]
    return f"<li>{''.join(parts)}</li>"


def _threshold(t: dict[str, Any]) -> str:
    signed = "yes" if t["signed_off"] else "no (awaiting clinical sign-off)"
    value = format(t["value"], "g")
    return (
        f"<tr><td>{_e(t['name'])}</td><td>{_e(value)} {_e(t['unit'])}</td>"
        f"<td>{_e(', '.join(t['sources']))}</td><td>{signed}</td><td>{_e(t['note'])}</td></tr>"
    )


def rule_page(rule_id: str) -> bytes | None:
    """The rule's page, or None for an unknown id (only known ids are kept: a public route
    must not grow a cache per id it is asked for)."""
    return _pages().get(rule_id)


@cache  # the rule table is immutable for the life of the process
def _pages() -> dict[str, bytes]:
    return {rule.id: render(rule) for rule in rules.RULES}


def render(rule: rules.Rule) -> bytes:
    """The rule as a standalone HTML page."""
    d = rule_detail(rule)
    inputs = "".join(f"<li><code>{_e(i)}</code></li>" for i in d["assessment_inputs"])
    citations = "".join(_citation(c) for c in d["citations"])
    limitations = "".join(f"<li>{_e(x)}</li>" for x in d["limitations"])
    thresholds = ""
    if d["thresholds"]:
        rows = "".join(_threshold(t) for t in d["thresholds"])
        thresholds = (
            "<h2>Thresholds</h2><table><tr><th>Name</th><th>Value</th><th>Sources</th>"
            f"<th>Signed off</th><th>Note</th></tr>{rows}</table>"
        )
    title = f"{d['id']}: {d['title']}"
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{_e(title)} (kratom-cds)</title><style>{_STYLE}</style></head><body>"
        f'<p class="meta">kratom-cds knowledge base: ruleset {_e(rules.RULESET_VERSION)} '
        f"({_e(rules.RULESET_HASH)}), released {_e(rules.RULESET_RELEASE_DATE.isoformat())}</p>"
        f"<h1>{_e(title)}</h1>"
        f'<p class="meta">Revision {_e(d["revision"])}; produces: {_e(d["family"])}</p>'
        f"<h2>What it does</h2><p>{_e(d['summary'])}</p>"
        f"<h2>Why</h2><p>{_e(d['rationale'])}</p>"
        f"<h2>Assessment inputs it reads</h2><ul>{inputs}</ul>"
        f"{thresholds}"
        f"<h2>Evidence</h2><ol>{citations}</ol>"
        f"<h2>Limitations</h2><ul>{limitations}</ul>"
        f"<footer><p>{_e(DISCLAIMER)}</p></footer></body></html>"
    )
    return html.encode()


@router.get(
    "/kb/rules/{rule_id}",
    summary="Read a rule as a web page (no API key)",
    response_class=HTMLResponse,
    responses={
        200: {"description": "The rule as a self-contained HTML page."},
        **problem_responses(404, 422, 500),
    },
)
async def get_rule_page(rule_id: RuleId) -> Response:
    """The same rule as `GET /v1/rules/{rule_id}` (what it does, why, the assessment inputs
    it reads, thresholds, evidence with each source's address and grade, limitations) as a
    readable page for clinicians. CDS Hooks cards link here: an EHR opens those links in a
    browser, without our API key. The rule table holds no patient data."""
    page = rule_page(rule_id)
    if page is None:
        raise NotFound("No rule with this id in the current ruleset.")
    return HTMLResponse(page, headers=PAGE_HEADERS)
