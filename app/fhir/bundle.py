"""Flatten Bundles and CDS Hooks prefetch objects into one list of resources."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from app.fhir.access import Json, obj, objs, text

MAX_RESOURCES = 5000  # a prefetch of a few hundred is normal; more is a misuse


def resources_from_bundle(bundle: Json) -> list[Json]:
    """The entry resources of a Bundle (nested Bundles flattened), in entry order."""
    if bundle.get("resourceType") != "Bundle":
        raise ValueError("not a Bundle")
    return _dedupe(r for _, r in _walk(bundle, depth=0))


def resource_pointers(bundle: Json) -> dict[int, str]:
    """``id()`` of each entry resource of a Bundle -> its JSON pointer in the Bundle, for
    errors that must point into the request body."""
    return {id(r): pointer for pointer, r in _walk(bundle, depth=0)}


def resources_from_prefetch(prefetch: Mapping[str, Any] | None) -> list[Json]:
    """Resources from a CDS Hooks ``prefetch`` object.

    Values may be a resource, a (searchset) Bundle, ``null`` (queried, nothing found) or a
    non-resource such as a string; only resources are returned. A resource that two
    prefetch queries both returned is kept once.
    """
    found: list[Json] = []
    for value in (prefetch or {}).values():
        if isinstance(value, dict) and text(value.get("resourceType")):
            found.extend(r for _, r in _walk(value, depth=0))
    return _dedupe(found)


def reference_aliases(values: Iterable[Any]) -> dict[str, Json]:
    """Each entry's ``fullUrl`` -> its resource, over Bundles (nested ones too).

    FHIR R4 Bundle rules: a reference inside a Bundle resolves against the entries' fullUrl,
    and in a transaction a ``urn:uuid:`` fullUrl need not match the resource's id (it may have
    none). Searchset fullUrls are absolute URLs ending in ``Type/id``, so they resolve too.
    """
    aliases: dict[str, Json] = {}
    pending = [(v, 0) for v in values if isinstance(v, dict)]
    while pending:
        bundle, depth = pending.pop()
        if bundle.get("resourceType") != "Bundle" or depth > 2:
            continue
        for entry in objs(bundle.get("entry")):
            inner = obj(entry.get("resource"))
            url = text(entry.get("fullUrl"))
            if url and text(inner.get("resourceType")) and len(aliases) <= MAX_RESOURCES:
                aliases[url] = inner
            pending.append((inner, depth + 1))
    return aliases


def _walk(resource: Json, depth: int, pointer: str = "") -> Iterable[tuple[str, Json]]:
    """(JSON pointer, resource) of each resource, nested Bundles flattened, in entry order."""
    if resource.get("resourceType") != "Bundle":
        yield pointer, resource
        return
    if depth > 2:
        raise ValueError("Bundles nested too deeply")
    entries = resource.get("entry")
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        inner = obj(entry.get("resource")) if isinstance(entry, dict) else {}
        if text(inner.get("resourceType")):
            yield from _walk(inner, depth + 1, f"{pointer}/entry/{index}/resource")


def _dedupe(resources: Iterable[Json]) -> list[Json]:
    seen: set[tuple[str, str]] = set()
    out: list[Json] = []
    for resource in resources:
        key = (str(resource.get("resourceType")), str(resource.get("id")))
        if resource.get("id") is not None and key in seen:
            continue
        seen.add(key)
        out.append(resource)
        if len(out) > MAX_RESOURCES:
            raise ValueError(f"more than {MAX_RESOURCES} resources")
    return out
