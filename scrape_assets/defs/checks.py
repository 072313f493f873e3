"""Asset checks on `<target>/validated_records`, evaluated in the validation step, per partition.

Both are blocking: when one fails, the delivered table is not materialized in that run.
- `field_completeness`: each field's presence over the day's parsed records (valid and quarantined)
  against its `min_completeness` in the YAML.
- `row_count_vs_frontier`: parsed records reach `record.min_row_share` of the frontier's record URLs.
"""

from __future__ import annotations

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, MetadataValue

from scrape_assets.defs.asset_keys import TargetKeys
from scrape_assets.defs.metadata import share_table
from scrape_assets.target_config.models import TargetConfig
from scrape_assets.validation import ValidationSummary

FIELD_COMPLETENESS = "field_completeness"
ROW_COUNT_VS_FRONTIER = "row_count_vs_frontier"


def validation_check_specs(target: TargetConfig, keys: TargetKeys, partitions) -> list[AssetCheckSpec]:  # type: ignore[no-untyped-def]
    """The blocking checks declared on validated_records, partitioned like it so that every
    evaluation is recorded against its day."""
    return [
        AssetCheckSpec(
            FIELD_COMPLETENESS, asset=keys.validated_records, blocking=True, partitions_def=partitions,
            description="Per-field completeness of the day's records against the target YAML thresholds.",
        ),
        AssetCheckSpec(
            ROW_COUNT_VS_FRONTIER, asset=keys.validated_records, blocking=True, partitions_def=partitions,
            additional_deps=[keys.url_frontier],
            description="Records extracted versus record URLs in the day's frontier.",
        ),
    ]


def field_completeness_result(target: TargetConfig, keys: TargetKeys, summary: ValidationSummary) -> AssetCheckResult:
    """Passes when every field's completeness reaches its `min_completeness`."""
    completeness = summary.completeness(target)
    thresholds = {name: spec.min_completeness for name, spec in target.record.fields.items()}
    failing = sorted(name for name, share in completeness.items() if share < thresholds[name])
    metadata = {f"completeness/{name}": MetadataValue.float(round(share, 6)) for name, share in completeness.items()}
    metadata["fields"] = share_table("field", completeness, thresholds)
    metadata["failing_fields"] = MetadataValue.text(", ".join(failing) or "none")
    metadata["rows"] = MetadataValue.int(summary.rows)
    return AssetCheckResult(
        check_name=FIELD_COMPLETENESS, asset_key=keys.validated_records,
        passed=summary.rows > 0 and not failing, severity=AssetCheckSeverity.ERROR, metadata=metadata,
    )


def row_count_result(target: TargetConfig, keys: TargetKeys, frontier_records: int, summary: ValidationSummary) -> AssetCheckResult:
    """Passes when parsed rows reach `min_row_share` of the frontier's record URLs."""
    share = summary.rows / frontier_records if frontier_records else 0.0
    return AssetCheckResult(
        check_name=ROW_COUNT_VS_FRONTIER, asset_key=keys.validated_records,
        passed=frontier_records > 0 and share >= target.record.min_row_share,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "frontier_record_urls": MetadataValue.int(frontier_records),
            "parsed_rows": MetadataValue.int(summary.rows),
            "share": MetadataValue.float(round(share, 6)),
            "minimum_share": MetadataValue.float(target.record.min_row_share),
        },
    )
