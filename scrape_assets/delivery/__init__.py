"""Delivery: apply a day's valid records to the table users query, idempotently. Dagster-free."""

from scrape_assets.delivery.duckdb_merge import DeliverySummary, DuplicateKeys, merge_partition

__all__ = ["DeliverySummary", "DuplicateKeys", "merge_partition"]
