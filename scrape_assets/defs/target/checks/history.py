"""Figures of earlier days, read back from `validated_records` materializations.

The validation step records `rows` (valid records) and `completeness/<field>` on every
materialization; the drift checks compare today with the median of the last materialized days.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import AssetKey, AssetRecordsFilter, DagsterInstance, EventLogRecord

COMPLETENESS_PREFIX = "completeness/"
RAW_COMPLETENESS_PREFIX = "raw_completeness/"  # over every parsed record, valid or not (not a baseline)
VALID_ROWS = "rows"


def _trailing_metadata(instance: DagsterInstance, key: AssetKey, day: str, window: int) -> dict[str, Mapping[str, Any]]:
    """{day: metadata} of the latest materialization of each of the last `window` materialized
    partitions before `day`."""
    earlier = sorted(p for p in instance.get_materialized_partitions(key) if p < day)[-window:]
    history = {}
    for partition in earlier:
        record = latest_materialization(instance, key, partition)
        materialization = record.asset_materialization if record is not None else None
        if materialization is not None:
            history[partition] = materialization.metadata
    return history


def latest_materialization(instance: DagsterInstance, key: AssetKey, day: str) -> EventLogRecord | None:
    """The newest materialization of `key` for `day`, or None."""
    records = instance.fetch_materializations(AssetRecordsFilter(asset_key=key, asset_partitions=[day]), limit=1)
    return records.records[0] if records.records else None


def trailing_completeness(
    instance: DagsterInstance, key: AssetKey, day: str, window: int
) -> dict[str, dict[str, float]]:
    """{day: {field: share}} for the latest `window` materialized partitions before `day`."""
    history: dict[str, dict[str, float]] = {}
    for partition, metadata in _trailing_metadata(instance, key, day, window).items():
        shares = {
            name[len(COMPLETENESS_PREFIX) :]: float(value.value)
            for name, value in metadata.items()
            if name.startswith(COMPLETENESS_PREFIX)
        }
        if shares:
            history[partition] = shares
    return history


def trailing_valid_rows(instance: DagsterInstance, key: AssetKey, day: str, window: int) -> dict[str, int]:
    """{day: valid rows} for the latest `window` materialized partitions before `day`."""
    return {
        partition: int(metadata[VALID_ROWS].value)
        for partition, metadata in _trailing_metadata(instance, key, day, window).items()
        if VALID_ROWS in metadata
    }
