"""What a run takes of a target's graph, from its record alone (job name, asset and check selection):
whether it touches the target at all, and whether it crawls it."""

from __future__ import annotations

from dagster import AssetKey, DagsterRun

from scrape_assets.defs.target.asset_keys import TargetKeys
from scrape_assets.defs.target.jobs import daily_job_name
from scrape_assets.target_config.models import TargetConfig


def _selects(run: DagsterRun, target: TargetConfig, wanted: set[AssetKey], checks_count: bool) -> bool:
    if run.asset_selection is not None:
        return bool(run.asset_selection & wanted)
    if run.job_name == daily_job_name(target.name):  # the whole daily job, or steps of it re-executed
        return True
    checked = {check.asset_key for check in run.asset_check_selection or ()} if checks_count else set()
    return bool(checked & wanted)


def covers(run: DagsterRun, target: TargetConfig, keys: TargetKeys) -> bool:
    """The run executes some asset or check of the target."""
    return _selects(run, target, keys.every(), checks_count=True)


def crawls(run: DagsterRun, target: TargetConfig, keys: TargetKeys) -> bool:
    """The run crawls the target (its frontier or its pages)."""
    return _selects(run, target, {keys.url_frontier, keys.raw_pages}, checks_count=False)
