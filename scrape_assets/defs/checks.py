"""Asset checks on `<target>/validated_records`, evaluated in the validation step, per partition.

Both are blocking: when one fails, the delivered table is not materialized in that run.
- `field_completeness`: each field's presence over the day's parsed records (valid and quarantined)
  against its `min_completeness` in the YAML.
- `row_count_vs_frontier`: parsed records reach `record.min_row_share` of the frontier's record URLs.
- `completeness_drift`: no field's completeness fell more than `record.completeness_drift.max_drop` below
  its median over the last materialized days, even when the fixed threshold still passes.

And one on the delivered table, evaluated in the delivery step:
- `rows_match_validated`: the table holds exactly the day's valid records after delivery.
"""

from __future__ import annotations

from statistics import median

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, MetadataValue

from scrape_assets.defs.asset_keys import TargetKeys
from scrape_assets.defs.metadata import share_table
from scrape_assets.target_config.models import TargetConfig
from scrape_assets.validation.summary import ValidationSummary

FIELD_COMPLETENESS = "field_completeness"
ROW_COUNT_VS_FRONTIER = "row_count_vs_frontier"
COMPLETENESS_DRIFT = "completeness_drift"
ROWS_MATCH_VALIDATED = "rows_match_validated"


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
        AssetCheckSpec(
            COMPLETENESS_DRIFT, asset=keys.validated_records, blocking=True, partitions_def=partitions,
            description=(f"Each field's completeness against its median over the last "
                         f"{target.record.completeness_drift.window} materialized days."),
        ),
    ]


def delivered_check_specs(keys: TargetKeys, partitions) -> list[AssetCheckSpec]:  # type: ignore[no-untyped-def]
    """The check declared on the delivered table."""
    return [AssetCheckSpec(
        ROWS_MATCH_VALIDATED, asset=keys.delivered, partitions_def=partitions,
        description="After delivery, the table's rows for the day are exactly the day's valid records.",
    )]


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


def completeness_drift_result(
    target: TargetConfig, keys: TargetKeys, today: dict[str, float], history: dict[str, dict[str, float]]
) -> AssetCheckResult:
    """Fails when a field's completeness dropped more than `max_drop` below its trailing median.
    With fewer than `min_history` earlier days there is no baseline yet, and the check passes saying so."""
    spec = target.record.completeness_drift
    baseline = {name: median(day[name] for day in history.values() if name in day)
                for name in today if any(name in day for day in history.values())}
    drops = {name: baseline[name] - share for name, share in today.items() if name in baseline}
    failing = sorted(name for name, drop in drops.items() if drop > spec.max_drop)
    enough = len(history) >= spec.min_history
    rows = [f"| {name} | {baseline[name]:.2%} | {today[name]:.2%} | {drops[name]:+.2%} | "
            f"{'FAIL' if name in failing else 'ok'} |" for name in sorted(drops)]
    metadata = {
        "baseline_days": MetadataValue.int(len(history)),
        "baseline_window": MetadataValue.text(f"{min(history)} .. {max(history)}" if history else "none"),
        "max_drop": MetadataValue.float(spec.max_drop),
        "failing_fields": MetadataValue.text(", ".join(failing) or "none"),
        "fields": MetadataValue.md("\n".join(
            ["| field | baseline (median) | today | drop | |", "|---|---|---|---|---|", *rows])),
    }
    metadata.update({f"baseline/{name}": MetadataValue.float(round(share, 6)) for name, share in baseline.items()})
    metadata.update({f"drop/{name}": MetadataValue.float(round(drop, 6)) for name, drop in drops.items()})
    if not enough:
        metadata["note"] = MetadataValue.text(
            f"{len(history)} earlier day(s) materialized, {spec.min_history} needed for a baseline: not evaluated")
    return AssetCheckResult(
        check_name=COMPLETENESS_DRIFT, asset_key=keys.validated_records,
        passed=not (enough and failing), severity=AssetCheckSeverity.ERROR, metadata=metadata,
    )


def rows_match_result(keys: TargetKeys, valid_rows: int, day_rows: int) -> AssetCheckResult:
    """Passes when the delivered day holds exactly the valid records."""
    return AssetCheckResult(
        check_name=ROWS_MATCH_VALIDATED, asset_key=keys.delivered, passed=valid_rows == day_rows,
        severity=AssetCheckSeverity.ERROR,
        metadata={"valid_records": MetadataValue.int(valid_rows), "delivered_day_rows": MetadataValue.int(day_rows)},
    )
