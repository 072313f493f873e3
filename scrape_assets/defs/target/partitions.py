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
    TimeWindow,
)

from scrape_assets.target_config.models import TargetConfig


class NotADay(ValueError):
    """A partition key that is not one of the days: not a YYYY-MM-DD date, or before the first day."""


class TargetDays(DailyPartitionsDefinition):
    """Dagster's daily partitions, refusing a key that is not a day when a run for it is being made.

    The asset graph, `dagster asset materialize` and backfills check a key before creating a run;
    `dagster job execute --tags '{"dagster/partition": ...}'` does not, and Dagster computes the run's
    time window from the key as it creates the run: here. So that run is never created, and the error
    names the key and the days that exist. (A day after the last complete one is not refused here:
    Dagster asks for the current day's window itself; `require_day` stops such a run first.)"""

    # Dagster wraps its method in a cache; a plain method with the same call is what we need here
    def time_window_for_partition_key(self, partition_key: str) -> TimeWindow:  # type: ignore[override]
        try:
            window = super().time_window_for_partition_key(partition_key)
        except ValueError:
            raise NotADay(self._refusal(partition_key)) from None
        if window.start < self.start:
            raise NotADay(self._refusal(partition_key))
        return window

    def _refusal(self, key: str) -> str:
        return (
            f"partition key {key!r} is not a day: days are YYYY-MM-DD from {self.get_first_partition_key()} "
            f"to {self.get_last_partition_key()} (the last complete day)"
        )


def daily_partitions(target: TargetConfig) -> DailyPartitionsDefinition:
    """One partition per day from the target's start date; the newest is yesterday (a complete day)."""
    return TargetDays(
        start_date=target.schedule.start_date.isoformat(),
        timezone=target.schedule.timezone,
    )


@contextmanager
def partitioned_checks() -> Iterator[None]:
    """Where checks get `partitions_def`: Dagster 1.13 calls that a preview and warns, but it is what
    lets a check's result hold for its day alone (dagster#27747), so that warning, and only it, is
    silenced here rather than for every caller."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Specifying a partitions_def on an AssetCheckSpec", category=PreviewWarning
        )
        yield


def require_day(
    context: AssetExecutionContext | OpExecutionContext | AssetCheckExecutionContext, target: TargetConfig
) -> str:
    """The run's day, once checked against the target's days. A key that is not a day never gets a run
    (`TargetDays`); a run for a day that is not complete yet (today, or later) is stopped here, by its
    first step, before any request: not retried, naming the key and the days that exist."""
    day = context.partition_key
    partitions = daily_partitions(target)
    known = partitions.has_partition_key(day)
    if not known:
        last = partitions.get_last_partition_key()
        days = f"from {partitions.get_first_partition_key()} to {last}" if last else "none yet"
        raise Failure(
            description=f"{day!r} is not a day of target {target.name!r}: its days run {days} "
            "(YYYY-MM-DD; the newest is the last complete day)",
            allow_retries=False,
        )
    return day
