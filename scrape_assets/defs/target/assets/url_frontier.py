"""`<target>/url_frontier`: robots.txt and the sitemap index -> the day's URLs, crawled in a worker.

Retried like a shard of the page crawl (`run_policy`) when the target is out (unreachable, robots.txt
unreachable, an outage) or the proxy pool is exhausted, or when the crawler died; a failure no later try
would change (a broken sitemap, a missing secret, our Redis) fails the step at once, by its name.
"""

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    Failure,
    MaterializeResult,
    MetadataValue,
    PartitionsDefinition,
    asset,
)

from scrape_assets.crawler.failures import TARGET_OUTAGES, CrawlFailure, ProxyPoolExhausted
from scrape_assets.defs.resources import CrawlLauncher, PageStoreResource
from scrape_assets.defs.target.asset_keys import TargetKeys
from scrape_assets.defs.target.assets.crawl_extras import crawl_extras, crawl_retry_policy
from scrape_assets.defs.target.catalog import TargetCatalog
from scrape_assets.defs.target.partitions import require_day
from scrape_assets.defs.target.sole_crawl import crawl_pool, refuse_second_crawl
from scrape_assets.page_store import partition_prefix
from scrape_assets.target_config.models import TargetConfig

# named failures a later try may not meet; the rest are not retried
RETRIED_FAILURES: tuple[type[CrawlFailure], ...] = (*TARGET_OUTAGES, ProxyPoolExhausted)


def build_url_frontier(
    target: TargetConfig, keys: TargetKeys, partitions: PartitionsDefinition, catalog: TargetCatalog
) -> AssetsDefinition:
    @asset(
        key=keys.url_frontier,
        partitions_def=partitions,
        kinds={"scrapy"},
        pool=crawl_pool(target),
        retry_policy=crawl_retry_policy(target),
        **catalog.of(keys.url_frontier),
        description=f"URLs to crawl for {target.name}: product pages from the sitemaps, listing pages to follow.",
    )
    def url_frontier(
        context: AssetExecutionContext, crawl_launcher: CrawlLauncher, page_store: PageStoreResource
    ) -> MaterializeResult:
        day = require_day(context, target)
        refuse_second_crawl(context, target, keys, day)
        try:
            metadata = crawl_launcher.launch(context, crawl_extras(context, target, page_store, "frontier"))
        except RETRIED_FAILURES:
            raise  # the RetryPolicy tries again
        except CrawlFailure as failure:  # the cause keeps the failure's name for the run history
            raise Failure(description=str(failure), allow_retries=False) from failure
        location = page_store.store().location(partition_prefix(target.name, day))
        return MaterializeResult(metadata={**metadata, "location": MetadataValue.path(location)})

    return url_frontier
