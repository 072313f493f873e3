"""`<target>/delivered_<target>`: the table users query, one idempotent MERGE per day."""


from dagster import AssetExecutionContext, AssetsDefinition, MaterializeResult, MetadataValue, asset
from dagster_duckdb import DuckDBResource

from scrape_assets.defs.asset_keys import TargetKeys
from scrape_assets.defs.resources import RecordFiles
from scrape_assets.delivery import merge_partition
from scrape_assets.target_config.models import TargetConfig


def build_delivered(target: TargetConfig, keys: TargetKeys, partitions) -> AssetsDefinition:  # type: ignore[no-untyped-def]
    @asset(
        key=keys.delivered,
        deps=[keys.validated_records],
        partitions_def=partitions,
        group_name=target.name,
        kinds={"duckdb", "table"},
        tags={"target": target.name},
        description=(
            f"Table {target.delivered_table}: valid records upserted on ({target.record.key}, partition_date)."
        ),
    )
    def delivered(context: AssetExecutionContext, warehouse: DuckDBResource, record_files: RecordFiles) -> MaterializeResult:
        day = context.partition_key
        valid = record_files.path(target.name, day, "valid")
        with warehouse.get_connection() as conn:
            summary = merge_partition(conn, target, valid, day)
        return MaterializeResult(metadata={
            "table": MetadataValue.text(summary.table),
            "day_rows": MetadataValue.int(summary.day_rows_after),
            "day_rows_before": MetadataValue.int(summary.day_rows_before),
            "table_rows": MetadataValue.int(summary.table_rows),
            "dagster/row_count": MetadataValue.int(summary.day_rows_after),
        })

    return delivered
