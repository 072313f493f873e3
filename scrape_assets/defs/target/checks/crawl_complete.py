"""The `crawl_complete` check on `<target>/raw_pages`: did the day's crawl fetch everything it set out to?

Evaluated in a step of its own after the crawl, from the page store (the source of truth: a later
crawl that resumes and completes the day makes it pass). Not blocking, so that a crawl stopped by an
outage or an exhausted proxy pool still has its pages extracted and validated; the delivery guard
refuses the day while it fails, so the asset graph shows the day as partial and it is never delivered
as if complete.
"""

import json

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    MetadataValue,
    PartitionsDefinition,
    asset_check,
)

from scrape_assets.defs.resources import PageStoreResource
from scrape_assets.defs.target.asset_keys import TargetKeys
from scrape_assets.defs.target.assets.raw_pages import CRAWL_STOP_FILE
from scrape_assets.defs.target.checks.record_checks import CRAWL_COMPLETE
from scrape_assets.defs.target.partitions import require_day
from scrape_assets.page_store import latest_entries, partition_prefix, read_generation, readable_segments
from scrape_assets.target_config.models import TargetConfig


def build_crawl_complete(
    target: TargetConfig, keys: TargetKeys, partitions: PartitionsDefinition
) -> AssetChecksDefinition:
    @asset_check(
        asset=keys.raw_pages,
        name=CRAWL_COMPLETE,
        partitions_def=partitions,
        blocking=False,
        description="The day's crawl completed: no shard stopped on an outage or an exhausted proxy "
        "pool. While it fails the day is partial and is not delivered.",
    )
    def crawl_complete(context: AssetCheckExecutionContext, page_store: PageStoreResource) -> AssetCheckResult:
        store = page_store.store()
        prefix = partition_prefix(target.name, require_day(context, target))
        generation = read_generation(store, prefix)
        complete = generation is not None and generation.complete
        stored = len(latest_entries(store, prefix, readable_segments(store, prefix, generation))) if generation else 0
        metadata = {
            "complete": MetadataValue.bool(complete),
            "pages_stored": MetadataValue.int(stored),
            "location": MetadataValue.path(store.location(prefix)),
        }
        stop = store.get_artifact(prefix, CRAWL_STOP_FILE)
        if not complete and stop is not None:
            facts = json.loads(stop)
            metadata["stopped_by"] = MetadataValue.text(facts["stopped_by"])
            metadata["stopped_shards"] = MetadataValue.text(", ".join(facts["shards"]))
            metadata["message"] = MetadataValue.text(facts["message"])
            metadata["next_step"] = MetadataValue.text(
                "re-run the day once the target (or the proxy pool) is back: the crawl resumes and fetches "
                "only what is missing; or deliver the partial day with the override tag"
            )
        return AssetCheckResult(passed=complete, metadata=metadata)

    return crawl_complete
