"""Apply a target's field selectors to one HTML page."""

from __future__ import annotations

from parsel import Selector

from scrape_assets.target_config.models import FieldSpec


def _clean(values: list[str]) -> str | None:
    text = " ".join(" ".join(v.split()) for v in values if v is not None).strip()
    return text or None


def extract_fields(html: str, fields: dict[str, FieldSpec]) -> dict[str, str | None]:
    """Field name -> cleaned text (whitespace folded, matches joined by a space), None when missing."""
    selector = Selector(text=html)
    out: dict[str, str | None] = {}
    for name, spec in fields.items():
        matched = selector.css(spec.css) if spec.css is not None else selector.xpath(spec.xpath)
        out[name] = _clean(matched.getall())
    return out
