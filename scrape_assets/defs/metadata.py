"""Small helpers that turn counts into Dagster metadata the UI can show and plot."""

from __future__ import annotations

from collections.abc import Mapping

from dagster import MetadataValue, TableColumn, TableRecord, TableSchema


def share_table(
    title: str, shares: Mapping[str, float], thresholds: Mapping[str, float] | None = None
) -> MetadataValue:
    """A Markdown table of per-field shares (and thresholds, when given)."""
    if thresholds is None:
        rows = [f"| {name} | {share:.2%} |" for name, share in shares.items()]
        return MetadataValue.md("\n".join([f"| {title} | share |", "|---|---|", *rows]))
    rows = [
        f"| {name} | {share:.2%} | {thresholds[name]:.2%} | {'ok' if share >= thresholds[name] else 'FAIL'} |"
        for name, share in shares.items()
    ]
    return MetadataValue.md("\n".join([f"| {title} | share | minimum | |", "|---|---|---|---|", *rows]))


def count_table(title: str, counts: Mapping[str, int]) -> MetadataValue:
    """A Markdown table of counts by key, largest first."""
    rows = [f"| {key} | {value} |" for key, value in sorted(counts.items(), key=lambda kv: -kv[1])]
    return MetadataValue.md("\n".join([f"| {title} | count |", "|---|---|", *(rows or ["| (none) | 0 |"])]))


def count_records(title: str, counts: Mapping[str, int]) -> MetadataValue:
    """A table of counts by key, largest first (a Dagster table: the UI shows it as one, no Markdown)."""
    ordered = sorted(counts.items(), key=lambda kv: -kv[1])
    return MetadataValue.table(
        [TableRecord({title: key, "count": value}) for key, value in ordered],
        schema=TableSchema(columns=[TableColumn(title, "string"), TableColumn("count", "int")]),
    )
