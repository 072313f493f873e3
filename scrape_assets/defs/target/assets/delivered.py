"""`<target>/delivered_<target>`: the table users query, the day replaced idempotently (Warehouse.replace_partition).

Guarded across runs (`delivery_guard.py`): the day is refused unless every blocking check on the day's
latest `validated_records` materialization passed on it and its records came from a complete crawl,
or the run carries the override tag.
"""

import functools
from collections.abc import Iterator
from datetime import timedelta

from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    AssetsDefinition,
    FreshnessPolicy,
    MaterializeResult,
    MetadataValue,
    PartitionsDefinition,
    asset,
)

from scrape_assets.defs.resources import RecordFiles, Warehouse
from scrape_assets.defs.resources.record_files import Stage
from scrape_assets.defs.resources.warehouse import WAREHOUSE_POOL
from scrape_assets.defs.tags import OVERRIDE_TAG
from scrape_assets.defs.target.asset_keys import TargetKeys
from scrape_assets.defs.target.catalog import TargetCatalog
from scrape_assets.defs.target.checks.delivery_guard import DeliveryBlocked, guard_findings
from scrape_assets.defs.target.checks.record_checks import (
    delivered_check_specs,
    rows_match_result,
    validation_check_specs,
)
from scrape_assets.defs.target.partitions import require_day
from scrape_assets.target_config.models import TargetConfig


def delivered_freshness(target: TargetConfig) -> FreshnessPolicy:
    """The day's table is expected `freshness_deadline_hours` after the scheduled run starts."""
    schedule = target.schedule
    deadline = (schedule.hour_of_day + schedule.freshness_deadline_hours) % 24
    return _cron_freshness(
        f"{target.scheduled_minute} {deadline} * * *", schedule.freshness_deadline_hours, schedule.timezone
    )


@functools.cache
def _cron_freshness(deadline_cron: str, hours: int, timezone: str) -> FreshnessPolicy:
    """One policy per distinct deadline: Dagster works out each cron's smallest interval when a policy is
    made (a quarter of the code location's load with hundreds of targets); the policy is immutable."""
    return FreshnessPolicy.cron(
        deadline_cron=deadline_cron, lower_bound_delta=timedelta(hours=hours), timezone=timezone
    )


def build_delivered(
    target: TargetConfig, keys: TargetKeys, partitions: PartitionsDefinition, catalog: TargetCatalog
) -> AssetsDefinition:
    # the guard also asks whether the day's crawl completed (crawl_complete: not blocking in the run, so
    # that a stopped crawl's pages are still extracted, but a partial day is never delivered)
    guarded = [spec.key for spec in validation_check_specs(target, keys, partitions) if spec.blocking]

    @asset(
        key=keys.delivered,
        deps=[keys.validated_records],
        partitions_def=partitions,
        kinds={"table"},
        pool=WAREHOUSE_POOL,
        **catalog.of(keys.delivered),
        check_specs=delivered_check_specs(keys, partitions),
        freshness_policy=delivered_freshness(target),
        description=(
            f"Table {target.delivered_table}: the day's valid records, the day replaced as a whole "
            f"(one row per {target.record.key} and partition_date)."
        ),
    )
    def delivered(
        context: AssetExecutionContext, warehouse: Warehouse, record_files: RecordFiles
    ) -> Iterator[MaterializeResult | AssetCheckResult]:
        day = require_day(context, target)
        findings = guard_findings(context.instance, keys, guarded, day)
        override = context.run.tags.get(OVERRIDE_TAG, "").strip()
        if findings and not override:
            raise DeliveryBlocked(day, findings)
        if findings:
            context.log.warning(
                f"delivering {day} despite: {'; '.join(f.describe() for f in findings)} (override: {override})"
            )
        import pyarrow.parquet as pq  # here, not at the top: the code location loads without pyarrow

        valid = record_files.path(target.name, day, Stage.VALID)
        valid_rows = pq.ParquetFile(valid).metadata.num_rows
        summary = warehouse.replace_partition(target, valid, day)
        yield MaterializeResult(
            metadata={
                "table": MetadataValue.text(summary.table),
                "day_rows": MetadataValue.int(summary.day_rows_after),
                "day_rows_before": MetadataValue.int(summary.day_rows_before),
                "table_rows": MetadataValue.int(summary.table_rows),
                "dagster/row_count": MetadataValue.int(summary.day_rows_after),
                "delivery_guard": MetadataValue.text(f"overridden: {override}" if findings else "passed"),
                "overridden_checks": MetadataValue.text("; ".join(f.describe() for f in findings) or "none"),
            }
        )
        yield rows_match_result(keys, valid_rows, summary.day_rows_after)

    return delivered
