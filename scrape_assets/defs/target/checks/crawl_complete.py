"""The `crawl_complete` check on `<target>/raw_pages`: did the day's crawl fetch everything it set out to?

Evaluated by `combine_shards`, the last op of the raw_pages graph, once the shards are done: from the
page store (the source of truth: a later crawl that resumes and completes the day makes it pass), in
the step that closes the generation rather than in a step of its own, which would cost a run a process
and buy nothing (it is evaluated whenever raw_pages is materialized, and only then: Dagster does not
run a check of a graph-backed asset on its own). Not blocking, so that a crawl stopped by an outage or
an exhausted proxy pool still has its pages extracted and validated; the delivery guard refuses the
day while it fails, so the asset graph shows the day as partial and it is never delivered as if
complete.
"""

import json

from dagster import AssetCheckResult, AssetCheckSpec, MetadataValue, PartitionsDefinition

from scrape_assets.defs.target.asset_keys import TargetKeys
from scrape_assets.defs.target.checks.record_checks import CRAWL_COMPLETE
from scrape_assets.page_store import PageStore, latest_entries, read_generation, readable_segments

# written next to the day's generation when a shard stops on its last try: why, and which shards
CRAWL_STOP_FILE = "crawl_stop.json"


def crawl_complete_spec(keys: TargetKeys, partitions: PartitionsDefinition) -> AssetCheckSpec:
    """The check as declared on raw_pages, partitioned like it so that each evaluation holds for its day."""
    return AssetCheckSpec(
        CRAWL_COMPLETE,
        asset=keys.raw_pages,
        blocking=False,
        partitions_def=partitions,
        description="The day's crawl completed: no shard stopped on an outage or an exhausted proxy "
        "pool. While it fails the day is partial and is not delivered.",
    )


def evaluate_crawl_complete(keys: TargetKeys, store: PageStore, prefix: str) -> AssetCheckResult:
    """The check's result for the day stored under `prefix`, read from the page store."""
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
    return AssetCheckResult(asset_key=keys.raw_pages, check_name=CRAWL_COMPLETE, passed=complete, metadata=metadata)
