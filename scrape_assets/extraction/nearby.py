"""For a field whose selector matched nothing on a page: what it did match nearby, as hints for the
person writing the YAML (`python -m scrape_assets try`). Heuristic by design: close class names, the
same tag, or the keys that exist where a structured-data path breaks."""

from __future__ import annotations

import difflib
import re

from parsel import Selector

from scrape_assets.extraction.structured import SYNTAXES, page_data
from scrape_assets.target_config.models import FieldSpec

HINTS = 3
_CSS_CLASS = re.compile(r"\.([A-Za-z_][\w-]*)")
_XPATH_CLASS = re.compile(r"@class\s*[,=]\s*['\"]([^'\"]+)['\"]")
_LAST_TAG = re.compile(r"(?:^|[\s>+~/])([A-Za-z][\w-]*)(?=[^\s>+~/]*$)")


def _describe(node: Selector) -> str:
    classes = ".".join(node.attrib.get("class", "").split())
    text = " ".join(" ".join(node.xpath(".//text()").getall()).split())
    tag = node.root.tag if isinstance(node.root.tag, str) else "?"
    return f"{tag}{'.' + classes if classes else ''} -> {text[:60]!r}"


def _html_hints(scope: Selector, expression: str, is_css: bool) -> list[str]:
    shape = expression.split("::", 1)[0] if is_css else re.sub(r"/(text|@\w+)\(\)?$", "", expression)
    wanted = (_CSS_CLASS if is_css else _XPATH_CLASS).findall(shape)
    present = sorted({c for value in scope.xpath("//@class").getall() for c in value.split()})
    hints: list[str] = []
    for name in [w for value in wanted for w in value.split()]:
        for close in difflib.get_close_matches(name, present, n=2, cutoff=0.6):
            hints.extend(
                _describe(node)
                for node in scope.xpath(f"//*[contains(concat(' ', normalize-space(@class), ' '), ' {close} ')]")[
                    :HINTS
                ]
            )
    tag = _LAST_TAG.search(shape)
    if not hints and tag:
        hints.extend(f"same tag: {_describe(node)}" for node in scope.xpath(f"//{tag.group(1)}")[:HINTS])
    return list(dict.fromkeys(hints))[:HINTS]


def _structured_hints(html: str, kind: str, path: str) -> list[str]:
    wanted, *keys = path.split(".")
    items = [item for item in page_data(html).get(SYNTAXES[kind], []) if isinstance(item, dict)]
    if not items:
        return [f"the page carries no {kind} data"]
    typed = [item for item in items if wanted in str(item.get("@type", ""))]
    if not typed:
        return [f"types on the page: {', '.join(sorted({str(item.get('@type')) for item in items}))}"]
    value: object = typed[0]
    walked = [wanted]
    for key in keys:
        if isinstance(value, list):
            value = value[0] if value else {}
        if not isinstance(value, dict) or key not in value:
            known = ", ".join(sorted(value)) if isinstance(value, dict) else type(value).__name__
            return [f"{'.'.join(walked)} has no {key!r}; it has: {known}"]
        value = value[key]
        walked.append(key)
    return [f"{path} holds {value!r}, which is not a plain value"]


def nearby(html: str, spec: FieldSpec) -> list[str]:
    """Up to a few hints of what the field's selector could have meant on this page."""
    if spec.css is not None or spec.xpath is not None:
        return _html_hints(Selector(text=html), spec.css or spec.xpath or "", spec.css is not None)
    kind = "jsonld" if spec.jsonld is not None else "microdata"
    return _structured_hints(html, kind, spec.jsonld or spec.microdata or "")
