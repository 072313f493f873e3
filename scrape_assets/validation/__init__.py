"""Validation: a pandera schema built from the target YAML splits parsed records into valid rows and
quarantined rows (with the failing check). Dagster-free."""

from scrape_assets.validation.schema import arrow_schema, build_schema
from scrape_assets.validation.split import ValidationSummary, validate_records

__all__ = ["ValidationSummary", "arrow_schema", "build_schema", "validate_records"]
