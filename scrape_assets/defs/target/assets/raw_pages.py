"""`<target>/raw_pages`: the day's page crawl, fanned out to shards (Dagster dynamic mapping).

A graph-backed asset of three ops:
- `plan_shards` opens the day's page-store generation and splits the frontier into N shards
  (`sharding` in the target YAML, scaled by the number of record URLs);
- `crawl_shard`, mapped over the shards: one Scrapy worker (a subprocess or a pod) per shard, each
  with its own retry policy, so a failed shard is retried alone, and a re-execution from failure
  reruns only the shards that failed;
- `combine_shards` closes the generation, materializes the asset with the summed counters and a
  table of per-shard results, and evaluates the `crawl_complete` check (checks/crawl_complete.py).

A shard whose crawl stops on its last try because fetching cannot go on (`TargetOutage`,
`ProxyPoolExhausted`) does not fail the step: fetching pauses (the alert is logged), the pages stored
are materialized as a partial day, the generation stays open for the next crawl to resume, and the
`crawl_complete` check fails for the day, so extraction and validation go on while delivery waits. A
day whose record pages were block pages beyond `blocked_max_share` (a ban, `checks/crawl_complete.py`
`ban_stop`) is held open the same way. Before a crawl, what killed crawlers of the day left unfinished
in the page store is recovered (`PageStore.recover`: an S3 store's incomplete uploads).
"""

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetIn,
    AssetsDefinition,
    DynamicOut,
    DynamicOutput,
    In,
    MetadataValue,
    Nothing,
    OpExecutionContext,
    Out,
    Output,
    PartitionsDefinition,
    TableColumn,
    TableRecord,
    TableSchema,
    graph_asset,
    op,
)

from scrape_assets.crawler.failures import STOPS_WITH_PAGES_KEPT
from scrape_assets.defs.executor import step_in_run_process
from scrape_assets.defs.resources import CrawlLauncher, PageStoreResource
from scrape_assets.defs.target.asset_keys import TargetKeys
from scrape_assets.defs.target.assets.crawl_extras import crawl_extras, crawl_retry_policy, stamp_now
from scrape_assets.defs.target.catalog import TargetCatalog
from scrape_assets.defs.target.checks.crawl_complete import (
    CRAWL_STOP_FILE,
    CRAWL_STOPPED_BY_KEY,
    ban_stop,
    crawl_complete_spec,
    evaluate_crawl_complete,
)
from scrape_assets.defs.target.partitions import require_day
from scrape_assets.defs.target.sole_crawl import CrawlConflict, crawl_pool, refuse_second_crawl
from scrape_assets.page_store import (
    PageStore,
    close_generation,
    generation_segments,
    open_generation,
    partition_prefix,
    read_generation,
    shard_mark,
)
from scrape_assets.page_store.frontier import read_frontier
from scrape_assets.shards import shard_label
from scrape_assets.target_config.models import TargetConfig

SHARD_COLUMNS = (
    "shard",
    "pages",
    "requests",
    "retries",
    "failed_requests",
    "duration_seconds",
    "pages_per_second",
    "peak_rss_mib",
)
# counters that add up across shards; the rest of a shard's summary is kept per shard or merged below
SUMMED = (
    "pages",
    "requests",
    "bytes",
    "retries",
    "responses_429",
    "retry_after_honoured",
    "breaker_opened",
    "breaker_closed",
    "breaker_requeued",
    "robots_denied",
    "proxy_banned",
    "proxy_dead",
    "proxy_exhausted_alerts",
    "rate_limit_waits",
    "throttle_429_stepdowns",
    "failed_requests",
    "resumed_segments",
    "skipped_already_stored",
)
MERGED_COUNTS = ("status_counts", "retries_by_status", "retries_by_reason", "outcomes")


def combine_summaries(shards: list[dict[str, Any]]) -> dict[str, Any]:
    """One crawl summary from the shards' (counters summed, counts merged, the slowest shard's time)."""
    combined: dict[str, Any] = {name: sum(int(s.get(name, 0)) for s in shards) for name in SUMMED}
    for name in MERGED_COUNTS:
        merged: Counter = Counter()
        for shard in shards:
            merged.update(shard.get(name, {}))
        combined[name] = dict(sorted(merged.items()))
    combined["cpu_seconds"] = round(sum(float(s.get("cpu_seconds", 0.0)) for s in shards), 3)
    combined["backoff_seconds"] = round(sum(float(s.get("backoff_seconds", 0.0)) for s in shards), 3)
    combined["failures"] = [f for s in shards for f in s.get("failures", [])][:20]
    combined["duration_seconds"] = max((float(s.get("duration_seconds", 0.0)) for s in shards), default=0.0)
    combined["peak_rss_mib"] = max((float(s.get("peak_rss_mib", 0.0)) for s in shards), default=0.0)
    seconds = combined["duration_seconds"]
    combined["pages_per_second"] = round(combined["pages"] / seconds, 1) if seconds > 0 else 0.0
    for name in (
        "concurrency",
        "throttle_target_concurrency",
        "rate_limit_per_second",
        "rate_limit_backend",
        "proxy_pool",
        "breaker_transitions",
        "throttle_timeline",
    ):
        if shards and name in shards[0]:
            combined[name] = shards[0][name] if len(shards) == 1 else [s.get(name) for s in shards]
    return combined


def _recover(context: OpExecutionContext, store: PageStore, prefix: str, mark: str = "") -> None:
    """Keep what killed crawlers of the day flushed (an S3 store's incomplete uploads; `mark`: one shard's)."""
    recovered = store.recover(prefix, mark)
    if recovered:
        context.log.info(f"recovered {len(recovered)} segment(s) a killed crawler left unfinished: {recovered}")


def build_raw_pages(
    target: TargetConfig, keys: TargetKeys, partitions: PartitionsDefinition, catalog: TargetCatalog
) -> AssetsDefinition:
    @op(
        name=f"{target.name}__plan_shards",
        ins={"frontier": In(Nothing)},
        out=DynamicOut(dict),
        description="Open the day's page-store generation and split the frontier into shards.",
    )
    def plan_shards(
        context: OpExecutionContext, page_store: PageStoreResource, crawl_launcher: CrawlLauncher
    ) -> Iterator[DynamicOutput[dict]]:
        store = page_store.store()
        day = require_day(context, target)
        refuse_second_crawl(context, target, keys, day)
        prefix = partition_prefix(target.name, day)
        _recover(context, store, prefix)  # no crawler of the day runs now: the sole-crawl rule holds
        frontier = read_frontier(store, prefix)
        count = target.sharding.shard_count(frontier.record_url_count, crawl_launcher.parallel_crawlers())
        generation, earlier = open_generation(store, prefix, stamp_now())
        resumed = f"resuming {len(earlier)} earlier segment(s)" if earlier else "a fresh snapshot"
        context.log.info(f"{frontier.record_url_count} record URLs -> {count} shard(s); {resumed}")
        if count > 1 and step_in_run_process():
            context.log.warning(
                f"{count} shards crawl one after the other: this run executes its steps in its own process "
                "(see the run's first log line); the target's next runs give each step a process of its own"
            )
        for index in range(count):
            yield DynamicOutput(
                {"index": index, "count": count, "opened": generation.opened}, mapping_key=shard_label(index, count)
            )

    @op(
        name=f"{target.name}__crawl_shard",
        retry_policy=crawl_retry_policy(target),
        tags={"kind": "scrapy"},
        pool=crawl_pool(target),
        description="Crawl one shard of the frontier in a Scrapy worker launched through Pipes.",
    )
    def crawl_shard(
        context: OpExecutionContext, shard: dict, crawl_launcher: CrawlLauncher, page_store: PageStoreResource
    ) -> Output[dict]:
        refuse_second_crawl(context, target, keys, context.partition_key)
        store = page_store.store()
        prefix = partition_prefix(target.name, context.partition_key)
        generation = read_generation(store, prefix)
        if generation is None or generation.opened != shard["opened"]:
            raise CrawlConflict(
                f"the generation of {store.location(prefix)} changed while its shards crawled: "
                "another crawl of the same day started; let it finish, then re-run this day"
            )
        # what this shard's failed tries stored is not fetched again (other shards' open segments are not read)
        mark = shard_mark(shard["index"], shard["count"])
        _recover(context, store, prefix, mark)
        resume = generation_segments(store, prefix, generation, mark)
        try:
            summary = crawl_launcher.launch(
                context,
                crawl_extras(
                    context,
                    target,
                    page_store,
                    "pages",
                    shard={"index": shard["index"], "count": shard["count"]},
                    resume_segments=resume,
                ),
            )
        except STOPS_WITH_PAGES_KEPT as stopped:
            if context.retry_number < target.run_policy.crawl_step_retries:
                raise  # the RetryPolicy tries again first
            context.log.error(
                f"ALERT crawl of {prefix} stopped ({stopped.kind}): {stopped}. Fetching is paused; "
                "the pages stored are extracted and validated, delivery waits for a complete crawl"
            )
            summary = {**stopped.details, "stopped_by": stopped.kind, "stop_message": str(stopped)}
        context.log.info(
            f"shard {summary['shard']}: {summary['pages']} pages, {summary['requests']} requests, "
            f"{summary['failed_requests']} failed, {summary['duration_seconds']}s"
        )
        # wrapped in Output: a Pipes session makes the op's event stream typed
        return Output(summary, metadata={name: summary[name] for name in SHARD_COLUMNS})

    @op(
        name=f"{target.name}__combine_shards",
        out={"pages": Out(Nothing), "crawl_complete": Out(Nothing)},
        description="Close the day's generation, report the crawl across shards and evaluate crawl_complete.",
    )
    def combine_shards(
        context: OpExecutionContext, shards: list[dict], page_store: PageStoreResource
    ) -> Iterator[Output | AssetCheckResult]:
        store = page_store.store()
        prefix = partition_prefix(target.name, context.partition_key)
        generation = read_generation(store, prefix)
        if generation is None:
            raise CrawlConflict(
                f"no generation open under {store.location(prefix)}: its crawl state was removed "
                "while the day crawled; re-run the day"
            )
        ordered = sorted(shards, key=lambda s: s["shard"])
        summary = combine_summaries(ordered)
        stopped = [s for s in ordered if s.get("stopped_by")]
        stop = (
            {
                "stopped_by": stopped[0]["stopped_by"],
                "shards": [s["shard"] for s in stopped],
                "message": stopped[0]["stop_message"],
            }
            if stopped
            else ban_stop(target, store, prefix, generation, summary["outcomes"].get("blocked", 0))
        )
        if stop is not None:  # left open: the next crawl of the day resumes it
            if not stopped:  # a stopped shard alerted already (crawl_shard); a ban is found only here
                context.log.error(f"ALERT crawl of {prefix} incomplete ({stop['stopped_by']}): {stop['message']}")
            store.put_artifact(prefix, CRAWL_STOP_FILE, json.dumps(stop).encode())
            segments = generation_segments(store, prefix, generation)
        else:
            segments = close_generation(store, prefix, generation).segments
        rows = [TableRecord({name: s[name] for name in SHARD_COLUMNS}) for s in ordered]
        schema = TableSchema(
            columns=[TableColumn(name, "string" if name == "shard" else "float") for name in SHARD_COLUMNS]
        )
        metadata = {
            **summary,
            "blocked_pages": MetadataValue.int(summary["outcomes"].get("blocked", 0)),
            "shards": MetadataValue.int(len(ordered)),
            "per_shard": MetadataValue.table(rows, schema=schema),
            "crawl_complete": MetadataValue.bool(stop is None),
            CRAWL_STOPPED_BY_KEY: MetadataValue.text(stop["stopped_by"] if stop else "none"),
            "segments": MetadataValue.json(segments),
            "location": MetadataValue.path(store.location(prefix)),
        }
        yield Output(None, output_name="pages", metadata=metadata)
        yield evaluate_crawl_complete(keys, store, prefix)

    crawl_complete = crawl_complete_spec(keys, partitions)

    @graph_asset(
        key=keys.raw_pages,
        ins={"frontier": AssetIn(key=keys.url_frontier, dagster_type=Nothing)},
        partitions_def=partitions,
        kinds={"scrapy"},
        **catalog.of(keys.raw_pages),
        description=f"Every response of {target.name}'s crawl for the day, kept as WARC in the page store; "
        "crawled in shards, each retried on its own.",
        check_specs=[crawl_complete],
    )
    def raw_pages(frontier: Any) -> Any:  # composes ops: Dagster passes and returns node handles
        pages, complete = combine_shards(plan_shards(frontier).map(crawl_shard).collect())
        return {"result": pages, crawl_complete.get_python_identifier(): complete}

    return raw_pages
