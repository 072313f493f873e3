"""Shared by the crawl assets: segment names, the Pipes extras of a crawl job for one target and day, and
how a crawl step is retried."""

from datetime import UTC, datetime
from typing import Any

from dagster import AssetExecutionContext, Backoff, Jitter, OpExecutionContext, RetryPolicy

from scrape_assets.defs.resources import PageStoreResource
from scrape_assets.page_store import partition_prefix, shard_mark
from scrape_assets.target_config.models import TargetConfig

STAMP_FORMAT = "%Y%m%dT%H%M%S%f"


def stamp_now() -> str:
    """The current time in segment-name format (segment names sort chronologically)."""
    return datetime.now(UTC).strftime(STAMP_FORMAT)


def segment_name(
    context: AssetExecutionContext | OpExecutionContext, mode: str, shard: dict[str, int] | None = None
) -> str:
    """A new, chronologically sortable segment name: time, mode (and shard), run and try."""
    kind = shard_mark(shard["index"], shard["count"]).strip("-") if shard else mode
    return f"{stamp_now()}-{kind}-{context.run.run_id[:8]}-try{context.retry_number}"


def crawl_extras(
    context: AssetExecutionContext | OpExecutionContext,
    target: TargetConfig,
    page_store: PageStoreResource,
    mode: str,
    **job: Any,
) -> dict[str, Any]:
    """What the crawler process needs to know, sent through Pipes (`job`: mode-specific extras,
    e.g. `shard` and `resume_segments` for pages)."""
    return {
        "mode": mode,
        "target": target.model_dump(mode="json"),
        "page_store": page_store.spec(),
        "prefix": partition_prefix(target.name, context.partition_key),
        "segment": segment_name(context, mode, job.get("shard")),
        **job,
    }


def crawl_retry_policy(target: TargetConfig) -> RetryPolicy:
    """Retries of a crawl step (the frontier, one shard), with exponential backoff and jitter (Scrapy
    retries the requests within a try)."""
    return RetryPolicy(
        max_retries=target.run_policy.crawl_step_retries,
        delay=target.run_policy.crawl_step_retry_delay_seconds,
        backoff=Backoff.EXPONENTIAL,
        jitter=Jitter.PLUS_MINUS,
    )
