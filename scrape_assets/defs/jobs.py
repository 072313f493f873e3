"""The `daily_<target>` job: every asset and check of the target for one day, tagged with the target."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

from scrape_assets.target_config.models import TargetConfig


def daily_job(target: TargetConfig):  # type: ignore[no-untyped-def]
    """Partitioned like the assets it selects (daily)."""
    return define_asset_job(
        name=f"daily_{target.name}",
        selection=AssetSelection.groups(target.name),
        tags={"target": target.name},
        description=f"Scrape, extract, validate and deliver {target.name} for one day.",
    )
