"""Per-field completeness of earlier days, read back from `validated_records` materializations.

The validation step records `completeness/<field>` on every materialization; the drift check compares
today with the median of the last materialized days before it.
"""

from __future__ import annotations

from dagster import AssetKey, AssetRecordsFilter, DagsterInstance

COMPLETENESS_PREFIX = "completeness/"


def trailing_completeness(instance: DagsterInstance, key: AssetKey, day: str, window: int) -> dict[str, dict[str, float]]:
    """{day: {field: share}} for the latest `window` materialized partitions before `day` (the
    latest materialization of each)."""
    earlier = sorted(p for p in instance.get_materialized_partitions(key) if p < day)[-window:]
    history: dict[str, dict[str, float]] = {}
    for partition in earlier:
        records = instance.fetch_materializations(
            AssetRecordsFilter(asset_key=key, asset_partitions=[partition]), limit=1).records
        if not records:
            continue
        metadata = records[0].asset_materialization.metadata
        shares = {name[len(COMPLETENESS_PREFIX):]: float(value.value) for name, value in metadata.items()
                  if name.startswith(COMPLETENESS_PREFIX)}
        if shares:
            history[partition] = shares
    return history
