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

from scrape_assets.defs.metadata import count_table
from scrape_assets.defs.resources import PageStoreResource, RecordFiles
from scrape_assets.defs.resources.record_files import Stage
from scrape_assets.defs.target.asset_keys import TargetKeys
from scrape_assets.defs.target.catalog import TargetCatalog
from scrape_assets.defs.target.checks.crawl_complete import source_crawl_facts
from scrape_assets.defs.target.checks.history import COMPLETENESS_PREFIX, RAW_COMPLETENESS_PREFIX, VALID_ROWS
from scrape_assets.defs.target.checks.record_checks import validation_check_specs, validation_results
from scrape_assets.defs.target.partitions import require_day
from scrape_assets.page_store import day_record_urls, partition_prefix
from scrape_assets.target_config.models import TargetConfig
from scrape_assets.validation.worker import validate_day


def build_validated_records(
    target: TargetConfig, keys: TargetKeys, partitions: PartitionsDefinition, catalog: TargetCatalog
) -> AssetsDefinition:
    common: dict[str, Any] = {
        "partitions_def": partitions,
        "kinds": {"pandera", "parquet"},
        "deps": [keys.parsed_records],
    }

    @multi_asset(
        name=f"{target.name}__validate",
        specs=[
            AssetSpec(
                keys.validated_records,
                description="Records that passed the pandera schema, typed.",
                **common,
                **catalog.of(keys.validated_records),
            ),
            AssetSpec(
                keys.quarantined_records,
                description="Records that failed it, with the reason and page ref.",
                **common,
                **catalog.of(keys.quarantined_records),
            ),
        ],
        check_specs=validation_check_specs(target, keys, partitions),
    )
    def validate(
        context: AssetExecutionContext, page_store: PageStoreResource, record_files: RecordFiles
    ) -> Iterator[MaterializeResult | AssetCheckResult]:
        day = require_day(context, target)
        valid = record_files.path(target.name, day, Stage.VALID)
        quarantined = record_files.path(target.name, day, Stage.QUARANTINED)
        validation = validate_day(target, record_files.path(target.name, day, Stage.PARSED), valid, quarantined)
        summary = validation.summary
        record_urls = day_record_urls(page_store.store(), partition_prefix(target.name, day), target.is_record_url)
        completeness = summary.completeness(target)
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
                "duplicates_collapsed": MetadataValue.int(summary.collapsed),
                "path": MetadataValue.path(str(valid)),
                **source_crawl_facts(context.instance, keys, day),
                **(
                    {"validation_worker_peak_rss_mib": MetadataValue.float(validation.worker_peak_rss_mib)}
                    if validation.worker_peak_rss_mib is not None
                    else {}
                ),
                **{
                    f"{COMPLETENESS_PREFIX}{name}": MetadataValue.float(round(share, 6))
                    for name, share in completeness.items()
                },
                # what the pages held, before any check: beside completeness over valid records, it tells a
                # field the site stopped sending from one the checks refuse
                "valid_share": MetadataValue.float(round(summary.valid_share, 6)),
                **{
                    f"{RAW_COMPLETENESS_PREFIX}{name}": MetadataValue.float(round(share, 6))
                    for name, share in summary.raw_completeness(target).items()
                },
            },
        )
        yield from validation_results(context.instance, target, keys, day, summary, record_urls)

    return validate
