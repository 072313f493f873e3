"""Partitions: every asset of a target is partitioned by calendar day."""

from __future__ import annotations

from dagster import DailyPartitionsDefinition

from scrape_assets.target_config.models import TargetConfig


def daily_partitions(target: TargetConfig) -> DailyPartitionsDefinition:
    """One partition per day from the target's start date; the newest is yesterday (a complete day)."""
    return DailyPartitionsDefinition(
        start_date=target.schedule.start_date.isoformat(),
        timezone=target.schedule.timezone,
    )
