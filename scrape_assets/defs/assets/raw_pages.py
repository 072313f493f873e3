"""`<target>/raw_pages`: the crawl, in a Scrapy worker launched through Pipes; pages go to the page store."""


from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    Backoff,
    Jitter,
    MaterializeResult,
    RetryPolicy,
    asset,
)

from scrape_assets.defs.asset_keys import TargetKeys
from scrape_assets.defs.assets.crawl import crawl_extras
from scrape_assets.defs.resources import CrawlLauncher, PageStoreResource
from scrape_assets.target_config.models import TargetConfig


def crawl_retry_policy(target: TargetConfig) -> RetryPolicy:
    """Whole-step retries of the crawl, with exponential backoff and jitter (Scrapy retries requests)."""
    return RetryPolicy(
        max_retries=target.run_policy.crawl_step_retries,
        delay=target.run_policy.crawl_step_retry_delay_seconds,
        backoff=Backoff.EXPONENTIAL,
        jitter=Jitter.PLUS_MINUS,
    )


def build_raw_pages(target: TargetConfig, keys: TargetKeys, partitions) -> AssetsDefinition:  # type: ignore[no-untyped-def]
    @asset(
        key=keys.raw_pages,
        deps=[keys.url_frontier],
        partitions_def=partitions,
        group_name=target.name,
        kinds={"scrapy"},
        tags={"target": target.name},
        retry_policy=crawl_retry_policy(target),
        description=f"Every response of {target.name}'s crawl for the day, kept as WARC in the page store.",
    )
    def raw_pages(
        context: AssetExecutionContext, crawl_launcher: CrawlLauncher, page_store: PageStoreResource
    ) -> MaterializeResult:
        metadata = crawl_launcher.launch(context, crawl_extras(context, target, page_store, "pages"))
        return MaterializeResult(metadata=metadata)

    return raw_pages
