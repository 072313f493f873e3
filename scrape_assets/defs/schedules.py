"""A daily schedule per target, built from its partitioned job (each tick runs the day just ended)."""

from __future__ import annotations

from dagster import ScheduleDefinition, build_schedule_from_partitioned_job

from scrape_assets.target_config.models import TargetConfig


def daily_schedule(target: TargetConfig, job) -> ScheduleDefinition:  # type: ignore[no-untyped-def]
    return build_schedule_from_partitioned_job(
        job,
        name=f"daily_{target.name}_schedule",
        hour_of_day=target.schedule.hour_of_day,
        minute_of_hour=target.schedule.minute_of_hour,
        tags={"target": target.name},
    )
