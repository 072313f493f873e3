"""Asset checks of a target's day, evaluated per partition.

On `validated_records`, evaluated in the validation step; all blocking (the delivered table is not
materialized in that run when one fails, and the delivery guard refuses the day in any later run):
- `valid_share`: valid records / distinct parsed records >= `record.min_valid_share` (identical copies
  of a record under one key collapse to one; conflicting ones are quarantined together).
- `field_completeness`: each field's presence over the day's valid records (a value counts once it
  survived type coercion and every check) against its `min_completeness`.
- `row_count_vs_frontier`: the record pages records were extracted from reach `record.min_row_share` of
  the day's record URLs: the frontier's and those the crawl found by following links.
- `row_count_drift`: valid records fell no more than `record.max_row_drop` below their median over
  the last materialized days.
- `completeness_drift`: no field's completeness fell more than `record.completeness_drift.max_drop`
  below its median over the last materialized days, even when the fixed threshold still passes.

On `raw_pages`, evaluated by its last op, `combine_shards`: `crawl_complete` (not blocking, so that
extraction goes on with what a stopped crawl stored; the delivery guard still refuses the day while it
fails).

On the delivered table, evaluated in the delivery step:
- `rows_match_validated`: the table holds exactly the day's valid records after delivery.
"""

from __future__ import annotations

from statistics import median
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    DagsterInstance,
    MetadataValue,
    PartitionsDefinition,
)

from scrape_assets.defs.metadata import count_records, share_table
from scrape_assets.defs.target.asset_keys import TargetKeys
from scrape_assets.defs.target.checks.history import trailing_completeness, trailing_valid_rows
from scrape_assets.target_config.models import TargetConfig
from scrape_assets.validation.summary import ValidationSummary

VALID_SHARE = "valid_share"
FIELD_COMPLETENESS = "field_completeness"
ROW_COUNT_VS_FRONTIER = "row_count_vs_frontier"
ROW_COUNT_DRIFT = "row_count_drift"
COMPLETENESS_DRIFT = "completeness_drift"
CRAWL_COMPLETE = "crawl_complete"
ROWS_MATCH_VALIDATED = "rows_match_validated"


def validation_check_specs(
    target: TargetConfig, keys: TargetKeys, partitions: PartitionsDefinition
) -> list[AssetCheckSpec]:
    """The blocking checks declared on validated_records, partitioned like it so that every
    evaluation is recorded against its day."""
    window = target.record.completeness_drift.window

    def spec(name: str, description: str, **extra: Any) -> AssetCheckSpec:
        return AssetCheckSpec(
            name,
            asset=keys.validated_records,
            blocking=True,
            partitions_def=partitions,
            description=description,
            **extra,
        )

    return [
        spec(
            VALID_SHARE,
            f"Valid records over distinct parsed records, at least {target.record.min_valid_share:.0%}; "
            "the quarantine's top reasons in the metadata.",
        ),
        spec(FIELD_COMPLETENESS, "Per-field completeness of the day's valid records against the YAML thresholds."),
        spec(
            ROW_COUNT_VS_FRONTIER,
            "Record pages extracted versus the day's record URLs (sitemaps and links followed).",
            additional_deps=[keys.url_frontier],
        ),
        spec(ROW_COUNT_DRIFT, f"Valid records against their median over the last {window} materialized days."),
        spec(
            COMPLETENESS_DRIFT,
            f"Each field's completeness against its median over the last {window} materialized days.",
        ),
    ]


def validation_results(
    instance: DagsterInstance,
    target: TargetConfig,
    keys: TargetKeys,
    day: str,
    summary: ValidationSummary,
    record_urls: int,
) -> list[AssetCheckResult]:
    """The results of `validation_check_specs` for the day, the drift checks against earlier days'
    materializations of validated_records."""
    window = target.record.completeness_drift.window
    completeness = summary.completeness(target)
    return [
        valid_share_result(target, keys, summary),
        field_completeness_result(target, keys, summary),
        row_count_result(target, keys, record_urls, summary),
        row_count_drift_result(
            target, keys, summary.valid, trailing_valid_rows(instance, keys.validated_records, day, window)
        ),
        completeness_drift_result(
            target, keys, completeness, trailing_completeness(instance, keys.validated_records, day, window)
        ),
    ]


def delivered_check_specs(keys: TargetKeys, partitions: PartitionsDefinition) -> list[AssetCheckSpec]:
    """The check declared on the delivered table."""
    return [
        AssetCheckSpec(
            ROWS_MATCH_VALIDATED,
            asset=keys.delivered,
            partitions_def=partitions,
            description="After delivery, the table's rows for the day are exactly the day's valid records.",
        )
    ]


def _result(name: str, keys: TargetKeys, passed: bool, description: str, metadata: dict) -> AssetCheckResult:
    """A check's result with its one line: what was found, against what threshold (the UI's summary)."""
    return AssetCheckResult(
        check_name=name,
        asset_key=keys.validated_records,
        passed=passed,
        severity=AssetCheckSeverity.ERROR,
        description=description,
        metadata=metadata,
    )


def valid_share_result(target: TargetConfig, keys: TargetKeys, summary: ValidationSummary) -> AssetCheckResult:
    """Passes when valid records reach `min_valid_share` of parsed records (never on a day without any)."""
    minimum = target.record.min_valid_share
    top = summary.top_reasons(1)
    reason = f"; top reason {top[0][0]} ({top[0][1]})" if top else ""
    return _result(
        VALID_SHARE,
        keys,
        summary.valid > 0 and summary.valid_share >= minimum,
        f"{summary.valid_share:.1%} valid, minimum {minimum:.0%}: {summary.quarantined} quarantined{reason}",
        {
            "valid_records": MetadataValue.int(summary.valid),
            "parsed_records": MetadataValue.int(summary.rows),
            "duplicates_collapsed": MetadataValue.int(summary.collapsed),
            "quarantined_records": MetadataValue.int(summary.quarantined),
            "share": MetadataValue.float(round(summary.valid_share, 6)),
            "minimum_share": MetadataValue.float(minimum),
            "top_reasons": count_records("field: check", dict(summary.top_reasons())),
        },
    )


def field_completeness_result(target: TargetConfig, keys: TargetKeys, summary: ValidationSummary) -> AssetCheckResult:
    """Passes when every field's completeness over the valid records reaches its `min_completeness`."""
    completeness = summary.completeness(target)
    thresholds = {name: spec.min_completeness for name, spec in target.record.fields.items()}
    failing = sorted(name for name, share in completeness.items() if share < thresholds[name])
    metadata: dict[str, MetadataValue[Any]] = {
        f"completeness/{name}": MetadataValue.float(round(share, 6)) for name, share in completeness.items()
    }
    metadata["fields"] = share_table("field", completeness, thresholds)
    metadata["failing_fields"] = MetadataValue.text(", ".join(failing) or "none")
    metadata["valid_rows"] = MetadataValue.int(summary.valid)
    if not summary.valid:
        line = "no valid record: no field is complete"
    elif failing:
        line = "; ".join(
            f"{name} {completeness[name]:.1%} complete, minimum {thresholds[name]:.0%}" for name in failing
        )
    else:
        line = f"every field complete enough over {summary.valid} valid records"
    return _result(FIELD_COMPLETENESS, keys, summary.valid > 0 and not failing, line, metadata)


def row_count_result(
    target: TargetConfig, keys: TargetKeys, record_urls: int, summary: ValidationSummary
) -> AssetCheckResult:
    """Passes when the record pages extracted reach `min_row_share` of the day's record URLs (pages, not
    rows: with several records per page, a missing page must still show)."""
    share = summary.pages / record_urls if record_urls else 0.0
    return _result(
        ROW_COUNT_VS_FRONTIER,
        keys,
        record_urls > 0 and share >= target.record.min_row_share,
        f"{summary.pages} of {record_urls} record pages extracted ({share:.1%}), "
        f"minimum {target.record.min_row_share:.0%}",
        {
            "day_record_urls": MetadataValue.int(record_urls),
            "record_pages_extracted": MetadataValue.int(summary.pages),
            "parsed_rows": MetadataValue.int(summary.rows),
            "share": MetadataValue.float(round(share, 6)),
            "minimum_share": MetadataValue.float(target.record.min_row_share),
        },
    )


def _baseline_note(days: int, needed: int) -> MetadataValue:
    return MetadataValue.text(f"{days} earlier day(s) materialized, {needed} needed for a baseline: not evaluated")


def row_count_drift_result(
    target: TargetConfig, keys: TargetKeys, today: int, history: dict[str, int]
) -> AssetCheckResult:
    """Fails when valid rows fell more than `max_row_drop` (a share) below their trailing median. With
    fewer than `completeness_drift.min_history` earlier days there is no baseline yet: it passes, saying so."""
    needed, limit = target.record.completeness_drift.min_history, target.record.max_row_drop
    baseline = median(history.values()) if history else 0
    drop = (baseline - today) / baseline if baseline else 0.0
    enough = len(history) >= needed
    metadata: dict[str, MetadataValue[Any]] = {
        "valid_rows": MetadataValue.int(today),
        "baseline_days": MetadataValue.int(len(history)),
        "baseline_window": MetadataValue.text(f"{min(history)} .. {max(history)}" if history else "none"),
        "baseline_rows": MetadataValue.float(float(baseline)),
        "drop": MetadataValue.float(round(drop, 6)),
        "max_drop": MetadataValue.float(limit),
    }
    if not enough:
        metadata["note"] = _baseline_note(len(history), needed)
        line = f"no baseline yet: {len(history)} earlier day(s) materialized, {needed} needed"
    else:
        line = (
            f"{today} valid rows, {drop:.1%} below the median of {len(history)} earlier days ({baseline:g}); "
            f"at most {limit:.0%}"
        )
    return _result(ROW_COUNT_DRIFT, keys, not (enough and drop > limit), line, metadata)


def completeness_drift_result(
    target: TargetConfig, keys: TargetKeys, today: dict[str, float], history: dict[str, dict[str, float]]
) -> AssetCheckResult:
    """Fails when a field's completeness dropped more than `max_drop` below its trailing median.
    With fewer than `min_history` earlier days there is no baseline yet, and the check passes saying so."""
    spec = target.record.completeness_drift
    baseline = {
        name: median(day[name] for day in history.values() if name in day)
        for name in today
        if any(name in day for day in history.values())
    }
    drops = {name: baseline[name] - share for name, share in today.items() if name in baseline}
    failing = sorted(name for name, drop in drops.items() if drop > spec.max_drop)
    enough = len(history) >= spec.min_history
    rows = [
        f"| {name} | {baseline[name]:.2%} | {today[name]:.2%} | {drops[name]:+.2%} | "
        f"{'FAIL' if name in failing else 'ok'} |"
        for name in sorted(drops)
    ]
    metadata: dict[str, MetadataValue[Any]] = {
        "baseline_days": MetadataValue.int(len(history)),
        "baseline_window": MetadataValue.text(f"{min(history)} .. {max(history)}" if history else "none"),
        "max_drop": MetadataValue.float(spec.max_drop),
        "failing_fields": MetadataValue.text(", ".join(failing) or "none"),
        "fields": MetadataValue.md(
            "\n".join(["| field | baseline (median) | today | drop | |", "|---|---|---|---|---|", *rows])
        ),
    }
    metadata.update({f"baseline/{name}": MetadataValue.float(round(share, 6)) for name, share in baseline.items()})
    metadata.update({f"drop/{name}": MetadataValue.float(round(drop, 6)) for name, drop in drops.items()})
    if not enough:
        metadata["note"] = _baseline_note(len(history), spec.min_history)
        line = f"no baseline yet: {len(history)} earlier day(s) materialized, {spec.min_history} needed"
    elif failing:
        line = (
            "; ".join(
                f"{name} {drops[name]:.1%} below its median ({baseline[name]:.1%} -> {today[name]:.1%})"
                for name in failing
            )
            + f"; at most {spec.max_drop:.0%}"
        )
    else:
        line = f"no field more than {spec.max_drop:.0%} below its median of {len(history)} earlier days"
    return _result(COMPLETENESS_DRIFT, keys, not (enough and failing), line, metadata)


def rows_match_result(keys: TargetKeys, valid_rows: int, day_rows: int) -> AssetCheckResult:
    """Passes when the delivered day holds exactly the valid records."""
    return AssetCheckResult(
        check_name=ROWS_MATCH_VALIDATED,
        asset_key=keys.delivered,
        passed=valid_rows == day_rows,
        severity=AssetCheckSeverity.ERROR,
        description=f"the table holds {day_rows} rows for the day; the day has {valid_rows} valid records",
        metadata={"valid_records": MetadataValue.int(valid_rows), "delivered_day_rows": MetadataValue.int(day_rows)},
    )
