"""Delivery: apply a day's valid records to the table users query, idempotently. Dagster-free."""

from scrape_assets.delivery.duckdb_replace import DeliverySummary, DuplicateKeys, replace_partition
from scrape_assets.delivery.errors import WarehouseUnavailable

__all__ = ["DeliverySummary", "DuplicateKeys", "WarehouseUnavailable", "replace_partition"]
