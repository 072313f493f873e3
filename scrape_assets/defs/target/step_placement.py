"""Where a run's steps execute (`defs/executor.py`, run config `auto`): in the run's own process when
nothing in the run would run side by side, else a process per step.

Only shards, and the graphs of different targets, run side by side. A run of one target that crawls
nothing (re-extraction, validation, delivery) has none; a run that crawls is expected to need the
shards of the target's latest frontier: one shard when it had at most `sharding.urls_per_shard`
record URLs (or `sharding.max_shards` is 1). A target with no frontier yet, or a day that outgrew its
last one, gets a process per step: the first at once, the second from its next run on, its shards of
this run crawling one after the other (`plan_shards` says so in its log)."""

from __future__ import annotations

from collections.abc import Sequence

from dagster import DagsterInstance, DagsterRun

from scrape_assets.defs.executor import StepPlacement, StepPlacementRule
from scrape_assets.defs.target.asset_keys import target_keys
from scrape_assets.defs.target.run_scope import covers, crawls
from scrape_assets.target_config.models import TargetConfig

RECORD_URLS = "record_urls"  # the frontier's count of record URLs, in url_frontier's metadata


def _latest_frontier(instance: DagsterInstance, target: TargetConfig) -> tuple[int, str] | None:
    """Record URLs of the target's latest frontier, and its day; None if it has none."""
    event = instance.get_latest_materialization_event(target_keys(target).url_frontier)
    materialization = event.asset_materialization if event is not None else None
    value = materialization.metadata.get(RECORD_URLS) if materialization is not None else None
    if materialization is None or value is None:
        return None
    return int(str(value.value)), materialization.partition or "unpartitioned"


def _place_crawl(instance: DagsterInstance, target: TargetConfig) -> StepPlacement:
    sharding = target.sharding
    if sharding.max_shards == 1:
        return StepPlacement(False, f"{target.name} crawls in one shard (sharding.max_shards: 1)")
    latest = _latest_frontier(instance, target)
    if latest is None:
        return StepPlacement(True, f"{target.name} has no frontier yet, so its shards are not known before it is read")
    count, day = latest
    fits = sharding.fits_one_shard(count)
    return StepPlacement(
        not fits,
        f"{target.name}'s latest frontier ({day}) had {count} record URLs: "
        + (
            f"one shard (sharding.urls_per_shard: {sharding.urls_per_shard})"
            if fits
            else f"more than one shard holds (sharding.urls_per_shard: {sharding.urls_per_shard}), crawled side by side"
        ),
    )


def step_placement_rule(targets: Sequence[TargetConfig]) -> StepPlacementRule:
    """The `auto` placement of the code location's runs over `targets`."""

    def place(instance: DagsterInstance, run: DagsterRun) -> StepPlacement:
        covered = [target for target in targets if covers(run, target, target_keys(target))]
        if len(covered) > 1:
            names = ", ".join(target.name for target in covered)
            return StepPlacement(True, f"the run spans {len(covered)} targets ({names}), whose steps run side by side")
        crawled = [target for target in covered if crawls(run, target, target_keys(target))]
        if not crawled:
            return StepPlacement(False, "the run crawls nothing, and its steps run one after the other")
        return _place_crawl(instance, crawled[0])

    return place
