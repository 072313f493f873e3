"""Extraction: stored pages -> records, by the target's selectors. Reads the page store only, never the network."""

from scrape_assets.extraction.errors import NoRecordPages, SelectorNotFound
from scrape_assets.extraction.extract import ExtractionSummary, extract_records
from scrape_assets.extraction.selectors import extract_fields

__all__ = ["ExtractionSummary", "NoRecordPages", "SelectorNotFound", "extract_fields", "extract_records"]
