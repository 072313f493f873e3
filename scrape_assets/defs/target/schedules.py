"""A daily schedule per target, built from its partitioned job (each tick runs the day just ended)."""

from __future__ import annotations

from typing import Any

from dagster import build_schedule_from_partitioned_job

from scrape_assets.dagster_internals import UnresolvedAssetJobDefinition
from scrape_assets.defs.tags import target_tags
from scrape_assets.target_config.models import TargetConfig


def daily_schedule(target: TargetConfig, job: UnresolvedAssetJobDefinition) -> Any:
    """The schedule of the job's days (Dagster resolves it with the job; its class is not public)."""
    return build_schedule_from_partitioned_job(
        job,
        name=f"{job.name}_schedule",
        hour_of_day=target.schedule.hour_of_day,
        minute_of_hour=target.scheduled_minute,
        tags=target_tags(target.name),
    )
