"""schema.org data embedded in a page (JSON-LD, microdata), read with extruct, and the values a
`jsonld` / `microdata` path (`Product.offers.price`) points at."""

from __future__ import annotations

from typing import Any

SYNTAXES = {"jsonld": "json-ld", "microdata": "microdata"}
SCHEMA_PREFIXES = ("https://schema.org/", "http://schema.org/")


def page_data(html: str, url: str | None = None) -> dict[str, list[dict]]:
    """The page's JSON-LD and microdata items, in extruct's uniform shape."""
    import extruct  # ~0.5 s to import: only pages of targets with structured fields pay it

    return extruct.extract(html, base_url=url, syntaxes=list(SYNTAXES.values()), uniform=True, errors="ignore")


def _items(found: list[Any]) -> list[dict]:
    """Top-level items and those inside `@graph` lists."""
    out = []
    for item in found:
        if isinstance(item, dict):
            out.append(item)
            out.extend(_items(item.get("@graph", [])) if isinstance(item.get("@graph"), list) else [])
    return out


def _is_type(item: dict, wanted: str) -> bool:
    types = item.get("@type", [])
    for name in types if isinstance(types, list) else [types]:
        for prefix in SCHEMA_PREFIXES:
            name = name.removeprefix(prefix) if isinstance(name, str) else name
        if name == wanted:
            return True
    return False


def path_values(data: dict[str, list[dict]], kind: str, path: str) -> list[str]:
    """Every scalar value at `path` (a type, then keys; lists along the way are walked) in the page's
    `kind` ("jsonld" or "microdata") data, as text, in document order."""
    wanted, *keys = path.split(".")
    values: list[Any] = [item for item in _items(data.get(SYNTAXES[kind], [])) if _is_type(item, wanted)]
    for key in keys:
        found: list[Any] = []
        for value in values:
            inner = value.get(key) if isinstance(value, dict) else None
            found.extend(inner if isinstance(inner, list) else [] if inner is None else [inner])
        values = found
    return [str(v) for v in values if not isinstance(v, (dict, list))]
