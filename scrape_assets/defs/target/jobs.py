"""The `daily_<target>` job: every asset and check of the target for one day.

Every run of it carries two tags that the production run queue limits on (k8s/dagster.yaml):
`target` (a limit per target) and `scrape_assets/target_day` (at most one run per target and day, so
two launches of the same day never crawl or deliver at the same time). Runs get them whether they
come from the schedule, the launchpad or a backfill of the job.
"""

from __future__ import annotations

from dagster import AssetSelection, PartitionedConfig, define_asset_job

from scrape_assets.dagster_internals import UnresolvedAssetJobDefinition
from scrape_assets.defs.tags import TARGET_DAY_TAG, target_day, target_tags
from scrape_assets.defs.target.partitions import daily_partitions
from scrape_assets.target_config.models import TargetConfig

DAILY_JOB_PREFIX = "daily_"


def daily_job_name(target: str) -> str:
    """The name of a target's daily job."""
    return f"{DAILY_JOB_PREFIX}{target}"


def daily_job(target: TargetConfig) -> UnresolvedAssetJobDefinition:
    """Partitioned like the assets it selects (daily); tags each run with its target and day."""
    return define_asset_job(
        name=daily_job_name(target.name),
        selection=AssetSelection.groups(target.name),
        tags=target_tags(target.name),
        config=PartitionedConfig(
            partitions_def=daily_partitions(target),
            run_config_for_partition_key_fn=lambda _day: {},
            tags_for_partition_key_fn=lambda day: {TARGET_DAY_TAG: target_day(target.name, day)},
        ),
        description=f"Scrape, extract, validate and deliver {target.name} for one day.",
    )
