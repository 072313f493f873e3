"""Apply a target's record rules to one HTML page: the items that carry records, then each field's
selector and processors."""

from __future__ import annotations

from dataclasses import dataclass, field

from parsel import Selector

from scrape_assets.extraction.processors import ProcessorFailed, Value, field_value, raw_value
from scrape_assets.target_config.models import FieldSpec, RecordSpec


@dataclass
class ExtractedRecord:
    """One record's field values (text, a list of texts for list fields, None when missing) and the
    processors that failed on it (`field: reason`)."""

    values: dict[str, Value]
    errors: list[str] = field(default_factory=list)


def _fields(scope: Selector, fields: dict[str, FieldSpec]) -> ExtractedRecord:
    record = ExtractedRecord({})
    for name, spec in fields.items():
        matched = (scope.css(spec.css) if spec.css is not None else scope.xpath(spec.xpath)).getall()
        try:
            record.values[name] = field_value(spec, matched)
        except ProcessorFailed as failed:
            record.values[name] = raw_value(spec, matched)
            record.errors.append(f"{name}: {failed}")
    return record


def page_records(html: str, record: RecordSpec) -> list[ExtractedRecord]:
    """The page's records: one for the page, or one per element `record.item` selects (field
    selectors relative to it), in page order."""
    page = Selector(text=html)
    if record.item is None:
        return [_fields(page, record.fields)]
    items = page.css(record.item.css) if record.item.css is not None else page.xpath(record.item.xpath)
    return [_fields(item, record.fields) for item in items]


def extract_fields(html: str, fields: dict[str, FieldSpec]) -> dict[str, Value]:
    """Field name -> value of the page's one record (see `page_records`)."""
    return _fields(Selector(text=html), fields).values
