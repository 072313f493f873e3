"""A daily schedule per target, built from its resolved partitioned job (each tick runs the day just ended)."""

from __future__ import annotations

from dagster import JobDefinition, ScheduleDefinition, build_schedule_from_partitioned_job

from scrape_assets.defs.tags import target_tags
from scrape_assets.target_config.models import TargetConfig


def daily_schedule(target: TargetConfig, job: JobDefinition) -> ScheduleDefinition:
    """The schedule of the job's days (each tick runs the day just ended)."""
    schedule = build_schedule_from_partitioned_job(
        job,
        name=f"{job.name}_schedule",
        hour_of_day=target.schedule.hour_of_day,
        minute_of_hour=target.scheduled_minute,
        tags=target_tags(target.name),
    )
    if not isinstance(schedule, ScheduleDefinition):  # only an unresolved job gives another kind
        raise TypeError(f"{job.name} is not resolved: its schedule would be resolved with the whole graph")
    return schedule
