"""Structured access logs, Prometheus metrics and security headers for every response.

Logs and metric labels carry the route *template* (``/v1/patients/{patient_ref}/...``), never
the raw path or query, so a patient identifier can never reach them; bodies are never logged.
"""

from __future__ import annotations

import logging
import sys
import time
from contextvars import ContextVar
from typing import Any

import orjson
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings

access_logger = logging.getLogger("kratom_cds.access")

# Whitelisted ``extra`` fields: ids and request facts, never patient data. ``disclosure_id``
# is the opaque id of a break-glass disclosure (the alert reviewers follow up).
_LOG_FIELDS = (
    "request_id",
    "client_id",
    "method",
    "route",
    "status",
    "latency_ms",
    "disclosure_id",
)
# The ``method`` metric label: any other method (anyone can send one, unauthenticated) is
# counted as OTHER, so requests cannot create unbounded label series.
METRIC_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def metric_method(method: str) -> str:
    return method if method in METRIC_METHODS else "OTHER"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and our whitelisted fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in _LOG_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        return orjson.dumps(entry, default=str).decode()


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    formatter = JsonFormatter()
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # uvicorn's access log prints raw paths (which hold patient references): ours replaces it.
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("httpx").setLevel(logging.WARNING)  # request lines carry full URLs


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "kcds_http_requests_total",
            "HTTP requests by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "kcds_http_request_duration_seconds",
            "HTTP request latency by route template.",
            ["route", "method"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
        )
        self.rules_fired = Counter(
            "kcds_rules_fired_total",
            "Rules that fired in evaluations, by rule id.",
            ["rule_id"],
            registry=self.registry,
        )
        # One child per rule id, looked up once: an evaluation fires 20-30 rules, and
        # ``labels()`` re-validates its arguments on every call.
        self._fired_by_rule: dict[str, Any] = {}

    def count_fired(self, rule_ids: list[str]) -> None:
        children = self._fired_by_rule
        for rule_id in rule_ids:
            child = children.get(rule_id)
            if child is None:
                child = children[rule_id] = self.rules_fired.labels(rule_id)
            child.inc()


# The rules that fired during the current request, counted by the middleware afterwards.
_fired_rules: ContextVar[list[str] | None] = ContextVar("kcds_fired_rules", default=None)


def record_fired_rules(rule_ids: list[str]) -> None:
    """Count these rules in ``kcds_rules_fired_total`` (no-op outside a request)."""
    fired = _fired_rules.get()
    if fired is not None:
        fired.extend(rule_ids)


SECURITY_HEADERS = [
    (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
API_ONLY_HEADERS = [
    # Patient data must not sit in browser or proxy caches.
    (b"cache-control", b"no-store"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
]
_DOC_PREFIXES = ("/docs", "/redoc", "/static-offline-docs")


class ObservabilityMiddleware:
    """Times the request, adds security headers, logs one line and records metrics."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        fired: list[str] = []
        token = _fired_rules.set(fired)
        is_docs = scope["path"].startswith(_DOC_PREFIXES)

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                extra = SECURITY_HEADERS if is_docs else SECURITY_HEADERS + API_ONLY_HEADERS
                existing = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *[(k, v) for k, v in extra if k not in existing],
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope["method"]
            label = metric_method(method)
            self.metrics.requests.labels(route, label, str(status)).inc()
            self.metrics.latency.labels(route, label).observe(elapsed)
            _fired_rules.reset(token)
            if fired:
                self.metrics.count_fired(fired)
            state = scope.get("state", {})
            principal = state.get("principal")
            access_logger.info(
                "request",
                extra={
                    "request_id": state.get("request_id"),
                    "client_id": str(principal.client_id) if principal else None,
                    "method": method,
                    "route": route,
                    "status": status,
                    "latency_ms": round(elapsed * 1000, 2),
                },
            )
