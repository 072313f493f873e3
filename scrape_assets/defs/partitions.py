"""Partitions: every asset of a target is partitioned by calendar day."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from dagster import (
    AssetCheckExecutionContext,
    AssetExecutionContext,
    DailyPartitionsDefinition,
    Failure,
    OpExecutionContext,
    PreviewWarning,
)

from scrape_assets.target_config.models import TargetConfig


def daily_partitions(target: TargetConfig) -> DailyPartitionsDefinition:
    """One partition per day from the target's start date; the newest is yesterday (a complete day)."""
    return DailyPartitionsDefinition(
        start_date=target.schedule.start_date.isoformat(),
        timezone=target.schedule.timezone,
    )


@contextmanager
def partitioned_checks() -> Iterator[None]:
    """Where checks get `partitions_def`: Dagster 1.13 calls that a preview and warns, but it is what
    lets a check's result hold for its day alone (dagster#27747), so that warning, and only it, is
    silenced here rather than for every caller."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Specifying a partitions_def on an AssetCheckSpec",
                                category=PreviewWarning)
        yield


def require_day(context: AssetExecutionContext | OpExecutionContext | AssetCheckExecutionContext,
                target: TargetConfig) -> str:
    """The run's day, once checked against the target's days. The asset graph, `dagster asset
    materialize` and backfills refuse a key that is not a partition before any run exists; a run made
    with a raw `dagster/partition` tag (`dagster job execute --tags`) is stopped here, by its first
    step, before any request: not retried, naming the key and the days that exist."""
    day = context.partition_key
    partitions = daily_partitions(target)
    try:
        known = partitions.has_partition_key(day)
    except ValueError:  # not a date at all
        known = False
    if not known:
        last = partitions.get_last_partition_key()
        days = f"from {partitions.get_first_partition_key()} to {last}" if last else "none yet"
        raise Failure(description=f"{day!r} is not a day of target {target.name!r}: its days run {days} "
                                  "(YYYY-MM-DD; the newest is the last complete day)", allow_retries=False)
    return day
