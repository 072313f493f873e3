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
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    DagsterInstance,
    EventLogRecord,
    MetadataValue,
    PartitionsDefinition,
)

from scrape_assets.crawler.failures import TargetBlocked
from scrape_assets.defs.target.asset_keys import TargetKeys
from scrape_assets.defs.target.checks.history import latest_materialization
from scrape_assets.defs.target.checks.record_checks import CRAWL_COMPLETE
from scrape_assets.page_store import (
    Generation,
    PageStore,
    generation_segments,
    latest_entries,
    read_generation,
    readable_segments,
)
from scrape_assets.target_config.models import TargetConfig

# written next to the day's generation when a shard stops on its last try: why, and which shards
CRAWL_STOP_FILE = "crawl_stop.json"
# metadata of parsed_records (the generation it extracted) and of validated_records (the one its records
# came from): the delivery guard reads them off the materialization it delivers
CRAWL_COMPLETE_KEY = "crawl_complete"
CRAWL_GENERATION_KEY = "crawl_generation"
CRAWL_STOPPED_BY_KEY = "crawl_stopped_by"


def ban_stop(target: TargetConfig, store: PageStore, prefix: str, generation: Generation, blocked: int) -> dict | None:
    """The stop of a crawl the target banned: more than `blocked_max_share` of the day's record pages
    were block pages after their retries (`blocked` of them, given up), or None. Reads the generation's
    indexes only when some page was blocked."""
    if not blocked:
        return None
    stored = sum(
        1
        for url, (_, entry) in latest_entries(store, prefix, generation_segments(store, prefix, generation)).items()
        if entry.status == 200 and target.is_record_url(url)
    )
    share = blocked / (blocked + stored)
    if share <= target.blocked_max_share:
        return None
    return {
        "stopped_by": TargetBlocked.kind,
        "shards": [],
        "message": f"the target served block pages (captcha, access denied) for {blocked} of {blocked + stored} "
        f"record pages ({share:.1%}), above blocked_max_share {target.blocked_max_share:.1%}: a ban, not bad "
        "data; the pages stored are kept and the day's next crawl fetches only the blocked ones",
    }


def crawl_facts(store: PageStore, prefix: str, generation: Generation) -> dict[str, MetadataValue[Any]]:
    """What parsed_records records of the generation it extracted: opened when, complete or not, and
    what stopped it (a shard that stopped or a ban; a shard that failed records no stop)."""
    stop = None if generation.complete else store.get_artifact(prefix, CRAWL_STOP_FILE)
    stopped_by = json.loads(stop)["stopped_by"] if stop else ("none" if generation.complete else "a failed shard")
    return {
        CRAWL_COMPLETE_KEY: MetadataValue.bool(generation.complete),
        CRAWL_GENERATION_KEY: MetadataValue.text(generation.opened or "unknown"),
        CRAWL_STOPPED_BY_KEY: MetadataValue.text(stopped_by),
    }


def metadata_of(record: EventLogRecord) -> dict[str, Any]:
    """A materialization record's metadata as plain values."""
    materialization = record.asset_materialization
    return {} if materialization is None else {k: v.value for k, v in materialization.metadata.items()}


def source_crawl_facts(instance: DagsterInstance, keys: TargetKeys, day: str) -> dict[str, MetadataValue[Any]]:
    """What validated_records records of the crawl its records came from: the crawl facts of the day's
    latest parsed_records materialization (the file it validates), and that materialization's run.
    Without one the crawl is not known complete."""
    parsed = latest_materialization(instance, keys.parsed_records, day)
    facts = metadata_of(parsed) if parsed is not None else {}
    if parsed is None or CRAWL_COMPLETE_KEY not in facts:  # none, or extracted by an older version
        return {
            CRAWL_COMPLETE_KEY: MetadataValue.bool(False),
            CRAWL_GENERATION_KEY: MetadataValue.text("unknown: parsed_records recorded no crawl for the day"),
        }
    return {
        CRAWL_COMPLETE_KEY: MetadataValue.bool(bool(facts[CRAWL_COMPLETE_KEY])),
        CRAWL_GENERATION_KEY: MetadataValue.text(str(facts.get(CRAWL_GENERATION_KEY, "unknown"))),
        CRAWL_STOPPED_BY_KEY: MetadataValue.text(str(facts.get(CRAWL_STOPPED_BY_KEY, "unknown"))),
        "parsed_records_run": MetadataValue.text(parsed.run_id),
    }


def crawl_complete_spec(keys: TargetKeys, partitions: PartitionsDefinition) -> AssetCheckSpec:
    """The check as declared on raw_pages, partitioned like it so that each evaluation holds for its day."""
    return AssetCheckSpec(
        CRAWL_COMPLETE,
        asset=keys.raw_pages,
        blocking=False,
        partitions_def=partitions,
        description="The day's crawl completed: no shard stopped on an outage, an exhausted proxy pool or "
        "a ban. While it fails the day is partial and is not delivered.",
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
    line = f"crawl complete: {stored} pages stored" if complete else f"crawl incomplete: {stored} pages stored"
    if not complete and stop is not None:
        facts = json.loads(stop)
        line = f"crawl incomplete, stopped by {facts['stopped_by']}: {facts['message']}"
        metadata["stopped_by"] = MetadataValue.text(facts["stopped_by"])
        metadata["stopped_shards"] = MetadataValue.text(", ".join(facts["shards"]))
        metadata["message"] = MetadataValue.text(facts["message"])
        metadata["next_step"] = MetadataValue.text(
            "re-run the day once the target (or the proxy pool) is back: the crawl resumes and fetches "
            "only what is missing; or deliver the partial day with the override tag"
        )
    return AssetCheckResult(
        asset_key=keys.raw_pages, check_name=CRAWL_COMPLETE, passed=complete, description=line, metadata=metadata
    )
