"""Apply a target's record rules to one HTML page: the items that carry records, then each field's
selector and processors."""

from __future__ import annotations

from dataclasses import dataclass, field

from parsel import Selector

from scrape_assets.extraction.processors import ProcessorFailed, Value, field_value, raw_value
from scrape_assets.extraction.structured import page_data, path_values
from scrape_assets.target_config.models import FieldSpec, RecordSpec


@dataclass
class ExtractedRecord:
    """One record's field values (text, a list of texts for list fields, None when missing) and the
    processors that failed on it (`field: reason`)."""

    values: dict[str, Value]
    errors: list[str] = field(default_factory=list)


class _Page:
    """A page's parsed HTML, and its structured data once a field asks for it."""

    def __init__(self, html: str):
        self.html, self.selector = html, Selector(text=html)
        self._data: dict[str, list[dict]] | None = None

    def data(self) -> dict[str, list[dict]]:
        if self._data is None:
            self._data = page_data(self.html)
        return self._data


def _matches(page: _Page, scope: Selector, spec: FieldSpec) -> list[str]:
    if spec.css is not None:
        return scope.css(spec.css).getall()
    if spec.xpath is not None:
        return scope.xpath(spec.xpath).getall()
    kind = "jsonld" if spec.jsonld is not None else "microdata"
    return path_values(page.data(), kind, spec.jsonld or spec.microdata)  # type: ignore[arg-type]


def _fields(page: _Page, scope: Selector, fields: dict[str, FieldSpec]) -> ExtractedRecord:
    record = ExtractedRecord({})
    for name, spec in fields.items():
        matched = _matches(page, scope, spec)
        try:
            record.values[name] = field_value(spec, matched)
        except ProcessorFailed as failed:
            record.values[name] = raw_value(spec, matched)
            record.errors.append(f"{name}: {failed}")
    return record


def page_records(html: str, record: RecordSpec) -> list[ExtractedRecord]:
    """The page's records: one for the page, or one per element `record.item` selects (CSS/XPath
    field selectors relative to it; `jsonld`/`microdata` paths read the page's data), in page order."""
    page = _Page(html)
    if record.item is None:
        return [_fields(page, page.selector, record.fields)]
    root = page.selector
    items = root.css(record.item.css) if record.item.css is not None else root.xpath(str(record.item.xpath))
    return [_fields(page, item, record.fields) for item in items]


def extract_fields(html: str, fields: dict[str, FieldSpec]) -> dict[str, Value]:
    """Field name -> value of the page's one record (see `page_records`)."""
    page = _Page(html)
    return _fields(page, page.selector, fields).values
