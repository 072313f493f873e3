"""Stream a partition's stored record pages into a Parquet file of string-typed records."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from w3lib.encoding import html_to_unicode

from scrape_assets.extraction.errors import NoRecordPages, SelectorNotFound
from scrape_assets.extraction.processors import Value
from scrape_assets.extraction.selectors import page_records
from scrape_assets.page_store import StoredPage
from scrape_assets.target_config.models import TargetConfig

META_COLUMNS = ("source_url", "page_ref", "fetched_at")
ERRORS_COLUMN = "extraction_errors"  # processors that failed on the record; validation quarantines it
BATCH_ROWS = 5000
EXAMPLES = 5


@dataclass
class ExtractionSummary:
    """What extraction saw: pages read, records written (and the pages they came from), pages skipped
    by reason, fields missing, records whose processing failed."""

    pages_read: int = 0
    records: int = 0
    record_pages: int = 0
    processing_failures: int = 0
    skipped: Counter = field(default_factory=Counter)
    missing: Counter = field(default_factory=Counter)
    missing_examples: dict[str, list[str]] = field(default_factory=dict)
    charset_fallbacks: int = 0

    def completeness(self, target: TargetConfig) -> dict[str, float]:
        """Share of records in which each field was found."""
        return {
            name: (1.0 - self.missing[name] / self.records) if self.records else 0.0 for name in target.record.fields
        }


def record_schema(target: TargetConfig) -> pa.Schema:
    """Parsed records are text (lists of text for list fields); types are applied by validation."""
    fields = [
        (name, pa.list_(pa.string()) if spec.is_list else pa.string()) for name, spec in target.record.fields.items()
    ]
    return pa.schema([*fields, *((name, pa.string()) for name in (*META_COLUMNS, ERRORS_COLUMN))])


def decode_page(page: StoredPage) -> tuple[str, bool]:
    """The page's text in its declared charset, and whether that failed: a charset that does not
    exist, or that cannot decode the body, falls back to detection from the body."""
    content_type = page.content_type.lower()
    declared = content_type.split("charset=", 1)[1].split(";")[0].strip() if "charset=" in content_type else ""
    if declared:
        try:
            return page.body.decode(declared), False
        except (LookupError, UnicodeDecodeError):
            pass
    _, text = html_to_unicode(None, page.body)
    return text, bool(declared)


def _decode(page: StoredPage, summary: ExtractionSummary) -> str:
    text, fell_back = decode_page(page)
    summary.charset_fallbacks += fell_back
    return text


def extract_records(
    target: TargetConfig, pages: Iterable[StoredPage], out_path: Path, check: bool = True
) -> ExtractionSummary:
    """Write the records of every successful record page to `out_path` (Parquet), streaming: one per
    page, or one per `record.item` element.

    Raises `SelectorNotFound` (and writes nothing) when a required field is missing on more than
    `record.selector_missing_max_share` of record pages, and `NoRecordPages` when there are none;
    `check=False` leaves that to the caller (a chunk of a day is not the day: extraction/parallel.py).
    """
    summary = ExtractionSummary()
    schema = record_schema(target)
    columns: dict[str, list[Value]] = {name: [] for name in schema.names}
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = out_path.with_name(f".{out_path.name}.partial")
    with pq.ParquetWriter(partial, schema) as writer:
        for page in pages:
            summary.pages_read += 1
            if not target.is_record_url(page.url):
                summary.skipped["not_a_record_page"] += 1
                continue
            if page.status != 200:
                summary.skipped[f"status_{page.status}"] += 1
                continue
            if "html" not in page.content_type.lower():
                summary.skipped["not_html"] += 1
                continue
            records = page_records(_decode(page, summary), target.record)
            if not records:
                summary.skipped["no_items"] += 1
                continue
            summary.record_pages += 1
            for index, record in enumerate(records):
                for name, value in record.values.items():
                    if value is None:
                        summary.missing[name] += 1
                        examples = summary.missing_examples.setdefault(name, [])
                        if len(examples) < EXAMPLES:
                            examples.append(page.url)
                    columns[name].append(value)
                columns["source_url"].append(page.url)
                columns["page_ref"].append(page.ref if target.record.item is None else f"{page.ref}:item{index}")
                columns["fetched_at"].append(page.fetched_at)
                columns[ERRORS_COLUMN].append("; ".join(record.errors) or None)
                summary.processing_failures += bool(record.errors)
                summary.records += 1
            if len(columns["source_url"]) >= BATCH_ROWS:
                writer.write_table(pa.table(columns, schema=schema))
                columns = {name: [] for name in schema.names}
        if columns["source_url"]:
            writer.write_table(pa.table(columns, schema=schema))
    try:
        if check:
            raise_for_missing_selectors(target, summary)
    except (SelectorNotFound, NoRecordPages):
        partial.unlink()
        raise
    os.replace(partial, out_path)
    return summary


def raise_for_missing_selectors(target: TargetConfig, summary: ExtractionSummary) -> None:
    """The day-level verdict on a whole extraction: `NoRecordPages`, or `SelectorNotFound` for a
    required field missing on more than its allowed share of record pages."""
    if summary.records == 0:
        raise NoRecordPages(
            f"target {target.name!r}: none of the {summary.pages_read} stored pages is a successful record "
            f"page (pattern {target.record_url_pattern!r}); skipped: {dict(summary.skipped)}"
        )
    allowed = target.record.selector_missing_max_share
    for name, spec in target.record.fields.items():
        missing = summary.missing[name]
        if spec.required and missing / summary.records > allowed:
            raise SelectorNotFound(
                target.name,
                name,
                spec.selector,
                missing,
                summary.records,
                allowed,
                summary.missing_examples.get(name, []),
            )
