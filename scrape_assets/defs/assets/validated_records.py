"""`<target>/validated_records` and `<target>/quarantined_records`: one validation step, two outputs.

Quarantine is materialized before the checks are evaluated, so it lands even when a blocking
check stops delivery.
"""

from collections.abc import Iterator
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    AssetsDefinition,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    PartitionsDefinition,
    multi_asset,
)

from scrape_assets.defs.asset_keys import TargetKeys
from scrape_assets.defs.checks import (
    completeness_drift_result,
    field_completeness_result,
    row_count_drift_result,
    row_count_result,
    valid_share_result,
    validation_check_specs,
)
from scrape_assets.defs.completeness_history import (
    COMPLETENESS_PREFIX,
    VALID_ROWS,
    trailing_completeness,
    trailing_valid_rows,
)
from scrape_assets.defs.metadata import count_table
from scrape_assets.defs.partitions import require_day
from scrape_assets.defs.resources import PageStoreResource, RecordFiles
from scrape_assets.page_store import day_record_urls, partition_prefix
from scrape_assets.target_config.models import TargetConfig


def build_validated_records(
    target: TargetConfig, keys: TargetKeys, partitions: PartitionsDefinition
) -> AssetsDefinition:
    common: dict[str, Any] = {
        "group_name": target.name,
        "partitions_def": partitions,
        "tags": {"target": target.name},
        "kinds": {"pandera", "parquet"},
        "deps": [keys.parsed_records],
    }

    @multi_asset(
        name=f"{target.name}__validate",
        specs=[
            AssetSpec(keys.validated_records, description="Records that passed the pandera schema, typed.", **common),
            AssetSpec(
                keys.quarantined_records, description="Records that failed it, with the reason and page ref.", **common
            ),
        ],
        check_specs=validation_check_specs(target, keys, partitions),
    )
    def validate(
        context: AssetExecutionContext, page_store: PageStoreResource, record_files: RecordFiles
    ) -> Iterator[MaterializeResult | AssetCheckResult]:
        # pandera costs 0.3 s to import: only this step pays it, not every load of the code location
        from scrape_assets.validation.split import validate_records

        day = require_day(context, target)
        valid = record_files.path(target.name, day, "valid")
        quarantined = record_files.path(target.name, day, "quarantined")
        summary = validate_records(target, record_files.path(target.name, day, "parsed"), valid, quarantined)
        record_urls = day_record_urls(page_store.store(), partition_prefix(target.name, day), target.is_record_url)
        completeness = summary.completeness(target)
        window = target.record.completeness_drift.window
        history = trailing_completeness(context.instance, keys.validated_records, day, window)
        rows_history = trailing_valid_rows(context.instance, keys.validated_records, day, window)
        yield MaterializeResult(
            asset_key=keys.quarantined_records,
            metadata={
                "rows": MetadataValue.int(summary.quarantined),
                "failures": count_table("field: check", dict(summary.failures)),
                "path": MetadataValue.path(str(quarantined)),
            },
        )
        yield MaterializeResult(
            asset_key=keys.validated_records,
            metadata={
                VALID_ROWS: MetadataValue.int(summary.valid),
                "dagster/row_count": MetadataValue.int(summary.valid),
                "quarantined_rows": MetadataValue.int(summary.quarantined),
                "path": MetadataValue.path(str(valid)),
                **{
                    f"{COMPLETENESS_PREFIX}{name}": MetadataValue.float(round(share, 6))
                    for name, share in completeness.items()
                },
            },
        )
        yield valid_share_result(target, keys, summary)
        yield field_completeness_result(target, keys, summary)
        yield row_count_result(target, keys, record_urls, summary)
        yield row_count_drift_result(target, keys, summary.valid, rows_history)
        yield completeness_drift_result(target, keys, completeness, history)

    return validate
